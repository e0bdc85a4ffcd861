/**
 * View speed and memory, in one run:
 *
 *   deno task bench:view [--rounds N]
 *
 * (a) Three fields through a view vs the same three fields read by
 *     hand-written DataView code. The record type is the kernel's
 *     `struct trace_event_raw_sched_switch` (prev_pid, prev_prio, next_pid:
 *     three s32 at the offsets BTF gives); a 4 MiB buffer of random records
 *     is read end to end, per pass, by
 *       - view:     `v.rebind(off); sum += v.prev_pid + v.prev_prio + v.next_pid`
 *       - DataView: `sum += dv.getInt32(off + 24, true) + ...` (offsets from BTF,
 *                   as constants in the loop)
 *     The two loops alternate for R rounds of 40 passes each after a
 *     warm-up; each side's
 *     median round time is reported, and the ratio view / DataView (goal:
 *     within 1.1x).
 * (b) One view rebound across 10 million records (cycling over the same
 *     buffer), reading the three fields each time: heap growth measured with
 *     `Deno.memoryUsage().heapUsed` around the loop, after a GC when
 *     `--v8-flags=--expose-gc` is given (the task passes it). Goal: under
 *     1 MiB, i.e. no allocation per record.
 *
 * @module
 */

import { loadBtf, memberOffset } from "../mod.ts";

const args = Deno.args;
const ROUNDS = Number(args[args.indexOf("--rounds") + 1]) || 15;
/** Passes over the buffer per timed round (a round lasts milliseconds, well above timer resolution). */
const PASSES = 40;
const gc = (globalThis as { gc?: () => void }).gc;

const btf = loadBtf();
const TYPE = "trace_event_raw_sched_switch";
const V = btf.view<{ prev_pid: number; prev_prio: number; next_pid: number }>(TYPE);
const id = btf.get(TYPE).id;
const O1 = memberOffset(btf, id, "prev_pid").bitOffset / 8;
const O2 = memberOffset(btf, id, "prev_prio").bitOffset / 8;
const O3 = memberOffset(btf, id, "next_pid").bitOffset / 8;
const SIZE = V.size;
const COUNT = Math.floor((4 << 20) / SIZE);
const bytes = new Uint8Array(COUNT * SIZE);
crypto.getRandomValues(bytes.subarray(0, 65536));
for (let i = 65536; i < bytes.length; i += 65536) bytes.copyWithin(i, 0, 65536);
const END = COUNT * SIZE;

// The hand-written reference: offsets are constants, as one would write them.
const byHand = new Function(
  "dv",
  "END",
  "SIZE",
  `let sum = 0;
  for (let off = 0; off < END; off += SIZE) {
    sum += dv.getInt32(off + ${O1}, true) + dv.getInt32(off + ${O2}, true) + dv.getInt32(off + ${O3}, true);
  }
  return sum;`,
) as (dv: DataView, end: number, size: number) => number;

function byView(v: InstanceType<typeof V>): number {
  let sum = 0;
  for (let off = 0; off < END; off += SIZE) {
    v.rebind(off);
    sum += v.prev_pid + v.prev_prio + v.next_pid;
  }
  return sum;
}

const dv = new DataView(bytes.buffer);
const v = new V(bytes);
if (byHand(dv, END, SIZE) !== byView(v)) throw new Error("view and DataView sums differ");
for (let i = 0; i < 20; i++) {
  byHand(dv, END, SIZE);
  byView(v);
}
const tv: number[] = [], td: number[] = [];
let sink = 0;
for (let r = 0; r < ROUNDS; r++) {
  let t = performance.now();
  for (let p = 0; p < PASSES; p++) sink += byView(v);
  tv.push(performance.now() - t);
  t = performance.now();
  for (let p = 0; p < PASSES; p++) sink += byHand(dv, END, SIZE);
  td.push(performance.now() - t);
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
const mv = median(tv), md = median(td);
const ns = (ms: number) => (ms * 1e6 / (COUNT * PASSES)).toFixed(2);
console.log(
  `view vs DataView (3 fields of struct ${TYPE}, ${COUNT} records x ${PASSES} passes, median of ${ROUNDS} rounds): ` +
    `view ${mv.toFixed(3)} ms (${ns(mv)} ns/record), DataView ${md.toFixed(3)} ms (${
      ns(md)
    } ns/record), ratio ${(mv / md).toFixed(3)} (goal <= 1.1)`,
);

// (b) Heap growth over 10 million rebinds.
const N = 10_000_000;
function rebindMany(v: InstanceType<typeof V>, n: number): number {
  let sum = 0, off = 0;
  for (let i = 0; i < n; i++) {
    v.rebind(off);
    // An int32 accumulator: a float one gets boxed by V8 around the
    // inlined rebind's error path, which would measure the loop, not the view.
    sum = (sum + v.prev_pid + v.prev_prio + v.next_pid) | 0;
    off += SIZE;
    if (off === END) off = 0;
  }
  return sum;
}
rebindMany(v, 100_000); // compile first
gc?.();
const before = Deno.memoryUsage().heapUsed;
const t0 = performance.now();
sink += rebindMany(v, N);
const t1 = performance.now();
const after = Deno.memoryUsage().heapUsed;
const growth = after - before;
console.log(
  `rebind 10M: heap growth ${(growth / 1024).toFixed(1)} KiB (goal < 1024 KiB; ${
    gc ? "after GC" : "no --expose-gc"
  }), ${((t1 - t0) * 1e6 / N).toFixed(2)} ns/record`,
);
if (sink === 0.5) console.log(sink);
