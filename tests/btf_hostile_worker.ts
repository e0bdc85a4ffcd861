// The hostile-BTF corpus and the code that throws the whole API at each blob.
// Runs inside a Worker started by tests/btf_hostile_test.ts, so a hang can be
// caught by a watchdog and named. Everything is deterministic (seeded PRNG).

import { BtfBuilder, everyKind, STANDARD_LAYOUT } from "./btf_builder.ts";
import { type Btf, parseBtf } from "../btf/parse.ts";
import { BtfError } from "../btf/error.ts";
import { Kind } from "../btf/kinds.ts";
import * as layout from "../btf/layout.ts";
import { dumpRaw, dumpRawBytes } from "../btf/dump_raw.ts";
import { dumpJson } from "../btf/dump_json.ts";
import { dumpJsonBytes } from "../btf/dump_json_bytes.ts";
import { dumpC } from "../btf/dump_c.ts";
import * as view from "../btf/view.ts";
import { viewClass } from "../btf/view.ts";
import { paholeLayout } from "../btf/pahole.ts";
import { formatPahole } from "../btf/pahole_format.ts";
import { dumpTs } from "../btf/dump_ts.ts";

// ---------------------------------------------------------------------------
// Corpus

/** One hostile input: bytes to parse, optionally on top of a base blob. */
export interface Blob {
  name: string;
  bytes: Uint8Array;
  base?: Uint8Array;
  /** Also check that parsing and decoding allocate nothing huge. */
  memory?: boolean;
}

/** xorshift32: small, fast and deterministic. */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

const u32 = (b: Uint8Array, at: number, v: number, le = true) =>
  new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(at, v >>> 0, le);
const get32 = (b: Uint8Array, at: number, le = true) =>
  new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(at, le);

/** The ~40-type blob with every kind. */
export function smallBlob(): Uint8Array {
  const b = new BtfBuilder();
  everyKind(b);
  return b.build();
}

/** A bigger blob: `n` random structs, typedefs, pointers, arrays, enums, protos. */
export function bigBlob(n = 600, seed = 7): Uint8Array {
  const r = prng(seed);
  const b = new BtfBuilder();
  const ids = everyKind(b);
  const pool = [ids.int, ids.uint, ids.char, ids.u64, ids.long, ids.u8, ids.bits, ids.node];
  const pick = () => pool[Math.floor(r() * pool.length)];
  for (let i = 0; i < n; i++) {
    const k = Math.floor(r() * 6);
    let id: number;
    if (k === 0) {
      const members = [];
      for (let m = 0; m < 1 + Math.floor(r() * 6); m++) {
        members.push({ name: `m${m}`, type: pick(), bitOffset: m * 64 });
      }
      id = b.struct(`s${i}`, members.length * 8 + 8, members);
    } else if (k === 1) id = b.typedef(`t${i}`, pick());
    else if (k === 2) id = b.ptr(pick());
    else if (k === 3) id = b.array(pick(), ids.uint, Math.floor(r() * 8));
    else if (k === 4) id = b.enum(`e${i}`, 4, [[`E${i}_A`, i], [`E${i}_B`, -i]], true);
    else id = b.funcProto(pick(), [{ name: "a", type: pick() }, { name: "b", type: pick() }]);
    pool.push(id);
  }
  return b.build();
}

/** Truncations: header unchanged (sections run past the end) and header fixed up. */
function truncations(name: string, blob: Uint8Array, cuts: number[]): Blob[] {
  const out: Blob[] = [];
  const typeLen = get32(blob, 12), strLen = get32(blob, 20);
  for (const cut of cuts) {
    out.push({ name: `${name} cut at ${cut}`, bytes: blob.slice(0, cut) });
    if (cut <= 24) continue;
    // Consistent header: the type section ends mid-record, or the strings lose their tail.
    const fixed = blob.slice(0, cut);
    const avail = cut - 24;
    if (avail < typeLen) {
      u32(fixed, 12, avail);
      u32(fixed, 16, avail);
      u32(fixed, 20, 0);
    } else {
      u32(fixed, 20, Math.min(strLen, avail - typeLen));
    }
    out.push({ name: `${name} cut at ${cut}, header fixed`, bytes: fixed });
  }
  return out;
}

/** Random byte mutations of `blob` (bit flips, random bytes, interesting u32s). */
function mutants(name: string, blob: Uint8Array, count: number, seed: number): Blob[] {
  const r = prng(seed);
  const interesting = [0, 1, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 40, 41, 12];
  const out: Blob[] = [];
  for (let i = 0; i < count; i++) {
    const m = blob.slice();
    const edits = 1 + Math.floor(r() * 4);
    for (let e = 0; e < edits; e++) {
      // Mostly after the header, sometimes inside it.
      const at = r() < 0.1 ? Math.floor(r() * 24) : 24 + Math.floor(r() * (m.length - 24));
      const how = r();
      if (how < 0.4) m[at] ^= 1 << Math.floor(r() * 8);
      else if (how < 0.7) m[at] = Math.floor(r() * 256);
      else if (at + 4 <= m.length) {
        u32(m, at & ~3, interesting[Math.floor(r() * interesting.length)]);
      }
    }
    out.push({ name: `${name} mutant ${i}`, bytes: m });
  }
  return out;
}

/** Header field corruptions of a valid blob. */
function headerCorruptions(blob: Uint8Array): Blob[] {
  const out: Blob[] = [];
  const len = blob.length, body = len - 24;
  const typeLen = get32(blob, 12), strLen = get32(blob, 20);
  const set = (name: string, edits: [number, number][], bytes = blob) => {
    const b = bytes.slice();
    for (const [at, v] of edits) {
      if (at === 0) {
        b[0] = v & 0xff;
        b[1] = v >>> 8;
      } else if (at === 2 || at === 3) b[at] = v;
      else u32(b, at, v);
    }
    out.push({ name: `header: ${name}`, bytes: b });
  };
  for (const magic of [0, 0x9feb ^ 0xff, 0xeb9e, 0x1234, 0xffff]) {
    set(`magic ${magic}`, [[0, magic]]);
  }
  // Byte-swapped magic: the rest of the header is then read big-endian.
  set("big-endian magic on a little-endian blob", [[0, 0x9feb]]);
  for (const v of [0, 2, 255]) set(`version ${v}`, [[2, v]]);
  set("flags 0xff", [[3, 0xff]]);
  for (const h of [0, 1, 23, 25, 28, len, len + 1, 0xffffffff]) set(`hdr_len ${h}`, [[4, h]]);
  for (const t of [1, 2, 4, 12, body, body + 4, 0xfffffffc, 0x80000000]) {
    set(`type_off ${t}`, [[8, t]]);
  }
  for (const t of [0, 4, 11, 13, typeLen - 4, typeLen + 4, body, 0xfffffff0, 0xffffffff]) {
    set(`type_len ${t}`, [[12, t]]);
  }
  for (const s of [0, 1, typeLen - 4, typeLen + 1, body, 0xffffffff]) {
    set(`str_off ${s}`, [[16, s]]);
  }
  for (const s of [0, 1, strLen - 1, strLen + 1, body, 0xffffffff]) set(`str_len ${s}`, [[20, s]]);
  set("overlap: strings inside types", [[16, 12], [20, 8]]);
  set("overlap: types inside strings", [[8, typeLen], [12, 12], [16, 0], [20, body]]);
  set("same section for both", [[8, 0], [12, typeLen], [16, 0], [20, typeLen]]);
  set("type_off + type_len wraps 2^32", [[8, 0xfffffff0], [12, 0x20]]);
  set("str_off + str_len wraps 2^32", [[16, 0xfffffff0], [20, 0x20]]);
  set("empty type section", [[12, 0]]);
  set("empty string section", [[20, 0]]);
  // A longer header whose tail is not zero, and one that is.
  const b = new BtfBuilder();
  everyKind(b);
  const long = b.build({ header: { hdrLen: 32 } });
  set("hdr_len 32, tail zero", [], long);
  const dirty = long.slice();
  dirty[30] = 1;
  out.push({ name: "header: hdr_len 32, dirty tail", bytes: dirty });
  set("hdr_len 32 read as 24", [[4, 24]], long);
  return out;
}

/** Blobs built type by type to hit each hostile shape. */
function crafted(): Blob[] {
  const out: Blob[] = [];
  const add = (name: string, build: (b: BtfBuilder) => void, o: Partial<Blob> = {}) => {
    const b = new BtfBuilder();
    build(b);
    out.push({ name, bytes: b.build(), ...o });
  };

  // Unknown kinds (0 and 20..31), with and without a following valid type.
  for (const kind of [0, 20, 21, 25, 31]) {
    add(`unknown kind ${kind}`, (b) => {
      b.int("int", 4);
      b.raw([b.str("x"), (kind << 24) >>> 0, 4]);
      b.int("after", 4);
    });
  }
  // vlen huge with a short section, for each kind that has a vlen.
  for (
    const kind of [Kind.STRUCT, Kind.UNION, Kind.ENUM, Kind.ENUM64, Kind.FUNC_PROTO, Kind.DATASEC]
  ) {
    add(`vlen 65535, kind ${kind}, short section`, (b) => {
      const int = b.int("int", 4);
      b.raw([b.str("big"), ((kind << 24) | 0xffff) >>> 0, 8, b.str("m"), int, 0]);
    }, { memory: true });
  }
  // FUNC and VAR misuse vlen/linkage.
  add("func with linkage 0xffff and var with linkage 0xffffffff", (b) => {
    const int = b.int("int", 4);
    const p = b.funcProto(int, []);
    b.raw([b.str("f"), ((Kind.FUNC << 24) | 0xffff) >>> 0, p]);
    b.var("v", int, 0xffffffff);
  });

  // Ids out of range in every reference field.
  const badIds = [0x7fffffff, 0xffffffff, 1000];
  for (const bad of badIds) {
    const refs: [string, (b: BtfBuilder, int: number) => void][] = [
      ["ptr", (b) => b.ptr(bad)],
      ["typedef", (b) => b.typedef("td", bad)],
      ["const", (b) => b.const(bad)],
      ["volatile", (b) => b.volatile(bad)],
      ["restrict", (b) => b.restrict(bad)],
      ["type_tag", (b) => b.typeTag("tt", bad)],
      ["array elem", (b, int) => b.array(bad, int, 4)],
      ["array index", (b, int) => b.array(int, bad, 4)],
      ["struct member", (b, int) =>
        b.struct("s", 8, [{ name: "a", type: int, bitOffset: 0 }, {
          name: "b",
          type: bad,
          bitOffset: 32,
        }])],
      ["union member", (b) => b.union("u", 8, [{ name: "a", type: bad, bitOffset: 0 }])],
      ["anonymous member", (b) => b.struct("s", 8, [{ name: "", type: bad, bitOffset: 0 }])],
      ["func", (b) => b.func("f", bad)],
      ["func to non-proto", (b, int) => b.func("f", int)],
      ["proto return", (b) => b.funcProto(bad, [])],
      ["proto param", (b, int) => b.funcProto(int, [{ name: "p", type: bad }])],
      ["var", (b) => b.var("v", bad)],
      ["datasec var", (b) => b.datasec(".data", 8, [{ type: bad, offset: 0, size: 8 }])],
      ["decl_tag", (b) => b.declTag("tag", bad, -1)],
      [
        "decl_tag component",
        (b, int) =>
          b.declTag("tag", b.struct("s", 4, [{ name: "a", type: int, bitOffset: 0 }]), 99),
      ],
    ];
    for (const [what, make] of refs) {
      add(`id ${bad} in ${what}`, (b) => {
        const int = b.int("int", 4, { signed: true });
        make(b, int);
        b.ptr(b.nextId - 1);
      });
    }
  }
  // Name offsets past the string table, in every name field.
  for (const bad of [0x10000, 0xffffffff]) {
    add(`type name offset ${bad}`, (b) => {
      b.raw([bad, (Kind.INT << 24) >>> 0, 4, 32]);
      b.typedef("t", 1);
    });
    add(`member name offset ${bad}`, (b) => {
      const int = b.int("int", 4);
      b.raw([b.str("s"), ((Kind.STRUCT << 24) | 1) >>> 0, 4, bad, int, 0]);
    });
    add(`enumerator name offset ${bad}`, (b) => {
      b.raw([b.str("e"), ((Kind.ENUM << 24) | 1) >>> 0, 4, bad, 1]);
    });
    add(`enum64 name offset ${bad}`, (b) => {
      b.raw([b.str("e"), ((Kind.ENUM64 << 24) | 1) >>> 0, 8, bad, 1, 0]);
    });
    add(`param name offset ${bad}`, (b) => {
      const int = b.int("int", 4);
      b.raw([0, ((Kind.FUNC_PROTO << 24) | 1) >>> 0, int, bad, int]);
    });
  }
  // String table without a trailing NUL, and one that is not UTF-8.
  {
    const b = new BtfBuilder();
    b.int("int", 4);
    const blob = b.build();
    blob[blob.length - 1] = 0x41;
    out.push({ name: "string table without trailing NUL", bytes: blob });
    const b2 = new BtfBuilder();
    b2.int("int", 4);
    const bad = b2.build();
    bad[bad.length - 2] = 0xff; // "in\xff"
    out.push({ name: "string table with invalid UTF-8", bytes: bad });
    const b3 = new BtfBuilder();
    b3.int("int", 4);
    const first = b3.build();
    first[first.length - 4] = 0x41; // the leading "" becomes "A"
    out.push({ name: "string table not starting with NUL", bytes: first });
  }

  // Cycles.
  add("typedef cycle A->B->A", (b) => {
    const a = b.nextId;
    b.typedef("A", a + 1);
    b.typedef("B", a);
    b.ptr(a);
    b.struct("holder", 8, [{ name: "a", type: a, bitOffset: 0 }]);
    b.var("v", a);
  });
  add("typedef to itself", (b) => {
    b.typedef("self", b.nextId);
    b.array(1, 1, 2);
  });
  add("const/volatile cycle", (b) => {
    const a = b.nextId;
    b.const(a + 1);
    b.volatile(a + 2);
    b.restrict(a);
    b.ptr(a);
    b.typeTag("tag", a + 1);
  });
  add("const to itself", (b) => {
    b.const(b.nextId);
  });
  add("pointer to itself", (b) => {
    b.ptr(b.nextId);
  });
  add("struct containing itself by value", (b) => {
    const int = b.int("int", 4);
    const s = b.nextId;
    b.struct("self", 8, [{ name: "a", type: int, bitOffset: 0 }, {
      name: "me",
      type: s,
      bitOffset: 32,
    }]);
    b.struct("outer", 8, [{ name: "s", type: s, bitOffset: 0 }]);
  });
  add("struct containing itself anonymously", (b) => {
    const s = b.nextId;
    b.struct("self", 8, [{ name: "", type: s, bitOffset: 0 }]);
  });
  add("struct and union containing each other", (b) => {
    const s = b.nextId;
    b.struct("S", 8, [{ name: "u", type: s + 1, bitOffset: 0 }]);
    b.union("", 8, [{ name: "", type: s, bitOffset: 0 }]);
  });
  add("struct containing an array of itself", (b) => {
    const int = b.int("int", 4);
    const s = b.nextId;
    b.struct("arrself", 8, [{ name: "items", type: s + 1, bitOffset: 0 }]);
    b.array(s, int, 2);
  });
  add("array of itself", (b) => {
    const int = b.int("int", 4);
    b.array(b.nextId, int, 3);
  });
  add("func proto whose param is a pointer to itself", (b) => {
    const p = b.nextId;
    b.funcProto(p + 1, [{ name: "f", type: p + 1 }]);
    b.ptr(p);
    b.func("fn", p);
  });
  add("func returning itself", (b) => {
    const p = b.nextId;
    b.funcProto(p, [{ name: "", type: p }]);
  });
  add("var and datasec of themselves", (b) => {
    const v = b.nextId;
    b.var("v", v);
    b.datasec(".d", 8, [{ type: v + 1, offset: 0, size: 8 }]);
  });
  add("decl_tag on itself", (b) => {
    b.declTag("t", b.nextId, -1);
  });

  // Deep nesting.
  const DEEP = 2000;
  add(`typedef chain ${DEEP} deep`, (b) => {
    let t = b.int("int", 4);
    for (let i = 0; i < DEEP; i++) t = b.typedef(`t${i}`, t);
  });
  add(`pointer chain ${DEEP} deep`, (b) => {
    let t = b.int("int", 4);
    for (let i = 0; i < DEEP; i++) t = b.ptr(t);
    b.struct("s", 8, [{ name: "p", type: t, bitOffset: 0 }]);
  });
  add(`const/pointer chain ${DEEP} deep`, (b) => {
    let t = b.int("int", 4);
    for (let i = 0; i < DEEP; i++) t = i % 2 ? b.ptr(t) : b.const(t);
  });
  add(`array chain ${DEEP} deep`, (b) => {
    const int = b.int("int", 4);
    let t = int;
    for (let i = 0; i < DEEP; i++) t = b.array(t, int, 1);
    b.struct("s", 4, [{ name: "a", type: t, bitOffset: 0 }]);
  });
  add(`named struct nesting ${DEEP} deep`, (b) => {
    let t = b.int("int", 4);
    for (let i = 0; i < DEEP; i++) t = b.struct(`n${i}`, 4, [{ name: "x", type: t, bitOffset: 0 }]);
  });
  add(`anonymous struct nesting ${DEEP} deep`, (b) => {
    let t = b.int("int", 4);
    t = b.struct("", 4, [{ name: "leaf", type: t, bitOffset: 0 }]);
    for (let i = 0; i < DEEP; i++) t = b.struct("", 4, [{ name: "", type: t, bitOffset: 0 }]);
    b.struct("top", 4, [{ name: "", type: t, bitOffset: 0 }]);
  });
  add(`func proto nesting ${DEEP} deep`, (b) => {
    let t = b.int("int", 4);
    for (let i = 0; i < DEEP; i++) t = b.ptr(b.funcProto(t, [{ name: "a", type: t }]));
  });
  // Exponential fan-out: each level holds two of the level below.
  const LEVELS = 60;
  add(`anonymous members doubling ${LEVELS} levels`, (b) => {
    let t = b.int("int", 4);
    t = b.struct("", 4, [{ name: "x", type: t, bitOffset: 0 }]);
    for (let i = 0; i < LEVELS; i++) {
      t = b.union("", 4, [{ name: "", type: t, bitOffset: 0 }, {
        name: "",
        type: t,
        bitOffset: 0,
      }]);
    }
    b.struct("wide", 4, [{ name: "", type: t, bitOffset: 0 }]);
  });
  add(`named members doubling ${LEVELS} levels`, (b) => {
    let t = b.int("int", 4);
    for (let i = 0; i < LEVELS; i++) {
      t = b.union(`d${i}`, 4, [{ name: "a", type: t, bitOffset: 0 }, {
        name: "b",
        type: t,
        bitOffset: 0,
      }]);
    }
  });
  add(`typedef'd anonymous members doubling ${LEVELS} levels`, (b) => {
    let t = b.int("int", 4);
    t = b.struct("", 4, [{ name: "x", type: t, bitOffset: 0 }]);
    for (let i = 0; i < LEVELS; i++) {
      const td = b.const(t);
      t = b.union("", 4, [{ name: "", type: td, bitOffset: 0 }, {
        name: "",
        type: td,
        bitOffset: 0,
      }]);
    }
  });
  add(`protos doubling ${LEVELS} levels`, (b) => {
    let t = b.int("int", 4);
    for (let i = 0; i < LEVELS; i++) {
      t = b.ptr(b.funcProto(t, [{ name: "a", type: t }, { name: "b", type: t }]));
    }
  });
  // The same fan-outs where a C dump has to write them out: under a named
  // struct, and in a typedef (function pointer parameters are declared inline).
  add(`named struct over const anonymous members doubling ${LEVELS} levels`, (b) => {
    let t = b.int("int", 4);
    t = b.struct("", 4, [{ name: "x", type: t, bitOffset: 0 }]);
    for (let i = 0; i < LEVELS; i++) {
      const c = b.const(t);
      t = b.union("", 4, [{ name: "", type: c, bitOffset: 0 }, {
        name: "",
        type: c,
        bitOffset: 0,
      }]);
    }
    b.struct("wide", 4, [{ name: "w", type: t, bitOffset: 0 }]);
  });
  add(`typedef of protos doubling ${LEVELS} levels`, (b) => {
    let t = b.int("int", 4);
    for (let i = 0; i < LEVELS; i++) {
      t = b.ptr(b.funcProto(t, [{ name: "a", type: t }, { name: "b", type: t }]));
    }
    b.typedef("fp", t);
  });
  // Sizes past 2^32 and odd values.
  add("array of 2^32-1 arrays of 2^32-1 ints", (b) => {
    const int = b.int("int", 4);
    const a = b.array(int, int, 0xffffffff);
    const aa = b.array(a, int, 0xffffffff);
    b.struct("huge", 0xffffffff, [{ name: "a", type: aa, bitOffset: 0 }, {
      name: "b",
      type: int,
      bitOffset: 0xffffffff,
    }]);
  }, { memory: true });
  add("odd int encodings and sizes", (b) => {
    b.raw([b.str("i0"), (Kind.INT << 24) >>> 0, 0, 0]);
    b.raw([b.str("i3"), (Kind.INT << 24) >>> 0, 3, 0x0fff00ff]);
    b.raw([b.str("i200"), (Kind.INT << 24) >>> 0, 0xffffffff, 0xffffffff]);
    b.float("f3", 3);
    b.enum("e0", 0, [["A", 1]]);
    b.enum64("e64", 0xffffffff, [["B", 1n]]);
    b.struct("z", 0, []);
    b.union("bitsy", 1, [{ name: "x", type: 1, bitOffset: 0xffffff, bitfieldSize: 255 }]);
  });
  return out;
}

/** A minimal ELF holding `btf` as its `.BTF` section. */
export function elfWith(btf: Uint8Array, o: { is64?: boolean; le?: boolean } = {}): Uint8Array {
  const is64 = o.is64 ?? true, le = o.le ?? true;
  const ehsize = is64 ? 64 : 52, shentsize = is64 ? 64 : 40;
  const shstr = new TextEncoder().encode("\0.shstrtab\0.BTF\0");
  const shstrOff = ehsize;
  const btfOff = (shstrOff + shstr.length + 7) & ~7;
  const shoff = (btfOff + btf.length + 7) & ~7;
  const out = new Uint8Array(shoff + 3 * shentsize);
  const dv = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1], 0);
  dv.setUint16(16, 1, le); // ET_REL
  dv.setUint16(18, 247, le); // EM_BPF
  dv.setUint32(20, 1, le);
  if (is64) {
    dv.setBigUint64(0x28, BigInt(shoff), le);
    dv.setUint16(0x34, ehsize, le);
    dv.setUint16(0x3a, shentsize, le);
    dv.setUint16(0x3c, 3, le);
    dv.setUint16(0x3e, 1, le);
  } else {
    dv.setUint32(0x20, shoff, le);
    dv.setUint16(0x28, ehsize, le);
    dv.setUint16(0x2e, shentsize, le);
    dv.setUint16(0x30, 3, le);
    dv.setUint16(0x32, 1, le);
  }
  out.set(shstr, shstrOff);
  out.set(btf, btfOff);
  const sh = (i: number, name: number, type: number, off: number, size: number) => {
    const at = shoff + i * shentsize;
    dv.setUint32(at, name, le);
    dv.setUint32(at + 4, type, le);
    if (is64) {
      dv.setBigUint64(at + 0x18, BigInt(off), le);
      dv.setBigUint64(at + 0x20, BigInt(size), le);
    } else {
      dv.setUint32(at + 0x10, off, le);
      dv.setUint32(at + 0x14, size, le);
    }
  };
  sh(1, 1, 3, shstrOff, shstr.length);
  sh(2, 11, 1, btfOff, btf.length);
  return out;
}

/** ELF files with broken headers around a valid (or big-endian) `.BTF`. */
function elves(small: Uint8Array): Blob[] {
  const out: Blob[] = [];
  const be = new BtfBuilder({ littleEndian: false });
  everyKind(be);
  const variants: [string, Uint8Array][] = [
    ["ELF64 LE", elfWith(small)],
    ["ELF32 LE", elfWith(small, { is64: false })],
    ["ELF64 BE", elfWith(be.build(), { le: false })],
    ["ELF32 BE", elfWith(be.build(), { is64: false, le: false })],
  ];
  for (const [name, elf] of variants) {
    out.push({ name: `${name} valid`, bytes: elf });
    const is64 = elf[4] === 2, le = elf[5] === 1;
    const dv = (b: Uint8Array) => new DataView(b.buffer);
    const shoffAt = is64 ? 0x28 : 0x20;
    const shoff = is64 ? Number(dv(elf).getBigUint64(shoffAt, le)) : dv(elf).getUint32(shoffAt, le);
    const shent = is64 ? 64 : 40;
    const edit = (what: string, f: (b: Uint8Array, d: DataView) => void) => {
      const b = elf.slice();
      f(b, dv(b));
      out.push({ name: `${name}: ${what}`, bytes: b });
    };
    const setOff = (d: DataView, at: number, v: number | bigint) =>
      is64 ? d.setBigUint64(at, BigInt(v), le) : d.setUint32(at, Number(v), le);
    edit("class 3", (b) => b[4] = 3);
    edit("data encoding 0", (b) => b[5] = 0);
    edit("shoff past end", (_b, d) => setOff(d, shoffAt, elf.length + 8));
    edit("shoff huge", (_b, d) => setOff(d, shoffAt, is64 ? 0xffffffffffffff00n : 0xffffff00));
    edit("shoff 0 (no sections)", (_b, d) => setOff(d, shoffAt, 0));
    edit("shoff 1 (overlaps header)", (_b, d) => setOff(d, shoffAt, 1));
    edit("shentsize 1", (_b, d) => d.setUint16(is64 ? 0x3a : 0x2e, 1, le));
    edit("shentsize 0xffff", (_b, d) => d.setUint16(is64 ? 0x3a : 0x2e, 0xffff, le));
    edit("shnum 0xffff", (_b, d) => d.setUint16(is64 ? 0x3c : 0x30, 0xffff, le));
    edit("shnum 0 (extended, section 0 size 0)", (_b, d) => d.setUint16(is64 ? 0x3c : 0x30, 0, le));
    edit("shnum 0 (extended, section 0 size huge)", (_b, d) => {
      d.setUint16(is64 ? 0x3c : 0x30, 0, le);
      setOff(d, shoff + (is64 ? 0x20 : 0x14), is64 ? 0xffffffffffffn : 0xffffffff);
    });
    edit("shstrndx 0xffff with link 0xffffffff", (_b, d) => {
      d.setUint16(is64 ? 0x3e : 0x32, 0xffff, le);
      d.setUint32(shoff + (is64 ? 0x28 : 0x18), 0xffffffff, le);
    });
    edit("shstrndx out of range", (_b, d) => d.setUint16(is64 ? 0x3e : 0x32, 9, le));
    edit(
      "section name table past end",
      (_b, d) => setOff(d, shoff + shent + (is64 ? 0x18 : 0x10), elf.length),
    );
    edit(
      "section name table size huge",
      (_b, d) =>
        setOff(d, shoff + shent + (is64 ? 0x20 : 0x14), is64 ? 0xffffffffffffffffn : 0xffffffff),
    );
    edit(
      ".BTF offset past end",
      (_b, d) => setOff(d, shoff + 2 * shent + (is64 ? 0x18 : 0x10), elf.length + 100),
    );
    edit(
      ".BTF size huge",
      (_b, d) =>
        setOff(
          d,
          shoff + 2 * shent + (is64 ? 0x20 : 0x14),
          is64 ? 0xffffffffffffffffn : 0xffffffff,
        ),
    );
    edit(".BTF offset + size wraps", (_b, d) => {
      setOff(d, shoff + 2 * shent + (is64 ? 0x18 : 0x10), is64 ? 0xfffffffffffffff0n : 0xfffffff0);
      setOff(d, shoff + 2 * shent + (is64 ? 0x20 : 0x14), 0x20);
    });
    edit(".BTF size 3", (_b, d) => setOff(d, shoff + 2 * shent + (is64 ? 0x20 : 0x14), 3));
    edit(".BTF name offset huge", (_b, d) => d.setUint32(shoff + 2 * shent, 0xffffffff, le));
    edit("no .BTF section (renamed)", (b) => b[(is64 ? 64 : 52) + 12] = 0x58);
    edit(
      "section name table without NUL",
      (b) => b.fill(0x41, is64 ? 64 : 52, (is64 ? 64 : 52) + 16),
    );
    for (const cut of [4, 16, 51, 52, 63, 64, shoff - 1, shoff + 10, elf.length - 1]) {
      out.push({ name: `${name} cut at ${cut}`, bytes: elf.slice(0, cut) });
    }
  }
  // Mutants of one ELF.
  out.push(...mutants("ELF64 LE", variants[0][1], 300, 99));
  return out;
}

/** Split blobs on a small base, some hostile. */
function splits(baseBytes: Uint8Array): Blob[] {
  const out: Blob[] = [];
  const base = parseBtf(baseBytes);
  const mk = (name: string, f: (b: BtfBuilder) => void, header = {}) => {
    const b = new BtfBuilder({ base });
    f(b);
    out.push({ name: `split: ${name}`, bytes: b.build({ header }), base: baseBytes });
  };
  const baseInt = base.find("int")!.id, baseNode = base.find("node")!.id;
  mk("valid", (b) => {
    b.struct("mod", 56, [{ name: "n", type: baseNode, bitOffset: 0 }, {
      name: "i",
      type: baseInt,
      bitOffset: 384,
    }]);
    b.ptr(b.nextId - 1);
  });
  mk("id past split", (b) => b.ptr(b.nextId + 5));
  mk("id between base and split? (base count exactly)", (b) => b.ptr(base.count + 3));
  mk(
    "name offset in the gap past split strings",
    (b) => b.raw([base.stringsLength + 1000, (Kind.INT << 24) >>> 0, 4, 32]),
  );
  mk("typedef cycle through base", (b) => b.typedef("loop", b.nextId));
  const valid = out[0].bytes;
  out.push(...mutants("split", valid, 300, 1234).map((m) => ({ ...m, base: baseBytes })));
  out.push(
    ...truncations("split", valid, Array.from({ length: valid.length }, (_, i) => i)).map((m) => ({
      ...m,
      base: baseBytes,
    })),
  );
  return out;
}

/** Declared counts far beyond the data: nothing huge may be allocated. */
function hugeCounts(): Blob[] {
  const out: Blob[] = [];
  const b = new BtfBuilder();
  b.int("int", 4);
  const blob = b.build();
  out.push({
    name: "type_len near 4 GiB",
    bytes: b.build({ header: { typeLen: 0xfffffff0, strOff: 0 } }),
    memory: true,
  });
  out.push({
    name: "str_len near 4 GiB",
    bytes: b.build({ header: { strLen: 0xfffffff0 } }),
    memory: true,
  });
  out.push({
    name: "hdr_len near 4 GiB",
    bytes: b.build({ header: { hdrLen: 0xfffffff0 } }),
    memory: true,
  });
  // vlen 65535 in a blob that is only a few bytes long, at the end of the types.
  const v = blob.slice();
  u32(v, 24 + 4, ((Kind.STRUCT << 24) | 0xffff) >>> 0);
  out.push({ name: "vlen 65535 as the last type", bytes: v, memory: true });
  return out;
}

/**
 * Linux 7.1's format: a 32-byte header and a kind layout section, with
 * kinds this reader does not know (stepped over by the layout), in both
 * byte orders, split on a base with a layout; then mutated, cut, and with
 * hostile layout_off/layout_len and layout entries.
 */
function newFormat(): Blob[] {
  const out: Blob[] = [];
  const layoutFor = (extra: { infoSize: number; elemSize: number }[]) => [
    ...STANDARD_LAYOUT,
    ...extra,
  ];
  const LAYOUT = layoutFor([{ infoSize: 4, elemSize: 8 }, { infoSize: 0, elemSize: 4 }]);
  const build = (le: boolean) => {
    const b = new BtfBuilder({ littleEndian: le });
    const ids = everyKind(b);
    const k20 = b.unknownKind(20, "future", 2, ids.int, [1, 2, 3, 4, 5]);
    b.unknownKind(21, "later", 3, 0, [6, 7, 8]);
    b.struct("uses_future", 4, [{ name: "f", type: k20, bitOffset: 0 }]);
    b.ptr(k20);
    b.typedef("future_t", k20);
    b.typeTag("attr_tag", ids.int, true);
    b.declTag("attr_decl", ids.node, -1, true);
    return b;
  };
  for (const le of [true, false]) {
    const order = le ? "LE" : "BE";
    const b = build(le);
    const valid = b.build({ layout: LAYOUT });
    out.push({ name: `new format ${order} valid`, bytes: valid });
    out.push(...mutants(`new format ${order}`, valid, 300, le ? 71 : 72));
    const r = prng(le ? 5 : 6);
    const cuts = Array.from({ length: 60 }, () => Math.floor(r() * valid.length));
    out.push(...truncations(`new format ${order}`, valid, cuts));
    const typeLen = b.build().length - 24 - b.stringsLength;
    const strOff = typeLen + LAYOUT.length * 4;
    const headers: [string, Record<string, number>][] = [
      ["layout_off odd", { layoutOff: typeLen + 1 }],
      ["layout_off in types", { layoutOff: 8 }],
      ["layout_off past strings", { layoutOff: strOff + 4 }],
      ["layout_off near 4 GiB", { layoutOff: 0xfffffff0 }],
      ["layout_len near 4 GiB", { layoutLen: 0xfffffff0 }],
      ["layout_len 2", { layoutLen: 2 }],
      ["layout_len 0 (unknown kinds then fail)", { layoutLen: 0 }],
      ["layout_len short of kind 21", { layoutLen: 84 }],
    ];
    for (const [what, header] of headers) {
      out.push({
        name: `new format ${order}: ${what}`,
        bytes: b.build({ layout: LAYOUT, header }),
      });
    }
    const entries: [string, { infoSize: number; elemSize: number }[]][] = [
      ["kind 20 info_sz 3", [{ infoSize: 3, elemSize: 8 }, { infoSize: 0, elemSize: 4 }]],
      ["kind 21 elem_sz 255", [{ infoSize: 4, elemSize: 8 }, { infoSize: 0, elemSize: 255 }]],
      ["kind 21 elem_sz 252", [{ infoSize: 4, elemSize: 8 }, { infoSize: 252, elemSize: 252 }]],
    ];
    for (const [what, extra] of entries) {
      out.push({
        name: `new format ${order}: layout ${what}`,
        bytes: b.build({ layout: layoutFor(extra) }),
      });
    }
    // vlen 2^24 - 1 on an unknown kind in a few bytes: nothing huge allocated.
    const v = new BtfBuilder({ littleEndian: le });
    v.int("int", 4);
    v.unknownKind(20, "huge", 0xffffff, 0);
    out.push({
      name: `new format ${order}: vlen 2^24-1`,
      bytes: v.build({ layout: LAYOUT }),
      memory: true,
    });
  }
  // Split BTF on a base with a layout, stepping over unknown kinds by the base's.
  const baseBytes = build(true).build({ layout: LAYOUT });
  const base = parseBtf(baseBytes);
  const sb = new BtfBuilder({ base });
  const k = sb.unknownKind(20, "mod_future", 1, 1, [9, 10, 11]);
  sb.struct("mod_s", 4, [{ name: "x", type: 1, bitOffset: 0 }]);
  sb.ptr(k);
  const split = sb.build();
  out.push({ name: "new format split valid", bytes: split, base: baseBytes });
  out.push(...mutants("new format split", split, 200, 73).map((m) => ({ ...m, base: baseBytes })));
  out.push({ name: "new format split without its base", bytes: split });
  return out;
}

/** The whole corpus, in a fixed order. */
export function corpus(): Blob[] {
  const small = smallBlob();
  const big = bigBlob();
  const bigCuts: number[] = [];
  const r = prng(42);
  for (let i = 0; i < 200; i++) bigCuts.push(Math.floor(r() * big.length));
  for (const c of [0, 1, 23, 24, 25, big.length - 1, big.length]) bigCuts.push(c);
  return [
    { name: "small valid", bytes: small },
    { name: "big valid", bytes: big },
    ...truncations("small", small, Array.from({ length: small.length + 1 }, (_, i) => i)),
    ...truncations("big", big, bigCuts),
    ...headerCorruptions(small),
    ...crafted(),
    ...hugeCounts(),
    ...elves(small),
    ...splits(small),
    ...newFormat(),
    ...mutants("small", small, 2000, 2024),
    ...mutants("big", big, 100, 77),
  ];
}

// ---------------------------------------------------------------------------
// Exercising the API

/** The modules under test beyond parse and layout. */
export interface Optional {
  // deno-lint-ignore no-explicit-any
  [name: string]: any;
}

/** The dump and view modules, in the shape the corpus runner expects. */
export function loadOptional(): Promise<{ mods: Optional; notes: string[] }> {
  const mods: Optional = {
    dumpRaw,
    dumpRawBytes,
    dumpJson,
    dumpJsonBytes,
    dumpC,
    viewClass,
    viewModule: view,
    paholeLayout,
    formatPahole,
    dumpTs,
  };
  return Promise.resolve({ mods, notes: [] });
}

/** What went wrong with one blob. */
export interface Problem {
  blob: string;
  call: string;
  error: string;
  /** Set for a known, reported issue whose call was skipped rather than run. */
  known?: string;
}

/**
 * Known issues in modules this test does not own, reported to their
 * owners: the call is skipped (it would hang the worker) and listed as
 * known. Remove an entry once its module is fixed.
 */
export const KNOWN: { blob: RegExp; call: RegExp; why: string }[] = [];

const MAX_IDS = 4000;
/** Calls whose errors come from reading bytes, so they must say at which byte. */
const PARSE_TIME = /^(parseBtf|count|type\(|nameOf\(|types\(\))/;
/** Errors where no single byte is to blame. */
const NO_OFFSET = /found none|type id between|above 0, found 0/;
/**
 * One call taking longer than this on a blob of a few KiB is a problem: far
 * above what any call takes alone, so that other tests sharing the cores
 * cannot make it fail.
 */
const SLOW_CALL_MS = 10_000;
const TRACE = (() => {
  try {
    return Deno.env.get("HOSTILE_TRACE") === "1";
  } catch {
    return false;
  }
})();

/**
 * Throws the whole API at one blob. Every error must be a BtfError whose
 * message says what was expected and what was found; anything else is a
 * problem.
 */
export function exercise(blob: Blob, mods: Optional, problems: Problem[]): "parsed" | "rejected" {
  const guard = <T>(call: string, f: () => T): T | undefined => {
    const known = KNOWN.find((k) => k.blob.test(blob.name) && k.call.test(call));
    if (known) {
      problems.push({ blob: blob.name, call, error: "skipped", known: known.why });
      return undefined;
    }
    const t0 = performance.now();
    if (TRACE) console.error(`> ${blob.name} / ${call}`);
    try {
      return f();
    } catch (e) {
      if (!(e instanceof BtfError)) {
        const err = e as Error;
        problems.push({
          blob: blob.name,
          call,
          error: `${err?.constructor?.name ?? typeof e}: ${
            String(err?.message ?? e).slice(0, 300)
          }`,
        });
      } else if (PARSE_TIME.test(call) && e.offset < 0 && !NO_OFFSET.test(e.message)) {
        problems.push({
          blob: blob.name,
          call,
          error: `parse-time error without offset: ${e.message}`,
        });
      } else if (!/expected/i.test(e.message) || !/found/i.test(e.message)) {
        problems.push({
          blob: blob.name,
          call,
          error: `message lacks expected/found: ${e.message}`,
        });
      }
      return undefined;
    } finally {
      const ms = performance.now() - t0;
      if (ms > SLOW_CALL_MS) {
        problems.push({ blob: blob.name, call, error: `slow: ${ms.toFixed(0)} ms` });
      }
    }
  };
  let base: Btf | undefined;
  if (blob.base) {
    base = guard("parseBtf(base)", () => parseBtf(blob.base!));
    if (!base) return "rejected";
  }
  const btf = guard("parseBtf", () => parseBtf(blob.bytes, { base }));
  if (!btf) return "rejected";
  const count = guard("count", () => btf.count);
  if (count === undefined) return "rejected";
  const n = Math.min(count, MAX_IDS);
  const odd = [count, count + 1, -1, 1.5, NaN, 2 ** 32, Number.MAX_SAFE_INTEGER];
  const names = new Set<string>(["int", "", "no_such_name", "node", "A"]);
  for (const id of [...Array(n).keys(), ...odd]) {
    guard(`kindOf(${id})`, () => btf.kindOf(id));
    guard(`vlenOf(${id})`, () => btf.vlenOf(id));
    const name = guard(`nameOf(${id})`, () => btf.nameOf(id));
    if (name !== undefined && names.size < 60) names.add(name);
    guard(`type(${id})`, () => btf.type(id));
  }
  guard("pointerSize", () => btf.pointerSize);
  guard("types()", () => [...btf.types()].length);
  for (const name of names) {
    guard(`findIds(${name})`, () => btf.findIds(name));
    guard(`findIds(${name}, STRUCT)`, () => btf.findIds(name, Kind.STRUCT));
    guard(`find(${name})`, () => btf.find(name));
    guard(`get(${name})`, () => btf.get(name));
    // deno-lint-ignore no-explicit-any
    const view = (btf as any).view;
    if (typeof view === "function") guard(`btf.view(${name})`, () => view.call(btf, name));
  }
  const all: number[] = [];
  // Every id of a small blob; an even sample of a big one (the per-id calls
  // are the same code, and closure() alone is linear in the blob).
  const step = Math.max(1, Math.floor(n / 300));
  for (let id = 0; id < n; id++) all.push(id);
  for (let id = 0; id < n; id += step) {
    guard(`resolveType(${id})`, () => layout.resolveType(btf, id));
    guard(`skipQualifiers(${id})`, () => layout.skipQualifiers(btf, id));
    guard(`sizeOf(${id})`, () => layout.sizeOf(btf, id));
    guard(`alignOf(${id})`, () => layout.alignOf(btf, id));
    const fields = guard(`fieldsOf(${id})`, () => layout.fieldsOf(btf, id));
    guard(`layoutOf(${id})`, () => layout.layoutOf(btf, id));
    guard(`declaration(${id})`, () => layout.declaration(btf, id, "x"));
    guard(`describe(${id})`, () => layout.describe(btf, id));
    guard(`closure([${id}])`, () => layout.closure(btf, [id]));
    guard(`references(${id})`, () => layout.references(btf.type(id)));
    if (fields?.length) {
      guard(`memberOffset(${id})`, () => layout.memberOffset(btf, id, fields[0].name));
    }
    if (mods.viewModule) exerciseView(btf, id, mods, guard);
    if (mods.paholeLayout) {
      const l = guard(`paholeLayout(${id})`, () => mods.paholeLayout(btf, id));
      if (l) guard(`formatPahole(${id})`, () => mods.formatPahole(l));
      guard(`paholeLayout(${id}, expand)`, () => mods.paholeLayout(btf, id, { expand: true }));
    }
  }
  guard("closure(all)", () => layout.closure(btf, all));
  if (mods.dumpRaw) {
    guard("dumpRaw", () => mods.dumpRaw(btf));
    guard("dumpRaw(ids)", () => mods.dumpRaw(btf, { ids: all.slice(0, 50) }));
  }
  if (mods.dumpJson) {
    guard("dumpJson", () => mods.dumpJson(btf));
    guard("dumpJson(offsets)", () => mods.dumpJson(btf, { offsets: true }));
  }
  if (mods.dumpJsonBytes) {
    guard("dumpJsonBytes", () => mods.dumpJsonBytes(btf, { write: () => {} }));
    guard("dumpJsonBytes(ids)", () => mods.dumpJsonBytes(btf, { ids: all.slice(0, 50) }));
  }
  if (mods.dumpTs) {
    guard("dumpTs", () => mods.dumpTs(btf));
    guard("dumpTs(safe)", () => mods.dumpTs(btf, { int64: "safe", ids: all.slice(1, 50) }));
  }
  if (mods.dumpC) {
    guard("dumpC", () => mods.dumpC(btf));
    for (let id = 1; id < Math.min(n, 60); id++) {
      guard(`dumpC(${id})`, () => mods.dumpC(btf, { ids: [id] }));
    }
  }
  return "parsed";
}

/** Random-ish bytes for views to read (deterministic). */
const SCRATCH = (() => {
  const r = prng(5);
  return Uint8Array.from({ length: 1 << 16 }, () => Math.floor(r() * 256));
})();

/**
 * Builds the view class of type `id`, binds an instance over scratch bytes,
 * reads every field, and converts the view to an object and to JSON.
 */
function exerciseView(
  btf: Btf,
  id: number,
  mods: Optional,
  guard: <T>(call: string, f: () => T) => T | undefined,
): void {
  const m = mods.viewModule;
  // deno-lint-ignore no-explicit-any
  const V: any = guard(`viewClass(${id})`, () => m.viewClass(btf, id));
  if (typeof V !== "function") return;
  // deno-lint-ignore no-explicit-any
  const v: any = guard(`new view(${id})`, () => new V(SCRATCH.buffer, 0));
  if (!v) return;
  for (const f of V.fields ?? []) guard(`view(${id}).${f.name}`, () => f.read(v));
  guard(`view(${id}).toObject`, () => v.toObject());
  guard(`view(${id}) JSON`, () => JSON.stringify(v));
  guard(`view(${id}).rebind`, () => v.rebind(SCRATCH.length - 1));
}

// ---------------------------------------------------------------------------
// Worker entry: { from, to } -> progress messages, then the results.

interface Request {
  from: number;
  to: number;
}

if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined") {
  const { mods, notes } = await loadOptional();
  const blobs = corpus();
  const scope = self as unknown as {
    postMessage(m: unknown): void;
    onmessage: (ev: MessageEvent<Request>) => void;
  };
  const post = (m: unknown) => scope.postMessage(m);
  scope.onmessage = (ev: MessageEvent<Request>) => {
    const { from, to } = ev.data;
    for (let i = from; i < Math.min(to, blobs.length); i++) {
      const blob = blobs[i];
      post({ progress: i, name: blob.name });
      const before = blob.memory ? Deno.memoryUsage() : undefined;
      const problems: Problem[] = [];
      const t0 = performance.now();
      const outcome = exercise(blob, mods, problems);
      const ms = performance.now() - t0;
      let memory: string | undefined;
      if (before) {
        const after = Deno.memoryUsage();
        const grew = Math.max(after.external - before.external, after.heapUsed - before.heapUsed);
        if (grew > 64 << 20) memory = `${blob.name}: grew ${grew >> 20} MiB`;
      }
      post({ result: i, name: blob.name, outcome, problems, ms, memory });
    }
    post({ done: true, total: blobs.length, notes });
  };
  post({ ready: true, total: blobs.length });
}
