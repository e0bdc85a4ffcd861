/**
 * Reading perf data's numbers from bytes, C strings as text, and the one
 * bounds error every decoder raises. u64s come three ways, one per kind of
 * field: offsets, sizes, counts and ids exactly as numbers or a
 * {@link PerfError} ({@link readU64Exact}); 64-bit values typed
 * `number | bigint` (addresses, periods, sample times) as numbers while
 * safe, else bigints ({@link readU64}); values typed `bigint` with
 * `DataView.getBigUint64`.
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

/**
 * Reads the u64 at `p` of `dv` as an exact number, for offsets, sizes,
 * counts and ids (which the public types give as numbers). A value of 2^53
 * or more is a {@link PerfError} naming `field`, the value and the byte
 * `at` (the file offset of `p`; default `p`). `le`: byte order (default
 * little-endian).
 */
export function readU64Exact(dv: DataView, p: number, field: string, at = p, le = true): number {
  const lo = dv.getUint32(le ? p : p + 4, le), hi = dv.getUint32(le ? p + 4 : p, le);
  if (hi >= 0x200000) {
    throw new PerfError(`expected ${field} below 2^53, found ${dv.getBigUint64(p, le)}`, at);
  }
  return hi * 4294967296 + lo;
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
