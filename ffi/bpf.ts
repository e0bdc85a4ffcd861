/**
 * The few `bpf(2)` commands that need no libbpf: what a map is
 * (`BPF_OBJ_GET_INFO_BY_FD`), opening a pinned object (`BPF_OBJ_GET`),
 * reading one element (`BPF_MAP_LOOKUP_ELEM`) and running a program once
 * (`BPF_PROG_TEST_RUN`). Through libc's `syscall`; needs `--allow-ffi`
 * and the privileges the command needs (root or CAP_BPF).
 *
 * @module
 */

import { FfiError } from "./error.ts";
import { cString, errno, errnoText, libc } from "./libc.ts";

const SYS_BPF: Record<string, bigint> = { x86_64: 321n, aarch64: 280n };
const BPF_MAP_LOOKUP_ELEM = 1n;
const BPF_OBJ_PIN = 6n;
const BPF_OBJ_GET = 7n;
const BPF_PROG_TEST_RUN = 10n;
const BPF_OBJ_GET_INFO_BY_FD = 15n;

/**
 * What `BPF_OBJ_GET_INFO_BY_FD` says of a map.
 *
 * @example
 * ```ts
 * import { bpfMapInfo, type BpfMapInfo } from "@bpfview/bpfview";
 * declare const fd: number;
 * const info: BpfMapInfo = bpfMapInfo(fd);
 * console.log(info.name, info.type, info.maxEntries);
 * ```
 */
export interface BpfMapInfo {
  /** `enum bpf_map_type` (27: ring buffer). */
  readonly type: number;
  /** The map's id. */
  readonly id: number;
  /** Key size in bytes. */
  readonly keySize: number;
  /** Value size in bytes. */
  readonly valueSize: number;
  /** `max_entries` (a ring buffer's data size in bytes). */
  readonly maxEntries: number;
  /** `map_flags`. */
  readonly flags: number;
  /** The map's name (at most 15 bytes). */
  readonly name: string;
}

function addr(buf: Uint8Array): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf)));
}

function sysBpf(): bigint {
  const nr = SYS_BPF[Deno.build.arch];
  if (nr === undefined) {
    throw new FfiError(`expected x86_64 or aarch64 for the bpf syscall, found ${Deno.build.arch}`);
  }
  return nr;
}

function bpf(cmd: bigint, attr: Uint8Array, what: string): number {
  const r = libc().syscall_bpf(sysBpf(), cmd, attr, BigInt(attr.length));
  if (r < 0n) {
    const e = errno();
    const hint = e === 1 || e === 13
      ? ": run as root (or with CAP_BPF and CAP_PERFMON)"
      : e === 9
      ? ": the fd is not open"
      : "";
    throw new FfiError(`expected ${what} to succeed, found ${errnoText(e)}${hint}`, e);
  }
  return Number(r);
}

/**
 * The type, sizes and name of the BPF map behind `fd`.
 *
 * @example
 * ```ts
 * import { bpfMapInfo } from "@bpfview/bpfview";
 * declare const fd: number;
 * if (bpfMapInfo(fd).type !== 27) throw new Error("not a ring buffer");
 * ```
 */
export function bpfMapInfo(fd: number): BpfMapInfo {
  const info = new Uint8Array(88);
  const attr = new Uint8Array(16);
  const a = new DataView(attr.buffer);
  a.setUint32(0, fd, true);
  a.setUint32(4, info.length, true);
  a.setBigUint64(8, addr(info), true);
  bpf(BPF_OBJ_GET_INFO_BY_FD, attr, `BPF_OBJ_GET_INFO_BY_FD on fd ${fd}`);
  const d = new DataView(info.buffer);
  const name = info.subarray(24, 40);
  const nul = name.indexOf(0);
  return {
    type: d.getUint32(0, true),
    id: d.getUint32(4, true),
    keySize: d.getUint32(8, true),
    valueSize: d.getUint32(12, true),
    maxEntries: d.getUint32(16, true),
    flags: d.getUint32(20, true),
    name: new TextDecoder().decode(name.subarray(0, nul < 0 ? 16 : nul)),
  };
}

/**
 * Opens a pinned BPF object (map, program, link) by its bpffs path; the
 * caller closes the returned fd.
 *
 * @example
 * ```ts
 * import { bpfObjGet } from "@bpfview/bpfview";
 * const fd = bpfObjGet("/sys/fs/bpf/my_ring");
 * ```
 */
export function bpfObjGet(path: string): number {
  return bpf(BPF_OBJ_GET, pathAttr(path, 0), `BPF_OBJ_GET of ${path}`);
}

/** `{ pathname, bpf_fd, file_flags }` of BPF_OBJ_PIN / BPF_OBJ_GET (the path kept alive by the caller's call). */
function pathAttr(path: string, fd: number): Uint8Array {
  const p = cString(path, "a path");
  const attr = new Uint8Array(24);
  const a = new DataView(attr.buffer);
  a.setBigUint64(0, addr(p), true);
  a.setUint32(8, fd, true);
  pinned.set(attr, p);
  return attr;
}
/** Keeps each path's bytes alive as long as its attr. */
const pinned = new WeakMap<Uint8Array, Uint8Array>();

/**
 * Pins the BPF object (map, program, link) behind `fd` at a bpffs path, so
 * another process can open it with {@link bpfObjGet}; remove the path to
 * unpin.
 *
 * @example
 * ```ts
 * import { bpfObjPin } from "@bpfview/bpfview";
 * declare const progFd: number;
 * bpfObjPin(progFd, "/sys/fs/bpf/my_prog");
 * ```
 */
export function bpfObjPin(fd: number, path: string): void {
  bpf(BPF_OBJ_PIN, pathAttr(path, fd), `BPF_OBJ_PIN of fd ${fd} at ${path}`);
}

/**
 * Looks `key` up in the map behind `fd`, writing the value into `value`
 * (for per-CPU maps, one 8-byte-aligned slot per possible CPU). Returns
 * false when the key is absent.
 *
 * @example
 * ```ts
 * import { bpfMapLookup } from "@bpfview/bpfview";
 * declare const fd: number;
 * const value = new Uint8Array(8);
 * bpfMapLookup(fd, new Uint8Array(4), value); // key 0
 * ```
 */
export function bpfMapLookup(fd: number, key: Uint8Array, value: Uint8Array): boolean {
  const attr = new Uint8Array(32);
  const a = new DataView(attr.buffer);
  a.setUint32(0, fd, true);
  a.setBigUint64(8, addr(key), true);
  a.setBigUint64(16, addr(value), true);
  try {
    bpf(BPF_MAP_LOOKUP_ELEM, attr, `BPF_MAP_LOOKUP_ELEM on fd ${fd}`);
  } catch (e) {
    if (e instanceof FfiError && e.errno === 2) return false;
    throw e;
  }
  return true;
}

/**
 * Runs the program behind `fd` once with `BPF_PROG_TEST_RUN` (e.g. a
 * `SEC("syscall")` program, whose context `ctx` is copied in and back out).
 * Returns the program's return value.
 *
 * @example
 * ```ts
 * import { bpfProgTestRun } from "@bpfview/bpfview";
 * declare const progFd: number;
 * const ctx = new Uint8Array(16);
 * console.log(bpfProgTestRun(progFd, ctx));
 * ```
 */
export function bpfProgTestRun(fd: number, ctx?: Uint8Array): number {
  const attr = testRunAttr(fd, ctx);
  bpf(BPF_PROG_TEST_RUN, attr, `BPF_PROG_TEST_RUN of fd ${fd}`);
  return new DataView(attr.buffer).getUint32(4, true) | 0;
}

function testRunAttr(fd: number, ctx?: Uint8Array): Uint8Array {
  const attr = new Uint8Array(80);
  const a = new DataView(attr.buffer);
  a.setUint32(0, fd, true);
  if (ctx && ctx.length > 0) {
    a.setUint32(40, ctx.length, true);
    a.setBigUint64(48, addr(ctx), true);
  }
  return attr;
}

/**
 * {@link bpfProgTestRun} on one of Deno's blocking threads, for programs
 * that run long (a producer looping with `bpf_loop`): the event loop keeps
 * running meanwhile. Resolves to the program's return value; `ctx` must
 * not be touched until then. Its errno is another thread's, so a failure
 * says only that the call failed.
 *
 * @example
 * ```ts
 * import { bpfProgTestRunAsync } from "@bpfview/bpfview";
 * declare const progFd: number;
 * console.log(await bpfProgTestRunAsync(progFd, new Uint8Array(16)));
 * ```
 */
export async function bpfProgTestRunAsync(fd: number, ctx?: Uint8Array): Promise<number> {
  const attr = testRunAttr(fd, ctx);
  const r = await libc().syscall_bpf_blocking(sysBpf(), BPF_PROG_TEST_RUN, attr, 80n);
  if (r < 0n) {
    throw new FfiError(`expected BPF_PROG_TEST_RUN of fd ${fd} to succeed, found a failure`);
  }
  ctx?.length; // ctx stays referenced until the call returned
  return new DataView(attr.buffer).getUint32(4, true) | 0;
}

let cpus = 0;

/**
 * How many CPUs the kernel could ever bring up
 * (`/sys/devices/system/cpu/possible`): the number of slots of a per-CPU
 * map value. Read once, through libc (`--allow-ffi` suffices).
 *
 * @example
 * ```ts
 * import { possibleCpus } from "@bpfview/bpfview";
 * const slots = possibleCpus();
 * ```
 */
export function possibleCpus(): number {
  if (cpus) return cpus;
  const path = "/sys/devices/system/cpu/possible";
  const c = libc();
  const fd = c.open(cString(path, "a path"), 0o2000000);
  if (fd < 0) {
    const e = errno();
    throw new FfiError(`expected to open ${path}, found ${errnoText(e)}`, e);
  }
  const buf = new Uint8Array(4096);
  let n: number;
  try {
    n = Number(c.read(fd, buf, BigInt(buf.length)));
  } finally {
    c.close(fd);
  }
  const text = new TextDecoder().decode(buf.subarray(0, Math.max(0, n))).trim();
  let max = -1;
  for (const part of text.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new FfiError(`expected CPU ranges like "0-3" in ${path}, found "${text}"`);
    max = Math.max(max, Number(m[2] ?? m[1]));
  }
  if (max < 0) throw new FfiError(`expected CPU ranges in ${path}, found "${text}"`);
  return cpus = max + 1;
}
