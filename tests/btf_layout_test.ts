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
  dumpC,
  fieldsOf,
  Kind,
  layoutOf,
  loadBtf,
  memberOffset,
  parseBtf,
  resolveType,
  sizeOf,
} from "../mod.ts";
import type { Btf, Member } from "../mod.ts";
import { BtfBuilder } from "./btf_builder.ts";
import { buildDir, sh } from "./tools.ts";

const BUILD = buildDir("layout");
const BPF = new URL("./bpf/", import.meta.url).pathname;

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

/** Struct and union names that occur once in `btf` (so C names them unambiguously). */
function uniqueTags(btf: Btf): Set<string> {
  const seen = new Map<string, number>();
  for (let id = 1; id < btf.count; id++) {
    const k = btf.kindOf(id);
    if (k === Kind.STRUCT || k === Kind.UNION || k === Kind.ENUM || k === Kind.ENUM64) {
      const n = btf.nameOf(id);
      seen.set(n, (seen.get(n) ?? 0) + 1);
    }
  }
  return new Set([...seen].filter(([n, c]) => n !== "" && c === 1).map(([n]) => n));
}

Deno.test("layout: sizes, alignments and offsets of every kernel struct agree with clang", () => {
  // Against our own vmlinux.h (bpftool 7.1's mislays 1-byte enums). Not
  // struct warn_args: vmlinux.h's va_list is the BPF target's (8 bytes), not
  // the kernel's (24).
  const btf = loadBtf();
  Deno.writeTextFileSync(`${BUILD}vmlinux_all.h`, dumpC(btf));
  const unique = uniqueTags(btf);
  const lines = ['#include "vmlinux_all.h"'];
  let structs = 0;
  for (let id = 1; id < btf.count; id++) {
    const k = btf.kindOf(id), name = btf.nameOf(id);
    if ((k !== Kind.STRUCT && k !== Kind.UNION) || !unique.has(name)) continue;
    if (name === "warn_args") continue;
    const t = `${k === Kind.STRUCT ? "struct" : "union"} ${name}`;
    lines.push(`_Static_assert(_Alignof(${t}) == ${alignOf(btf, id)}, "align ${name}");`);
    lines.push(`_Static_assert(sizeof(${t}) == ${sizeOf(btf, id)}, "size ${name}");`);
    for (const f of fieldsOf(btf, id)) {
      if (f.bitfieldSize) continue;
      lines.push(
        `_Static_assert(__builtin_offsetof(${t}, ${f.name}) == ${f.offset}, "${name}.${f.name}");`,
      );
    }
    structs++;
  }
  const src = `${BUILD}asserts_all.c`;
  Deno.writeTextFileSync(src, lines.join("\n") + "\n");
  sh("clang", ["-target", "bpf", "-fsyntax-only", "-I", BUILD, src]);
  assert.ok(structs > 1000, `only ${structs} structs`);
});

Deno.test("layout: 16-byte integers and floats align to 16 on 64-bit BTF, as clang does", () => {
  const b = new BtfBuilder();
  const char = b.int("char", 1, { signed: true });
  const i128 = b.int("__int128", 16, { signed: true });
  const ld = b.float("long double", 16);
  const s = b.struct("s", 32, [
    { name: "c", type: char, bitOffset: 0 },
    { name: "x", type: i128, bitOffset: 128 },
  ]);
  // At byte 8, the same member means a packed struct.
  const p = b.struct("p", 24, [
    { name: "c", type: char, bitOffset: 0 },
    { name: "x", type: i128, bitOffset: 64 },
  ]);
  const btf = parseBtf(b.build());
  assert.equal(alignOf(btf, i128), 16);
  assert.equal(alignOf(btf, ld), 16);
  assert.equal(alignOf(btf, s), 16);
  assert.equal(alignOf(btf, p), 1);
  const src = `${BUILD}int128.c`;
  Deno.writeTextFileSync(
    src,
    [
      `_Static_assert(_Alignof(__int128) == ${alignOf(btf, i128)}, "int128");`,
      `struct s { char c; __int128 x; };`,
      `_Static_assert(_Alignof(struct s) == ${alignOf(btf, s)}, "s");`,
      `_Static_assert(sizeof(struct s) == ${sizeOf(btf, s)}, "s size");`,
    ].join("\n") + "\n",
  );
  sh("clang", ["-target", "bpf", "-fsyntax-only", src]);
});

/** The named, non-bitfield members of struct `name` whose types C can name (no anonymous types, no clashing tags). */
function nameableMembers(btf: Btf, id: number, unique: Set<string>): Member[] {
  const ok = (tid: number, depth = 0): boolean => {
    if (tid === 0) return true;
    if (depth > 64) return false;
    const t = btf.type(tid);
    switch (t.kind) {
      case Kind.STRUCT:
      case Kind.UNION:
      case Kind.ENUM:
      case Kind.ENUM64:
      case Kind.FWD:
        return unique.has(t.name);
      case Kind.INT:
      case Kind.FLOAT:
      case Kind.TYPEDEF:
        return true;
      case Kind.FUNC_PROTO:
        return ok(t.type, depth + 1) && t.params.every((p) => ok(p.type, depth + 1));
      case Kind.PTR:
      case Kind.ARRAY:
      case Kind.CONST:
      case Kind.VOLATILE:
      case Kind.RESTRICT:
      case Kind.TYPE_TAG:
        return ok(t.type, depth + 1);
      default:
        return false;
    }
  };
  const t = btf.type(id);
  if (t.kind !== Kind.STRUCT && t.kind !== Kind.UNION) return [];
  return t.members.filter((m) => m.name !== "" && !m.bitfieldSize && ok(m.type));
}

/**
 * `_Static_assert`s that `declaration()` of every nameable member of the
 * given structs names the member's exact type (qualifiers included: the
 * types of pointers to the two are compared) and that `sizeOf` is its size.
 */
function declarationAsserts(btf: Btf, ids: number[]): string[] {
  const unique = uniqueTags(btf);
  const tdCount = new Map<string, number>();
  for (let id = 1; id < btf.count; id++) {
    if (btf.kindOf(id) === Kind.TYPEDEF) {
      tdCount.set(btf.nameOf(id), (tdCount.get(btf.nameOf(id)) ?? 0) + 1);
    }
  }
  const lines: string[] = [];
  let i = 0;
  for (const id of ids) {
    const tag = `${btf.kindOf(id) === Kind.STRUCT ? "struct" : "union"} ${btf.nameOf(id)}`;
    for (const m of nameableMembers(btf, id, unique)) {
      const named = declaration(btf, m.type, m.name);
      const bare = declaration(btf, m.type);
      // A typedef name used twice is renamed in vmlinux.h.
      if ([...named.matchAll(/\w+/g)].some((w) => (tdCount.get(w[0]) ?? 0) > 1)) continue;
      const mine = `((struct d_${i} *)0)->${m.name}`, theirs = `((${tag} *)0)->${m.name}`;
      lines.push(
        `struct d_${i} { ${named}; };`,
        `_Static_assert(__builtin_types_compatible_p(__typeof__(&${mine}), __typeof__(&${theirs})), "decl ${tag}.${m.name}: ${named}");`,
        `_Static_assert(__builtin_types_compatible_p(__typeof__(${theirs}), ${bare}), "type ${tag}.${m.name}: ${bare}");`,
      );
      let size = 0;
      try {
        size = sizeOf(btf, m.type);
      } catch (e) {
        if (!(e instanceof BtfError)) throw e;
      }
      // (0: a flexible array, whose sizeof C refuses.)
      if (size) lines.push(`_Static_assert(sizeof(${theirs}) == ${size}, "size ${m.name}");`);
      i++;
    }
  }
  return lines;
}

Deno.test("layout: declaration() of every kernel struct member names its type, as clang sees it", () => {
  const btf = loadBtf();
  Deno.writeTextFileSync(`${BUILD}vmlinux_decl.h`, dumpC(btf));
  const unique = uniqueTags(btf);
  const ids: number[] = [];
  for (let id = 1; id < btf.count; id++) {
    const k = btf.kindOf(id), name = btf.nameOf(id);
    // warn_args: vmlinux.h's va_list is the BPF target's, not the kernel's.
    if ((k === Kind.STRUCT || k === Kind.UNION) && unique.has(name) && name !== "warn_args") {
      ids.push(id);
    }
  }
  const lines = declarationAsserts(btf, ids);
  assert.ok(lines.length > 100_000, `only ${lines.length} lines`);
  const src = `${BUILD}decl_all.c`;
  Deno.writeTextFileSync(src, ['#include "vmlinux_decl.h"', ...lines].join("\n") + "\n");
  sh("clang", ["-target", "bpf", "-fsyntax-only", "-I", BUILD, src]);
});

Deno.test("layout: declaration() of qualifier chains, function pointers and arrays", () => {
  // The tricky object's own source is the reference: its members' types
  // must be the ones declaration() spells.
  const obj = `${BUILD}layout_tricky.o`;
  sh("clang", ["-g", "-O2", "-target", "bpf", "-c", `${BPF}dump_c_tricky.bpf.c`, "-o", obj]);
  const btf = loadBtf(obj);
  const ids = ["fnptrs", "fn_arrays", "outer", "bits_gap", "flex", "hole"].map((n) =>
    btf.get(n, Kind.STRUCT).id
  );
  const lines = declarationAsserts(btf, ids);
  assert.ok(lines.length > 100, `only ${lines.length} lines`);
  const src = `${BUILD}decl_tricky.c`;
  Deno.writeTextFileSync(src, [`#include "${BPF}dump_c_tricky.bpf.c"`, ...lines].join("\n") + "\n");
  sh("clang", ["-target", "bpf", "-fsyntax-only", src]);
  const fa = btf.get("fn_arrays", Kind.STRUCT).id;
  const decl = (m: string) => {
    const f = fieldsOf(btf, fa).find((x) => x.name === m)!;
    return declaration(btf, f.type, m);
  };
  assert.equal(decl("cvp_cv"), "const volatile int *const volatile cvp_cv");
  assert.equal(decl("pp"), "const volatile char *const *volatile pp");
  assert.equal(decl("p"), "char (*p)[16]");
  assert.equal(decl("pc"), "char (*const pc)[16]");
  assert.equal(decl("grid"), "int (*grid[2][3])(void *, int)");
  assert.equal(decl("arr_fp_ret_fp"), "int (*(*arr_fp_ret_fp[2])(int))(long)");
});

Deno.test("layout: declaration() puts qualifiers behind type tags on the pointer", () => {
  const b = new BtfBuilder();
  const int = b.int("int", 4, { signed: true });
  // const -> type tag -> volatile -> pointer -> int: `int *const volatile`.
  const ptr = b.ptr(int);
  const chain = b.const(b.typeTag("rcu", b.volatile(ptr)));
  // const -> type tag -> int: `const int`.
  const cint = b.const(b.typeTag("user", int));
  const pcv = b.ptr(b.const(0));
  const btf = parseBtf(b.build());
  assert.equal(declaration(btf, chain, "p"), "int *const volatile p");
  assert.equal(declaration(btf, chain), "int *const volatile");
  assert.equal(declaration(btf, cint, "x"), "const int x");
  assert.equal(declaration(btf, pcv, "v"), "const void *v");
});
