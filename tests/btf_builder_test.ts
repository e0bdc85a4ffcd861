// Round-trips blobs written by tests/btf_builder.ts through parseBtf and
// compares every decoded type with bpftool's JSON dump of the same file.

import assert from "node:assert/strict";
import { BtfBuilder } from "./btf_builder.ts";
import { type Btf, parseBtf } from "../btf/parse.ts";
import { Kind, KIND_NAMES } from "../btf/kinds.ts";
import type { Type } from "../btf/types.ts";

const BUILD = new URL("./build/", import.meta.url).pathname;
Deno.mkdirSync(BUILD, { recursive: true });

/** Parses bpftool JSON keeping every number exact (as a bigint). */
function parseExact(text: string): unknown {
  // deno-lint-ignore no-explicit-any
  return JSON.parse(text, (_k, v, ctx?: any) => typeof v === "number" ? BigInt(ctx.source) : v);
}

/** Runs `bpftool -j btf dump file <path>` (with `-B base` for split BTF). */
export function bpftoolJson(path: string, base?: string): Record<string, unknown>[] {
  const args = ["-j", ...(base ? ["-B", base] : []), "btf", "dump", "file", path];
  const out = new Deno.Command("bpftool", { args, stdout: "piped", stderr: "piped" }).outputSync();
  if (!out.success) {
    throw new Error(`bpftool ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  const json = parseExact(new TextDecoder().decode(out.stdout)) as {
    types: Record<string, unknown>[];
  };
  return json.types;
}

const INT_ENC: Record<number, string> = { 0: "(none)", 1: "SIGNED", 2: "CHAR", 4: "BOOL" };
const LINKAGE = ["static", "global", "extern"];
const anon = (s: string) => s === "" ? "(anon)" : s;
const n = (x: number | bigint) => BigInt(x);

/** Our decoded type in the shape of bpftool's JSON. */
export function asBpftool(t: Type): Record<string, unknown> {
  const head = { id: n(t.id), kind: KIND_NAMES[t.kind], name: anon(t.name) };
  switch (t.kind) {
    case Kind.INT:
      return {
        ...head,
        size: n(t.size),
        bits_offset: n(t.bitOffset),
        nr_bits: n(t.bits),
        encoding: INT_ENC[t.encoding] ?? "UNKN",
      };
    case Kind.PTR:
    case Kind.TYPEDEF:
    case Kind.VOLATILE:
    case Kind.CONST:
    case Kind.RESTRICT:
    case Kind.TYPE_TAG:
      return { ...head, type_id: n(t.type) };
    case Kind.ARRAY:
      return {
        ...head,
        type_id: n(t.type),
        index_type_id: n(t.indexType),
        nr_elems: n(t.nelems),
      };
    case Kind.STRUCT:
    case Kind.UNION:
      return {
        ...head,
        size: n(t.size),
        vlen: n(t.members.length),
        members: t.members.map((m) => ({
          name: anon(m.name),
          type_id: n(m.type),
          bits_offset: n(m.bitOffset),
          ...(t.kindFlag && m.bitfieldSize ? { bitfield_size: n(m.bitfieldSize) } : {}),
        })),
      };
    case Kind.ENUM:
    case Kind.ENUM64:
      return {
        ...head,
        encoding: t.signed ? "SIGNED" : "UNSIGNED",
        size: n(t.size),
        vlen: n(t.values.length),
        values: t.values.map((v) => ({ name: anon(v.name), val: n(v.value) })),
      };
    case Kind.FWD:
      return { ...head, fwd_kind: t.union ? "union" : "struct" };
    case Kind.FUNC:
      return { ...head, type_id: n(t.type), linkage: LINKAGE[t.linkage] ?? "(unknown)" };
    case Kind.FUNC_PROTO:
      return {
        ...head,
        ret_type_id: n(t.type),
        vlen: n(t.params.length),
        params: t.params.map((p) => ({ name: anon(p.name), type_id: n(p.type) })),
      };
    case Kind.VAR:
      return { ...head, type_id: n(t.type), linkage: LINKAGE[t.linkage] ?? "(unknown)" };
    case Kind.DATASEC:
      return {
        ...head,
        size: n(t.size),
        vlen: n(t.vars.length),
        vars: t.vars.map((v) => ({ type_id: n(v.type), offset: n(v.offset), size: n(v.size) })),
      };
    case Kind.FLOAT:
      return { ...head, size: n(t.size) };
    case Kind.DECL_TAG:
      return { ...head, type_id: n(t.type), component_idx: n(t.componentIdx) };
  }
}

/** Compares every type of `btf` (its own ids) with bpftool's dump of `path`. */
export function assertMatchesBpftool(btf: Btf, path: string, base?: string): void {
  const want = bpftoolJson(path, base);
  const got = [...btf.types()].map(asBpftool);
  assert.equal(got.length, want.length, "type count");
  for (let i = 0; i < want.length; i++) assert.deepEqual(got[i], want[i], `type ${want[i].id}`);
}

/** One of every kind, with the awkward corners: bitfields, signed enums, varargs. */
export function everyKind(b: BtfBuilder) {
  const int = b.int("int", 4, { signed: true });
  const uint = b.int("unsigned int", 4);
  const char = b.int("char", 1, { char: true, signed: true });
  const bool = b.int("_Bool", 1, { bool: true });
  const u64 = b.int("long long unsigned int", 8);
  const long = b.int("long int", 8, { signed: true });
  const u8 = b.typedef("u8", b.int("unsigned char", 1));
  const ptrChar = b.ptr(char);
  const arr = b.array(u8, uint, 16);
  const bits = b.struct("bits", 16, [
    { name: "a", type: uint, bitOffset: 0, bitfieldSize: 3 },
    { name: "b", type: int, bitOffset: 3, bitfieldSize: 5 },
    { name: "", type: uint, bitOffset: 8, bitfieldSize: 0 },
    { name: "c", type: u64, bitOffset: 64, bitfieldSize: 40 },
  ]);
  const fwdU = b.fwd("later", true);
  const fwdS = b.fwd("opaque");
  const node = b.struct("node", 48, [
    { name: "next", type: b.ptr(fwdS), bitOffset: 0 },
    { name: "name", type: arr, bitOffset: 64 },
    { name: "flags", type: bits, bitOffset: 192 },
    { name: "b", type: bool, bitOffset: 320 },
  ]);
  const num = b.union("number", 8, [
    { name: "i", type: int, bitOffset: 0 },
    { name: "u", type: u64, bitOffset: 0 },
    { name: "d", type: b.float("double", 8), bitOffset: 0 },
  ]);
  const color = b.enum("color", 4, [["RED", 0], ["GREEN", 5], ["BLUE", 0x7fffffff]]);
  const sgn = b.enum("sgn", 4, [["NEG", -1], ["POS", 1]], true);
  const e64 = b.enum64("big", 8, [["BIG", 1n << 40n], ["ALL", 0xffffffffffffffffn]]);
  const e64s = b.enum64("bigs", 8, [["M1", -1n], ["MIN", -(1n << 63n)]], true);
  const cv = b.const(b.volatile(int));
  const restrictPtr = b.restrict(b.ptr(cv));
  const tagged = b.ptr(b.typeTag("user", int));
  const proto = b.funcProto(long, [
    { name: "p", type: ptrChar },
    { name: "r", type: restrictPtr },
    { name: "", type: 0 },
  ]);
  const fn = b.func("do_it", proto, 1);
  const fnStatic = b.func("helper", b.funcProto(0, []), 0);
  const declFn = b.declTag("kfunc", fn, -1);
  const declArg = b.declTag("arg_tag", fn, 1);
  const declMember = b.declTag("member_tag", bits, 2);
  const v1 = b.var("counter", u64, 1);
  const v2 = b.var("ext", int, 2);
  const v3 = b.var("local", node, 0);
  const sec = b.datasec(".bss", 64, [
    { type: v1, offset: 0, size: 8 },
    { type: v3, offset: 8, size: 48 },
  ]);
  const ksec = b.datasec(".ksyms", 0, [{ type: v2, offset: 0, size: 4 }]);
  return {
    int,
    uint,
    char,
    bool,
    u64,
    long,
    u8,
    ptrChar,
    arr,
    bits,
    fwdU,
    fwdS,
    node,
    num,
    color,
    sgn,
    e64,
    e64s,
    cv,
    restrictPtr,
    tagged,
    proto,
    fn,
    fnStatic,
    declFn,
    declArg,
    declMember,
    v1,
    v2,
    v3,
    sec,
    ksec,
  };
}

Deno.test("builder: ids, strings and every kind round-trip through parseBtf and bpftool", () => {
  const b = new BtfBuilder();
  assert.equal(b.str(""), 0);
  const ids = everyKind(b);
  assert.equal(b.str("int"), b.str("int"), "strings are deduplicated");
  const blob = b.build();
  const path = BUILD + "btf_builder_every_kind.btf";
  Deno.writeFileSync(path, blob);
  const btf = parseBtf(blob);
  assert.equal(btf.count, b.nextId);
  assert.equal(btf.startId, 1);
  assert.equal(btf.littleEndian, true);
  assert.equal(btf.nameOf(ids.bits), "bits");
  assert.equal(btf.find("counter", Kind.VAR)?.id, ids.v1);
  assert.equal(btf.str(b.str("member_tag")), "member_tag");
  const bits = btf.type(ids.bits);
  assert.ok(bits.kind === Kind.STRUCT && bits.kindFlag);
  assert.equal(bits.members[3].bitfieldSize, 40);
  const node = btf.type(ids.node);
  assert.ok(node.kind === Kind.STRUCT && !node.kindFlag);
  const e = btf.type(ids.e64s);
  assert.ok(e.kind === Kind.ENUM64 && e.signed);
  assert.equal(e.values[1].value, -(1n << 63n));
  assertMatchesBpftool(btf, path);
});

Deno.test("builder: big-endian blobs parse the same and bpftool agrees", () => {
  const le = new BtfBuilder();
  everyKind(le);
  const be = new BtfBuilder({ littleEndian: false });
  everyKind(be);
  const blob = be.build();
  assert.deepEqual([blob[0], blob[1]], [0xeb, 0x9f]);
  const path = BUILD + "btf_builder_be.btf";
  Deno.writeFileSync(path, blob);
  const a = parseBtf(le.build()), c = parseBtf(blob);
  assert.equal(c.littleEndian, false);
  assert.deepEqual([...c.types()], [...a.types()]);
  assertMatchesBpftool(c, path);
});

Deno.test("builder: raw words and header overrides are written as given", () => {
  const b = new BtfBuilder();
  const int = b.int("int", 4, { signed: true });
  const r = b.raw([b.str("x"), (Kind.TYPEDEF << 24) >>> 0, int]);
  assert.equal(r, int + 1);
  const ok = parseBtf(b.build());
  assert.equal(ok.type(r).kind, Kind.TYPEDEF);
  const bad = b.build({ header: { magic: 0x1234, version: 2, typeLen: 0xfffffff0 } });
  const dv = new DataView(bad.buffer);
  assert.equal(dv.getUint16(0, true), 0x1234);
  assert.equal(bad[2], 2);
  assert.equal(dv.getUint32(12, true), 0xfffffff0);
  // A longer header moves the sections and stays valid (zero-filled tail).
  const long = b.build({ header: { hdrLen: 32 } });
  assert.equal(long.length, b.build().length + 8);
  assert.deepEqual([...parseBtf(long).types()], [...ok.types()]);
});
