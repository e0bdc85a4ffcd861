/**
 * Values of any BTF type read from bytes: a view for a struct, union or
 * data section, a plain value for anything else (numbers, bigints, bools,
 * strings for `char[N]`, arrays). What a map's key or value is, whatever
 * its type.
 *
 * @module
 */

import { BtfError } from "./error.ts";
import { Kind, KIND_NAMES } from "./kinds.ts";
import { declaration, resolveType, sizeOf } from "./layout.ts";
import type { Btf } from "./parse.ts";
import type { View, ViewOptions } from "./view.ts";

/**
 * Reads a value of one type from `bytes` at `byteOffset`: a new view bound
 * there for a struct, union or data section (reading the bytes in place),
 * else the value itself.
 *
 * @example
 * ```ts
 * import { loadBtf, type ValueReader, valueReader } from "@bpfview/bpfview";
 * const btf = loadBtf();
 * const read: ValueReader = valueReader(btf, btf.get("u16").id);
 * console.log(read(new Uint8Array([0, 2, 1]), 1)); // 258
 * ```
 */
export type ValueReader = (bytes: Uint8Array, byteOffset: number) => unknown;

const dec = new TextDecoder();

/**
 * The reader of values of `type` (see {@link ValueReader}). 64-bit
 * integers are bigints, or numbers when safe with `{ int64: "safe" }`, as
 * views give them; the options also go to the view class of a composite.
 *
 * @example
 * ```ts
 * import { loadBtf, valueReader } from "@bpfview/bpfview";
 * const btf = loadBtf();
 * const read = valueReader(btf, btf.get("u32").id);
 * console.log(read(new Uint8Array([1, 0, 0, 0]), 0)); // 1
 * ```
 */
export function valueReader(btf: Btf, type: number, options?: ViewOptions): ValueReader {
  const rid = resolveType(btf, type);
  if (rid === 0) throw new BtfError(`expected a sized type to read, found void (type ${type})`);
  const t = btf.type(rid);
  if (t.kind === Kind.STRUCT || t.kind === Kind.UNION || t.kind === Kind.DATASEC) {
    const V = btf.view(rid, options);
    return (bytes, off) => new V(bytes, off) as View;
  }
  return scalar(btf, rid, options?.int64 === "safe", 0);
}

function scalar(btf: Btf, rid: number, safe: boolean, depth: number): ValueReader {
  if (depth > 32) throw new BtfError(`expected arrays nested less than 32 deep (type ${rid})`);
  const t = btf.type(rid);
  const le = btf.littleEndian;
  const big = (v: bigint) =>
    safe && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : v;
  const int = (size: number, signed: boolean): ValueReader => {
    switch (size) {
      case 1:
        return (b, o) => signed ? dv(b).getInt8(o) : b[o];
      case 2:
        return (b, o) => signed ? dv(b).getInt16(o, le) : dv(b).getUint16(o, le);
      case 4:
        return (b, o) => signed ? dv(b).getInt32(o, le) : dv(b).getUint32(o, le);
      case 8:
        return (b, o) => big(signed ? dv(b).getBigInt64(o, le) : dv(b).getBigUint64(o, le));
      case 16:
        return (b, o) => {
          const d = dv(b);
          const lo = d.getBigUint64(le ? o : o + 8, le), hi = d.getBigUint64(le ? o + 8 : o, le);
          const v = (hi << 64n) | lo;
          return big(signed ? BigInt.asIntN(128, v) : v);
        };
    }
    throw new BtfError(
      `expected an integer of 1, 2, 4, 8 or 16 bytes, found ${size} (type ${rid})`,
    );
  };
  switch (t.kind) {
    case Kind.INT: {
      if (t.bits !== t.size * 8 || t.bitOffset !== 0) {
        throw new BtfError(
          `expected a whole-byte integer to read, found ${t.bits} bits (type ${rid})`,
        );
      }
      const r = int(t.size, t.signed && !t.bool);
      return t.bool ? (b, o) => r(b, o) !== 0 : r;
    }
    case Kind.ENUM:
    case Kind.ENUM64:
      return int(t.size, t.signed);
    case Kind.PTR:
      return int(btf.pointerSize, false);
    case Kind.FLOAT:
      if (t.size === 4) return (b, o) => dv(b).getFloat32(o, le);
      if (t.size === 8) return (b, o) => dv(b).getFloat64(o, le);
      return (b, o) => b.slice(o, o + t.size);
    case Kind.ARRAY: {
      const e = resolveType(btf, t.type);
      const et = e === 0 ? undefined : btf.type(e);
      const n = t.nelems;
      if (
        et && et.kind === Kind.INT && et.size === 1 && et.bits === 8 &&
        (et.char || et.name === "char")
      ) {
        return (b, o) => {
          const s = b.subarray(o, o + n);
          const z = s.indexOf(0);
          return dec.decode(z < 0 ? s : s.subarray(0, z));
        };
      }
      if (e === 0) {
        throw new BtfError(`expected an array of a sized type, found void (type ${rid})`);
      }
      const esize = sizeOf(btf, e);
      const inner = et!.kind === Kind.STRUCT || et!.kind === Kind.UNION
        ? valueReader(btf, e, { int64: safe ? "safe" : "bigint" })
        : scalar(btf, e, safe, depth + 1);
      return (b, o) => {
        const out = new Array(n);
        for (let i = 0; i < n; i++) out[i] = inner(b, o + i * esize);
        return out;
      };
    }
  }
  throw new BtfError(
    `expected a type holding a value, found ${KIND_NAMES[t.kind]} '${
      declaration(btf, rid)
    }' (type ${rid})`,
  );
}

const dvs = new WeakMap<ArrayBufferLike, DataView>();

function dv(b: Uint8Array): DataView {
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength) {
    let d = dvs.get(b.buffer);
    if (!d) dvs.set(b.buffer, d = new DataView(b.buffer));
    return d;
  }
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * A value as JSON-ready data, by the views' JSON rules: views become plain
 * objects (`toJSON()`), bigints numbers when safe and decimal strings
 * otherwise, arrays element by element.
 *
 * @example
 * ```ts
 * import { jsonValue } from "@bpfview/bpfview";
 * console.log(jsonValue(2n ** 60n)); // "1152921504606846976"
 * ```
 */
export function jsonValue(v: unknown): unknown {
  if (typeof v === "bigint") {
    return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : v.toString();
  }
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  if (Array.isArray(v)) return v.map(jsonValue);
  if (v instanceof Uint8Array) return Array.from(v);
  if (v !== null && typeof v === "object" && typeof (v as View).toJSON === "function") {
    return (v as View).toJSON();
  }
  return v;
}
