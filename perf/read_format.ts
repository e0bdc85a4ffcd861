/**
 * `read_format` blocks (PERF_SAMPLE_READ, PERF_RECORD_READ): one value or a
 * group, with times, ids and lost counts as `attr.read_format` selects.
 *
 * @module
 */

import { ReadFormat } from "./attr.ts";
import { fail, readU64 } from "./bytes.ts";
import { PerfError } from "./error.ts";

/** One value of a `read_format` block.
 *
 * @example
 * ```ts
 * import type { ReadValue } from "@bpfview/bpfview";
 * const v: ReadValue = { value: 1 };
 * ```
 */
export interface ReadValue {
  /** The counter's value. */
  value: number | bigint;
  /** Its id, with PERF_FORMAT_ID. */
  id?: number | bigint;
  /** Samples lost, with PERF_FORMAT_LOST. */
  lost?: number | bigint;
}

/** A `read_format` block (PERF_SAMPLE_READ, PERF_RECORD_READ).
 *
 * @example
 * ```ts
 * import type { ReadValues } from "@bpfview/bpfview";
 * const r: ReadValues = { values: [{ value: 1 }] };
 * ```
 */
export interface ReadValues {
  /** With PERF_FORMAT_TOTAL_TIME_ENABLED. */
  time_enabled?: number | bigint;
  /** With PERF_FORMAT_TOTAL_TIME_RUNNING. */
  time_running?: number | bigint;
  /** One value, or one per group member with PERF_FORMAT_GROUP. */
  values: ReadValue[];
}

/**
 * Reads a `read_format` block at `p` (its size was checked by the decoder
 * that found it).
 *
 * @example
 * ```ts
 * import { ReadFormat, readValuesAt } from "@bpfview/bpfview";
 * const r = readValuesAt(new DataView(new ArrayBuffer(16)), 0, ReadFormat.ID);
 * console.log(r.values[0].id); // 0
 * ```
 */
export function readValuesAt(dv: DataView, p: number, readFormat: number): ReadValues {
  const out: ReadValues = { values: [] };
  const F = ReadFormat;
  if (readFormat & F.GROUP) {
    const nr = Number(readU64(dv, p));
    p += 8;
    if (readFormat & F.TOTAL_TIME_ENABLED) (out.time_enabled = readU64(dv, p), p += 8);
    if (readFormat & F.TOTAL_TIME_RUNNING) (out.time_running = readU64(dv, p), p += 8);
    for (let i = 0; i < nr; i++) {
      const v: ReadValue = { value: readU64(dv, p) };
      p += 8;
      if (readFormat & F.ID) (v.id = readU64(dv, p), p += 8);
      if (readFormat & F.LOST) (v.lost = readU64(dv, p), p += 8);
      out.values.push(v);
    }
    return out;
  }
  const v: ReadValue = { value: readU64(dv, p) };
  p += 8;
  if (readFormat & F.TOTAL_TIME_ENABLED) (out.time_enabled = readU64(dv, p), p += 8);
  if (readFormat & F.TOTAL_TIME_RUNNING) (out.time_running = readU64(dv, p), p += 8);
  if (readFormat & F.ID) (v.id = readU64(dv, p), p += 8);
  if (readFormat & F.LOST) (v.lost = readU64(dv, p), p += 8);
  out.values.push(v);
  return out;
}

/** Bytes of a non-group read_format block, or of one group entry (value, id, lost). */
export function readEntrySize(readFormat: number): number {
  const F = ReadFormat;
  let n = 8;
  if (readFormat & F.ID) n += 8;
  if (readFormat & F.LOST) n += 8;
  if (!(readFormat & F.GROUP)) {
    if (readFormat & F.TOTAL_TIME_ENABLED) n += 8;
    if (readFormat & F.TOTAL_TIME_RUNNING) n += 8;
  }
  return n;
}

/**
 * Checks a read_format block at `p` that must end by `end`; returns its end.
 */
export function readValuesEnd(dv: DataView, p: number, end: number, readFormat: number): number {
  const F = ReadFormat;
  if (!(readFormat & F.GROUP)) {
    const e = p + readEntrySize(readFormat);
    if (e > end) fail("a read_format block", e - p, end - p, p);
    return e;
  }
  if (p + 8 > end) fail("a read_format group count", 8, end - p, p);
  const nr = readU64(dv, p);
  let head = 8;
  if (readFormat & F.TOTAL_TIME_ENABLED) head += 8;
  if (readFormat & F.TOTAL_TIME_RUNNING) head += 8;
  const each = readEntrySize(readFormat);
  const room = end - p - head;
  if (room < 0 || typeof nr !== "number" || nr * each > room) {
    throw new PerfError(
      `expected a read_format group of ${nr} entries of ${each} bytes to fit the ${
        end - p
      } bytes left of the record`,
      p,
    );
  }
  return p + head + nr * each;
}
