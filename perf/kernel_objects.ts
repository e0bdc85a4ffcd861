/**
 * The BPF programs and maps loaded in the kernel (by any process), as
 * `bpftool prog list` / `bpftool map list` show them: walked by id, each
 * opened by id for its `bpf_prog_info` / `bpf_map_info`, then closed.
 *
 * @module
 */

import { FfiError } from "../ffi/error.ts";
import { textOf } from "./bytes.ts";
import { libc } from "../ffi/libc.ts";
import { errText, libbpf, NEED_CAP_BPF, typeName } from "../ffi/libbpf.ts";

const ENOENT = 2;
/** The info structs are in the host's byte order. */
const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A program loaded in the kernel.
 *
 * @example
 * ```ts
 * import { listPrograms } from "@bpfview/bpfview";
 * for (const p of listPrograms()) console.log(p.id, p.type, p.name, p.tag);
 * ```
 */
export interface ProgramInfo {
  /** Program id. */
  readonly id: number;
  /** Program type as bpftool and libbpf name it (`tracepoint`, `kprobe`, `tracing`). */
  readonly type: string;
  /** Program name (up to 15 characters). */
  readonly name: string;
  /** The program's tag: a hash of its instructions, 16 hex digits. */
  readonly tag: string;
  /** The uid that loaded it. */
  readonly uid: number;
  /** Size of the translated program in bytes. */
  readonly bytes_xlated: number;
  /** Whether it is JIT-compiled. */
  readonly jited: boolean;
  /** Size of the JIT-compiled program in bytes. */
  readonly bytes_jited: number;
  /** Ids of the maps it uses. */
  readonly map_ids: readonly number[];
  /** Id of its BTF, 0 if none. */
  readonly btf_id: number;
}

/**
 * A map in the kernel.
 *
 * @example
 * ```ts
 * import { listMaps } from "@bpfview/bpfview";
 * for (const m of listMaps()) console.log(m.id, m.type, m.name, m.max_entries);
 * ```
 */
export interface MapInfo {
  /** Map id. */
  readonly id: number;
  /** Map type as bpftool and libbpf name it (`hash`, `array`, `ringbuf`). */
  readonly type: string;
  /** Map name (up to 15 characters). */
  readonly name: string;
  /** `BPF_F_*` flags. */
  readonly flags: number;
  /** Key size in bytes. */
  readonly bytes_key: number;
  /** Value size in bytes. */
  readonly bytes_value: number;
  /** Maximum number of entries. */
  readonly max_entries: number;
  /** Id of its BTF, 0 if none. */
  readonly btf_id: number;
}

/** `struct bpf_prog_info` and `struct bpf_map_info` sizes as of Linux 6.1 (the kernel takes any). */
const PROG_INFO_SIZE = 232;
const MAP_INFO_SIZE = 88;

/** Ids in order: `next(start, out)` is `bpf_prog_get_next_id` or `bpf_map_get_next_id`. */
function ids(what: string, next: (start: number, out: Uint8Array) => number): number[] {
  const out: number[] = [];
  const idBuf = new Uint32Array(1);
  const idBytes = new Uint8Array(idBuf.buffer);
  for (let id = 0;;) {
    const r = next(id, idBytes);
    if (r < 0) {
      if (-r === ENOENT) return out;
      const e = -r;
      throw new FfiError(
        `expected to list the kernel's BPF ${what}s, found ${errText(e)}${
          e === 1 ? `: ${NEED_CAP_BPF}` : ""
        }`,
        e,
      );
    }
    id = idBuf[0];
    out.push(id);
  }
}

/** `bpf_obj_get_info_by_fd` into `info`; false if the object vanished meanwhile. */
function infoById(
  id: number,
  open: (id: number) => number,
  info: Uint8Array,
  fill?: (fd: number) => void,
): boolean {
  const fd = open(id);
  if (fd < 0) return false; // unloaded between the listing and now
  try {
    const len = new Uint32Array([info.length]);
    const r = libbpf().bpf_obj_get_info_by_fd(fd, info, new Uint8Array(len.buffer));
    if (r < 0) return false;
    fill?.(fd);
    return true;
  } finally {
    libc().close(fd);
  }
}

/**
 * The programs loaded in the kernel, by id (as `bpftool prog list`).
 * Needs root or CAP_BPF; throws {@link FfiError} with the sentence that
 * says so.
 *
 * @example
 * ```ts
 * import { listPrograms } from "@bpfview/bpfview";
 * console.log(listPrograms().filter((p) => p.type === "tracepoint").length);
 * ```
 */
export function listPrograms(): ProgramInfo[] {
  const s = libbpf();
  const out: ProgramInfo[] = [];
  for (const id of ids("program", (start, o) => s.bpf_prog_get_next_id(start, o))) {
    const info = new Uint8Array(PROG_INFO_SIZE);
    const dv = new DataView(info.buffer);
    let mapIds: Uint32Array = new Uint32Array(0);
    const ok = infoById(id, (i) => s.bpf_prog_get_fd_by_id(i), info, (fd) => {
      const n = dv.getUint32(52, LE);
      if (n === 0) return;
      // Again, with room for the map ids (nr_map_ids at 52, map_ids at 56).
      mapIds = new Uint32Array(n);
      const again = new Uint8Array(PROG_INFO_SIZE);
      const adv = new DataView(again.buffer);
      adv.setUint32(52, n, LE);
      adv.setBigUint64(56, BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(mapIds))), LE);
      const len = new Uint32Array([again.length]);
      if (s.bpf_obj_get_info_by_fd(fd, again, new Uint8Array(len.buffer)) < 0) {
        mapIds = mapIds.subarray(0, 0);
      } else mapIds = mapIds.subarray(0, Math.min(n, adv.getUint32(52, LE)));
    });
    if (!ok) continue;
    const jited = dv.getUint32(16, LE);
    out.push({
      id: dv.getUint32(4, LE),
      type: typeName("prog", dv.getUint32(0, LE)),
      name: textOf(info.subarray(64, 80)),
      tag: Array.from(info.subarray(8, 16), (b) => b.toString(16).padStart(2, "0")).join(""),
      uid: dv.getUint32(48, LE),
      bytes_xlated: dv.getUint32(20, LE),
      jited: jited > 0,
      bytes_jited: jited,
      map_ids: Array.from(mapIds),
      btf_id: dv.getUint32(128, LE),
    });
  }
  return out;
}

/**
 * The maps in the kernel, by id (as `bpftool map list`). Needs root or
 * CAP_BPF.
 *
 * @example
 * ```ts
 * import { listMaps } from "@bpfview/bpfview";
 * console.log(listMaps().map((m) => m.name));
 * ```
 */
export function listMaps(): MapInfo[] {
  const s = libbpf();
  const out: MapInfo[] = [];
  for (const id of ids("map", (start, o) => s.bpf_map_get_next_id(start, o))) {
    const info = new Uint8Array(MAP_INFO_SIZE);
    if (!infoById(id, (i) => s.bpf_map_get_fd_by_id(i), info)) continue;
    const dv = new DataView(info.buffer);
    out.push({
      id: dv.getUint32(4, LE),
      type: typeName("map", dv.getUint32(0, LE)),
      name: textOf(info.subarray(24, 40)),
      flags: dv.getUint32(20, LE),
      bytes_key: dv.getUint32(8, LE),
      bytes_value: dv.getUint32(12, LE),
      max_entries: dv.getUint32(16, LE),
      btf_id: dv.getUint32(64, LE),
    });
  }
  return out;
}

/** The id of a loaded program or map, given its fd (`bpf_obj_get_info_by_fd`). @internal */
export function idOfFd(fd: number): number {
  const info = new Uint8Array(8); // type and id lead both info structs
  const len = new Uint32Array([info.length]);
  const r = libbpf().bpf_obj_get_info_by_fd(fd, info, new Uint8Array(len.buffer));
  if (r < 0) {
    throw new FfiError(`expected the id of BPF fd ${fd}, found ${errText(-r)}`, -r);
  }
  return new DataView(info.buffer).getUint32(4, LE);
}
