/**
 * Declarations for the C dump (libbpf's `btf_dump_emit_type_decl`): a chain
 * of pointers, qualifiers, arrays and prototypes written inside out around
 * a name, anonymous structs and enums inline.
 *
 * A declaration chain is `d.chain[lo..cnt)` (outermost type first, in the
 * dumper's shared chain stack); the functions below take the cursor `cnt`,
 * just past the innermost type not yet written, and return where it is
 * after them.
 *
 * @module
 */

import { ascii } from "./byte_out.ts";
import { emitEnumDef, emitStructDef } from "./dump_c_emit.ts";
import { type CDumpState, MAX_CHAIN, MAX_DEPTH, VLEN_MASK } from "./dump_c_state.ts";
import { BtfError } from "./error.ts";

const S_ENUM_SP = ascii("enum ");
const S_VOID = ascii("void");
const S_VOLATILE_SP = ascii("volatile ");
const S_CONST_SP = ascii("const ");
const S_RESTRICT_SP = ascii("restrict ");
const S_SP_VOLATILE = ascii(" volatile");
const S_SP_CONST = ascii(" const");
const S_SP_RESTRICT = ascii(" restrict");
const S_STAR = ascii("*");
const S_SP_STAR = ascii(" *");
const S_SP_PAREN = ascii(" (");
const S_VOID_PAREN = ascii("void)");
const S_COMMA = ascii(", ");
const S_ELLIPSIS = ascii("...");
const S_ATTR = ascii(" __attribute__((");
const S_ATTR_END = ascii("))");
const S_TYPE_TAG = ascii(' __attribute__((btf_type_tag("');
const S_TYPE_TAG_END = ascii('")))');

/**
 * Writes a declaration of the name at string offset `fOff` (0: no name;
 * `fDup` > 1 adds a `___N` suffix) with type `id` (libbpf's
 * btf_dump_emit_type_decl).
 */
export function emitTypeDecl(d: CDumpState, id: number, fOff: number, fDup: number, lvl: number) {
  const chain = d.chain, lo = d.top, w = d.w, kinds = d.kinds;
  // Most declarations are a named type or a pointer to one: written here
  // without the chain (the same text the chain gives).
  const ptr = id !== 0 && kinds[id] === 2 /* PTR */;
  const base = ptr ? w[d.at[id] + 2] : id;
  if (simpleBase(d, base)) {
    // d.enter and d.depth-- around a declaration that nests nothing.
    if (++d.work > d.maxWork) d.tooMuch(id);
    if (d.depth >= MAX_DEPTH) d.tooDeep(id, "declarations");
    writeBase(d, base);
    if (ptr) d.out.lit(S_SP_STAR);
    emitName(d, fOff, fDup, ptr);
    return;
  }
  let top = lo;
  for (;;) {
    if (top - lo >= MAX_CHAIN) throw chainTooLong(d, id);
    chain[top++] = id;
    if (id === 0) break;
    const kind = kinds[id];
    if (
      kind === 2 /* PTR */ || kind === 9 /* VOLATILE */ || kind === 10 /* CONST */ ||
      kind === 11 /* RESTRICT */ || kind === 13 /* FUNC_PROTO */ || kind === 18 /* TYPE_TAG */
    ) {
      id = w[d.at[id] + 2];
    } else if (kind === 3 /* ARRAY */) {
      id = w[d.at[id] + 3];
    } else if (
      kind === 1 /* INT */ || kind === 6 /* ENUM */ || kind === 19 /* ENUM64 */ ||
      kind === 7 /* FWD */ ||
      kind === 4 /* STRUCT */ || kind === 5 /* UNION */ || kind === 8 /* TYPEDEF */ ||
      kind === 16 /* FLOAT */
    ) {
      break;
    } else {
      throw notDeclarable(d, id);
    }
  }
  d.enter(chain[lo], "declarations");
  // Declarations nested in this one (members of an anonymous struct,
  // parameters of a prototype) go above it.
  d.top = top;
  emitTypeChain(d, lo, top, fOff, fDup, lvl);
  d.top = lo;
  d.depth--;
}

/** Whether type `id` is written as a name alone: void, an int, a typedef, a named tag. */
function simpleBase(d: CDumpState, id: number): boolean {
  if (id === 0) return true;
  switch (d.kinds[id]) {
    case 1 /* INT */:
    case 16 /* FLOAT */:
    case 8 /* TYPEDEF */:
    case 7 /* FWD */:
      return true;
    case 4 /* STRUCT */:
    case 5 /* UNION */:
    case 6 /* ENUM */:
    case 19 /* ENUM64 */:
      return d.named(d.w[d.at[id]]);
    default:
      return false;
  }
}

/** Writes a type {@link simpleBase} accepts, as the chain would. */
function writeBase(d: CDumpState, id: number): void {
  if (id === 0) return d.out.lit(S_VOID);
  switch (d.kinds[id]) {
    case 1 /* INT */:
    case 16 /* FLOAT */:
      return d.writeName(d.w[d.at[id]], 1);
    case 8 /* TYPEDEF */:
      return d.writeIdent(id);
    case 7 /* FWD */:
      return d.fwdDef(id);
    case 4 /* STRUCT */:
    case 5 /* UNION */:
      return d.structFwd(id);
    default:
      d.out.lit(S_ENUM_SP);
      return d.writeTag(id);
  }
}

/** Writes leading `const `/`volatile `/`restrict ` for the qualifiers just outside the cursor. */
function emitMods(d: CDumpState, lo: number, cnt: number): number {
  while (cnt > lo) {
    const k = d.kinds[d.chain[cnt - 1]];
    if (k === 9 /* VOLATILE */) d.out.lit(S_VOLATILE_SP);
    else if (k === 10 /* CONST */) d.out.lit(S_CONST_SP);
    else if (k === 11 /* RESTRICT */) d.out.lit(S_RESTRICT_SP);
    else break;
    cnt--;
  }
  return cnt;
}

/** Drops qualifiers and type tags on arrays and function prototypes (C has no place for them). */
function dropMods(d: CDumpState, lo: number, cnt: number): number {
  while (cnt > lo) {
    const k = d.kinds[d.chain[cnt - 1]];
    if (
      k !== 9 /* VOLATILE */ && k !== 10 /* CONST */ && k !== 11 /* RESTRICT */ &&
      k !== 18 /* TYPE_TAG */
    ) {
      break;
    }
    cnt--;
  }
  return cnt;
}

function emitName(d: CDumpState, fOff: number, fDup: number, lastWasPtr: boolean): void {
  if (fOff !== 0) {
    if (!lastWasPtr) d.out.byte(32);
    d.writeName(fOff, fDup);
  }
}

/** Writes the chain `[lo, cnt)` from its innermost (terminal) type outwards. */
function emitTypeChain(
  d: CDumpState,
  lo: number,
  cnt: number,
  fOff: number,
  fDup: number,
  lvl: number,
): void {
  const out = d.out, w = d.w;
  let lastWasPtr = true;
  while (cnt > lo) {
    const id = d.chain[--cnt];
    if (id === 0) {
      cnt = emitMods(d, lo, cnt);
      out.lit(S_VOID);
      lastWasPtr = false;
      continue;
    }
    const p = d.at[id], kind = d.kinds[id];
    switch (kind) {
      case 1 /* INT */:
      case 16 /* FLOAT */:
        cnt = emitMods(d, lo, cnt);
        d.writeName(w[p], 1);
        break;
      case 4 /* STRUCT */:
      case 5 /* UNION */:
        cnt = emitMods(d, lo, cnt);
        if (!d.named(w[p])) emitStructDef(d, id, lvl, false);
        else d.structFwd(id);
        break;
      case 6 /* ENUM */:
      case 19 /* ENUM64 */:
        cnt = emitMods(d, lo, cnt);
        if (!d.named(w[p])) emitEnumDef(d, id, lvl);
        else {
          out.lit(S_ENUM_SP);
          d.writeTag(id);
        }
        break;
      case 7 /* FWD */:
        cnt = emitMods(d, lo, cnt);
        d.fwdDef(id);
        break;
      case 8 /* TYPEDEF */:
        cnt = emitMods(d, lo, cnt);
        d.writeIdent(id);
        break;
      case 2 /* PTR */:
        out.lit(lastWasPtr ? S_STAR : S_SP_STAR);
        break;
      case 9 /* VOLATILE */:
        out.lit(S_SP_VOLATILE);
        break;
      case 10 /* CONST */:
        out.lit(S_SP_CONST);
        break;
      case 11 /* RESTRICT */:
        out.lit(S_SP_RESTRICT);
        break;
      case 18 /* TYPE_TAG */: {
        cnt = emitMods(d, lo, cnt);
        const plain = w[p + 1] >>> 31 === 1;
        out.lit(plain ? S_ATTR : S_TYPE_TAG);
        d.writeName(w[p], 1);
        out.lit(plain ? S_ATTR_END : S_TYPE_TAG_END);
        break;
      }
      case 3 /* ARRAY */: {
        cnt = dropMods(d, lo, cnt);
        if (cnt === lo) {
          emitName(d, fOff, fDup, lastWasPtr);
        } else {
          const multidim = d.kinds[d.chain[cnt - 1]] === 3 /* ARRAY */;
          if (fOff !== 0 && !lastWasPtr) out.byte(32);
          if (!multidim) out.byte(40);
          emitTypeChain(d, lo, cnt, fOff, fDup, lvl);
          if (!multidim) out.byte(41);
        }
        out.byte(91);
        out.num(w[p + 5]);
        out.byte(93);
        return;
      }
      case 13 /* FUNC_PROTO */: {
        cnt = dropMods(d, lo, cnt);
        if (cnt > lo) {
          out.lit(S_SP_PAREN);
          emitTypeChain(d, lo, cnt, fOff, fDup, lvl);
          out.byte(41);
        } else {
          emitName(d, fOff, fDup, lastWasPtr);
        }
        out.byte(40);
        const vlen = w[p + 1] & VLEN_MASK;
        if (vlen === 0 || (vlen === 1 && w[p + 4] === 0)) {
          out.lit(S_VOID_PAREN);
          return;
        }
        for (let k = 0, m = p + 3; k < vlen; k++, m += 2) {
          if (k > 0) out.lit(S_COMMA);
          if (k === vlen - 1 && w[m + 1] === 0) {
            out.lit(S_ELLIPSIS);
            break;
          }
          emitTypeDecl(d, w[m + 1], d.named(w[m]) ? w[m] : 0, 1, lvl);
        }
        out.byte(41);
        return;
      }
      default:
        throw notDeclarable(d, id);
    }
    lastWasPtr = kind === 2 /* PTR */;
  }
  emitName(d, fOff, fDup, lastWasPtr);
}

/*
 * The errors of the functions above, kept out of them: the engine compiles
 * a function whole, and building their messages made them slower to
 * compile.
 */

/** The error for a declaration chain past {@link MAX_CHAIN} at type `id`. */
function chainTooLong(d: CDumpState, id: number): BtfError {
  return new BtfError(
    `expected a declaration chain of fewer than ${MAX_CHAIN} pointers, qualifiers and arrays, found a longer one or a cycle at ${
      d.describe(id)
    }`,
  );
}

/** The error for a type no C declaration can name (a function, a variable...). */
function notDeclarable(d: CDumpState, id: number): BtfError {
  return new BtfError(`expected a type usable in a C declaration, found ${d.describe(id)}`);
}
