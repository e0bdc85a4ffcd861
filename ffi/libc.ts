/**
 * The private FFI table for libc: the one place that opens it. Opened on
 * first use, so importing needs no permission; calling needs `--allow-ffi`.
 *
 * @module
 */

import { FfiError } from "./error.ts";
import { ERRNO_NAMES } from "./errno.ts";

const SYMBOLS = {
  clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
  open: { parameters: ["buffer", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  lseek: { parameters: ["i32", "i64", "i32"], result: "i64" },
  mmap: { parameters: ["pointer", "usize", "i32", "i32", "i32", "i64"], result: "pointer" },
  munmap: { parameters: ["pointer", "usize"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
  // libbpf's print callback (ffi/libbpf.ts) formats its messages.
  getpagesize: { parameters: [], result: "i32" },
  getpgid: { parameters: ["i32"], result: "i32" },
  gettid: { parameters: [], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  // `syscall` is variadic: it is bound once per argument shape, every
  // integer as i64 (a narrower one would leave the register's top half
  // undefined for the callee's `va_arg(long)`).
  /** `syscall(SYS_bpf, cmd, &attr, sizeof attr)`. */
  syscall_bpf: { name: "syscall", parameters: ["i64", "i64", "buffer", "i64"], result: "i64" },
  /** The same on one of Deno's blocking threads (long BPF_PROG_TEST_RUNs); errno unreadable. */
  syscall_bpf_blocking: {
    name: "syscall",
    parameters: ["i64", "i64", "buffer", "i64"],
    result: "i64",
    nonblocking: true,
  },
  /** `syscall(SYS_perf_event_open, &attr, pid, cpu, group_fd, flags)` (perf/event.ts). */
  syscall_perf_event_open: {
    name: "syscall",
    parameters: ["i64", "buffer", "i64", "i64", "i64", "i64"],
    result: "i64",
  },
  // `ioctl` is variadic past the request: bound for an integer and for a buffer argument.
  /** `ioctl(fd, request, long)` (perf event enable, disable, set output...). */
  ioctl: { parameters: ["i32", "u64", "i64"], result: "i32" },
  /** `ioctl(fd, request, void *)` (perf event filter, id...). */
  ioctl_buffer: { name: "ioctl", parameters: ["i32", "u64", "buffer"], result: "i32" },
  // Waiting (perf/wait.ts): an epoll set plus an eventfd that wakes it.
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  epoll_create1: { parameters: ["i32"], result: "i32" },
  epoll_ctl: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  /** `epoll_wait` on the calling thread: only with timeout 0. */
  epoll_wait: { parameters: ["i32", "buffer", "i32", "i32"], result: "i32" },
  /**
   * `epoll_wait` on one of Deno's blocking threads: returns a promise, so the
   * event loop keeps running. errno is that thread's, not readable here.
   */
  epoll_wait_blocking: {
    name: "epoll_wait",
    parameters: ["i32", "buffer", "i32", "i32"],
    result: "i32",
    nonblocking: true,
  },
  /** `usleep` on one of Deno's blocking threads: a sub-millisecond pause that blocks nothing. */
  usleep_blocking: { name: "usleep", parameters: ["u32"], result: "i32", nonblocking: true },
} as const;

type Symbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let symbols: Symbols | undefined;

/** Opens libc with `defs`, as FfiErrors. */
function open<S extends Deno.ForeignLibraryInterface>(defs: S): Deno.DynamicLibrary<S> {
  try {
    return Deno.dlopen("libc.so.6", defs);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      throw new FfiError("expected permission to call libc, found none: run with --allow-ffi");
    }
    throw new FfiError(
      `expected to open libc.so.6, found an error: ${e instanceof Error ? e.message : e}`,
    );
  }
}

/**
 * The libc symbols, opening libc on first call. Each symbol is bound on its
 * first use (binding all of them costs ~10 ms, more than a process that
 * maps one file needs); `__errno_location` is bound at once, so that reading
 * errno after a failed call never binds anything in between.
 */
export function libc(): Symbols {
  if (symbols) return symbols;
  const core = open({ __errno_location: SYMBOLS.__errno_location }).symbols;
  const table = {} as Record<string, unknown>;
  for (const name of Object.keys(SYMBOLS) as (keyof typeof SYMBOLS)[]) {
    if (name === "__errno_location") {
      table[name] = core.__errno_location;
      continue;
    }
    Object.defineProperty(table, name, {
      configurable: true,
      enumerable: true,
      get() {
        // The symbol, with the others of its group (one dlopen each).
        const group = GROUPS.find((g) => g.includes(name)) ?? [name];
        const defs = Object.fromEntries(group.map((n) => [n, SYMBOLS[n]]));
        const bound = open(defs).symbols as Record<string, unknown>;
        for (const n of group) {
          Object.defineProperty(table, n, { value: bound[n], enumerable: true });
        }
        return bound[name];
      },
    });
  }
  return symbols = table as Symbols;
}

/** Symbols used together, bound together: mapping a file. */
const GROUPS: readonly (keyof typeof SYMBOLS)[][] = [["open", "close", "lseek", "mmap", "munmap"]];

/**
 * The calling thread's errno. Call it right after the failing call, in the
 * same synchronous stretch of code, before any other libc call or anything
 * that allocates (a collection can free memory, and a failing `munmap` in a
 * finalizer would set errno). The location is asked for on every read:
 * errno is per thread, and Deno may run an isolate on another thread after
 * an `await` (test workers do), so a location kept from an earlier turn
 * can be another thread's. `__errno_location` itself never changes errno.
 */
export function errno(): number {
  return new Deno.UnsafePointerView(libc().__errno_location()!).getInt32();
}

/**
 * `s` as a NUL-terminated C string. A NUL inside `s` would cut it short in
 * C, so that C sees another string than the one checked (a permission asked
 * for `DIR/../../etc/x\0/../DIR/y` would open `DIR/../../etc/x`): refused
 * with {@link FfiError}. `what` names the string in the message.
 */
export function cString(s: string, what: string): Uint8Array<ArrayBuffer> {
  if (typeof s !== "string") {
    throw new FfiError(`expected a string for ${what}, found ${s === null ? "null" : typeof s}`);
  }
  const i = s.indexOf("\0");
  if (i >= 0) {
    throw new FfiError(
      `expected ${what} without NUL bytes, found one at character ${i}: C would read ${
        JSON.stringify(s.slice(0, i))
      }`,
    );
  }
  return new TextEncoder().encode(s + "\0");
}

/** `ENOENT (2)` style text for an errno value. */
export function errnoText(e: number): string {
  const name = ERRNO_NAMES[e];
  return name ? `${name} (${e})` : `errno ${e}`;
}
