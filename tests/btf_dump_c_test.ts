// C dump (vmlinux.h) tests. Golden outputs come from bpftool and clang at
// test time: the kernel header is compared with bpftool's, BPF programs are
// compiled against both, and headers dumped from objects are compiled again
// to check that every struct keeps its layout.
import assert from "node:assert/strict";
import { BtfError, dumpC, Kind, loadBtf, parseBtf } from "../mod.ts";
import type { Btf, Member } from "../mod.ts";
import { BtfBuilder } from "./btf_builder.ts";
import { primeBlob } from "../btf/dump_c_prime.ts";
import { buildPrimeBlob } from "./prime_blob.ts";
import { sh } from "./tools.ts";

const BPF = new URL("./bpf/", import.meta.url).pathname;
const VMLINUX = "/sys/kernel/btf/vmlinux";
// One build directory per run, so that two runs of this file at once (two
// developers' `deno test` in one tree) never compile each other's headers
// while they are being rewritten. Removed at exit unless KEEP_BUILD is set.
const ROOT = new URL("./build/", import.meta.url).pathname;
Deno.mkdirSync(ROOT, { recursive: true });
const BUILD = Deno.makeTempDirSync({ dir: ROOT, prefix: "dump_c-" }) + "/";
globalThis.addEventListener("unload", () => {
  if (!Deno.env.get("KEEP_BUILD")) Deno.removeSync(BUILD, { recursive: true });
});

const dec = new TextDecoder();

const run = sh;

async function runAsync(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${dec.decode(out.stderr).slice(0, 4000)}`);
  }
}

/** `clang -g -O2 -target bpf -c` with extra include directories. */
function clangBpf(src: string, obj: string, includes: string[]): void {
  run("clang", [
    "-g",
    "-O2",
    "-target",
    "bpf",
    ...includes.map((d) => `-I${d}`),
    "-I/usr/include",
    "-c",
    src,
    "-o",
    obj,
  ]);
}

interface JType {
  id: number;
  kind: string;
  name: string;
  size?: number;
  type_id?: number;
  ret_type_id?: number;
  nr_elems?: number;
  encoding?: string;
  nr_bits?: number;
  bits_offset?: number;
  members?: { name: string; type_id: number; bits_offset: number; bitfield_size?: number }[];
  params?: { name: string; type_id: number }[];
  values?: { name: string; val: number }[];
}

/** bpftool's raw dump as JSON, indexed by id. */
function bpftoolTypes(path: string): Map<number, JType> {
  const json = JSON.parse(run("bpftool", ["-j", "btf", "dump", "file", path])) as {
    types: JType[];
  };
  return new Map(json.types.map((t) => [t.id, t]));
}

/**
 * A description of type `id` from a bpftool raw dump that does not depend
 * on type ids: named structs, unions and enums referred to from elsewhere
 * are named, anonymous ones are spelled out, so two objects whose types
 * came in a different order still compare equal.
 */
function describe(types: Map<number, JType>, id: number, top = true, depth = 0): string {
  if (id === 0) return "void";
  if (depth > 40) return "...";
  const t = types.get(id)!;
  const d = (x: number) => describe(types, x, false, depth + 1);
  switch (t.kind) {
    case "STRUCT":
    case "UNION": {
      if (!top && t.name !== "(anon)") return `${t.kind} ${t.name}`;
      const ms = t.members!.map((m) =>
        `${m.name}@${m.bits_offset}${m.bitfield_size ? `:${m.bitfield_size}` : ""} ${d(m.type_id)}`
      );
      return `${t.kind} ${t.name} size=${t.size} { ${ms.join("; ")} }`;
    }
    case "ENUM":
    case "ENUM64":
      if (!top && t.name !== "(anon)") return `${t.kind} ${t.name}`;
      return `${t.kind} ${t.name} size=${t.size} ${t.encoding} {${
        t.values!.map((v) => `${v.name}=${v.val}`).join(",")
      }}`;
    case "INT":
      return `INT ${t.name} size=${t.size} bits=${t.nr_bits}@${t.bits_offset} ${t.encoding}`;
    case "FLOAT":
      return `FLOAT ${t.name} size=${t.size}`;
    case "FWD":
      return `FWD ${t.name}`;
    case "PTR":
      return `*${d(t.type_id!)}`;
    case "ARRAY":
      return `[${t.nr_elems}]${d(t.type_id!)}`;
    case "TYPEDEF":
      return top ? `typedef ${t.name} = ${d(t.type_id!)}` : `typedef ${t.name}`;
    case "CONST":
    case "VOLATILE":
    case "RESTRICT":
      return `${t.kind.toLowerCase()} ${d(t.type_id!)}`;
    case "TYPE_TAG":
      return `tag(${t.name}) ${d(t.type_id!)}`;
    case "FUNC_PROTO":
      return `fn(${t.params!.map((p) => d(p.type_id)).join(", ")}) -> ${d(t.ret_type_id!)}`;
    default:
      return `${t.kind} ${t.name}`;
  }
}

/** Descriptions of every named struct, union, enum and typedef, by "kind name". */
function namedDescriptions(path: string): Map<string, string> {
  const types = bpftoolTypes(path);
  const out = new Map<string, string>();
  for (const t of types.values()) {
    if (t.name === "(anon)") continue;
    if (!["STRUCT", "UNION", "ENUM", "ENUM64", "TYPEDEF"].includes(t.kind)) continue;
    out.set(`${t.kind} ${t.name}`, describe(types, t.id));
  }
  return out;
}

/** The changed lines of `diff a b`, as [ours, theirs] line lists. */
function diffLines(a: string, b: string): { ours: string[]; theirs: string[] } {
  const out = new Deno.Command("diff", { args: [a, b], stdout: "piped" }).outputSync();
  const lines = dec.decode(out.stdout).split("\n");
  return {
    ours: lines.filter((l) => l.startsWith("< ")).map((l) => l.slice(2)),
    theirs: lines.filter((l) => l.startsWith("> ")).map((l) => l.slice(2)),
  };
}

/**
 * Checks that ours differs from bpftool's only where bpftool 7.1 (libbpf
 * 1.1) drops the `mode(byte)`/`mode(word)` attribute that gives a 1- or
 * 8-byte enum its size (newer libbpf writes it, as we do).
 */
function assertOnlyEnumModeDiffs(ours: string, theirs: string): number {
  const d = diffLines(ours, theirs);
  for (const l of d.ours) {
    assert.match(
      l,
      /^(\} __attribute__\(\(mode\((byte|word)\)\)\);|\t\w+ = \(-9223372036854775807LL - 1\),)$/,
    );
  }
  // (libbpf writes INT64_MIN as -9223372036854775808LL, which C reads as positive.)
  for (const l of d.theirs) assert.match(l, /^(\};|\t\w+ = -9223372036854775808LL,)$/);
  return d.ours.length + d.theirs.length;
}

const haveKernelBtf = (() => {
  try {
    Deno.statSync(VMLINUX);
    return true;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "dumpC: kernel vmlinux.h matches bpftool's and builds the same BPF program",
  ignore: !haveKernelBtf,
  fn() {
    const t0 = performance.now();
    const btf = loadBtf();
    const header = dumpC(btf);
    const ms = performance.now() - t0;
    const oursDir = `${BUILD}ours/`, refDir = `${BUILD}bpftool/`;
    Deno.mkdirSync(oursDir, { recursive: true });
    Deno.mkdirSync(refDir, { recursive: true });
    Deno.writeTextFileSync(`${oursDir}vmlinux.h`, header);
    const t1 = performance.now();
    const ref = run("bpftool", ["btf", "dump", "file", VMLINUX, "format", "c"]);
    const refMs = performance.now() - t1;
    Deno.writeTextFileSync(`${refDir}vmlinux.h`, ref);

    const changed = assertOnlyEnumModeDiffs(`${oursDir}vmlinux.h`, `${refDir}vmlinux.h`);
    console.log(
      `  vmlinux.h: ${header.split("\n").length - 1} lines, ${changed} changed lines vs bpftool ` +
        `(enum mode attributes only); dumpC ${ms.toFixed(0)} ms (with parsing), ` +
        `bpftool ${refMs.toFixed(0)} ms`,
    );

    const src = `${BPF}vmlinux_user.bpf.c`;
    clangBpf(src, `${BUILD}user_ours.o`, [oursDir]);
    clangBpf(src, `${BUILD}user_bpftool.o`, [refDir]);
    const a = run("bpftool", ["btf", "dump", "file", `${BUILD}user_ours.o`]);
    const b = run("bpftool", ["btf", "dump", "file", `${BUILD}user_bpftool.o`]);
    if (a !== b) {
      // Fall back to comparing struct by struct, independent of type ids.
      const da = namedDescriptions(`${BUILD}user_ours.o`);
      const db = namedDescriptions(`${BUILD}user_bpftool.o`);
      for (const [k, v] of db) assert.equal(da.get(k), v, k);
      assert.equal(da.size, db.size);
    }
    // And the program's own structs have the kernel's layouts.
    const prog = loadBtf(`${BUILD}user_ours.o`);
    const kernelNames = compositesByName(btf), progNames = compositesByName(prog);
    let n = 0;
    for (const [name, ids] of progNames) {
      if (holdsVaList(prog, ids[0])) continue;
      assertSameLayout(btf, kernelNames, prog, progNames, name);
      n++;
    }
    assert.ok(n >= 20, `expected the program to carry many kernel structs, found ${n}`);
  },
});

/** Ids of the named structs and unions of a BTF, by name. */
function compositesByName(btf: Btf): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (let id = 1; id < btf.count; id++) {
    const k = btf.kindOf(id);
    if (k !== Kind.STRUCT && k !== Kind.UNION) continue;
    const name = btf.nameOf(id);
    if (!name) continue;
    const ids = m.get(name);
    if (ids) ids.push(id);
    else m.set(name, [id]);
  }
  return m;
}

/**
 * Whether a type holds a `va_list` by value: `__builtin_va_list` is the
 * compiler's own type, 24 bytes on x86-64 but a pointer for the BPF target,
 * so such structs legitimately change size when compiled for BPF.
 */
function holdsVaList(btf: Btf, id: number, depth = 0): boolean {
  if (id === 0 || depth > 50) return false;
  const t = btf.type(id);
  switch (t.kind) {
    case Kind.TYPEDEF:
      return t.name === "__builtin_va_list" || holdsVaList(btf, t.type, depth + 1);
    case Kind.CONST:
    case Kind.VOLATILE:
    case Kind.RESTRICT:
    case Kind.TYPE_TAG:
    case Kind.ARRAY:
      return holdsVaList(btf, t.type, depth + 1);
    case Kind.STRUCT:
    case Kind.UNION:
      return t.members.some((m) => holdsVaList(btf, m.type, depth + 1));
    default:
      return false;
  }
}

/** Asserts that the struct or union named `name` has the same layout in both BTFs. */
function assertSameLayout(
  kernel: Btf,
  kernelNames: Map<string, number[]>,
  obj: Btf,
  objNames: Map<string, number[]>,
  name: string,
): void {
  const ids = kernelNames.get(name) ?? [];
  assert.equal(ids.length, 1, `${name}: expected one kernel type`);
  const k = kernel.type(ids[0]), o = obj.type(objNames.get(name)![0]);
  assert.ok(k.kind === Kind.STRUCT || k.kind === Kind.UNION);
  assert.ok(o.kind === k.kind);
  compareComposite(kernel, k.id, obj, o.id, name);
}

function compareComposite(kb: Btf, kid: number, ob: Btf, oid: number, where: string): void {
  const k = kb.type(kid), o = ob.type(oid);
  if (k.kind !== Kind.STRUCT && k.kind !== Kind.UNION) throw new Error(`${where}: not a struct`);
  if (o.kind !== k.kind) throw new Error(`${where}: kind ${o.kind}, expected ${k.kind}`);
  assert.equal(o.size, k.size, `${where}: size`);
  assert.equal(o.members.length, k.members.length, `${where}: member count`);
  for (let i = 0; i < k.members.length; i++) {
    const km: Member = k.members[i], om: Member = o.members[i];
    const at = `${where}.${km.name || `<anon ${i}>`}`;
    assert.equal(om.name, km.name, at);
    assert.equal(om.bitOffset, km.bitOffset, `${at}: bit offset`);
    assert.equal(om.bitfieldSize, km.bitfieldSize, `${at}: bitfield size`);
    // Anonymous members are laid out inline: compare them too.
    const kt = kb.type(km.type), ot = ob.type(om.type);
    if ((kt.kind === Kind.STRUCT || kt.kind === Kind.UNION) && kt.name === "") {
      compareComposite(kb, kt.id, ob, ot.id, at);
    }
  }
}

Deno.test({
  name: "dumpC: every uniquely named kernel struct and union keeps its layout when compiled",
  ignore: !haveKernelBtf,
  async fn() {
    const btf = loadBtf();
    const dir = `${BUILD}all/`;
    Deno.mkdirSync(dir, { recursive: true });
    Deno.writeTextFileSync(`${dir}vmlinux.h`, dumpC(btf));
    const count = new Map<string, number>();
    const named: { name: string; kind: number; id: number }[] = [];
    for (let id = 1; id < btf.count; id++) {
      const k = btf.kindOf(id);
      if (k !== Kind.STRUCT && k !== Kind.UNION && k !== Kind.ENUM && k !== Kind.ENUM64) continue;
      const name = btf.nameOf(id);
      if (!name) continue;
      count.set(name, (count.get(name) ?? 0) + 1);
      if (k === Kind.STRUCT || k === Kind.UNION) named.push({ name, kind: k, id });
    }
    // Tags shared by several types are written with ___N suffixes: skip them.
    // Structs holding a va_list change size for the BPF target: skip them too.
    const todo = named.filter((t) => count.get(t.name) === 1 && !holdsVaList(btf, t.id));
    // clang's BTF emission grows faster than linearly: compile in chunks, two at a time.
    const CHUNK = 500;
    const chunks: (typeof todo)[] = [];
    for (let i = 0; i < todo.length; i += CHUNK) chunks.push(todo.slice(i, i + CHUNK));
    const compile = async (i: number) => {
      const src = `${dir}chunk${i}.c`;
      const lines = ['#include "vmlinux.h"'];
      chunks[i].forEach((t, j) =>
        lines.push(`${t.kind === Kind.STRUCT ? "struct" : "union"} ${t.name} g_${j};`)
      );
      Deno.writeTextFileSync(src, lines.join("\n") + "\n");
      await runAsync("clang", [
        "-g",
        "-O2",
        "-target",
        "bpf",
        `-I${dir}`,
        "-c",
        src,
        "-o",
        `${dir}chunk${i}.o`,
      ]);
    };
    let next = 0;
    const worker = async () => {
      while (next < chunks.length) await compile(next++);
    };
    await Promise.all([worker(), worker()]);
    let checked = 0;
    const kernelNames = compositesByName(btf);
    for (let i = 0; i < chunks.length; i++) {
      const obj = loadBtf(`${dir}chunk${i}.o`);
      const objNames = compositesByName(obj);
      for (const t of chunks[i]) {
        assertSameLayout(btf, kernelNames, obj, objNames, t.name);
        checked++;
      }
    }
    console.log(`  ${checked} kernel structs/unions compiled with the kernel's layout`);
    assert.ok(checked > 1000);
  },
});

Deno.test("dumpC: tricky C types survive BTF -> C -> clang -> BTF", () => {
  const obj = `${BUILD}tricky.o`;
  clangBpf(`${BPF}dump_c_tricky.bpf.c`, obj, []);
  const btf = loadBtf(obj);
  const header = dumpC(btf);
  const dir = `${BUILD}tricky/`;
  Deno.mkdirSync(dir, { recursive: true });
  Deno.writeTextFileSync(`${dir}tricky.h`, header);
  Deno.writeTextFileSync(
    `${dir}tricky_bpftool.h`,
    run("bpftool", ["btf", "dump", "file", obj, "format", "c"]),
  );
  assertOnlyEnumModeDiffs(`${dir}tricky.h`, `${dir}tricky_bpftool.h`);

  // Spot checks of the syntax.
  assert.match(header, /\tvoid \(\*arr\[4\]\)\(void\);/);
  assert.match(header, /\tint \(\* \(\*ret_fp\)\(int\)\)\(long\);/);
  assert.match(header, /\tchar \(\*parr\)\[8\];/);
  assert.match(header, /\tint matrix\[2\]\[3\];/);
  assert.match(header, /\tint \* const cp;/);
  assert.match(header, /\tint __attribute__\(\(btf_type_tag\("user"\)\)\) \*up;/);
  assert.match(header, /\tunsigned int c: 7;/);
  assert.match(header, /\tlong long items\[0\];/);
  assert.match(header, /^struct packed_s \{[^}]*\} __attribute__\(\(packed\)\);$/m);
  assert.doesNotMatch(header, /^struct packed_natural \{[^}]*\} __attribute__/m);
  assert.match(header, /^typedef struct \{\n\tint x;\n\tint y;\n\} point_t;$/m);
  assert.match(header, /^typedef void handler_t\(int, \.\.\.\);$/m);
  assert.match(header, /^struct later;$/m);
  assert.match(header, /^enum byte_enum \{[^}]*\} __attribute__\(\(mode\(byte\)\)\);$/m);
  assert.ok(header.indexOf("struct b_s {") < header.indexOf("struct a_s {"));
  assert.ok(header.indexOf("struct inner_named {") < header.indexOf("struct outer {"));
  assert.ok(header.indexOf("struct outer {") < header.indexOf("struct later {"));

  // Compile the dump again, keeping every named type, and compare layouts.
  const types = bpftoolTypes(obj);
  const keep = ['#include "tricky.h"'];
  let i = 0;
  for (const t of types.values()) {
    if (t.name === "(anon)") continue;
    if (t.kind === "STRUCT") keep.push(`struct ${t.name} k_${i++};`);
    else if (t.kind === "UNION") keep.push(`union ${t.name} k_${i++};`);
    else if (t.kind === "ENUM") keep.push(`enum ${t.name} k_${i++};`);
    else if (t.kind === "TYPEDEF") keep.push(`${t.name} *k_${i++};`);
  }
  Deno.writeTextFileSync(`${dir}again.c`, keep.join("\n") + "\n");
  clangBpf(`${dir}again.c`, `${BUILD}tricky_again.o`, [dir]);
  const before = namedDescriptions(obj);
  const after = namedDescriptions(`${BUILD}tricky_again.o`);
  assert.ok(before.size >= 30, `expected many named types, found ${before.size}`);
  for (const [k, v] of before) assert.equal(after.get(k), v, k);
});

/** Compiles `src` (C) with clang for BPF, syntax only; throws with clang's message on error. */
function clangCheck(name: string, src: string): void {
  const path = `${BUILD}${name}.c`;
  Deno.writeTextFileSync(path, src);
  run("clang", ["-target", "bpf", "-fsyntax-only", "-Werror", path]);
}

Deno.test("dumpC: hand-made BTF: name clashes, signed and 64-bit enums, packing", () => {
  const b = new BtfBuilder();
  const int = b.int("int", 4, { signed: true });
  const char = b.int("char", 1, { signed: true });
  const long = b.int("long int", 8, { signed: true });
  const dup1 = b.struct("dup", 4, [{ name: "a", type: int, bitOffset: 0 }]);
  const dup2 = b.struct("dup", 8, [{ name: "b", type: long, bitOffset: 0 }]);
  const e1 = b.enum("flags", 4, [["F_NEG", -7], ["F_POS", 3]], true);
  // An enumerator name used twice gets a suffix, like the second tag.
  const e2 = b.enum("flags", 4, [["F_POS", 9]]);
  const e64 = b.enum64("wide", 8, [["W_MIN", -(1n << 63n)], ["W_MAX", (1n << 63n) - 1n]], true);
  const eu64 = b.enum64("uwide", 8, [["U_BIG", 0xfedcba9876543210n]]);
  // A struct whose long sits at offset 1: it needs packed.
  const packed = b.struct("pk", 9, [
    { name: "c", type: char, bitOffset: 0 },
    { name: "l", type: long, bitOffset: 8 },
  ]);
  // An int at byte 8 after a char: explicit padding, no packed.
  const holey = b.struct("holey", 12, [
    { name: "c", type: char, bitOffset: 0 },
    { name: "i", type: int, bitOffset: 64 },
  ]);
  const user = b.struct("user", 64, [
    { name: "d1", type: dup1, bitOffset: 0 },
    { name: "d2", type: dup2, bitOffset: 64 },
    { name: "f1", type: e1, bitOffset: 128 },
    { name: "f2", type: e2, bitOffset: 160 },
    { name: "w", type: e64, bitOffset: 192 },
    { name: "u", type: eu64, bitOffset: 256 },
    { name: "p", type: packed, bitOffset: 320 },
    { name: "h", type: holey, bitOffset: 416 },
  ]);
  const btf = parseBtf(b.build());
  const h = dumpC(btf);
  assert.match(h, /^struct dup \{\n\tint a;\n\};$/m);
  assert.match(h, /^struct dup___2 \{\n\tlong int b;\n\};$/m);
  assert.match(h, /\tstruct dup___2 d2;/);
  assert.match(h, /^enum flags___2 \{\n\tF_POS___2 = 9,\n\};$/m);
  assert.match(h, /\tF_NEG = -7,/);
  assert.match(h, /\tW_MIN = \(-9223372036854775807LL - 1\),/);
  assert.match(h, /\tW_MAX = 9223372036854775807LL,/);
  assert.match(h, /\tU_BIG = 18364758544493064720ULL,/);
  assert.match(h, /^struct pk \{[^}]*\} __attribute__\(\(packed\)\);$/m);
  assert.match(h, /^struct holey \{\n\tchar c;\n\tlong: 0;\n\tint i;\n\};$/m);
  assert.ok(user > 0);
  const checks = [
    '#include "dump_c_builder.h"',
    '_Static_assert(sizeof(struct user) == 64, "user");',
    '_Static_assert(sizeof(struct pk) == 9, "pk");',
    '_Static_assert(__builtin_offsetof(struct pk, l) == 1, "pk.l");',
    '_Static_assert(sizeof(struct holey) == 12, "holey");',
    '_Static_assert(__builtin_offsetof(struct holey, i) == 8, "holey.i");',
    '_Static_assert(__builtin_offsetof(struct user, h) == 52, "user.h");',
    '_Static_assert(sizeof(enum wide) == 8 && sizeof(enum uwide) == 8, "enum64");',
    '_Static_assert(F_NEG == -7 && W_MIN < 0 && U_BIG == 0xfedcba9876543210ULL, "values");',
  ];
  Deno.writeTextFileSync(`${BUILD}dump_c_builder.h`, h);
  Deno.writeFileSync(`${BUILD}dump_c_builder.btf`, b.build());
  Deno.writeTextFileSync(
    `${BUILD}dump_c_builder_bpftool.h`,
    run("bpftool", ["btf", "dump", "file", `${BUILD}dump_c_builder.btf`, "format", "c"]),
  );
  assertOnlyEnumModeDiffs(`${BUILD}dump_c_builder.h`, `${BUILD}dump_c_builder_bpftool.h`);
  clangCheck("dump_c_builder", checks.join("\n") + "\n");
});

Deno.test("dumpC: the blob that primes the engine is what tests/prime_blob.ts builds", () => {
  // Held as base64 in btf/dump_c_prime.ts; built in host byte order.
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) return;
  assert.deepEqual(primeBlob(), buildPrimeBlob());
});

Deno.test("dumpC: the blob that primes the engine dumps without error, with bpftool's definitions", () => {
  // btf/dump_c_prime.ts: a whole dump of a large BTF first dumps this blob
  // (into nothing) and ignores its errors, so an error here would go unseen.
  const bytes = primeBlob();
  const ours = dumpC(parseBtf(bytes));
  Deno.writeFileSync(`${BUILD}prime.btf`, bytes);
  const theirs = run("bpftool", ["btf", "dump", "file", `${BUILD}prime.btf`, "format", "c"]);
  // Every top-level definition, its name and ___N suffix, in bpftool's order
  // (bodies differ where documented: enum modes, INT64_MIN, unnamed members).
  const heads = (h: string) => h.split("\n").filter((l) => /^(struct|union|enum|typedef) /.test(l));
  assert.deepEqual(heads(ours), heads(theirs));
  assert.ok(heads(ours).length > 100);
});

Deno.test("dumpC: ids option emits only what the given types need, compilably", () => {
  const b = new BtfBuilder();
  const int = b.int("int", 4, { signed: true });
  const unrelated = b.struct("unrelated", 4, [{ name: "x", type: int, bitOffset: 0 }]);
  const inner = b.struct("inner", 4, [{ name: "x", type: int, bitOffset: 0 }]);
  const fwdSelf = b.nextId + 1;
  const ptr = b.ptr(fwdSelf);
  const node = b.struct("node", 16, [
    { name: "in", type: inner, bitOffset: 0 },
    { name: "next", type: ptr, bitOffset: 64 },
  ]);
  assert.equal(node, fwdSelf);
  const td = b.typedef("node_t", node);
  const btf = parseBtf(b.build());
  const h = dumpC(btf, { ids: [td] });
  assert.ok(!h.includes("unrelated"));
  assert.ok(h.indexOf("struct inner {") < h.indexOf("struct node {"));
  assert.match(h, /^typedef struct node node_t;$/m);
  assert.ok(unrelated > 0);
  Deno.writeTextFileSync(`${BUILD}dump_c_ids.h`, h);
  clangCheck(
    "dump_c_ids",
    '#include "dump_c_ids.h"\n_Static_assert(sizeof(node_t) == 16, "node");\n',
  );
  assert.throws(() => dumpC(btf, { ids: [btf.count] }), BtfError);
  assert.throws(() => dumpC(btf, { ids: [1.5] }), BtfError);
});

Deno.test("dumpC: split BTF dumps like bpftool -B base", () => {
  const base = new BtfBuilder();
  const int = base.int("int", 4, { signed: true });
  const pair = base.struct("pair", 8, [
    { name: "a", type: int, bitOffset: 0 },
    { name: "b", type: int, bitOffset: 32 },
  ]);
  const baseBlob = base.build();
  const baseBtf = parseBtf(baseBlob);
  const split = new BtfBuilder({ base: baseBtf });
  const ptr = split.ptr(pair);
  split.struct("holder", 16, [
    { name: "p", type: ptr, bitOffset: 0 },
    { name: "v", type: pair, bitOffset: 64 },
  ]);
  // A second "pair" in the split part clashes with the base's.
  split.struct("pair", 4, [{ name: "only", type: int, bitOffset: 0 }]);
  const splitBlob = split.build();
  Deno.writeFileSync(`${BUILD}dump_c_base.btf`, baseBlob);
  Deno.writeFileSync(`${BUILD}dump_c_split.btf`, splitBlob);
  const ours = dumpC(parseBtf(splitBlob, { base: baseBtf }));
  const ref = run("bpftool", [
    "-B",
    `${BUILD}dump_c_base.btf`,
    "btf",
    "dump",
    "file",
    `${BUILD}dump_c_split.btf`,
    "format",
    "c",
  ]);
  assert.equal(ours, ref);
  assert.match(ours, /^struct pair___2 \{$/m);
});

Deno.test({
  name: "dumpC: kernel subset by ids compiles",
  ignore: !haveKernelBtf,
  fn() {
    const btf = loadBtf();
    const ids = ["task_struct", "sk_buff", "trace_event_raw_sched_switch"].map((n) =>
      btf.get(n, Kind.STRUCT).id
    );
    const h = dumpC(btf, { ids });
    Deno.writeTextFileSync(`${BUILD}dump_c_subset.h`, h);
    clangCheck(
      "dump_c_subset",
      [
        '#include "dump_c_subset.h"',
        `_Static_assert(sizeof(struct task_struct) == ${
          (btf.get("task_struct", Kind.STRUCT) as { size: number }).size
        }, "task");`,
        `_Static_assert(sizeof(struct sk_buff) == ${
          (btf.get("sk_buff", Kind.STRUCT) as { size: number }).size
        }, "skb");`,
      ].join("\n") + "\n",
    );
    assert.ok(h.length < dumpC(btf).length);
  },
});

Deno.test("dumpC: hostile BTF gives BtfError, not a hang or a stack overflow", () => {
  const cases: [string, (b: BtfBuilder) => void][] = [
    ["struct containing itself", (b) => {
      const int = b.int("int", 4, { signed: true });
      const self = b.nextId;
      b.struct("self", 8, [
        { name: "x", type: int, bitOffset: 0 },
        { name: "me", type: self, bitOffset: 32 },
      ]);
    }],
    ["struct containing an array of itself", (b) => {
      const int = b.int("int", 4, { signed: true });
      const self = b.nextId + 1;
      const arr = b.array(self, int, 2);
      b.struct("arrself", 8, [{ name: "a", type: arr, bitOffset: 0 }]);
    }],
    ["two structs containing each other", (b) => {
      const a = b.nextId, bb = b.nextId + 1;
      b.struct("a", 4, [{ name: "b", type: bb, bitOffset: 0 }]);
      b.struct("b", 4, [{ name: "a", type: a, bitOffset: 0 }]);
    }],
    ["typedef cycle", (b) => {
      const t1 = b.nextId, t2 = b.nextId + 1;
      b.typedef("t1", t2);
      b.typedef("t2", t1);
    }],
    ["pointer to itself", (b) => {
      b.ptr(b.nextId);
    }],
    ["const cycle behind a struct member", (b) => {
      const c = b.nextId + 1;
      b.struct("holder", 8, [{ name: "p", type: c, bitOffset: 0 }]);
      b.const(c + 1);
      b.volatile(c);
    }],
    ["typedef through pointer to itself", (b) => {
      const p = b.nextId + 1;
      b.typedef("loop_t", p);
      b.ptr(p - 1);
    }],
    ["very long typedef chain, outermost first", (b) => {
      // t0 -> t1 -> ... -> int: dumping t0 walks the whole chain at once.
      const n = 20000, first = b.nextId;
      for (let i = 0; i < n; i++) b.typedef(`t${i}`, first + i + 1);
      b.int("int", 4, { signed: true });
    }],
    ["very deep anonymous nesting", (b) => {
      let prev = b.int("int", 4, { signed: true });
      for (let i = 0; i < 5000; i++) {
        prev = b.struct("", 4, [{ name: "x", type: prev, bitOffset: 0 }]);
      }
      b.struct("top", 4, [{ name: "x", type: prev, bitOffset: 0 }]);
    }],
    ["member past the end of its struct", (b) => {
      const int = b.int("int", 4, { signed: true });
      b.struct("far", 8, [{ name: "x", type: int, bitOffset: 0xffffff00 }]);
    }],
    ["a 4 GiB hole", (b) => {
      const int = b.int("int", 4, { signed: true });
      b.struct("huge", 0xfffffff0, [{ name: "x", type: int, bitOffset: 0 }]);
    }],
    ["member type out of range", (b) => {
      b.struct("bad", 4, [{ name: "x", type: 999, bitOffset: 0 }]);
    }],
    ["member of function kind", (b) => {
      const proto = b.funcProto(0, []);
      const fn = b.func("f", proto);
      b.struct("bad", 4, [{ name: "x", type: fn, bitOffset: 0 }]);
    }],
  ];
  // The same chain innermost first is plain C and dumps fine.
  const ok = new BtfBuilder();
  let prev = ok.int("int", 4, { signed: true });
  for (let i = 0; i < 20000; i++) prev = ok.typedef(`t${i}`, prev);
  assert.match(dumpC(parseBtf(ok.build())), /^typedef t19998 t19999;$/m);
  for (const [what, make] of cases) {
    const b = new BtfBuilder();
    make(b);
    const btf = parseBtf(b.build());
    assert.throws(() => dumpC(btf), BtfError, what);
  }
});

Deno.test("dumpC: reused anonymous types are written at every use, within a work budget", () => {
  // Each level holds two members of the anonymous union below it (BTF dedup
  // merges identical anonymous types, so reuse is legitimate): 2^levels copies.
  const doubling = (levels: number, proto = false) => {
    const b = new BtfBuilder();
    let t = b.int("int", 4, { signed: true });
    if (proto) {
      for (let i = 0; i < levels; i++) {
        t = b.ptr(b.funcProto(t, [{ name: "a", type: t }, { name: "b", type: t }]));
      }
      b.struct("holder", 8, [{ name: "f", type: b.typedef("fp", t), bitOffset: 0 }]);
    } else {
      t = b.struct("", 4, [{ name: "x", type: t, bitOffset: 0 }]);
      for (let i = 0; i < levels; i++) {
        t = b.union("", 4, [{ name: `a${i}`, type: t, bitOffset: 0 }, {
          name: `b${i}`,
          type: t,
          bitOffset: 0,
        }]);
      }
      b.struct("wide", 4, [{ name: "w", type: t, bitOffset: 0 }]);
    }
    return parseBtf(b.build());
  };
  const small = dumpC(doubling(4));
  assert.equal(small.match(/\bint x;/g)?.length, 16);
  clangCheck("anon_reuse", small + "struct wide w;\n");
  const fp = dumpC(doubling(3, true));
  assert.match(fp, /^typedef int \(\* \(\* \(\*fp\)\(int .*\);$/m);
  clangCheck("proto_reuse", fp + "struct holder h;\n");
  for (const proto of [false, true]) {
    const t0 = performance.now();
    assert.throws(
      () => dumpC(doubling(60, proto)),
      (e: unknown) =>
        e instanceof BtfError &&
        /^expected C output within \d+ lines, found more: .* too deeply, at type \[\d+\]/.test(
          e.message,
        ),
    );
    assert.ok(performance.now() - t0 < 2000, "the budget stops the walk early");
  }
});
