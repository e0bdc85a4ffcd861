/**
 * The type index: where each type record of a blob starts, found by walking
 * the type section once (each record's size follows from its kind and vlen),
 * over the section as host-order u32 words.
 *
 * Kinds this reader knows have their sizes built in. Other kinds (a newer
 * kernel's) are stepped over with the blob's kind layout section, or its
 * base's (split BTF shares its base's layout): `info_sz` bytes after the
 * 12-byte header, then vlen × `elem_sz`, both multiples of 4.
 *
 * @module
 */

import { BtfError } from "./error.ts";
import {
  infoKind,
  infoVlen,
  Kind,
  kindName,
  LAST_KNOWN_KIND,
  MAX_KIND,
  MAX_VLEN,
} from "./kinds.ts";
import { TYPE_HEADER } from "./decode.ts";
import type { KindLayout } from "./header.ts";

/** FIXED_WORDS value of a kind neither known nor in the layout section. */
const NO_KIND = -1;
/** FIXED_WORDS value of a kind whose layout entry is not in whole words. */
const BAD_LAYOUT = -2;

// Words after a type's 3-word header, by kind: a fixed part (NO_KIND for kinds
// that do not exist) plus a part per vlen.
const FIXED_WORDS = new Int16Array(MAX_KIND + 1).fill(NO_KIND);
const VLEN_WORDS = new Int16Array(MAX_KIND + 1);
for (const k of [Kind.INT, Kind.VAR, Kind.DECL_TAG]) FIXED_WORDS[k] = 1;
for (
  const k of [
    Kind.PTR,
    Kind.FWD,
    Kind.TYPEDEF,
    Kind.VOLATILE,
    Kind.CONST,
    Kind.RESTRICT,
    Kind.FUNC,
    Kind.FLOAT,
    Kind.TYPE_TAG,
  ]
) FIXED_WORDS[k] = 0;
FIXED_WORDS[Kind.ARRAY] = 3;
for (const k of [Kind.STRUCT, Kind.UNION, Kind.DATASEC, Kind.ENUM64]) {
  FIXED_WORDS[k] = 0;
  VLEN_WORDS[k] = 3;
}
for (const k of [Kind.ENUM, Kind.FUNC_PROTO]) {
  FIXED_WORDS[k] = 0;
  VLEN_WORDS[k] = 2;
}

/**
 * The indexed type section of one blob (see `Btf.typeIndex()`).
 *
 * @example
 * ```ts
 * import { loadBtf } from "@bpfview/bpfview";
 * const { words, at, n } = loadBtf().typeIndex();
 * console.log(n, words[at[0]]); // types, name offset of the first
 * ```
 */
export interface TypeIndex {
  /** The type section as host-order words. */
  readonly words: Uint32Array;
  /** Word index in {@link TypeIndex.words} of each type's record. */
  readonly at: Uint32Array;
  /** Number of types. */
  readonly n: number;
}

/** Where the type section lies and how to name its bytes in errors. */
export interface TypeSection {
  readonly bytes: Uint8Array;
  readonly littleEndian: boolean;
  /** Absolute offset and length of the type section in `bytes`. */
  readonly typeOff: number;
  readonly typeLen: number;
  /** The first type id of the blob (for messages). */
  readonly startId: number;
  /** Offset of `bytes` in its file (for messages). */
  readonly fileOffset: number;
  /** The kind layout section (the blob's, or its base's for split BTF), if any. */
  readonly layout: readonly KindLayout[] | undefined;
}

/** The per-kind record sizes for a blob: built in, plus unknown kinds from its layout. */
function kindTables(layout: readonly KindLayout[] | undefined): [Int16Array, Int16Array] {
  if (!layout) return [FIXED_WORDS, VLEN_WORDS];
  const fixed = FIXED_WORDS.slice(), per = VLEN_WORDS.slice();
  for (let k = 0; k < layout.length && k <= MAX_KIND; k++) {
    if (k >= 1 && k <= LAST_KNOWN_KIND) continue; // known kinds: built-in sizes, as libbpf
    const l = layout[k];
    if (l.infoSize % 4 !== 0 || l.elemSize % 4 !== 0) {
      fixed[k] = BAD_LAYOUT;
      continue;
    }
    fixed[k] = l.infoSize / 4;
    per[k] = l.elemSize / 4;
  }
  return [fixed, per];
}

/** Walks the type section once; throws {@link BtfError} at the first record that does not fit. */
/**
 * {@link buildIndex}'s `at` starts this many entries into its buffer (a
 * zero before the first type's entry): a view of the buffer from its start
 * is indexed by type id (1 is the first type of a base blob), which the C
 * dump uses without copying the index.
 */
export const AT_BY_ID = 1;

export function buildIndex(s: TypeSection): TypeIndex {
  const words = hostWords(s);
  const nw = words.length;
  // One entry per type: the word index of its record in the type section,
  // after one spare entry (see AT_BY_ID).
  const at = new Uint32Array(Math.floor(s.typeLen / TYPE_HEADER) + 2).subarray(AT_BY_ID);
  const [FIXED, VLEN] = kindTables(s.layout);
  let n = 0, w = 0;
  while (w + 3 <= nw) {
    const info = words[w + 1];
    const kind = (info >>> 24) & MAX_KIND;
    const fixed = FIXED[kind];
    if (fixed < 0) break;
    const next = w + 3 + fixed + (info & MAX_VLEN) * VLEN[kind];
    if (next > nw) break;
    at[n++] = w;
    w = next;
  }
  if (4 * w !== s.typeLen) indexError(s, words, w, n, FIXED, VLEN);
  return { words, at, n };
}

/** The type section as u32 words in host order: a view when possible, else a swapped copy. */
function hostWords(s: TypeSection): Uint32Array {
  const nw = s.typeLen >>> 2, abs = s.bytes.byteOffset + s.typeOff;
  if (s.littleEndian && abs % 4 === 0) return new Uint32Array(s.bytes.buffer, abs, nw);
  const words = new Uint32Array(nw), le = s.littleEndian;
  const dv = new DataView(s.bytes.buffer, s.bytes.byteOffset, s.bytes.byteLength);
  for (let i = 0; i < nw; i++) words[i] = dv.getUint32(s.typeOff + 4 * i, le);
  return words;
}

/** Throws the error for the record at word `w`, where indexing stopped short. */
function indexError(
  s: TypeSection,
  words: Uint32Array,
  w: number,
  n: number,
  FIXED: Int16Array,
  VLEN: Int16Array,
): never {
  const p = s.typeOff + 4 * w, left = s.typeLen - 4 * w, id = s.startId + n;
  if (left < TYPE_HEADER) {
    throw new BtfError(
      `expected a ${TYPE_HEADER}-byte type header for type ${id}, found ${left} bytes left in the type section`,
      s.fileOffset + p,
    );
  }
  const info = words[w + 1], kind = infoKind(info), vlen = infoVlen(info);
  if (FIXED[kind] === BAD_LAYOUT) {
    const l = s.layout![kind];
    throw new BtfError(
      `expected the kind layout entry of kind ${kind} (type ${id}) in whole words, found info_sz ${l.infoSize} and elem_sz ${l.elemSize}`,
      s.fileOffset + p + 4,
    );
  }
  if (FIXED[kind] === NO_KIND) {
    throw new BtfError(
      `expected a type kind between 1 and ${LAST_KNOWN_KIND} for type ${id}, or one the kind layout section describes, found ${kind} (${
        s.layout
          ? `the layout section describes kinds 0 to ${s.layout.length - 1}`
          : "the BTF has no kind layout section"
      })`,
      s.fileOffset + p + 4,
    );
  }
  const need = 4 * (3 + FIXED[kind] + vlen * VLEN[kind]);
  throw new BtfError(
    `expected ${need} bytes for type ${id} (${
      kindName(kind)
    }, vlen ${vlen}), found ${left} bytes left in the type section`,
    s.fileOffset + p,
  );
}
