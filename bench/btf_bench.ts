/**
 * `deno task bench`: micro-benchmarks of the BTF reader on the running
 * kernel's BTF, each group relative to its baseline. For the comparison with
 * libbpf and bpftool, see `btf_compare.ts` (`deno task bench:btf`).
 *
 * @module
 */

import { KERNEL_BTF_PATH, Kind, loadBtf, parseBtf } from "../mod.ts";

const bytes = Deno.readFileSync(KERNEL_BTF_PATH);
const shared = parseBtf(bytes);
shared.count; // build the index once for the lookup group

Deno.bench({
  name: "loadBtf + findIds(task_struct, STRUCT)",
  group: "open+find",
  baseline: true,
  fn() {
    loadBtf(KERNEL_BTF_PATH).findIds("task_struct", Kind.STRUCT);
  },
});

Deno.bench({
  name: "parseBtf(readFileSync) + findIds",
  group: "open+find",
  fn() {
    parseBtf(Deno.readFileSync(KERNEL_BTF_PATH)).findIds("task_struct", Kind.STRUCT);
  },
});

Deno.bench({
  name: "parseBtf(bytes in memory) + findIds",
  group: "open+find",
  fn() {
    parseBtf(bytes).findIds("task_struct", Kind.STRUCT);
  },
});

Deno.bench({
  name: "parseBtf(bytes in memory) + count (index only)",
  group: "open+find",
  fn() {
    parseBtf(bytes).count;
  },
});

Deno.bench({
  name: "index + decode every type (fresh Btf)",
  group: "decode",
  baseline: true,
  n: 20,
  fn() {
    const btf = parseBtf(bytes);
    let k = 0;
    for (const t of btf.types()) k += t.kind;
    if (k === 0) throw new Error("no types");
  },
});

Deno.bench({
  name: "kindOf + nameOf of every type (fresh Btf)",
  group: "decode",
  n: 20,
  fn() {
    const btf = parseBtf(bytes);
    const n = btf.count;
    let k = 0;
    for (let id = 1; id < n; id++) k += btf.kindOf(id) + btf.nameOf(id).length;
    if (k === 0) throw new Error("no types");
  },
});

Deno.bench({
  name: "findIds(task_struct, STRUCT)",
  group: "findIds",
  baseline: true,
  fn() {
    shared.findIds("task_struct", Kind.STRUCT);
  },
});

Deno.bench({
  name: "findIds(task_struct), any kind",
  group: "findIds",
  fn() {
    shared.findIds("task_struct");
  },
});

Deno.bench({
  name: "findIds(no_such_type_name)",
  group: "findIds",
  fn() {
    shared.findIds("no_such_type_name");
  },
});

Deno.bench({
  name: "get(task_struct) (cached decode)",
  group: "findIds",
  fn() {
    shared.get("task_struct", Kind.STRUCT);
  },
});
