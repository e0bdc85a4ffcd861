/**
 * The records of a perf.data file as the reader hands them out: the perf
 * tool's own record types (64 and up) and the reused record cursor.
 *
 * @module
 */

/**
 * The perf tool's own record types (64 and up: `enum perf_user_event_type`
 * in perf's `util/event.h`), which perf.data files hold beside the kernel's
 * records.
 *
 * @example
 * ```ts
 * import { UserRecordType } from "@bpfview/bpfview";
 * console.log(UserRecordType.FINISHED_ROUND); // 68
 * ```
 */
export const UserRecordType = {
  HEADER_ATTR: 64,
  HEADER_EVENT_TYPE: 65,
  HEADER_TRACING_DATA: 66,
  HEADER_BUILD_ID: 67,
  FINISHED_ROUND: 68,
  ID_INDEX: 69,
  AUXTRACE_INFO: 70,
  AUXTRACE: 71,
  AUXTRACE_ERROR: 72,
  THREAD_MAP: 73,
  CPU_MAP: 74,
  STAT_CONFIG: 75,
  STAT: 76,
  STAT_ROUND: 77,
  EVENT_UPDATE: 78,
  TIME_CONV: 79,
  HEADER_FEATURE: 80,
  COMPRESSED: 81,
  FINISHED_INIT: 82,
  COMPRESSED2: 83,
} as const;

/**
 * The `time` of a record without one.
 *
 * @example
 * ```ts
 * import { NO_TIME, type PerfDataRecord } from "@bpfview/bpfview";
 * const timed = (r: PerfDataRecord) => r.time !== NO_TIME;
 * ```
 */
export const NO_TIME: -1 = -1;

/**
 * One record, read in place. The reader reuses this object for the next
 * record: copy what you keep. The record's bytes are
 * `bytes[at .. at + size)`.
 *
 * @example
 * ```ts
 * import type { PerfDataRecord } from "@bpfview/bpfview";
 * const pidOf = (r: PerfDataRecord) => new DataView(r.bytes.buffer, r.bytes.byteOffset).getInt32(r.at + 8, true);
 * ```
 */
export interface PerfDataRecord {
  /** `perf_event_header.type`: the kernel's PERF_RECORD_* or {@link UserRecordType}. */
  type: number;
  /** `perf_event_header.misc`. */
  misc: number;
  /** `perf_event_header.size`: the record's bytes, header included. */
  size: number;
  /** The buffer that holds the record. */
  bytes: Uint8Array;
  /** A DataView over all of `bytes`. */
  dv: DataView;
  /** Index of the record's first byte in `bytes`. */
  at: number;
  /** File offset of the record; for a record decompressed from PERF_RECORD_COMPRESSED, of that record. */
  offset: number;
  /** Whether the record came out of a compressed record. */
  compressed: boolean;
  /**
   * The sample clock time, or -1 when the record has none (as a number: ns;
   * exact below 2^53 ns, about 104 days after boot, and the nearest number
   * from there on; `ordered` reads order by the exact value, and a decoded
   * sample's `time` is exact, a bigint from 2^53 on).
   */
  time: number;
}
