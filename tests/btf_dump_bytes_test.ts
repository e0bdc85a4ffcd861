// The byte writers behind the fast dumps (issue 12): dumpJsonBytes writes exactly the lines
// JSON.stringify makes of dumpJson's objects, whole or streamed in chunks, for the kernel's BTF,
// a clang-built object, built blobs in both byte orders, split BTF and names that JSON must
// escape or that are not UTF-8; dumpCBytes streams the same header dumpC returns (the header
// itself is checked against bpftool and clang in btf_dump_c_test.ts).

import assert from "node:assert/strict";
import { BtfBuilder, everyKind } from "./btf_builder.ts";
import { assertSameText, clangBpf, hasKernelBtf } from "./tools.ts";
import {
  type Btf,
  BtfError,
  dumpC,
  dumpCBytes,
  dumpJson,
  dumpJsonBytes,
  type DumpJsonOptions,
  Kind,
  loadBtf,
  parseBtf,
} from "../mod.ts";

const BUILD = new URL("./build/", import.meta.url).pathname;
Deno.mkdirSync(BUILD, { recursive: true });
/** What the JSON dump was before the byte writer: JSON.stringify of each object, one per line. */
function viaObjects(btf: Btf, options: DumpJsonOptions = {}): string {
  const lines = dumpJson(btf, options).map((t) => JSON.stringify(t));
  return lines.join("\n") + (lines.length ? "\n" : "");
}

/** Checks whole, streamed, offsets and ids variants of one BTF against the objects. */
function checkJson(btf: Btf, what: string): void {
  const dec = new TextDecoder();
  assertSameText(dec.decode(dumpJsonBytes(btf)), viaObjects(btf), what);
  assertSameText(
    dec.decode(dumpJsonBytes(btf, { offsets: true })),
    viaObjects(btf, { offsets: true }),
    `${what} (offsets)`,
  );
  // Streamed: the chunks, joined, are the same bytes; the result is empty.
  const chunks: Uint8Array[] = [];
  const rest = dumpJsonBytes(btf, { write: (c) => chunks.push(c.slice()) });
  assert.equal(rest.length, 0);
  const whole = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) whole.set(c, at), at += c.length;
  assertSameText(dec.decode(whole), viaObjects(btf), `${what} (streamed)`);
  const ids = [0, btf.count - 1, 1, btf.startId];
  assertSameText(dec.decode(dumpJsonBytes(btf, { ids })), viaObjects(btf, { ids }), `${what} ids`);
}

Deno.test({
  name: "dumpJsonBytes: the kernel's BTF, line for line as JSON.stringify(dumpJson)",
  ignore: !hasKernelBtf,
  fn() {
    checkJson(loadBtf(), "vmlinux");
  },
});

Deno.test("dumpJsonBytes: a clang object, built blobs both byte orders, split BTF", () => {
  const obj = `${BUILD}dump_bytes_kinds.o`;
  const src = new URL("./bpf/btf_kinds.bpf.c", import.meta.url).pathname;
  clangBpf(src, obj);
  const base = loadBtf(obj);
  checkJson(base, "btf_kinds.o");
  for (const littleEndian of [true, false]) {
    const b = new BtfBuilder({ littleEndian });
    everyKind(b);
    checkJson(parseBtf(b.build()), `everyKind ${littleEndian ? "LE" : "BE"}`);
  }
  const s = new BtfBuilder({ base });
  s.struct("split_s", 8, [{ name: "x", type: base.get("u64").id, bitOffset: 0 }]);
  checkJson(parseBtf(s.build(), { base }), "split");
});

Deno.test("dumpJsonBytes: names JSON must escape, non-ASCII and invalid UTF-8 as JSON.stringify", () => {
  const b = new BtfBuilder();
  const int = b.int("int", 4, { signed: true });
  // \u0001 is patched into a byte 0xff below: a name that is not UTF-8.
  // Names longer than the writer's one-line fast path too, plain and escaped.
  const names = [
    'q"uote',
    "back\\slash",
    "new\nline\ttab",
    "del\u007f",
    "größe",
    "bad\u0001",
    "long_".repeat(100),
    "long\\".repeat(100),
  ];
  b.struct(
    "s",
    4 * names.length,
    names.map((name, i) => ({ name, type: int, bitOffset: 32 * i })),
  );
  b.enum("e", 4, names.map((name, i) => [`E_${name}`, i]));
  const blob = b.build();
  for (let i = 3; i < blob.length; i++) {
    // "bad\u0001" (in both names that hold it)
    if (blob[i] === 1 && blob[i - 1] === 0x64 && blob[i - 2] === 0x61 && blob[i - 3] === 0x62) {
      blob[i] = 0xff;
    }
  }
  const btf = parseBtf(blob);
  checkJson(btf, "escapes");
  const s = dumpJson(btf, { ids: [btf.get("s", Kind.STRUCT).id] })[0];
  assert.equal(s.members?.[5].name, "bad\ufffd");
});

Deno.test("dumpJsonBytes: a name offset past the strings is a BtfError", () => {
  const b = new BtfBuilder();
  b.raw([1 << 20, (Kind.INT << 24) >>> 0, 4, 32]);
  assert.throws(() => dumpJsonBytes(parseBtf(b.build())), BtfError);
});

/** The chunks `f` streams, joined. */
function streamed(f: (write: (c: Uint8Array) => void) => Uint8Array): Uint8Array {
  const chunks: Uint8Array[] = [];
  assert.equal(f((c) => chunks.push(c.slice())).length, 0, "streaming returns nothing");
  const whole = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) whole.set(c, at), at += c.length;
  return whole;
}

Deno.test({
  name: "dumpCBytes: the same header whole, streamed and as dumpC's string",
  ignore: !hasKernelBtf,
  fn() {
    const btf = loadBtf();
    const whole = dumpCBytes(btf);
    assert.ok(whole.length > 1 << 20);
    assert.deepEqual(streamed((write) => dumpCBytes(btf, { write })), whole);
    assert.equal(dumpC(btf), new TextDecoder().decode(whole));
    const ids = btf.findIds("task_struct", Kind.STRUCT);
    assert.equal(new TextDecoder().decode(dumpCBytes(btf, { ids })), dumpC(btf, { ids }));
  },
});
