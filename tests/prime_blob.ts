/**
 * Builds the small made-up BTF blob that primes the engine before a C dump
 * of a large BTF (`btf/dump_c_prime.ts` holds it as base64, and
 * `tests/btf_dump_c_test.ts` checks that it is what this builds). After
 * changing the shapes, paste the output of
 * `deno run tests/prime_blob.ts` into `btf/dump_c_prime.ts`.
 *
 * The blob's types are the shapes a `vmlinux.h` is made of: ints and their
 * names, qualifiers, pointers, arrays (nested, of pointers, of function
 * pointers), structs and unions with bitfields, holes, trailing padding,
 * packed layouts, anonymous and nested members, self references, forward
 * declarations, typedefs (of structs, anonymous structs and enums, function
 * prototypes, used through pointers only), enums (signed, unsigned, one and
 * eight bytes, 64-bit, anonymous), clashing names, functions, variables,
 * sections and tags. Its names need no escaping: the dump's output for it
 * is thrown away. The words are in host byte order (little-endian here;
 * the reader tells the order by the magic).
 *
 * @module
 */

import { HEADER_LEN } from "../btf/header.ts";

/** A struct or union member: name, type id, bit offset, bitfield size (0: none). */
type Member = readonly [name: string, type: number, bitOffset: number, bits?: number];

/**
 * Encodes types one call at a time; each returns the id the type gets.
 * (Plain loops, no spreads or array callbacks: this runs once, cold.)
 */
class Blob {
  readonly words: number[] = [];
  readonly strs: number[] = [0];
  readonly #names = new Map<string, number>();
  n = 1;

  /** The offset of `s` in the string section; `again`: a second copy of it (equal names at two offsets). */
  name(s: string, again = false): number {
    if (s === "") return 0;
    let off = again ? undefined : this.#names.get(s);
    if (off === undefined) {
      off = this.strs.length;
      for (let i = 0; i < s.length; i++) this.strs.push(s.charCodeAt(i));
      this.strs.push(0);
      this.#names.set(s, off);
    }
    return off;
  }

  /** A type's first three words; the words of its items follow with push(). */
  head(name: string, kind: number, vlen: number, kflag: boolean, third: number): number {
    const info = ((kflag ? 0x80000000 : 0) | (kind << 24) | vlen) >>> 0;
    // A name starting with "=" is stored again (see name()).
    const off = name[0] === "=" ? this.name(name.slice(1), true) : this.name(name);
    this.words.push(off, info, third >>> 0);
    return this.n++;
  }

  /** A type with up to three words after its first three. */
  add(name: string, kind: number, vlen: number, kflag: boolean, third: number, ...rest: number[]) {
    const id = this.head(name, kind, vlen, kflag, third);
    for (let i = 0; i < rest.length; i++) this.words.push(rest[i] >>> 0);
    return id;
  }

  int(name: string, size: number, enc: number, bits = size * 8): number {
    return this.add(name, 1, 0, false, size, (enc << 24) | bits);
  }

  /** PTR (2), TYPEDEF (8), VOLATILE (9), CONST (10), RESTRICT (11), TYPE_TAG (18). */
  ref(kind: number, type: number, name = "", kflag = false): number {
    return this.head(name, kind, 0, kflag, type);
  }

  array(elem: number, index: number, n: number): number {
    return this.add("", 3, 0, false, 0, elem, index, n);
  }

  /** STRUCT (4) or UNION (5); kind_flag when a member is a bitfield. */
  struct(kind: number, name: string, size: number, members: readonly Member[]): number {
    let kflag = false;
    for (let i = 0; i < members.length; i++) if ((members[i][3] ?? 0) !== 0) kflag = true;
    const id = this.head(name, kind, members.length, kflag, size);
    for (let i = 0; i < members.length; i++) {
      const [n, t, off, bits = 0] = members[i];
      this.words.push(this.name(n), t, (kflag ? (bits << 24) | off : off) >>> 0);
    }
    return id;
  }

  enum32(name: string, size: number, signed: boolean, values: readonly [string, number][]) {
    const id = this.head(name, 6, values.length, signed, size);
    for (let i = 0; i < values.length; i++) {
      this.words.push(this.name(values[i][0]), values[i][1] >>> 0);
    }
    return id;
  }

  enum64(name: string, size: number, signed: boolean, values: readonly [string, number, number][]) {
    const id = this.head(name, 19, values.length, signed, size);
    for (let i = 0; i < values.length; i++) {
      const [n, lo, hi] = values[i];
      this.words.push(this.name(n), lo >>> 0, hi >>> 0);
    }
    return id;
  }

  proto(ret: number, params: readonly [string, number][]): number {
    const id = this.head("", 13, params.length, false, ret);
    for (let i = 0; i < params.length; i++) this.words.push(this.name(params[i][0]), params[i][1]);
    return id;
  }

  /** The blob, in host byte order (the reader tells the order by the magic). */
  bytes(): Uint8Array {
    const nw = this.words.length, strLen = this.strs.length;
    const out = new Uint8Array(HEADER_LEN + 4 * nw + strLen);
    const h = new Uint32Array(out.buffer, 0, HEADER_LEN / 4);
    new Uint16Array(out.buffer, 0, 1)[0] = 0xeb9f;
    out[2] = 1; // version
    // hdr_len, type_off 0, type_len, str_off, str_len
    h[1] = HEADER_LEN, h[3] = 4 * nw, h[4] = 4 * nw, h[5] = strLen;
    new Uint32Array(out.buffer, HEADER_LEN, nw).set(this.words);
    out.set(this.strs, HEADER_LEN + 4 * nw);
    return out;
  }
}

const PTR = 2, STRUCT = 4, UNION = 5, TYPEDEF = 8, VOLATILE = 9, CONST = 10, RESTRICT = 11;

/** One copy of the shapes; `c` is the copy's number, for names that differ between copies. */
function shapes(b: Blob, c: number): void {
  // Ints as the kernel names them (`_Bool` and `__int128` start with an
  // underscore but are no GCC alias; `__Poly8_t` is one).
  const int = b.int("int", 4, 1);
  const uint = b.int("unsigned int", 4, 0);
  const char = b.int("char", 1, 1 | 2);
  const long = b.int("long int", 8, 1);
  const ulong = b.int("long unsigned int", 8, 0);
  const bool = b.int("_Bool", 1, 4);
  const i128 = b.int("__int128", 16, 1);
  b.int("__Poly8_t", 1, 0);
  const u16 = b.int("short unsigned int", 2, 0);
  const dbl = b.add("double", 16, 0, false, 8);
  // Qualifiers, pointers, typedefs (two with one name: `___2`).
  const cint = b.ref(CONST, int);
  const vint = b.ref(VOLATILE, int);
  const cvint = b.ref(CONST, vint);
  const pchar = b.ref(PTR, char);
  const cpchar = b.ref(CONST, pchar);
  const rpchar = b.ref(RESTRICT, pchar);
  const pcchar = b.ref(PTR, b.ref(CONST, char));
  const pvoid = b.ref(PTR, 0);
  const u32 = b.ref(TYPEDEF, uint, "u32");
  b.ref(TYPEDEF, ulong, "u32");
  const u64 = b.ref(TYPEDEF, ulong, "__u64");
  const pu32 = b.ref(PTR, u32);
  const user = b.ref(PTR, b.ref(18, char, "user"));
  const attr = b.ref(PTR, b.ref(18, int, "aligned(8)", true));
  // Arrays: of ints, nested, of pointers; a pointer to one.
  const arr4 = b.array(char, int, 4);
  const arr2x3 = b.array(b.array(int, int, 3), int, 2);
  const arrp = b.array(pchar, int, 2);
  const parr = b.ref(PTR, arr4);
  const carr = b.array(cint, int, 16);
  const huge = b.array(char, int, 0xffffffff);
  // Function prototypes: void (void), varargs, named and unnamed parameters,
  // one returning a function pointer.
  const fvoid = b.proto(0, []);
  const fvar = b.proto(int, [["fmt", pcchar], ["", 0]]);
  const fargs = b.proto(pvoid, [["a", int], ["", pchar], ["c", u32]]);
  const pfvoid = b.ref(PTR, fvoid);
  const pfargs = b.ref(PTR, fargs);
  const fret = b.ref(PTR, b.proto(pfargs, [["x", long]]));
  const fnt = b.ref(TYPEDEF, fargs, "handler_t");
  const afp = b.array(pfvoid, int, 3);
  const cpf = b.ref(CONST, pfvoid);
  // Enums: named, signed with negative values, anonymous (referenced and
  // not), 1 and 8 bytes, 64-bit ones, forward (no values), and an
  // enumerator clashing with a typedef name.
  const e = b.enum32("state", 4, false, [["S_A", 0], ["S_B", 1], ["S_BIG", 0xfffffff0]]);
  b.enum32("", 4, true, [["N_NEG", -5], ["N_POS", 7], ["u32", 3], ["N_MIN", 0x80000000]]);
  const eanon = b.enum32("", 4, false, [["ANON_A", 1]]);
  const etd = b.ref(TYPEDEF, eanon, "anon_enum_t");
  const e1 = b.enum32("small", 1, false, [["SM_A", 1]]);
  b.enum32("word", 8, true, [["W_A", -1]]);
  b.enum32("fwd_enum", 4, false, []);
  const e64 = b.enum64("wide", 8, false, [["WI_A", 1, 0], ["WI_B", 0, 1], [
    "WI_C",
    0xffffffff,
    0xffffffff,
  ]]);
  b.enum64("swide", 8, true, [["SW_MIN", 0, 0x80000000], ["SW_NEG", 0xfffffffe, 0xffffffff], [
    "SW_A",
    2,
    0,
  ]]);
  b.enum64("narrow", 8, false, [["NA_A", 5, 0]]);
  // Forward declarations and a struct that refers to itself and to a
  // struct defined after it (which needs a forward declaration).
  const fwd = b.add("opaque", 7, 0, false, 0);
  const fwdu = b.add("opaque_u", 7, 0, true, 0);
  const list = b.n;
  const plist = b.n + 1;
  b.struct(STRUCT, "list_head", 16, [["next", plist, 0], ["prev", plist, 64]]);
  b.ref(PTR, list);
  const later = b.n + 3;
  const a = b.struct(STRUCT, "a_s", 16, [["b", b.n + 1, 0], ["l", long, 64]]);
  b.ref(PTR, later);
  b.struct(STRUCT, "c_s", 8, [["b", a + 1, 0]]);
  b.struct(STRUCT, "b_s", 24, [["a", a, 0], ["fp", pfvoid, 128]]);
  // A struct reached again while in progress after its forward
  // declaration (through a function pointer typedef and a second typedef).
  const sId = b.n + 5;
  const sTd = b.ref(TYPEDEF, sId, "s_t");
  const handler = b.ref(TYPEDEF, b.ref(PTR, b.proto(0, [["s", b.ref(PTR, sTd)]])), "cb_t");
  b.struct(STRUCT, "s_s", 16, [["h", handler, 0], ["x", b.n + 2, 64]]);
  b.ref(PTR, b.ref(TYPEDEF, sId, "s2_t"));
  // A struct whose typedef is used inside it through a pointer.
  const selfTd = b.n + 2;
  const self = b.struct(STRUCT, "node", 16, [["self", b.n + 1, 0], ["v", int, 64]]);
  b.ref(PTR, selfTd);
  b.ref(TYPEDEF, self, "node_t");
  // A typedef of a named struct used only through pointers.
  const weak = b.struct(STRUCT, "weak_s", 8, [["x", long, 0]]);
  const weakTd = b.ref(TYPEDEF, weak, "weak_t");
  const pweak = b.ref(PTR, weakTd);
  // Anonymous struct and union members, nested.
  const inner = b.struct(STRUCT, "", 8, [["x", int, 0], ["y", u16, 32], ["z", bool, 48]]);
  const un = b.struct(UNION, "", 8, [["i", inner, 0], ["l", long, 0], ["p", pvoid, 0]]);
  const deep = b.struct(STRUCT, "", 8, [["", un, 0]]);
  const tdAnon = b.ref(TYPEDEF, b.struct(STRUCT, "", 4, [["v", int, 0]]), "anon_t");
  const tdUnion = b.ref(TYPEDEF, b.struct(UNION, "", 8, [["a", long, 0]]), "anon_u");
  // Bitfields with holes between and after them, in 1- to 8-byte units.
  const bits = b.struct(STRUCT, "flags", 24, [
    ["a", uint, 0, 1],
    ["b", uint, 1, 3],
    ["c", uint, 8, 7],
    ["d", u16, 32, 4],
    ["e", ulong, 64, 33],
    ["f", char, 136, 0],
    ["g", int, 160, 0],
  ]);
  // Holes filled with padding members, trailing padding, explicit `: 0`.
  const holes = b.struct(STRUCT, "holes", 64, [
    ["a", char, 0],
    ["b", long, 128],
    ["c", char, 200],
    ["d", int, 256, 5],
    ["e", long, 384],
  ]);
  const packed = b.struct(STRUCT, "packed_s", 9, [["c", char, 0], ["l", long, 8]]);
  const packed2 = b.struct(STRUCT, "odd_s", 6, [["i", int, 0], ["s", u16, 32]]);
  b.struct(STRUCT, "aligned16", 32, [["x", i128, 0], ["d", dbl, 128]]);
  // Every declaration shape as a member.
  const big = b.struct(STRUCT, "everything", 512, [
    ["cv", cvint, 0],
    ["s", cpchar, 64],
    ["r", rpchar, 128],
    ["u", user, 192],
    ["t", attr, 256],
    ["arr", arr4, 320],
    ["m", arr2x3, 352],
    ["ap", arrp, 576],
    ["pa", parr, 704],
    ["ca", carr, 768],
    ["fv", pfvoid, 1280],
    ["fa", pfargs, 1344],
    ["fr", fret, 1408],
    ["afp", afp, 1472],
    ["cpf", cpf, 1664],
    ["h", b.ref(PTR, fnt), 1728],
    ["e", e, 1792],
    ["ea", etd, 1824],
    ["e1", e1, 1856],
    ["e64", e64, 1920],
    ["fw", b.ref(PTR, fwd), 1984],
    ["fu", b.ref(PTR, fwdu), 2048],
    ["pw", pweak, 2112],
    ["d", deep, 2176],
    ["ta", tdAnon, 2240],
    ["tu", tdUnion, 2304],
    ["bf", bits, 2368],
    ["hl", holes, 2560],
    ["pk", packed, 3072],
    ["p2", packed2, 3144],
    ["u64", u64, 3200],
    ["pu", pu32, 3264],
    ["l", list, 3328],
    ["", b.struct(UNION, "", 8, [["q", long, 0], ["w", b.array(u16, int, 4), 0]]), 3456],
    ["hg", b.ref(PTR, huge), 3520],
    ["dd", dbl, 3584],
  ]);
  b.struct(STRUCT, "list_holder", 16, [["l", list, 0]]);
  // `struct inner_s;` inside a struct (-fms-extensions), and of an
  // incomplete struct.
  const named = b.struct(STRUCT, "ms_inner", 8, [["m", long, 0]]);
  b.struct(STRUCT, "ms_outer", 16, [["", named, 0], ["z", long, 64]]);
  b.struct(STRUCT, "ms_fwd", 8, [["", fwd, 0], ["z", long, 0]]);
  // Declarations whose chain ends in a typedef, a tag, a forward
  // declaration or an anonymous type; qualified arrays and prototypes;
  // numbers of every length.
  const anonS = b.struct(STRUCT, "", 4, [["v", int, 0]]);
  const anonE = b.enum32("", 4, false, [["AE_A", 100], ["AE_B", 12345], ["AE_C", 1234567]]);
  const chains = b.struct(STRUCT, "chains", 266664, [
    ["a", b.ref(PTR, b.ref(CONST, u32)), 0],
    ["b", b.array(u32, int, 100), 64],
    ["c", b.array(b.ref(PTR, list), int, 2), 3264],
    ["d", b.ref(PTR, b.ref(PTR, fwd)), 3392],
    ["e", b.array(e, int, 1000), 3456],
    ["f", b.ref(PTR, anonS), 35456],
    ["g", b.array(anonS, int, 12), 35520],
    ["h", b.ref(PTR, anonE), 35904],
    ["i", b.ref(PTR, fvar), 35968],
    ["j", b.ref(PTR, b.ref(VOLATILE, fargs)), 36032],
    ["k", b.ref(CONST, b.array(int, int, 65536)), 36096],
    ["l", b.array(b.ref(PTR, fwdu), int, 1), 2133248],
  ]);
  void chains;
  // A prototype whose return and parameter types come after it.
  const late = b.n, lateS = late + 3;
  b.proto(late + 1, [["x", late + 2]]);
  b.ref(PTR, lateS);
  b.ref(CONST, lateS);
  b.struct(STRUCT, "late_s", 8, [["x", long, 0]]);
  b.struct(STRUCT, "uses_late", 8, [["f", b.ref(PTR, late), 0]]);
  // A union in progress reached again through an anonymous member, and
  // through a typedef; unnamed members through qualifiers and typedefs.
  const selfU = b.n;
  b.struct(UNION, "self_u", 8, [["p", b.n + 1, 0], ["", b.n + 2, 0]]);
  b.ref(PTR, selfU);
  b.struct(STRUCT, "", 8, [["q", b.n + 1, 0]]);
  b.ref(PTR, selfU);
  const uTd = b.n + 2;
  const tu = b.struct(UNION, "tdu", 8, [["p", b.n + 1, 0]]);
  b.ref(PTR, uTd);
  b.ref(TYPEDEF, tu, "tdu_t");
  b.struct(STRUCT, "ms_const", 16, [["", b.ref(CONST, named), 0], [
    "",
    b.ref(TYPEDEF, named, "msi_t"),
    64,
  ]]);
  const msu = b.struct(UNION, "ms_union", 8, [["a", int, 0], ["b", long, 0]]);
  b.struct(STRUCT, "ms_u", 8, [["", msu, 0]]);
  // Qualified structs not ordered yet, an empty struct, a packed struct
  // with a hole, short trailing holes.
  const q = b.n + 1;
  b.struct(STRUCT, "uses_const", 8, [["c", q, 0]]);
  b.ref(CONST, b.n + 1);
  b.struct(STRUCT, "later_s", 8, [["x", long, 0]]);
  b.struct(STRUCT, "empty", 0, []);
  b.struct(STRUCT, "packed_hole", 11, [["c", char, 0], ["l", long, 24]]);
  b.struct(STRUCT, "tail7", 7, [["c", char, 0]]);
  b.struct(STRUCT, "tail3", 8, [["i", int, 0], ["c", char, 32], ["d", char, 40, 3]]);
  // Equal names at two offsets of the string section.
  b.struct(STRUCT, "=list_head", 8, [["x", long, 0]]);
  b.ref(TYPEDEF, int, "=u32");
  // Functions, variables, sections and tags, which the dump skips.
  const f = b.add(`func_${c}`, 12, 1, false, fargs);
  b.add(`func_v${c}`, 12, 1, false, fvoid);
  const v = b.add(`var_${c}`, 14, 0, false, big, 1);
  b.add(".data", 15, 1, false, 8, v, 0, 8);
  b.add("tag", 17, 0, false, f, 0xffffffff);
  b.add("tag", 17, 0, false, big, 1);
  // The va_list typedefs GCC predefines.
  const va = b.ref(TYPEDEF, pchar, "__builtin_va_list");
  b.ref(TYPEDEF, va, "__gnuc_va_list");
  b.ref(TYPEDEF, 0, "__gnuc_va_list");
}

/**
 * The priming blob: two copies of the shapes (the second's names clash with
 * the first's, so they get `___2` suffixes).
 */
export function buildPrimeBlob(): Uint8Array {
  const b = new Blob();
  shapes(b, 1);
  shapes(b, 2);
  return b.bytes();
}

/** The blob as `btf/dump_c_prime.ts` holds it: base64, in lines of 96 characters. */
export function primeBlobText(): string {
  const b64 = buildPrimeBlob().toBase64();
  const lines = [];
  for (let i = 0; i < b64.length; i += 96) lines.push(`  ${b64.slice(i, i + 96)}`);
  return lines.join("\n");
}

if (import.meta.main) console.log(primeBlobText());
