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

const putBig = (b: Uint8Array, at: number, v: bigint) =>
  new DataView(b.buffer).setBigUint64(at, v, true);

/** File offsets and types of the records of a pipe-mode file (tracing data stepped over). */
function pipeRecords(b: Uint8Array): { at: number; type: number }[] {
  const dv = new DataView(b.buffer);
  const out: { at: number; type: number }[] = [];
  for (let p = 16; p + 8 <= b.length;) {
    const type = dv.getUint32(p, true), size = dv.getUint16(p + 6, true);
    if (size < 8) throw new Error(`record of size ${size} at ${p} in the original file`);
    out.push({ at: p, type });
    p += size;
    if (type === 66) p += (dv.getUint32(p - size + 8, true) + 7) & ~7; // HEADER_TRACING_DATA
  }
  return out;
}

Deno.test("u64 offsets, sizes and ids of 2^53 or more: a PerfError naming the field, the value and its byte", () => {
  const orig = Deno.readFileSync(recordPerf("file", []));
  const attrsAt = u64(orig, 24);
  const attrLen = new DataView(orig.buffer).getUint32(attrsAt + 4, true);
  const table = u64(orig, 40) + u64(orig, 48);
  const big = 1n << 53n, max = (1n << 64n) - 1n;
  const cases: [number, bigint, string][] = [
    [8, big, "the header size"],
    [8, max, "the header size"],
    [16, big, "attr_size"],
    [24, big, "the attrs section's offset"],
    [32, max, "the attrs section's size"],
    [40, big, "the data section's offset"],
    [48, (1n << 60n) + 1n, "the data section's size"],
    [attrsAt + attrLen, big, "the offset of attr 0's ids"],
    [attrsAt + attrLen + 8, max, "the size of attr 0's ids"],
    [table, big, "the [A-Z_]+ feature section's offset"],
    [table + 8, max, "the [A-Z_]+ feature section's size"],
  ];
  for (const [at, v, field] of cases) {
    const b = orig.slice();
    putBig(b, at, v);
    const r = readAll(b, `${field} = ${v}`);
    assert.ok(r.error, `${field} = ${v}: expected a PerfError`);
    assert.match(
      r.error.message,
      new RegExp(`^expected ${field} below 2\\^53, found ${v} \\(at byte ${at}\\)$`),
    );
    assert.equal(r.error.offset, at);
  }
  // Just below 2^53 the fields are exact numbers: the usual range checks apply.
  const b = orig.slice();
  putBig(b, 24, big - 1n);
  assert.match(
    readAll(b, "attrs offset 2^53 - 1").error!.message,
    /found offset 9007199254740991 /,
  );

  // Pipe mode: a HEADER_ATTR record's ids and an EVENT_UPDATE's id.
  const pipe = Deno.readFileSync(recordPerf("pipe", [], { pipe: true }));
  const recs = pipeRecords(pipe);
  const attr = recs.find((r) => r.type === 64)!;
  const idAt = attr.at + 8 + new DataView(pipe.buffer).getUint32(attr.at + 12, true);
  const p1 = pipe.slice();
  putBig(p1, idAt, max);
  const r1 = readAll(p1, "HEADER_ATTR id");
  assert.match(
    r1.error!.message,
    new RegExp(
      `^expected id 0 of a HEADER_ATTR record below 2\\^53, found ${max} \\(at byte ${idAt}\\)$`,
    ),
  );
  const update = recs.find((r) => r.type === 78)!;
  const p2 = pipe.slice();
  putBig(p2, update.at + 8, 2n); // an EVENT_UPDATE of a name (PERF_EVENT_UPDATE__NAME)
  putBig(p2, update.at + 16, big);
  const r2 = readAll(p2, "EVENT_UPDATE id");
  assert.match(
    r2.error!.message,
    /^expected an EVENT_UPDATE id below 2\^53, found 9007199254740992/,
  );
  assert.equal(r2.error!.offset, update.at + 16);
});

Deno.test("sample times past 2^53: exact in samples, and --ordered orders them by the exact value", () => {
  const orig = Deno.readFileSync(recordPerf("file", []));
  const b = orig.slice();
  const dv = new DataView(b.buffer);
  // One round: FINISHED_ROUND records become records of a type read by size only.
  const start = u64(b, 40), end = start + u64(b, 48);
  for (let p = start; p < end; p += dv.getUint16(p + 6, true)) {
    if (dv.getUint32(p, true) === 68) dv.setUint32(p, 127, true);
  }
  // Times 2^60 + 1, 2^60, 2^60 + 3, 2^60 + 2, ...: numbers near 2^60 are 256 apart, so most
  // round to the same one; each pair is the wrong way round in the file.
  const base = 1n << 60n;
  const data = PerfData.fromBytes(b);
  const dec = new PerfDataDecoder(data);
  let i = 0;
  const want: bigint[] = [];
  for (const rec of data.records()) {
    const s = dec.sample(rec);
    if (!s || i >= 200) continue;
    const t = BigInt(s.time);
    // The time's bytes: the first u64 after the header equal to it.
    let at = rec.at + 8;
    while (rec.dv.getBigUint64(at, true) !== t) at += 8;
    const v = base + BigInt(i ^ 1);
    putBig(b, rec.offset + (at - rec.at), v);
    want.push(v);
    i++;
  }
  assert.equal(i, 200);
  const times = (ordered: boolean) => {
    const d = PerfData.fromBytes(b);
    const sd = new PerfDataDecoder(d);
    const out: bigint[] = [];
    for (const rec of d.records({ ordered })) {
      const s = sd.sample(rec);
      if (s && typeof s.time === "bigint") {
        assert.equal(rec.time, Number(s.time)); // the record's number is the nearest one
        out.push(s.time);
      }
    }
    return out;
  };
  assert.deepEqual(times(false), want); // exact, in file order
  assert.deepEqual(times(true), [...want].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
});
