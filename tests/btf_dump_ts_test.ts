// dumpTs: TypeScript declarations from BTF, checked with `deno check`: every
// kernel struct and union together; the test objects' declarations against a
// use of every field (the expected types taken from what the views return at
// run time) where wrong uses must fail; hostile names never break out.
import assert from "node:assert/strict";
import {
  ArrayView,
  type Btf,
  BtfError,
  dumpTs,
  Kind,
  loadBtf,
  mapBtf,
  parseBtf,
  resolveType,
  tsNames,
} from "../mod.ts";
import { BtfBuilder } from "./btf_builder.ts";
import { corpus } from "./btf_hostile_worker.ts";
import { buildDir, clangBpf, cliSync } from "./tools.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const BUILD = buildDir("ts");
const dec = new TextDecoder();

/**
 * `deno check` of `files` without the project's config (which excludes
 * tests/build/); returns the diagnostics, "" when they pass.
 */
function denoCheck(files: string[]): { ok: boolean; out: string; ms: number } {
  const t0 = performance.now();
  const r = new Deno.Command(Deno.execPath(), {
    args: ["check", "--no-config", "--quiet", ...files],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).outputSync();
  const ms = performance.now() - t0;
  return { ok: r.success, out: dec.decode(r.stdout) + dec.decode(r.stderr), ms };
}

function objectFile(name: string): string {
  const obj = `${BUILD}${name}.o`;
  clangBpf(`${ROOT}tests/bpf/${name}.bpf.c`, obj);
  return obj;
}

Deno.test("dumpTs: the declarations of every kernel struct and union pass deno check together", () => {
  const btf = loadBtf();
  const t0 = performance.now();
  const ts = dumpTs(btf);
  const genMs = performance.now() - t0;
  const file = `${BUILD}vmlinux.ts`;
  // A comment unique to this run, so that deno check does not answer from its cache.
  Deno.writeTextFileSync(file, `// run ${Date.now()}\n${ts}`);
  // Every named struct and union is declared, under its own name unless it clashes.
  const names = tsNames(btf);
  const declared = new Set([...ts.matchAll(/^export interface (\S+) \{$/gm)].map((m) => m[1]));
  let named = 0, renamed = 0;
  for (let id = 1; id < btf.count; id++) {
    const k = btf.kindOf(id);
    if ((k !== Kind.STRUCT && k !== Kind.UNION) || btf.nameOf(id) === "") continue;
    named++;
    assert.ok(declared.has(names.get(id)!), `${btf.nameOf(id)} (${id})`);
    if (names.get(id) !== btf.nameOf(id)) renamed++;
  }
  const r = denoCheck([file]);
  assert.ok(r.ok, r.out.slice(0, 4000));
  console.log(
    `  ${declared.size} interfaces (${named} named structs/unions, ${renamed} renamed for clashes), ` +
      `${ts.length >> 10} KiB generated in ${genMs.toFixed(0)} ms; deno check ${
        (r.ms / 1000).toFixed(1)
      } s`,
  );
});

Deno.test("dumpTs: kernel types come out as the views read them", () => {
  const btf = loadBtf();
  const id = btf.get("task_struct", Kind.STRUCT).id;
  const ts = dumpTs(btf, { ids: [id] });
  const body = ts.slice(ts.indexOf("export interface task_struct {"));
  const field = (name: string) => new RegExp(`\\n  readonly ${name}: ([^;]+);`).exec(body)?.[1];
  assert.equal(field("comm"), "string");
  assert.equal(field("pid"), "number");
  assert.equal(field("start_time"), "bigint");
  assert.equal(field("stack"), "bigint"); // a pointer
  assert.equal(field("se"), "BtfView<sched_entity>");
  assert.match(ts, /\nexport interface sched_entity \{/);
  assert.match(body, /\n {2}\/\*\* `char comm\[16\]` at byte \d+ \*\/\n {2}readonly comm: string;/);
  const safe = dumpTs(btf, { ids: [id], int64: "safe" });
  assert.match(safe, /\n {2}readonly start_time: number \| bigint;/);
  assert.throws(() => dumpTs(btf, { int64: "x" as "safe" }), BtfError);
});

Deno.test("dumpTs: the kernel's enums as const objects (and as names) pass deno check and hold every enumerator", async () => {
  const btf = loadBtf();
  const ids = [btf.get("task_struct", Kind.STRUCT).id];
  for (let id = 1; id < btf.count; id++) {
    const k = btf.kindOf(id);
    if ((k === Kind.ENUM || k === Kind.ENUM64) && btf.nameOf(id) !== "") ids.push(id);
  }
  const ts = dumpTs(btf, { ids, enums: "const" });
  const file = `${BUILD}vmlinux_enums.ts`;
  Deno.writeTextFileSync(file, `// run ${Date.now()}\n${ts}`);
  const use = `${BUILD}vmlinux_enums_use.ts`;
  Deno.writeTextFileSync(
    use,
    [
      `import * as K from ${JSON.stringify(file)};`,
      `const t: K.bpf_map_type = K.bpf_map_type.BPF_MAP_TYPE_HASH;`,
      `const one: 1 = K.bpf_map_type.BPF_MAP_TYPE_HASH;`,
      `// @ts-expect-error not a map type`,
      `const bad: K.bpf_map_type = -1;`,
      `console.log(t, one, bad);`,
      // The name form of the same enums: what views made with { enums: "name" } give.
      `import type * as KN from ${JSON.stringify(`${file}.names.ts`)};`,
      `const n: KN.bpf_map_type = "BPF_MAP_TYPE_HASH";`,
      `// @ts-expect-error not a map type's name`,
      `const badName: KN.bpf_map_type = "BPF_MAP_TYPE_NOPE";`,
      `console.log(n, badName);`,
    ].join("\n") + "\n",
  );
  Deno.writeTextFileSync(`${file}.names.ts`, dumpTs(btf, { ids, enums: "name" }));
  const r = denoCheck([file, use]);
  assert.ok(r.ok, r.out.slice(0, 4000));
  // Every named enum of the kernel is an object of its enumerators, as the views read them.
  const mod = await import(file);
  const names = tsNames(btf);
  let enums = 0, enumerators = 0;
  for (const id of ids.slice(1)) {
    const t = btf.type(id);
    if (t.kind !== Kind.ENUM && t.kind !== Kind.ENUM64) continue;
    if (t.kind === Kind.ENUM && t.size > 4) continue; // cut values: typed, no object
    const obj = mod[names.get(id)!];
    if (t.values.length === 0) {
      assert.equal(obj, undefined);
      continue;
    }
    enums++;
    const want: Record<string, number | bigint> = {};
    for (const e of t.values) {
      const v = t.signed
        ? BigInt.asIntN(8 * t.size, BigInt(e.value))
        : BigInt.asUintN(8 * t.size, BigInt(e.value));
      if (!Object.hasOwn(want, e.name)) want[e.name] = t.size === 8 ? v : Number(v);
    }
    assert.deepEqual(obj, want, btf.nameOf(id));
    enumerators += Object.keys(want).length;
  }
  // The CLI gives the same text.
  const r2 = cliSync("btf", "dump", "--format", "ts", "--enums", "const", "bpf_map_type");
  assert.equal(r2.err, "");
  assert.equal(r2.out, dumpTs(btf, { ids: [btf.get("bpf_map_type").id], enums: "const" }));
  assert.match(r2.out, /\nexport const bpf_map_type = \{\n {2}BPF_MAP_TYPE_UNSPEC: 0,\n/);
  console.log(`  ${enums} kernel enums, ${enumerators} enumerators as const objects`);
});

/** How a runtime value is typed, for the checks of the use file. */
function runtimeType(v: unknown): string | undefined {
  switch (typeof v) {
    case "number":
    case "bigint":
    case "boolean":
    case "string":
      return typeof v;
  }
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  return undefined;
}

const prop = (name: string) =>
  /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;

/**
 * Lines using `expr` (whose runtime value is `v`): assigned to the type the
 * view returned (must compile), and to `symbol` (must not).
 */
function uses(expr: string, v: unknown, depth: number, out: string[]): number {
  const t = runtimeType(v);
  let n = 0;
  const wrong = () => {
    out.push(`  // @ts-expect-error not a symbol`, `  { const _w: symbol = ${expr}; }`);
  };
  if (t) {
    out.push(`  { const _x: ${t} = ${expr}; }`);
    wrong();
    return 1;
  }
  if (v instanceof ArrayView) {
    out.push(`  { const _n: number = ${expr}.length; }`);
    wrong();
    if (v.length > 0 && depth < 4) n += uses(`${expr}[0]!`, v.at(0), depth + 1, out);
    return n + 1;
  }
  if (v && typeof v === "object" && "toObject" in v) {
    const fields =
      (Object.getPrototypeOf(v).constructor as { fields: { name: string; direct: boolean }[] })
        .fields;
    wrong();
    out.push(`  // @ts-expect-error no such member`, `  ${expr}.no_such_member_here;`);
    if (depth >= 4) return 1;
    for (const f of fields) {
      if (!f.direct) continue;
      n += uses(`${expr}${prop(f.name)}`, (v as Record<string, unknown>)[f.name], depth + 1, out);
    }
    return n + 1;
  }
  throw new Error(`unexpected value at ${expr}: ${String(v)}`);
}

Deno.test("dumpTs: the test objects' declarations type-check a use of every field, and wrong uses fail", () => {
  let fields = 0, types = 0;
  const files: string[] = [];
  for (const name of ["dump_c_tricky", "view_types", "btf_kinds"]) {
    const obj = objectFile(name);
    const btf = mapBtf(obj).btf;
    const decls = `${BUILD}${name}_types.ts`;
    const declText = dumpTs(btf);
    Deno.writeTextFileSync(decls, declText);
    if (name === "dump_c_tricky") {
      // Enums as the values views read: a packed enum's byte values; clang 14's 8-byte ENUMs
      // keep only 32 bits of their values in BTF, so those are plain bigints.
      assert.match(declText, /\nexport type byte_enum = \/\* BE_A \*\/ 1 \| \/\* BE_B \*\/ 200;/);
      assert.match(declText, /\nexport type big64 = bigint;/);
    }
    const names = tsNames(btf);
    const bytes = new Uint8Array(1 << 16);
    let x = 12345;
    for (let i = 0; i < bytes.length; i++) bytes[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
    const lines = [
      // btf/ alone (mod.ts brings npm packages, which need the project's config).
      `import { loadBtf } from ${JSON.stringify(`${ROOT}btf/load.ts`)};`,
      `import type * as T from ${JSON.stringify(decls)};`,
      `const btf = loadBtf(${JSON.stringify(obj)});`,
      `const bytes = new Uint8Array(${bytes.length});`,
    ];
    for (let id = 1; id < btf.count; id++) {
      const k = btf.kindOf(id);
      if (k !== Kind.STRUCT && k !== Kind.UNION && k !== Kind.DATASEC) continue;
      if (k !== Kind.DATASEC && btf.nameOf(id) === "") continue;
      let v: unknown;
      let V: unknown;
      try {
        V = btf.view(id);
        v = new (V as new (b: ArrayBuffer, o: number) => unknown)(bytes.buffer, 0);
      } catch (e) {
        if (e instanceof BtfError) continue; // a type views cannot read (function members...)
        throw e;
      }
      types++;
      const tn = names.get(id)!;
      lines.push(`{`, `  const V = btf.view<T.${tn}>(${id});`, `  const v = new V(bytes);`);
      lines.push(`  v.rebind(0); v.toObject();`);
      const first = (V as unknown as { fields: { name: string; direct: boolean }[] }).fields
        .find((f) => f.direct);
      if (first) {
        lines.push(`  // @ts-expect-error members are read-only`);
        lines.push(`  v${prop(first.name)} = v${prop(first.name)};`);
      }
      fields += uses("v", v, 0, lines);
      lines.push(`}`);
    }
    // A BPF object's data sections take their interfaces too.
    const bss = btf.findIds(".bss").find((i) => btf.kindOf(i) === Kind.DATASEC);
    if (bss !== undefined) {
      const g = btf.type(bss) as unknown as { vars: { type: number }[] };
      const first = btf.nameOf(g.vars[0].type);
      lines.push(
        `import type { BpfObject } from ${JSON.stringify(`${ROOT}perf/object.ts`)};`,
        `declare const obj: BpfObject;`,
        `{`,
        `  const s = obj.section<T.${names.get(bss)}>(".bss");`,
        `  const _g: object = s.${first};`,
        `  // @ts-expect-error no such global`,
        `  s.no_such_global;`,
        `}`,
      );
    }
    // The const form (checked for every object): enumerators by name, their values as the
    // type, the same field types.
    const consts = `${BUILD}${name}_const.ts`;
    Deno.writeTextFileSync(consts, dumpTs(btf, { enums: "const" }));
    lines.push(`import * as C from ${JSON.stringify(consts)};`, `console.log(C);`);
    if (name === "dump_c_tricky") {
      lines.push(
        `{`,
        `  const v = new (btf.view<C.outer>("outer"))(bytes);`,
        `  const be: C.byte_enum = v.be;`,
        `  const isA: boolean = be === C.byte_enum.BE_A;`,
        `  const b: 200 = C.byte_enum.BE_B;`,
        `  const d: C.dupvals = C.dupvals.DV_D;`,
        `  const s: C.small[] = [C.small.S_A, C.small.S_B, 5];`,
        `  // @ts-expect-error not a value of the enum`,
        `  const bad: C.byte_enum = 2;`,
        `  // @ts-expect-error no such enumerator`,
        `  C.byte_enum.BE_C;`,
        `  // @ts-expect-error the objects are read-only`,
        `  C.small.S_A = 1;`,
        `  // @ts-expect-error a struct is no value`,
        `  C.outer;`,
        `}`,
      );
    }
    if (name === "dump_c_tricky") {
      lines.push(
        `{`,
        `  const w = btf.view<T.BtfWritable<T.bits>>("bits", { writable: true });`,
        `  const v = new w(bytes);`,
        `  v.a = 3;`,
        `  // @ts-expect-error a number member`,
        `  v.a = "x";`,
        `}`,
      );
    }
    // The safe int64 mode: 64-bit fields may be numbers.
    if (name === "view_types") {
      const safe = `${BUILD}${name}_safe.ts`;
      Deno.writeTextFileSync(safe, dumpTs(btf, { int64: "safe" }));
      lines.push(
        `import type * as S from ${JSON.stringify(safe)};`,
        `{`,
        `  const v = new (btf.view<S.tricky>("tricky", { int64: "safe" }))(bytes);`,
        `  const _a: number | bigint = v.u64v;`,
        `  // @ts-expect-error may be a bigint`,
        `  const _b: number = v.u64v;`,
        `}`,
      );
    }
    const use = `${BUILD}${name}_use.ts`;
    Deno.writeTextFileSync(use, lines.join("\n") + "\n");
    files.push(use);
  }
  const r = denoCheck(files);
  assert.ok(r.ok, r.out.slice(0, 6000));
  console.log(
    `  ${types} types, ${fields} field uses type-checked (and as many wrong uses refused)`,
  );
});

/** A value as a TypeScript literal. */
function literal(v: unknown): string {
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "number") return Object.is(v, -0) ? "0" : String(v);
  return JSON.stringify(v);
}

Deno.test('dumpTs enums: name types enum fields as views made with { enums: "name" } give them: every enumerator of every field read back type-checks, other names fail', () => {
  let checked = 0;
  const files: string[] = [];
  for (const name of ["dump_c_tricky", "view_types", "btf_kinds"]) {
    const obj = objectFile(name);
    const btf = mapBtf(obj).btf;
    const decls = `${BUILD}${name}_names.ts`;
    const declText = dumpTs(btf, { enums: "name" });
    Deno.writeTextFileSync(decls, declText);
    assert.match(declText, /^\/\/ .*\(int64: "bigint", enums: "name"\)/);
    if (name === "dump_c_tricky") {
      // The view gives the first enumerator of a value: DV_B and DV_D (both 1, like DV_A) never.
      assert.match(declText, /\nexport type dupvals = "DV_A" \| "DV_C" \| "DV_E" \| number;\n/);
      assert.match(declText, /\nexport type big64 = "B_HUGE" \| "B_ONE" \| bigint;\n/);
      assert.match(declText, /\n {2}readonly es: "S_A" \| "S_B" \| number;\n/); // a bitfield
      assert.match(declText, /\n {2}readonly inline_enum: "IN_A" \| "IN_B" \| number;\n/);
    }
    const lines = [
      `import { loadBtf } from ${JSON.stringify(`${ROOT}btf/load.ts`)};`,
      `import type * as N from ${JSON.stringify(decls)};`,
      `const btf = loadBtf(${JSON.stringify(obj)});`,
      `const bytes = new Uint8Array(4096);`,
    ];
    const names = tsNames(btf);
    for (let id = 1; id < btf.count; id++) {
      const k = btf.kindOf(id);
      if (k !== Kind.STRUCT && k !== Kind.UNION) continue;
      if (btf.nameOf(id) === "" || !names.has(id)) continue;
      type Cls = (new (b: ArrayBuffer) => Record<string, unknown>) & {
        fields: { name: string; type: number; bitfieldSize: number; direct: boolean }[];
      };
      let W: Cls, R: Cls, Raw: Cls;
      try {
        W = btf.view(id, { writable: true }) as unknown as Cls;
        R = btf.view(id, { enums: "name" }) as unknown as Cls;
        Raw = btf.view(id) as unknown as Cls;
      } catch (e) {
        if (e instanceof BtfError) continue;
        throw e;
      }
      const body: string[] = [];
      for (const f of R.fields) {
        if (!f.direct) continue;
        const t = btf.type(resolveType(btf, f.type));
        if (t.kind !== Kind.ENUM && t.kind !== Kind.ENUM64) continue;
        const expr = `v${prop(f.name)}`;
        const values = new Set<string>();
        // Every enumerator written through a writable view, read back by name.
        for (const e of t.values) {
          const buf = new ArrayBuffer(4096);
          try {
            new W(buf)[f.name] = e.name;
          } catch (err) {
            if (err instanceof BtfError) continue; // cut by a bitfield's width
            throw err;
          }
          values.add(literal(new R(buf)[f.name]));
        }
        // A value no enumerator has comes back as the value, typed as the value view reads it.
        const buf = new Uint8Array(4096).fill(0x5a);
        if (!t.values.some((e) => literal(new R(buf.buffer)[f.name]) === JSON.stringify(e.name))) {
          values.add(literal(new Raw(buf.buffer)[f.name]));
        }
        for (const lit of values) {
          body.push(`  { const t = ${expr}; const _x: typeof t = ${lit}; }`);
          checked++;
        }
        body.push(
          `  // @ts-expect-error no such enumerator`,
          `  { const t = ${expr}; const _w: typeof t = "bpfview_no_such_enumerator"; }`,
        );
        if (t.values.length) {
          body.push(
            `  // @ts-expect-error may be a name`,
            `  { const _n: number | bigint = ${expr}; }`,
          );
        }
      }
      if (body.length === 0) continue;
      lines.push(
        `{`,
        `  const v = new (btf.view<N.${names.get(id)}>(${id}, { enums: "name" }))(bytes);`,
        ...body,
        `}`,
      );
    }
    const use = `${BUILD}${name}_names_use.ts`;
    Deno.writeTextFileSync(use, lines.join("\n") + "\n");
    files.push(use);
  }
  assert.ok(checked > 20, `only ${checked} enumerators checked`);
  const r = denoCheck(files);
  assert.ok(r.ok, r.out.slice(0, 6000));
  // The CLI gives the same text.
  const obj = objectFile("dump_c_tricky");
  const cli = cliSync("btf", "dump", "--format", "ts", "--enums", "name", "--file", obj);
  assert.equal(cli.err, "");
  assert.equal(cli.out, dumpTs(mapBtf(obj).btf, { enums: "name" }));
  console.log(`  ${checked} enum values read by name type-checked against their fields`);
});

/** A BTF with names made to break generated code if they were spliced in. */
function evilBtf(): Uint8Array {
  const b = new BtfBuilder();
  const int = b.int("int", 4, { signed: true });
  const char = b.int("char", 1, { char: true, signed: true });
  const u64 = b.int("unsigned long long", 8);
  const idx = b.int("__ARRAY_SIZE_TYPE__", 4);
  const arr = b.array(char, idx, 8);
  const evil = [
    "*/ export const pwned = 1; /*",
    "a\nb",
    "x\u2028y",
    'quote"s',
    "back`tick${1}",
    "constructor",
    "__proto__",
    "rebind",
    "toJSON",
    "class",
    "0",
    "名前",
    "a b",
    "\\u0041",
    "string",
  ];
  const members = evil.map((name, i) => ({
    name,
    type: i % 3 === 0 ? arr : int,
    bitOffset: 64 * i,
  }));
  const e = b.enum("*/ enum", 4, [["*/ X = 1; /*", 1], ["// Y", 2]]);
  members.push({ name: "e", type: e, bitOffset: 64 * evil.length });
  // Enumerator names made to break an object literal, a repeated name, shared values, 64 bits.
  const keys = b.enum("keys", 4, [
    ["__proto__", 1],
    ["constructor", 2],
    ["a\nb", 3],
    ["0", 4],
    ["'", 5],
    ["dup", 6],
    ["dup", 7],
    ["same", 6],
    ["toString", 8],
  ]);
  const wide = b.enum64("wide", 8, [
    ["W_MAX", (1n << 64n) - 1n],
    ["W_ONE", 1n],
    ["W_SAFE", (1n << 53n) - 1n],
  ]);
  const swide = b.enum64("swide", 8, [["S_MIN", -(1n << 63n)], ["S_NEG", -1n]], true);
  const nan = b.enum("NaN", 4, [["N", 1]]);
  const glob = b.enum("globalThis", 4, [["G", 1]]);
  const empty = b.enum("empty", 4, []);
  b.struct("enums", 32, [
    { name: "k", type: keys, bitOffset: 0 },
    { name: "w", type: wide, bitOffset: 64 },
    { name: "s", type: swide, bitOffset: 128 },
    { name: "n", type: nan, bitOffset: 192 },
    { name: "g", type: glob, bitOffset: 224 },
    { name: "e", type: empty, bitOffset: 224 },
  ]);
  members.push({ name: "dup", type: int, bitOffset: 64 * evil.length + 32 });
  members.push({ name: "dup", type: u64, bitOffset: 64 * (evil.length + 1) });
  const s = b.struct("*/ struct", 8 * (evil.length + 2), members);
  b.struct("string", 8, [{ name: "x", type: s === 0 ? int : u64, bitOffset: 0 }]);
  b.struct("class", 4, [{ name: "in", type: int, bitOffset: 0 }]);
  b.union("class", 4, [{ name: "y", type: int, bitOffset: 0 }]);
  b.struct("union_class", 4, [{ name: "z", type: int, bitOffset: 0 }]);
  b.typedef("BtfView", s);
  b.typedef("Uint8Array", s);
  b.struct("holder", 8 * (evil.length + 2), [{ name: "inner", type: s, bitOffset: 0 }]);
  const v = b.var("*/ var", s);
  b.datasec(".data.*/evil", 8 * (evil.length + 2), [{
    type: v,
    offset: 0,
    size: 8 * (evil.length + 2),
  }]);
  return b.build();
}

Deno.test("dumpTs: hostile names are quoted, renamed or left out, never spliced: every generated file passes deno check", async () => {
  const files: string[] = [];
  const seen = new Set<string>();
  const add = (label: string, btf: Btf) => {
    // Every enum form: the const objects and the name unions put enumerator names in code too.
    for (const enums of ["union", "const", "name"] as const) {
      let ts: string;
      try {
        ts = dumpTs(btf, { enums });
      } catch (e) {
        if (e instanceof BtfError) return;
        throw new Error(`${label}: ${e}`);
      }
      // Without enums the two forms differ only in the first line.
      const body = ts.slice(ts.indexOf("\n"));
      if (seen.has(body)) continue;
      seen.add(body);
      const file = `${BUILD}hostile_${files.length}.ts`;
      Deno.writeTextFileSync(file, ts);
      files.push(file);
    }
  };
  const evil = parseBtf(evilBtf());
  add("evil names", evil);
  const ts = Deno.readTextFileSync(files[0]);
  // The const form: the objects hold exactly the enumerators, under their own names.
  const consts = await import(files[1]);
  const evilEnum = tsNames(evil).get(evil.findIds("*/ enum")[0])!;
  assert.match(evilEnum, /^enum_\d+$/);
  assert.deepEqual(
    Object.keys(consts).sort(),
    ["NaN", evilEnum, "globalThis", "keys", "swide", "wide"].sort(),
  );
  assert.deepEqual(consts[evilEnum], { "*/ X = 1; /*": 1, "// Y": 2 });
  assert.ok(Object.hasOwn(consts.keys, "__proto__"));
  assert.equal(Object.getPrototypeOf(consts.keys), Object.prototype);
  assert.deepEqual(
    Object.entries(consts.keys),
    [["0", 4], ["__proto__", 1], ["constructor", 2], ["a\nb", 3], ["'", 5], ["dup", 6], [
      "same",
      6,
    ], ["toString", 8]],
  );
  assert.deepEqual(consts.wide, { W_MAX: (1n << 64n) - 1n, W_ONE: 1n, W_SAFE: (1n << 53n) - 1n });
  assert.deepEqual(consts.swide, { S_MIN: -(1n << 63n), S_NEG: -1n });
  const constTs = Deno.readTextFileSync(files[1]);
  assert.match(constTs, /\n {2}\/\/ "dup" = 7: a second enumerator of that name, left out\n/);
  assert.match(constTs, /\nexport type keys = \(typeof keys\)\[keyof typeof keys\];\n/);
  assert.match(constTs, /\nexport type empty = number;\n/);
  // In a comment the name is escaped; as a property it is a string literal.
  assert.ok(ts.includes("/** `char (*\\/ export const pwned = 1; /*)[8]` at byte 0 */\n"));
  assert.ok(ts.includes(`readonly "*/ export const pwned = 1; /*": string;`));
  // Declarations only: the module exports no value at all.
  assert.deepEqual(Object.keys(await import(files[0])), []);
  assert.match(ts, /readonly "a\\nb": number;/);
  assert.match(ts, /readonly "0": number;/);
  assert.match(ts, /readonly class: string;/);
  assert.match(ts, /\/\/ .* read with \.get\("rebind"\)/);
  assert.match(ts, /export interface struct_\d+ \{/); // "*/ struct" is no identifier
  assert.match(ts, /export interface struct_string \{/);
  assert.match(ts, /export interface struct_class \{/);
  assert.match(ts, /export interface union_class_\d+ \{|export interface union_\d+ \{/);
  let parsed = 0;
  for (const blob of corpus()) {
    let btf: Btf;
    try {
      btf = parseBtf(blob.bytes, { base: blob.base ? parseBtf(blob.base) : undefined });
    } catch (e) {
      if (e instanceof BtfError) continue;
      throw e;
    }
    parsed++;
    add(blob.name, btf);
  }
  const r = denoCheck(files);
  assert.ok(r.ok, r.out.slice(0, 6000));
  console.log(
    `  ${parsed} parsed hostile blobs: ${files.length} distinct generated files pass deno check`,
  );
});
