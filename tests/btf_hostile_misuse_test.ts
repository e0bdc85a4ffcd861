// The hostile corpus, misuse classes: what a careless or hostile caller does with the library
// rather than with the bytes. Each class gets a typed error (or the right value), never a raw
// TypeError/RangeError, a silent wrong read, a hang or unbounded growth:
//   paths with a NUL byte (checked before Deno's permission, which would see the whole string),
//   use after close (MappedFile, MappedBtf, views over mapped bytes),
//   byte offsets that become bit offsets past 2^32 (data sections, nested members, big arrays),
//   non-finite numbers in converters, directories/FIFOs/devices as inputs (library and CLI),
//   silent limits (array indices past 1024, the view class cache, find vs get).

import assert from "node:assert/strict";
import {
  BtfError,
  decodeRecords,
  FfiError,
  fieldsOf,
  Kind,
  ktimeToDate,
  ktimeToEpochNs,
  layoutOf,
  loadBtf,
  loadModuleBtf,
  mapBtf,
  mapFile,
  openRecordFile,
  parseBtf,
} from "../mod.ts";
import { BtfBuilder } from "./btf_builder.ts";
import { buildDir, CLI_MAIN, denoRun } from "./tools.ts";

const BUILD = buildDir("hostile_misuse");

/** A small BTF file with a struct, an array of structs and a char array. */
function smallBtfFile(): { path: string; bytes: Uint8Array } {
  const b = new BtfBuilder();
  const int = b.int("int", 4, { signed: true });
  const char = b.int("char", 1, { char: true });
  const pair = b.struct("pair", 8, [
    { name: "a", type: int, bitOffset: 0 },
    { name: "b", type: int, bitOffset: 32 },
  ]);
  b.struct("rec", 32, [
    { name: "p", type: b.array(pair, int, 2), bitOffset: 0 },
    { name: "name", type: b.array(char, int, 16), bitOffset: 128 },
  ]);
  const bytes = b.build();
  const path = `${BUILD}small.btf`;
  Deno.writeFileSync(path, bytes);
  return { path, bytes };
}

function throwsTyped(fn: () => unknown, cls: typeof BtfError | typeof FfiError, re: RegExp) {
  assert.throws(fn, (e) => {
    assert.ok(
      e instanceof cls,
      `expected ${cls.name}, got ${(e as Error)?.constructor?.name}: ${e}`,
    );
    assert.match((e as Error).message, re);
    return true;
  });
}

async function rejectsTyped(p: Promise<unknown>, cls: typeof BtfError, re: RegExp) {
  await assert.rejects(p, (e) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${e}`);
    assert.match((e as Error).message, re);
    return true;
  });
}

Deno.test("misuse: a path with a NUL byte never reaches libc or Deno's file APIs", async () => {
  const { path } = smallBtfFile();
  // What the attack looks like: the permission is asked for the whole string, libc stops at NUL.
  const sneaky = `${path}\0/../../etc/hostname`;
  throwsTyped(() => mapFile(sneaky), FfiError, /without NUL bytes, found one at character \d+/);
  throwsTyped(() => mapBtf(sneaky), BtfError, /without NUL bytes/);
  throwsTyped(() => loadBtf(sneaky), BtfError, /without NUL bytes/);
  throwsTyped(() => loadBtf(path, { base: sneaky }), BtfError, /without NUL bytes/);
  throwsTyped(() => loadModuleBtf("nf_tables\0x"), BtfError, /expected a kernel module name/);
  throwsTyped(() => loadModuleBtf("../../etc/x"), BtfError, /expected a kernel module name/);
  await rejectsTyped(openRecordFile(sneaky), BtfError, /without NUL bytes/);
});

Deno.test("misuse: every use of a closed BTF or file says so; views kept over a closed file's bytes read zeros", () => {
  const { path } = smallBtfFile();
  const m = mapBtf(path);
  assert.equal(m.mapped, true);
  const btf = m.btf;
  const V = btf.view("rec");
  const file = mapFile(path); // a view over mapped bytes (the blob itself, as records)
  const v = new V(file.bytes, 0);
  const p = v.p as { at(i: number): { a: number } };
  const first = p.at(0);
  assert.equal(typeof first.a, "number");
  m.close();
  file.close();
  const closed = /closed/;
  throwsTyped(() => btf.type(1), BtfError, closed);
  throwsTyped(() => btf.find("rec"), BtfError, closed);
  throwsTyped(() => btf.get("rec"), BtfError, closed);
  throwsTyped(() => btf.view("rec"), BtfError, closed);
  throwsTyped(() => btf.count, BtfError, closed);
  throwsTyped(() => btf.nameOf(1), BtfError, closed);
  throwsTyped(() => btf.str(1), BtfError, closed);
  throwsTyped(() => [...btf.types()], BtfError, closed);
  throwsTyped(() => file.bytes, FfiError, closed);
  // Zero pages took the mapping's place (the buffer is not detached): views read zeros.
  assert.equal(v.name, ""); // a closure reader (string)
  assert.equal(p.at(1).a, 0); // an array view element
  assert.equal(first.a, 0); // a generated getter
  assert.equal(JSON.parse(JSON.stringify(v)).name, "");
  // A writable view over a read-only mapping refuses to write (a write there would fault).
  const ro = mapFile(path);
  const RW = parseBtf(Deno.readFileSync(path)).view<{ a: number }>("pair", { writable: true });
  const onMap = new RW(ro.bytes, 0);
  const before = onMap.a;
  throwsTyped(() => (onMap.a = 1), BtfError, /read-only mapping/);
  assert.equal(onMap.a, before);
  ro.close();
  // A writable view over a buffer detached under it: writes say so too.
  const W = parseBtf(Deno.readFileSync(path)).view<{ a: number }>("pair", { writable: true });
  const own = new ArrayBuffer(8);
  const w = new W(own);
  w.a = 5;
  assert.equal(w.a, 5);
  own.transfer(0);
  throwsTyped(() => (w.a = 6), BtfError, closed);
  throwsTyped(() => w.a, BtfError, closed);
});

Deno.test("misuse: byte offsets past 2^29 are not wrapped when they become bit offsets", () => {
  const b = new BtfBuilder();
  const int = b.int("int", 4, { signed: true });
  const FAR = 2 ** 29 + 8; // bit offset 2^32 + 64: `>>> 3` made it byte 8
  const far = b.var("far", int, 1);
  const near = b.var("near", int, 1);
  const sec = b.datasec(".data", FAR + 8, [
    { type: near, offset: 8, size: 4 },
    { type: far, offset: FAR, size: 4 },
  ]);
  // A nested anonymous struct whose member lands past 2^32 bits only once the offsets add up.
  const inner = b.struct("", 16, [{ name: "deep", type: int, bitOffset: 64 }]);
  const outer = b.struct("outer", 2 ** 29 + 64, [
    { name: "", type: inner, bitOffset: 2 ** 32 - 64 },
  ]);
  // An array of 2^20 structs of 512 bytes: element 2^20 - 1 starts past 256 MiB.
  const big = b.struct("big", 512, [{ name: "x", type: int, bitOffset: 0 }]);
  const holder = b.struct("holder", 2 ** 29, [
    { name: "arr", type: b.array(big, int, 2 ** 20), bitOffset: 0 },
  ]);
  const btf = parseBtf(b.build());
  const buf = new ArrayBuffer(2 ** 29 + 64); // zero pages: allocated lazily
  const dv = new DataView(buf);
  dv.setInt32(FAR, 0x1234567, true);
  dv.setInt32(8, 7, true);
  const S = btf.view<{ far: number; near: number }>(sec);
  const s = new S(buf);
  assert.equal(s.far, 0x1234567);
  assert.equal(s.near, 7);
  const deepAt = 2 ** 29 - 8 + 8; // (2^32 - 64 + 64) / 8
  assert.equal(fieldsOf(btf, outer)[0].offset, deepAt);
  assert.equal(layoutOf(btf, outer)[0].offset, deepAt);
  dv.setInt32(deepAt, -5, true);
  const O = btf.view<{ deep: number }>(outer);
  assert.equal(new O(buf).deep, -5);
  const last = (2 ** 20 - 1) * 512;
  dv.setInt32(last, 99, true);
  const H = btf.view<{ arr: { [i: number]: { x: number }; at(i: number): { x: number } } }>(holder);
  const h = new H(buf);
  assert.equal(h.arr.at(2 ** 20 - 1).x, 99);
  assert.equal(h.arr[2 ** 20 - 1].x, 99, "indices past 1024 are read, not undefined");
  assert.equal(h.arr[2 ** 20], undefined);
});

Deno.test("misuse: converters refuse NaN, infinities and non-numbers with BtfError", () => {
  const toDate = ktimeToDate(0n), toNs = ktimeToEpochNs(10n);
  for (const bad of [NaN, Infinity, -Infinity, "12" as unknown as number]) {
    throwsTyped(() => toDate(bad), BtfError, /expected a finite timestamp/);
    throwsTyped(() => toNs(bad), BtfError, /expected a finite timestamp/);
  }
  throwsTyped(() => ktimeToDate(NaN), BtfError, /finite clock offset/);
  assert.equal(toNs(5.9), 15n);
  assert.equal(toDate(2_000_000n).getTime(), 2);
});

Deno.test("misuse: directories, FIFOs and devices are refused, never read or waited on", async () => {
  const dir = `${BUILD}a_directory`;
  Deno.mkdirSync(dir, { recursive: true });
  const fifo = `${BUILD}a_fifo`;
  try {
    Deno.removeSync(fifo);
  } catch { /* none yet */ }
  new Deno.Command("mkfifo", { args: [fifo] }).outputSync();
  const cases: [string, RegExp][] = [
    [dir, /a directory/],
    [fifo, /a FIFO/],
    ["/dev/null", /a character device/],
    ["/dev/zero", /a character device/],
  ];
  for (const [path, re] of cases) {
    throwsTyped(() => mapFile(path), FfiError, re);
    throwsTyped(() => loadBtf(path), BtfError, re);
    throwsTyped(() => mapBtf(path), BtfError, re);
    await rejectsTyped(openRecordFile(path), BtfError, re);
  }
  throwsTyped(() => loadBtf(`${BUILD}missing.btf`), BtfError, /no such file/);
  throwsTyped(() => mapFile(`${BUILD}missing.btf`), FfiError, /ENOENT \(2\)/);
});

Deno.test("misuse: every CLI command taking a path refuses a directory, FIFO, device or missing path in one line", async () => {
  const { path } = smallBtfFile();
  const fifo = `${BUILD}cli_fifo`;
  try {
    Deno.removeSync(fifo);
  } catch { /* none yet */ }
  new Deno.Command("mkfifo", { args: [fifo] }).outputSync();
  const bad = [BUILD, fifo, "/dev/null", "/dev/zero", `${BUILD}vanished.btf`];
  const runs: string[][] = [];
  for (const p of bad) {
    runs.push(["btf", "dump", "--file", p]);
    runs.push(["btf", "dump", "--file", path, "--base", p]);
    runs.push(["btf", "layout", "pair", "--file", p]);
    runs.push(["btf", "decode", "pair", "--file", p, "--input", path]);
    runs.push(["btf", "decode", "pair", "--file", path, "--input", p]);
    runs.push(["load", p]);
    runs.push(["perf-data", p]);
  }
  const results = await Promise.all(runs.map(async (args) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: denoRun("-A", CLI_MAIN, ...args),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(120_000), // a hang guard, not a timing
    }).output();
    return { args, code: out.code, err: new TextDecoder().decode(out.stderr) };
  }));
  for (const r of results) {
    const what = r.args.join(" ");
    assert.equal(r.code, 1, `${what}: exit code (stderr: ${r.err})`);
    assert.equal(r.err.trim().split("\n").length, 1, `${what}: one line, got ${r.err}`);
    assert.match(r.err, /directory|FIFO|character device|no such file/i, what);
  }
});

Deno.test("misuse: silent limits are gone: option caches, find vs get", () => {
  const b = new BtfBuilder();
  const int = b.int("int", 4, { signed: true });
  b.fwd("thing");
  const thing = b.struct("thing", 4, [{ name: "v", type: int, bitOffset: 0 }]);
  const btf = parseBtf(b.build());
  // find() and get() agree: the complete struct wins over the forward declaration.
  assert.equal(btf.find("thing")?.id, thing);
  assert.equal(btf.get("thing").id, thing);
  assert.equal(btf.find("thing", Kind.FWD)?.kind, Kind.FWD);
  // Fresh options objects with the same converter share one class.
  const double = (x: number) => x * 2;
  const A = btf.view("thing", { fields: { v: double } });
  const B = btf.view("thing", { fields: { v: double } });
  assert.equal(A, B);
  // Fresh converters every call: the cache keeps a bounded number of option sets.
  const first = btf.view("thing", { fields: { v: (x: number) => x } });
  for (let i = 0; i < 100; i++) btf.view("thing", { fields: { v: (x: number) => x + i } });
  const again = btf.view("thing", { fields: { v: double } });
  assert.notEqual(first, again);
  const buf = new Int32Array([21]).buffer;
  assert.equal(new again(buf).v, 42);
});

Deno.test("misuse: decodeRecords with a bad source or buffer size gives BtfError", async () => {
  const { path } = smallBtfFile();
  const V = loadBtf(path).view("pair");
  const drain = async (src: unknown, o?: { bufferSize?: number }) => {
    for await (const _ of decodeRecords(V, src as Uint8Array[], o)) { /* drain */ }
  };
  await rejectsTyped(drain(null), BtfError, /ReadableStream or an iterable/);
  await rejectsTyped(drain([new Uint8Array(8), "x"]), BtfError, /byte chunks/);
  await rejectsTyped(drain([], { bufferSize: -1 }), BtfError, /positive integer bufferSize/);
});

Deno.test("misuse: a forgotten close() is unmapped once the bytes are collected", () => {
  const { path } = smallBtfFile();
  const script = `${BUILD}forgotten_close.ts`;
  Deno.writeTextFileSync(
    script,
    `import { mapFile } from ${JSON.stringify(new URL("../mod.ts", import.meta.url).href)};
const path = ${JSON.stringify(path)};
const count = () => Deno.readTextFileSync("/proc/self/maps").split("\\n").filter((l) => l.endsWith(path)).length;
for (let i = 0; i < 50; i++) mapFile(path).bytes[0];
const mapped = count();
for (let i = 0; i < 20 && count() > 0; i++) {
  (globalThis as unknown as { gc(): void }).gc();
  await new Promise((r) => setTimeout(r, 10)); // finalizers run between tasks
}
console.log(JSON.stringify({ mapped, left: count() }));
`,
  );
  const out = new Deno.Command(Deno.execPath(), {
    args: denoRun("-A", "--v8-flags=--expose-gc", script),
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  const err = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, err);
  const r = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.equal(r.mapped, 50, "every mapping is there before the collection");
  assert.equal(r.left, 0, "the finalization registry unmapped them all");
});
