/**
 * `perf_event_header` framing and every PERF_RECORD_* type of
 * `<linux/perf_event.h>`, over plain bytes: a live perf ring, a perf.data
 * file and a test fixture are only different sources of the same records.
 *
 * @module
 */

import { PerfError } from "./error.ts";
import { checkRecord, PerfSample } from "./sample.ts";
import type { SampleId, SampleLayout } from "./sample.ts";
import { readU64 } from "./bytes.ts";
import { type ReadValues, readValuesAt, readValuesEnd } from "./read_format.ts";

/** `enum perf_event_type`: the record types the kernel writes.
 *
 * @example
 * ```ts
 * import { RecordType } from "@bpfview/bpfview";
 * console.log(RecordType.COMM); // 3
 * ```
 */
export const RecordType = {
  MMAP: 1,
  LOST: 2,
  COMM: 3,
  EXIT: 4,
  THROTTLE: 5,
  UNTHROTTLE: 6,
  FORK: 7,
  READ: 8,
  SAMPLE: 9,
  MMAP2: 10,
  AUX: 11,
  ITRACE_START: 12,
  LOST_SAMPLES: 13,
  SWITCH: 14,
  SWITCH_CPU_WIDE: 15,
  NAMESPACES: 16,
  KSYMBOL: 17,
  BPF_EVENT: 18,
  CGROUP: 19,
  TEXT_POKE: 20,
  AUX_OUTPUT_HW_ID: 21,
} as const;

/** Record type names by number (`RECORD_NAMES[3] === "COMM"`).
 *
 * @example
 * ```ts
 * import { RECORD_NAMES } from "@bpfview/bpfview";
 * console.log(RECORD_NAMES[14]); // "SWITCH"
 * ```
 */
export const RECORD_NAMES: Readonly<Record<number, string>> = Object.freeze(
  Object.fromEntries(Object.entries(RecordType).map(([k, v]) => [v, k])),
);

/** `perf_event_header.misc` bits.
 *
 * @example
 * ```ts
 * import { RecordMisc } from "@bpfview/bpfview";
 * const isUser = (misc: number) => (misc & RecordMisc.CPUMODE_MASK) === RecordMisc.USER;
 * ```
 */
export const RecordMisc = {
  CPUMODE_MASK: 7,
  CPUMODE_UNKNOWN: 0,
  KERNEL: 1,
  USER: 2,
  HYPERVISOR: 3,
  GUEST_KERNEL: 4,
  GUEST_USER: 5,
  PROC_MAP_PARSE_TIMEOUT: 1 << 12,
  /** MMAP*: a data (non-exec) mapping. Same bit: COMM_EXEC, FORK_EXEC, SWITCH_OUT. */
  MMAP_DATA: 1 << 13,
  COMM_EXEC: 1 << 13,
  SWITCH_OUT: 1 << 13,
  /** SAMPLE: exact ip. Same bit: SWITCH_OUT_PREEMPT, MMAP_BUILD_ID. */
  EXACT_IP: 1 << 14,
  SWITCH_OUT_PREEMPT: 1 << 14,
  MMAP_BUILD_ID: 1 << 14,
  EXT_RESERVED: 1 << 15,
} as const;

/**
 * A decoded record: the header fields, the record's own fields named as in
 * `<linux/perf_event.h>` (`pid`, `tid`, `filename`, `lost`...), and
 * `sample_id` when the attr has `sample_id_all`. Samples carry `sample`
 * (a {@link PerfSample}); types this module does not know carry only the
 * header (`name` is `"UNKNOWN"`).
 *
 * @example
 * ```ts
 * import type { PerfRecord } from "@bpfview/bpfview";
 * const show = (r: PerfRecord) => `${r.name} ${r.size} bytes`;
 * ```
 */
export interface PerfRecord {
  /** `header.type`. */
  type: number;
  /** The type's name without `PERF_RECORD_` (`"COMM"`), or `"UNKNOWN"`. */
  name: string;
  /** `header.misc`. */
  misc: number;
  /** `header.size` (bytes, header included). */
  size: number;
  /** Byte offset of the record in its buffer. */
  offset: number;
  /** The sample_id trailer (non-sample records of attrs with sample_id_all). */
  sample_id?: SampleId;
  /** PERF_RECORD_SAMPLE: the decoded sample. */
  sample?: PerfSample;
  /** The record's own fields. */
  [field: string]: unknown;
}

const utf8 = new TextDecoder();

/** Bounds-checked reading of one record's body. */
class Body {
  p: number;
  constructor(readonly dv: DataView, readonly rec: number, p: number, readonly end: number) {
    this.p = p;
  }
  need(n: number, what: string): number {
    const p = this.p;
    if (p + n > this.end) {
      throw new PerfError(
        `expected ${what} of ${n} bytes in the ${
          RECORD_NAMES[this.dv.getUint32(this.rec, true)] ?? "unknown"
        } record, found ${Math.max(0, this.end - p)}`,
        p,
      );
    }
    this.p = p + n;
    return p;
  }
  u16(what: string): number {
    return this.dv.getUint16(this.need(2, what), true);
  }
  u32(what: string): number {
    return this.dv.getUint32(this.need(4, what), true);
  }
  s32(what: string): number {
    return this.dv.getInt32(this.need(4, what), true);
  }
  u64(what: string): number | bigint {
    return readU64(this.dv, this.need(8, what));
  }
  bytes(n: number, what: string): Uint8Array {
    const p = this.need(n, what);
    return new Uint8Array(this.dv.buffer, this.dv.byteOffset + p, n).slice();
  }
  /** A NUL-terminated string padded to 8 bytes, running to the end of the body at most. */
  string(what: string): string {
    const start = this.p;
    if (start >= this.end) this.need(1, what);
    const u8 = new Uint8Array(this.dv.buffer, this.dv.byteOffset + start, this.end - start);
    let n = u8.indexOf(0);
    if (n < 0) n = u8.length;
    this.p = Math.min(this.end, start + ((n + 8) & ~7));
    return utf8.decode(u8.subarray(0, n));
  }
}

/**
 * Decodes the record whose header is at `offset` of `dv`. `layout` is the
 * attr's {@link SampleLayout} (needed for samples, READ records and the
 * `sample_id_all` trailer; without it only those are left undecoded).
 * Samples are decoded into `sample` when given (reused), else into a new
 * {@link PerfSample}. Throws {@link PerfError} naming the byte when the
 * record does not fit `dv` or its fields do not fit the record.
 *
 * @example
 * ```ts
 * import { decodeRecord, RecordType } from "@bpfview/bpfview";
 * const b = new Uint8Array(24);
 * const dv = new DataView(b.buffer);
 * dv.setUint32(0, RecordType.LOST, true);
 * dv.setUint16(6, 24, true);
 * dv.setUint32(16, 7, true);
 * console.log(decodeRecord(dv, 0).lost); // 7
 * ```
 */
export function decodeRecord(
  dv: DataView,
  offset: number,
  layout?: SampleLayout,
  sample?: PerfSample,
): PerfRecord {
  const size = checkRecord(dv, offset);
  const type = dv.getUint32(offset, true);
  const misc = dv.getUint16(offset + 4, true);
  const r: PerfRecord = { type, name: RECORD_NAMES[type] ?? "UNKNOWN", misc, size, offset };
  if (type === RecordType.SAMPLE) {
    if (layout) r.sample = layout.decode(dv, offset, sample ?? new PerfSample());
    return r;
  }
  if (!RECORD_NAMES[type]) return r;
  let end = offset + size;
  if (layout && layout.sampleIdAll) {
    r.sample_id = layout.decodeSampleId(dv, offset);
    end -= layout.sampleIdSize;
  }
  const b = new Body(dv, offset, offset + 8, end);
  switch (type) {
    case RecordType.MMAP:
    case RecordType.MMAP2: {
      r.pid = b.s32("pid");
      r.tid = b.s32("tid");
      r.addr = b.u64("addr");
      r.len = b.u64("len");
      r.pgoff = b.u64("pgoff");
      if (type === RecordType.MMAP2) {
        if (misc & RecordMisc.MMAP_BUILD_ID) {
          const n = dv.getUint8(b.need(1, "build_id_size"));
          b.need(3, "reserved bytes");
          const id = b.bytes(20, "build_id");
          r.build_id = id.subarray(0, Math.min(n, 20));
        } else {
          r.maj = b.u32("maj");
          r.min = b.u32("min");
          r.ino = b.u64("ino");
          r.ino_generation = b.u64("ino_generation");
        }
        r.prot = b.u32("prot");
        r.flags = b.u32("flags");
      }
      r.filename = b.string("filename");
      break;
    }
    case RecordType.LOST:
      r.id = b.u64("id");
      r.lost = b.u64("lost");
      break;
    case RecordType.COMM:
      r.pid = b.s32("pid");
      r.tid = b.s32("tid");
      r.comm = b.string("comm");
      break;
    case RecordType.EXIT:
    case RecordType.FORK:
      r.pid = b.s32("pid");
      r.ppid = b.s32("ppid");
      r.tid = b.s32("tid");
      r.ptid = b.s32("ptid");
      r.time = b.u64("time");
      break;
    case RecordType.THROTTLE:
    case RecordType.UNTHROTTLE:
      r.time = b.u64("time");
      r.id = b.u64("id");
      r.stream_id = b.u64("stream_id");
      break;
    case RecordType.READ: {
      r.pid = b.s32("pid");
      r.tid = b.s32("tid");
      if (layout) {
        const p = b.p;
        b.p = readValuesEnd(dv, p, end, layout.readFormat);
        r.values = readValuesAt(dv, p, layout.readFormat) satisfies ReadValues;
      }
      break;
    }
    case RecordType.AUX:
      r.aux_offset = b.u64("aux_offset");
      r.aux_size = b.u64("aux_size");
      r.flags = b.u64("flags");
      break;
    case RecordType.ITRACE_START:
      r.pid = b.s32("pid");
      r.tid = b.s32("tid");
      break;
    case RecordType.LOST_SAMPLES:
      r.lost = b.u64("lost");
      break;
    case RecordType.SWITCH:
    case RecordType.SWITCH_CPU_WIDE:
      r.out = (misc & RecordMisc.SWITCH_OUT) !== 0;
      r.preempt = (misc & RecordMisc.SWITCH_OUT_PREEMPT) !== 0;
      if (type === RecordType.SWITCH_CPU_WIDE) {
        r.next_prev_pid = b.s32("next_prev_pid");
        r.next_prev_tid = b.s32("next_prev_tid");
      }
      break;
    case RecordType.NAMESPACES: {
      r.pid = b.s32("pid");
      r.tid = b.s32("tid");
      const nr = b.u64("nr_namespaces");
      if (typeof nr !== "number" || nr * 16 > end - b.p) {
        throw new PerfError(
          `expected ${nr} namespaces of 16 bytes to fit the ${end - b.p} bytes left of the record`,
          b.p - 8,
        );
      }
      const ns: { dev: number | bigint; inode: number | bigint }[] = [];
      for (let i = 0; i < nr; i++) ns.push({ dev: b.u64("dev"), inode: b.u64("inode") });
      r.namespaces = ns;
      break;
    }
    case RecordType.KSYMBOL:
      r.addr = b.u64("addr");
      r.len = b.u32("len");
      r.ksym_type = b.u16("ksym_type");
      r.flags = b.u16("flags");
      r.ksym_name = b.string("name");
      break;
    case RecordType.BPF_EVENT:
      r.bpf_type = b.u16("type");
      r.flags = b.u16("flags");
      r.id = b.u32("id");
      r.tag = b.bytes(8, "tag");
      break;
    case RecordType.CGROUP:
      r.id = b.u64("id");
      r.path = b.string("path");
      break;
    case RecordType.TEXT_POKE: {
      r.addr = b.u64("addr");
      const oldLen = b.u16("old_len"), newLen = b.u16("new_len");
      r.old_len = oldLen;
      r.new_len = newLen;
      r.old_bytes = b.bytes(oldLen, "old bytes");
      r.new_bytes = b.bytes(newLen, "new bytes");
      break;
    }
    case RecordType.AUX_OUTPUT_HW_ID:
      r.hw_id = b.u64("hw_id");
      break;
  }
  return r;
}

/** Counts kept by {@link readRecords}.
 *
 * @example
 * ```ts
 * import { readRecords, type RecordCounts } from "@bpfview/bpfview";
 * const c: RecordCounts = readRecords(new Uint8Array(0), () => {});
 * ```
 */
export interface RecordCounts {
  /** Records read, by type name. */
  byType: Record<string, number>;
  /** Records of types this module does not know (skipped by their size). */
  unknown: number;
  /** Samples lost, from LOST and LOST_SAMPLES records. */
  lost: number;
}

/**
 * Walks the records of `bytes` (a run of `perf_event_header`-framed
 * records, as a ring or a perf.data data section holds them) and calls
 * `fn` with each decoded record. Unknown types are skipped by their size
 * and counted. Returns the counts. A record that does not fit throws
 * {@link PerfError} naming its byte (the records before it were delivered).
 *
 * @example
 * ```ts
 * import { readRecords } from "@bpfview/bpfview";
 * const counts = readRecords(new Uint8Array(0), (r) => console.log(r.name));
 * console.log(counts.unknown); // 0
 * ```
 */
export function readRecords(
  bytes: Uint8Array,
  fn: (r: PerfRecord) => void,
  layout?: SampleLayout,
): RecordCounts {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const counts: RecordCounts = { byType: {}, unknown: 0, lost: 0 };
  const sample = new PerfSample();
  for (let p = 0; p < bytes.length;) {
    const r = decodeRecord(dv, p, layout, sample);
    if (r.name === "UNKNOWN") counts.unknown++;
    counts.byType[r.name] = (counts.byType[r.name] ?? 0) + 1;
    if (r.type === RecordType.LOST || r.type === RecordType.LOST_SAMPLES) {
      counts.lost += Number(r.lost);
    }
    fn(r);
    p += r.size;
  }
  return counts;
}
