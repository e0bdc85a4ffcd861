// Bad perf.data input (truncated files, offsets past the end, attr_size mismatches, broken records,
// mutated bytes, broken compressed data) gives only PerfError naming a byte, after the records
// before it; files from a newer perf (longer attrs, unknown features) are read, the unknown parts
// skipped and named.

import assert from "node:assert/strict";
import { PerfData, PerfDataDecoder, PerfError } from "../mod.ts";
import { fixtureDir, recordPerf } from "./perf_data_fixtures.ts";
import { cliSync } from "./tools.ts";

fixtureDir("hostile");

interface Outcome {
  records: number;
  samples: number;
  error?: PerfError;
}

/** Reads every record and decodes every sample; anything but PerfError fails the test. */
function readAll(bytes: Uint8Array, what: string): Outcome {
  const out: Outcome = { records: 0, samples: 0 };
  try {
    const data = PerfData.fromBytes(bytes);
    const dec = new PerfDataDecoder(data);
    for (const rec of data.records({ ordered: out.records % 2 === 1 })) {
      out.records++;
      const s = dec.sample(rec);
      if (s) {
        dec.fields(rec, s);
        out.samples++;
      }
    }
  } catch (e) {
    if (!(e instanceof PerfError)) {
      throw new Error(`${what}: expected PerfError, found ${e instanceof Error ? e.stack : e}`);
    }
    out.error = e;
  }
  return out;
}

const u64 = (b: Uint8Array, at: number) => Number(new DataView(b.buffer).getBigUint64(at, true));
const put64 = (b: Uint8Array, at: number, v: number) =>
  new DataView(b.buffer).setBigUint64(at, BigInt(v), true);

/** File offsets where each record of the data section ends, in file order. */
function recordEnds(b: Uint8Array): number[] {
  const dv = new DataView(b.buffer);
  const ends: number[] = [];
  const start = u64(b, 40), end = start + u64(b, 48);
  for (let p = start; p < end;) {
    const size = dv.getUint16(p + 6, true);
    if (size < 8) throw new Error(`record of size ${size} at ${p} in the original file`);
    p += size;
    ends.push(p);
  }
  return ends;
}

Deno.test("truncated files: the records before the cut, then PerfError naming a byte", () => {
  const bytes = Deno.readFileSync(recordPerf("file", []));
  const ends = recordEnds(bytes);
  const dataStart = u64(bytes, 40), dataEnd = dataStart + u64(bytes, 48);
  const cuts = new Set([0, 7, 8, 15, 16, 100, 104, dataStart, dataStart + 3, dataEnd - 1, dataEnd]);
  for (let i = 1; i < 150; i++) cuts.add(Math.floor(bytes.length * i / 150));
  for (const cut of cuts) {
    const r = readAll(bytes.slice(0, cut), `cut at ${cut}`);
    assert.ok(r.error, `cut at ${cut} of ${bytes.length}: expected an error`);
    assert.ok(r.error.offset >= 0 && r.error.offset <= bytes.length, r.error.message);
    if (cut > dataStart && cut < dataEnd) {
      // Every whole record before the cut came out.
      assert.equal(r.records, ends.filter((e) => e <= cut).length, `cut at ${cut}`);
      assert.ok(r.error.offset <= cut, r.error.message);
    }
  }
});

Deno.test("header fields out of range, attr_size mismatch, broken records: PerfError", () => {
  const orig = Deno.readFileSync(recordPerf("file", []));
  const ends = recordEnds(orig);
  const dataStart = u64(orig, 40);
  const cases: [string, (b: Uint8Array) => void, number | null][] = [
    ["attrs offset past the end", (b) => put64(b, 24, b.length + 8), 24],
    ["attrs size past the end", (b) => put64(b, 32, b.length), 24],
    ["attr_size mismatch", (b) => put64(b, 16, u64(b, 16) + 8), null],
    [
      "attr.size mismatch",
      (b) => new DataView(b.buffer).setUint32(u64(b, 24) + 4, 200, true),
      null,
    ],
    ["data size past the end", (b) => put64(b, 48, b.length * 2), null],
    ["feature table past the end", (b) => put64(b, 48, b.length - dataStart - 8), null],
    ["feature section past the end", (b) => {
      const table = u64(b, 40) + u64(b, 48);
      put64(b, table, b.length + 100);
    }, null],
    ["feature bits for sections that are not there", (b) => b.fill(0xff, 72, 104), null],
    ["magic", (b) => b[3] ^= 0x20, 0],
    ["header size", (b) => put64(b, 8, 50), 8],
    ["record size 0", (b) => new DataView(b.buffer).setUint16(ends[5] + 6, 0, true), ends[5] + 6],
    ["record size past the data", (b) => {
      new DataView(b.buffer).setUint16(ends[ends.length - 2] + 6, 0xfff8, true);
    }, ends[ends.length - 2]],
  ];
  for (const [what, change, at] of cases) {
    const b = orig.slice();
    change(b);
    const r = readAll(b, what);
    assert.ok(r.error, `${what}: expected a PerfError`);
    assert.ok(r.error.offset >= 0, `${what}: ${r.error.message} names a byte`);
    if (at !== null) assert.equal(r.error.offset, at, `${what}: ${r.error.message}`);
  }
  // The records before a broken one came out.
  const b = orig.slice();
  new DataView(b.buffer).setUint16(ends[5] + 6, 0, true);
  assert.equal(readAll(b, "record size 0").records, 6);
});

Deno.test("mutated bytes anywhere, compressed and pipe files: only PerfError", () => {
  let seed = 11;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (const name of ["file", "pipe", "z_small"]) {
    const orig = Deno.readFileSync(
      recordPerf(name, name === "z_small" ? ["-z"] : [], { pipe: name === "pipe" }),
    );
    for (let i = 0; i < 150; i++) {
      const b = orig.slice();
      const n = 1 + rand(4);
      for (let k = 0; k < n; k++) b[rand(b.length)] = rand(256);
      readAll(b, `${name} mutation ${i}`);
    }
    for (let i = 1; i < 40; i++) readAll(orig.slice(0, Math.floor(orig.length * i / 40)), name);
  }
});

/** The file with one more feature section, bit `id`, holding `payload`. */
function withFeature(orig: Uint8Array, id: number, payload: Uint8Array): Uint8Array {
  const table = u64(orig, 40) + u64(orig, 48);
  let n = 0;
  for (let i = 0; i < 256; i++) if (orig[72 + (i >> 3)] & (1 << (i & 7))) n++;
  const tableEnd = table + n * 16;
  const out = new Uint8Array(orig.length + 16 + payload.length);
  out.set(orig.subarray(0, tableEnd));
  out.set(orig.subarray(tableEnd), tableEnd + 16);
  for (let i = 0; i < n; i++) {
    const at = table + i * 16;
    if (u64(out, at) >= tableEnd) put64(out, at, u64(out, at) + 16);
  }
  put64(out, tableEnd, orig.length + 16);
  put64(out, tableEnd + 8, payload.length);
  out.set(payload, orig.length + 16);
  out[72 + (id >> 3)] |= 1 << (id & 7);
  return out;
}

/** The file with every attr `extra` bytes longer (fields past perf 6.1's, zero), as a newer perf writes them. */
function withLongerAttrs(orig: Uint8Array, extra: number): Uint8Array {
  const attrSize = u64(orig, 16), at = u64(orig, 24), n = u64(orig, 32) / attrSize;
  const size = attrSize - 16 + extra;
  const section = new Uint8Array(n * (size + 16));
  const dv = new DataView(section.buffer);
  for (let i = 0; i < n; i++) {
    const from = at + i * attrSize, to = i * (size + 16);
    section.set(orig.subarray(from, from + attrSize - 16), to);
    dv.setUint32(to + 4, size, true);
    section.set(orig.subarray(from + attrSize - 16, from + attrSize), to + size); // the ids section
  }
  const out = new Uint8Array(orig.length + section.length);
  out.set(orig);
  out.set(section, orig.length);
  put64(out, 16, size + 16);
  put64(out, 24, orig.length);
  put64(out, 32, section.length);
  return out;
}

Deno.test("a newer perf's file: unknown features and longer attrs are skipped and named", () => {
  const path = recordPerf("file", []);
  const orig = Deno.readFileSync(path);
  const want = readAll(orig, "original");
  assert.equal(want.error, undefined);
  const withUnknown = withFeature(orig, 40, new Uint8Array([1, 2, 3, 4, 5]));
  const r = readAll(withUnknown, "unknown feature");
  assert.equal(r.error, undefined);
  assert.equal(r.samples, want.samples);
  const data = PerfData.fromBytes(withUnknown);
  assert.ok(data.features.skipped.includes("feature 40"));
  assert.ok(data.notes.some((n) => n.includes("unknown feature 40")));
  assert.equal(data.features.hostname, PerfData.fromBytes(orig).features.hostname);

  for (const extra of [8, 16]) {
    const longer = withLongerAttrs(orig, extra);
    const l = readAll(longer, `attrs ${extra} bytes longer`);
    assert.equal(l.error, undefined, l.error?.message);
    assert.equal(l.samples, want.samples);
    const d = PerfData.fromBytes(longer);
    assert.equal(d.events[0].attr.size, 128 + extra);
    // perf 6.1 refuses these files; bpfview reads them, and says what it skipped only with --verbose.
    const file = `${path}.attr${extra}`;
    Deno.writeFileSync(file, longer);
    const perf = new Deno.Command("perf", { args: ["script", "-i", file], stderr: "piped" })
      .outputSync();
    assert.match(new TextDecoder().decode(perf.stderr), /incompatible file format/);
    const quiet = cliSync("perf-data", file, "--json");
    assert.equal(quiet.code, 0);
    assert.equal(quiet.err, "");
    assert.equal(quiet.out.split("\n").length - 1, want.samples);
    const loud = cliSync("perf-data", file, "--json", "--verbose");
    if (extra > 8) assert.match(loud.err, /from a newer perf: read the 136 known, skipped 8/);
    else assert.doesNotMatch(loud.err, /newer perf/); // config3: perf 6.3's, known here
  }
});

Deno.test("CLI on bad input: the samples before the bad byte, then one line naming it", () => {
  const orig = Deno.readFileSync(recordPerf("file", []));
  const ends = recordEnds(orig);
  const b = orig.slice();
  new DataView(b.buffer).setUint16(ends[ends.length - 3] + 6, 2, true);
  const path = `${recordPerf("file", [])}.broken`;
  Deno.writeFileSync(path, b);
  const r = cliSync("perf-data", path, "--json");
  assert.equal(r.code, 1);
  assert.match(r.err, new RegExp(`at byte ${ends[ends.length - 3] + 6}\\)\\n$`));
  assert.equal(r.err.split("\n").length, 2);
  assert.ok(r.out.split("\n").length > 10);
  const missing = cliSync("perf-data", `${path}.nope`);
  assert.equal(missing.code, 1);
  assert.equal(missing.err.split("\n").length, 2);
});
