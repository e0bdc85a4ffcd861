/**
 * The data sections' layout of a clang-built object: clang leaves every
 * DATASEC of `.rodata`, `.data`, `.bss` (and custom `.data.*` sections)
 * with size 0 and every variable at offset 0, for the loader to fill in;
 * libbpf does it from the ELF symbol table when it opens the object. This
 * does the same without libbpf, so the object's globals can be laid out and
 * decoded from the file alone.
 *
 * @module
 */

import { elfSections, elfSymbols, findElfSection } from "./elf.ts";
import { BtfError } from "./error.ts";
import { readHeader } from "./header.ts";
import { infoKind, infoVlen, Kind } from "./kinds.ts";
import { type Btf, parseBtf } from "./parse.ts";
import { buildIndex } from "./type_index.ts";

/**
 * The `.BTF` section of an ELF object with its DATASECs laid out as libbpf
 * lays them out on open: each data section's size from its section header,
 * each variable's offset from its symbol (`st_value`). DATASECs of
 * sections the object lacks (`.kconfig`, `.ksyms` externs) and variables
 * without a symbol are left as they are. Returns a copy; throws
 * {@link BtfError} for an object without `.BTF`.
 *
 * @example
 * ```ts
 * import { layoutDatasecs, parseBtf } from "@bpfview/bpfview";
 * const btf = parseBtf(layoutDatasecs(Deno.readFileSync("prog.bpf.o")));
 * console.log(btf.view(".bss").size); // the section's real size, not 0
 * ```
 */
export function layoutDatasecs(elf: Uint8Array): Uint8Array<ArrayBuffer> {
  const sec = findElfSection(elf, ".BTF");
  if (!sec) throw new BtfError("expected a .BTF section in the ELF object, found none");
  const out = elf.slice(sec.offset, sec.offset + sec.size);
  const h = readHeader(out, sec.offset, undefined);
  const typeOff = h.typeOff, strOff = h.strOff; // absolute
  const index = buildIndex({
    bytes: out,
    littleEndian: h.littleEndian,
    typeOff,
    typeLen: h.typeLen,
    startId: 1,
    fileOffset: sec.offset,
    layout: h.layout,
  });
  const le = h.littleEndian;
  const dv = new DataView(out.buffer);
  const dec = new TextDecoder();
  const nameAt = (off: number) => {
    if (off >= h.strLen) return "";
    const start = strOff + off;
    const end = out.indexOf(0, start);
    return dec.decode(
      out.subarray(start, end < 0 || end > strOff + h.strLen ? strOff + h.strLen : end),
    );
  };
  const recordAt = (id: number) => typeOff + 4 * index.at[id - 1];

  const sizes = new Map<string, number>();
  const sectionNames: string[] = [];
  for (const s of elfSections(elf)) {
    sizes.set(s.name, s.size);
    sectionNames[s.index] = s.name;
  }
  // Offsets of data symbols by section name and symbol name.
  const offsets = new Map<string, number>();
  for (const sym of elfSymbols(elf)) {
    if (sym.type !== 1 /* OBJECT */ && sym.type !== 0 /* NOTYPE */) continue;
    const where = sectionNames[sym.section];
    if (where !== undefined && sym.name) offsets.set(`${where}\0${sym.name}`, sym.value);
  }

  for (let id = 1; id <= index.n; id++) {
    const p = recordAt(id);
    const info = dv.getUint32(p + 4, le);
    if (infoKind(info) !== Kind.DATASEC) continue;
    const name = nameAt(dv.getUint32(p, le));
    const size = sizes.get(name);
    if (size === undefined) continue; // an extern section: nothing to lay out
    if (dv.getUint32(p + 8, le) === 0) dv.setUint32(p + 8, size, le);
    const vlen = infoVlen(info);
    for (let i = 0; i < vlen; i++) {
      const v = p + 12 + 12 * i;
      const varId = dv.getUint32(v, le);
      if (varId === 0 || varId > index.n) continue;
      const vp = recordAt(varId);
      if (infoKind(dv.getUint32(vp + 4, le)) !== Kind.VAR) continue;
      const off = offsets.get(`${name}\0${nameAt(dv.getUint32(vp, le))}`);
      if (off === undefined) continue;
      const varSize = dv.getUint32(v + 8, le);
      if (off + varSize > size) {
        throw new BtfError(
          `expected variable ${
            nameAt(dv.getUint32(vp, le))
          } (${varSize} bytes at ${off}) within section ${name} (${size} bytes), found it past the end`,
          sec.offset + v,
        );
      }
      dv.setUint32(v + 4, off, le);
    }
  }
  return out;
}

/**
 * The BTF of an ELF object with its data sections laid out (see
 * {@link layoutDatasecs}): what libbpf holds after opening the object.
 *
 * @example
 * ```ts
 * import { objectBtf } from "@bpfview/bpfview";
 * const btf = objectBtf(Deno.readFileSync("prog.bpf.o"));
 * console.log(btf.view(".rodata").fields.map((f) => f.bitOffset / 8));
 * ```
 */
export function objectBtf(elf: Uint8Array): Btf {
  return parseBtf(layoutDatasecs(elf));
}
