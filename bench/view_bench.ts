/**
 * `deno task bench` (views): reading three fields of every record of a
 * 4 MiB buffer of `struct trace_event_raw_sched_switch` through one
 * rebound view, against hand-written DataView code (the baseline); and the
 * one-time cost of compiling a view class. For the ratio and heap-growth
 * report, see `view_compare.ts` (`deno task bench:view`).
 *
 * @module
 */

import { loadBtf, memberOffset, viewClass } from "../mod.ts";

const btf = loadBtf();
const TYPE = "trace_event_raw_sched_switch";
const V = btf.view<{ prev_pid: number; prev_prio: number; next_pid: number }>(TYPE);
const id = btf.get(TYPE).id;
const O1 = memberOffset(btf, id, "prev_pid").bitOffset / 8;
const O2 = memberOffset(btf, id, "prev_prio").bitOffset / 8;
const O3 = memberOffset(btf, id, "next_pid").bitOffset / 8;
const SIZE = V.size;
const END = Math.floor((4 << 20) / SIZE) * SIZE;
const bytes = new Uint8Array(END);
crypto.getRandomValues(bytes.subarray(0, 65536));
for (let i = 65536; i < END; i += 65536) bytes.copyWithin(i, 0, 65536);
const dv = new DataView(bytes.buffer);
const v = new V(bytes);

Deno.bench({
  name: "hand-written DataView: 3 fields x all records",
  group: "3 fields",
  baseline: true,
  fn() {
    let sum = 0;
    for (let off = 0; off < END; off += SIZE) {
      sum += dv.getInt32(off + O1, true) + dv.getInt32(off + O2, true) +
        dv.getInt32(off + O3, true);
    }
    if (sum === 0.5) console.log(sum);
  },
});

Deno.bench({
  name: "view.rebind + 3 getters x all records",
  group: "3 fields",
  fn() {
    let sum = 0;
    for (let off = 0; off < END; off += SIZE) {
      v.rebind(off);
      sum += v.prev_pid + v.prev_prio + v.next_pid;
    }
    if (sum === 0.5) console.log(sum);
  },
});

Deno.bench({
  name: "view toJSON (one record)",
  group: "serialize",
  fn() {
    JSON.stringify(v.rebind(0));
  },
});

Deno.bench({
  name: "compile view class of task_struct (uncached)",
  group: "compile",
  fn() {
    // A fresh Btf each time, so the class cache does not answer.
    viewClass(loadBtf(), "task_struct");
  },
});
