// Writing through BTF types: views made with { writable: true } get member
// setters, and encode() turns plain objects into bytes. Checked against the
// bytes clang's layout gives (tests/c/view_writer.c writes struct tricky,
// every member kind, bitfields straddling bytes included).
import assert from "node:assert/strict";
import { BtfError, encode, encodeInto, loadBtf, memberOffset, type View } from "../mod.ts";
import { buildDir, sh } from "./tools.ts";

const HERE = new URL(".", import.meta.url).pathname;
const BUILD = buildDir("view_set");
const OBJ = `${BUILD}view_types.bpf.o`;
const WRITER = `${BUILD}view_writer`;
sh("clang", ["-g", "-O2", "-target", "bpf", "-c", `${HERE}bpf/view_types.bpf.c`, "-o", OBJ]);
sh("cc", ["-O1", "-Wall", "-o", WRITER, `${HERE}c/view_writer.c`]);
sh(WRITER, [`${BUILD}records.bin`, `${BUILD}flex.bin`]);
const records = Deno.readFileSync(`${BUILD}records.bin`);
const btf = loadBtf(OBJ);
const tricky = btf.get("tricky").id;
const Tricky = btf.view("tricky");
const TrickyW = btf.view("tricky", { writable: true });

Deno.test("encode(toObject()) gives back clang's bytes for every record of struct tricky", () => {
  const utf8 = memberOffset(btf, tricky, "utf8").bitOffset / 8;
  for (let off = 0; off < records.length; off += Tricky.size) {
    const c = records.subarray(off, off + Tricky.size);
    const obj = new Tricky(c).toObject();
    const ours = encode(btf, tricky, obj);
    // utf8 holds invalid UTF-8: its string (with U+FFFD) cannot give the bytes back.
    ours.set(c.subarray(utf8, utf8 + 8), utf8);
    assert.deepEqual(ours, c, `record at ${off}`);
  }
});

Deno.test("encode(view) copies the view's bytes, even those toObject() cannot give back", () => {
  for (let off = 0; off < records.length; off += Tricky.size) {
    const c = records.subarray(off, off + Tricky.size);
    assert.deepEqual(encode(btf, tricky, new Tricky(records, off)), c);
  }
});

Deno.test("setters write each member kind where the getters read it", () => {
  const c = records.subarray(0, Tricky.size);
  const expected = new Tricky(c).toObject();
  const buf = new Uint8Array(Tricky.size);
  const w = new TrickyW(buf) as View;
  for (const f of TrickyW.fields) {
    if (f.name === "utf8" || !f.direct) continue;
    (w as Record<string, unknown>)[f.name] = expected[f.name];
  }
  const got = w.toObject();
  for (const f of TrickyW.fields) {
    if (f.name === "utf8" || !f.direct) continue;
    assert.deepEqual(got[f.name], expected[f.name], f.name);
  }
});

Deno.test("setters: bitfields keep their neighbours, nested members, enums by name, 64-bit", () => {
  const buf = new Uint8Array(Tricky.size).fill(0xff);
  const w = new TrickyW(buf) as View & Record<string, unknown>;
  w.bf_d = -1000;
  assert.equal(w.bf_d, -1000);
  assert.equal(w.bf_c, 127); // all ones, untouched
  assert.equal(w.bf_b, -1);
  w.bf_c = 0;
  assert.equal(w.bf_d, -1000);
  assert.equal(w.bf_c, 0);
  w.bf_e = 0xffffffffffn;
  w.bf_f = -(2 ** 22);
  assert.equal(w.bf_e, 0xffffffffffn);
  assert.equal(w.bf_f, -(2 ** 22)); // 23 bits: a number
  w.bf_g = false;
  assert.equal(w.bf_g, false);
  (w.pt as Record<string, unknown>).x = -7;
  w.pt = { y: 9 };
  assert.deepEqual((w.pt as View).toObject(), { x: -7, y: 9 });
  w.color = "GREEN";
  w.sign = "NEG";
  assert.equal(w.color, 5);
  assert.equal(w.sign, (new Tricky(records, Tricky.size) as View).sign); // record 1 holds NEG
  w.u64v = "18446744073709551615";
  w.s64v = -(2n ** 63n);
  assert.equal(w.u64v, 2n ** 64n - 1n);
  assert.equal(w.s64v, -(2n ** 63n));
  w.anon_f = 1.5;
  assert.equal(w.anon_u, 0x3fc00000);
  w.name = "hi";
  assert.equal(w.name, "hi");
  w.arr = [1, 2];
  assert.deepEqual([...(w.arr as Uint32Array)], [1, 2, 0, 0]);
  w.pts = [{ x: 1, y: 2 }];
  assert.deepEqual(w.toObject().pts, [{ x: 1, y: 2 }, { x: 0, y: 0 }, { x: 0, y: 0 }]);
  w.ptr = 0x1000n;
  assert.equal(w.ptr, 0x1000n);
  w.f64 = 2.5;
  assert.equal(w.f64, 2.5);
});

Deno.test("setters: values that do not fit, read-only views, unknown members: BtfError", () => {
  const w = new TrickyW(new Uint8Array(Tricky.size)) as View & Record<string, unknown>;
  const cases: [string, unknown, RegExp][] = [
    ["u8v", 256, /from 0 to 255 for u8v \(u8\), found 256/],
    ["s8v", -129, /from -128 to 127 for s8v/],
    ["u32v", -1, /from 0 to 4294967295/],
    ["u64v", 2n ** 64n, /from 0 to 18446744073709551615/],
    ["bf_a", 8, /from 0 to 7 for bf_a \(u32\):3/],
    ["bf_b", -17, /from -16 to 15 for bf_b/],
    ["color", "PURPLE", /enumerator of color .*RED, GREEN, BLUE/],
    ["flag", "yes", /true or false for flag/],
    ["name", "x".repeat(17), /at most 16 bytes for name/],
    ["arr", [1, 2, 3, 4, 5], /at most 4 elements for arr/],
    ["pt", { z: 1 }, /expected a member of pt \(struct point\) \(x, y\), found "z"/],
    ["u32v", 1.5, /expected an integer for u32v/],
    ["f32", "abc", /expected a number for f32/],
  ];
  for (const [name, value, re] of cases) {
    assert.throws(() => {
      w[name] = value;
    }, (e) => e instanceof BtfError && re.test(e.message));
  }
  const r = new Tricky(new Uint8Array(Tricky.size)) as View & Record<string, unknown>;
  assert.throws(() => {
    r.u8v = 1;
  }, (e) => e instanceof BtfError && /read-only/.test(e.message));
  assert.throws(
    () => encodeInto(btf, tricky, {}, new DataView(new ArrayBuffer(8)), 0),
    (e) => e instanceof BtfError && /within the 8 bytes/.test(e.message),
  );
});
