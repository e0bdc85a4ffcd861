/**
 * Reading perf data's numbers from bytes: u64s as numbers while they are
 * safe integers, C strings as text, and the one bounds error every decoder
 * raises.
 *
 * @module
 */

import { PerfError } from "./error.ts";

const utf8 = new TextDecoder();

/** Reads the u64 at `p`: a number when it is below 2^53, else a bigint.
 *
 * @example
 * ```ts
 * import { readU64 } from "@bpfview/bpfview";
 * console.log(readU64(new DataView(new ArrayBuffer(8)), 0)); // 0
 * ```
 */
export function readU64(dv: DataView, p: number): number | bigint {
  const hi = dv.getUint32(p + 4, true);
  return hi < 0x200000 ? hi * 4294967296 + dv.getUint32(p, true) : dv.getBigUint64(p, true);
}

/** Throws the {@link PerfError} of a part that does not fit what is left of a record. */
export function fail(what: string, need: number, have: number, at: number): never {
  throw new PerfError(
    `expected ${what} of ${need} bytes, found ${Math.max(0, have)} left in the record`,
    at,
  );
}

/** Bytes as text, cut at the first NUL (a fixed-size C string field). */
export function textOf(bytes: Uint8Array): string {
  const nul = bytes.indexOf(0);
  return utf8.decode(nul < 0 ? bytes : bytes.subarray(0, nul));
}
