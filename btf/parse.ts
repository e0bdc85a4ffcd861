/**
 * The parsed BTF blob: {@link Btf}, built over the bytes in place. Parsing
 * only reads the header (`header.ts`); types are indexed on first need
 * (`type_index.ts`) and decoded one by one when asked for (`decode.ts`);
 * strings are decoded on demand. Getting the bytes is `load.ts`.
 *
 * @module
 */

import { BtfError } from "./error.ts";
import { Kind, KIND_NAMES, type KindNumber, LAST_KNOWN_KIND, MAX_KIND, MAX_VLEN } from "./kinds.ts";
import { type ViewClass, viewClass, type ViewOptions } from "./view.ts";
import type { Type, TypeOfKind } from "./types.ts";
import { TypeDecoder } from "./decode.ts";
import { type BtfHeader, type KindLayout, readHeader } from "./header.ts";
import { buildIndex, type TypeIndex } from "./type_index.ts";

/** The names that give the pointer size, as bytes. */
const LONG_INT = new TextEncoder().encode("long int");
const LONG_UINT = new TextEncoder().encode("long unsigned int");

export { BTF_MAGIC } from "./header.ts";
export { KERNEL_BTF_PATH, loadBtf, loadModuleBtf, parseBtf, type ParseOptions } from "./load.ts";

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
  /** The checked header (absolute section offsets in {@link bytes}). */
  readonly header: BtfHeader;
  /**
   * The kind layout section (Linux 7.1 and later encoders): how each kind's
   * records are laid out, which lets this reader step over kinds it does
   * not know. Split BTF without its own shares its base's. `undefined` for
   * BTF without one.
   */
  readonly kindLayout: readonly KindLayout[] | undefined;

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
  #decoder: TypeDecoder | undefined;
  /** False once its owner closed it ({@link _close}). */
  #open = true;

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
    const h = readHeader(bytes, fileOffset, base);
    this.header = h;
    // Split BTF shares its base's kind layout unless it has its own.
    this.kindLayout = h.layout ?? base?.kindLayout;
    this.#dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.littleEndian = h.littleEndian;
    this.flags = h.flags;
    this.#typeOff = h.typeOff;
    this.#typeLen = h.typeLen;
    this.#strOff = h.strOff;
    this.#strLen = h.strLen;
    this.startId = base ? base.count : 1;
    this.startStr = base ? base.startStr + base.#strLen : 0;
  }

  /** Total number of type ids, including `void` (id 0) and the base's types: ids run from 0 to count - 1. */
  get count(): number {
    return this.startId + this.#index();
  }

  /**
   * This blob's type index: the type section as host-order u32 words and
   * the word index of each type's record (built on first use). For readers
   * that walk the records themselves (the raw and JSON dumps); do not
   * modify the arrays.
   *
   * @example
   * ```ts
   * import { loadBtf } from "@bpfview/bpfview";
   * const btf = loadBtf();
   * const { words, at } = btf.typeIndex();
   * console.log(words[at[0] + 1] >>> 24); // kind of type 1
   * ```
   */
  typeIndex(): TypeIndex {
    this.#index();
    return { words: this.#words!, at: this.#at!, n: this.#n };
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
      // Names compared in place: looking for `long` decodes no strings.
      const off = this.#word(id, 0);
      if (this.#nameIs(off, LONG_INT) || this.#nameIs(off, LONG_UINT)) {
        const s = this.#word(id, 1);
        if (s === 4 || s === 8) size = s;
        break;
      }
    }
    return this.#ptrSize = size;
  }

  /** The error for any use after close (its mapped file closed, or its bytes detached). */
  #closed(): never {
    throw new BtfError(
      "expected open BTF, found it closed (its mapped file was closed, or its bytes detached); map or load it again",
      this.fileOffset,
    );
  }

  /**
   * @internal Closed by its owner (`mapBtf`'s close): every use from now on
   * throws {@link BtfError} saying so. Its bytes are left to the owner.
   */
  _close(): void {
    this.#open = false;
  }

  /** Builds the type index if needed; returns the number of types in this blob. */
  #index(): number {
    // A blob's bytes are never empty (the header alone is 24 bytes): empty
    // means detached (transferred).
    if (!this.#open || this.bytes.byteLength === 0) this.#closed();
    if (this.#n >= 0) return this.#n;
    const { words, at, n } = buildIndex({
      bytes: this.bytes,
      littleEndian: this.littleEndian,
      typeOff: this.#typeOff,
      typeLen: this.#typeLen,
      startId: this.startId,
      fileOffset: this.fileOffset,
      layout: this.kindLayout,
    });
    this.#at = at;
    this.#words = words;
    this.#n = n;
    return n;
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
    const k = (this.#words![this.#at![i] + 1] >>> 24) & MAX_KIND;
    return (k <= LAST_KNOWN_KIND ? k : Kind.UNKN) as KindNumber;
  }

  /** The vlen field of type `id`'s info word. */
  vlenOf(id: number): number {
    if (id < this.startId && this.base) return this.base.vlenOf(id);
    this.#check(id);
    return id === 0 ? 0 : this.#words![this.#at![id - this.startId] + 1] & MAX_VLEN;
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
    if (!this.#open || this.bytes.byteLength === 0) this.#closed();
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
    const w = this.#at![i], words = this.#words!;
    this.#decoder ??= new TypeDecoder(
      this.#dv,
      this.littleEndian,
      this.fileOffset,
      this.startStr + this.#strLen,
      this.startId + this.#n,
      (off) => this.str(off),
      this.kindLayout,
    );
    return this.#decoder.decode(id, this.#typeOff + 4 * w, words[w], words[w + 1]);
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
      if (k >= 0 && ((words[w + 1] >>> 24) & MAX_KIND) !== k) continue;
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
   * The type named `name` (optionally of one kind), or `undefined`: like
   * {@link get}, a complete struct/union/enum wins over a forward
   * declaration of the same name; otherwise the first match. Given a kind,
   * the result is typed as that kind's type.
   *
   * @example
   * ```ts
   * import { Kind, loadBtf } from "@bpfview/bpfview";
   * const t = loadBtf().find("task_struct", Kind.STRUCT);
   * console.log(t?.members.length); // typed as a struct or union
   * ```
   */
  find<K extends KindNumber>(name: string, kind: K): TypeOfKind<K> | undefined;
  /** The type named `name` (any kind, or one given at run time), or `undefined`. */
  find(name: string, kind?: KindNumber): Type | undefined;
  find(name: string, kind?: KindNumber): Type | undefined {
    const ids = this.findIds(name, kind);
    if (ids.length === 0) return undefined;
    const full = ids.find((id) => this.kindOf(id) !== Kind.FWD);
    return this.type(full ?? ids[0]);
  }

  /**
   * Like {@link find} but throws a {@link BtfError} when nothing matches.
   * Prefers a complete struct/union/enum over a forward declaration. Given
   * a kind, the result is typed as that kind's type.
   *
   * @example
   * ```ts
   * import { Kind, loadBtf } from "@bpfview/bpfview";
   * const task = loadBtf().get("task_struct", Kind.STRUCT);
   * console.log(task.size, task.members[0].name); // no narrowing needed
   * ```
   */
  get<K extends KindNumber>(name: string, kind: K): TypeOfKind<K>;
  /** The type named `name` (any kind, or one given at run time); throws if none. */
  get(name: string, kind?: KindNumber): Type;
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
