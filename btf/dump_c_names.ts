/**
 * Name bookkeeping for the C dumper: how many times a name has been used in
 * one of C's name spaces (struct/union/enum tags; typedef names and
 * enumerators), counted without turning names into strings. Names are byte
 * ranges of the string section, NUL-terminated; equal bytes at different
 * offsets are one name. Internal to the dumpers (not part of mod.ts).
 *
 * @module
 */

/** The name space of struct, union and enum tags (for {@link NameCounts.bump}). */
export const TAGS = 1;
/** The name space of typedef names and enumerators (for {@link NameCounts.bump}). */
export const IDENTS = 2;

/**
 * An open-addressing hash table of names (by their bytes) with one use
 * counter per name space. One slot is three words (string offset + 1, uses
 * as a tag, uses as an identifier), so a lookup touches one cache line.
 */
export class NameCounts {
  declare private readonly s: Uint8Array;
  /** Per slot: string offset of the name + 1 (0: free), tag uses, identifier uses. */
  declare private readonly tab: Int32Array;
  declare private readonly mask: number;
  /** The most distinct names the table takes (the caller's bound). */
  declare private readonly max: number;
  #used = 0;

  /**
   * @param strings The string section (string offset 0 at its start).
   * @param maxNames The most distinct names that will be looked up.
   */
  constructor(strings: Uint8Array, maxNames: number) {
    this.s = strings;
    // At most two thirds full: on vmlinux, where nearly every name is
    // distinct (33.1k of 33.9k), half full in 768 KiB. (Twice the bound,
    // 1.5 MiB, was a quarter full: 190 more fresh pages to fault in and
    // lookups spread over twice the memory.)
    let size = 1024;
    while (size < maxNames + (maxNames >>> 1) + 2) size *= 2;
    this.tab = new Int32Array(3 * size);
    // Touched once in order now: a fresh table's pages first touched at
    // random by the lookups cost 4.4 ms over the first thousand of them on
    // vmlinux (1.5 MB table), against 0.9 ms for this pass and 0.8 ms.
    this.tab.fill(0);
    this.mask = size - 1;
    this.max = maxNames;
  }

  /**
   * Counts one more use of the name at string offset `off` in name space
   * `space` ({@link TAGS} or {@link IDENTS}); returns the uses so far,
   * this one included.
   */
  bump(off: number, space: number): number {
    const s = this.s, start = off;
    // djb2 over the bytes (shifts and adds: no call per byte, which costs
    // most before the engine optimizes this), then one multiply to mix. Kept
    // to 24 bits so every step is a small integer for the engine: a hash
    // past 2^30 is a heap number to the interpreter and deoptimized this
    // function at the first long name.
    let h = 5381, i = start, c;
    while ((c = s[i]) !== 0) {
      h = ((h << 5) + h + c) & 0xffffff;
      i++;
    }
    h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
    const len = i - start, tab = this.tab, mask = this.mask;
    let t = 3 * ((h ^ (h >>> 16)) & mask);
    for (let e; (e = tab[t]) !== 0; t = t + 3 > 3 * mask ? 0 : t + 3) {
      if (e - 1 === off || this.#same(e - 1, start, len)) break;
    }
    if (tab[t] === 0) {
      if (++this.#used > this.max) {
        // Sized from the caller's bound; more names than that is a bug.
        throw new Error("name table full");
      }
      tab[t] = off + 1;
    }
    // One way out for new and seen names alike: the first names (all new)
    // leave the engine feedback for the seen ones too, so no deoptimization.
    return ++tab[t + space];
  }

  /** Whether the names at positions `a` and `b` are equal (the one at `b` is `len` bytes). */
  #same(a: number, b: number, len: number): boolean {
    const s = this.s;
    for (let j = 0; j < len; j++) if (s[a + j] !== s[b + j]) return false;
    return s[a + len] === 0;
  }
}
