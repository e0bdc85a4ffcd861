// Fuzzes the view builder: random nested layouts (ints of every width and
// signedness, bools, chars, enums, floats, pointers, typedef/const chains,
// bitfields anywhere, nested and anonymous structs and unions, arrays of
// everything, flexible arrays) in both byte orders, written with
// tests/btf_builder.ts and filled with random bytes. Every field a view
// gives is compared with an independent slow decoder that reads bit by bit
// with bigints.
import assert from "node:assert/strict";
import { parseBtf } from "../mod.ts";
import type { Btf } from "../btf/parse.ts";
import type { Member } from "../btf/types.ts";
import { Kind } from "../btf/kinds.ts";
import { BtfBuilder } from "./btf_builder.ts";

/** mulberry32: a small deterministic PRNG. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
    chance: (p: number) => next() < p,
  };
}
type Rng = ReturnType<typeof rng>;

interface Gen {
  id: number;
  size: number;
  align: number;
  /** Can be a bitfield base (int or enum). */
  bits: boolean;
}

/** Builds random types into a builder. */
class Layouts {
  readonly b: BtfBuilder;
  readonly r: Rng;
  readonly leaves: Gen[] = [];
  readonly u32: number;
  readonly char: number;
  #names = 0;

  constructor(r: Rng, littleEndian: boolean) {
    this.r = r;
    this.b = new BtfBuilder({ littleEndian });
    const b = this.b;
    const leaf = (id: number, size: number, bits = true) =>
      this.leaves.push({ id, size, align: Math.min(size, 8), bits });
    this.u32 = b.int("unsigned int", 4);
    this.char = b.int("char", 1, { signed: true, char: true });
    leaf(this.u32, 4);
    leaf(this.char, 1);
    for (const size of [1, 2, 4, 8]) {
      leaf(b.int(`s${size}`, size, { signed: true }), size);
      leaf(b.int(`u${size}`, size), size);
    }
    leaf(b.int("_Bool", 1, { bool: true }), 1);
    leaf(b.int("__int128", 16, { signed: true }), 16, false);
    leaf(b.int("unsigned __int128", 16), 16, false);
    leaf(b.float("float", 4), 4, false);
    leaf(b.float("double", 8), 8, false);
    leaf(b.float("_Float16", 2), 2, false);
    leaf(b.ptr(0), 8, false);
    leaf(b.enum("e4u", 4, [["A", 0], ["B", 7], ["C", 0xfffffff0]]), 4);
    leaf(b.enum("e4s", 4, [["N", -5], ["P", 5]], true), 4);
    leaf(b.enum("e1", 1, [["X", 1], ["Y", 255]]), 1);
    leaf(b.enum("e2s", 2, [["M", -300]], true), 2);
    leaf(b.enum64("e8u", 8, [["BIG", 1n << 60n], ["ALL", (1n << 64n) - 1n]]), 8);
    leaf(b.enum64("e8s", 8, [["NEG", -(1n << 62n)]], true), 8);
  }

  name(): string {
    return `f${this.#names++}`;
  }

  /** A random type (maybe wrapped in typedefs and qualifiers). */
  type(depth: number): Gen {
    const r = this.r;
    const roll = r.next();
    let g: Gen;
    if (depth < 3 && roll < 0.15) g = this.composite(depth + 1, r.chance(0.3));
    else if (depth < 3 && roll < 0.3) g = this.array(depth + 1);
    else g = r.pick(this.leaves);
    return this.wrap(g);
  }

  wrap(g: Gen): Gen {
    const r = this.r, b = this.b;
    let id = g.id;
    while (r.chance(0.2)) {
      id = r.pick([
        () => b.typedef(`t${this.#names++}`, id),
        () => b.const(id),
        () => b.volatile(id),
      ])();
    }
    return { ...g, id };
  }

  array(depth: number): Gen {
    const r = this.r;
    const elem = r.chance(0.25)
      ? { id: this.char, size: 1, align: 1, bits: false }
      : this.type(depth);
    const n = r.int(0, 5);
    return {
      id: this.b.array(elem.id, this.u32, n),
      size: elem.size * n,
      align: elem.align,
      bits: false,
    };
  }

  /** A struct or union; `flex` allows a trailing flexible array. */
  composite(depth: number, union: boolean, flex = false): Gen {
    const r = this.r;
    const members: { name: string; type: number; bitOffset: number; bitfieldSize?: number }[] = [];
    const count = r.int(1, 6);
    let cursor = 0, end = 0, align = 1;
    const packed = r.chance(0.3);
    for (let i = 0; i < count; i++) {
      const anon = depth < 3 && r.chance(0.12);
      const t = anon ? this.composite(depth + 1, r.chance(0.5)) : this.type(depth);
      const base = union ? 0 : cursor;
      if (t.bits && r.chance(0.35)) {
        const width = r.int(1, Math.min(64, t.size * 8));
        const at = union ? r.int(0, 16) : base + r.int(0, 9);
        const unnamed = r.chance(0.1);
        members.push({
          name: unnamed ? "" : this.name(),
          type: t.id,
          bitOffset: at,
          bitfieldSize: width,
        });
        end = Math.max(end, at + width);
        if (!union) cursor = at + width;
        continue;
      }
      let at = Math.ceil(base / 8) * 8;
      if (!packed) at = Math.ceil(at / (8 * t.align)) * 8 * t.align;
      align = Math.max(align, packed ? 1 : t.align);
      members.push({ name: anon ? "" : this.name(), type: t.id, bitOffset: at });
      end = Math.max(end, at + t.size * 8);
      if (!union) cursor = at + t.size * 8;
    }
    let size = Math.ceil(end / 8);
    size = Math.ceil(size / align) * align + (r.chance(0.2) ? r.int(0, 3) : 0);
    if (flex && !union) {
      const elem = r.pick([...this.leaves.filter((l) => l.size <= 8), {
        id: this.char,
        size: 1,
        align: 1,
        bits: false,
      }]);
      const at = Math.ceil(end / 8 / elem.align) * elem.align;
      members.push({
        name: this.name(),
        type: this.b.array(elem.id, this.u32, 0),
        bitOffset: at * 8,
      });
      size = Math.max(size, Math.ceil(at / elem.align) * elem.align);
    }
    const kflag = members.some((m) => m.bitfieldSize);
    // Without kind_flag the builder writes plain offsets: give bitfield-free members only.
    const id = union
      ? this.b.union(r.chance(0.5) ? "" : this.name(), size, members)
      : this.b.struct(r.chance(0.5) ? "" : this.name(), size, members);
    void kflag;
    return { id, size, align, bits: false };
  }
}

// ---------------------------------------------------------------------------
// The slow decoder: bit by bit, with bigints, written from the C semantics.

function bitsAt(bytes: Uint8Array, bitOff: number, width: number, le: boolean): bigint {
  let v = 0n;
  if (le) {
    for (let i = width - 1; i >= 0; i--) {
      const p = bitOff + i;
      v = (v << 1n) | BigInt((bytes[p >> 3] >> (p & 7)) & 1);
    }
  } else {
    for (let i = 0; i < width; i++) {
      const p = bitOff + i;
      v = (v << 1n) | BigInt((bytes[p >> 3] >> (7 - (p & 7))) & 1);
    }
  }
  return v;
}

function json(v: bigint): number | string {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(v)
    : v.toString();
}

function resolve(btf: Btf, id: number): number {
  for (;;) {
    const k = btf.kindOf(id);
    if (k === Kind.TYPEDEF || k === Kind.CONST || k === Kind.VOLATILE) {
      id = (btf.type(id) as { type: number }).type;
    } else return id;
  }
}

function slowValue(
  btf: Btf,
  bytes: Uint8Array,
  id: number,
  bitOff: number,
  bitfield: number,
  regionEnd: number,
  slack: number,
): unknown {
  const le = btf.littleEndian;
  const t = btf.type(resolve(btf, id));
  switch (t.kind) {
    case Kind.INT:
    case Kind.ENUM:
    case Kind.ENUM64: {
      const width = bitfield || t.size * 8;
      const raw = bitsAt(bytes, bitOff, width, le);
      const bool = t.kind === Kind.INT && t.bool;
      if (bool) return raw !== 0n;
      return json(t.signed ? BigInt.asIntN(width, raw) : raw);
    }
    case Kind.PTR:
      return json(bitsAt(bytes, bitOff, 64, le));
    case Kind.FLOAT: {
      const dv = new DataView(bytes.buffer, bytes.byteOffset);
      const at = bitOff / 8;
      return t.size === 4
        ? dv.getFloat32(at, le)
        : t.size === 8
        ? dv.getFloat64(at, le)
        : dv.getFloat16(at, le);
    }
    case Kind.STRUCT:
    case Kind.UNION:
      return slowObject(btf, bytes, t.id, bitOff, regionEnd);
    case Kind.ARRAY: {
      const erid = resolve(btf, t.type);
      const et = btf.type(erid);
      const esize = sizeOfSlow(btf, erid);
      let n = t.nelems;
      if (n === 0 && slack >= 0) {
        n = esize ? Math.max(0, Math.floor((regionEnd - bitOff / 8 - slack) / esize)) : 0;
      }
      if (et.kind === Kind.INT && et.size === 1 && et.char) {
        const from = bitOff / 8;
        let e = from;
        while (e < from + n && bytes[e] !== 0) e++;
        return new TextDecoder().decode(bytes.subarray(from, e));
      }
      const out = [];
      for (let i = 0; i < n; i++) {
        out.push(
          slowValue(btf, bytes, erid, bitOff + i * esize * 8, 0, bitOff / 8 + (i + 1) * esize, -1),
        );
      }
      return out;
    }
    default:
      throw new Error(`slow decoder: kind ${t.kind}`);
  }
}

function sizeOfSlow(btf: Btf, id: number): number {
  const t = btf.type(resolve(btf, id));
  switch (t.kind) {
    case Kind.ARRAY:
      return t.nelems * sizeOfSlow(btf, t.type);
    case Kind.PTR:
      return 8;
    default:
      return (t as { size: number }).size;
  }
}

/** A struct or union as an object, anonymous members flattened into it. */
function slowObject(
  btf: Btf,
  bytes: Uint8Array,
  id: number,
  bitBase: number,
  regionEnd: number,
  out: Record<string, unknown> = {},
  outer?: { size: number; maxOff: number; base: number; tails: Set<string> },
): Record<string, unknown> {
  const t = btf.type(id);
  if (t.kind !== Kind.STRUCT && t.kind !== Kind.UNION) throw new Error("not composite");
  // Offsets of the flattened fields decide which member is last (the tail).
  const maxOff = t.kind === Kind.STRUCT ? maxFieldOffset(btf, id, 0) : -1;
  const top = outer ?? { size: t.size, maxOff, base: bitBase, tails: tailFields(btf, id, maxOff) };
  for (const m of t.members) {
    const at = bitBase + m.bitOffset;
    if (m.name === "") {
      const r = btf.type(resolve(btf, m.type));
      if (r.kind === Kind.STRUCT || r.kind === Kind.UNION) {
        slowObject(btf, bytes, r.id, at, regionEnd, out, top);
      }
      continue;
    }
    if (m.name in out) continue;
    const tail = top.tails.has(`${m.name}@${at - top.base}`);
    const slack = tail ? top.size - (at - top.base) / 8 : -1;
    const end = tail ? regionEnd : (at >> 3) + (m.bitfieldSize ? 0 : sizeOfSlow(btf, m.type));
    out[m.name] = slowValue(btf, bytes, m.type, at, m.bitfieldSize, end, slack);
  }
  return out;
}

/**
 * The members (`name@bitOffset`) that may grow into the region: those at the
 * last offset with no member of nonzero size declared after them there (a
 * GNU `int z[0]; u32 b;` leaves z empty).
 */
function tailFields(btf: Btf, id: number, maxOff: number): Set<string> {
  const flat: { key: string; sized: boolean }[] = [];
  const walk = (tid: number, base: number) => {
    for (const m of (btf.type(tid) as unknown as { members: readonly Member[] }).members) {
      const at = base + m.bitOffset;
      if (m.name === "") {
        const r = btf.type(resolve(btf, m.type));
        if (r.kind === Kind.STRUCT || r.kind === Kind.UNION) walk(r.id, at);
        continue;
      }
      if (at !== maxOff) continue;
      flat.push({ key: `${m.name}@${at}`, sized: !!m.bitfieldSize || sizeOfSlow(btf, m.type) > 0 });
    }
  };
  const tails = new Set<string>();
  if (maxOff < 0) return tails;
  walk(id, 0);
  for (let i = flat.length - 1; i >= 0; i--) {
    tails.add(flat[i].key);
    if (flat[i].sized) break;
  }
  return tails;
}

function maxFieldOffset(btf: Btf, id: number, base: number): number {
  let max = -1;
  const t = btf.type(id);
  if (t.kind !== Kind.STRUCT && t.kind !== Kind.UNION) return max;
  for (const m of t.members) {
    const at = base + m.bitOffset;
    if (m.name === "") {
      const r = btf.type(resolve(btf, m.type));
      if (r.kind === Kind.STRUCT || r.kind === Kind.UNION) {
        max = Math.max(max, maxFieldOffset(btf, r.id, at));
      }
      continue;
    }
    max = Math.max(max, at);
  }
  return max;
}

/** A value as plain JSON: bigints by the JSON rules, typed arrays as arrays, NaN/Infinity as strings. */
function plain(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x) => {
    if (typeof x === "bigint") return json(x);
    if (typeof x === "number" && !Number.isFinite(x)) return String(x);
    if (ArrayBuffer.isView(x)) return Array.from(x as unknown as ArrayLike<unknown>);
    return x;
  }));
}

const LAYOUTS = 400;

Deno.test(`view fuzz: ${LAYOUTS} random layouts in both byte orders match a slow decoder`, () => {
  let fields = 0;
  for (let seed = 1; seed <= LAYOUTS; seed++) {
    const r = rng(seed);
    const le = seed % 3 !== 0;
    const L = new Layouts(r, le);
    const top = L.composite(0, false, r.chance(0.4));
    const btf = parseBtf(L.b.build());
    const V = btf.view(top.id);
    const S = btf.view(top.id, { int64: "safe" });
    assert.equal(V.size, top.size, `seed ${seed}: size`);
    const extra = r.int(0, 24);
    const bytes = new Uint8Array(top.size + extra + 8);
    for (let i = 0; i < bytes.length; i++) bytes[i] = r.int(0, 255);
    // Bind at an odd offset too, so nothing relies on alignment.
    const at = r.int(0, 8);
    const region = bytes.subarray(at, at + top.size + extra);
    const want = plain(slowObject(btf, region, top.id, 0, top.size + extra));
    const v = new V(bytes, at, top.size + extra);
    const s = new S(bytes, at, top.size + extra);
    const ctx = `seed ${seed} (${le ? "LE" : "BE"}, at ${at})`;
    assert.deepEqual(plain(v.toObject()), want, ctx);
    assert.deepEqual(plain(s.toObject()), want, `${ctx}, int64 safe`);
    // Each getter on its own, too (not only through toObject).
    for (const f of V.fields) {
      const expect = (want as Record<string, unknown>)[f.name];
      let got = v.get(f.name);
      // Bool arrays are zero-copy Uint8Arrays; their JSON form is booleans.
      if (got instanceof Uint8Array && Array.isArray(expect) && typeof expect[0] === "boolean") {
        got = Array.from(got, (x) => x !== 0);
      }
      assert.deepEqual(
        plain({ x: got }),
        plain({ x: expect }),
        `${ctx}: ${f.name}`,
      );
      fields++;
    }
  }
  assert.ok(fields > LAYOUTS * 3);
});

Deno.test("view fuzz: bitfields of every width at every bit offset, both byte orders", () => {
  for (const le of [true, false]) {
    const b = new BtfBuilder({ littleEndian: le });
    const types = [
      b.int("u8", 1),
      b.int("s8", 1, { signed: true }),
      b.int("u16", 2),
      b.int("s16", 2, { signed: true }),
      b.int("u32", 4),
      b.int("s32", 4, { signed: true }),
      b.int("u64", 8),
      b.int("s64", 8, { signed: true }),
    ];
    const cases: { id: number; off: number; width: number }[] = [];
    for (const t of types) {
      const size = [1, 1, 2, 2, 4, 4, 8, 8][types.indexOf(t)];
      for (let width = 1; width <= size * 8; width++) {
        for (let off = 0; off < 8; off++) {
          cases.push({
            id: b.struct("", 10, [{ name: "v", type: t, bitOffset: off, bitfieldSize: width }]),
            off,
            width,
          });
        }
      }
    }
    const btf = parseBtf(b.build());
    const r = rng(le ? 7 : 8);
    const bytes = new Uint8Array(10);
    for (const c of cases) {
      for (let k = 0; k < 3; k++) {
        for (let i = 0; i < 10; i++) bytes[i] = r.int(0, 255);
        const v = new (btf.view(c.id))(bytes);
        const want = slowObject(btf, bytes, c.id, 0, 10);
        assert.deepEqual(
          plain(v.toObject()),
          want,
          `${le ? "LE" : "BE"} off ${c.off} width ${c.width}`,
        );
      }
    }
  }
});
