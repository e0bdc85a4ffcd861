/**
 * pahole's text for a {@link PaholeLayout}: members with their offset
 * comments at pahole's columns, holes, bit holes, cacheline boundaries and
 * the summary, as pahole 1.24 prints them.
 *
 * @module
 */

import type { PaholeLayout, PaholeMember } from "./pahole.ts";

const pad = (n: number, w: number) => String(n).padStart(w);
const plural = (n: number, what: string) => `${n} ${what}${n !== 1 ? "s" : ""}`;

/** The offset comment of a member line: `/*    12:16  4 *\/` or `/*    12     4 *\/`. */
function offsetComment(
  m: { offset: number; size: number; bits: number; bitOffset: number },
): string {
  return m.bits
    ? `/* ${pad(m.offset, 5)}:${pad(m.bitOffset, 2)} ${pad(m.size, 2)} */`
    : `/* ${pad(m.offset, 5)} ${pad(m.size, 5)} */`;
}

/** Width of the text before the offset comment at `indent` tabs (pahole's column 57). */
const leftWidth = (indent: number, col = 57) => Math.max(0, col - 8 * indent);

/**
 * The layout as pahole prints it: members with offset comments, holes,
 * bit holes, cacheline boundaries, and the summary. A union shows its
 * members only, as in pahole (its figures are in the {@link PaholeLayout}).
 *
 * Names come from BTF as they are: the text is for reading, not for a
 * compiler.
 *
 * @example
 * ```ts
 * import { formatPahole, loadBtf, paholeLayout } from "@bpfview/bpfview";
 * console.log(formatPahole(paholeLayout(loadBtf(), "list_head")));
 * ```
 */
export function formatPahole(l: PaholeLayout): string {
  // pahole puts offset comments at column 57, in a union at the top at 55.
  const cur = { line: Math.floor(l.offset / l.cacheline), col: l.kind === "union" ? 55 : 57 };
  let s = body(l, 0, cur);
  // pahole shows a union's members only; its figures are in the layout (and `--json`).
  if (l.kind === "union") return s + "};\n";
  const tabs = "\t";
  s +=
    `\n${tabs}/* size: ${l.size}, cachelines: ${l.cachelines}, members: ${l.members.length} */\n`;
  if (l.sumHoles > 0 || l.sumBitHoles > 0) {
    if (l.sumMembers > 0) {
      s += `${tabs}/* sum members: ${l.sumMembers}`;
      if (l.sumHoles > 0) s += `, holes: ${l.holes.length}, sum holes: ${l.sumHoles}`;
      s += " */\n";
    }
    if (l.sumBitfieldMembers > 0) {
      s += `${tabs}/* sum bitfield members: ${l.sumBitfieldMembers} bits`;
      s += l.sumBitHoles > 0
        ? `, bit holes: ${l.bitHoles.length}, sum bit holes: ${l.sumBitHoles} bits`
        : ` (${Math.floor(l.sumBitfieldMembers / 8)} bytes)`;
      s += " */\n";
    }
  }
  if (l.padding > 0) s += `${tabs}/* padding: ${l.padding} */\n`;
  if (l.paddings > 0) {
    s += `${tabs}/* paddings: ${l.paddings}, sum paddings: ${l.sumPaddings} */\n`;
  }
  if (l.bitPadding > 0) s += `${tabs}/* bit_padding: ${l.bitPadding} bits */\n`;
  if (l.forcedAlignments > 0) {
    s += `${tabs}/* forced alignments: ${l.forcedAlignments}`;
    if (l.forcedHoles > 0) {
      s += `, forced holes: ${l.forcedHoles}, sum forced holes: ${l.sumForcedHoles}`;
    }
    s += " */\n";
  }
  if (l.lastCacheline !== 0) s += `${tabs}/* last cacheline: ${l.lastCacheline} bytes */\n`;
  const attr = l.packed
    ? " __attribute__((__packed__))"
    : l.alignment
    ? ` __attribute__((__aligned__(${l.alignment})))`
    : "";
  return s + "}" + attr + ";\n";
}

/** Where the text is: the current cacheline and the column of the offset comments. */
interface Cursor {
  line: number;
  col: number;
}

/** `struct NAME {` and the member lines, up to (not including) the closing brace. */
function body(l: PaholeLayout, indent: number, cur: Cursor): string {
  const ind = indent + 1;
  const tabs = "\t".repeat(ind);
  let s = `${l.kind}${l.name ? " " + l.name : ""} {\n`;
  let newline = 0;
  if (l.preBitHole > 0) {
    if (!newline++) s += "\n";
    s += `${tabs}/* XXX ${plural(l.preBitHole, "bit")} hole, try to pack */\n`;
  }
  if (l.preHole > 0) {
    if (!newline++) s += "\n";
    s += `${tabs}/* XXX ${plural(l.preHole, "byte")} hole, try to pack */\n`;
  }
  // pahole pads the type to 26 columns less 8 per level, and printf takes a negative width as
  // its absolute value.
  const typeWidth = Math.abs(34 - 8 * ind);
  if (l.kind === "union") {
    // Each member of a union starts from the union's cacheline, as pahole does.
    const initial = cur.line;
    for (const pos of l.members) {
      s += tabs + member(pos, l.cacheline, ind, typeWidth, cur) + "\n";
      cur.line = initial;
    }
    return s;
  }
  let last: PaholeMember | undefined;
  let lastSize = 0;
  for (const pos of l.members) {
    if (last && lastSize !== 0) {
      if (last.bitHole !== 0 && pos.bits) {
        let width = last.bitHole;
        if (last.offset !== pos.offset) {
          s += `\n${tabs}/* Force alignment to the next boundary: */\n`;
          width = 0;
        }
        s += `${tabs}${pos.type.padEnd(typeWidth)} :${width};\n`;
      }
      if (
        pos.offset < last.offset ||
        (pos.offset === last.offset && last.bits === 0 && pos.bits !== 0)
      ) {
        if (!newline++) s += "\n";
        s += `${tabs}/* Bitfield combined with previous fields */\n`;
      } else {
        const cc = pos.offset - last.offset;
        if (cc > 0 && cc < lastSize) {
          if (!newline++) s += "\n";
          s += `${tabs}/* Bitfield combined with next fields */\n`;
        }
      }
    }
    if (newline) {
      s += "\n";
      newline = 0;
    }
    s += tabs + member(pos, l.cacheline, ind, typeWidth, cur);
    if (pos.padding > 0) {
      if (!newline++) s += "\n";
      s += `\n${tabs}/* XXX last struct has ${plural(pos.padding, "byte")} of padding */`;
    }
    if (pos.bitHole !== 0) {
      if (!newline++) s += "\n";
      s += `\n${tabs}/* XXX ${plural(pos.bitHole, "bit")} hole, try to pack */`;
    }
    if (pos.hole > 0) {
      if (!newline++) s += "\n";
      s += `\n${tabs}/* XXX ${plural(pos.hole, "byte")} hole, try to pack */`;
    }
    s += "\n";
    if (!last || lastSize === 0 || last.offset !== pos.offset) lastSize = pos.size;
    else if (last.bits === 0 && pos.bits !== 0) lastSize = pos.size;
    last = pos;
  }
  return s;
}

/** A member's line (or expanded type), after its indentation, with a cacheline marker before it. */
function member(
  pos: PaholeMember,
  cacheline: number,
  ind: number,
  typeWidth: number,
  cur: Cursor,
): string {
  const tabs = "\t".repeat(ind);
  let s = "";
  const line = Math.floor(pos.offset / cacheline);
  if (line > cur.line) {
    const at = pos.offset % cacheline, start = pos.offset - at;
    s += at === 0
      ? `/* --- cacheline ${line} boundary (${start} bytes) --- */\n${tabs}`
      : `/* --- cacheline ${line} boundary (${start} bytes) was ${at} bytes ago --- */\n${tabs}`;
    cur.line = line;
  }
  if (pos.enumerators) {
    const width = Math.max(0, ...pos.enumerators.map((e) => e.name.length));
    s += "enum {\n";
    for (const e of pos.enumerators) s += `${tabs}\t${e.name.padEnd(width)} = ${e.value},\n`;
    const close = `} ${pos.declarator};`;
    return s + `${tabs}${close.padEnd(leftWidth(ind, cur.col) - 1)} ${offsetComment(pos)}`;
  }
  if (pos.expanded) {
    s += body(pos.expanded, ind, cur);
    const close = `}${pos.declarator ? " " + pos.declarator : ""};`;
    // pahole aligns the comment after an expanded member, except for arrays and pointers.
    const width = pos.declarator.endsWith("]") || pos.declarator.startsWith("* ")
      ? 0
      : leftWidth(ind, cur.col) - 1;
    return s + `${tabs}${close.padEnd(width)} ${offsetComment(pos)}`;
  }
  const aligned = pos.alignment ? ` __attribute__((__aligned__(${pos.alignment})))` : "";
  const left = `${pos.type.padEnd(typeWidth)} ${pos.declarator}${aligned};`;
  return s + `${left.padEnd(leftWidth(ind, cur.col) - 1)} ${offsetComment(pos)}`;
}
