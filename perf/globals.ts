/**
 * Global variables of a BPF object (`.rodata`, `.data`, `.bss`, custom
 * `.data.*` / `.rodata.*` sections) as views of their DATASEC.
 *
 * Before load a view reads (and, where writable, writes) libbpf's copy of
 * the section: the initial value the maps are created with. After load it
 * reads the kernel's map itself, mapped into memory: `.data` and `.bss`
 * live and writable; `.rodata`, which the kernel froze, is a read-only
 * copy.
 *
 * @module
 */

import { encodeInto } from "../btf/encode.ts";
import { Kind } from "../btf/kinds.ts";
import type { Btf } from "../btf/parse.ts";
import type { View } from "../btf/view.ts";
import { FfiError } from "../ffi/error.ts";
import { errnoText, libc } from "../ffi/libc.ts";
import { libbpf } from "../ffi/libbpf.ts";
import { unmapKeepingViews, zeroPagesWhereUnmapped } from "../ffi/unmap.ts";
import { mmapShared } from "./shared_mmap.ts";
import type { BpfMap } from "./map.ts";

const BPF_F_MMAPABLE = 1 << 10;
const BPF_F_RDONLY_PROG = 1 << 7;

/** `size` rounded up to whole pages. */
function pages(size: number): number {
  const page = libc().getpagesize();
  return Math.ceil(size / page) * page;
}

/** A range of memory and the ArrayBuffer over (the start of) it. */
interface Mapped {
  ptr: Deno.PointerObject;
  /** Bytes mapped (whole pages). */
  length: number;
  buffer: ArrayBuffer;
}

/**
 * Native memory the views of globals read: libbpf's copies of the initial
 * values (libbpf maps them, and unmaps them when the object closes) and
 * this module's mappings of the kernel's maps. Held by the object's native
 * state, which refers to nothing else, so the object's finalizer can free
 * it. @internal
 */
export interface NativeMemory {
  initial: Mapped[];
  mappings: Mapped[];
}

/** Memory for globals, none yet. @internal */
export function noMemory(): NativeMemory {
  return { initial: [], mappings: [] };
}

/**
 * Before the object closes: unmaps this module's mappings, zero pages
 * taking their place until their buffers are collected (a view kept over
 * them reads zeros, never freed memory). @internal
 */
export function freeMemory(m: NativeMemory): void {
  for (const x of m.mappings) unmapKeepingViews(x.ptr, x.length, x.buffer);
  m.mappings = [];
}

/**
 * Right after the object closed (libbpf unmapped the initial values): zero
 * pages where they were, so a view kept over them reads zeros. @internal
 */
export function afterObjectClose(m: NativeMemory): void {
  for (const x of m.initial) zeroPagesWhereUnmapped(x.ptr, x.length, x.buffer);
  m.initial = [];
}

/** One data section's map and its views. */
interface Section {
  readonly map: BpfMap;
  readonly datasec: number;
  readonly readOnly: boolean;
  beforeBuf?: ArrayBuffer;
  afterBuf?: ArrayBuffer;
  before?: View;
  after?: View;
}

/**
 * Where a global variable lies.
 *
 * @example
 * ```ts
 * import { BpfObject } from "@bpfview/bpfview";
 * using obj = BpfObject.open("prog.bpf.o");
 * const v = obj.global("counter");
 * console.log(v.section, v.offset, v.size); // .bss 0 8
 * ```
 */
export interface GlobalVar {
  /** Its data section (`.rodata`, `.bss`, ...). */
  readonly section: string;
  /** Its type id in the object's BTF. */
  readonly type: number;
  /** Its byte offset in the section. */
  readonly offset: number;
  /** Its size in bytes. */
  readonly size: number;
}

/** The global variables of one object. @internal */
export class Globals {
  #btf: Btf | undefined;
  #sections = new Map<string, Section>();
  #memory: NativeMemory;

  constructor(btf: Btf | undefined, maps: Iterable<BpfMap>, memory: NativeMemory) {
    this.#btf = btf;
    this.#memory = memory;
    if (!btf) return;
    for (const m of maps) {
      if (!m.internal) continue;
      const id = m.valueType;
      if (id === 0 || btf.kindOf(id) !== Kind.DATASEC) continue;
      const name = btf.nameOf(id);
      this.#sections.set(name, {
        map: m,
        datasec: id,
        readOnly: name.startsWith(".rodata") || (m.flags & BPF_F_RDONLY_PROG) !== 0,
      });
    }
  }

  /** Section names with a view (`.rodata`, `.data`, `.bss`, ...). */
  get names(): string[] {
    return [...this.#sections.keys()];
  }

  /** The section `name`, or a FfiError listing those there are. */
  #section(name: string, objectName: string): Section {
    const s = this.#sections.get(name);
    if (!s) {
      const have = this.names;
      throw new FfiError(
        `expected a data section '${name}' with BTF in object '${objectName}', found ${
          this.#btf ? (have.length ? `only ${have.join(", ")}` : "no data sections") : "no BTF"
        }`,
      );
    }
    return s;
  }

  /** The memory of a section for the object's current state. */
  #buffer(s: Section, loaded: boolean): ArrayBuffer {
    if (!loaded) return s.beforeBuf ??= this.#initial(s);
    return s.afterBuf ??= this.#mapped(s);
  }

  /** The view of section `name` for the object's current state. */
  view(name: string, loaded: boolean, objectName: string): View {
    const s = this.#section(name, objectName);
    if (!loaded) return s.before ??= this.#bind(s, this.#buffer(s, loaded), true);
    return s.after ??= this.#bind(s, this.#buffer(s, loaded), !s.readOnly);
  }

  /**
   * The variable `name`: searched in `.rodata`, `.data`, `.bss`, then the
   * other sections; `SECTION:NAME` (`.data.custom:counter`) names the section.
   */
  find(name: string, objectName: string): GlobalVar {
    const colon = name.lastIndexOf(":");
    const sections = colon > 0
      ? [name.slice(0, colon)]
      : [".rodata", ".data", ".bss", ...this.names.filter((n) => !/^\.(rodata|data|bss)$/.test(n))];
    const varName = colon > 0 ? name.slice(colon + 1) : name;
    const btf = this.#btf;
    for (const secName of sections) {
      const s = colon > 0 ? this.#section(secName, objectName) : this.#sections.get(secName);
      if (!s || !btf) continue;
      const t = btf.type(s.datasec);
      if (t.kind !== Kind.DATASEC) continue;
      for (const v of t.vars) {
        if (v.type === 0 || btf.kindOf(v.type) !== Kind.VAR) continue;
        const vt = btf.type(v.type) as { name: string; type: number };
        if (vt.name === varName) {
          return { section: secName, type: vt.type, offset: v.offset, size: v.size };
        }
      }
    }
    const all = this.names.flatMap((n) => {
      const t = btf!.type(this.#sections.get(n)!.datasec);
      return t.kind === Kind.DATASEC
        ? t.vars.map((v) => btf!.nameOf(v.type)).filter((x) => x && !x.startsWith("."))
        : [];
    });
    throw new FfiError(
      `expected a global variable '${name}' in object '${objectName}', found ${
        all.length ? `only ${all.slice(0, 20).join(", ")}${all.length > 20 ? ", ..." : ""}` : "none"
      }`,
    );
  }

  /**
   * Writes `value` into global `name` (see {@link find}), checked against
   * its BTF type. Before load: the value the map is created with. After
   * load: the live map; `.rodata` is read-only then.
   */
  set(name: string, value: unknown, loaded: boolean, objectName: string): void {
    const g = this.find(name, objectName);
    const s = this.#sections.get(g.section)!;
    if (loaded && s.readOnly) {
      throw new FfiError(
        `expected to set '${name}' before load, found object '${objectName}' loaded: ${g.section} is read-only in the kernel`,
      );
    }
    const buf = this.#buffer(s, loaded);
    encodeInto(this.#btf!, g.type, value, new DataView(buf), g.offset, name);
  }

  #bind(s: Section, buffer: ArrayBuffer, writable: boolean): View {
    const V = this.#btf!.view(s.datasec, { writable });
    return new V(buffer);
  }

  /** libbpf's copy of the initial value, in place. */
  #initial(s: Section): ArrayBuffer {
    const sizeOut = new BigUint64Array(1);
    const p = libbpf().bpf_map__initial_value(
      s.map.pointer("the initial value"),
      new Uint8Array(sizeOut.buffer),
    );
    const size = Number(sizeOut[0]);
    if (p === null || size === 0) {
      throw new FfiError(`expected the initial value of section '${s.map.name}', found none`);
    }
    const ab = Deno.UnsafePointerView.getArrayBuffer(p, size);
    this.#memory.initial.push({ ptr: p, length: pages(size), buffer: ab });
    return ab;
  }

  /** The kernel's map, mapped (or a copy where the map cannot be mapped). */
  #mapped(s: Section): ArrayBuffer {
    const size = s.map.valueSize;
    const fd = s.map.fd;
    // A read-only section (frozen .rodata) never changes: a copy reads the same and
    // cannot fault on a write through a typed array of the view.
    if ((s.map.flags & BPF_F_MMAPABLE) === 0 || s.readOnly) {
      const copy = new ArrayBuffer(size);
      const r = libbpf().bpf_map_lookup_elem(fd, new Uint32Array(1), new Uint8Array(copy));
      if (r < 0) {
        throw new FfiError(
          `expected to read section '${s.map.name}' from its map, found ${errnoText(-r)}`,
          -r,
        );
      }
      return copy;
    }
    const length = pages(size);
    const ptr = mmapShared(fd, length, true, 0, `section '${s.map.name}' (${length} bytes)`);
    const ab = Deno.UnsafePointerView.getArrayBuffer(ptr, size);
    this.#memory.mappings.push({ ptr, length, buffer: ab });
    return ab;
  }

  /** Forgets the sections (their memory is freed with the object's native state). */
  close(): void {
    this.#sections.clear();
  }
}
