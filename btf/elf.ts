/**
 * Just enough ELF to find the `.BTF` section of an object file such as the
 * output of `clang -g -target bpf`.
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
  if (shoff === 0) return undefined;
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
        offset: num64(dv, at + 0x18, le),
        size: num64(dv, at + 0x20, le),
        link: dv.getUint32(at + 0x28, le),
      }
      : {
        at,
        name: dv.getUint32(at, le),
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
  const want = new TextEncoder().encode(name);
  for (let i = 0; i < shnum; i++) {
    const s = sh(i);
    const nameAt = strs.offset + s.name;
    if (s.name >= strs.size) continue;
    let match = nameAt + want.length < strs.offset + strs.size;
    for (let j = 0; match && j < want.length; j++) match = bytes[nameAt + j] === want[j];
    if (!match || bytes[nameAt + want.length] !== 0) continue;
    checkRange(bytes, s.offset, s.size, `section ${name}`, s.at);
    return { name, offset: s.offset, size: s.size, littleEndian: le };
  }
  return undefined;
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
