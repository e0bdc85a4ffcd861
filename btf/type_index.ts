/**
 * The type index: where each type record of a blob starts, found by walking
 * the type section once (each record's size follows from its kind and vlen),
 * over the section as host-order u32 words.
 *
 * @module
 */

import { BtfError } from "./error.ts";
import { Kind, KIND_NAMES } from "./kinds.ts";
import { TYPE_HEADER } from "./decode.ts";

// Words after a type's 3-word header, by kind: a fixed part (-1 for kinds that
// do not exist) plus a part per vlen.
const FIXED_WORDS = new Int8Array(32).fill(-1);
const VLEN_WORDS = new Int8Array(32);
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

/** The indexed type section of one blob. */
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
}

/** Walks the type section once; throws {@link BtfError} at the first record that does not fit. */
export function buildIndex(s: TypeSection): TypeIndex {
  const words = hostWords(s);
  const nw = words.length;
  // One entry per type: the word index of its record in the type section.
  const at = new Uint32Array(Math.floor(s.typeLen / TYPE_HEADER) + 1);
  let n = 0, w = 0;
  while (w + 3 <= nw) {
    const info = words[w + 1];
    const kind = (info >>> 24) & 0x1f;
    const fixed = FIXED_WORDS[kind];
    if (fixed < 0) break;
    const next = w + 3 + fixed + (info & 0xffff) * VLEN_WORDS[kind];
    if (next > nw) break;
    at[n++] = w;
    w = next;
  }
  if (4 * w !== s.typeLen) indexError(s, words, w, n);
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
function indexError(s: TypeSection, words: Uint32Array, w: number, n: number): never {
  const p = s.typeOff + 4 * w, left = s.typeLen - 4 * w, id = s.startId + n;
  if (left < TYPE_HEADER) {
    throw new BtfError(
      `expected a ${TYPE_HEADER}-byte type header for type ${id}, found ${left} bytes left in the type section`,
      s.fileOffset + p,
    );
  }
  const info = words[w + 1], kind = (info >>> 24) & 0x1f, vlen = info & 0xffff;
  if (FIXED_WORDS[kind] < 0) {
    throw new BtfError(
      `expected a type kind between 1 and 19 for type ${id}, found ${kind}`,
      s.fileOffset + p + 4,
    );
  }
  const need = 4 * (3 + FIXED_WORDS[kind] + vlen * VLEN_WORDS[kind]);
  throw new BtfError(
    `expected ${need} bytes for type ${id} (${
      KIND_NAMES[kind]
    }, vlen ${vlen}), found ${left} bytes left in the type section`,
    s.fileOffset + p,
  );
}
