/**
 * Struct layouts the way kernel developers read them: pahole's view of a
 * struct or union, from BTF. Offsets and sizes of every member, bitfields
 * as `unit_offset:bit` within their storage unit, byte and bit holes,
 * padding, cacheline boundaries and pahole's summary figures.
 *
 * The figures follow pahole 1.24's rules, so the two agree on every struct
 * of a clang-built object:
 * - A bitfield's storage unit is its type's size, placed at the bitfield's
 *   bit offset rounded down to a multiple of that size (a `u32 x:16` at bit
 *   112 is `12:16` with a 4-byte unit). Other members have their own size
 *   at their byte offset.
 * - Holes are found between consecutive top-level members of a struct in
 *   declaration order (unions have none): a byte hole is the whole bytes
 *   between where the previous member ended and where the next starts; a
 *   bit hole is the bits left in a bitfield's storage unit before the next
 *   member, or skipped before a bitfield. `padding` is the bytes after the
 *   last member, `bitPadding` the bits left in the last bitfield's unit.
 * - `sumMembers` counts the bytes of members that are not bitfields,
 *   `sumBitfieldMembers` the bits of those that are; for a struct,
 *   `8 * (sumMembers + sumHoles + padding) + sumBitfieldMembers +
 *   sumBitHoles + bitPadding` is `8 * size` unless members overlap.
 * - Anonymous struct and union members are shown expanded in place, with
 *   their own holes; with `expand`, named struct and union members too.
 *
 * @module
 */

import { BtfError } from "./error.ts";
import { Kind } from "./kinds.ts";
import { declaration, describe, MAX_DEPTH, resolveType, skipQualifiers } from "./layout.ts";
import type { Btf } from "./parse.ts";

/**
 * Options of {@link paholeLayout}.
 *
 * @example
 * ```ts
 * import type { PaholeOptions } from "@bpfview/bpfview";
 * const opts: PaholeOptions = { cacheline: 128, expand: true };
 * ```
 */
export interface PaholeOptions {
  /** Cacheline size in bytes (default 64). */
  cacheline?: number;
  /** Expand members of named struct and union types too, not only anonymous ones. */
  expand?: boolean;
}

/**
 * A hole between members: `size` bytes from byte `offset` (absolute, from
 * the start of the outermost type).
 *
 * @example
 * ```ts
 * import type { PaholeHole } from "@bpfview/bpfview";
 * const end = (h: PaholeHole) => h.offset + h.size;
 * ```
 */
export interface PaholeHole {
  /** Byte offset where the hole starts. */
  readonly offset: number;
  /** Size in bytes. */
  readonly size: number;
}

/**
 * A bit hole: `bits` unused bits from bit `bitOffset` (absolute).
 *
 * @example
 * ```ts
 * import type { PaholeBitHole } from "@bpfview/bpfview";
 * const end = (h: PaholeBitHole) => h.bitOffset + h.bits;
 * ```
 */
export interface PaholeBitHole {
  /** Bit offset where the hole starts. */
  readonly bitOffset: number;
  /** Width in bits. */
  readonly bits: number;
}

/**
 * One member of a {@link PaholeLayout}.
 *
 * @example
 * ```ts
 * import type { PaholeMember } from "@bpfview/bpfview";
 * const where = (m: PaholeMember) => m.bits ? `${m.offset}:${m.bitOffset}` : `${m.offset}`;
 * ```
 */
export interface PaholeMember {
  /** Member name, `""` for an anonymous struct or union member. */
  readonly name: string;
  /** The member's type id (unresolved). */
  readonly typeId: number;
  /** The C type, as pahole prints it in the type column (`unsigned int`, `struct list_head *`). */
  readonly type: string;
  /** The declarator after the type (`comm[16]`, `(*fn)(int)`, `a:3`), `""` for anonymous members. */
  readonly declarator: string;
  /** Byte offset from the start of the outermost type; for bitfields, of the storage unit. */
  readonly offset: number;
  /** Size in bytes; for bitfields, of the storage unit (the type's size). */
  readonly size: number;
  /** For bitfields, the first bit within the storage unit; else 0. */
  readonly bitOffset: number;
  /** Bitfield width, 0 if not a bitfield. */
  readonly bits: number;
  /** Bytes of hole after this member (before the next), 0 if none. */
  readonly hole: number;
  /** Bits of hole after this member, 0 if none. */
  readonly bitHole: number;
  /** For a member whose type is a struct with padding: that padding ("last struct has N bytes of padding"). */
  readonly padding: number;
  /**
   * The alignment pahole infers for the member from the gap before it
   * (`__attribute__((__aligned__(N)))`), 0 when its offset needs none.
   */
  readonly alignment: number;
  /** The expanded struct or union of an anonymous (or, with `expand`, any) struct/union member. */
  readonly expanded?: PaholeLayout;
  /** The enumerators of an anonymous enum member (shown in place), values as decimal strings. */
  readonly enumerators?: readonly { readonly name: string; readonly value: string }[];
}

/**
 * The layout of a struct or union as pahole shows it (see the module
 * documentation for the rules).
 *
 * @example
 * ```ts
 * import { loadBtf, paholeLayout } from "@bpfview/bpfview";
 * const l = paholeLayout(loadBtf(), "task_struct");
 * console.log(l.size, l.cachelines, l.holes.length, l.padding);
 * ```
 */
export interface PaholeLayout {
  /** The type's id (typedefs and qualifiers resolved). */
  readonly id: number;
  /** `"struct"` or `"union"`. */
  readonly kind: "struct" | "union";
  /** The type's name, `""` if anonymous. */
  readonly name: string;
  /** Size in bytes. */
  readonly size: number;
  /** Absolute byte offset of this type (0 at the top, the member's offset when expanded). */
  readonly offset: number;
  /** Cacheline size used. */
  readonly cacheline: number;
  /** `ceil(size / cacheline)`. */
  readonly cachelines: number;
  /** Bytes used in the last cacheline (`size % cacheline`, 0 when it ends on a boundary). */
  readonly lastCacheline: number;
  /** The direct members, in declaration order. */
  readonly members: readonly PaholeMember[];
  /** Byte holes (structs only), in order; the first may come before the first member. */
  readonly holes: readonly PaholeHole[];
  /** Bit holes (structs only), in order. */
  readonly bitHoles: readonly PaholeBitHole[];
  /** Bytes of hole before the first member (also the first entry of {@link PaholeLayout.holes}). */
  readonly preHole: number;
  /** Bits of hole before the first member. */
  readonly preBitHole: number;
  /** Sum of the byte holes. */
  readonly sumHoles: number;
  /** Sum of the bit holes, in bits. */
  readonly sumBitHoles: number;
  /** Bytes after the last member (structs only). */
  readonly padding: number;
  /** Bits left unused in the last bitfield's storage unit (structs only). */
  readonly bitPadding: number;
  /** Bytes of the members that are not bitfields. */
  readonly sumMembers: number;
  /** Bits of the bitfield members. */
  readonly sumBitfieldMembers: number;
  /** How many members have a struct type with padding, and that padding summed. */
  readonly paddings: number;
  /** Sum of those members' types' padding. */
  readonly sumPaddings: number;
  /** Whether pahole would call it `__attribute__((__packed__))` (members off their natural alignment). */
  readonly packed: boolean;
  /** The alignment pahole infers for the type from its size and its last member, 0 for none. */
  readonly alignment: number;
  /** Members with an inferred alignment (pahole's "forced alignments"). */
  readonly forcedAlignments: number;
  /** Holes before those members: how many, and their sum in bytes. */
  readonly forcedHoles: number;
  /** Sum of the holes before members with an inferred alignment. */
  readonly sumForcedHoles: number;
}

/**
 * How many members a layout may show in all (expanded types included): a
 * base plus a few per type of the BTF. Hostile BTF can nest a type twice in
 * the one above it, level after level, doubling the members per level.
 */
const MEMBERS_BASE = 10_000;
const MEMBERS_PER_TYPE = 16;

interface State {
  btf: Btf;
  cacheline: number;
  expand: boolean;
  members: number;
  maxMembers: number;
  start: number;
  paddingMemo: Map<number, number>;
}

/**
 * The pahole layout of the struct or union `type` (a name, `"struct NAME"`,
 * `"union NAME"`, a typedef name or a type id; typedefs and qualifiers are
 * resolved).
 *
 * @example
 * ```ts
 * import { loadBtf, paholeLayout } from "@bpfview/bpfview";
 * const l = paholeLayout(loadBtf(), "sk_buff", { cacheline: 64 });
 * for (const h of l.holes) console.log(`hole of ${h.size} at ${h.offset}`);
 * ```
 */
export function paholeLayout(
  btf: Btf,
  type: string | number,
  options: PaholeOptions = {},
): PaholeLayout {
  const cacheline = options.cacheline ?? 64;
  if (!Number.isInteger(cacheline) || cacheline < 1 || cacheline > 2 ** 20) {
    throw new BtfError(`expected a cacheline size from 1 to 1048576 bytes, found ${cacheline}`);
  }
  let id: number;
  if (typeof type === "number") id = type;
  else {
    const m = /^\s*(struct|union)\s+(\S+)\s*$/.exec(type);
    id = m ? btf.get(m[2], m[1] === "struct" ? Kind.STRUCT : Kind.UNION).id : btf.get(type).id;
  }
  const rid = resolveType(btf, id);
  const kind = btf.kindOf(rid);
  if (kind !== Kind.STRUCT && kind !== Kind.UNION) {
    throw new BtfError(
      `expected a struct or union for ${
        typeof type === "number" ? `type ${type}` : `"${type}"`
      }, found ${describe(btf, rid)}`,
    );
  }
  const st: State = {
    btf,
    cacheline,
    expand: options.expand ?? false,
    members: 0,
    maxMembers: MEMBERS_BASE + MEMBERS_PER_TYPE * btf.count,
    start: rid,
    paddingMemo: new Map(),
  };
  const shown = countMembers(st, rid, 0, new Map());
  if (shown > st.maxMembers) {
    throw new BtfError(
      `expected the layout of ${
        describe(btf, rid)
      } to show at most ${st.maxMembers} members, found ${shown} (types expanded at every level)`,
    );
  }
  return analyze(st, rid, 0, 0);
}

/** How many members the layout of `id` shows, expanded ones included (memoized per type). */
function countMembers(st: State, id: number, depth: number, memo: Map<number, number>): number {
  let n = memo.get(id);
  if (n !== undefined) return n;
  if (depth > MAX_DEPTH) {
    throw new BtfError(
      `expected structs nested less than ${MAX_DEPTH} deep in ${
        describe(st.btf, st.start)
      }, found deeper`,
    );
  }
  const t = st.btf.type(id) as { members?: readonly { type: number; name: string }[] };
  n = t.members?.length ?? 0;
  for (const m of t.members ?? []) {
    const inner = expandable(st, m.type, m.name);
    if (inner.id !== 0) n += countMembers(st, inner.id, depth + 1, memo);
  }
  memo.set(id, n);
  return n;
}

/** The size of a member's type with typedefs and qualifiers stripped, 0 when it has none. */
function byteSize(btf: Btf, type: number): number {
  try {
    let id = resolveType(btf, type), mult = 1;
    for (let i = 0; i <= MAX_DEPTH && id !== 0; i++) {
      const t = btf.type(id);
      switch (t.kind) {
        case Kind.ARRAY:
          mult *= t.nelems;
          id = resolveType(btf, t.type);
          continue;
        case Kind.PTR:
          return mult * btf.pointerSize;
        case Kind.INT:
        case Kind.ENUM:
        case Kind.ENUM64:
        case Kind.FLOAT:
        case Kind.STRUCT:
        case Kind.UNION:
          return mult * t.size;
        default:
          return 0;
      }
    }
  } catch (e) {
    if (!(e instanceof BtfError)) throw e;
  }
  return 0;
}

/** pahole's natural alignment of a type (pointers, base types and enums: their size; aggregates: their members' largest). */
function naturalAlign(btf: Btf, type: number, depth = 0): number {
  if (depth > MAX_DEPTH) return 1;
  const id = resolveType(btf, type);
  if (id === 0) return 1;
  // Memoized per BTF: a type nested twice per level would otherwise cost 2^levels.
  let memo = alignMemo.get(btf);
  if (!memo) alignMemo.set(btf, memo = new Map());
  let a = memo.get(id);
  if (a === undefined) memo.set(id, a = naturalAlignOnce(btf, id, depth));
  return a;
}

const alignMemo = new WeakMap<Btf, Map<number, number>>();

function naturalAlignOnce(btf: Btf, id: number, depth: number): number {
  const t = btf.type(id);
  switch (t.kind) {
    case Kind.PTR:
      return btf.pointerSize;
    case Kind.INT:
    case Kind.ENUM:
    case Kind.ENUM64:
    case Kind.FLOAT:
      return t.size || 1;
    case Kind.ARRAY:
      return naturalAlign(btf, t.type, depth + 1);
    case Kind.STRUCT:
    case Kind.UNION: {
      let a = 1;
      for (const m of t.members) a = Math.max(a, naturalAlign(btf, m.type, depth + 1));
      return a;
    }
    default:
      return 1;
  }
}

function analyze(st: State, id: number, base: number, depth: number): PaholeLayout {
  const { btf } = st;
  if (depth > MAX_DEPTH) {
    throw new BtfError(
      `expected structs nested less than ${MAX_DEPTH} deep in ${
        describe(btf, st.start)
      }, found deeper`,
    );
  }
  const t = btf.type(id);
  if (t.kind !== Kind.STRUCT && t.kind !== Kind.UNION) {
    throw new BtfError(`expected a struct or union, found ${describe(btf, id)}`);
  }
  const isStruct = t.kind === Kind.STRUCT;
  const size = t.size;
  st.members += t.members.length;
  if (st.members > st.maxMembers) {
    throw new BtfError(
      `expected the layout of ${
        describe(btf, st.start)
      } to show at most ${st.maxMembers} members, found more (types expanded at every level)`,
    );
  }

  // pahole's view of each member: storage unit offset and size, bit offset within it.
  const raw = t.members.map((m) => {
    const byteSz = byteSize(btf, m.type);
    const bits = m.bitfieldSize;
    let offset: number, bitOffset = 0;
    const unitBits = byteSz * 8;
    if (bits && unitBits > 0 && isBitfieldType(btf, m.type)) {
      offset = Math.floor(m.bitOffset / unitBits) * unitBits / 8;
      bitOffset = m.bitOffset - offset * 8;
    } else offset = Math.floor(m.bitOffset / 8);
    return { m, byteSz, bits, offset, bitOffset, bitStart: m.bitOffset };
  });

  // Holes, as pahole's class__find_holes finds them (structs only).
  const hole = new Array<number>(raw.length).fill(0);
  const bitHole = new Array<number>(raw.length).fill(0);
  const holes: PaholeHole[] = [];
  const bitHoles: PaholeBitHole[] = [];
  let padding = 0, bitPadding = 0, preHole = 0, preBitHole = 0;
  if (isStruct) {
    let curEnd = size * 8, curSize = 0, lastSeen = 0, inBitfield = false;
    for (let i = 0; i < raw.length; i++) {
      const r = raw[i];
      const bitStart = r.bitStart;
      const bitEnd = bitStart + (r.bits ? r.bits : r.byteSz * 8);
      let bh = 0, byh = 0, bhAt = lastSeen, byAt = 0;
      if (inBitfield) {
        const end = Math.min(bitStart, curEnd);
        bh = end - lastSeen;
        lastSeen = end;
      }
      if (r.bits) {
        const aligned = r.offset * 8;
        if (lastSeen < aligned && aligned <= bitStart) {
          byh = r.offset - Math.floor(lastSeen / 8);
          byAt = Math.floor(lastSeen / 8);
          lastSeen = aligned;
        }
        if (bh === 0) bhAt = lastSeen;
        bh += bitStart - lastSeen;
      } else {
        byh = Math.floor(bitStart / 8) - Math.floor(lastSeen / 8);
        byAt = Math.floor(lastSeen / 8);
      }
      lastSeen = bitEnd;
      if (r.bits) {
        inBitfield = true;
        const unitBits = r.byteSz * 8;
        if (bitEnd > curEnd || unitBits > curSize) {
          curSize = unitBits;
          curEnd = r.offset * 8 + curSize;
          if (bitEnd > curEnd) curEnd += curSize;
        }
      } else {
        inBitfield = false;
        curSize = 0;
        curEnd = bitEnd;
      }
      // Attributed to the previous member (before the first: the struct's pre-hole).
      if (i > 0) {
        hole[i - 1] = byh;
        bitHole[i - 1] = bh;
      } else {
        preHole = byh;
        preBitHole = bh;
      }
      if (bh) bitHoles.push({ bitOffset: bhAt, bits: bh });
      if (byh) holes.push({ offset: base + byAt, size: byh });
    }
    if (inBitfield) {
      const end = Math.min(size * 8, curEnd);
      bitPadding = end - lastSeen;
      lastSeen = end;
    }
    padding = size - Math.floor(lastSeen / 8);
  }
  // pahole's bit hole offsets: absolute.
  for (let i = 0; i < bitHoles.length; i++) {
    bitHoles[i] = { bitOffset: bitHoles[i].bitOffset + base * 8, bits: bitHoles[i].bits };
  }

  let sumMembers = 0, sumBits = 0, paddings = 0, sumPaddings = 0;
  let forced = 0, forcedHoles = 0, sumForcedHoles = 0, smallest = 0;
  const members: PaholeMember[] = [];
  for (let i = 0; i < raw.length; i++) {
    const r = raw[i];
    const m = r.m;
    // pahole's inferred alignment: from the gap since the end of the previous member.
    let alignment = 0;
    if (r.byteSz > 0) {
      alignment = inferAlignment(r.offset, naturalAlign(btf, m.type), smallest, st.cacheline);
      smallest = r.offset + r.byteSz;
    }
    if (alignment) {
      forced++;
      const before = i > 0 ? hole[i - 1] : preHole;
      if (before) {
        forcedHoles++;
        sumForcedHoles += before;
      }
    }
    if (r.bits) sumBits += r.bits;
    else sumMembers += r.byteSz;
    let pad = 0;
    if (isStruct && m.type !== 0 && btf.kindOf(m.type) === Kind.STRUCT) {
      pad = structPadding(st, m.type);
      if (pad > 0) {
        paddings++;
        sumPaddings += pad;
      }
    }
    const inner = expandable(st, m.type, m.name);
    // A pointer to an anonymous type shows the type in place, at offsets from 0.
    const expanded = inner.id === 0
      ? undefined
      : analyze(st, inner.id, inner.pointer ? 0 : base + r.offset, depth + 1);
    let [type, declarator] = columns(
      btf,
      m.type,
      m.name,
      r.bits,
      expanded !== undefined,
      i === raw.length - 1,
    );
    if (inner.pointer) declarator = "* " + declarator;
    const enumerators = expanded ? undefined : anonymousEnum(btf, m.type);
    if (enumerators) [type, declarator] = ["enum", m.name + (r.bits ? `:${r.bits}` : "")];
    members.push({
      name: m.name,
      typeId: m.type,
      type,
      declarator,
      offset: base + r.offset,
      size: r.byteSz,
      bitOffset: r.bitOffset,
      bits: r.bits,
      hole: hole[i],
      bitHole: bitHole[i],
      padding: pad,
      alignment,
      ...(expanded ? { expanded } : {}),
      ...(enumerators ? { enumerators } : {}),
    });
  }
  const sumHoles = holes.reduce((s, h) => s + h.size, 0);
  const sumBitHoles = bitHoles.reduce((s, h) => s + h.bits, 0);
  const packed = isStruct && inferPacked(btf, raw, size, padding, holes.length);
  return {
    id,
    kind: isStruct ? "struct" : "union",
    name: t.name,
    size,
    offset: base,
    cacheline: st.cacheline,
    cachelines: Math.ceil(size / st.cacheline),
    lastCacheline: (base + size) % st.cacheline,
    members,
    holes,
    bitHoles,
    preHole,
    preBitHole,
    sumHoles,
    sumBitHoles,
    padding,
    bitPadding,
    sumMembers,
    sumBitfieldMembers: sumBits,
    paddings,
    sumPaddings,
    packed,
    alignment: isStruct ? inferAlignment(size, naturalAlign(btf, id), smallest, st.cacheline) : 0,
    forcedAlignments: forced,
    forcedHoles,
    sumForcedHoles,
  };
}

/** Whether pahole places a bitfield of this type in a storage unit of the type's size (ints and enums). */
function isBitfieldType(btf: Btf, type: number): boolean {
  const k = btf.kindOf(resolveType(btf, type));
  return k === Kind.INT || k === Kind.ENUM || k === Kind.ENUM64;
}

/** The padding pahole finds at the end of struct `id` (memoized). */
function structPadding(st: State, id: number): number {
  let p = st.paddingMemo.get(id);
  if (p !== undefined) return p;
  const { btf } = st;
  const t = btf.type(id);
  p = 0;
  if (t.kind === Kind.STRUCT) {
    let curEnd = t.size * 8, curSize = 0, lastSeen = 0, inBitfield = false;
    for (const m of t.members) {
      const byteSz = byteSize(btf, m.type);
      const bits = m.bitfieldSize;
      const unitBits = byteSz * 8;
      const offset = bits && unitBits > 0 && isBitfieldType(btf, m.type)
        ? Math.floor(m.bitOffset / unitBits) * unitBits / 8
        : Math.floor(m.bitOffset / 8);
      const bitEnd = m.bitOffset + (bits ? bits : unitBits);
      if (inBitfield) lastSeen = Math.min(m.bitOffset, curEnd);
      if (bits && lastSeen < offset * 8 && offset * 8 <= m.bitOffset) lastSeen = offset * 8;
      lastSeen = bitEnd;
      if (bits) {
        inBitfield = true;
        if (bitEnd > curEnd || unitBits > curSize) {
          curSize = unitBits;
          curEnd = offset * 8 + curSize;
          if (bitEnd > curEnd) curEnd += curSize;
        }
      } else {
        inBitfield = false;
        curSize = 0;
        curEnd = bitEnd;
      }
    }
    if (inBitfield) lastSeen = Math.min(t.size * 8, curEnd);
    p = t.size - Math.floor(lastSeen / 8);
  }
  st.paddingMemo.set(id, p);
  return p;
}

/**
 * The struct or union a member shows expanded in place (id 0 for none):
 * anonymous ones (also behind one pointer), any with `expand`.
 */
function expandable(st: State, type: number, name: string): { id: number; pointer: boolean } {
  const { btf } = st;
  const strip = (t: number) => st.expand ? resolveType(btf, t) : skipQualifiers(btf, t);
  let id = strip(type);
  if (id !== 0 && btf.kindOf(id) === Kind.PTR) {
    const to = skipQualifiers(btf, (btf.type(id) as { type: number }).type);
    const k = to === 0 ? 0 : btf.kindOf(to);
    const anon = (k === Kind.STRUCT || k === Kind.UNION) && btf.nameOf(to) === "";
    return { id: anon ? to : 0, pointer: anon };
  }
  for (let i = 0; i <= MAX_DEPTH && id !== 0; i++) {
    const k = btf.kindOf(id);
    if (k === Kind.ARRAY) {
      id = strip((btf.type(id) as { type: number }).type);
      continue;
    }
    if (k !== Kind.STRUCT && k !== Kind.UNION) break;
    if (st.expand || btf.nameOf(id) === "" || name === "") return { id, pointer: false };
    break;
  }
  return { id: 0, pointer: false };
}

/** The type column and the declarator of a member, as pahole splits them. */
function columns(
  btf: Btf,
  type: number,
  name: string,
  bits: number,
  expanded: boolean,
  last: boolean,
): [string, string] {
  const suffix = bits ? `:${bits}` : "";
  let full: string;
  try {
    full = declaration(btf, type, name);
  } catch (e) {
    if (!(e instanceof BtfError)) throw e;
    return [`<type ${type}>`, name + suffix];
  }
  if (expanded) {
    // Only the array dimensions follow the name of an expanded member.
    const dims = /(\[\d+\])*$/.exec(full)![0];
    return ["", (name ? name : "") + dims + suffix];
  }
  const ptr = paholePointer(btf, type);
  if (ptr !== undefined) return [ptr, name + suffix];
  const p = full.indexOf("(");
  if (p > 0) return [full.slice(0, p).trimEnd(), full.slice(p) + suffix];
  const dims = /(\[\d+\])*$/.exec(full)![0];
  const k = full.length - dims.length - name.length;
  if (name && full.slice(k, k + name.length) === name) {
    // pahole writes a zero-length array at the end as a flexible one.
    const d = last && dims.startsWith("[0]") ? "[]" + dims.slice(3) : dims;
    return [full.slice(0, k).trimEnd(), name + d + suffix];
  }
  return [full, suffix];
}

/**
 * pahole's alignment inference (btf_loader): a member (or the struct's
 * end) further from the previous member's end than its natural alignment
 * explains gets the power of two above the gap, or the cacheline size when
 * its offset is on a cacheline. Offsets are u32, as in pahole (a member
 * before the previous one's end gives none).
 */
function inferAlignment(
  offset: number,
  natural: number,
  smallest: number,
  cacheline: number,
): number {
  const delta = (offset - smallest) >>> 0;
  let alignment = 0;
  if (delta && offset % 2 === 0) alignment = (1 << ((32 - Math.clz32(delta)) & 31)) >>> 0;
  if (alignment <= natural || alignment === 1) return 0;
  if (alignment < cacheline && cacheline % alignment === 0 && offset % cacheline === 0) {
    return cacheline;
  }
  return alignment;
}

/** pahole's packed inference: no holes or padding, and a member off its natural alignment or a size not a multiple of it. */
function inferPacked(
  btf: Btf,
  raw: readonly { m: { type: number }; offset: number }[],
  size: number,
  padding: number,
  nrHoles: number,
): boolean {
  if (padding !== 0 || nrHoles !== 0) return false;
  let max = 1;
  for (const r of raw) {
    const a = naturalAlign(btf, r.m.type);
    if (a === 1) continue;
    if (a > max) max = a;
    if (r.offset % a !== 0) return true;
  }
  return size % max !== 0;
}

/**
 * A pointer type as pahole writes it (`const char  *`, `struct page * *`,
 * `void * restrict`), or undefined when the chain holds an array or a
 * function (those keep their C declaration).
 */
function paholePointer(btf: Btf, type: number): string | undefined {
  const levels: string[][] = []; // qualifiers of each pointer, outermost first
  let quals: string[] = [];
  let id = type;
  for (let i = 0; i <= MAX_DEPTH; i++) {
    const k = id === 0 ? 0 : btf.kindOf(id);
    if (k === Kind.CONST || k === Kind.VOLATILE || k === Kind.RESTRICT || k === Kind.TYPE_TAG) {
      if (k !== Kind.TYPE_TAG) {
        quals.push(k === Kind.CONST ? "const" : k === Kind.VOLATILE ? "volatile" : "restrict");
      }
      id = (btf.type(id) as { type: number }).type;
      continue;
    }
    if (k === Kind.PTR) {
      levels.push(quals);
      quals = [];
      id = (btf.type(id) as { type: number }).type;
      continue;
    }
    if (levels.length === 0 || k === Kind.ARRAY || k === Kind.FUNC_PROTO) return undefined;
    let s = (quals.length ? quals.join(" ") + " " : "") + describe(btf, id) +
      " ".repeat(1 + quals.length) + "*";
    for (let j = levels.length - 1; j >= 0; j--) {
      if (levels[j].length) s += " " + levels[j].join(" ");
      if (j > 0) s += " *";
    }
    return s;
  }
  return undefined;
}

/** The enumerators of an anonymous enum (qualifiers skipped), or undefined for any other type. */
function anonymousEnum(
  btf: Btf,
  type: number,
): { name: string; value: string }[] | undefined {
  const id = skipQualifiers(btf, type);
  if (id === 0) return undefined;
  const t = btf.type(id);
  if ((t.kind !== Kind.ENUM && t.kind !== Kind.ENUM64) || t.name !== "") return undefined;
  return t.values.map((e) => ({ name: e.name, value: String(e.value) }));
}
