/**
 * The private FFI table for libbpf: the one place that opens it. Opened on
 * first use, so importing needs no permission; calling needs `--allow-ffi`.
 *
 * The library is looked up as `$BPFVIEW_LIBBPF` (when set and readable
 * with `--allow-env`), else `libbpf.so.1`, else `libbpf.so`. The table
 * binds what libbpf 1.1 has; symbols of newer releases are optional (null
 * when missing). libbpf is silenced (see {@link libbpf}): failures carry
 * the errno, and a program the verifier rejected its verifier log, which
 * BpfObject collects through per-program log buffers.
 *
 * @module
 */

import { FfiError } from "./error.ts";
import { cString, errno, errnoText } from "./libc.ts";

/**
 * The environment variable naming the libbpf shared object to open
 * (read with `--allow-env`), instead of `libbpf.so.1` / `libbpf.so`.
 *
 * @example
 * ```ts
 * import { LIBBPF_ENV } from "@bpfview/bpfview";
 * console.log(`${LIBBPF_ENV}=/opt/libbpf/lib/libbpf.so.1 deno run -A app.ts`);
 * ```
 */
export const LIBBPF_ENV = "BPFVIEW_LIBBPF";

const SYMBOLS = {
  libbpf_set_print: { parameters: ["pointer"], result: "pointer" },
  libbpf_major_version: { parameters: [], result: "u32" },
  libbpf_minor_version: { parameters: [], result: "u32" },
  libbpf_strerror: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  libbpf_num_possible_cpus: { parameters: [], result: "i32" },
  libbpf_probe_bpf_prog_type: { parameters: ["u32", "pointer"], result: "i32" },
  libbpf_probe_bpf_map_type: { parameters: ["u32", "pointer"], result: "i32" },
  libbpf_bpf_prog_type_str: { parameters: ["u32"], result: "pointer" },
  libbpf_bpf_map_type_str: { parameters: ["u32"], result: "pointer" },

  bpf_object__open_file: { parameters: ["buffer", "buffer"], result: "pointer" },
  bpf_object__open_mem: { parameters: ["buffer", "usize", "buffer"], result: "pointer" },
  bpf_object__load: { parameters: ["pointer"], result: "i32" },
  bpf_object__close: { parameters: ["pointer"], result: "void" },
  bpf_object__name: { parameters: ["pointer"], result: "pointer" },
  bpf_object__btf: { parameters: ["pointer"], result: "pointer" },
  bpf_object__next_program: { parameters: ["pointer", "pointer"], result: "pointer" },
  bpf_object__next_map: { parameters: ["pointer", "pointer"], result: "pointer" },
  btf__raw_data: { parameters: ["pointer", "buffer"], result: "pointer" },

  bpf_program__name: { parameters: ["pointer"], result: "pointer" },
  bpf_program__section_name: { parameters: ["pointer"], result: "pointer" },
  bpf_program__fd: { parameters: ["pointer"], result: "i32" },
  bpf_program__type: { parameters: ["pointer"], result: "u32" },
  bpf_program__autoload: { parameters: ["pointer"], result: "bool" },
  bpf_program__set_autoload: { parameters: ["pointer", "bool"], result: "i32" },
  bpf_program__set_log_buf: { parameters: ["pointer", "buffer", "usize"], result: "i32" },
  bpf_program__attach: { parameters: ["pointer"], result: "pointer" },
  bpf_link__destroy: { parameters: ["pointer"], result: "i32" },
  bpf_link__fd: { parameters: ["pointer"], result: "i32" },

  bpf_map__name: { parameters: ["pointer"], result: "pointer" },
  bpf_map__fd: { parameters: ["pointer"], result: "i32" },
  bpf_map__type: { parameters: ["pointer"], result: "u32" },
  bpf_map__key_size: { parameters: ["pointer"], result: "u32" },
  bpf_map__value_size: { parameters: ["pointer"], result: "u32" },
  bpf_map__max_entries: { parameters: ["pointer"], result: "u32" },
  bpf_map__set_max_entries: { parameters: ["pointer", "u32"], result: "i32" },
  bpf_map__map_flags: { parameters: ["pointer"], result: "u32" },
  bpf_map__btf_key_type_id: { parameters: ["pointer"], result: "u32" },
  bpf_map__btf_value_type_id: { parameters: ["pointer"], result: "u32" },
  bpf_map__is_internal: { parameters: ["pointer"], result: "bool" },
  bpf_map__initial_value: { parameters: ["pointer", "buffer"], result: "pointer" },

  bpf_map_lookup_elem: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  bpf_map_lookup_elem_flags: { parameters: ["i32", "buffer", "buffer", "u64"], result: "i32" },
  bpf_map_update_elem: { parameters: ["i32", "buffer", "buffer", "u64"], result: "i32" },
  bpf_map_delete_elem: { parameters: ["i32", "buffer"], result: "i32" },
  bpf_map_get_next_key: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  bpf_map_lookup_batch: {
    parameters: ["i32", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  bpf_prog_get_next_id: { parameters: ["u32", "buffer"], result: "i32" },
  bpf_map_get_next_id: { parameters: ["u32", "buffer"], result: "i32" },
  bpf_prog_get_fd_by_id: { parameters: ["u32"], result: "i32" },
  bpf_map_get_fd_by_id: { parameters: ["u32"], result: "i32" },
  bpf_obj_get_info_by_fd: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  // libbpf 1.2 and later
  bpf_prog_get_info_by_fd: {
    parameters: ["i32", "buffer", "buffer"],
    result: "i32",
    optional: true,
  },
  bpf_map_get_info_by_fd: {
    parameters: ["i32", "buffer", "buffer"],
    result: "i32",
    optional: true,
  },
} as const;

/** The libbpf symbols this package binds (newer ones may be null). */
export type LibbpfSymbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** The sentence a missing libbpf error ends with. */
export const INSTALL_LIBBPF =
  `install libbpf 1.x (Debian/Ubuntu: apt-get install libbpf1; Fedora: dnf install libbpf; Alpine: apk add libbpf) or set ${LIBBPF_ENV} to the path of libbpf.so.1`;

/** The sentence a missing privilege error ends with. */
export const NEED_CAP_BPF =
  "run as root, or grant CAP_BPF (plus CAP_PERFMON to attach tracing programs, CAP_NET_ADMIN for networking ones)";

let lib: Deno.DynamicLibrary<typeof SYMBOLS> | undefined;
let libPath = "";
/**
 * libbpf's own printer (it writes warnings to stderr), as `libbpf_set_print`
 * handed it back when bpfview silenced libbpf on open.
 */
let defaultPrinter: Deno.PointerValue = null;

function envPath(): string | undefined {
  try {
    if (Deno.permissions.querySync({ name: "env", variable: LIBBPF_ENV }).state !== "granted") {
      return undefined;
    }
    return Deno.env.get(LIBBPF_ENV) || undefined;
  } catch {
    return undefined;
  }
}

/** The libbpf symbols, opening libbpf on first call. Throws {@link FfiError} saying what to install. */
export function libbpf(): LibbpfSymbols {
  if (lib) return lib.symbols;
  const override = envPath();
  const candidates = override ? [override] : ["libbpf.so.1", "libbpf.so"];
  const errors: string[] = [];
  for (const path of candidates) {
    try {
      lib = Deno.dlopen(path, SYMBOLS);
      libPath = path;
      break;
    } catch (e) {
      if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
        throw new FfiError("expected permission to call libbpf, found none: run with --allow-ffi");
      }
      errors.push(`${path}: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
    }
  }
  if (!lib) {
    throw new FfiError(
      `expected libbpf 1.x, found none (${errors.join("; ")}): ${INSTALL_LIBBPF}`,
    );
  }
  // libbpf's print hook is one per process. A JS callback there would be
  // called from whichever thread calls libbpf: with Workers (or `deno test
  // --parallel`, which runs files as isolates of one process) that is another
  // isolate's thread, or an isolate already gone, and the process crashes.
  // So libbpf is silenced, and what errors need comes from errno and from
  // per-program verifier log buffers (see BpfObject.load).
  defaultPrinter = lib.symbols.libbpf_set_print(null);
  return lib.symbols;
}

/**
 * Where libbpf was opened from and its version. Opens libbpf: throws
 * {@link FfiError} saying what to install when it is missing.
 *
 * @example
 * ```ts
 * import { libbpfVersion } from "@bpfview/bpfview";
 * const { path, major, minor } = libbpfVersion(); // "libbpf.so.1", 1, 1
 * ```
 */
export function libbpfVersion(): { path: string; major: number; minor: number } {
  const s = libbpf();
  return { path: libPath, major: s.libbpf_major_version(), minor: s.libbpf_minor_version() };
}

/**
 * Runs `fn` (one or more libbpf calls). libbpf is silent (its print hook is
 * process-wide, see {@link libbpf}); with `debug` its own printer writes its
 * messages to stderr for the call. `log` is always empty: callers that need
 * text (the verifier's) collect it themselves.
 */
export function capture<T>(fn: () => T, debug = false): { value: T; log: string } {
  const s = libbpf();
  if (debug && defaultPrinter !== null) s.libbpf_set_print(defaultPrinter);
  try {
    return { value: fn(), log: "" };
  } finally {
    if (debug) s.libbpf_set_print(null);
  }
}

export { cString };

/** A C string returned by libbpf, read now (or "" for NULL). */
export function readCString(p: Deno.PointerValue): string {
  return p === null ? "" : Deno.UnsafePointerView.getCString(p);
}

/** The errno of a failed libbpf call: `-ret` for a negative int return, else errno. */
export function errOf(ret?: number): number {
  return ret !== undefined && ret < 0 ? -ret : errno();
}

/** A map or program type's name as libbpf spells it (`hash`, `tracepoint`), or `type N`. */
export function typeName(kind: "map" | "prog", type: number): string {
  const s = libbpf();
  const p = kind === "map" ? s.libbpf_bpf_map_type_str(type) : s.libbpf_bpf_prog_type_str(type);
  return p === null ? `type ${type}` : readCString(p);
}

/** `ENOENT (2)` for an errno, or libbpf's own text for its codes from 4000 (`libbpf error 4001: ...`). */
export function errText(err: number): string {
  if (err < 4000) return errnoText(err);
  const buf = new Uint8Array(128);
  libbpf().libbpf_strerror(-err, buf, BigInt(buf.length));
  const n = buf.indexOf(0);
  return `libbpf error ${err} (${new TextDecoder().decode(buf.subarray(0, n < 0 ? 0 : n))})`;
}

/**
 * An {@link FfiError} for a failed libbpf call: `expected to WHAT, found
 * ENOENT (2)`, plus the one sentence that fixes it for missing privileges,
 * and the last of libbpf's messages.
 */
export function libbpfError(what: string, err: number, log = ""): FfiError {
  let msg = `expected to ${what}, found ${err ? errText(err) : "an error"}`;
  if (err === 1 /* EPERM */ || (err === 13 /* EACCES */ && !/PROG LOAD LOG/.test(log))) {
    msg += hasCapBpf()
      ? ": the kernel refused although this process has CAP_BPF or CAP_SYS_ADMIN (kernel lockdown, a program kind this kernel cannot run, or RLIMIT_MEMLOCK)"
      : `: ${NEED_CAP_BPF}`;
  }
  const last = lastLines(log, 3);
  if (last) msg += `\nlibbpf: ${last}`;
  return new FfiError(msg, err, log);
}

/** Whether this process has CAP_BPF (39) or CAP_SYS_ADMIN (21) (false when it cannot tell). */
function hasCapBpf(): boolean {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(Deno.readTextFileSync("/proc/self/status"));
    if (!m) return false;
    const eff = BigInt(`0x${m[1]}`);
    return ((eff >> 39n) & 1n) === 1n || ((eff >> 21n) & 1n) === 1n;
  } catch {
    return false;
  }
}

/** The last `n` non-empty lines of a log, joined with "; ". */
export function lastLines(log: string, n: number): string {
  const lines = log.split("\n").map((l) => l.replace(/^libbpf: /, "").trim()).filter((l) => l);
  return lines.slice(-n).join("; ");
}
