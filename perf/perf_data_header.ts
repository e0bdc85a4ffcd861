/**
 * The perf.data file header (`PERFILE2`): sizes, the attr section (each
 * attr with the file section of its sample ids), the data section and the
 * feature bitmap with its table of feature sections after the data. Pipe
 * files (`perf record -o -`) have a 16-byte header instead and carry the
 * same facts as records.
 *
 * @module
 */

import { ATTR_SIZE_LATEST, decodeAttr, type PerfEventAttr, PerfType } from "./attr.ts";
import { readU64Exact as u64 } from "./bytes.ts";
import { PerfError } from "./error.ts";
import { featureName } from "./perf_data_features.ts";

/**
 * "PERFILE2" as a little-endian u64.
 *
 * @example
 * ```ts
 * import { PERF_MAGIC } from "@bpfview/bpfview";
 * console.log(PERF_MAGIC.toString(16)); // 32454c4946524550
 * ```
 */
export const PERF_MAGIC = 0x32454c4946524550n;
/**
 * The size of `struct perf_file_header`.
 *
 * @example
 * ```ts
 * import { FILE_HEADER_SIZE, readFileHeader } from "@bpfview/bpfview";
 * const bytes = Deno.readFileSync("perf.data");
 * const h = readFileHeader(bytes.subarray(0, FILE_HEADER_SIZE), bytes.length);
 * ```
 */
export const FILE_HEADER_SIZE = 104;
/**
 * The size of `struct perf_pipe_file_header`.
 *
 * @example
 * ```ts
 * import { PIPE_HEADER_SIZE } from "@bpfview/bpfview";
 * console.log(PIPE_HEADER_SIZE); // 16: the magic and the size, then the records
 * ```
 */
export const PIPE_HEADER_SIZE = 16;

/**
 * A `struct perf_file_section`: where a section is in the file.
 *
 * @example
 * ```ts
 * import { type FileSection, readFileHeader } from "@bpfview/bpfview";
 * const bytes = Deno.readFileSync("perf.data");
 * const data: FileSection = readFileHeader(bytes, bytes.length).data;
 * const records = bytes.subarray(data.offset, data.offset + data.size);
 * ```
 */
export interface FileSection {
  /** File offset of the section's first byte. */
  offset: number;
  /** Its size in bytes. */
  size: number;
}

/**
 * One event of a perf.data file: its attr, its sample ids and its name.
 *
 * @example
 * ```ts
 * import type { PerfDataEvent } from "@bpfview/bpfview";
 * const label = (e: PerfDataEvent) => `${e.name} (${e.ids.length} ids)`;
 * ```
 */
export interface PerfDataEvent {
  /** Position in the file's attr list. */
  index: number;
  /** The event's `perf_event_attr`. */
  attr: PerfEventAttr;
  /** Sample ids (one per CPU or thread the event was opened on). */
  ids: number[];
  /** `sched:sched_switch`, `cpu-clock`, ...: from the file's event descriptions when present. */
  name: string;
  /** Bytes of the attr past what this reader knows (an attr from a newer kernel), skipped. */
  skippedAttrBytes: number;
}

/**
 * The fixed part of a `PERFILE2` header.
 *
 * @example
 * ```ts
 * import { featureName, type PerfFileHeader } from "@bpfview/bpfview";
 * const show = (h: PerfFileHeader) =>
 *   `${h.attrs.size / h.attrSize} attrs, features ${h.features.map(featureName).join(" ")}`;
 * ```
 */
export interface PerfFileHeader {
  /** `attr_size`: bytes per attr entry (the attr plus its 16-byte ids section). */
  attrSize: number;
  /** The attrs section. */
  attrs: FileSection;
  /** The data section (the records). */
  data: FileSection;
  /** Feature numbers whose bit is set, in increasing order. */
  features: number[];
}

/**
 * Reads the magic and size at the start of a perf.data file: "file" for a
 * `PERFILE2` file header, "pipe" for a pipe header. Throws
 * {@link PerfError} for anything else (with the reason: too short, another
 * magic, a big-endian file).
 *
 * @example
 * ```ts
 * import { perfDataKind } from "@bpfview/bpfview";
 * const head = new Uint8Array(16);
 * head.set(new TextEncoder().encode("PERFILE2"));
 * head[8] = 16;
 * console.log(perfDataKind(head)); // pipe
 * ```
 */
export function perfDataKind(head: Uint8Array): "file" | "pipe" {
  if (head.length < PIPE_HEADER_SIZE) {
    throw new PerfError(
      `expected a perf.data header of at least ${PIPE_HEADER_SIZE} bytes, found ${head.length}`,
      0,
    );
  }
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const magic = dv.getBigUint64(0, true);
  if (magic !== PERF_MAGIC) {
    const text = new TextDecoder().decode(head.subarray(0, 8)).replace(/[^\x20-\x7e]/g, ".");
    const why = magic === 0x504552494c453245n // "PERFILE2" read big-endian
      ? "a big-endian file (not supported)"
      : text === "PERFFILE"
      ? "the version 1 format PERFFILE (not supported)"
      : `"${text}"`;
    throw new PerfError(`expected the perf.data magic "PERFILE2", found ${why}`, 0);
  }
  const size = u64(dv, 8, "the header size");
  if (size === PIPE_HEADER_SIZE) return "pipe";
  if (size < FILE_HEADER_SIZE) {
    throw new PerfError(
      `expected a header size of ${PIPE_HEADER_SIZE} (pipe) or at least ${FILE_HEADER_SIZE}, found ${size}`,
      8,
    );
  }
  return "file";
}

/**
 * Reads a `PERFILE2` header (the first 104 bytes); `fileSize` bounds the
 * attrs section (a data section past the end is left for the record reader
 * to report at the first missing byte). Throws {@link PerfError} naming the
 * header field that is wrong.
 *
 * @example
 * ```ts
 * import { readFileHeader } from "@bpfview/bpfview";
 * const bytes = Deno.readFileSync("perf.data");
 * const h = readFileHeader(bytes, bytes.length);
 * console.log(h.data, h.features);
 * ```
 */
export function readFileHeader(head: Uint8Array, fileSize: number): PerfFileHeader {
  perfDataKind(head);
  if (head.length < FILE_HEADER_SIZE) {
    throw new PerfError(
      `expected a ${FILE_HEADER_SIZE}-byte perf.data header, found ${head.length} bytes`,
      0,
    );
  }
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const section = (at: number, name: string, within: number): FileSection => {
    const offset = u64(dv, at, `the ${name} section's offset`);
    const size = u64(dv, at + 8, `the ${name} section's size`);
    if (offset > within || size > within - offset) {
      throw new PerfError(
        `expected the ${name} section inside the ${fileSize}-byte file, found offset ${offset} size ${size}`,
        at,
      );
    }
    return { offset, size };
  };
  const attrSize = u64(dv, 16, "attr_size");
  const attrs = section(24, "attrs", fileSize);
  // A data section cut by the file's end is read up to the cut (records() then names the byte).
  const data = section(40, "data", Number.MAX_SAFE_INTEGER);
  if (attrSize < 64 + 16 || attrSize > 1 << 16) {
    throw new PerfError(`expected an attr_size of 80 to 65536 bytes, found ${attrSize}`, 16);
  }
  if (attrs.size % attrSize !== 0) {
    throw new PerfError(
      `expected the attrs section size ${attrs.size} to be a multiple of attr_size ${attrSize}`,
      32,
    );
  }
  const features: number[] = [];
  for (let i = 0; i < 256; i++) {
    if (head[72 + (i >> 3)] & (1 << (i & 7))) features.push(i);
  }
  return { attrSize, attrs, data, features };
}

/**
 * Reads attr entry `i` of the attrs section (`bytes` holds the whole
 * section, at file offset `base`) and returns its attr and where its ids
 * are. Checks the attr's own size against the header's `attr_size`.
 *
 * @example
 * ```ts
 * import { readAttrEntry, readFileHeader } from "@bpfview/bpfview";
 * const bytes = Deno.readFileSync("perf.data");
 * const h = readFileHeader(bytes, bytes.length);
 * const section = bytes.subarray(h.attrs.offset, h.attrs.offset + h.attrs.size);
 * const { attr, ids } = readAttrEntry(section, h.attrs.offset, 0, h.attrSize);
 * console.log(attr.type, attr.config, ids.size / 8); // type, config, number of ids
 * ```
 */
export function readAttrEntry(
  bytes: Uint8Array,
  base: number,
  i: number,
  attrSize: number,
): { attr: PerfEventAttr; ids: FileSection; skipped: number } {
  const at = i * attrSize;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stated = dv.getUint32(at + 4, true);
  const size = stated === 0 ? 64 : stated;
  if (size + 16 !== attrSize) {
    throw new PerfError(
      `expected attr ${i} to be ${
        attrSize - 16
      } bytes (attr_size ${attrSize} less its 16-byte ids section), found attr.size ${stated}`,
      base + at + 4,
    );
  }
  const attr = decodeAttrIn(bytes, at, size, base);
  const ids = {
    offset: u64(dv, at + size, `the offset of attr ${i}'s ids`, base + at + size),
    size: u64(dv, at + size + 8, `the size of attr ${i}'s ids`, base + at + size + 8),
  };
  return { attr, ids, skipped: Math.max(0, size - ATTR_SIZE_LATEST) };
}

/**
 * decodeAttr with errors naming the byte of the file.
 *
 * @example
 * ```ts
 * import { decodeAttrIn, encodeAttr } from "@bpfview/bpfview";
 * const bytes = encodeAttr({ type: 1, sample_period: 1000 });
 * const attr = decodeAttrIn(bytes, 0, bytes.length, 4096); // errors name byte 4096 + offset
 * console.log(attr.sample_period); // 1000n
 * ```
 */
export function decodeAttrIn(
  bytes: Uint8Array,
  at: number,
  size: number,
  base: number,
): PerfEventAttr {
  try {
    return decodeAttr(bytes, at, size);
  } catch (e) {
    if (e instanceof PerfError && e.offset >= 0) {
      throw new PerfError(e.message.replace(/ \(at byte \d+\)$/, ""), base + e.offset);
    }
    throw e;
  }
}

const HW_NAMES = [
  "cycles",
  "instructions",
  "cache-references",
  "cache-misses",
  "branches",
  "branch-misses",
  "bus-cycles",
  "stalled-cycles-frontend",
  "stalled-cycles-backend",
  "ref-cycles",
];
const SW_NAMES = [
  "cpu-clock",
  "task-clock",
  "page-faults",
  "context-switches",
  "cpu-migrations",
  "minor-faults",
  "major-faults",
  "alignment-faults",
  "emulation-faults",
  "dummy",
  "bpf-output",
  "cgroup-switches",
];

/**
 * A name for an event that the file does not name: perf's name for
 * hardware and software events, `system:name` for tracepoints found in
 * `tracepoints` (config to name), else `type/config`.
 *
 * @example
 * ```ts
 * import { decodeAttr, defaultEventName, encodeAttr, PerfSwConfig, PerfType } from "@bpfview/bpfview";
 * const attr = decodeAttr(encodeAttr({ type: PerfType.SOFTWARE, config: PerfSwConfig.CPU_CLOCK }));
 * console.log(defaultEventName(attr, new Map())); // cpu-clock
 * ```
 */
export function defaultEventName(attr: PerfEventAttr, tracepoints: Map<number, string>): string {
  const config = Number(attr.config);
  if (attr.type === PerfType.HARDWARE && HW_NAMES[config]) return HW_NAMES[config];
  if (attr.type === PerfType.SOFTWARE && SW_NAMES[config]) return SW_NAMES[config];
  if (attr.type === PerfType.TRACEPOINT) {
    const tp = tracepoints.get(config);
    if (tp) return tp;
  }
  return `${attr.type}/${attr.config}`;
}

/** The names of features a header lists, for messages. */
export function featureNames(ids: readonly number[]): string[] {
  return ids.map(featureName);
}
