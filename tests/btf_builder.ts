/**
 * A small BTF blob encoder for tests: build types one call at a time, get
 * back the ids they receive, and write a raw BTF blob (what
 * `/sys/kernel/btf/vmlinux` holds) with `build()`. With `{ base }` it
 * writes split BTF whose ids and string offsets continue the base's.
 *
 * Nothing here validates: hostile blobs are the point. `raw()` appends any
 * words as one "type", and `build({ header })` overrides header fields.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Btf } from "../btf/parse.ts";
import { Kind, KIND_NAMES, kindName } from "../btf/kinds.ts";
import type { Type } from "../btf/types.ts";

/** A struct or union member for {@link BtfBuilder.struct}. */
export interface BuilderMember {
  name: string;
  type: number;
  bitOffset: number;
  bitfieldSize?: number;
}

/** Header fields {@link BtfBuilder.build} can override. */
export interface BuilderHeader {
  magic: number;
  version: number;
  flags: number;
  hdrLen: number;
  typeOff: number;
  typeLen: number;
  strOff: number;
  strLen: number;
  layoutOff: number;
  layoutLen: number;
}

/** One `struct btf_layout` entry for {@link BtfBuilder.build}'s layout section. */
export interface BuilderLayout {
  infoSize: number;
  elemSize: number;
  flags?: number;
}

const HEADER_LEN = 24;
/** The header with `layout_off` and `layout_len` (Linux 7.1's UAPI). */
const HEADER_LEN_LAYOUT = 32;

/**
 * The kind layout an encoder that knows kinds 0..19 writes (the sizes the
 * UAPI `linux/btf.h` gives each kind's records), by kind number.
 */
export const STANDARD_LAYOUT: readonly BuilderLayout[] = (() => {
  const l: BuilderLayout[] = Array.from({ length: 20 }, () => ({ infoSize: 0, elemSize: 0 }));
  l[Kind.INT] = l[Kind.VAR] = l[Kind.DECL_TAG] = { infoSize: 4, elemSize: 0 };
  l[Kind.ARRAY] = { infoSize: 12, elemSize: 0 };
  l[Kind.STRUCT] =
    l[Kind.UNION] =
    l[Kind.DATASEC] =
    l[Kind.ENUM64] =
      { infoSize: 0, elemSize: 12 };
  l[Kind.ENUM] = l[Kind.FUNC_PROTO] = { infoSize: 0, elemSize: 8 };
  return l;
})();

/**
 * Encodes BTF types into a blob.
 *
 * @example
 * ```ts
 * const b = new BtfBuilder();
 * const int = b.int("int", 4, { signed: true });
 * const s = b.struct("pair", 8, [
 *   { name: "a", type: int, bitOffset: 0 },
 *   { name: "b", type: int, bitOffset: 32 },
 * ]);
 * const blob = b.build(); // parseBtf(blob).type(s).name === "pair"
 * ```
 */
export class BtfBuilder {
  readonly base: Btf | undefined;
  readonly littleEndian: boolean;
  /** Id the next type gets. */
  nextId: number;
  readonly #startStr: number;
  readonly #types: number[][] = [];
  readonly #strs = new Map<string, number>();
  readonly #strBytes: number[] = [];
  #baseStrs: Map<string, number> | undefined;
  readonly #enc = new TextEncoder();

  constructor(opts: { base?: Btf; littleEndian?: boolean } = {}) {
    this.base = opts.base;
    this.littleEndian = opts.littleEndian ?? opts.base?.littleEndian ?? true;
    this.nextId = opts.base ? opts.base.count : 1;
    this.#startStr = opts.base ? opts.base.startStr + opts.base.stringsLength : 0;
    // A base blob's string section starts with the empty string; split BTF
    // reuses the base's offset 0 for "".
    if (!opts.base) this.#append("");
    else this.#strs.set("", 0);
  }

  /** Total string bytes written so far (this blob only). */
  get stringsLength(): number {
    return this.#strBytes.length;
  }

  #append(s: string): number {
    const off = this.#startStr + this.#strBytes.length;
    for (const b of this.#enc.encode(s)) this.#strBytes.push(b);
    this.#strBytes.push(0);
    this.#strs.set(s, off);
    return off;
  }

  /** Strings of the base chain, by value (first occurrence wins). */
  #baseStrings(): Map<string, number> {
    if (this.#baseStrs) return this.#baseStrs;
    const m = new Map<string, number>();
    const chain: Btf[] = [];
    for (let b = this.base; b; b = b.base) chain.unshift(b);
    const dec = new TextDecoder();
    for (const b of chain) {
      const bytes = b.bytes;
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const hdrLen = dv.getUint32(4, b.littleEndian);
      const strOff = dv.getUint32(16, b.littleEndian);
      const strLen = dv.getUint32(20, b.littleEndian);
      const from = hdrLen + strOff, to = from + strLen;
      let k = from;
      while (k < to) {
        let e = k;
        while (e < to && bytes[e] !== 0) e++;
        const s = dec.decode(bytes.subarray(k, e));
        if (!m.has(s)) m.set(s, b.startStr + k - from);
        k = e + 1;
      }
    }
    return this.#baseStrs = m;
  }

  /**
   * Adds a string (deduplicated, also against the base's strings) and
   * returns its global offset.
   */
  str(s: string): number {
    const have = this.#strs.get(s);
    if (have !== undefined) return have;
    if (this.base) {
      const b = this.#baseStrings().get(s);
      if (b !== undefined) {
        this.#strs.set(s, b);
        return b;
      }
    }
    return this.#append(s);
  }

  #add(words: number[]): number {
    this.#types.push(words);
    return this.nextId++;
  }

  #hdr(name: string, kind: number, vlen: number, kflag: boolean, sizeOrType: number): number[] {
    const info = ((kflag ? 1 : 0) << 31 | (kind & 0x7f) << 24 | (vlen & 0xffffff)) >>> 0;
    return [this.str(name), info, sizeOrType >>> 0];
  }

  /** `BTF_KIND_INT`; `bits` defaults to `size * 8`. */
  int(
    name: string,
    size: number,
    o: { signed?: boolean; char?: boolean; bool?: boolean; bitOffset?: number; bits?: number } = {},
  ): number {
    const enc = (o.signed ? 1 : 0) | (o.char ? 2 : 0) | (o.bool ? 4 : 0);
    const extra =
      ((enc << 24) | ((o.bitOffset ?? 0) & 0xff) << 16 | ((o.bits ?? size * 8) & 0xff)) >>>
      0;
    return this.#add([...this.#hdr(name, Kind.INT, 0, false, size), extra]);
  }

  /** `BTF_KIND_PTR` to `type`. */
  ptr(type: number): number {
    return this.#add(this.#hdr("", Kind.PTR, 0, false, type));
  }

  /** `BTF_KIND_ARRAY` of `nelems` elements of `elem`, indexed by `index`. */
  array(elem: number, index: number, nelems: number): number {
    return this.#add([
      ...this.#hdr("", Kind.ARRAY, 0, false, 0),
      elem >>> 0,
      index >>> 0,
      nelems >>> 0,
    ]);
  }

  #composite(kind: number, name: string, size: number, members: BuilderMember[]): number {
    const kflag = members.some((m) => m.bitfieldSize !== undefined && m.bitfieldSize !== 0);
    const words = this.#hdr(name, kind, members.length, kflag, size);
    for (const m of members) {
      const off = kflag
        ? (((m.bitfieldSize ?? 0) & 0xff) << 24 | (m.bitOffset & 0xffffff)) >>> 0
        : m.bitOffset >>> 0;
      words.push(this.str(m.name), m.type >>> 0, off);
    }
    return this.#add(words);
  }

  /** `BTF_KIND_STRUCT`; kind_flag is set iff some member has a `bitfieldSize`. */
  struct(name: string, size: number, members: BuilderMember[]): number {
    return this.#composite(Kind.STRUCT, name, size, members);
  }

  /** `BTF_KIND_UNION`; kind_flag is set iff some member has a `bitfieldSize`. */
  union(name: string, size: number, members: BuilderMember[]): number {
    return this.#composite(Kind.UNION, name, size, members);
  }

  /** `BTF_KIND_ENUM`; `signed` sets kind_flag. */
  enum(name: string, size: number, values: [string, number][], signed = false): number {
    const words = this.#hdr(name, Kind.ENUM, values.length, signed, size);
    for (const [n, v] of values) words.push(this.str(n), v >>> 0);
    return this.#add(words);
  }

  /** `BTF_KIND_ENUM64`; `signed` sets kind_flag. */
  enum64(name: string, size: number, values: [string, bigint][], signed = false): number {
    const words = this.#hdr(name, Kind.ENUM64, values.length, signed, size);
    for (const [n, v] of values) {
      const u = BigInt.asUintN(64, v);
      words.push(this.str(n), Number(u & 0xffffffffn), Number(u >> 32n));
    }
    return this.#add(words);
  }

  /** `BTF_KIND_FWD`; `union` sets kind_flag. */
  fwd(name: string, union = false): number {
    return this.#add(this.#hdr(name, Kind.FWD, 0, union, 0));
  }

  /** `BTF_KIND_TYPEDEF`. */
  typedef(name: string, type: number): number {
    return this.#add(this.#hdr(name, Kind.TYPEDEF, 0, false, type));
  }

  /** `BTF_KIND_VOLATILE`. */
  volatile(type: number): number {
    return this.#add(this.#hdr("", Kind.VOLATILE, 0, false, type));
  }

  /** `BTF_KIND_CONST`. */
  const(type: number): number {
    return this.#add(this.#hdr("", Kind.CONST, 0, false, type));
  }

  /** `BTF_KIND_RESTRICT`. */
  restrict(type: number): number {
    return this.#add(this.#hdr("", Kind.RESTRICT, 0, false, type));
  }

  /** `BTF_KIND_FUNC`; linkage (vlen) defaults to 0 (static), 1 is global, 2 extern. */
  func(name: string, proto: number, linkage = 0): number {
    return this.#add(this.#hdr(name, Kind.FUNC, linkage, false, proto));
  }

  /** `BTF_KIND_FUNC_PROTO`; a last param `{ name: "", type: 0 }` means varargs. */
  funcProto(ret: number, params: { name: string; type: number }[]): number {
    const words = this.#hdr("", Kind.FUNC_PROTO, params.length, false, ret);
    for (const p of params) words.push(this.str(p.name), p.type >>> 0);
    return this.#add(words);
  }

  /** `BTF_KIND_VAR`; linkage defaults to 0 (static), 1 is global, 2 extern. */
  var(name: string, type: number, linkage = 0): number {
    return this.#add([...this.#hdr(name, Kind.VAR, 0, false, type), linkage >>> 0]);
  }

  /** `BTF_KIND_DATASEC`. */
  datasec(
    name: string,
    size: number,
    vars: { type: number; offset: number; size: number }[],
  ): number {
    const words = this.#hdr(name, Kind.DATASEC, vars.length, false, size);
    for (const v of vars) words.push(v.type >>> 0, v.offset >>> 0, v.size >>> 0);
    return this.#add(words);
  }

  /** `BTF_KIND_FLOAT`. */
  float(name: string, size: number): number {
    return this.#add(this.#hdr(name, Kind.FLOAT, 0, false, size));
  }

  /**
   * `BTF_KIND_DECL_TAG`; `componentIdx` -1 tags the type itself. `attr`
   * sets kind_flag (Linux 7.1: a plain `__attribute__((NAME))`).
   */
  declTag(name: string, type: number, componentIdx: number, attr = false): number {
    return this.#add([...this.#hdr(name, Kind.DECL_TAG, 0, attr, type), componentIdx >>> 0]);
  }

  /** `BTF_KIND_TYPE_TAG`; `attr` sets kind_flag (a plain `__attribute__((NAME))`). */
  typeTag(name: string, type: number, attr = false): number {
    return this.#add(this.#hdr(name, Kind.TYPE_TAG, 0, attr, type));
  }

  /**
   * A record of a kind this reader does not know (`kind` up to 127, `vlen`
   * up to 2^24 - 1), followed by `extra` words (what its layout entry says:
   * info_sz bytes, then vlen × elem_sz).
   */
  unknownKind(
    kind: number,
    name: string,
    vlen: number,
    sizeOrType: number,
    extra: number[] = [],
  ): number {
    return this.#add([...this.#hdr(name, kind, vlen, false, sizeOrType), ...extra]);
  }

  /**
   * Appends arbitrary u32 words as one "type" (the parser may see it as
   * several, or none). Returns the id it would get if it were one type.
   */
  raw(words: number[]): number {
    return this.#add(words.map((w) => w >>> 0));
  }

  /**
   * Writes the blob: a 24-byte header, the type section, then the string
   * section; with `layout`, a 32-byte header (Linux 7.1's) and the kind
   * layout section between the types and the strings. Header fields may be overridden for hostile tests; they are
   * written as given without moving the sections, except `hdrLen` between
   * 24 and 4096, which places the sections after a zero-filled header of
   * that length.
   */
  build(
    o: { header?: Partial<BuilderHeader>; layout?: readonly BuilderLayout[] } = {},
  ): Uint8Array {
    const h = o.header ?? {};
    const typeLen = this.#types.reduce((n, w) => n + w.length * 4, 0);
    const strLen = this.#strBytes.length;
    const layoutLen = o.layout ? o.layout.length * 4 : 0;
    const defLen = o.layout ? HEADER_LEN_LAYOUT : HEADER_LEN;
    const hdrLen = h.hdrLen !== undefined && h.hdrLen >= HEADER_LEN && h.hdrLen <= 4096
      ? h.hdrLen
      : defLen;
    const out = new Uint8Array(hdrLen + typeLen + layoutLen + strLen);
    const dv = new DataView(out.buffer);
    const le = this.littleEndian;
    dv.setUint16(0, h.magic ?? 0xeb9f, le);
    out[2] = h.version ?? 1;
    out[3] = h.flags ?? 0;
    dv.setUint32(4, (h.hdrLen ?? defLen) >>> 0, le);
    dv.setUint32(8, (h.typeOff ?? 0) >>> 0, le);
    dv.setUint32(12, (h.typeLen ?? typeLen) >>> 0, le);
    dv.setUint32(16, (h.strOff ?? typeLen + layoutLen) >>> 0, le);
    dv.setUint32(20, (h.strLen ?? strLen) >>> 0, le);
    if (hdrLen >= HEADER_LEN_LAYOUT) {
      dv.setUint32(24, (h.layoutOff ?? (o.layout ? typeLen : 0)) >>> 0, le);
      dv.setUint32(28, (h.layoutLen ?? layoutLen) >>> 0, le);
    }
    let p = hdrLen;
    for (const words of this.#types) {
      for (const w of words) {
        dv.setUint32(p, w, le);
        p += 4;
      }
    }
    for (const l of o.layout ?? []) {
      out[p] = l.infoSize;
      out[p + 1] = l.elemSize;
      dv.setUint16(p + 2, l.flags ?? 0, le);
      p += 4;
    }
    out.set(this.#strBytes, p);
    return out;
  }
}

/**
 * Adds one of every kind to `b` (32 types plus their helpers, about 40 ids),
 * with the awkward corners: bitfields, signed enums, 64-bit enums, varargs,
 * decl tags on members and params, datasecs. Returns the ids by role.
 */
export function everyKind(b: BtfBuilder) {
  const int = b.int("int", 4, { signed: true });
  const uint = b.int("unsigned int", 4);
  const char = b.int("char", 1, { char: true, signed: true });
  const bool = b.int("_Bool", 1, { bool: true });
  const u64 = b.int("long long unsigned int", 8);
  const long = b.int("long int", 8, { signed: true });
  const u8 = b.typedef("u8", b.int("unsigned char", 1));
  const ptrChar = b.ptr(char);
  const arr = b.array(u8, uint, 16);
  const bits = b.struct("bits", 16, [
    { name: "a", type: uint, bitOffset: 0, bitfieldSize: 3 },
    { name: "b", type: int, bitOffset: 3, bitfieldSize: 5 },
    { name: "", type: uint, bitOffset: 8, bitfieldSize: 0 },
    { name: "c", type: u64, bitOffset: 64, bitfieldSize: 40 },
  ]);
  const fwdU = b.fwd("later", true);
  const fwdS = b.fwd("opaque");
  const node = b.struct("node", 48, [
    { name: "next", type: b.ptr(fwdS), bitOffset: 0 },
    { name: "name", type: arr, bitOffset: 64 },
    { name: "flags", type: bits, bitOffset: 192 },
    { name: "b", type: bool, bitOffset: 320 },
  ]);
  const num = b.union("number", 8, [
    { name: "i", type: int, bitOffset: 0 },
    { name: "u", type: u64, bitOffset: 0 },
    { name: "d", type: b.float("double", 8), bitOffset: 0 },
  ]);
  const color = b.enum("color", 4, [["RED", 0], ["GREEN", 5], ["BLUE", 0x7fffffff]]);
  const sgn = b.enum("sgn", 4, [["NEG", -1], ["POS", 1]], true);
  const e64 = b.enum64("big", 8, [["BIG", 1n << 40n], ["ALL", 0xffffffffffffffffn]]);
  const e64s = b.enum64("bigs", 8, [["M1", -1n], ["MIN", -(1n << 63n)]], true);
  const cv = b.const(b.volatile(int));
  const restrictPtr = b.restrict(b.ptr(cv));
  const tagged = b.ptr(b.typeTag("user", int));
  const proto = b.funcProto(long, [
    { name: "p", type: ptrChar },
    { name: "r", type: restrictPtr },
    { name: "", type: 0 },
  ]);
  const fn = b.func("do_it", proto, 1);
  const fnStatic = b.func("helper", b.funcProto(0, []), 0);
  const declFn = b.declTag("kfunc", fn, -1);
  const declArg = b.declTag("arg_tag", fn, 1);
  const declMember = b.declTag("member_tag", bits, 2);
  const v1 = b.var("counter", u64, 1);
  const v2 = b.var("ext", int, 2);
  const v3 = b.var("local", node, 0);
  const sec = b.datasec(".bss", 64, [
    { type: v1, offset: 0, size: 8 },
    { type: v3, offset: 8, size: 48 },
  ]);
  const ksec = b.datasec(".ksyms", 0, [{ type: v2, offset: 0, size: 4 }]);
  return {
    int,
    uint,
    char,
    bool,
    u64,
    long,
    u8,
    ptrChar,
    arr,
    bits,
    fwdU,
    fwdS,
    node,
    num,
    color,
    sgn,
    e64,
    e64s,
    cv,
    restrictPtr,
    tagged,
    proto,
    fn,
    fnStatic,
    declFn,
    declArg,
    declMember,
    v1,
    v2,
    v3,
    sec,
    ksec,
  };
}

// ---------------------------------------------------------------------------
// bpftool as the reference: its JSON dump, and our types in the same shape.

/** Parses bpftool JSON keeping every number exact (as a bigint). */
function parseExact(text: string): unknown {
  // deno-lint-ignore no-explicit-any
  return JSON.parse(text, (_k, v, ctx?: any) => typeof v === "number" ? BigInt(ctx.source) : v);
}

/** Runs `bpftool -j btf dump file <path>` (with `-B base` for split BTF). */
export function bpftoolJson(path: string, base?: string): Record<string, unknown>[] {
  const args = ["-j", ...(base ? ["-B", base] : []), "btf", "dump", "file", path];
  const out = new Deno.Command("bpftool", { args, stdout: "piped", stderr: "piped" }).outputSync();
  if (!out.success) {
    throw new Error(`bpftool ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  const json = parseExact(new TextDecoder().decode(out.stdout)) as {
    types: Record<string, unknown>[];
  };
  return json.types;
}

const INT_ENC: Record<number, string> = { 0: "(none)", 1: "SIGNED", 2: "CHAR", 4: "BOOL" };
const LINKAGE = ["static", "global", "extern"];
const anon = (s: string) => s === "" ? "(anon)" : s;
const n = (x: number | bigint) => BigInt(x);

/** Our decoded type in the shape of bpftool's JSON. */
export function asBpftool(t: Type): Record<string, unknown> {
  const head = { id: n(t.id), kind: KIND_NAMES[t.kind], name: anon(t.name) };
  switch (t.kind) {
    case Kind.INT:
      return {
        ...head,
        size: n(t.size),
        bits_offset: n(t.bitOffset),
        nr_bits: n(t.bits),
        encoding: INT_ENC[t.encoding] ?? "UNKN",
      };
    case Kind.PTR:
    case Kind.TYPEDEF:
    case Kind.VOLATILE:
    case Kind.CONST:
    case Kind.RESTRICT:
    case Kind.TYPE_TAG:
      return { ...head, type_id: n(t.type) };
    case Kind.ARRAY:
      return {
        ...head,
        type_id: n(t.type),
        index_type_id: n(t.indexType),
        nr_elems: n(t.nelems),
      };
    case Kind.STRUCT:
    case Kind.UNION:
      return {
        ...head,
        size: n(t.size),
        vlen: n(t.members.length),
        members: t.members.map((m) => ({
          name: anon(m.name),
          type_id: n(m.type),
          bits_offset: n(m.bitOffset),
          ...(t.kindFlag && m.bitfieldSize ? { bitfield_size: n(m.bitfieldSize) } : {}),
        })),
      };
    case Kind.ENUM:
    case Kind.ENUM64:
      return {
        ...head,
        encoding: t.signed ? "SIGNED" : "UNSIGNED",
        size: n(t.size),
        vlen: n(t.values.length),
        values: t.values.map((v) => ({ name: anon(v.name), val: n(v.value) })),
      };
    case Kind.FWD:
      return { ...head, fwd_kind: t.union ? "union" : "struct" };
    case Kind.FUNC:
      return { ...head, type_id: n(t.type), linkage: LINKAGE[t.linkage] ?? "(unknown)" };
    case Kind.FUNC_PROTO:
      return {
        ...head,
        ret_type_id: n(t.type),
        vlen: n(t.params.length),
        params: t.params.map((p) => ({ name: anon(p.name), type_id: n(p.type) })),
      };
    case Kind.VAR:
      return { ...head, type_id: n(t.type), linkage: LINKAGE[t.linkage] ?? "(unknown)" };
    case Kind.DATASEC:
      return {
        ...head,
        size: n(t.size),
        vlen: n(t.vars.length),
        vars: t.vars.map((v) => ({ type_id: n(v.type), offset: n(v.offset), size: n(v.size) })),
      };
    case Kind.FLOAT:
      return { ...head, size: n(t.size) };
    case Kind.DECL_TAG:
      return { ...head, type_id: n(t.type), component_idx: n(t.componentIdx) };
    case Kind.UNKN:
      return { ...head, kind: kindName(t.rawKind), vlen: n(t.vlen) };
  }
}

/** Compares every type of `btf` (its own ids) with bpftool's dump of `path`. */
export function assertMatchesBpftool(btf: Btf, path: string, base?: string): void {
  const want = bpftoolJson(path, base);
  const got = [...btf.types()].map(asBpftool);
  assert.equal(got.length, want.length, "type count");
  for (let i = 0; i < want.length; i++) assert.deepEqual(got[i], want[i], `type ${want[i].id}`);
}
