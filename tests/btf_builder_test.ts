// Round-trips blobs written by tests/btf_builder.ts through parseBtf and
// compares every decoded type with bpftool's JSON dump of the same file.

import assert from "node:assert/strict";
import { assertMatchesBpftool, BtfBuilder, everyKind } from "./btf_builder.ts";
import { parseBtf } from "../btf/parse.ts";
import { Kind } from "../btf/kinds.ts";

const BUILD = new URL("./build/", import.meta.url).pathname;
Deno.mkdirSync(BUILD, { recursive: true });

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
