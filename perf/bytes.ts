/**
 * Reading perf data's numbers from bytes: u64s as numbers while they are
 * safe integers, and the one bounds error every decoder raises.
 *
 * @module
 */

import { PerfError } from "./error.ts";

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
