/**
 * Parsing BTF: raw blobs (`/sys/kernel/btf/vmlinux`, module BTF split on top
 * of a base) and the `.BTF` section of ELF objects. Parsing only reads the
 * header; types are indexed on first need and decoded one by one when asked
 * for, and strings are decoded on demand.
 *
 * @module
 */

import { BtfError } from "./error.ts";
import { findElfSection, isElf } from "./elf.ts";
import { Kind, KIND_NAMES, type KindNumber } from "./kinds.ts";
import { type ViewClass, viewClass, type ViewOptions } from "./view.ts";
import type {
  ArrayType,
  CompositeType,
  DatasecType,
  DeclTagType,
  Enumerator,
  EnumType,
  FloatType,
  FuncProtoType,
  FuncType,
  FwdType,
  IntType,
  Member,
  Param,
  RefType,
  Type,
  VarSecinfo,
  VarType,
} from "./types.ts";

/**
 * `BTF_MAGIC`, the first two bytes of every BTF blob (little-endian).
 *
 * @example
 * ```ts
 * import { BTF_MAGIC } from "@bpfview/bpfview";
 * console.log(BTF_MAGIC.toString(16)); // "eb9f"
 * ```
 */
export const BTF_MAGIC = 0xeb9f;
/**
 * Where the kernel exposes its own BTF.
 *
 * @example
 * ```ts
 * import { KERNEL_BTF_PATH, parseBtf } from "@bpfview/bpfview";
 * const btf = parseBtf(Deno.readFileSync(KERNEL_BTF_PATH)); // needs -A: it is under /sys
 * ```
 */
export const KERNEL_BTF_PATH = "/sys/kernel/btf/vmlinux";

const HEADER_LEN = 24;
const TYPE_HEADER = 12;

// Words after a type's 3-word header, by kind: a fixed part (-1 for kinds that
// do not exist) plus a part per vlen. Used by the index's fast path only.
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

/**
 * Options for {@link parseBtf} and {@link loadBtf}.
 *
 * @example
 * ```ts
 * import { loadBtf, type ParseOptions } from "@bpfview/bpfview";
 * const opts: ParseOptions = { base: loadBtf() };
 * ```
 */
export interface ParseOptions {
  /** The base BTF for split BTF (module BTF on top of vmlinux). */
  base?: Btf;
}

/**
 * Parses BTF from bytes: a raw BTF blob or an ELF object with a `.BTF`
 * section (detected from the bytes).
 *
 * @example
 * ```ts
 * import { parseBtf } from "@bpfview/bpfview";
 * const btf = parseBtf(Deno.readFileSync("/sys/kernel/btf/vmlinux"));
 * console.log(btf.find("task_struct")?.id);
 * ```
 */
export function parseBtf(bytes: Uint8Array, options: ParseOptions = {}): Btf {
  if (isElf(bytes)) {
    const sec = findElfSection(bytes, ".BTF");
    if (!sec) throw new BtfError("expected a .BTF section in the ELF object, found none");
    return new Btf(bytes.subarray(sec.offset, sec.offset + sec.size), options.base, sec.offset);
  }
  return new Btf(bytes, options.base, 0);
}

/**
 * Reads and parses a BTF file (raw BTF or ELF). Without a path, reads the
 * running kernel's BTF from `/sys/kernel/btf/vmlinux` (needs only
 * `--allow-read`). `base` may be a path or a parsed {@link Btf}.
 *
 * @example
 * ```ts
 * import { loadBtf } from "@bpfview/bpfview";
 * const vmlinux = loadBtf();
 * const mod = loadBtf("/sys/kernel/btf/nf_tables", { base: vmlinux });
 * ```
 */
export function loadBtf(
  path: string = KERNEL_BTF_PATH,
  options: { base?: Btf | string } = {},
): Btf {
  const base = typeof options.base === "string" ? loadBtf(options.base) : options.base;
  let bytes: Uint8Array;
  try {
    bytes = readWhole(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new BtfError(
        path === KERNEL_BTF_PATH
          ? `expected kernel BTF at ${path}, found no such file: the kernel needs CONFIG_DEBUG_INFO_BTF=y`
          : `expected a BTF file at ${path}, found no such file`,
      );
    }
    if (e instanceof Deno.errors.NotCapable) {
      // Deno asks for every permission before it opens anything under /sys,
      // /proc or /dev (denoland/deno#27564), --allow-read is not enough there.
      throw new BtfError(
        /Requires all access/.test(e.message)
          ? `expected to read ${path}, found it refused: Deno reads files under /sys only with --allow-all (-A)`
          : `expected to read ${path}, found it refused: run with --allow-read`,
      );
    }
    if (e instanceof Deno.errors.PermissionDenied) {
      throw new BtfError(`cannot read ${path}: permission denied (run as a user who can read it)`);
    }
    throw e;
  }
  return parseBtf(bytes, { base });
}

/**
 * Reads a whole file into one buffer sized from fstat (one allocation, one
 * read for sysfs BTF files); files whose size fstat does not know (procfs)
 * fall back to Deno.readFileSync.
 */
function readWhole(path: string): Uint8Array {
  using file = Deno.openSync(path);
  const size = file.statSync().size;
  if (size === 0) return Deno.readFileSync(path);
  let buf = new Uint8Array(size);
  let n = 0;
  for (;;) {
    if (n === buf.length) {
      // The file grew (or fstat was short): keep reading into a bigger buffer.
      const probe = new Uint8Array(1);
      if (file.readSync(probe) === null) return buf;
      const bigger = new Uint8Array(buf.length * 2);
      bigger.set(buf);
      bigger[n++] = probe[0];
      buf = bigger;
    }
    const r = file.readSync(buf.subarray(n));
    if (r === null) return buf.subarray(0, n);
    n += r;
  }
}

/** Whether `b` holds the bytes of `want` and then a NUL at `p`; `want` has no NUL. */
function bytesAt(b: Uint8Array, p: number, want: Uint8Array): boolean {
  for (let j = 0; j < want.length; j++) if (b[p + j] !== want[j]) return false;
  return b[p + want.length] === 0;
}

/**
 * A parsed BTF blob. Type ids are global across a base and its split BTF:
 * a split {@link Btf} answers for its base's ids too.
 *
 * @example
 * ```ts
 * import { Kind, loadBtf } from "@bpfview/bpfview";
 * const btf = loadBtf();
 * const t = btf.find("task_struct", Kind.STRUCT);
 * if (t?.kind === Kind.STRUCT) console.log(t.size, t.members.length);
 * ```
 */
export class Btf {
  /** The base BTF if this is split BTF. */
  readonly base: Btf | undefined;
  /** The blob's bytes (the `.BTF` section for ELF input). */
  readonly bytes: Uint8Array;
  /** Byte order of the blob. */
  readonly littleEndian: boolean;
  /** The header's flags byte. */
  readonly flags: number;
  /** The first type id this blob defines (1, or the base's {@link count}). */
  readonly startId: number;
  /** The first string offset this blob defines (0, or the base's string end). */
  readonly startStr: number;
  /** Offset of {@link bytes} in the file it came from, for error messages. */
  readonly fileOffset: number;

  readonly #dv: DataView;
  readonly #typeOff: number;
  readonly #typeLen: number;
  readonly #strOff: number;
  readonly #strLen: number;
  /** The type section as host-order words (set with the index). */
  #words: Uint32Array | undefined;
  /** Word index in #words of each of this blob's types. */
  #at: Uint32Array | undefined;
  #n = -1;
  #cache: (Type | undefined)[] = [];
  #ascii: string | null | undefined;
  #strCache: Map<number, string> | undefined;
  #ptrSize = 0;

  /**
   * Use {@link parseBtf} or {@link loadBtf} rather than this constructor.
   *
   * @param bytes The raw BTF blob.
   * @param base The base BTF for split BTF.
   * @param fileOffset Offset of the blob in its file, for error messages.
   */
  constructor(bytes: Uint8Array, base?: Btf, fileOffset = 0) {
    this.bytes = bytes;
    this.base = base;
    this.fileOffset = fileOffset;
    const at = (n: number) => fileOffset + n;
    if (bytes.length < HEADER_LEN) {
      throw new BtfError(
        `expected a BTF header of ${HEADER_LEN} bytes, found ${bytes.length} bytes`,
        at(0),
      );
    }
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#dv = dv;
    const magic = dv.getUint16(0, true);
    if (magic === BTF_MAGIC) this.littleEndian = true;
    else if (magic === 0x9feb) this.littleEndian = false;
    else {
      throw new BtfError(
        `expected BTF magic 0xeb9f, found 0x${magic.toString(16).padStart(4, "0")}`,
        at(0),
      );
    }
    const le = this.littleEndian;
    const version = bytes[2];
    if (version !== 1) throw new BtfError(`expected BTF version 1, found ${version}`, at(2));
    this.flags = bytes[3];
    const hdrLen = dv.getUint32(4, le);
    if (hdrLen < HEADER_LEN || hdrLen > bytes.length) {
      throw new BtfError(
        `expected a header length between ${HEADER_LEN} and ${bytes.length}, found ${hdrLen}`,
        at(4),
      );
    }
    // A longer header must be zero-filled past the fields we know.
    for (let i = HEADER_LEN; i < hdrLen; i++) {
      if (bytes[i] !== 0) {
        throw new BtfError(`expected zero in the unknown header tail, found ${bytes[i]}`, at(i));
      }
    }
    const typeOff = dv.getUint32(8, le);
    const typeLen = dv.getUint32(12, le);
    const strOff = dv.getUint32(16, le);
    const strLen = dv.getUint32(20, le);
    const avail = bytes.length - hdrLen;
    if (typeOff % 4 !== 0) {
      throw new BtfError(`expected a 4-aligned type_off, found ${typeOff}`, at(8));
    }
    if (typeOff + typeLen > avail) {
      throw new BtfError(
        `expected the type section (${typeLen} bytes at ${typeOff}) within the ${avail} bytes after the header, found it past the end`,
        at(12),
      );
    }
    if (strOff + strLen > avail) {
      throw new BtfError(
        `expected the string section (${strLen} bytes at ${strOff}) within the ${avail} bytes after the header, found it past the end`,
        at(20),
      );
    }
    if (typeOff < strOff ? typeOff + typeLen > strOff : strOff + strLen > typeOff) {
      throw new BtfError(
        `expected the type section [${typeOff}, ${
          typeOff + typeLen
        }) and string section [${strOff}, ${
          strOff + strLen
        }) not to overlap, found them overlapping`,
        at(8),
      );
    }
    if (!base) {
      if (strLen === 0 || bytes[hdrLen + strOff] !== 0) {
        throw new BtfError(
          `expected the string section to start with an empty string, found ${
            strLen === 0 ? "an empty section" : `byte ${bytes[hdrLen + strOff]}`
          }`,
          at(hdrLen + strOff),
        );
      }
    } else if (base.littleEndian !== this.littleEndian) {
      throw new BtfError(
        "expected split BTF in the byte order of its base, found the other order",
        at(0),
      );
    }
    if (strLen > 0 && bytes[hdrLen + strOff + strLen - 1] !== 0) {
      throw new BtfError(
        `expected the string section to end with a NUL byte, found ${
          bytes[hdrLen + strOff + strLen - 1]
        }`,
        at(hdrLen + strOff + strLen - 1),
      );
    }
    this.#typeOff = hdrLen + typeOff;
    this.#typeLen = typeLen;
    this.#strOff = hdrLen + strOff;
    this.#strLen = strLen;
    this.startId = base ? base.count : 1;
    this.startStr = base ? base.startStr + base.#strLen : 0;
  }

  /** Total number of type ids, including `void` (id 0) and the base's types: ids run from 0 to count - 1. */
  get count(): number {
    return this.startId + this.#index();
  }

  /** Size of this blob's string section in bytes. */
  get stringsLength(): number {
    return this.#strLen;
  }

  /** Size of this blob's type section in bytes. */
  get typesLength(): number {
    return this.#typeLen;
  }

  /**
   * Pointer size in bytes: 8 unless the BTF's `long` says 4 (as libbpf
   * guesses it).
   */
  get pointerSize(): number {
    if (this.#ptrSize) return this.#ptrSize;
    if (this.base) return this.#ptrSize = this.base.pointerSize;
    let size = 8;
    const n = this.count;
    for (let id = 1; id < n; id++) {
      if (this.kindOf(id) !== Kind.INT) continue;
      const name = this.nameOf(id);
      if (name === "long int" || name === "long unsigned int") {
        const s = this.#word(id, 1);
        if (s === 4 || s === 8) size = s;
        break;
      }
    }
    return this.#ptrSize = size;
  }

  /** Builds the type index if needed; returns the number of types in this blob. */
  #index(): number {
    if (this.#n >= 0) return this.#n;
    const words = this.#hostWords();
    const nw = words.length;
    // One entry per type: the word index of its record in the type section.
    const at = new Uint32Array(Math.floor(this.#typeLen / TYPE_HEADER) + 1);
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
    if (4 * w !== this.#typeLen) this.#indexError(words, w, n);
    this.#at = at;
    this.#words = words;
    this.#n = n;
    return n;
  }

  /** The type section as u32 words in host order: a view when possible, else a swapped copy. */
  #hostWords(): Uint32Array {
    const nw = this.#typeLen >>> 2, abs = this.bytes.byteOffset + this.#typeOff;
    if (this.littleEndian && abs % 4 === 0) return new Uint32Array(this.bytes.buffer, abs, nw);
    const words = new Uint32Array(nw), dv = this.#dv, le = this.littleEndian;
    for (let i = 0; i < nw; i++) words[i] = dv.getUint32(this.#typeOff + 4 * i, le);
    return words;
  }

  /** Throws the error for the record at word `w`, where indexing stopped short. */
  #indexError(words: Uint32Array, w: number, n: number): never {
    const p = this.#typeOff + 4 * w, left = this.#typeLen - 4 * w, id = this.startId + n;
    if (left < TYPE_HEADER) {
      throw new BtfError(
        `expected a ${TYPE_HEADER}-byte type header for type ${id}, found ${left} bytes left in the type section`,
        this.fileOffset + p,
      );
    }
    const info = words[w + 1], kind = (info >>> 24) & 0x1f, vlen = info & 0xffff;
    if (FIXED_WORDS[kind] < 0) {
      throw new BtfError(
        `expected a type kind between 1 and 19 for type ${id}, found ${kind}`,
        this.fileOffset + p + 4,
      );
    }
    const need = 4 * (3 + FIXED_WORDS[kind] + vlen * VLEN_WORDS[kind]);
    throw new BtfError(
      `expected ${need} bytes for type ${id} (${
        KIND_NAMES[kind]
      }, vlen ${vlen}), found ${left} bytes left in the type section`,
      this.fileOffset + p,
    );
  }

  #check(id: number): void {
    if (!(id >= 0 && id < this.count && Number.isInteger(id))) {
      throw new BtfError(`expected a type id between 0 and ${this.count - 1}, found ${id}`);
    }
  }

  /** Reads u32 number `k` after type `id`'s record start (own types only). */
  #word(id: number, k: number): number {
    return this.#words![this.#at![id - this.startId] + k];
  }

  /**
   * The kind of type `id` (0 for `void`).
   *
   * @example
   * ```ts
   * import { Kind, loadBtf } from "@bpfview/bpfview";
   * const btf = loadBtf();
   * console.log(btf.kindOf(1) === Kind.INT);
   * ```
   */
  kindOf(id: number): KindNumber {
    if (id === 0) return 0;
    if (id < this.startId) {
      if (this.base && id > 0) return this.base.kindOf(id);
      this.#check(id);
    }
    const i = id - this.startId;
    if (i >= this.#index() || !Number.isInteger(i)) this.#check(id);
    return ((this.#words![this.#at![i] + 1] >>> 24) & 0x1f) as KindNumber;
  }

  /** The vlen field of type `id`'s info word. */
  vlenOf(id: number): number {
    if (id < this.startId && this.base) return this.base.vlenOf(id);
    this.#check(id);
    return id === 0 ? 0 : this.#words![this.#at![id - this.startId] + 1] & 0xffff;
  }

  /** The name offset of type `id`. */
  nameOffOf(id: number): number {
    if (id < this.startId && this.base) return this.base.nameOffOf(id);
    this.#check(id);
    return id === 0 ? 0 : this.#words![this.#at![id - this.startId]];
  }

  /**
   * The name of type `id` (`""` if anonymous), without decoding the type.
   *
   * @example
   * ```ts
   * import { loadBtf } from "@bpfview/bpfview";
   * console.log(loadBtf().nameOf(1));
   * ```
   */
  nameOf(id: number): string {
    const off = this.nameOffOf(id);
    if (id >= this.startId && off >= this.startStr + this.#strLen) {
      throw new BtfError(
        `expected the name offset of type ${id} below ${
          this.startStr + this.#strLen
        }, found ${off}`,
        this.fileOffset + this.#typeOff + 4 * this.#at![id - this.startId],
      );
    }
    return this.str(off);
  }

  /**
   * The string at `offset` in the string table (the base's for small
   * offsets in split BTF).
   *
   * @example
   * ```ts
   * import { loadBtf } from "@bpfview/bpfview";
   * console.log(loadBtf().str(0)); // ""
   * ```
   */
  str(offset: number): string {
    if (offset < this.startStr && this.base) return this.base.str(offset);
    const local = offset - this.startStr;
    if (!(local >= 0 && local < this.#strLen)) {
      throw new BtfError(
        `expected a string offset below ${this.startStr + this.#strLen}, found ${offset}`,
      );
    }
    if (this.#ascii === undefined) this.#ascii = this.#decodeAscii();
    if (this.#ascii !== null) {
      // The section ends with NUL (checked in the constructor).
      return this.#ascii.slice(local, this.#ascii.indexOf("\0", local));
    }
    let s = this.#strCache!.get(local);
    if (s === undefined) {
      const b = this.bytes, from = this.#strOff + local;
      let end = from;
      while (b[end] !== 0) end++;
      s = new TextDecoder().decode(b.subarray(from, end));
      this.#strCache!.set(local, s);
    }
    return s;
  }

  /** Decodes the whole string section at once if it is pure ASCII (the common case). */
  #decodeAscii(): string | null {
    const b = this.bytes.subarray(this.#strOff, this.#strOff + this.#strLen);
    const s = new TextDecoder().decode(b);
    // Equal lengths and no replacement character mean every byte was ASCII.
    if (s.length === b.length && s.indexOf("\uFFFD") < 0) return s;
    this.#strCache = new Map();
    return null;
  }

  /**
   * Decodes type `id`. Decoded types are cached.
   *
   * @example
   * ```ts
   * import { Kind, loadBtf } from "@bpfview/bpfview";
   * const t = loadBtf().type(1);
   * if (t.kind === Kind.INT) console.log(t.name, t.size);
   * ```
   */
  type(id: number): Type {
    if (id < this.startId && this.base && id > 0) return this.base.type(id);
    if (id === 0) {
      throw new BtfError("expected a type id above 0, found 0 (void has no type record)");
    }
    this.#check(id);
    const i = id - this.startId;
    return this.#cache[i] ??= this.#decode(id, i);
  }

  #decode(id: number, i: number): Type {
    const dv = this.#dv, le = this.littleEndian;
    const w = this.#at![i], words = this.#words!;
    const p = this.#typeOff + 4 * w;
    const nameOff = words[w];
    const info = words[w + 1];
    const kind = ((info >>> 24) & 0x1f) as KindNumber;
    const vlen = info & 0xffff;
    const kindFlag = (info >>> 31) === 1;
    const sizeOrType = dv.getUint32(p + 8, le);
    // Names and referenced ids are checked here, where the byte is known;
    // error messages are built only when a check fails.
    const name = this.#name(id, nameOff, p, "type", -1);
    const q = p + TYPE_HEADER;
    switch (kind) {
      case Kind.INT: {
        const v = dv.getUint32(q, le);
        const encoding = (v >>> 24) & 0x0f;
        return {
          id,
          name,
          nameOff,
          kindFlag,
          kind,
          size: sizeOrType,
          encoding,
          signed: (encoding & 1) !== 0,
          char: (encoding & 2) !== 0,
          bool: (encoding & 4) !== 0,
          bitOffset: (v >>> 16) & 0xff,
          bits: v & 0xff,
        } satisfies IntType;
      }
      case Kind.PTR:
      case Kind.TYPEDEF:
      case Kind.VOLATILE:
      case Kind.CONST:
      case Kind.RESTRICT:
      case Kind.TYPE_TAG:
        return {
          id,
          name,
          nameOff,
          kindFlag,
          kind,
          type: this.#ref(id, kind, p + 8, "target", -1),
        } satisfies RefType;
      case Kind.ARRAY:
        return {
          id,
          name,
          nameOff,
          kindFlag,
          kind,
          type: this.#ref(id, kind, q, "element type", -1),
          indexType: this.#ref(id, kind, q + 4, "index type", -1),
          nelems: dv.getUint32(q + 8, le),
        } satisfies ArrayType;
      case Kind.STRUCT:
      case Kind.UNION: {
        const members: Member[] = new Array(vlen);
        for (let k = 0; k < vlen; k++) {
          const m = q + k * 12;
          const mNameOff = dv.getUint32(m, le);
          const off = dv.getUint32(m + 8, le);
          members[k] = {
            name: this.#name(id, mNameOff, m, "member", k),
            nameOff: mNameOff,
            type: this.#ref(id, kind, m + 4, "member", k),
            bitOffset: kindFlag ? off & 0xffffff : off,
            bitfieldSize: kindFlag ? off >>> 24 : 0,
          };
        }
        return {
          id,
          name,
          nameOff,
          kindFlag,
          kind,
          size: sizeOrType,
          members,
        } satisfies CompositeType;
      }
      case Kind.ENUM:
      case Kind.ENUM64: {
        const values: Enumerator[] = new Array(vlen);
        const step = kind === Kind.ENUM ? 8 : 12;
        for (let k = 0; k < vlen; k++) {
          const m = q + k * step;
          const eNameOff = dv.getUint32(m, le);
          let value: number | bigint;
          if (kind === Kind.ENUM) {
            value = kindFlag ? dv.getInt32(m + 4, le) : dv.getUint32(m + 4, le);
          } else {
            const u = (BigInt(dv.getUint32(m + 8, le)) << 32n) | BigInt(dv.getUint32(m + 4, le));
            value = kindFlag ? BigInt.asIntN(64, u) : u;
          }
          values[k] = {
            name: this.#name(id, eNameOff, m, "enumerator", k),
            nameOff: eNameOff,
            value,
          };
        }
        return {
          id,
          name,
          nameOff,
          kindFlag,
          kind,
          size: sizeOrType,
          signed: kindFlag,
          values,
        } satisfies EnumType;
      }
      case Kind.FWD:
        return { id, name, nameOff, kindFlag, kind, union: kindFlag } satisfies FwdType;
      case Kind.FUNC:
        return {
          id,
          name,
          nameOff,
          kindFlag,
          kind,
          type: this.#ref(id, kind, p + 8, "prototype", -1),
          linkage: vlen,
        } satisfies FuncType;
      case Kind.FUNC_PROTO: {
        const params: Param[] = new Array(vlen);
        for (let k = 0; k < vlen; k++) {
          const m = q + k * 8;
          const pNameOff = dv.getUint32(m, le);
          params[k] = {
            name: this.#name(id, pNameOff, m, "parameter", k),
            nameOff: pNameOff,
            type: this.#ref(id, kind, m + 4, "parameter", k),
          };
        }
        return {
          id,
          name,
          nameOff,
          kindFlag,
          kind,
          type: this.#ref(id, kind, p + 8, "return type", -1),
          params,
        } satisfies FuncProtoType;
      }
      case Kind.VAR:
        return {
          id,
          name,
          nameOff,
          kindFlag,
          kind,
          type: this.#ref(id, kind, p + 8, "type", -1),
          linkage: dv.getUint32(q, le),
        } satisfies VarType;
      case Kind.DATASEC: {
        const vars: VarSecinfo[] = new Array(vlen);
        for (let k = 0; k < vlen; k++) {
          const m = q + k * 12;
          vars[k] = {
            type: this.#ref(id, kind, m, "variable", k),
            offset: dv.getUint32(m + 4, le),
            size: dv.getUint32(m + 8, le),
          };
        }
        return { id, name, nameOff, kindFlag, kind, size: sizeOrType, vars } satisfies DatasecType;
      }
      case Kind.FLOAT:
        return { id, name, nameOff, kindFlag, kind, size: sizeOrType } satisfies FloatType;
      case Kind.DECL_TAG:
        return {
          id,
          name,
          nameOff,
          kindFlag,
          kind,
          type: this.#ref(id, kind, p + 8, "tagged type", -1),
          componentIdx: dv.getInt32(q, le),
        } satisfies DeclTagType;
      default:
        throw new BtfError(
          `expected a known kind for type ${id}, found ${kind}`,
          this.fileOffset + p + 4,
        );
    }
  }

  /** The string at `off` for a name stored at byte `pos` of type `id` (`k`: item index or -1). */
  #name(id: number, off: number, pos: number, what: string, k: number): string {
    const strEnd = this.startStr + this.#strLen;
    if (off >= strEnd) {
      throw new BtfError(
        `expected the ${what}${
          k >= 0 ? ` ${k}` : ""
        } name offset of type ${id} below ${strEnd}, found ${off}`,
        this.fileOffset + pos,
      );
    }
    return this.str(off);
  }

  /** The type id stored at byte `pos` of type `id`, checked against the id range. */
  #ref(id: number, kind: number, pos: number, what: string, k: number): number {
    const t = this.#dv.getUint32(pos, this.littleEndian);
    const count = this.startId + this.#n;
    if (t >= count) {
      throw new BtfError(
        `expected the ${what}${k >= 0 ? ` ${k}` : ""} of type ${id} (${
          KIND_NAMES[kind]
        }) to be a type id below ${count}, found ${t}`,
        this.fileOffset + pos,
      );
    }
    return t;
  }

  /**
   * All types of this blob (not the base's), decoded, in id order.
   *
   * @example
   * ```ts
   * import { loadBtf } from "@bpfview/bpfview";
   * for (const t of loadBtf().types()) if (t.name === "pid_t") console.log(t.id);
   * ```
   */
  *types(): Generator<Type> {
    const n = this.count;
    for (let id = this.startId; id < n; id++) yield this.type(id);
  }

  /**
   * Ids of all types named `name` (optionally of one kind), searching the
   * base first. Strings are compared as bytes: nothing is decoded.
   *
   * @example
   * ```ts
   * import { Kind, loadBtf } from "@bpfview/bpfview";
   * console.log(loadBtf().findIds("pid_t", Kind.TYPEDEF));
   * ```
   */
  findIds(name: string, kind?: KindNumber): number[] {
    const out = this.base ? this.base.findIds(name, kind) : [];
    if (name === "" || name.includes("\0")) return out;
    const n = this.#index();
    const want = new TextEncoder().encode(name);
    // Compare each candidate's name in place, like libbpf: no string table
    // scan and no decoding. Split BTF may use its base's strings.
    const words = this.#words!, at = this.#at!;
    const b = this.bytes, from = this.#strOff, start = this.startStr, len = this.#strLen;
    const first = want[0], k = kind ?? -1;
    for (let i = 0; i < n; i++) {
      const w = at[i];
      if (k >= 0 && ((words[w + 1] >>> 24) & 0x1f) !== k) continue;
      const nameOff = words[w], local = nameOff - start;
      if (local >= 0) {
        // The section ends with NUL, so the comparison stops inside it.
        if (local >= len || b[from + local] !== first || !bytesAt(b, from + local, want)) continue;
      } else if (!this.base || !this.base.#nameIs(nameOff, want)) continue;
      out.push(this.startId + i);
    }
    return out;
  }

  /** Whether the string at `offset` (in this blob or its base chain) is `want`. */
  #nameIs(offset: number, want: Uint8Array): boolean {
    if (offset < this.startStr) return this.base ? this.base.#nameIs(offset, want) : false;
    const local = offset - this.startStr;
    return local < this.#strLen && bytesAt(this.bytes, this.#strOff + local, want);
  }

  /**
   * The first type named `name` (optionally of one kind), or `undefined`.
   *
   * @example
   * ```ts
   * import { Kind, loadBtf } from "@bpfview/bpfview";
   * const t = loadBtf().find("task_struct", Kind.STRUCT);
   * ```
   */
  find(name: string, kind?: KindNumber): Type | undefined {
    const ids = this.findIds(name, kind);
    return ids.length ? this.type(ids[0]) : undefined;
  }

  /**
   * Like {@link find} but throws a {@link BtfError} when nothing matches.
   * Prefers a complete struct/union/enum over a forward declaration.
   *
   * @example
   * ```ts
   * import { loadBtf } from "@bpfview/bpfview";
   * const t = loadBtf().get("task_struct");
   * ```
   */
  get(name: string, kind?: KindNumber): Type {
    const ids = this.findIds(name, kind);
    if (ids.length === 0) {
      throw new BtfError(
        `expected a type named "${name}"${kind ? ` of kind ${KIND_NAMES[kind]}` : ""}, found none`,
      );
    }
    const full = ids.find((id) => this.kindOf(id) !== Kind.FWD);
    return this.type(full ?? ids[0]);
  }

  /**
   * The view class of a struct, union or data section (see
   * {@link viewClass}): compiled once per type and options, then cached.
   *
   * @example
   * ```ts
   * import { loadBtf } from "@bpfview/bpfview";
   * const V = loadBtf().view("list_head");
   * const v = new V(new ArrayBuffer(V.size));
   * console.log(v.next); // 0n
   * ```
   */
  view<T = Record<string, unknown>>(
    type: string | number | Type,
    options?: ViewOptions,
  ): ViewClass<T> {
    return viewClass<T>(this, type, options);
  }
}
