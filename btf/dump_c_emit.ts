/**
 * Emission for the C dump: definitions and forward declarations in the
 * order the queue gives (libbpf's `btf_dump_emit_type`), struct and union
 * bodies with their padding bitfields and `packed` attribute, enums with
 * their `mode` attributes, typedefs.
 *
 * One thing is done better than libbpf: an unnamed member whose type is a
 * named struct or union (`struct ns_tree;` inside `struct ns_common`, which
 * kernels built with `-fms-extensions` have) is written as an anonymous
 * struct with the named one's members. Plain C drops `struct ns_tree;` with
 * a warning and gets the layout wrong; the anonymous struct gives every
 * member its BTF offset with or without `-fms-extensions`. Where the type
 * is only declared (an incomplete struct, which no compiler can lay out),
 * a `_Static_assert(0, ...)` after the member makes the header refuse to
 * compile rather than compile to a wrong layout.
 *
 * @module
 */

import { ascii } from "./byte_out.ts";
import { emitTypeDecl } from "./dump_c_decl.ts";
import { IDENTS } from "./dump_c_names.ts";
import {
  type CDumpState,
  MAX_DEPTH,
  MAX_PAD_BITS,
  MAX_RESOLVE_DEPTH,
  VLEN_MASK,
} from "./dump_c_state.ts";
import { BtfError } from "./error.ts";

/** A new line indented for level 0..13 (libbpf caps indentation at 13 tabs). */
const NEWLINES = Array.from({ length: 14 }, (_, i) => ascii("\n" + "\t".repeat(i)));

/** A new line, then the indentation for nesting level `lvl`. */
function nl(lvl: number): Uint8Array {
  return NEWLINES[lvl >= 13 ? 13 : lvl];
}

const S_STRUCT = ascii("struct");
const S_UNION = ascii("union");
const S_ENUM = ascii("enum");
const S_TYPEDEF = ascii("typedef ");
/** The end of a top-level definition. */
export const S_END_DEF = ascii(";\n\n");
const S_OPEN = ascii(" {");
const S_CLOSE = ascii("}");
const S_PACKED = ascii(" __attribute__((packed))");
const S_MODE_BYTE = ascii(" __attribute__((mode(byte)))");
const S_MODE_WORD = ascii(" __attribute__((mode(word)))");
const S_EQ = ascii(" = ");
const S_COLON = ascii(": ");
const S_LL = ascii("LL");
const S_ULL = ascii("ULL");
const S_INT64_MIN = ascii("(-9223372036854775807LL - 1)");
const S_INCOMPLETE = ascii(
  '_Static_assert(0, "an unnamed member of an incomplete struct type: no C compiler lays this out")',
);
const S_VA_LIST = ascii("typedef __builtin_va_list __gnuc_va_list");
const B_GNUC_VA_LIST = ascii("__gnuc_va_list");

/** GCC's internal `__PolyN_t` base types, aliased to standard C types. */
const MISSING_ALIASES = [
  ["__Poly8_t", "unsigned char"],
  ["__Poly16_t", "unsigned short"],
  ["__Poly64_t", "unsigned long long"],
  ["__Poly128_t", "unsigned __int128"],
];
/** Their names, and the typedefs that give them (in two arrays: read by index, not destructured). */
const ALIAS_NAMES = MISSING_ALIASES.map(([name]) => ascii(name));
const ALIAS_DEFS = MISSING_ALIASES.map(([name, c]) => ascii(`typedef ${c} ${name};\n\n`));

/*
 * The functions below keep what runs for most types in small functions and
 * what runs for few in others: the engine compiles each function whole, so
 * a rare branch in a hot function made its optimized code slower to come.
 * States and kinds are written as numbers (names in comments), as in
 * dump_c.ts.
 */

/** libbpf's btf_dump_emit_type: definitions and forward declarations. */
export function emitType(d: CDumpState, id: number, contId: number): void {
  const state = d.emit[id];
  if (state === 2 /* DONE */) return;
  if (state === 1 /* IN_PROGRESS */) return emitAgain(d, id, contId);
  const w = d.w, p = d.at[id], emit = d.emit;
  if (++d.work > d.maxWork) d.tooMuch(id);
  if (++d.depth > MAX_DEPTH) d.tooDeep(id, "type definitions");
  switch (d.kinds[id]) {
    case 1 /* INT */:
      emitInt(d, id);
      break;
    case 6 /* ENUM */:
    case 19 /* ENUM64 */:
      if (contId === 0) {
        emitEnumDef(d, id, 0);
        d.out.lit(S_END_DEF);
      }
      emit[id] = 2 /* DONE */;
      break;
    case 2 /* PTR */:
    case 9 /* VOLATILE */:
    case 10 /* CONST */:
    case 11 /* RESTRICT */:
    case 18 /* TYPE_TAG */:
      if (emit[w[p + 2]] !== 2 /* DONE */) emitType(d, w[p + 2], contId);
      break;
    case 3 /* ARRAY */:
      if (emit[w[p + 3]] !== 2 /* DONE */) emitType(d, w[p + 3], contId);
      break;
    case 7 /* FWD */:
      d.fwdDef(id);
      d.out.lit(S_END_DEF);
      emit[id] = 2 /* DONE */;
      break;
    case 8 /* TYPEDEF */:
      emit[id] = 1 /* IN_PROGRESS */;
      if (emit[w[p + 2]] !== 2 /* DONE */) emitType(d, w[p + 2], id);
      // Someone may have needed the typedef through a pointer meanwhile,
      // which already wrote it.
      if (!d.fwdEmitted[id] && !d.isBlacklisted(id)) {
        emitTypedefDef(d, id, 0);
        d.out.lit(S_END_DEF);
      }
      emit[id] = 2 /* DONE */;
      break;
    case 4 /* STRUCT */:
    case 5 /* UNION */:
      emitComposite(d, id, contId);
      break;
    case 13 /* FUNC_PROTO */: {
      if (emit[w[p + 2]] !== 2 /* DONE */) emitType(d, w[p + 2], contId);
      const vlen = w[p + 1] & VLEN_MASK;
      for (let k = 0, m = p + 4; k < vlen; k++, m += 2) {
        if (emit[w[m]] !== 2 /* DONE */) emitType(d, w[m], contId);
      }
      break;
    }
    default:
      break;
  }
  d.depth--;
}

/** {@link emitType} of a struct or union. */
function emitComposite(d: CDumpState, id: number, contId: number): void {
  const w = d.w, p = d.at[id], emit = d.emit;
  emit[id] = 1 /* IN_PROGRESS */;
  const named = d.named(w[p]);
  if (contId === 0 || !named) {
    // Members are written out here: their types need declarations first.
    const newCont = named ? id : contId;
    const vlen = w[p + 1] & VLEN_MASK;
    // (A type already emitted needs nothing: skipped here, without a call.)
    for (let k = 0, m = p + 4; k < vlen; k++, m += 3) {
      if (emit[w[m]] !== 2 /* DONE */) emitType(d, w[m], newCont);
    }
  } else if (!d.fwdEmitted[id] && id !== contId) {
    d.structFwd(id);
    d.out.lit(S_END_DEF);
    d.fwdEmitted[id] = 1;
  }
  if (contId === 0) {
    emitStructDef(d, id, 0, false);
    d.out.lit(S_END_DEF);
    emit[id] = 2 /* DONE */;
  } else {
    emit[id] = 0 /* NOT_DONE */;
  }
}

/** {@link emitType} of an int: claims its name among the tags, like libbpf, and writes GCC's aliases. */
function emitInt(d: CDumpState, id: number): void {
  const off = d.w[d.at[id]];
  if (d.resolve(id, false) === 1 && d.s[off] === 95 /* _ */) {
    for (let i = 0; i < ALIAS_NAMES.length; i++) {
      if (d.nameIs(off, ALIAS_NAMES[i])) d.out.lit(ALIAS_DEFS[i]);
    }
  }
  d.emit[id] = 2 /* DONE */;
}

/**
 * {@link emitType} of a type reached again while it is being emitted: a
 * struct or union needs a forward declaration (unless it is the one we are
 * inside of, or anonymous), a typedef is written at once.
 */
function emitAgain(d: CDumpState, id: number, contId: number): void {
  if (d.fwdEmitted[id]) return;
  const kind = d.kinds[id];
  if (kind === 4 /* STRUCT */ || kind === 5 /* UNION */) {
    // A reference to the struct we are inside of needs nothing.
    if (id === contId) return;
    if (!d.named(d.w[d.at[id]])) return; // anonymous loop: nothing C can say
    d.structFwd(id);
    d.out.lit(S_END_DEF);
    d.fwdEmitted[id] = 1;
  } else if (kind === 8 /* TYPEDEF */) {
    if (!d.isBlacklisted(id)) {
      emitTypedefDef(d, id, 0);
      d.out.lit(S_END_DEF);
    }
    d.fwdEmitted[id] = 1;
  }
}

/** Writes a padding member `TYPE: BITS;` on its own line. */
function padLine(d: CDumpState, lvl: number, pad: number, bits: number): void {
  const out = d.out;
  out.lit(nl(lvl));
  out.lit(d.padNames[pad]);
  out.lit(S_COLON);
  out.num(bits);
  out.byte(59);
}

/** Fills the gap between bit offsets `cur` and `next` with unnamed bitfields. */
function emitBitPadding(
  d: CDumpState,
  id: number,
  cur: number,
  next: number,
  nextAlign: number,
  inBitfield: boolean,
  lvl: number,
): void {
  if (cur >= next) return;
  if (next - cur > MAX_PAD_BITS) throw holeTooBig(next - cur);
  const widths = d.padBits;
  let newOff = 0, padBits = 0, pad = 0;
  for (let i = 0; i < 4; i++) {
    pad = i;
    padBits = widths[i];
    newOff = Math.ceil(cur / padBits) * padBits;
    if (newOff <= next) break;
  }
  if (newOff > cur && newOff <= next) {
    // An explicit `<type>: 0` is needed when the compiler would not align
    // the next member to newOff by itself, or when a `<type>: N` would fit
    // into the remaining hole and so be laid out differently.
    const align8 = (nextAlign || 1) * 8;
    if (
      inBitfield ||
      (newOff === next && Math.ceil(cur / align8) * align8 !== newOff) ||
      (newOff !== next && next - newOff <= newOff - cur)
    ) {
      padLine(d, lvl, pad, inBitfield ? newOff - cur : 0);
    }
    cur = newOff;
  }
  // One line per piece: at most this many.
  d.spend(Math.ceil((next - cur) / padBits) + 1, id);
  while (cur !== next) {
    const bits = Math.min(next - cur, padBits);
    if (bits === padBits) {
      padLine(d, lvl, pad, padBits);
      cur += bits;
      continue;
    }
    // The last piece: the smallest type that holds it.
    for (let i = 3; i >= 0; i--) {
      pad = i;
      padBits = widths[i];
      if (padBits < bits) continue;
      padLine(d, lvl, pad, bits);
      cur += bits;
      break;
    }
  }
}

/**
 * For the type of an unnamed member: the struct or union it names, behind
 * typedefs and qualifiers (C keeps such a member only with
 * `-fms-extensions`); minus the id of a forward declaration (an incomplete
 * struct, which no C can lay out); or 0 when the member is written as it is
 * (an anonymous struct or union defined in place, or anything else).
 */
function namedMember(d: CDumpState, id: number): number {
  const w = d.w;
  let viaTypedef = false;
  for (let i = 0; i < MAX_RESOLVE_DEPTH && id !== 0; i++) {
    const p = d.at[id];
    switch (d.kinds[id]) {
      case 4 /* STRUCT */:
      case 5 /* UNION */:
        return viaTypedef || d.named(w[p]) ? id : 0;
      case 7 /* FWD */:
        return -id;
      case 8 /* TYPEDEF */:
        viaTypedef = true;
        id = w[p + 2];
        break;
      case 9 /* VOLATILE */:
      case 10 /* CONST */:
      case 11 /* RESTRICT */:
      case 18 /* TYPE_TAG */:
        id = w[p + 2];
        break;
      default:
        return 0;
    }
  }
  return 0;
}

/**
 * Writes the definition of struct or union `id` at nesting level `lvl`;
 * `anon`: as an anonymous one (its tag left out).
 */
export function emitStructDef(d: CDumpState, id: number, lvl: number, anon: boolean): void {
  const w = d.w, p = d.at[id], out = d.out;
  const isStruct = d.kinds[id] === 4 /* STRUCT */;
  const size = w[p + 2];
  const vlen = w[p + 1] & VLEN_MASK, kflag = w[p + 1] >>> 31;
  const align = d.alignOf(id);
  const packed = isStruct ? d.isStructPacked(id) : false;
  if (anon) out.lit(isStruct ? S_STRUCT : S_UNION);
  else d.structFwd(id);
  out.lit(S_OPEN);
  const inner = nl(lvl + 1);
  const aligns = d.aligns, s = d.s;
  let off = 0, prevBitfield = false;
  for (let k = 0, m = p + 3; k < vlen; k++, m += 3) {
    const raw = w[m + 2], type = w[m + 1];
    const bitOffset = kflag ? raw & 0xffffff : raw;
    const bits = kflag ? raw >>> 24 : 0;
    if (bitOffset + bits > size * 8) throw memberOutside(d, id, w[m], bitOffset);
    if (off < bitOffset) {
      // (alignOf's memo read here: most members' types are known.)
      const memo = aligns[type];
      const mAlign = packed ? 1 : memo > 0 ? memo - 1 : d.alignOf(type);
      emitBitPadding(d, id, off, bitOffset, mAlign, prevBitfield && bits !== 0, lvl + 1);
    } else if (!packed && aligns[type] <= 0) d.alignOf(type);
    out.lit(inner);
    const nm = w[m], nameOff = nm !== 0 && s[nm] !== 0 ? nm : 0;
    const inline = nameOff === 0 && bits === 0 ? namedMember(d, type) : 0;
    if (inline > 0) {
      // `struct ns_tree;` needs -fms-extensions; its members as an anonymous
      // struct keep the layout in plain C (see the module doc).
      d.enter(inline, "anonymous members");
      emitStructDef(d, inline, lvl + 1, true);
      d.depth--;
    } else emitTypeDecl(d, type, nameOff, 1, lvl + 1);
    if (inline < 0) {
      // Only a declaration to go by: plain C would drop the member and lay
      // out the rest wrongly, so the header refuses to compile instead.
      out.byte(59);
      out.lit(inner);
      out.lit(S_INCOMPLETE);
    }
    if (bits) {
      out.lit(S_COLON);
      out.num(bits);
      off = bitOffset + bits;
      prevBitfield = true;
    } else {
      off = bitOffset + Math.max(0, d.resolveSize(type)) * 8;
      prevBitfield = false;
    }
    out.byte(59);
  }
  if (isStruct) emitBitPadding(d, id, off, size * 8, align, false, lvl + 1);
  if (vlen || size) out.lit(nl(lvl));
  out.lit(S_CLOSE);
  if (packed) out.lit(S_PACKED);
}

/*
 * The errors of emitStructDef and emitBitPadding, kept out of them: the
 * engine compiles a function whole, and building their messages made them
 * slower to compile.
 */

/** The error for a member (name at string offset `name`) past the end of struct `id`. */
function memberOutside(d: CDumpState, id: number, name: number, bitOffset: number): BtfError {
  const size = d.w[d.at[id] + 2];
  return new BtfError(
    `expected member '${d.btf.str(name)}' of ${
      d.describe(id)
    } within its ${size} bytes, found it at bit ${bitOffset}`,
  );
}

/** The error for a hole of `bits` past {@link MAX_PAD_BITS}. */
function holeTooBig(bits: number): BtfError {
  return new BtfError(
    `expected holes in a struct smaller than ${MAX_PAD_BITS / 8} bytes, found one of ${
      Math.ceil(bits / 8)
    } bytes`,
  );
}

/** Writes the definition of enum `id` at nesting level `lvl`. */
export function emitEnumDef(d: CDumpState, id: number, lvl: number): void {
  const w = d.w, p = d.at[id], out = d.out;
  out.lit(S_ENUM);
  if (d.named(w[p])) out.byte(32);
  d.writeTag(id);
  const info = w[p + 1], vlen = info & VLEN_MASK, signed = info >>> 31 === 1;
  if (!vlen) return;
  d.spend(vlen, id);
  out.lit(S_OPEN);
  const ind = nl(lvl + 1);
  const is64 = d.kinds[id] === 19 /* ENUM64 */;
  const names = d.names;
  let word = true;
  for (let k = 0, m = p + 3; k < vlen; k++, m += is64 ? 3 : 2) {
    out.lit(ind);
    // Enumerators share the identifier space with typedef names.
    d.writeName(w[m], names.bump(w[m], IDENTS));
    out.lit(S_EQ);
    if (!is64) {
      if (signed) out.int(w[m + 1] | 0);
      else out.num(w[m + 1]);
    } else {
      const lo = w[m + 1], hi = w[m + 2];
      if (hi !== 0) word = false;
      if (hi === 0) out.num(lo);
      else if (signed && hi === 0x80000000 && lo === 0) {
        // libbpf prints INT64_MIN as -9223372036854775808LL, which C reads
        // as the negation of an unsigned literal (a positive value): spell
        // it so that it stays negative.
        out.lit(S_INT64_MIN);
        out.byte(44);
        continue;
      } else {
        const u = (BigInt(hi) << 32n) | BigInt(lo);
        out.text((signed ? BigInt.asIntN(64, u) : u).toString());
      }
      out.lit(signed ? S_LL : S_ULL);
    }
    out.byte(44);
  }
  out.lit(nl(lvl));
  out.lit(S_CLOSE);
  const size = w[p + 2];
  if (size === 1) out.lit(S_MODE_BYTE);
  // A 32-bit ENUM of size 8, or an ENUM64 whose values all fit in 32 bits,
  // only gets 8 bytes from mode(word).
  else if (size === 8 && d.ptrSz === 8 && word) out.lit(S_MODE_WORD);
}

/** Writes `typedef ... NAME` for typedef `id`. */
export function emitTypedefDef(d: CDumpState, id: number, lvl: number): void {
  const w = d.w, p = d.at[id];
  const dup = d.resolve(id, true);
  if (w[p + 2] === 0 && dup === 1 && d.nameIs(w[p], B_GNUC_VA_LIST)) {
    d.out.lit(S_VA_LIST);
    return;
  }
  d.out.lit(S_TYPEDEF);
  emitTypeDecl(d, w[p + 2], d.named(w[p]) ? w[p] : 0, dup, lvl);
}
