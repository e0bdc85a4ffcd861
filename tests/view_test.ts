// Views checked against C: a host program (tests/c/view_writer.c) fills
// struct tricky (tests/c/view_types.h) with known values, writes its bytes
// and prints the JSON a view must give; the BTF comes from the same header
// compiled by clang for BPF (tests/bpf/view_types.bpf.c).
import assert from "node:assert/strict";
import {
  ArrayView,
  BtfError,
  describe,
  enumName,
  errnoName,
  Kind,
  ktimeToDate,
  ktimeToEpochNs,
  loadBtf,
  parseBtf,
  RESERVED_NAMES,
  viewClass,
} from "../mod.ts";
import { BtfBuilder } from "./btf_builder.ts";
import { buildDir, sh } from "./tools.ts";

const HERE = new URL(".", import.meta.url).pathname;
const BUILD = buildDir("view");

const OBJ = `${BUILD}view_types_test.bpf.o`;
const WRITER = `${BUILD}view_writer_test`;
const RECORDS = `${BUILD}view_records_test.bin`;
const FLEX = `${BUILD}view_flex_test.bin`;
sh("clang", ["-g", "-O2", "-target", "bpf", "-c", `${HERE}bpf/view_types.bpf.c`, "-o", OBJ]);
sh("cc", ["-O1", "-Wall", "-Werror", "-o", WRITER, `${HERE}c/view_writer.c`]);
const lines = sh(WRITER, [RECORDS, FLEX]).trim().split("\n").map((l) => JSON.parse(l));
const header = lines[0] as { size: number; n: number; offsets: Record<string, number> };
const expected = lines.slice(1) as Record<string, unknown>[];
const btf = loadBtf(OBJ);
const bytes = Deno.readFileSync(RECORDS);

// clang 14 emits enums without the signedness flag: BTF then calls them unsigned.
const signIsSigned = (btf.get("sign") as { signed: boolean }).signed;
function want(i: number): Record<string, unknown> {
  const w = structuredClone(expected[i]);
  if (!signIsSigned) w.sign = (w.sign as number) >>> 0;
  return w;
}

Deno.test("view: every field of every record matches the C writer's values", () => {
  const V = btf.view("tricky");
  assert.equal(V.size, header.size);
  assert.equal(bytes.length, header.size * header.n);
  const v = new V(bytes);
  for (let i = 0; i < header.n; i++) {
    v.rebind(i * V.size);
    assert.deepEqual(JSON.parse(JSON.stringify(v)), want(i), `record ${i} (JSON)`);
    assert.deepEqual(v.toObject(), v.toJSON());
  }
});

Deno.test("view: getters give JS types per C type", () => {
  const V = btf.view("tricky");
  const v = new V(bytes.buffer, V.size); // record 1, on the ArrayBuffer
  const w = expected[1];
  assert.equal(v.u8v, w.u8v);
  assert.equal(v.s8v, w.s8v);
  assert.equal(v.u16v, w.u16v);
  assert.equal(v.s16v, w.s16v);
  assert.equal(v.u32v, w.u32v);
  assert.equal(v.s32v, w.s32v);
  assert.equal(v.u64v, BigInt(w.u64v as string));
  assert.equal(v.s64v, BigInt(w.s64v as string));
  assert.equal(v.u64small, BigInt(w.u64small as number), "64-bit ints are bigints by default");
  assert.equal(v.bf_b, -4, "signed bitfield sign-extended");
  assert.equal(v.bf_d, -993, "signed bitfield straddling two byte boundaries");
  assert.equal(v.bf_e, 0xabcdef1235n, "40-bit bitfield of a u64");
  assert.equal(
    v.bf_f,
    -3999999,
    "23-bit signed bitfield of an s64: bitfields up to 32 bits are numbers",
  );
  assert.equal(v.bf_g, true, "_Bool bitfield");
  assert.equal(v.bf_i, -1);
  assert.equal(v.f32, 3);
  assert.equal(v.f64, 3.141592653589793 * 2);
  assert.equal(v.flag, false);
  assert.equal(v.c, "B".charCodeAt(0));
  assert.equal(v.ptr, 0xffff888812345680n);
  assert.equal(v.color, 5);
  assert.equal(v.tiny, 1);
  assert.equal(v.cv, 0xdeadbeee, "typedef/const/volatile chain");
  assert.equal(v.anon_a, 78, "anonymous struct member reachable as in C");
  assert.equal(v.anon_f, 1.125, "anonymous union inside it");
  assert.equal(v.name, "rec1");
  assert.equal(v.full, "ABCD", "char array without NUL");
  assert.equal(v.utf8, "h\u00e9\ufffd", "invalid UTF-8 replaced");
  assert.equal(v.err, -3);
  assert.equal(v.ts, 2000000123n);
});

Deno.test("view: int64 'safe' gives numbers when safe, bigints beyond 2^53", () => {
  const V = btf.view("tricky", { int64: "safe" });
  assert.notEqual(V, btf.view("tricky"));
  const v = new V(bytes);
  assert.equal(v.u64small, 1234567890123);
  assert.equal(v.ts, 1000000123);
  assert.equal(v.bf_e, 0xabcdef1234);
  assert.equal(v.bf_f, -4000000);
  assert.equal(v.u64v, 0xfedcba9876543210n);
  assert.equal(v.s64v, -0x7000000000000000n);
  assert.equal(v.ptr, 0xffff888812345678n);
  assert.deepEqual(JSON.parse(JSON.stringify(v)), want(0));
});

Deno.test("view: arrays are zero-copy typed arrays, arrays of structs indexable views", () => {
  const V = btf.view("tricky");
  const v = new V(bytes, 2 * V.size);
  const arr = v.arr as Uint32Array;
  assert.ok(arr instanceof Uint32Array);
  assert.equal(arr.buffer, bytes.buffer, "no copy");
  assert.deepEqual([...arr], [2, 1002, 2002, 3002]);
  assert.ok(v.arr64 instanceof BigInt64Array);
  assert.deepEqual([...v.arr64 as BigInt64Array], [-(1n << 60n) + 2n, -(1n << 60n) + 3n]);
  assert.ok(v.arr16 instanceof Uint16Array);
  assert.equal(v.arr, arr, "the same array object while the view stays on the record");
  // Writing through the typed array changes the bytes the view reads.
  const saved = arr[0];
  arr[0] = 424242;
  assert.equal((v.toObject().arr as number[])[0], 424242);
  arr[0] = saved;

  const pts = v.pts as ArrayView;
  assert.ok(pts instanceof ArrayView);
  assert.equal(pts.length, 3);
  const p1 = pts[1] as { x: number; y: number };
  assert.equal(p1.x, 12);
  assert.equal(p1.y, -12);
  assert.equal((pts.at(-1) as { x: number }).x, 22);
  assert.equal(pts.at(3), undefined);
  assert.deepEqual([...pts].map((p) => (p as { y: number }).y), [-2, -12, -22]);

  const m = v.matrix as ArrayView;
  assert.deepEqual([...(m[1] as Int32Array)], [12, 13, 14]);
  assert.deepEqual([...v.names as ArrayView], ["alpha", "beta"]);
  // The packed struct's array is misaligned: read correctly (as a copy).
  const pk = v.pk as { arr: Uint32Array; a: number; b: bigint };
  assert.deepEqual([...pk.arr], [0x01020306, 0x05060708]);
  assert.equal(pk.b, 0x112233445566778an);
  // A union member reads both ways.
  const un = v.un as { un_s64: bigint; un_bytes: Uint8Array };
  assert.equal(un.un_s64, -7n);
  assert.equal(un.un_bytes[0], 0xf9);
});

Deno.test("view: nested views are cached children rebound with their parent", () => {
  const V = btf.view("tricky");
  const v = new V(bytes);
  const pt = v.pt as { x: number; y: number };
  assert.equal(pt.x, 0);
  v.rebind(3 * V.size);
  assert.equal(v.pt, pt, "the same child object");
  assert.equal(pt.x, 3);
  assert.equal(pt.y, -3);
});

Deno.test("view: names the API reserves are reached with get(), and rebind still works", () => {
  const V = btf.view("tricky");
  const v = new V(bytes);
  assert.ok(RESERVED_NAMES.has("rebind") && RESERVED_NAMES.has("constructor"));
  assert.equal(typeof v.rebind, "function");
  assert.equal(v.get("rebind"), 11);
  assert.equal(v.get("constructor"), 22);
  assert.equal(v.constructor, V);
  assert.equal(v.get("u8v"), 200);
  assert.throws(() => v.get("nope"), BtfError);
  const f = V.fields.find((x) => x.name === "rebind")!;
  assert.equal(f.direct, false);
  assert.equal(v.toObject().rebind, 11);
});

Deno.test("view: flexible array members are bounded by the record length", () => {
  const flex = Deno.readFileSync(FLEX);
  const V = btf.view("tricky");
  assert.equal(flex.length, V.size + 12);
  const v = new V(flex, 0, flex.length);
  assert.deepEqual([...v.tail as Uint32Array], [7, 8, 0xffffffff]);
  v.rebind(0); // default length: sizeof, so no elements
  assert.deepEqual([...v.tail as Uint32Array], []);
  v.rebind(0, V.size + 7);
  assert.equal((v.tail as Uint32Array).length, 1);
});

Deno.test("view: regions shorter than the type are refused with expected/found bytes", () => {
  const V = btf.view("tricky");
  assert.throws(
    () => new V(bytes.subarray(0, 100)),
    (e: Error) =>
      e instanceof BtfError && e.message.includes(`expected ${V.size} bytes`) &&
      e.message.includes("found 100"),
  );
  assert.throws(() => new V(bytes, 0, 100), /expected 312 bytes for struct tricky, found 100/);
  const v = new V(bytes);
  assert.throws(() => v.rebind(bytes.length - 10), /found 10/);
  assert.throws(() => v.rebind(-1), BtfError);
  assert.throws(() => v.rebind(1.5), BtfError);
  // A view on a DataView region reads only inside it.
  const region = new DataView(bytes.buffer, V.size, V.size);
  const r = new V(region);
  assert.equal(r.u8v, 201);
  assert.throws(() => r.rebind(1), BtfError);
});

Deno.test("view: converters per field, per type name, enum names, user-defined", () => {
  const offset = 1_700_000_000_000_000_000n;
  const V = btf.view("tricky", {
    enums: "name",
    fields: { err: errnoName, ts: ktimeToDate(offset), "pt.x": (x: number) => `x=${x}` },
    types: { view_ktime_t: ktimeToEpochNs(0) }, // the field converter wins for ts
  });
  const v = new V(bytes, V.size);
  assert.equal(v.err, "-ESRCH");
  assert.ok(v.ts instanceof Date);
  assert.equal((v.ts as Date).getTime(), 1_700_000_000_000 + 2000);
  assert.equal(v.color, "GREEN");
  assert.equal(v.sign, "NEG");
  assert.equal(v.tiny, "T_A");
  assert.equal((v.pt as { x: unknown }).x, "x=1");
  const o = JSON.parse(JSON.stringify(v));
  assert.equal(o.err, "-ESRCH");
  assert.equal(o.ts, new Date(1_700_000_002_000).toISOString());
  assert.equal(o.pt.x, "x=1");

  const W = btf.view("tricky", { types: { view_ktime_t: ktimeToEpochNs(5n) } });
  assert.equal(new W(bytes).ts, 1000000128n);
  const E = btf.view("tricky", { fields: { color: enumName } });
  assert.equal(new E(bytes, 3 * V.size).color, "BLUE");
});

Deno.test("view: classes are cached per type and options; type by name, id or Type", () => {
  const t = btf.get("tricky");
  const V = btf.view("tricky");
  assert.equal(btf.view(t.id), V);
  assert.equal(btf.view(t), V);
  assert.equal(btf.view("struct tricky"), V);
  assert.equal(viewClass(btf, "tricky"), V);
  assert.equal(btf.view("tricky", { int64: "safe" }), btf.view("tricky", { int64: "safe" }));
  assert.equal(V.typeName, "struct tricky");
  assert.throws(() => btf.view("color"), /expected a struct, union or data section/);
  assert.throws(() => btf.view("no_such_type"), BtfError);
});

Deno.test("view: BTF names never reach generated code", () => {
  const evil = [
    'x"];Deno.exit(3)//',
    "a'+(globalThis.pwned=1)+'",
    "`${globalThis.pwned=2}`",
    "__proto__",
    "constructor",
    "toString",
    "\\",
    "0",
  ];
  const b = new BtfBuilder();
  const u32 = b.int("unsigned int", 4);
  const inner = b.struct(evil[1], 4, [{ name: evil[2], type: u32, bitOffset: 0 }]);
  const members = evil.map((name, i) => ({ name, type: i === 1 ? inner : u32, bitOffset: 32 * i }));
  b.struct("evil", 4 * evil.length, members);
  const hostile = parseBtf(b.build());
  const sources: string[] = [];
  const RealFunction = globalThis.Function;
  globalThis.Function = new Proxy(RealFunction, {
    construct(target, args) {
      sources.push(args.map(String).join("\n"));
      return Reflect.construct(target, args);
    },
  });
  let V;
  try {
    V = hostile.view("evil");
  } finally {
    globalThis.Function = RealFunction;
  }
  const buf = new Uint32Array(evil.map((_, i) => i + 100));
  const v = new V(buf);
  const o = v.toObject();
  assert.equal(Object.getPrototypeOf(o), Object.prototype, "__proto__ stays an own key");
  assert.equal((globalThis as { pwned?: number }).pwned, undefined);
  for (let i = 0; i < evil.length; i++) {
    if (i === 1) continue;
    assert.equal(v.get(evil[i]), 100 + i, evil[i]);
    assert.equal(o[evil[i]], 100 + i, evil[i]);
  }
  assert.equal((v as Record<string, unknown>)['x"];Deno.exit(3)//'], 100);
  assert.deepEqual((v.get(evil[1]) as { toObject(): unknown }).toObject(), { [evil[2]]: 101 });
  assert.equal(typeof v.toString, "function");
  // No name from the BTF appears in any generated source.
  assert.ok(sources.length > 0);
  for (const src of sources) {
    for (const name of ["Deno.exit", "pwned", "evil"]) assert.ok(!src.includes(name), src);
  }
});

Deno.test("view: every struct and union of the kernel's BTF compiles and serializes", () => {
  const kernel = loadBtf();
  // A few big ones over non-zero bytes.
  const buf = new ArrayBuffer(1 << 16);
  new Uint8Array(buf).fill(0xa5);
  for (const name of ["task_struct", "sk_buff", "trace_event_raw_sched_switch", "bpf_prog"]) {
    const V = kernel.view(name);
    const o = JSON.parse(JSON.stringify(new V(buf)));
    assert.ok(Object.keys(o).length > 0);
  }
  const S = kernel.view("trace_event_raw_sched_switch");
  const s = new S(new ArrayBuffer(S.size));
  assert.equal(s.prev_comm, "");
  // Then every struct and union, over at least 4 KiB of zeros (so flexible
  // arrays get elements): all compile, and toObject() stays within its
  // value budget (nested unions reused at every level are hostile, not kernel).
  let largest = 0;
  const ids: number[] = [];
  for (let id = 1; id < kernel.count; id++) {
    const k = kernel.kindOf(id);
    if (k !== Kind.STRUCT && k !== Kind.UNION) continue;
    ids.push(id);
    largest = Math.max(largest, (kernel.type(id) as { size: number }).size);
  }
  const zeros = new ArrayBuffer(Math.max(4096, largest));
  const t0 = performance.now();
  let n = 0;
  for (const id of ids) {
    const V = kernel.view(id);
    const v = new V(zeros, 0, Math.max(4096, V.size));
    const o = v.toObject();
    assert.equal(typeof o, "object", describe(kernel, id));
    JSON.stringify(v);
    n++;
  }
  assert.ok(n > 1000, `expected the kernel to have many structs and unions, found ${n}`);
  console.log(
    `  ${n} kernel structs and unions viewed, serialized twice: ${
      (performance.now() - t0).toFixed(0)
    } ms`,
  );
});

Deno.test("view: hostile layouts give BtfError, never a hang or a raw error", () => {
  const b = new BtfBuilder();
  const u32 = b.int("unsigned int", 4);
  const selfId = b.nextId;
  b.struct("self", 8, [
    { name: "s", type: selfId, bitOffset: 0 },
    { name: "x", type: u32, bitOffset: 32 },
  ]);
  b.struct("past", 4, [{ name: "x", type: u32, bitOffset: 32 }]);
  b.struct("bigarr", 4, [{ name: "a", type: b.array(u32, u32, 0x7fffffff), bitOffset: 0 }]);
  const td = b.nextId;
  b.typedef("loop", td);
  b.struct("tdloop", 4, [{ name: "l", type: td, bitOffset: 0 }]);
  b.struct("bf", 4, [{ name: "z", type: u32, bitOffset: 0, bitfieldSize: 200 }]);
  b.struct("bfpast", 4, [{ name: "z", type: u32, bitOffset: 30, bitfieldSize: 3 }]);
  b.struct("odd", 8, [{ name: "o", type: u32, bitOffset: 3 }]);
  const hostile = parseBtf(b.build());
  const buf = new ArrayBuffer(64);
  // A struct containing itself compiles lazily; serializing it stops at the depth limit.
  const Self = hostile.view("self");
  assert.equal(new Self(buf).x, 0);
  assert.throws(() => JSON.stringify(new Self(buf)), BtfError);
  for (const name of ["past", "bigarr", "tdloop", "bf", "bfpast", "odd"]) {
    assert.throws(() => new (hostile.view(name))(buf).toObject(), BtfError, name);
  }
});

Deno.test("view: nested unions reused at every level serialize within a value budget", () => {
  // A 4-byte union whose every level has two members of the level below:
  // toObject() would build 2^levels objects.
  const b = new BtfBuilder();
  let t = b.int("int", 4, { signed: true });
  const levels: number[] = [];
  for (let i = 0; i < 40; i++) {
    t = b.union(`d${i}`, 4, [{ name: "a", type: t, bitOffset: 0 }, {
      name: "b",
      type: t,
      bitOffset: 0,
    }]);
    levels.push(t);
  }
  const btf = parseBtf(b.build());
  const buf = new Int32Array([7]).buffer;
  const small = new (btf.view(levels[7]))(buf).toObject();
  assert.equal(JSON.stringify(small).match(/7/g)?.length, 256);
  const V = btf.view(levels[39]);
  const v = new V(buf);
  // Getters are not affected: 40 levels down is the int.
  // deno-lint-ignore no-explicit-any
  let x: any = v;
  for (let i = 0; i < 40; i++) x = i % 3 ? x.a : x.b;
  assert.equal(x, 7);
  const t0 = performance.now();
  const budget = (e: unknown) =>
    e instanceof BtfError && /^expected toObject\(\) to build at most \d+ values/.test(e.message) &&
    /found more at union d\d+/.test(e.message);
  assert.throws(() => v.toObject(), budget);
  assert.throws(() => JSON.stringify(v), budget);
  assert.throws(() => JSON.stringify({ nested: [v] }), budget);
  assert.ok(performance.now() - t0 < 2000, "the budget stops the walk early");
  // A failed toObject() leaves nothing behind: the next call has its own budget.
  assert.equal(JSON.stringify(small), JSON.stringify(new (btf.view(levels[7]))(buf)));
});

Deno.test("view: a zero-length array followed by a member is not flexible", () => {
  const V = btf.view("zero_mid");
  assert.equal(V.size, 8);
  const buf = new Uint8Array(16).fill(0xff);
  new DataView(buf.buffer).setUint32(4, 42, true);
  const v = new V(buf, 0, 16); // room past sizeof: still not z's
  assert.equal((v.z as Int32Array).length, 0);
  assert.equal(v.b, 42);
  assert.deepEqual(JSON.parse(JSON.stringify(v)), { a: 0xffffffff, z: [], b: 42 });
});

Deno.test("view: flexible arrays of structs and in unions (DECLARE_FLEX_ARRAY) grow", () => {
  const F = btf.view("flex_pts");
  const buf = new Uint8Array(4 + 3 * 8 + 5); // 3 whole elements and a partial one
  const dv = new DataView(buf.buffer);
  for (let i = 0; i < 3; i++) {
    dv.setInt32(4 + 8 * i, i, true);
    dv.setInt32(8 + 8 * i, -i, true);
  }
  const v = new F(buf, 0, buf.length);
  const items = v.items as ArrayView;
  assert.equal(items.length, 3);
  assert.deepEqual(JSON.parse(JSON.stringify(items[2])), { x: 2, y: -2 }, "indexable");
  assert.equal(items[3], undefined, "past the end");
  assert.equal(items.at(-1) !== undefined, true);
  assert.deepEqual(v.toObject().items, [{ x: 0, y: 0 }, { x: 1, y: -1 }, { x: 2, y: -2 }]);
  v.rebind(0); // a child is a cursor: read it again after moving the parent
  assert.equal((v.items as ArrayView).length, 0);
  assert.equal((v.items as ArrayView)[0], undefined);

  const U = btf.view("flex_union");
  const u = new U(new Uint8Array(U.size + 6), 0, U.size + 6);
  assert.equal((u.a as Uint8Array).length, 6);
  assert.equal((u.b as Uint16Array).length, 3);
});

Deno.test("view: NaN and infinities are strings in toObject()/JSON, numbers from getters", () => {
  const V = btf.view("floats");
  const buf = new Uint8Array(V.size + 1); // bound at byte 1: float arrays are copies
  const dv = new DataView(buf.buffer, 1);
  dv.setFloat32(0, NaN, true);
  dv.setFloat64(8, -Infinity, true);
  dv.setFloat32(16, Infinity, true);
  dv.setFloat32(20, 1.5, true);
  dv.setFloat32(24, -0, true);
  const v = new V(buf, 1);
  assert.ok(Number.isNaN(v.f));
  assert.equal(v.d, -Infinity);
  const want = { f: "NaN", d: "-Infinity", fa: ["Infinity", 1.5, -0] };
  assert.deepEqual(v.toObject(), want);
  assert.deepEqual(JSON.parse(JSON.stringify(v)), { ...want, fa: ["Infinity", 1.5, 0] });
});

Deno.test("view: views at unaligned offsets read the same values", () => {
  const V = btf.view("tricky");
  for (const shift of [1, 2, 3, 5]) {
    const moved = new Uint8Array(V.size + shift);
    moved.set(bytes.subarray(V.size, 2 * V.size), shift);
    const v = new V(moved, shift);
    assert.deepEqual(JSON.parse(JSON.stringify(v)), want(1), `shift ${shift}`);
  }
});

Deno.test("view: a bitfield whose storage unit runs past the record reads only the record", () => {
  const b = new BtfBuilder();
  const u8 = b.int("unsigned char", 1);
  const u64 = b.int("unsigned long long", 8);
  const s32 = b.int("int", 4, { signed: true });
  b.struct("edge", 2, [
    { name: "a", type: u8, bitOffset: 0, bitfieldSize: 8 },
    { name: "x", type: u64, bitOffset: 8, bitfieldSize: 4 },
    { name: "s", type: s32, bitOffset: 15, bitfieldSize: 1 },
  ]);
  const V = parseBtf(b.build()).view("edge");
  const buf = new Uint8Array([0, 0, 0xff, 0xfa]);
  const v = new V(new DataView(buf.buffer, 2, 2)); // the record ends the buffer
  assert.equal(v.a, 0xff);
  assert.equal(v.x, 0xa);
  assert.equal(v.s, -1, "1-bit signed bitfield");
});

Deno.test("view: clock offsets that are not numbers give BtfError", () => {
  assert.throws(() => ktimeToDate(NaN), BtfError);
  assert.throws(() => ktimeToEpochNs(Infinity), BtfError);
});

Deno.test("view: rebind still rejects bad regions with BtfError after its loop is optimized", () => {
  const V = loadBtf().view<{ prev_pid: number }>("trace_event_raw_sched_switch");
  const buf = new Uint8Array(V.size * 100);
  const v = new V(buf);
  const walk = (end: number) => {
    let s = 0;
    for (let off = 0; off < end; off += V.size) s += v.rebind(off).prev_pid;
    return s;
  };
  for (let i = 0; i < 3000; i++) walk(buf.length);
  assert.throws(() => walk(buf.length + V.size), (e) => {
    return e instanceof BtfError && /expected \d+ bytes for .*, found 0/.test(e.message) &&
      e.offset === buf.length;
  });
  for (const bad of [-1, 1.5, NaN, 2 ** 32, "0", buf.length - 1]) {
    assert.throws(() => (v.rebind as (o: unknown) => unknown)(bad), BtfError, String(bad));
  }
  assert.throws(() => v.rebind(0, V.size - 1), BtfError);
});
