/**
 * Emission for the C dump: definitions and forward declarations in the
 * order the queue gives (libbpf's `btf_dump_emit_type`), struct and union
 * bodies with their padding bitfields and `packed` attribute, enums with
 * their `mode` attributes, typedefs.
 *
 * @module
 */

import { BtfError } from "./error.ts";
import { Kind } from "./kinds.ts";
import type { CompositeType, EnumType, RefType } from "./types.ts";
import { emitTypeDecl } from "./dump_c_decl.ts";
import { type CDumpState, DONE, IN_PROGRESS, MAX_PAD_BITS, NOT_DONE } from "./dump_c_state.ts";

const TABS = "\t".repeat(13);

/** Indentation for nesting level `lvl` (libbpf caps it at 13 tabs). */
export function pfx(lvl: number): string {
  return lvl >= 13 ? TABS : TABS.slice(0, lvl);
}

/** A new line indented for level 0..13: one piece of output instead of two. */
const NEWLINES = Array.from({ length: 14 }, (_, i) => "\n" + TABS.slice(0, i));

/** A new line, then the indentation for nesting level `lvl`. */
export function nl(lvl: number): string {
  return NEWLINES[lvl >= 13 ? 13 : lvl];
}

/** Rounds `x` up to a multiple of `y`. */
function roundUp(x: number, y: number): number {
  return Math.ceil(x / y) * y;
}

/** GCC's internal `__PolyN_t` base types, aliased to standard C types. */
const MISSING_ALIASES: Record<string, string> = {
  __Poly8_t: "unsigned char",
  __Poly16_t: "unsigned short",
  __Poly64_t: "unsigned long long",
  __Poly128_t: "unsigned __int128",
};

/** libbpf's btf_dump_emit_type: definitions and forward declarations. */
export function emitType(d: CDumpState, id: number, contId: number): void {
  const state = d.emit[id];
  if (state === DONE) return;
  const t = d.t(id);
  const topLevel = contId === 0;
  if (state === IN_PROGRESS) {
    if (d.fwdEmitted[id]) return;
    if (t.kind === Kind.STRUCT || t.kind === Kind.UNION) {
      // A reference to the struct we are inside of needs nothing.
      if (id === contId) return;
      if (t.name === "") return; // anonymous loop: nothing C can say
      d.out.push(d.structFwd(id, t), ";\n\n");
      d.fwdEmitted[id] = 1;
    } else if (t.kind === Kind.TYPEDEF) {
      if (!d.isBlacklisted(t)) {
        emitTypedefDef(d, id, t, 0);
        d.out.push(";\n\n");
      }
      d.fwdEmitted[id] = 1;
    }
    return;
  }
  d.enter(id, "type definitions");
  switch (t.kind) {
    case Kind.INT: {
      // Like libbpf, this claims the int's name among the tags.
      const name = d.typeName(id);
      if (Object.hasOwn(MISSING_ALIASES, name)) {
        d.out.push(`typedef ${MISSING_ALIASES[name]} ${name};\n\n`);
      }
      d.emit[id] = DONE;
      break;
    }
    case Kind.ENUM:
    case Kind.ENUM64:
      if (topLevel) {
        emitEnumDef(d, id, t, 0);
        d.out.push(";\n\n");
      }
      d.emit[id] = DONE;
      break;
    case Kind.PTR:
    case Kind.VOLATILE:
    case Kind.CONST:
    case Kind.RESTRICT:
    case Kind.TYPE_TAG:
    case Kind.ARRAY:
      emitType(d, t.type, contId);
      break;
    case Kind.FWD:
      d.out.push(d.fwdDef(id, t), ";\n\n");
      d.emit[id] = DONE;
      break;
    case Kind.TYPEDEF:
      d.emit[id] = IN_PROGRESS;
      emitType(d, t.type, id);
      // Someone may have needed the typedef through a pointer meanwhile,
      // which already wrote it.
      if (!d.fwdEmitted[id] && !d.isBlacklisted(t)) {
        emitTypedefDef(d, id, t, 0);
        d.out.push(";\n\n");
      }
      d.emit[id] = DONE;
      break;
    case Kind.STRUCT:
    case Kind.UNION:
      d.emit[id] = IN_PROGRESS;
      if (topLevel || t.name === "") {
        // Members are written out here: their types need declarations first.
        const newCont = t.name === "" ? contId : id;
        for (const m of t.members) emitType(d, m.type, newCont);
      } else if (!d.fwdEmitted[id] && id !== contId) {
        d.out.push(d.structFwd(id, t), ";\n\n");
        d.fwdEmitted[id] = 1;
      }
      if (topLevel) {
        emitStructDef(d, id, t, 0);
        d.out.push(";\n\n");
        d.emit[id] = DONE;
      } else {
        d.emit[id] = NOT_DONE;
      }
      break;
    case Kind.FUNC_PROTO:
      emitType(d, t.type, contId);
      for (const p of t.params) emitType(d, p.type, contId);
      break;
    default:
      break;
  }
  d.depth--;
}

/** Fills the gap between bit offsets `cur` and `next` with unnamed bitfields. */
export function emitBitPadding(
  d: CDumpState,
  id: number,
  cur: number,
  next: number,
  nextAlign: number,
  inBitfield: boolean,
  lvl: number,
) {
  if (cur >= next) return;
  if (next - cur > MAX_PAD_BITS) {
    throw new BtfError(
      `expected holes in a struct smaller than ${MAX_PAD_BITS / 8} bytes, found one of ${
        Math.ceil((next - cur) / 8)
      } bytes`,
    );
  }
  const pads = d.pads;
  let newOff = 0, padBits = 0, padType = "";
  for (const [name, bits] of pads) {
    padBits = bits;
    padType = name;
    newOff = roundUp(cur, bits);
    if (newOff <= next) break;
  }
  const out = d.out;
  if (newOff > cur && newOff <= next) {
    // An explicit `<type>: 0` is needed when the compiler would not align
    // the next member to newOff by itself, or when a `<type>: N` would fit
    // into the remaining hole and so be laid out differently.
    const align8 = (nextAlign || 1) * 8;
    if (
      inBitfield ||
      (newOff === next && roundUp(cur, align8) !== newOff) ||
      (newOff !== next && next - newOff <= newOff - cur)
    ) {
      out.push(`\n${pfx(lvl)}${padType}: ${inBitfield ? newOff - cur : 0};`);
    }
    cur = newOff;
  }
  // One line per piece: at most this many.
  d.spend(Math.ceil((next - cur) / padBits) + 1, id);
  while (cur !== next) {
    const bits = Math.min(next - cur, padBits);
    if (bits === padBits) {
      out.push(`\n${pfx(lvl)}${padType}: ${padBits};`);
      cur += bits;
      continue;
    }
    // The last piece: the smallest type that holds it.
    for (let i = pads.length - 1; i >= 0; i--) {
      padType = pads[i][0];
      padBits = pads[i][1];
      if (padBits < bits) continue;
      out.push(`\n${pfx(lvl)}${padType}: ${bits};`);
      cur += bits;
      break;
    }
  }
}

export function emitStructDef(d: CDumpState, id: number, t: CompositeType, lvl: number): void {
  const isStruct = t.kind === Kind.STRUCT;
  const align = d.alignOf(id);
  const packed = isStruct ? d.isStructPacked(t) : false;
  const out = d.out;
  out.push(d.structFwd(id, t), " {");
  let off = 0, prevBitfield = false;
  for (const m of t.members) {
    const bits = m.bitfieldSize;
    if (m.bitOffset + bits > t.size * 8) {
      throw new BtfError(
        `expected member '${m.name}' of ${
          d.describe(id)
        } within its ${t.size} bytes, found it at bit ${m.bitOffset}`,
      );
    }
    const mAlign = packed ? 1 : d.alignOf(m.type);
    emitBitPadding(d, id, off, m.bitOffset, mAlign, prevBitfield && bits !== 0, lvl + 1);
    out.push(nl(lvl + 1));
    emitTypeDecl(d, m.type, m.name, lvl + 1);
    if (bits) {
      out.push(`: ${bits}`);
      off = m.bitOffset + bits;
      prevBitfield = true;
    } else {
      off = m.bitOffset + Math.max(0, d.resolveSize(m.type)) * 8;
      prevBitfield = false;
    }
    out.push(";");
  }
  if (isStruct) emitBitPadding(d, id, off, t.size * 8, align, false, lvl + 1);
  if (t.members.length || t.size) out.push(nl(lvl), "}");
  else out.push("}");
  if (packed) out.push(" __attribute__((packed))");
}

export function emitEnumDef(d: CDumpState, id: number, t: EnumType, lvl: number): void {
  const out = d.out;
  out.push("enum", t.name ? " " : "", d.typeName(id));
  const vals = t.values;
  if (!vals.length) return;
  d.spend(vals.length, id);
  out.push(" {");
  const ind = pfx(lvl + 1);
  const is64 = t.kind === Kind.ENUM64;
  const suffix = is64 ? (t.signed ? "LL" : "ULL") : "";
  for (const v of vals) {
    const dups = d.identDups(v.name);
    const name = dups > 1 ? `${v.name}___${dups}` : v.name;
    // libbpf prints INT64_MIN as -9223372036854775808LL, which C reads as
    // the negation of an unsigned literal (a positive value): spell it so
    // that it stays negative.
    const val = is64 && t.signed && v.value === -(1n << 63n)
      ? "(-9223372036854775807LL - 1)"
      : `${v.value}${suffix}`;
    out.push(`\n${ind}${name} = ${val},`);
  }
  out.push(nl(lvl), "}");
  if (t.size === 1) {
    out.push(" __attribute__((mode(byte)))");
  } else if (t.size === 8 && d.ptrSz === 8) {
    // A 32-bit ENUM of size 8, or an ENUM64 whose values all fit in 32
    // bits, only gets 8 bytes from mode(word).
    let word = true;
    if (is64) {
      for (const v of vals) {
        const u = BigInt.asUintN(64, BigInt(v.value));
        if (u >> 32n !== 0n) {
          word = false;
          break;
        }
      }
    }
    if (word) out.push(" __attribute__((mode(word)))");
  }
}

export function emitTypedefDef(d: CDumpState, id: number, t: RefType, lvl: number): void {
  const name = d.identName(id);
  if (t.type === 0 && name === "__gnuc_va_list") {
    d.out.push("typedef __builtin_va_list __gnuc_va_list");
    return;
  }
  d.out.push("typedef ");
  emitTypeDecl(d, t.type, name, lvl);
}
