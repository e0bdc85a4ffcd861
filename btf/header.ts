/**
 * The BTF header (`struct btf_header`): magic and byte order, version, and
 * where the type, string and kind layout sections lie, each checked against
 * the blob.
 *
 * Since Linux 7.1 the header is 32 bytes: `layout_off` and `layout_len`
 * (relative to the end of the header, like the others) describe an optional
 * kind layout section between the types and the strings: one
 * `struct btf_layout { u8 info_sz; u8 elem_sz; u16 flags; }` per kind the
 * encoder knew, so a reader can step over kinds it does not know. A
 * 24-byte header (older encoders) has no layout section. Header bytes past
 * the 32 this reader knows must be zero.
 *
 * @module
 */

import { BtfError } from "./error.ts";

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

/** The shortest header: the fields before the kind layout section was added. */
export const HEADER_LEN = 24;
/** Length of the header fields this reader knows (with `layout_off`, `layout_len`). */
export const KNOWN_HEADER_LEN = 32;
/** Size of one `struct btf_layout` entry. */
export const LAYOUT_ENTRY = 4;

/**
 * How a kind's records are laid out: one entry of the kind layout section
 * (`struct btf_layout`).
 *
 * @example
 * ```ts
 * import type { KindLayout } from "@bpfview/bpfview";
 * const recordBytes = (l: KindLayout, vlen: number) => 12 + l.infoSize + vlen * l.elemSize;
 * ```
 */
export interface KindLayout {
  /** Bytes of the single element after `btf_type`. */
  readonly infoSize: number;
  /** Bytes of each of the vlen elements after that. */
  readonly elemSize: number;
  /** The entry's flags (unused so far). */
  readonly flags: number;
}

/**
 * A checked BTF header; section offsets are absolute in the blob (the
 * header's own are relative to its end).
 *
 * @example
 * ```ts
 * import { loadBtf } from "@bpfview/bpfview";
 * const h = loadBtf().header;
 * console.log(h.hdrLen, h.typeLen, h.strLen, h.layoutLen);
 * ```
 */
export interface BtfHeader {
  /** Byte order (from the magic). */
  readonly littleEndian: boolean;
  /** The flags byte. */
  readonly flags: number;
  /** `hdr_len`: 24 for older encoders, 32 with the layout fields. */
  readonly hdrLen: number;
  /** Absolute offset of the type section. */
  readonly typeOff: number;
  /** Length of the type section. */
  readonly typeLen: number;
  /** Absolute offset of the string section. */
  readonly strOff: number;
  /** Length of the string section. */
  readonly strLen: number;
  /** Absolute offset of the kind layout section. */
  readonly layoutOff: number;
  /** Length of the kind layout section (0: none). */
  readonly layoutLen: number;
  /** The kind layout section's entries, by kind number (undefined: no section). */
  readonly layout: readonly KindLayout[] | undefined;
}

/**
 * Reads and checks the header of `bytes`. `base` is the base BTF's byte
 * order for split BTF (its strings come first, so this blob's string
 * section need not start with an empty string).
 */
export function readHeader(
  bytes: Uint8Array,
  fileOffset: number,
  base: { littleEndian: boolean } | undefined,
): BtfHeader {
  const at = (n: number) => fileOffset + n;
  if (bytes.length < HEADER_LEN) {
    throw new BtfError(
      `expected a BTF header of ${HEADER_LEN} bytes, found ${bytes.length} bytes`,
      at(0),
    );
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = dv.getUint16(0, true);
  let le: boolean;
  if (magic === BTF_MAGIC) le = true;
  else if (magic === 0x9feb) le = false;
  else {
    throw new BtfError(
      `expected BTF magic 0xeb9f, found 0x${magic.toString(16).padStart(4, "0")}`,
      at(0),
    );
  }
  const version = bytes[2];
  if (version !== 1) throw new BtfError(`expected BTF version 1, found ${version}`, at(2));
  const flags = bytes[3];
  const hdrLen = dv.getUint32(4, le);
  if (hdrLen < HEADER_LEN || hdrLen > bytes.length) {
    throw new BtfError(
      `expected a header length between ${HEADER_LEN} and ${bytes.length}, found ${hdrLen}`,
      at(4),
    );
  }
  // A longer header must be zero-filled past the fields we know.
  for (let i = KNOWN_HEADER_LEN; i < hdrLen; i++) {
    if (bytes[i] !== 0) {
      throw new BtfError(`expected zero in the unknown header tail, found ${bytes[i]}`, at(i));
    }
  }
  const typeOff = dv.getUint32(8, le);
  const typeLen = dv.getUint32(12, le);
  const strOff = dv.getUint32(16, le);
  const strLen = dv.getUint32(20, le);
  // layout_off and layout_len, where the header holds them (fields past
  // hdr_len read as zero, as libbpf reads them).
  const layoutOff = hdrLen >= 28 ? dv.getUint32(24, le) : 0;
  const layoutLen = hdrLen >= KNOWN_HEADER_LEN ? dv.getUint32(28, le) : 0;
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
      }) and string section [${strOff}, ${strOff + strLen}) not to overlap, found them overlapping`,
      at(8),
    );
  }
  if (layoutLen !== 0) checkLayout(typeOff, typeLen, strOff, layoutOff, layoutLen, at);
  if (!base) {
    if (strLen === 0 || bytes[hdrLen + strOff] !== 0) {
      throw new BtfError(
        `expected the string section to start with an empty string, found ${
          strLen === 0 ? "an empty section" : `byte ${bytes[hdrLen + strOff]}`
        }: this looks like split BTF (module BTF), which needs its base BTF (--base in the CLI, { base } in parseBtf/loadBtf)`,
        at(hdrLen + strOff),
      );
    }
  } else if (base.littleEndian !== le) {
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
  return {
    littleEndian: le,
    flags,
    hdrLen,
    typeOff: hdrLen + typeOff,
    typeLen,
    strOff: hdrLen + strOff,
    strLen,
    layoutOff: hdrLen + layoutOff,
    layoutLen,
    layout: layoutLen ? readLayout(dv, hdrLen + layoutOff, layoutLen, le) : undefined,
  };
}

/**
 * Checks the kind layout section's place as libbpf does: 4-byte aligned,
 * after the type section, before the string section, whole entries.
 */
function checkLayout(
  typeOff: number,
  typeLen: number,
  strOff: number,
  layoutOff: number,
  layoutLen: number,
  at: (n: number) => number,
): void {
  if (layoutOff % 4 !== 0) {
    throw new BtfError(`expected a 4-aligned layout_off, found ${layoutOff}`, at(24));
  }
  if (layoutLen % LAYOUT_ENTRY !== 0) {
    throw new BtfError(
      `expected a layout_len that is a multiple of ${LAYOUT_ENTRY} (struct btf_layout), found ${layoutLen}`,
      at(28),
    );
  }
  if (layoutOff < typeOff + typeLen) {
    throw new BtfError(
      `expected the kind layout section (${layoutLen} bytes at ${layoutOff}) after the type section [${typeOff}, ${
        typeOff + typeLen
      }), found it before its end`,
      at(24),
    );
  }
  if (layoutOff + layoutLen > strOff) {
    throw new BtfError(
      `expected the kind layout section [${layoutOff}, ${
        layoutOff + layoutLen
      }) before the string section at ${strOff}, found it past that`,
      at(24),
    );
  }
}

/** The layout section's entries; `flags` is the one field wider than a byte. */
function readLayout(dv: DataView, off: number, len: number, le: boolean): KindLayout[] {
  const out: KindLayout[] = [];
  for (let p = off; p < off + len; p += LAYOUT_ENTRY) {
    out.push({
      infoSize: dv.getUint8(p),
      elemSize: dv.getUint8(p + 1),
      flags: dv.getUint16(p + 2, le),
    });
  }
  return out;
}
