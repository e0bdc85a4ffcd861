// Layouts checked by clang: for several kernel structs we turn every
// non-bitfield member's offset, and every struct's size and alignment, into
// _Static_asserts and compile them against bpftool's own vmlinux.h.
// (Not struct inode: bpftool 7.1 emits its packed 1-byte `enum rw_hint` as a
// plain 4-byte enum, so its own vmlinux.h mislays that struct.)
import assert from "node:assert/strict";
import {
  alignOf,
  BtfError,
  declaration,
  fieldsOf,
  Kind,
  layoutOf,
  loadBtf,
  memberOffset,
  resolveType,
  sizeOf,
} from "../mod.ts";

import { buildDir, sh } from "./tools.ts";

const BUILD = buildDir("layout");

const STRUCTS = [
  "task_struct",
  "sk_buff",
  "trace_event_raw_sched_switch",
  "list_head",
  "file",
  "bpf_prog",
  "perf_event_attr",
  "perf_event_mmap_page",
  "mm_struct",
  "sock",
  "page",
];

Deno.test("layout: offsets, sizes and alignments agree with clang on bpftool's vmlinux.h", () => {
  const btf = loadBtf();
  const header = `${BUILD}vmlinux.h`;
  Deno.writeTextFileSync(
    header,
    sh("bpftool", ["btf", "dump", "file", "/sys/kernel/btf/vmlinux", "format", "c"]),
  );
  const lines = ['#include "vmlinux.h"', "#define OFF(T, m) __builtin_offsetof(struct T, m)"];
  let asserts = 0;
  for (const name of STRUCTS) {
    const t = btf.get(name, Kind.STRUCT);
    lines.push(`_Static_assert(sizeof(struct ${name}) == ${sizeOf(btf, t.id)}, "size ${name}");`);
    lines.push(
      `_Static_assert(_Alignof(struct ${name}) == ${alignOf(btf, t.id)}, "align ${name}");`,
    );
    asserts += 2;
    for (const f of fieldsOf(btf, t.id)) {
      if (f.bitfieldSize) continue;
      lines.push(`_Static_assert(OFF(${name}, ${f.name}) == ${f.offset}, "${name}.${f.name}");`);
      asserts++;
    }
  }
  const src = `${BUILD}asserts.c`;
  Deno.writeTextFileSync(src, lines.join("\n") + "\n");
  sh("clang", ["-target", "bpf", "-fsyntax-only", "-I", BUILD, src]);
  assert.ok(asserts > 500, `only ${asserts} asserts`);
});

Deno.test("layout: member paths through nested and anonymous members", () => {
  const btf = loadBtf();
  const sw = btf.get("trace_event_raw_sched_switch", Kind.STRUCT).id;
  assert.equal(memberOffset(btf, sw, "next_pid").bitOffset, 56 * 8);
  assert.equal(memberOffset(btf, sw, "ent.pid").bitOffset, 4 * 8);
  const rows = layoutOf(btf, sw);
  assert.deepEqual(rows.map((r) => r.member).slice(0, 3), ["ent", "prev_comm", "prev_pid"]);
  assert.equal(rows[1].type, "char[16]");
  assert.equal(rows[1].size, 16);
  // sk_buff's first members sit in anonymous unions/structs.
  const skb = btf.get("sk_buff", Kind.STRUCT).id;
  const next = fieldsOf(btf, skb).find((f) => f.name === "next")!;
  assert.equal(next.offset, 0);
  assert.ok(next.depth >= 1);
  assert.equal(declaration(btf, next.type), "struct sk_buff *");
  assert.throws(() => memberOffset(btf, sw, "nope"), BtfError);
});

Deno.test("layout: resolve typedef chains and declarations", () => {
  const btf = loadBtf();
  const pid = btf.get("pid_t", Kind.TYPEDEF).id;
  const int = btf.type(resolveType(btf, pid));
  assert.equal(int.kind, Kind.INT);
  assert.equal(int.name, "int");
  assert.equal(sizeOf(btf, pid), 4);
  const fops = btf.get("file_operations", Kind.STRUCT);
  const read = fieldsOf(btf, fops.id).find((f) => f.name === "read")!;
  assert.equal(
    declaration(btf, read.type, "read"),
    "ssize_t (*read)(struct file *, char *, size_t, loff_t *)",
  );
  assert.throws(() => sizeOf(btf, 0), BtfError);
});

Deno.test("btf: lookups by name and kind match bpftool's json dump", () => {
  const btf = loadBtf();
  const all = JSON.parse(
    sh("bpftool", ["-j", "btf", "dump", "file", "/sys/kernel/btf/vmlinux"]),
  ).types as { id: number; kind: string; name: string }[];
  assert.equal(btf.count, all.length + 1);
  for (const want of ["task_struct", "pid_t", "bpf_map_type", "sched_switch", "jiffies"]) {
    const ids = all.filter((t) => t.name === want).map((t) => t.id);
    assert.deepEqual(btf.findIds(want), ids, want);
  }
  // Spot-check kinds and names over the whole id range.
  for (let i = 0; i < all.length; i += 97) {
    const t = all[i];
    assert.equal(btf.nameOf(t.id), t.name === "(anon)" ? "" : t.name);
    assert.equal(btf.kindOf(t.id), Kind[t.kind as keyof typeof Kind]);
  }
});
