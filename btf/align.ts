/**
 * Alignment of BTF types, by the two rules bpfview needs, in one place.
 *
 * - **clang's** (`layout.ts`, {@link alignOf}): what the compiler gives the
 *   type, so that sizes and offsets computed from BTF match a C compiler's.
 *   64-bit ABIs (x86-64, arm64, BPF) align 16-byte integers and floats
 *   (`__int128`, `long double`) to 16 bytes. A type with no alignment
 *   (void, a function, a forward declaration) is an error.
 * - **libbpf's** (`dump_c.ts`, `btf__align_of`): what bpftool's C dump uses
 *   to decide where padding and `__attribute__((packed))` go. It caps every
 *   scalar at the pointer size (16-byte integers align to 8) and gives 0 for
 *   types with no alignment. The C dump keeps it so that its output stays
 *   byte-identical to bpftool's; the difference never changes a layout the
 *   header produces, because a 16-aligned member is also 8-aligned and
 *   clang re-derives the alignment from the declared types.
 *
 * Both rules agree on everything else: pointers align to the pointer size,
 * typedefs, qualifiers and arrays to what they name, and a struct or union
 * to its most aligned member, or to 1 when a member sits off its natural
 * alignment or the size is not a multiple of it (the struct is packed).
 * Each caller walks the type graph its own way (memoized, bounded); these
 * functions hold the rules. The C dump, which runs them over a hundred
 * thousand members, applies {@link membersAlign}'s steps to the members'
 * words itself (`CDumpState` in `dump_c_state.ts`, with libbpf's
 * `btf_is_struct_packed` beside it): through this module's member reader it
 * took a tenth of a cold dump.
 *
 * @module
 */

import type { CompositeType } from "./types.ts";

/** Which alignment rule: the compiler's or libbpf's (see the module doc). */
export type AlignRule = "clang" | "libbpf";

/** Alignment of an int, enum or float of `size` bytes. */
export function scalarAlign(size: number, pointerSize: number, rule: AlignRule): number {
  if (rule === "libbpf") return Math.min(pointerSize, size);
  if (size === 16 && pointerSize === 8) return 16;
  return Math.max(1, Math.min(size, pointerSize));
}

/**
 * The members of a struct or union as the alignment rules read them, by
 * index: the layout code reads decoded types, the C dump the raw words.
 */
export interface AlignMembers {
  /** Number of members. */
  readonly count: number;
  /** Size of the struct or union in bytes. */
  readonly size: number;
  /** Type id of member `k`. */
  type(k: number): number;
  /** Bit offset of member `k`. */
  bitOffset(k: number): number;
  /** Bitfield size of member `k` (0 for a plain member). */
  bitfieldSize(k: number): number;
}

/** {@link AlignMembers} over a decoded struct or union. */
function decoded(t: CompositeType): AlignMembers {
  const ms = t.members;
  return {
    count: ms.length,
    size: t.size,
    type: (k) => ms[k].type,
    bitOffset: (k) => ms[k].bitOffset,
    bitfieldSize: (k) => ms[k].bitfieldSize,
  };
}

/**
 * Alignment of a struct or union whose members align as `memberAlign`
 * says: the largest, 1 when packed, 0 when a member has no alignment
 * (libbpf's rule only: clang's `memberAlign` throws instead).
 */
export function membersAlign(m: AlignMembers, memberAlign: (type: number) => number): number {
  let max = 1;
  for (let k = 0; k < m.count; k++) {
    const a = memberAlign(m.type(k));
    if (a <= 0) return 0;
    if (a > max) max = a;
    // A member off its natural alignment means the struct is packed.
    if (m.bitfieldSize(k) === 0 && m.bitOffset(k) % (8 * a) !== 0) return 1;
  }
  return m.size % max !== 0 ? 1 : max;
}

/** {@link membersAlign} of a decoded struct or union. */
export function compositeAlign(t: CompositeType, memberAlign: (type: number) => number): number {
  return membersAlign(decoded(t), memberAlign);
}
