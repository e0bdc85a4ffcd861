/**
 * The raw BTF dump: the text `bpftool btf dump file F` prints (bpftool
 * v7.1.0), byte for byte. The dump reads the type section's words and copies
 * names straight from the string section, so a full dump of the kernel's BTF
 * neither decodes nor caches a single type object.
 *
 * @module
 */

import type { Btf } from "./parse.ts";
import { closure } from "./layout.ts";
import { BtfError } from "./error.ts";
import { Kind, KIND_NAMES, kindName, LAST_KNOWN_KIND, MAX_KIND, MAX_VLEN } from "./kinds.ts";
import { ascii, put, putNum } from "./byte_out.ts";

// ---------------------------------------------------------------------------
// Word-level access to a blob (shared with dump_json.ts, not part of mod.ts).

/**
 * Word-level view of one BTF blob: the type section as host-order u32 words
 * and the position of the string section. Internal to the dumpers.
 */
export interface RawBlob {
  /** The parsed BTF this view belongs to. */
  readonly btf: Btf;
  /** The blob's bytes. */
  readonly bytes: Uint8Array;
  /** The type section as u32 words in host order. */
  readonly words: Uint32Array;
  /** Word index of each of the blob's own types (index 0 is id startId). */
  readonly offsets: Uint32Array;
  /** Number of types in this blob. */
  readonly n: number;
  /** First type id of this blob. */
  readonly startId: number;
  /** Absolute position of the string section in {@link bytes}. */
  readonly strAbs: number;
  /** Length of the string section. */
  readonly strLen: number;
  /** First string offset of this blob. */
  readonly startStr: number;
  /** Byte position of the type section in the input file (for errors). */
  readonly typeFileOff: number;
  /** The base blob, for split BTF. */
  readonly base: RawBlob | undefined;
}

const blobs = new WeakMap<Btf, RawBlob>();

/**
 * The word-level view of `btf` (built once per {@link Btf} and kept in a
 * WeakMap). The {@link Btf} index has already checked that every record
 * fits in the type section.
 */
export function rawBlob(btf: Btf): RawBlob {
  let b = blobs.get(btf);
  if (b) return b;
  const base = btf.base ? rawBlob(btf.base) : undefined;
  const { words, at: offsets, n } = btf.typeIndex(); // builds and validates the index
  const h = btf.header;
  const typeStart = h.typeOff;
  const strAbs = h.strOff;
  b = {
    btf,
    bytes: btf.bytes,
    words,
    offsets,
    n,
    startId: btf.startId,
    strAbs,
    strLen: btf.stringsLength,
    startStr: btf.startStr,
    typeFileOff: btf.fileOffset + typeStart,
    base,
  };
  blobs.set(btf, b);
  return b;
}

/**
 * The error for a name offset (word `wi` of `b`'s type section) past the
 * string table. Internal to the dumpers.
 */
export function badName(b: RawBlob, wi: number): BtfError {
  return new BtfError(
    `expected a name offset below ${b.startStr + b.strLen}, found ${b.words[wi]}`,
    b.typeFileOff + 4 * wi,
  );
}

/**
 * The blob of `b`'s chain whose string section holds name offset `off` (word
 * `wi` of `b`, not 0); a {@link badName} error if none does.
 */
export function nameOwner(b: RawBlob, wi: number, off: number): RawBlob {
  let s = b;
  while (off < s.startStr && s.base) s = s.base;
  const local = off - s.startStr;
  if (!(local >= 0 && local < s.strLen)) throw badName(b, wi);
  return s;
}

/** The blob of the chain that defines type `id`, or undefined if out of range. */
function blobOf(b: RawBlob, id: number): RawBlob | undefined {
  while (id < b.startId && b.base) b = b.base;
  return id >= b.startId && id < b.startId + b.n ? b : undefined;
}

/**
 * Checks a list of ids to dump: each must be a type id of `btf` (0 to
 * count - 1). Internal to the dumpers.
 */
export function resolveDumpIds(btf: Btf, ids: Iterable<number>, withDeps = false): number[] {
  const count = btf.count;
  const out: number[] = [];
  for (const id of ids) {
    if (!(Number.isInteger(id) && id >= 0 && id < count)) {
      throw new BtfError(`expected a type id between 0 and ${count - 1}, found ${id}`);
    }
    out.push(id);
  }
  // The types and what they refer to: the blob's own, in id order (base
  // types are the base's to dump), as `btf dump TYPE` gives them.
  return withDeps ? closure(btf, out).filter((id) => id >= btf.startId) : out;
}

// ---------------------------------------------------------------------------
// Output. The writers take the buffer and position as arguments and return
// the new position, so the hot loop keeps both in registers. `out` is the
// current buffer of the dump in progress; only growing replaces it.

let out: Uint8Array = new Uint8Array(0);

/** Room for the fixed text and numbers of one output line. */
const LINE = 192;

/** Grows {@link out} so that `need` bytes fit after `pos`. */
function grow(pos: number, need: number): Uint8Array {
  let cap = out.length * 2;
  while (cap < pos + need) cap *= 2;
  const next = new Uint8Array(cap);
  next.set(out.subarray(0, pos));
  return out = next;
}

const num = putNum;

function int(o: Uint8Array, pos: number, v: number): number {
  if (v < 0) {
    o[pos] = 45;
    return num(o, pos + 1, -v);
  }
  return num(o, pos, v);
}

/** Writes an ASCII string (may grow {@link out}: reload it after). */
function text(pos: number, s: string): number {
  const o = pos + s.length + LINE > out.length ? grow(pos, s.length + LINE) : out;
  for (let i = 0; i < s.length; i++) o[pos++] = s.charCodeAt(i);
  return pos;
}

const ANON = ascii("(anon)");

/**
 * Writes the name whose string offset is word `wi` of `b`'s type section, as
 * bpftool's btf_str does ("(anon)" for offset 0), and leaves room for one
 * more line of fixed text. May grow {@link out}: reload it after.
 */
function name(pos: number, b: RawBlob, wi: number): number {
  const off = b.words[wi];
  if (off === 0) return put(out, pos, ANON);
  const s = nameOwner(b, wi, off);
  const bytes = s.bytes;
  const from = s.strAbs + off - s.startStr;
  let end = from;
  while (bytes[end] !== 0) end++; // the section ends with NUL (checked by parse)
  const len = end - from;
  const o = pos + len + LINE > out.length ? grow(pos, len + LINE) : out;
  for (let i = from; i < end; i++) o[pos++] = bytes[i];
  return pos;
}

const KIND_TEXT = Array.from(
  { length: MAX_KIND + 1 },
  (_, k) => ascii(`${k === 0 ? KIND_NAMES[0] : kindName(k)} '`),
);
const INT_ENC = [
  ascii(" encoding=(none)"),
  ascii(" encoding=SIGNED"),
  ascii(" encoding=CHAR"),
  ascii(" encoding=UNKN"),
  ascii(" encoding=BOOL"),
];
const INT_ENC_UNKN = INT_ENC[3];
const LINKAGE = [ascii("static"), ascii("global"), ascii("extern")];
const LINKAGE_UNKN = ascii("(unknown)");
const S_CLOSE = ascii("] ");
const S_SIZE = ascii("' size=");
const S_BITS_OFF = ascii(" bits_offset=");
const S_NR_BITS = ascii(" nr_bits=");
const S_TYPE_ID = ascii("' type_id=");
const S_INDEX_TYPE_ID = ascii(" index_type_id=");
const S_NR_ELEMS = ascii(" nr_elems=");
const S_VLEN = ascii(" vlen=");
const S_QUOTE_VLEN = ascii("' vlen=");
const S_ITEM = ascii("\n\t'");
const S_BITFIELD = ascii(" bitfield_size=");
const S_ENC_SIGNED = ascii("' encoding=SIGNED size=");
const S_ENC_UNSIGNED = ascii("' encoding=UNSIGNED size=");
const S_VAL = ascii("' val=");
const S_LL = ascii("LL");
const S_ULL = ascii("ULL");
const S_FWD_STRUCT = ascii("' fwd_kind=struct");
const S_FWD_UNION = ascii("' fwd_kind=union");
const S_LINKAGE = ascii(" linkage=");
const S_VAR_LINKAGE = ascii(", linkage=");
const S_RET_TYPE_ID = ascii("' ret_type_id=");
const S_SEC_VAR = ascii("\n\ttype_id=");
const S_OFFSET = ascii(" offset=");
const S_SEC_SIZE = ascii(" size=");
const S_OPEN = ascii(" (");
const S_CLOSE_PAREN = ascii("')");
const S_COMPONENT_IDX = ascii(" component_idx=");
const S_VOID = ascii("[0] UNKNOWN '(anon)'\n");

/**
 * Writes the rest of one type's text after `[id] KIND 'name`, up to but not
 * including the final newline. `p` is the word index of the type in `b`;
 * `root` is the blob being dumped. Returns the new position.
 *
 * One function per kind, called through a table: each stays small and
 * optimizes on its own, and a kind met late in a blob (the kernel's FUNCs and
 * DATASECs come last) does not throw away the optimized code of the others.
 */
type KindWriter = (pos: number, b: RawBlob, p: number, root: RawBlob) => number;

function writeInt(pos: number, b: RawBlob, p: number): number {
  const o = out, w = b.words;
  const v = w[p + 3];
  pos = put(o, pos, S_SIZE);
  pos = num(o, pos, w[p + 2]);
  pos = put(o, pos, S_BITS_OFF);
  pos = num(o, pos, (v >>> 16) & 0xff);
  pos = put(o, pos, S_NR_BITS);
  pos = num(o, pos, v & 0xff);
  return put(o, pos, INT_ENC[(v >>> 24) & 0x0f] ?? INT_ENC_UNKN);
}

function writeRef(pos: number, b: RawBlob, p: number): number {
  const o = out;
  pos = put(o, pos, S_TYPE_ID);
  return num(o, pos, b.words[p + 2]);
}

function writeArray(pos: number, b: RawBlob, p: number): number {
  const o = out, w = b.words;
  pos = put(o, pos, S_TYPE_ID);
  pos = num(o, pos, w[p + 3]);
  pos = put(o, pos, S_INDEX_TYPE_ID);
  pos = num(o, pos, w[p + 4]);
  pos = put(o, pos, S_NR_ELEMS);
  return num(o, pos, w[p + 5]);
}

function writeComposite(pos: number, b: RawBlob, p: number): number {
  let o = out;
  const w = b.words, info = w[p + 1];
  const vlen = info & MAX_VLEN, kflag = info >>> 31;
  pos = put(o, pos, S_SIZE);
  pos = num(o, pos, w[p + 2]);
  pos = put(o, pos, S_VLEN);
  pos = num(o, pos, vlen);
  for (let k = 0, m = p + 3; k < vlen; k++, m += 3) {
    if (pos + LINE > o.length) o = grow(pos, LINE);
    pos = put(o, pos, S_ITEM);
    pos = name(pos, b, m);
    o = out;
    pos = put(o, pos, S_TYPE_ID);
    pos = num(o, pos, w[m + 1]);
    pos = put(o, pos, S_BITS_OFF);
    const off = w[m + 2];
    if (kflag) {
      pos = num(o, pos, off & 0xffffff);
      const bits = off >>> 24;
      if (bits) {
        pos = put(o, pos, S_BITFIELD);
        pos = num(o, pos, bits);
      }
    } else pos = num(o, pos, off);
  }
  return pos;
}

/** The part of an ENUM or ENUM64 line after its name: encoding, size and vlen. */
function enumHead(o: Uint8Array, pos: number, w: Uint32Array, p: number): number {
  pos = put(o, pos, w[p + 1] >>> 31 ? S_ENC_SIGNED : S_ENC_UNSIGNED);
  pos = num(o, pos, w[p + 2]);
  pos = put(o, pos, S_VLEN);
  return num(o, pos, w[p + 1] & MAX_VLEN);
}

/** An enumerator line up to its value: `\n\t'NAME' val=` (may grow {@link out}). */
function enumItem(pos: number, b: RawBlob, m: number): number {
  if (pos + LINE > out.length) grow(pos, LINE);
  pos = put(out, pos, S_ITEM);
  pos = name(pos, b, m);
  return put(out, pos, S_VAL);
}

function writeEnum(pos: number, b: RawBlob, p: number): number {
  const w = b.words, info = w[p + 1];
  const vlen = info & MAX_VLEN, kflag = info >>> 31;
  pos = enumHead(out, pos, w, p);
  for (let k = 0, m = p + 3; k < vlen; k++, m += 2) {
    pos = enumItem(pos, b, m);
    pos = kflag ? int(out, pos, w[m + 1] | 0) : num(out, pos, w[m + 1]);
  }
  return pos;
}

function writeEnum64(pos: number, b: RawBlob, p: number): number {
  const w = b.words, info = w[p + 1];
  const vlen = info & MAX_VLEN, kflag = info >>> 31;
  pos = enumHead(out, pos, w, p);
  for (let k = 0, m = p + 3; k < vlen; k++, m += 3) {
    pos = enumItem(pos, b, m);
    const lo = w[m + 1], hi = w[m + 2];
    if (hi === 0) pos = num(out, pos, lo);
    else {
      const u = (BigInt(hi) << 32n) | BigInt(lo);
      pos = text(pos, (kflag ? BigInt.asIntN(64, u) : u).toString());
    }
    pos = put(out, pos, kflag ? S_LL : S_ULL);
  }
  return pos;
}

function writeFwd(pos: number, b: RawBlob, p: number): number {
  return put(out, pos, b.words[p + 1] >>> 31 ? S_FWD_UNION : S_FWD_STRUCT);
}

function writeFunc(pos: number, b: RawBlob, p: number): number {
  const o = out, w = b.words;
  pos = put(o, pos, S_TYPE_ID);
  pos = num(o, pos, w[p + 2]);
  pos = put(o, pos, S_LINKAGE);
  return put(o, pos, LINKAGE[w[p + 1] & MAX_VLEN] ?? LINKAGE_UNKN);
}

function writeFuncProto(pos: number, b: RawBlob, p: number): number {
  let o = out;
  const w = b.words, vlen = w[p + 1] & MAX_VLEN;
  pos = put(o, pos, S_RET_TYPE_ID);
  pos = num(o, pos, w[p + 2]);
  pos = put(o, pos, S_VLEN);
  pos = num(o, pos, vlen);
  for (let k = 0, m = p + 3; k < vlen; k++, m += 2) {
    if (pos + LINE > o.length) o = grow(pos, LINE);
    pos = put(o, pos, S_ITEM);
    pos = name(pos, b, m);
    o = out;
    pos = put(o, pos, S_TYPE_ID);
    pos = num(o, pos, w[m + 1]);
  }
  return pos;
}

function writeVar(pos: number, b: RawBlob, p: number): number {
  const o = out, w = b.words;
  pos = put(o, pos, S_TYPE_ID);
  pos = num(o, pos, w[p + 2]);
  pos = put(o, pos, S_VAR_LINKAGE);
  return put(o, pos, LINKAGE[w[p + 3]] ?? LINKAGE_UNKN);
}

function writeDatasec(pos: number, b: RawBlob, p: number, root: RawBlob): number {
  let o = out;
  const w = b.words, vlen = w[p + 1] & MAX_VLEN;
  pos = put(o, pos, S_SIZE);
  pos = num(o, pos, w[p + 2]);
  pos = put(o, pos, S_VLEN);
  pos = num(o, pos, vlen);
  const count = root.startId + root.n;
  for (let k = 0, m = p + 3; k < vlen; k++, m += 3) {
    if (pos + LINE > o.length) o = grow(pos, LINE);
    const vt = w[m];
    pos = put(o, pos, S_SEC_VAR);
    pos = num(o, pos, vt);
    pos = put(o, pos, S_OFFSET);
    pos = num(o, pos, w[m + 1]);
    pos = put(o, pos, S_SEC_SIZE);
    pos = num(o, pos, w[m + 2]);
    // bpftool names the variable when its id is in range (void included).
    if (vt < count) {
      pos = put(o, pos, S_OPEN);
      const vb = vt === 0 ? undefined : blobOf(root, vt);
      if (vb) {
        const q = vb.offsets[vt - vb.startId];
        pos = put(o, pos, KIND_TEXT[(vb.words[q + 1] >>> 24) & MAX_KIND]);
        pos = name(pos, vb, q);
        o = out;
      } else {
        pos = put(o, pos, KIND_TEXT[0]);
        pos = put(o, pos, ANON);
      }
      pos = put(o, pos, S_CLOSE_PAREN);
    }
  }
  return pos;
}

function writeFloat(pos: number, b: RawBlob, p: number): number {
  const o = out;
  pos = put(o, pos, S_SIZE);
  return num(o, pos, b.words[p + 2]);
}

function writeDeclTag(pos: number, b: RawBlob, p: number): number {
  pos = put(out, writeRef(pos, b, p), S_COMPONENT_IDX);
  return int(out, pos, b.words[p + 3] | 0);
}

function writeNothing(pos: number): number {
  return pos;
}

/** Kinds this reader does not know (stepped over by the layout section): their vlen. */
function writeUnknown(pos: number, b: RawBlob, p: number): number {
  pos = put(out, pos, S_QUOTE_VLEN);
  return num(out, pos, b.words[p + 1] & MAX_VLEN);
}

const WRITERS: KindWriter[] = [];
for (let k = 0; k <= MAX_KIND; k++) {
  WRITERS.push(k > LAST_KNOWN_KIND || k === 0 ? writeUnknown : writeNothing);
}
WRITERS[Kind.INT] = writeInt;
WRITERS[Kind.PTR] = WRITERS[Kind.CONST] = WRITERS[Kind.VOLATILE] = writeRef;
WRITERS[Kind.RESTRICT] = WRITERS[Kind.TYPEDEF] = WRITERS[Kind.TYPE_TAG] = writeRef;
WRITERS[Kind.ARRAY] = writeArray;
WRITERS[Kind.STRUCT] = WRITERS[Kind.UNION] = writeComposite;
WRITERS[Kind.ENUM] = writeEnum;
WRITERS[Kind.ENUM64] = writeEnum64;
WRITERS[Kind.FWD] = writeFwd;
WRITERS[Kind.FUNC] = writeFunc;
WRITERS[Kind.FUNC_PROTO] = writeFuncProto;
WRITERS[Kind.VAR] = writeVar;
WRITERS[Kind.DATASEC] = writeDatasec;
WRITERS[Kind.FLOAT] = writeFloat;
WRITERS[Kind.DECL_TAG] = writeDeclTag;

/**
 * Writes the raw dump of type `id` (defined by blob `b`; `root` is the blob
 * being dumped) with its final newline, and returns the new position.
 */
function writeType(root: RawBlob, b: RawBlob, id: number, pos: number): number {
  const o = pos + LINE > out.length ? grow(pos, LINE) : out;
  const w = b.words;
  const p = b.offsets[id - b.startId];
  const kind = (w[p + 1] >>> 24) & MAX_KIND;
  o[pos++] = 91; // [
  pos = num(o, pos, id);
  pos = put(o, pos, S_CLOSE);
  pos = put(o, pos, KIND_TEXT[kind]);
  pos = name(pos, b, p);
  pos = WRITERS[kind](pos, b, p, root);
  out[pos] = 10;
  return pos + 1;
}

function dumpInto(btf: Btf, ids: Iterable<number> | undefined, withDeps = false): Uint8Array {
  const root = rawBlob(btf);
  const list = ids === undefined ? undefined : resolveDumpIds(btf, ids, withDeps);
  out = new Uint8Array(
    list ? 4096 : Math.max(4096, Math.ceil(btf.typesLength * 3.5) + btf.stringsLength),
  );
  let pos = 0;
  try {
    if (list === undefined) {
      const end = root.startId + root.n;
      for (let id = root.startId; id < end; id++) pos = writeType(root, root, id, pos);
    } else {
      for (const id of list) {
        if (id === 0) {
          const o = pos + LINE > out.length ? grow(pos, LINE) : out;
          pos = put(o, pos, S_VOID);
        } else pos = writeType(root, blobOf(root, id)!, id, pos);
      }
    }
    return out.subarray(0, pos);
  } finally {
    out = new Uint8Array(0);
  }
}

/**
 * Options for {@link dumpRaw} and {@link dumpRawBytes}.
 *
 * @example
 * ```ts
 * import type { DumpRawOptions } from "@bpfview/bpfview";
 * const opts: DumpRawOptions = { ids: [1, 2, 3] };
 * ```
 */
export interface DumpRawOptions {
  /**
   * Dump only these type ids, in this order (any id of the BTF, including
   * its base's for split BTF; id 0 prints bpftool's `[0] UNKNOWN '(anon)'`).
   * Without it, all of the blob's own types are dumped in id order (for
   * split BTF, not the base's).
   */
  ids?: Iterable<number>;
  /**
   * With `ids`: also every type they refer to, transitively (the blob's own
   * types, in id order), as `bpfview btf dump TYPE` prints them.
   */
  withDependencies?: boolean;
}

/**
 * The raw dump as bytes: exactly what `bpftool btf dump file F` writes
 * (names are copied byte for byte from the string section, so even names
 * that are not valid UTF-8 match). Prefer this for writing to a file or
 * stdout: it skips decoding to a string.
 *
 * @example
 * ```ts
 * import { dumpRawBytes, loadBtf, writeAllSync } from "@bpfview/bpfview";
 * writeAllSync(Deno.stdout, dumpRawBytes(loadBtf()));
 * ```
 */
export function dumpRawBytes(btf: Btf, options: DumpRawOptions = {}): Uint8Array {
  return dumpInto(btf, options.ids, options.withDependencies);
}

/**
 * The raw dump of `btf` as text: the output of `bpftool btf dump file F`
 * (for split BTF, `bpftool -B BASE btf dump file F`), one `[id] KIND 'name'
 * ...` line per type plus one tab-indented line per member, enumerator,
 * parameter or section variable.
 *
 * @example
 * ```ts
 * import { dumpRaw, Kind, loadBtf } from "@bpfview/bpfview";
 * const btf = loadBtf();
 * const id = btf.findIds("task_struct", Kind.STRUCT)[0];
 * console.log(dumpRaw(btf, { ids: [id] }));
 * ```
 */
export function dumpRaw(btf: Btf, options: DumpRawOptions = {}): string {
  return new TextDecoder().decode(dumpInto(btf, options.ids, options.withDependencies));
}

/**
 * The raw dump of one type (as {@link dumpRaw} with `ids: [id]`), without
 * the final newline.
 *
 * @example
 * ```ts
 * import { formatRawType, loadBtf } from "@bpfview/bpfview";
 * console.log(formatRawType(loadBtf(), 1));
 * // [1] INT 'long unsigned int' size=8 bits_offset=0 nr_bits=64 encoding=(none)
 * ```
 */
export function formatRawType(btf: Btf, id: number): string {
  const bytes = dumpInto(btf, [id]);
  return new TextDecoder().decode(bytes.subarray(0, bytes.length - 1));
}

/**
 * Writes all of `bytes` with a synchronous writer (such as `Deno.stdout`),
 * looping until every byte is written: a single `writeSync` may write less.
 *
 * @example
 * ```ts
 * import { writeAllSync } from "@bpfview/bpfview";
 * writeAllSync(Deno.stdout, new TextEncoder().encode("hello\n"));
 * ```
 */
export function writeAllSync(
  writer: { writeSync(p: Uint8Array): number },
  bytes: Uint8Array,
): void {
  let off = 0;
  while (off < bytes.length) {
    const n = writer.writeSync(bytes.subarray(off));
    if (!(n > 0)) throw new Error(`expected to write ${bytes.length - off} bytes, wrote ${n}`);
    off += n;
  }
}
