/**
 * The BTF header (`struct btf_header`): magic and byte order, version, and
 * where the type and string sections lie, each checked against the blob.
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

/** Length of the header fields this reader knows. */
export const HEADER_LEN = 24;

/** A checked header; offsets are absolute in the blob. */
export interface BtfHeader {
  readonly littleEndian: boolean;
  readonly flags: number;
  readonly hdrLen: number;
  /** Absolute offset and length of the type section. */
  readonly typeOff: number;
  readonly typeLen: number;
  /** Absolute offset and length of the string section. */
  readonly strOff: number;
  readonly strLen: number;
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
      }) and string section [${strOff}, ${strOff + strLen}) not to overlap, found them overlapping`,
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
  };
}
