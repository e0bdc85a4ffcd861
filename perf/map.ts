/**
 * Maps of a BPF object: their type, sizes and BTF.
 *
 * @module
 */

import { encode } from "../btf/encode.ts";
import type { Btf } from "../btf/parse.ts";
import { type ValueReader, valueReader } from "../btf/value.ts";
import type { View, ViewApi, ViewOptions } from "../btf/view.ts";
import { Kind } from "../btf/kinds.ts";
import { resolveType } from "../btf/layout.ts";
import { FfiError } from "../ffi/error.ts";
import { possibleCpus } from "../ffi/bpf.ts";
import { errText, libbpf, readCString, typeName } from "../ffi/libbpf.ts";
import { idOfFd } from "./kernel_objects.ts";
import type { Owner } from "./program.ts";

const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const ENOENT = 2;
const EINVAL = 22;
const EOPNOTSUPP = 95;
const ENOTSUPP = 524;

/**
 * How {@link BpfMap.update} treats an existing key: `"any"` (create or
 * replace, `BPF_ANY`), `"noexist"` (create only), `"exist"` (replace only),
 * or the raw `BPF_*` flags.
 *
 * @example
 * ```ts
 * import type { UpdateFlags } from "@bpfview/bpfview";
 * const flags: UpdateFlags = "noexist";
 * ```
 */
export type UpdateFlags = "any" | "noexist" | "exist" | number;

/**
 * What a map gives for a key or value described by `T`: a view
 * ({@link View}`<T>`) for a struct or union interface (as
 * `bpfview btf dump --format ts` writes them), `T` itself for numbers,
 * bigints, strings, booleans and typed arrays, an array of them for `E[]`
 * (a per-CPU map's values: give the value type as `T[]`), and `unknown`
 * for `unknown`.
 *
 * @example
 * ```ts
 * import type { MapValue } from "@bpfview/bpfview";
 * interface hist_value { readonly count: bigint; readonly min_ns: number }
 * type One = MapValue<hist_value>; // View<hist_value>: one.count is a bigint
 * type PerCpu = MapValue<hist_value[]>; // View<hist_value>[]
 * type Slot = MapValue<number>; // number
 * ```
 */
export type MapValue<T> = unknown extends T ? unknown
  : T extends ArrayBufferView ? T
  : T extends readonly (infer E)[] ? MapValue<E>[]
  : T extends object ? View<T>
  : T;

/**
 * What a map takes for a key or value described by `T` (see
 * {@link MapValue}): its bytes (a `Uint8Array` of its size), or a value as
 * its BTF type takes it: numbers or bigints for integers (enumerator names
 * too for enums), strings for `char[N]`, arrays for arrays, and for a
 * struct or union a view of it or a plain object of some of its members
 * (the others zero), each member a value the same way (or its bytes). For `T[]` (a
 * per-CPU map), one value per possible CPU or one value for all.
 * Anything goes for `unknown`.
 *
 * @example
 * ```ts
 * import type { MapInput } from "@bpfview/bpfview";
 * interface bucket { readonly slot: number; readonly cpu: number }
 * const key: MapInput<bucket> = { slot: 3 }; // cpu is 0; { nope: 1 } would not compile
 * ```
 */
export type MapInput<T> = unknown extends T ? unknown
  :
    | Uint8Array
    | ([T] extends [string] ? string
      : [T] extends [boolean] ? boolean | number
      : [T] extends [number | bigint] ? (number extends T ? number | bigint
          : bigint extends T ? number | bigint
          : number | bigint | string) // an enum's values: its enumerator names too
      : T extends ArrayBufferView ? ArrayLike<number | bigint>
      : T extends readonly (infer E)[] ? readonly MapInput<E>[] | MapInput<E>
      // BtfArray<E> of the generated declarations: indexable, `at()`, `length`.
      : T extends { readonly length: number; at(index: number): infer E }
        ? readonly MapInput<Exclude<E, undefined>>[]
      : T extends object ? T | { readonly [P in Exclude<keyof T, keyof ViewApi>]?: MapInput<T[P]> }
      : T);

/** One side of a map (key or value): its size, BTF type and reader. */
interface Side {
  readonly what: "key" | "value";
  readonly size: number;
  readonly type: number;
  readonly read: ValueReader;
}

/**
 * BPF map types (`BPF_MAP_TYPE_*` of `linux/bpf.h`) by name; the commonly
 * used ones.
 *
 * @example
 * ```ts
 * import { BpfObject, MapType } from "@bpfview/bpfview";
 * using obj = BpfObject.open("prog.bpf.o");
 * const rings = obj.maps.filter((m) => m.type === MapType.RINGBUF);
 * ```
 */
export const MapType: Readonly<{
  HASH: 1;
  ARRAY: 2;
  PROG_ARRAY: 3;
  PERF_EVENT_ARRAY: 4;
  PERCPU_HASH: 5;
  PERCPU_ARRAY: 6;
  STACK_TRACE: 7;
  LRU_HASH: 9;
  LRU_PERCPU_HASH: 10;
  LPM_TRIE: 11;
  PERCPU_CGROUP_STORAGE: 21;
  QUEUE: 22;
  STACK: 23;
  RINGBUF: 27;
  USER_RINGBUF: 31;
}> = Object.freeze({
  HASH: 1,
  ARRAY: 2,
  PROG_ARRAY: 3,
  PERF_EVENT_ARRAY: 4,
  PERCPU_HASH: 5,
  PERCPU_ARRAY: 6,
  STACK_TRACE: 7,
  LRU_HASH: 9,
  LRU_PERCPU_HASH: 10,
  LPM_TRIE: 11,
  PERCPU_CGROUP_STORAGE: 21,
  QUEUE: 22,
  STACK: 23,
  RINGBUF: 27,
  USER_RINGBUF: 31,
});

/**
 * Whether a map of this type holds one value per possible CPU.
 *
 * @example
 * ```ts
 * import { isPerCpu, MapType } from "@bpfview/bpfview";
 * console.log(isPerCpu(MapType.PERCPU_ARRAY)); // true
 * ```
 */
export function isPerCpu(type: number): boolean {
  return type === MapType.PERCPU_HASH || type === MapType.PERCPU_ARRAY ||
    type === MapType.LRU_PERCPU_HASH || type === MapType.PERCPU_CGROUP_STORAGE;
}

/**
 * One map of a {@link BpfObject}, by name: its type, key and value sizes,
 * the BTF type ids of its key and value (in the object's BTF, `obj.btf`),
 * and, once the object is loaded, its file descriptor.
 *
 * @example
 * ```ts
 * import { BpfObject } from "@bpfview/bpfview";
 * using obj = BpfObject.open("prog.bpf.o").load();
 * const events = obj.map("events");
 * console.log(events.typeName, events.fd, events.keySize, events.valueSize);
 * ```
 *
 * `K` and `V` describe the keys and values (see {@link MapValue}): give
 * them to {@link BpfObject.map} as the interfaces `bpfview btf dump
 * --format ts` writes, and `lookup`, `entries`, `forEach`, `update` are
 * typed by them.
 *
 * @example
 * ```ts
 * import { BpfObject } from "@bpfview/bpfview";
 * // From `bpfview btf dump --format ts --file prog.bpf.o bucket hist_value`:
 * interface bucket { readonly slot: number; readonly cpu: number }
 * interface hist_value { readonly count: bigint; readonly sum_ns: bigint }
 * using obj = BpfObject.open("prog.bpf.o").load();
 * const hist = obj.map<bucket, hist_value>("hist");
 * hist.update({ slot: 1, cpu: 0 }, { count: 1n });
 * console.log(hist.lookup({ slot: 1, cpu: 0 })?.count); // 1n, a bigint
 * for (const [k, v] of hist.entries()) console.log(k.slot, v.sum_ns);
 * ```
 */
export class BpfMap<K = unknown, V = unknown> {
  /** The map's name (an internal map's is its section, e.g. `.rodata`). */
  readonly name: string;
  /** The object's BTF, which {@link keyType} and {@link valueType} index (undefined without BTF). */
  readonly btf: Btf | undefined;
  #ptr: Deno.PointerObject;
  #owner: Owner;
  #sides = new Map<string, Side>();
  #cursors = new Map<
    string,
    {
      keyAt: (b: Uint8Array, off: number) => unknown;
      valueAts: ((b: Uint8Array, off: number) => unknown)[];
    }
  >();
  #type: number;
  #keySize: number;
  #valueSize: number;
  #batchBufs:
    | {
      keys: Uint8Array<ArrayBuffer>;
      values: Uint8Array<ArrayBuffer>;
      tokens: Uint8Array<ArrayBuffer>[];
      count: Uint32Array;
    }
    | undefined;

  /** @internal Made by {@link BpfObject}. */
  constructor(owner: Owner, ptr: Deno.PointerObject, btf: Btf | undefined, name: string) {
    this.#owner = owner;
    this.#ptr = ptr;
    this.btf = btf;
    this.name = name;
    // Fixed once libbpf has opened the object (this package sets none of them).
    const l = libbpf();
    this.#type = l.bpf_map__type(ptr);
    this.#keySize = l.bpf_map__key_size(ptr);
    this.#valueSize = l.bpf_map__value_size(ptr);
  }

  /** @internal libbpf's map pointer (checked: throws once the object is closed). */
  pointer(what: string): Deno.PointerObject {
    this.#owner.pointer(`${what} of map '${this.name}'`);
    return this.#ptr;
  }

  /** The name libbpf gives the map in the kernel (internal maps: `<object>.rodata`). */
  get kernelName(): string {
    return readCString(libbpf().bpf_map__name(this.pointer("the name")));
  }

  /** The map type (`BPF_MAP_TYPE_*`, see {@link MapType}). */
  get type(): number {
    this.pointer("the type");
    return this.#type;
  }

  /** The map type as libbpf names it (`hash`, `array`, `ringbuf`, `percpu_array`). */
  get typeName(): string {
    return typeName("map", this.type);
  }

  /** Key size in bytes. */
  get keySize(): number {
    this.pointer("the key size");
    return this.#keySize;
  }

  /** Value size in bytes (per CPU, for per-CPU maps). */
  get valueSize(): number {
    this.pointer("the value size");
    return this.#valueSize;
  }

  /** Maximum number of entries (a ring buffer's size in bytes). */
  get maxEntries(): number {
    return libbpf().bpf_map__max_entries(this.pointer("max_entries"));
  }

  /** Sets max_entries before load (e.g. a ring buffer's size). */
  set maxEntries(n: number) {
    const r = libbpf().bpf_map__set_max_entries(this.pointer("max_entries"), n >>> 0);
    if (r < 0) {
      throw new FfiError(
        `expected to set max_entries of map '${this.name}' before load, found ${
          this.#owner.loaded ? "the object loaded" : `error ${-r}`
        }`,
        -r,
      );
    }
  }

  /** `BPF_F_*` map flags. */
  get flags(): number {
    return libbpf().bpf_map__map_flags(this.pointer("the flags"));
  }

  /** The key's BTF type id in {@link btf} (0 if the map has no key type, e.g. a ring buffer). */
  get keyType(): number {
    return libbpf().bpf_map__btf_key_type_id(this.pointer("the key type"));
  }

  /** The value's BTF type id in {@link btf} (0 if none; a data section's map: its DATASEC). */
  get valueType(): number {
    return libbpf().bpf_map__btf_value_type_id(this.pointer("the value type"));
  }

  /** Whether libbpf made the map for a data section (`.rodata`, `.data`, `.bss`, `.kconfig`). */
  get internal(): boolean {
    return libbpf().bpf_map__is_internal(this.pointer("internal"));
  }

  /** Whether the map's values are per CPU (one value per possible CPU). */
  get perCpu(): boolean {
    return isPerCpu(this.type);
  }

  /**
   * The map's file descriptor, valid once the object is loaded and until
   * it is closed. Throws {@link FfiError} before load.
   */
  get fd(): number {
    const fd = libbpf().bpf_map__fd(this.pointer("the fd"));
    if (fd < 0) {
      throw new FfiError(
        `expected map '${this.name}' created (object '${this.#owner.name}' loaded), found ${
          this.#owner.loaded ? "it not created" : "the object not loaded: call load() first"
        }`,
      );
    }
    return fd;
  }

  /** The map's id in the kernel once created (as `bpftool map list` shows it). */
  get id(): number {
    return idOfFd(this.fd);
  }

  /**
   * Number of values per entry: the number of possible CPUs for a per-CPU
   * map, else 1.
   */
  get valuesPerEntry(): number {
    return this.perCpu ? possibleCpus() : 1;
  }

  #side(what: "key" | "value", options?: ViewOptions): Side {
    const cacheKey = `${what}|${options?.int64 ?? ""}|${options?.enums ?? ""}`;
    let s = options?.fields || options?.types ? undefined : this.#sides.get(cacheKey);
    if (s) return s;
    const size = what === "key" ? this.keySize : this.valueSize;
    const type = what === "key" ? this.keyType : this.valueType;
    let read: ValueReader;
    if (type !== 0 && this.btf) read = valueReader(this.btf, type, options);
    else if (what === "key" && size === 4 && this.#isArray()) {
      read = (b, o) => new DataView(b.buffer, b.byteOffset + o, 4).getUint32(0, HOST_LE);
    } else read = (b, o) => b.slice(o, o + size);
    s = { what, size, type, read };
    if (!options?.fields && !options?.types) this.#sides.set(cacheKey, s);
    return s;
  }

  /** Whether keys are u32 indexes (array maps; data sections have no key type in BTF). */
  #isArray(): boolean {
    const t = this.type;
    return t === MapType.ARRAY || t === MapType.PERCPU_ARRAY || this.internal;
  }

  /** `v` as the bytes of one key or value: bytes as they are, else encoded by its BTF type. */
  #encode(side: Side, v: unknown): Uint8Array<ArrayBuffer> {
    if (v instanceof Uint8Array) {
      if (v.length !== side.size) {
        throw new FfiError(
          `expected ${side.size} bytes for a ${side.what} of map '${this.name}', found ${v.length}`,
        );
      }
      return v as Uint8Array<ArrayBuffer>;
    }
    if (side.type === 0 || !this.btf) {
      if (
        (typeof v === "number" || typeof v === "bigint") && (side.size === 4 || side.size === 8)
      ) {
        const b = new Uint8Array(side.size);
        const dv = new DataView(b.buffer);
        if (side.size === 4) dv.setUint32(0, Number(v), HOST_LE);
        else dv.setBigUint64(0, BigInt.asUintN(64, BigInt(v)), HOST_LE);
        return b;
      }
      throw new FfiError(
        `expected ${side.size} bytes for a ${side.what} of map '${this.name}' (it has no BTF type), found ${typeof v}`,
      );
    }
    const b = encode(this.btf, side.type, v, `${this.name} ${side.what}`);
    if (b.length !== side.size) {
      throw new FfiError(
        `expected the ${side.what} type of map '${this.name}' to be ${side.size} bytes, found ${b.length}`,
      );
    }
    return b;
  }

  /** The value buffer of one entry: all CPUs' values for a per-CPU map, 8-byte aligned each. */
  #valueBuffer(): { bytes: Uint8Array<ArrayBuffer>; stride: number; n: number } {
    const n = this.valuesPerEntry;
    const size = this.valueSize;
    const stride = n > 1 || this.perCpu ? (size + 7) & ~7 : size;
    return { bytes: new Uint8Array(stride * n), stride, n };
  }

  #readValues(
    side: Side,
    bytes: Uint8Array,
    off: number,
    stride: number,
    n: number,
  ): unknown {
    if (!this.perCpu) return side.read(bytes, off);
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = side.read(bytes, off + i * stride);
    return out;
  }

  /**
   * The value under `key`, or undefined if there is none. A key may be
   * bytes, a view, a plain object (as `toObject()` gives it) or a number,
   * as the key's BTF type takes it. The value is a view over a fresh
   * buffer for a struct or union (a plain value otherwise); for a per-CPU
   * map, an array with one value per possible CPU.
   */
  lookup<R = MapValue<V>>(key: MapInput<K>, options?: ViewOptions): NoInfer<R> | undefined {
    const bytes = this.lookupBytes(key);
    if (bytes === undefined) return undefined;
    const n = this.valuesPerEntry;
    const stride = this.perCpu ? (this.valueSize + 7) & ~7 : this.valueSize;
    return this.#readValues(this.#side("value", options), bytes, 0, stride, n) as R;
  }

  /** The raw bytes of the value under `key` (all CPUs' for a per-CPU map), or undefined. */
  lookupBytes(key: MapInput<K>): Uint8Array<ArrayBuffer> | undefined {
    const k = this.#encode(this.#side("key"), key);
    const { bytes } = this.#valueBuffer();
    const r = libbpf().bpf_map_lookup_elem(this.fd, k, bytes);
    if (r < 0) {
      if (-r === ENOENT) return undefined;
      throw new FfiError(
        `expected to look up a key in map '${this.name}', found ${errText(-r)}`,
        -r,
      );
    }
    return bytes;
  }

  /**
   * Sets the value under `key`. Keys and values may be bytes, views, plain
   * objects or numbers, as their BTF types take them; a per-CPU map takes
   * an array with one value per possible CPU, or one value for every CPU.
   */
  update(key: MapInput<K>, value: MapInput<V>, flags: UpdateFlags = "any"): void {
    const k = this.#encode(this.#side("key"), key);
    let v: Uint8Array<ArrayBuffer>;
    if (this.perCpu && !(value instanceof Uint8Array)) {
      const { bytes, stride, n } = this.#valueBuffer();
      const vals = Array.isArray(value) ? value : new Array(n).fill(value);
      if (vals.length !== n) {
        throw new FfiError(
          `expected ${n} values (one per possible CPU) for per-CPU map '${this.name}', found ${vals.length}`,
        );
      }
      const side = this.#side("value");
      for (let i = 0; i < n; i++) bytes.set(this.#encode(side, vals[i]), i * stride);
      v = bytes;
    } else if (this.perCpu) {
      v = value as Uint8Array<ArrayBuffer>;
      const want = this.#valueBuffer().bytes.length;
      if (v.length !== want) {
        throw new FfiError(
          `expected ${want} bytes (all CPUs' values) for per-CPU map '${this.name}', found ${v.length}`,
        );
      }
    } else v = this.#encode(this.#side("value"), value);
    const f = flags === "any" ? 0 : flags === "noexist" ? 1 : flags === "exist" ? 2 : flags;
    if (typeof f !== "number" || !Number.isInteger(f) || f < 0) {
      throw new FfiError(
        `expected update flags "any", "noexist", "exist" or a BPF_* number, found ${String(flags)}`,
      );
    }
    const r = libbpf().bpf_map_update_elem(this.fd, k, v, BigInt(f));
    if (r < 0) {
      throw new FfiError(
        `expected to update an entry of map '${this.name}', found ${errText(-r)}`,
        -r,
      );
    }
  }

  /** Deletes the entry under `key`; false if there was none. */
  delete(key: MapInput<K>): boolean {
    const k = this.#encode(this.#side("key"), key);
    const r = libbpf().bpf_map_delete_elem(this.fd, k);
    if (r < 0) {
      if (-r === ENOENT) return false;
      throw new FfiError(
        `expected to delete an entry of map '${this.name}', found ${errText(-r)}`,
        -r,
      );
    }
    return true;
  }

  /** The keys, one by one (`BPF_MAP_GET_NEXT_KEY`), each read from its own bytes. */
  *keys<RK = MapValue<K>>(options?: ViewOptions): Generator<NoInfer<RK>> {
    const side = this.#side("key", options);
    for (const k of this.#keyBytes()) yield side.read(k, 0) as RK;
  }

  *#keyBytes(): Generator<Uint8Array<ArrayBuffer>> {
    const size = this.keySize;
    let prev: Uint8Array<ArrayBuffer> | null = null;
    for (;;) {
      const next: Uint8Array<ArrayBuffer> = new Uint8Array(size);
      const r = libbpf().bpf_map_get_next_key(this.fd, prev, next);
      if (r < 0) {
        if (-r === ENOENT) return;
        throw new FfiError(
          `expected the next key of map '${this.name}', found ${errText(-r)}`,
          -r,
        );
      }
      yield next;
      prev = next;
    }
  }

  /**
   * Every entry as `[key, value]`, read in batches where the kernel can
   * (`BPF_MAP_LOOKUP_BATCH`: one call for the whole map, keys and values in
   * two buffers that the views read in place), else key by key. Values as
   * {@link lookup} gives them.
   */
  entries<RK = MapValue<K>, RV = MapValue<V>>(options?: ViewOptions): NoInfer<[RK, RV][]> {
    const batched = this.#batch(options) as [RK, RV][] | undefined;
    if (batched) return batched;
    const out: [unknown, unknown][] = [];
    const key = this.#side("key", options);
    const value = this.#side("value", options);
    for (const k of this.#keyBytes()) {
      const { bytes, stride, n } = this.#valueBuffer();
      const r = libbpf().bpf_map_lookup_elem(this.fd, k, bytes);
      if (r < 0) {
        if (-r === ENOENT) continue; // deleted meanwhile
        throw new FfiError(
          `expected to look up a key in map '${this.name}', found ${errText(-r)}`,
          -r,
        );
      }
      out.push([key.read(k, 0), this.#readValues(value, bytes, 0, stride, n)]);
    }
    return out as [RK, RV][];
  }

  /** Batched lookup of every entry, or undefined where the kernel does not batch this map. */
  #batch(options?: ViewOptions): [unknown, unknown][] | undefined {
    const key = this.#side("key", options);
    const value = this.#side("value", options);
    const { stride, n } = this.#valueBuffer();
    const out: [unknown, unknown][] = [];
    const ok = this.#walkBatch(true, (keys, ko, values, vo) => {
      out.push([key.read(keys, ko), this.#readValues(value, values, vo, stride, n)]);
    });
    return ok ? out : undefined;
  }

  /**
   * Walks every entry with `BPF_MAP_LOOKUP_BATCH`, calling `visit` with the
   * batch buffers and the entry's offsets in them. `fresh`: new buffers per
   * batch (the caller keeps views over them); else the map's own buffers,
   * reused from call to call. False where the kernel does not batch this map.
   */
  #walkBatch(
    fresh: boolean,
    visit: (keys: Uint8Array, keyOff: number, values: Uint8Array, valueOff: number) => void,
  ): boolean {
    const fd = this.fd;
    const keySize = this.keySize;
    const cap = Math.max(1, Math.min(this.maxEntries, 1 << 16));
    const { stride, n } = this.#valueBuffer();
    const entry = stride * n;
    const token = Math.max(keySize, 8);
    let bufs = fresh ? undefined : this.#batchBufs;
    if (!bufs || bufs.keys.length !== cap * keySize || bufs.values.length !== cap * entry) {
      bufs = {
        keys: new Uint8Array(cap * keySize),
        values: new Uint8Array(cap * entry),
        tokens: [new Uint8Array(token), new Uint8Array(token)],
        count: new Uint32Array(1),
      };
      if (!fresh) this.#batchBufs = bufs;
    }
    const countBytes = new Uint8Array(bufs.count.buffer);
    let inBatch: Uint8Array<ArrayBuffer> | null = null;
    for (let round = 0;; round++) {
      const outBatch = bufs.tokens[round & 1];
      if (fresh && round > 0) {
        bufs = {
          ...bufs,
          keys: new Uint8Array(cap * keySize),
          values: new Uint8Array(cap * entry),
        };
      }
      bufs.count[0] = cap;
      const r = libbpf().bpf_map_lookup_batch(
        fd,
        inBatch,
        outBatch,
        bufs.keys,
        bufs.values,
        countBytes,
        null,
      );
      const err = r < 0 ? -r : 0;
      if (err && err !== ENOENT) {
        if (round === 0 && (err === EINVAL || err === EOPNOTSUPP || err === ENOTSUPP)) {
          return false;
        }
        throw new FfiError(
          `expected a batch of entries of map '${this.name}', found ${errText(err)}`,
          err,
        );
      }
      const got = bufs.count[0];
      for (let i = 0; i < got; i++) visit(bufs.keys, i * keySize, bufs.values, i * entry);
      if (err === ENOENT) return true;
      if (fresh) bufs.tokens = [new Uint8Array(token), new Uint8Array(token)];
      inBatch = outBatch;
    }
  }

  /**
   * Calls `fn` with every entry, read in one batch into buffers the map
   * keeps and reuses from call to call: a histogram read once a second
   * costs its bytes and one syscall, nothing per entry. The key and value
   * given to `fn` are cursors: one view each (or plain values for scalar
   * types), rebound to the next entry after `fn` returns: read them in
   * `fn`, keep `toObject()` if you need them later (the same cursors serve
   * the next read). Per-CPU values are an array of one cursor per CPU.
   * Returns the entry count.
   */
  forEach<RK = MapValue<K>, RV = MapValue<V>>(
    fn: NoInfer<(key: RK, value: RV, index: number) => void>,
    options?: ViewOptions,
  ): number {
    const { stride, n } = this.#valueBuffer();
    // The cursors (one view each, rebound per entry) are kept for the next
    // read when the options are plain: a read then allocates nothing per entry.
    const plain = !options?.fields && !options?.types;
    const cacheKey = `${options?.int64 ?? ""}|${options?.enums ?? ""}`;
    let cursors = plain ? this.#cursors.get(cacheKey) : undefined;
    if (!cursors) {
      cursors = {
        keyAt: this.#cursor("key", options),
        valueAts: Array.from({ length: this.perCpu ? n : 1 }, () => this.#cursor("value", options)),
      };
      if (plain) this.#cursors.set(cacheKey, cursors);
    }
    const { keyAt, valueAts } = cursors;
    const perCpu: unknown[] = new Array(valueAts.length);
    const isPerCpuMap = this.perCpu; // read once: each getter is a libbpf call
    let i = 0;
    const visit = (keys: Uint8Array, ko: number, values: Uint8Array, vo: number) => {
      const k = keyAt(keys, ko);
      let v: unknown;
      if (isPerCpuMap) {
        for (let c = 0; c < valueAts.length; c++) perCpu[c] = valueAts[c](values, vo + c * stride);
        v = perCpu;
      } else v = valueAts[0](values, vo);
      fn(k as RK, v as RV, i++);
    };
    if (this.#walkBatch(false, visit)) return i;
    // Key by key: two key buffers in turn and one value buffer, reused.
    const size = this.keySize;
    const keyBufs = [new Uint8Array(size), new Uint8Array(size)];
    const value = this.#valueBuffer().bytes;
    let prev: Uint8Array<ArrayBuffer> | null = null;
    for (let round = 0;; round++) {
      const next = keyBufs[round & 1];
      const r = libbpf().bpf_map_get_next_key(this.fd, prev, next);
      if (r < 0) {
        if (-r === ENOENT) return i;
        throw new FfiError(`expected the next key of map '${this.name}', found ${errText(-r)}`, -r);
      }
      prev = next;
      if (libbpf().bpf_map_lookup_elem(this.fd, next, value) < 0) continue; // deleted meanwhile
      visit(next, 0, value, 0);
    }
  }

  /** A reader of keys or values that reuses one view per buffer (see {@link forEach}). */
  #cursor(what: "key" | "value", options?: ViewOptions): (b: Uint8Array, off: number) => unknown {
    const side = this.#side(what, options);
    const btf = this.btf;
    const rid = side.type !== 0 && btf ? resolveType(btf, side.type) : 0;
    const k = rid !== 0 ? btf!.kindOf(rid) : -1;
    if (k !== Kind.STRUCT && k !== Kind.UNION) return side.read;
    const V = btf!.view(rid, options);
    let view: View | undefined;
    let bound: Uint8Array | undefined;
    return (b, off) => {
      if (bound !== b || !view) {
        view = new V(b, off) as View;
        bound = b;
        return view;
      }
      return view.rebind(off);
    };
  }
}
