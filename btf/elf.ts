/**
 * Just enough ELF to find the `.BTF` section of an object file such as the
 * output of `clang -g -target bpf`, and its sections and symbols (what the
 * data sections' layout needs, see `datasec.ts`).
 *
 * @module
 */

import { BtfError } from "./error.ts";

/**
 * Where a section lies in an ELF file.
 *
 * @example
 * ```ts
 * import { findElfSection } from "@bpfview/bpfview";
 * const bytes = Deno.readFileSync("prog.bpf.o");
 * const sec = findElfSection(bytes, ".BTF");
 * if (sec) console.log(sec.offset, sec.size);
 * ```
 */
export interface ElfSection {
  /** Section name. */
  readonly name: string;
  /** File offset of the section's bytes. */
  readonly offset: number;
  /** Size in bytes. */
  readonly size: number;
  /** Whether the file is little-endian. */
  readonly littleEndian: boolean;
}

/**
 * True if the bytes start with the ELF magic.
 *
 * @example
 * ```ts
 * import { isElf } from "@bpfview/bpfview";
 * console.log(isElf(new Uint8Array([0x7f, 0x45, 0x4c, 0x46]))); // true
 * ```
 */
export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c &&
    bytes[3] === 0x46;
}

/**
 * Finds a section by name in an ELF32 or ELF64 file of either byte order.
 * Returns `undefined` if there is no such section; throws {@link BtfError}
 * if the ELF headers are malformed.
 *
 * @example
 * ```ts
 * import { findElfSection } from "@bpfview/bpfview";
 * const btf = findElfSection(Deno.readFileSync("prog.bpf.o"), ".BTF");
 * ```
 */
export function findElfSection(bytes: Uint8Array, name: string): ElfSection | undefined {
  const { sections, littleEndian } = readSections(bytes);
  const s = sections.find((x) => x.name === name);
  if (!s) return undefined;
  checkRange(bytes, s.offset, s.size, `section ${name}`, s.headerAt);
  return { name, offset: s.offset, size: s.size, littleEndian };
}

/**
 * One section header of an ELF file.
 *
 * @example
 * ```ts
 * import { elfSections } from "@bpfview/bpfview";
 * for (const s of elfSections(Deno.readFileSync("prog.bpf.o"))) console.log(s.index, s.name, s.size);
 * ```
 */
export interface ElfSectionHeader {
  /** Section index (what a symbol's `st_shndx` names). */
  readonly index: number;
  /** Section name ("" when its name is out of range). */
  readonly name: string;
  /** `sh_type` (1 PROGBITS, 2 SYMTAB, 3 STRTAB, 8 NOBITS, ...). */
  readonly type: number;
  /** File offset of its bytes. */
  readonly offset: number;
  /** Size in bytes (of memory, for NOBITS sections like `.bss`). */
  readonly size: number;
  /** `sh_link` (a symbol table's string table). */
  readonly link: number;
  /** @internal File offset of the header itself, for messages. */
  readonly headerAt: number;
}

/**
 * The section headers of an ELF file. Throws {@link BtfError} for a file
 * that is not ELF or whose headers lie outside it.
 *
 * @example
 * ```ts
 * import { elfSections } from "@bpfview/bpfview";
 * const names = elfSections(Deno.readFileSync("prog.bpf.o")).map((s) => s.name);
 * ```
 */
export function elfSections(bytes: Uint8Array): ElfSectionHeader[] {
  return readSections(bytes).sections;
}

function readSections(
  bytes: Uint8Array,
): { sections: ElfSectionHeader[]; littleEndian: boolean; is64: boolean } {
  if (!isElf(bytes)) {
    throw new BtfError(
      `expected ELF magic 7f 45 4c 46, found ${hex(bytes.subarray(0, 4))}`,
      0,
    );
  }
  if (bytes.length < 52) {
    throw new BtfError(`expected an ELF header of at least 52 bytes, found ${bytes.length}`, 0);
  }
  const cls = bytes[4];
  if (cls !== 1 && cls !== 2) throw new BtfError(`expected ELF class 1 or 2, found ${cls}`, 4);
  const data = bytes[5];
  if (data !== 1 && data !== 2) {
    throw new BtfError(`expected ELF data encoding 1 or 2, found ${data}`, 5);
  }
  const le = data === 1;
  const is64 = cls === 2;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = is64 ? 64 : 52;
  if (bytes.length < need) {
    throw new BtfError(`expected an ELF header of ${need} bytes, found ${bytes.length}`, 0);
  }
  const shoff = is64 ? num64(dv, 0x28, le) : dv.getUint32(0x20, le);
  const shentsize = dv.getUint16(is64 ? 0x3a : 0x2e, le);
  let shnum = dv.getUint16(is64 ? 0x3c : 0x30, le);
  let shstrndx = dv.getUint16(is64 ? 0x3e : 0x32, le);
  if (shoff === 0) return { sections: [], littleEndian: le, is64 };
  const entMin = is64 ? 64 : 40;
  if (shentsize < entMin) {
    throw new BtfError(
      `expected section header size >= ${entMin}, found ${shentsize}`,
      is64 ? 0x3a : 0x2e,
    );
  }
  const sh = (i: number) => {
    const at = shoff + i * shentsize;
    if (at + entMin > bytes.length || at < 0) {
      throw new BtfError(
        `expected section header ${i} within the ${bytes.length}-byte file, found it at ${at}`,
        at,
      );
    }
    return is64
      ? {
        at,
        name: dv.getUint32(at, le),
        type: dv.getUint32(at + 4, le),
        offset: num64(dv, at + 0x18, le),
        size: num64(dv, at + 0x20, le),
        link: dv.getUint32(at + 0x28, le),
      }
      : {
        at,
        name: dv.getUint32(at, le),
        type: dv.getUint32(at + 4, le),
        offset: dv.getUint32(at + 0x10, le),
        size: dv.getUint32(at + 0x14, le),
        link: dv.getUint32(at + 0x18, le),
      };
  };
  // Extended numbering: counts live in section 0.
  if (shnum === 0) shnum = sh(0).size;
  if (shstrndx === 0xffff) shstrndx = sh(0).link;
  if (shnum > 65536 * 16) {
    throw new BtfError(`expected a plausible section count, found ${shnum}`, is64 ? 0x3c : 0x30);
  }
  if (shstrndx >= shnum) {
    throw new BtfError(`expected section name table index < ${shnum}, found ${shstrndx}`, 0);
  }
  const strs = sh(shstrndx);
  checkRange(bytes, strs.offset, strs.size, "section name table", strs.at);
  const names = bytes.subarray(strs.offset, strs.offset + strs.size);
  const sections: ElfSectionHeader[] = [];
  for (let i = 0; i < shnum; i++) {
    const s = sh(i);
    sections.push({
      index: i,
      name: s.name < names.length ? cString(names, s.name) : "",
      type: s.type,
      offset: s.offset,
      size: s.size,
      link: s.link,
      headerAt: s.at,
    });
  }
  return { sections, littleEndian: le, is64 };
}

/**
 * One symbol of an ELF file's `.symtab`.
 *
 * @example
 * ```ts
 * import { elfSymbols } from "@bpfview/bpfview";
 * const globals = elfSymbols(Deno.readFileSync("prog.bpf.o")).filter((s) => s.type === 1);
 * ```
 */
export interface ElfSymbol {
  /** Symbol name. */
  readonly name: string;
  /** `st_value`: for an object file's variable, its offset in its section. */
  readonly value: number;
  /** `st_size` in bytes. */
  readonly size: number;
  /** `ST_TYPE(st_info)`: 0 NOTYPE, 1 OBJECT, 2 FUNC, 3 SECTION, 4 FILE. */
  readonly type: number;
  /** `ST_BIND(st_info)`: 0 LOCAL, 1 GLOBAL, 2 WEAK. */
  readonly bind: number;
  /** `st_shndx`: the index of its section (see {@link elfSections}). */
  readonly section: number;
}

/**
 * The symbols of an ELF file's symbol table (`.symtab`, SHT_SYMTAB), or
 * none when it has no symbol table. Throws {@link BtfError} when the
 * table lies outside the file.
 *
 * @example
 * ```ts
 * import { elfSymbols } from "@bpfview/bpfview";
 * for (const s of elfSymbols(Deno.readFileSync("prog.bpf.o"))) console.log(s.name, s.value);
 * ```
 */
export function elfSymbols(bytes: Uint8Array): ElfSymbol[] {
  const { sections, littleEndian: le, is64 } = readSections(bytes);
  const symtab = sections.find((s) => s.type === 2);
  if (!symtab) return [];
  checkRange(bytes, symtab.offset, symtab.size, "symbol table", symtab.headerAt);
  const strtab = sections[symtab.link];
  if (!strtab) {
    throw new BtfError(
      `expected the symbol table's string table (section ${symtab.link}), found none`,
      symtab.headerAt,
    );
  }
  checkRange(bytes, strtab.offset, strtab.size, "symbol string table", strtab.headerAt);
  const names = bytes.subarray(strtab.offset, strtab.offset + strtab.size);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ent = is64 ? 24 : 16;
  const out: ElfSymbol[] = [];
  for (let at = symtab.offset; at + ent <= symtab.offset + symtab.size; at += ent) {
    const name = dv.getUint32(at, le);
    const info = bytes[at + (is64 ? 4 : 12)];
    out.push({
      name: name < names.length ? cString(names, name) : "",
      value: is64 ? num64(dv, at + 8, le) : dv.getUint32(at + 4, le),
      size: is64 ? num64(dv, at + 16, le) : dv.getUint32(at + 8, le),
      type: info & 0xf,
      bind: info >> 4,
      section: dv.getUint16(at + (is64 ? 6 : 14), le),
    });
  }
  return out;
}

const latin = new TextDecoder();

function cString(table: Uint8Array, off: number): string {
  const end = table.indexOf(0, off);
  return latin.decode(table.subarray(off, end < 0 ? table.length : end));
}

function num64(dv: DataView, at: number, le: boolean): number {
  const v = dv.getBigUint64(at, le);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

function checkRange(bytes: Uint8Array, off: number, size: number, what: string, at: number) {
  if (off + size > bytes.length) {
    throw new BtfError(
      `expected ${what} (${size} bytes at ${off}) within the ${bytes.length}-byte file, found it past the end`,
      at,
    );
  }
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ") || "nothing";
}
