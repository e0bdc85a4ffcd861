// `btf decode` end to end: records written by the C writer
// (tests/c/view_writer.c), decoded by the CLI with the BTF of a clang-built
// object, compared with the writer's own JSON.
import assert from "node:assert/strict";
import { buildDir, cli, sh } from "./tools.ts";

const HERE = new URL(".", import.meta.url).pathname;
const BUILD = buildDir("decode_cli");

const OBJ = `${BUILD}view_types.bpf.o`;
const WRITER = `${BUILD}view_writer`;
const RECORDS = `${BUILD}records.bin`;
sh("clang", ["-g", "-O2", "-target", "bpf", "-c", `${HERE}bpf/view_types.bpf.c`, "-o", OBJ]);
sh("cc", ["-O1", "-Wall", "-o", WRITER, `${HERE}c/view_writer.c`]);
const lines = sh(WRITER, [RECORDS, `${BUILD}flex.bin`]).trim().split("\n").map((l) =>
  JSON.parse(l)
);
const size = lines[0].size as number;
const expected = lines.slice(1) as Record<string, unknown>[];

function fixSign(o: Record<string, unknown>, signed: boolean): Record<string, unknown> {
  // clang 14 emits enums without the signedness flag; BTF then says unsigned.
  return signed ? o : { ...o, sign: (o.sign as number) >>> 0 };
}

Deno.test("btf decode --json: one line per record, every field as the C writer says", async () => {
  const r = await cli(["btf", "decode", "tricky", "--file", OBJ, "--input", RECORDS, "--json"]);
  assert.equal(r.err, "");
  assert.equal(r.code, 0);
  const got = r.out.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(got.length, expected.length);
  // The sign enum of record 1 is NEG (-2): tells whether this clang marks enums signed.
  const signed = got[1].sign === -2;
  for (let i = 0; i < got.length; i++) assert.deepEqual(got[i], fixSign(expected[i], signed));
});

Deno.test("btf decode: a trailing partial record prints the records before it, then an error", async () => {
  const whole = Deno.readFileSync(RECORDS);
  const cut = whole.subarray(0, 2 * size + 10);
  const path = `${BUILD}partial.bin`;
  Deno.writeFileSync(path, cut);
  const r = await cli(["btf", "decode", "struct tricky", "--file", OBJ, "--input", path, "--json"]);
  assert.equal(r.code, 1);
  assert.equal(r.out.trim().split("\n").length, 2);
  assert.match(r.err, new RegExp(`expected ${size} bytes for record 2 .*found 10`));
  assert.equal(r.err.trim().split("\n").length, 1, "one line on stderr");
});

Deno.test("btf decode: stdin input and the readable tree", async () => {
  const whole = Deno.readFileSync(RECORDS);
  const r = await cli(["btf", "decode", "tricky", "--file", OBJ, "--input", "-"], whole);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^struct tricky #0 \{\n {2}u8v = 200\n/);
  assert.match(r.out, /struct tricky #3 \{/);
  assert.match(r.out, / {2}name = "rec3"\n/);
  assert.match(r.out, / {2}pt = \{\n {4}x = 3\n {4}y = -3\n {2}\}/);
  assert.match(r.out, / {2}arr = \[3, 1003, 2003, 3003\]/);
});

Deno.test("btf decode: unknown type and missing input fail with one line", async () => {
  const a = await cli(["btf", "decode", "nope", "--file", OBJ, "--input", RECORDS]);
  assert.equal(a.code, 1);
  assert.match(a.err, /expected a type named "nope"/);
  const b = await cli(["btf", "decode", "tricky", "--file", OBJ, "--input", `${BUILD}missing.bin`]);
  assert.equal(b.code, 1);
  assert.match(b.err, /missing\.bin/);
});

Deno.test("btf decode: inputs larger than one read chunk keep record boundaries", async () => {
  const whole = Deno.readFileSync(RECORDS);
  const n = 1000;
  const big = new Uint8Array(whole.length * n);
  for (let i = 0; i < n; i++) big.set(whole, i * whole.length);
  const path = `${BUILD}big.bin`;
  Deno.writeFileSync(path, big);
  for (const input of [path, "-"]) {
    const r = await cli(
      ["btf", "decode", "tricky", "--file", OBJ, "--input", input, "--json"],
      input === "-" ? big : undefined,
    );
    assert.equal(r.code, 0, r.err);
    const got = r.out.trim().split("\n");
    assert.equal(got.length, expected.length * n);
    for (const k of [0, 1234, got.length - 1]) {
      assert.equal(JSON.parse(got[k]).name, expected[k % expected.length].name, `record ${k}`);
      assert.equal(JSON.parse(got[k]).u64v, expected[k % expected.length].u64v, `record ${k}`);
    }
  }
});

Deno.test("btf decode: empty input is zero records and success, in both formats", async () => {
  const path = `${BUILD}empty.bin`;
  Deno.writeFileSync(path, new Uint8Array(0));
  for (const json of [[], ["--json"]]) {
    const a = await cli(["btf", "decode", "tricky", "--file", OBJ, "--input", path, ...json]);
    assert.deepEqual([a.code, a.out, a.err], [0, "", ""]);
    const b = await cli(
      ["btf", "decode", "tricky", "--file", OBJ, "--input", "-", ...json],
      new Uint8Array(0),
    );
    assert.deepEqual([b.code, b.out, b.err], [0, "", ""]);
  }
});

Deno.test("btf decode: a scalar TYPE fails with one line naming what it found", async () => {
  // Decision: records are structs, unions or data sections; scalars are refused.
  const r = await cli(["btf", "decode", "u32", "--file", OBJ, "--input", RECORDS, "--json"]);
  assert.equal(r.code, 1);
  assert.equal(r.out, "");
  assert.match(r.err, /expected a struct, union or data section to view, found INT/);
  assert.equal(r.err.trim().split("\n").length, 1);
});

Deno.test("btf decode --json: float NaN and infinities print as strings, not null", async () => {
  const path = `${BUILD}floats.bin`;
  const buf = new Uint8Array(32); // sizeof(struct floats)
  const dv = new DataView(buf.buffer);
  dv.setFloat32(0, NaN, true);
  dv.setFloat64(8, Infinity, true);
  dv.setFloat32(16, -Infinity, true);
  Deno.writeFileSync(path, buf);
  const r = await cli(["btf", "decode", "floats", "--file", OBJ, "--input", path, "--json"]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(JSON.parse(r.out), { f: "NaN", d: "Infinity", fa: ["-Infinity", 0, 0] });
});
