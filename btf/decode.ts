/**
 * Decoding one BTF type record into a {@link Type}: the kind-specific data
 * after the 12-byte `btf_type` header, with every name offset and
 * referenced type id checked where it is stored, so an error names the
 * byte.
 *
 * @module
 */

import { BtfError } from "./error.ts";
import type { KindLayout } from "./header.ts";
import { infoKind, infoVlen, Kind, KIND_NAMES, type KindNumber, LAST_KNOWN_KIND } from "./kinds.ts";
import type {
  ArrayType,
  CompositeType,
  DatasecType,
  DeclTagType,
  Enumerator,
  EnumType,
  FloatType,
  FuncProtoType,
  FuncType,
  FwdType,
  IntType,
  Member,
  Param,
  RefType,
  Type,
  UnknownKindType,
  VarSecinfo,
  VarType,
} from "./types.ts";

/** Size of `struct btf_type`, the header of every type record. */
export const TYPE_HEADER = 12;

/** Decodes the type records of one BTF blob. */
export class TypeDecoder {
  /**
   * @param dv The blob's bytes.
   * @param le Its byte order.
   * @param fileOffset Offset of the blob in its file, for error messages.
   * @param strEnd One past the last string offset the blob (and its base) defines.
   * @param count One past the last type id of the blob.
   * @param str The string at an offset.
   * @param layout The kind layout section (the blob's or its base's), if any.
   */
  constructor(
    readonly dv: DataView,
    readonly le: boolean,
    readonly fileOffset: number,
    readonly strEnd: number,
    readonly count: number,
    readonly str: (off: number) => string,
    readonly layout: readonly KindLayout[] | undefined,
  ) {}

  /** Decodes type `id`, whose record starts at byte `p` with name offset `nameOff` and `info`. */
  decode(id: number, p: number, nameOff: number, info: number): Type {
    const dv = this.dv, le = this.le;
    const rawKind = infoKind(info);
    const kind = (rawKind <= LAST_KNOWN_KIND ? rawKind : Kind.UNKN) as KindNumber;
    const vlen = infoVlen(info);
    const kindFlag = (info >>> 31) === 1;
    const sizeOrType = dv.getUint32(p + 8, le);
    // Names and referenced ids are checked here, where the byte is known;
    // error messages are built only when a check fails.
    const name = this.name(id, nameOff, p, "type", -1);
    const q = p + TYPE_HEADER;
    switch (kind) {
      case Kind.INT: {
        const v = dv.getUint32(q, le);
        const encoding = (v >>> 24) & 0x0f;
        return {
          id,
          name,
          nameOff,
          kindFlag,
          kind,
          size: sizeOrType,
          encoding,
          signed: (encoding & 1) !== 0,
          char: (encoding & 2) !== 0,
          bool: (encoding & 4) !== 0,
          bitOffset: (v >>> 16) & 0xff,
          bits: v & 0xff,
        } satisfies IntType;
      }
      case Kind.PTR:
      case Kind.TYPEDEF:
      case Kind.VOLATILE:
      case Kind.CONST:
      case Kind.RESTRICT:
      case Kind.TYPE_TAG:
        return {
          id,
          name,
          nameOff,
          kindFlag,
          kind,
          type: this.ref(id, kind, p + 8, "target", -1),
        } satisfies RefType;
      case Kind.ARRAY:
        return {
          id,
          name,
          nameOff,
          kindFlag,
          kind,
          type: this.ref(id, kind, q, "element type", -1),
          indexType: this.ref(id, kind, q + 4, "index type", -1),
          nelems: dv.getUint32(q + 8, le),
        } satisfies ArrayType;
      case Kind.STRUCT:
      case Kind.UNION: {
        const members: Member[] = new Array(vlen);
        for (let k = 0; k < vlen; k++) {
          const m = q + k * 12;
          const mNameOff = dv.getUint32(m, le);
          const off = dv.getUint32(m + 8, le);
          members[k] = {
            name: this.name(id, mNameOff, m, "member", k),
            nameOff: mNameOff,
            type: this.ref(id, kind, m + 4, "member", k),
            bitOffset: kindFlag ? off & 0xffffff : off,
            bitfieldSize: kindFlag ? off >>> 24 : 0,
          };
        }
        return {
          id,
          name,
          nameOff,
          kindFlag,
          kind,
          size: sizeOrType,
          members,
        } satisfies CompositeType;
      }
      case Kind.ENUM:
      case Kind.ENUM64: {
        const values: Enumerator[] = new Array(vlen);
        const step = kind === Kind.ENUM ? 8 : 12;
        for (let k = 0; k < vlen; k++) {
          const m = q + k * step;
          const eNameOff = dv.getUint32(m, le);
          let value: number | bigint;
          if (kind === Kind.ENUM) {
            value = kindFlag ? dv.getInt32(m + 4, le) : dv.getUint32(m + 4, le);
          } else {
            const u = (BigInt(dv.getUint32(m + 8, le)) << 32n) | BigInt(dv.getUint32(m + 4, le));
            value = kindFlag ? BigInt.asIntN(64, u) : u;
          }
          values[k] = {
            name: this.name(id, eNameOff, m, "enumerator", k),
            nameOff: eNameOff,
            value,
          };
        }
        return {
          id,
          name,
          nameOff,
          kindFlag,
          kind,
          size: sizeOrType,
          signed: kindFlag,
          values,
        } satisfies EnumType;
      }
      case Kind.FWD:
        return { id, name, nameOff, kindFlag, kind, union: kindFlag } satisfies FwdType;
      case Kind.FUNC:
        return {
          id,
          name,
          nameOff,
          kindFlag,
          kind,
          type: this.ref(id, kind, p + 8, "prototype", -1),
          linkage: vlen,
        } satisfies FuncType;
      case Kind.FUNC_PROTO: {
        const params: Param[] = new Array(vlen);
        for (let k = 0; k < vlen; k++) {
          const m = q + k * 8;
          const pNameOff = dv.getUint32(m, le);
          params[k] = {
            name: this.name(id, pNameOff, m, "parameter", k),
            nameOff: pNameOff,
            type: this.ref(id, kind, m + 4, "parameter", k),
          };
        }
        return {
          id,
          name,
          nameOff,
          kindFlag,
          kind,
          type: this.ref(id, kind, p + 8, "return type", -1),
          params,
        } satisfies FuncProtoType;
      }
      case Kind.VAR:
        return {
          id,
          name,
          nameOff,
          kindFlag,
          kind,
          type: this.ref(id, kind, p + 8, "type", -1),
          linkage: dv.getUint32(q, le),
        } satisfies VarType;
      case Kind.DATASEC: {
        const vars: VarSecinfo[] = new Array(vlen);
        for (let k = 0; k < vlen; k++) {
          const m = q + k * 12;
          vars[k] = {
            type: this.ref(id, kind, m, "variable", k),
            offset: dv.getUint32(m + 4, le),
            size: dv.getUint32(m + 8, le),
          };
        }
        return { id, name, nameOff, kindFlag, kind, size: sizeOrType, vars } satisfies DatasecType;
      }
      case Kind.FLOAT:
        return { id, name, nameOff, kindFlag, kind, size: sizeOrType } satisfies FloatType;
      case Kind.DECL_TAG:
        return {
          id,
          name,
          nameOff,
          kindFlag,
          kind,
          type: this.ref(id, kind, p + 8, "tagged type", -1),
          componentIdx: dv.getInt32(q, le),
        } satisfies DeclTagType;
      default: {
        // A kind this reader does not know, stepped over by the index through
        // the kind layout section (which is why it has an entry).
        const l = this.layout?.[rawKind];
        if (!l) {
          throw new BtfError(
            `expected a known kind for type ${id}, found ${rawKind}`,
            this.fileOffset + p + 4,
          );
        }
        return {
          id,
          name,
          nameOff,
          kindFlag,
          kind: Kind.UNKN,
          rawKind,
          vlen,
          sizeOrType,
          extraBytes: l.infoSize + vlen * l.elemSize,
        } satisfies UnknownKindType;
      }
    }
  }

  /** The string at `off` for a name stored at byte `pos` of type `id` (`k`: item index or -1). */
  name(id: number, off: number, pos: number, what: string, k: number): string {
    const strEnd = this.strEnd;
    if (off >= strEnd) {
      throw new BtfError(
        `expected the ${what}${
          k >= 0 ? ` ${k}` : ""
        } name offset of type ${id} below ${strEnd}, found ${off}`,
        this.fileOffset + pos,
      );
    }
    return this.str(off);
  }

  /** The type id stored at byte `pos` of type `id`, checked against the id range. */
  ref(id: number, kind: number, pos: number, what: string, k: number): number {
    const t = this.dv.getUint32(pos, this.le);
    const count = this.count;
    if (t >= count) {
      throw new BtfError(
        `expected the ${what}${k >= 0 ? ` ${k}` : ""} of type ${id} (${
          KIND_NAMES[kind]
        }) to be a type id below ${count}, found ${t}`,
        this.fileOffset + pos,
      );
    }
    return t;
  }
}
