/**
 * Maps of a BPF object: their type, sizes and BTF.
 *
 * @module
 */

import type { Btf } from "../btf/parse.ts";
import { FfiError } from "../ffi/error.ts";
import { libbpf, readCString, typeName } from "../ffi/libbpf.ts";
import type { Owner } from "./program.ts";

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
 */
export class BpfMap {
  /** The map's name (an internal map's is its section, e.g. `.rodata`). */
  readonly name: string;
  /** The object's BTF, which {@link keyType} and {@link valueType} index (undefined without BTF). */
  readonly btf: Btf | undefined;
  #ptr: Deno.PointerObject;
  #owner: Owner;

  /** @internal Made by {@link BpfObject}. */
  constructor(owner: Owner, ptr: Deno.PointerObject, btf: Btf | undefined, name: string) {
    this.#owner = owner;
    this.#ptr = ptr;
    this.btf = btf;
    this.name = name;
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
    return libbpf().bpf_map__type(this.pointer("the type"));
  }

  /** The map type as libbpf names it (`hash`, `array`, `ringbuf`, `percpu_array`). */
  get typeName(): string {
    return typeName("map", this.type);
  }

  /** Key size in bytes. */
  get keySize(): number {
    return libbpf().bpf_map__key_size(this.pointer("the key size"));
  }

  /** Value size in bytes (per CPU, for per-CPU maps). */
  get valueSize(): number {
    return libbpf().bpf_map__value_size(this.pointer("the value size"));
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
}
