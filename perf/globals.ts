/**
 * Global variables of a BPF object (`.rodata`, `.data`, `.bss`, custom
 * `.data.*` / `.rodata.*` sections) as views of their DATASEC.
 *
 * Before load a view reads (and, where writable, writes) libbpf's copy of
 * the section: the initial value the maps are created with. After load it
 * reads the kernel's map itself, mapped into memory: `.data` and `.bss`
 * live and writable, `.rodata` read-only (the kernel froze it).
 *
 * @module
 */

import { Kind } from "../btf/kinds.ts";
import type { Btf } from "../btf/parse.ts";
import type { View } from "../btf/view.ts";
import { FfiError } from "../ffi/error.ts";
import { errno, errnoText, libc } from "../ffi/libc.ts";
import { libbpf } from "../ffi/libbpf.ts";
import type { BpfMap } from "./map.ts";

const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 1;
const MAP_FAILED = 0xffffffffffffffffn;
const BPF_F_MMAPABLE = 1 << 10;
const BPF_F_RDONLY_PROG = 1 << 7;

interface Mapping {
  ptr: Deno.PointerObject;
  length: number;
}

/** One data section's map and its views. */
interface Section {
  readonly map: BpfMap;
  readonly datasec: number;
  readonly readOnly: boolean;
  before?: View;
  after?: View;
}

/** The global variables of one object. @internal */
export class Globals {
  #btf: Btf | undefined;
  #sections = new Map<string, Section>();
  #buffers: ArrayBuffer[] = [];
  #mappings: Mapping[] = [];

  constructor(btf: Btf | undefined, maps: Iterable<BpfMap>) {
    this.#btf = btf;
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

  /** The view of section `name` for the object's current state. */
  view(name: string, loaded: boolean, objectName: string): View {
    const s = this.#sections.get(name);
    if (!s) {
      const have = this.names;
      throw new FfiError(
        `expected a data section '${name}' with BTF in object '${objectName}', found ${
          this.#btf ? (have.length ? `only ${have.join(", ")}` : "no data sections") : "no BTF"
        }`,
      );
    }
    if (!loaded) return s.before ??= this.#bind(s, this.#initial(s));
    return s.after ??= this.#bind(s, this.#mapped(s));
  }

  #bind(s: Section, buffer: ArrayBuffer): View {
    const V = this.#btf!.view(s.datasec);
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
    this.#buffers.push(ab);
    return ab;
  }

  /** The kernel's map, mapped (or a copy where the map cannot be mapped). */
  #mapped(s: Section): ArrayBuffer {
    const size = s.map.valueSize;
    const fd = s.map.fd;
    if ((s.map.flags & BPF_F_MMAPABLE) === 0) {
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
    const page = libc().getpagesize();
    const length = Math.ceil(size / page) * page;
    const prot = s.readOnly ? PROT_READ : PROT_READ | PROT_WRITE;
    const ptr = libc().mmap(null, BigInt(length), prot, MAP_SHARED, fd, 0n);
    if (ptr === null || Deno.UnsafePointer.value(ptr) === MAP_FAILED) {
      const e = errno();
      throw new FfiError(
        `expected to mmap section '${s.map.name}' (${length} bytes), found ${errnoText(e)}`,
        e,
      );
    }
    this.#mappings.push({ ptr, length });
    const ab = Deno.UnsafePointerView.getArrayBuffer(ptr, size);
    this.#buffers.push(ab);
    return ab;
  }

  /** Detaches every view's buffer, then unmaps what this mapped. */
  close(): void {
    for (const ab of this.#buffers) if (!ab.detached) ab.transfer(0);
    this.#buffers = [];
    for (const m of this.#mappings) libc().munmap(m.ptr, BigInt(m.length));
    this.#mappings = [];
    this.#sections.clear();
  }
}
