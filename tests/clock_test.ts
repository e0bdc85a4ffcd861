// ffi/clock.ts: the CLOCK_REALTIME offsets the timestamp converters take.
import assert from "node:assert/strict";
import { clockNs, ktimeToDate, ktimeToEpochNs, measureRealtimeOffset } from "../mod.ts";

Deno.test("clock: realtime offsets turn kernel timestamps into wall-clock time", () => {
  for (const [clock, id] of [["monotonic", 1], ["boottime", 7]] as const) {
    const { offsetNs, errorNs } = measureRealtimeOffset(clock);
    assert.ok(errorNs >= 0n && errorNs < 1_000_000n, `${clock}: error ${errorNs} ns`);
    const now = clockNs(id);
    const date = ktimeToDate(offsetNs)(now);
    assert.ok(Math.abs(date.getTime() - Date.now()) < 50, `${clock}: ${date.toISOString()}`);
    const epochNs = ktimeToEpochNs(offsetNs)(now);
    assert.ok(epochNs > 1_600_000_000_000_000_000n);
  }
  // Boot time never runs behind the monotonic clock (it also counts suspend).
  const mono = clockNs(1);
  assert.ok(clockNs(7) >= mono);
});
