/**
 * Value converters for views: kernel timestamps to dates, errno values and
 * enum values to names. Pass them to a view per field or per type name:
 *
 * ```ts
 * import { errnoName, ktimeToDate, loadBtf } from "@bpfview/bpfview";
 * const offsetNs = 0n; // e.g. realtimeOffset("monotonic") from ffi/clock.ts
 * const V = loadBtf().view("task_struct", {
 *   fields: { start_time: ktimeToDate(offsetNs) },
 *   types: { "errseq_t": errnoName },
 * });
 * ```
 *
 * Kernel timestamps (`bpf_ktime_get_ns`, perf sample times) count
 * nanoseconds on CLOCK_MONOTONIC (`bpf_ktime_get_boot_ns`: CLOCK_BOOTTIME),
 * not from the epoch. Turning one into a wall-clock time needs the offset
 * between CLOCK_REALTIME and that clock. JavaScript exposes neither kernel
 * clock, so this module takes the offset as an argument; `ffi/clock.ts`
 * measures it with `clock_gettime` (needs `--allow-ffi`).
 *
 * @module
 */

import { BtfError } from "./error.ts";

/**
 * A number or bigint as a bigint; a fractional number is rounded (offsets)
 * or truncated toward zero (timestamps). NaN, the infinities and anything
 * else give {@link BtfError}.
 */
function toBigint(x: unknown, what: string, round = false): bigint {
  if (typeof x === "bigint") return x;
  if (typeof x !== "number" || !Number.isFinite(x)) {
    throw new BtfError(
      `expected a finite ${what} (a number or bigint), found ${
        typeof x === "number" ? String(x) : typeof x
      }`,
    );
  }
  return BigInt(round ? Math.round(x) : Math.trunc(x));
}

/**
 * A converter from a kernel timestamp (nanoseconds on CLOCK_MONOTONIC or
 * CLOCK_BOOTTIME) to a `Date`, given `offsetNs`, the CLOCK_REALTIME time
 * minus the source clock's time (see `realtimeOffset` in `ffi/clock.ts`).
 * Dates have millisecond resolution; use {@link ktimeToEpochNs} to keep
 * nanoseconds.
 *
 * @example
 * ```ts
 * import { ktimeToDate } from "@bpfview/bpfview";
 * const toDate = ktimeToDate(1_700_000_000_000_000_000n);
 * console.log(toDate(5_000_000n).toISOString()); // 2023-11-14T22:13:20.005Z
 * ```
 */
export function ktimeToDate(offsetNs: number | bigint): (raw: number | bigint) => Date {
  const off = toBigint(offsetNs, "clock offset", true);
  // Split the offset so the sum stays exact in milliseconds.
  const offMs = Number(off / 1_000_000n), offRest = Number(off % 1_000_000n);
  return (raw) => {
    const r = toBigint(raw, "timestamp");
    const ms = Number(r / 1_000_000n) + offMs;
    const rest = Number(r % 1_000_000n) + offRest; // -2e6 < rest < 2e6
    return new Date(ms + Math.floor(rest / 1_000_000));
  };
}

/**
 * A converter from a kernel timestamp to nanoseconds since the epoch (a
 * bigint), given `offsetNs` as for {@link ktimeToDate}.
 *
 * @example
 * ```ts
 * import { ktimeToEpochNs } from "@bpfview/bpfview";
 * console.log(ktimeToEpochNs(1_000n)(5n)); // 1005n
 * ```
 */
export function ktimeToEpochNs(offsetNs: number | bigint): (raw: number | bigint) => bigint {
  const off = toBigint(offsetNs, "clock offset", true);
  return (raw) => toBigint(raw, "timestamp") + off;
}

/**
 * Wraps a converter so it is applied to each element of an array member
 * (typed arrays and array views) instead of to the array.
 *
 * @example
 * ```ts
 * import { eachElement, errnoName } from "@bpfview/bpfview";
 * const errs = eachElement(errnoName);
 * console.log(errs(new Int32Array([-2, 0]))); // ["-ENOENT", 0]
 * ```
 */
export function eachElement(
  fn: (raw: number | bigint) => unknown,
): (raw: Iterable<unknown>) => unknown[] {
  return (raw) => Array.from(raw, (x) => fn(x as number | bigint));
}
