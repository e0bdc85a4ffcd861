/**
 * The offset between CLOCK_REALTIME and the kernel clocks BPF timestamps
 * use (CLOCK_MONOTONIC for `bpf_ktime_get_ns` and perf sample times,
 * CLOCK_BOOTTIME for `bpf_ktime_get_boot_ns`), measured with
 * `clock_gettime` through FFI. libc is opened on first use, so importing
 * this module needs no permission; calling it needs `--allow-ffi`.
 *
 * @module
 */

/**
 * The clocks a kernel timestamp can come from.
 *
 * @example
 * ```ts
 * import type { KernelClock } from "@bpfview/bpfview";
 * const clock: KernelClock = "boottime"; // bpf_ktime_get_boot_ns
 * ```
 */
export type KernelClock = "monotonic" | "boottime";

import { FfiError } from "./error.ts";
import { errno, errnoText, libc } from "./libc.ts";

const CLOCK_REALTIME = 0;
const CLOCK_IDS: Record<KernelClock, number> = { monotonic: 1, boottime: 7 };

/**
 * Reads a clock with `clock_gettime`, in nanoseconds.
 *
 * @example
 * ```ts
 * import { clockNs } from "@bpfview/bpfview";
 * console.log(clockNs(1)); // CLOCK_MONOTONIC
 * ```
 */
export function clockNs(clockId: number): bigint {
  const ts = new BigInt64Array(2);
  if (libc().clock_gettime(clockId, ts) !== 0) {
    const e = errno();
    throw new FfiError(`expected clock_gettime(${clockId}) to succeed, found ${errnoText(e)}`, e);
  }
  return ts[0] * 1_000_000_000n + ts[1];
}

/**
 * The result of {@link measureRealtimeOffset}.
 *
 * @example
 * ```ts
 * import type { ClockOffset } from "@bpfview/bpfview";
 * const show = (o: ClockOffset) => `${o.offsetNs} ± ${o.errorNs} ns`;
 * ```
 */
export interface ClockOffset {
  /** CLOCK_REALTIME minus the kernel clock, in nanoseconds. */
  readonly offsetNs: bigint;
  /** Half the width of the narrowest realtime bracket seen: the offset's uncertainty, in nanoseconds. */
  readonly errorNs: bigint;
}

/**
 * Measures CLOCK_REALTIME minus `clock` (CLOCK_MONOTONIC or CLOCK_BOOTTIME):
 * reads realtime, the kernel clock, realtime again, `samples` times, and
 * keeps the narrowest bracket. Add the offset to a kernel timestamp to get
 * nanoseconds since the epoch.
 *
 * @example
 * ```ts
 * import { measureRealtimeOffset } from "@bpfview/bpfview";
 * const { offsetNs, errorNs } = measureRealtimeOffset("monotonic");
 * ```
 */
export function measureRealtimeOffset(clock: KernelClock = "monotonic", samples = 16): ClockOffset {
  const id = CLOCK_IDS[clock];
  if (id === undefined) throw new FfiError(`expected "monotonic" or "boottime", found ${clock}`);
  const f = libc().clock_gettime;
  const a = new BigInt64Array(2), m = new BigInt64Array(2), z = new BigInt64Array(2);
  let best = -1n, offset = 0n;
  for (let i = 0; i < Math.max(1, samples); i++) {
    if (f(CLOCK_REALTIME, a) !== 0 || f(id, m) !== 0 || f(CLOCK_REALTIME, z) !== 0) {
      const e = errno();
      throw new FfiError(`expected clock_gettime to succeed, found ${errnoText(e)}`, e);
    }
    const r1 = a[0] * 1_000_000_000n + a[1];
    const k = m[0] * 1_000_000_000n + m[1];
    const r2 = z[0] * 1_000_000_000n + z[1];
    const width = r2 - r1;
    if (best < 0n || width < best) {
      best = width;
      offset = (r1 + r2) / 2n - k;
    }
  }
  return { offsetNs: offset, errorNs: (best + 1n) / 2n };
}

/**
 * CLOCK_REALTIME minus `clock`, in nanoseconds (see
 * {@link measureRealtimeOffset}): the offset `ktimeToDate` and
 * `ktimeToEpochNs` take.
 *
 * @example
 * ```ts
 * import { ktimeToDate } from "@bpfview/bpfview";
 * import { realtimeOffset } from "@bpfview/bpfview";
 * const toDate = ktimeToDate(realtimeOffset("monotonic"));
 * ```
 */
export function realtimeOffset(clock: KernelClock = "monotonic"): bigint {
  return measureRealtimeOffset(clock).offsetNs;
}
