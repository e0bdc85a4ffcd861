/**
 * Readers per member kind: integers (8 to 128 bits, the 64-bit modes),
 * bitfields at any bit offset, bools, enums, pointers, floats, nested
 * composites (child views), char arrays (strings), arrays of plain numbers
 * (typed arrays over the same memory, or copies) and every other array (an
 * {@link ArrayView} class per element type). Each returns a {@link Reader}:
 * generated source for the hot cases, a closure for the allocating ones.
 *
 * @module
 */

import { BtfError } from "./error.ts";
import { Kind, typeKindName } from "./kinds.ts";
import { describe, MAX_DEPTH, resolveType, sizeOf } from "./layout.ts";
import type { Btf } from "./parse.ts";
import type { Type } from "./types.ts";
import { compositeClass } from "./view_class.ts";
import {
  b,
  cached,
  childTable,
  compile,
  type FieldSpec,
  type GenCtx,
  n,
  type Norm,
  type Reader,
  where,
} from "./view_codegen.ts";
import {
  ArrayView,
  BASE,
  DV,
  HELPERS,
  HOST_LE,
  jsonBoolArray,
  jsonValue,
  KIDS,
  LEN,
  META,
  READ,
  REBIND,
} from "./view_runtime.ts";

export function fieldReader(
  btf: Btf,
  parent: number,
  f: FieldSpec,
  parentSize: number,
  norm: Norm,
  path: string,
  depth: number,
  slack: number,
): Reader {
  const off = Math.floor(f.bitOffset / 8);
  const rid = resolveType(btf, f.type);
  if (rid === 0) {
    throw new BtfError(`expected a sized type for ${where(btf, parent, f.name)}, found void`);
  }
  const t = btf.type(rid);
  // Bitfields: kind_flag widths, or old-style INT encodings with fewer bits.
  let bits = f.bitfieldSize, bitOff = f.bitOffset;
  if (bits === 0 && t.kind === Kind.INT && (t.bits !== t.size * 8 || t.bitOffset !== 0)) {
    bits = t.bits;
    bitOff += t.bitOffset;
  }
  if (bits !== 0) {
    if (t.kind !== Kind.INT && t.kind !== Kind.ENUM && t.kind !== Kind.ENUM64) {
      throw new BtfError(
        `expected an int or enum bitfield for ${where(btf, parent, f.name)}, found ${
          typeKindName(t)
        }`,
      );
    }
    if (bits > 64 || bits > t.size * 8) {
      throw new BtfError(
        `expected a bitfield of at most ${Math.min(64, t.size * 8)} bits for ${
          where(btf, parent, f.name)
        }, found ${bits}`,
      );
    }
    if (bitOff + bits > parentSize * 8) {
      throw new BtfError(
        `expected ${
          where(btf, parent, f.name)
        } within the type's ${parentSize} bytes, found bits ${bitOff} to ${bitOff + bits}`,
      );
    }
    const bool = t.kind === Kind.INT && t.bool;
    return bitfieldReader(bitOff - off * 8, bits, t.signed, bool, btf.littleEndian, norm);
  }
  if (f.bitOffset % 8 !== 0) {
    throw new BtfError(
      `expected ${
        where(btf, parent, f.name)
      } to start on a byte boundary, found bit offset ${f.bitOffset}`,
    );
  }
  const size = sizeOf(btf, rid);
  if (off + size > parentSize) {
    throw new BtfError(
      `expected ${
        where(btf, parent, f.name)
      } (${size} bytes at byte ${off}) within the type's ${parentSize} bytes, found it past the end`,
    );
  }
  return valueReader(btf, rid, norm, path, depth, slack, parent, f.name);
}

function scalar(body: (A: string) => string): Reader {
  return { gen: (A) => body(A), json: jsonValue };
}

function intBody(
  size: number,
  signed: boolean,
  le: boolean,
  mode: Norm["int64"],
): (A: string) => string {
  switch (size) {
    case 1:
      return (A) => `return dv.${signed ? "getInt8" : "getUint8"}(${A});`;
    case 2:
      return (A) => `return dv.${signed ? "getInt16" : "getUint16"}(${A}, ${b(le)});`;
    case 4:
      return (A) => `return dv.${signed ? "getInt32" : "getUint32"}(${A}, ${b(le)});`;
    case 8:
      return (A) => int64Body(A, signed, le, mode);
    default: // 16
      return (A) => `return H.int128(dv, ${A}, ${b(signed)}, ${b(le)}, ${b(mode === "safe")});`;
  }
}

function int64Body(A: string, signed: boolean, le: boolean, mode: Norm["int64"]): string {
  if (mode === "bigint") {
    return `return dv.${signed ? "getBigInt64" : "getBigUint64"}(${A}, ${b(le)});`;
  }
  const lo = le ? A : `${A} + 4`, hi = le ? `${A} + 4` : A;
  if (!signed) {
    return `const hi = dv.getUint32(${hi}, ${b(le)});
  if (hi < 2097152) return hi * 4294967296 + dv.getUint32(${lo}, ${b(le)});
  return dv.getBigUint64(${A}, ${b(le)});`;
  }
  return `const hi = dv.getInt32(${hi}, ${b(le)}), lo = dv.getUint32(${lo}, ${b(le)});
  if (hi < 2097152 && (hi > -2097152 || (hi === -2097152 && lo !== 0))) {
    return hi * 4294967296 + lo;
  }
  return dv.getBigInt64(${A}, ${b(le)});`;
}

/**
 * Source for the value of the `w` (1..32) bits starting `s` bits after the
 * byte at `A`: unsigned (as `>>> 0` would give) or sign-extended. Reads only
 * the bytes the bits lie in. Little-endian numbers bits from the least
 * significant bit of the first byte, big-endian from the most significant.
 */
function bitsExpr(A: string, s: number, w: number, signed: boolean, le: boolean): string {
  const byte = s >>> 3;
  s &= 7;
  const at = byte ? `${A} + ${n(byte)}` : A;
  const nbytes = Math.ceil((s + w) / 8);
  // `raw` holds the field in its low w bits (higher bits may hold neighbours).
  const fin = (raw: string) =>
    signed
      ? (w === 32 ? `(${raw} | 0)` : `((${raw} << ${n(32 - w)}) >> ${n(32 - w)})`)
      : (w === 32 ? `(${raw} >>> 0)` : `(${raw} & ${n(2 ** w - 1)})`);
  if (le) {
    switch (nbytes) {
      case 1:
        return fin(`(dv.getUint8(${at}) >>> ${n(s)})`);
      case 2:
        return fin(`(dv.getUint16(${at}, true) >>> ${n(s)})`);
      case 3:
        return fin(`((dv.getUint16(${at}, true) | dv.getUint8(${at} + 2) << 16) >>> ${n(s)})`);
      case 4:
        return fin(`(dv.getUint32(${at}, true) >>> ${n(s)})`);
      default: // 5 bytes, s >= 1
        return fin(
          `((dv.getUint32(${at}, true) >>> ${n(s)}) | (dv.getUint8(${at} + 4) << ${n(32 - s)}))`,
        );
    }
  }
  const r = nbytes * 8 - s - w; // bits after the field in the bytes read
  switch (nbytes) {
    case 1:
      return fin(`(dv.getUint8(${at}) >>> ${n(r)})`);
    case 2:
      return fin(`(dv.getUint16(${at}, false) >>> ${n(r)})`);
    case 3:
      return fin(`((dv.getUint16(${at}, false) << 8 | dv.getUint8(${at} + 2)) >>> ${n(r)})`);
    case 4:
      return fin(`(dv.getUint32(${at}, false) >>> ${n(r)})`);
    default: // 5 bytes, r in 0..7
      return fin(
        `((dv.getUint32(${at}, false) << ${n(8 - r)}) | (dv.getUint8(${at} + 4) >>> ${n(r)}))`,
      );
  }
}

function bitfieldReader(
  s: number,
  w: number,
  signed: boolean,
  bool: boolean,
  le: boolean,
  norm: Norm,
): Reader {
  if (w <= 32) {
    return scalar((A) => {
      const e = bitsExpr(A, s, w, signed && !bool, le);
      return bool ? `return ${e} !== 0;` : `return ${e};`;
    });
  }
  // Wider than 32 bits: a low part of 32 bits and a high part of w - 32.
  return scalar((A) => {
    const loS = le ? s : s + w - 32, hiS = le ? s + 32 : s;
    const lo = bitsExpr(A, loS, 32, false, le);
    const hi = bitsExpr(A, hiS, w - 32, signed && !bool, le);
    if (bool) return `return (${lo} | ${hi}) !== 0;`;
    const big = `(BigInt(hi) << 32n | BigInt(lo))`;
    if (norm.int64 === "safe") {
      if (w <= 53) return `const lo = ${lo}, hi = ${hi};\n  return hi * 4294967296 + lo;`;
      return `const lo = ${lo}, hi = ${hi}, v = hi * 4294967296 + lo;
  if (v <= 9007199254740991 && v >= -9007199254740991) return v;
  return ${big};`;
    }
    return `const lo = ${lo}, hi = ${hi};\n  return ${big};`;
  });
}

type TypedArrayLike = ArrayBufferView & { length: number; [i: number]: number | bigint };
type TypedCtor = {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArrayLike;
  new (length: number): TypedArrayLike;
};

/** The typed array a plain number element type maps to, if any. */
function typedArrayOf(
  btf: Btf,
  t: Type,
): { ctor: TypedCtor; size: number; bool: boolean; float: boolean; signed: boolean } | undefined {
  switch (t.kind) {
    case Kind.INT: {
      if (t.bits !== t.size * 8 || t.bitOffset !== 0) return undefined;
      const ctor = intCtor(t.size, t.signed && !t.bool);
      return ctor && { ctor, size: t.size, bool: t.bool, float: false, signed: t.signed };
    }
    case Kind.ENUM:
    case Kind.ENUM64: {
      const ctor = intCtor(t.size, t.signed);
      return ctor && { ctor, size: t.size, bool: false, float: false, signed: t.signed };
    }
    case Kind.PTR: {
      const ctor = intCtor(btf.pointerSize, false);
      return ctor && { ctor, size: btf.pointerSize, bool: false, float: false, signed: false };
    }
    case Kind.FLOAT: {
      const ctor = t.size === 4
        ? Float32Array
        : t.size === 8
        ? Float64Array
        : t.size === 2 && typeof Float16Array !== "undefined"
        ? Float16Array
        : undefined;
      return ctor &&
        {
          ctor: ctor as unknown as TypedCtor,
          size: t.size,
          bool: false,
          float: true,
          signed: true,
        };
    }
    default:
      return undefined;
  }
}

function intCtor(size: number, signed: boolean): TypedCtor | undefined {
  switch (size) {
    case 1:
      return (signed ? Int8Array : Uint8Array) as unknown as TypedCtor;
    case 2:
      return (signed ? Int16Array : Uint16Array) as unknown as TypedCtor;
    case 4:
      return (signed ? Int32Array : Uint32Array) as unknown as TypedCtor;
    case 8:
      return (signed ? BigInt64Array : BigUint64Array) as unknown as TypedCtor;
    default:
      return undefined;
  }
}

/** `char` (not `signed char` / `unsigned char`): arrays of it read as strings. */
function isCharType(t: Type): boolean {
  return t.kind === Kind.INT && t.size === 1 && t.bits === 8 && t.bitOffset === 0 &&
    (t.char || t.name === "char");
}

/** A reader for a whole (non-bitfield) value of resolved type `rid`. */
function valueReader(
  btf: Btf,
  rid: number,
  norm: Norm,
  path: string,
  depth: number,
  slack: number,
  parent: number,
  name: string,
): Reader {
  const le = btf.littleEndian;
  const t = btf.type(rid);
  switch (t.kind) {
    case Kind.INT: {
      if (![1, 2, 4, 8, 16].includes(t.size)) {
        throw new BtfError(
          `expected an int of 1, 2, 4, 8 or 16 bytes for ${
            where(btf, parent, name)
          }, found ${t.size}`,
        );
      }
      if (t.bool) {
        switch (t.size) {
          case 1:
            return scalar((A) => `return dv.getUint8(${A}) !== 0;`);
          case 2:
            return scalar((A) => `return dv.getUint16(${A}, ${b(le)}) !== 0;`);
          case 4:
            return scalar((A) => `return dv.getUint32(${A}, ${b(le)}) !== 0;`);
          case 8:
            return scalar((A) => `return dv.getBigUint64(${A}, ${b(le)}) !== 0n;`);
          default:
            return scalar((A) => `return H.int128(dv, ${A}, false, ${b(le)}, false) !== 0n;`);
        }
      }
      return scalar(intBody(t.size, t.signed, le, norm.int64));
    }
    case Kind.ENUM:
    case Kind.ENUM64:
      if (![1, 2, 4, 8].includes(t.size)) {
        throw new BtfError(
          `expected an enum of 1, 2, 4 or 8 bytes for ${where(btf, parent, name)}, found ${t.size}`,
        );
      }
      return scalar(intBody(t.size, t.signed, le, norm.int64));
    case Kind.PTR:
      return scalar(intBody(btf.pointerSize, false, le, norm.int64));
    case Kind.FLOAT:
      switch (t.size) {
        case 2:
          return scalar((A) => `return dv.getFloat16(${A}, ${b(le)});`);
        case 4:
          return scalar((A) => `return dv.getFloat32(${A}, ${b(le)});`);
        case 8:
          return scalar((A) => `return dv.getFloat64(${A}, ${b(le)});`);
        default: {
          // long double and other widths: a copy of the raw bytes.
          const size = t.size;
          return { make: () => (self, a) => copyBytes(self[DV], a, size), json: jsonValue };
        }
      }
    case Kind.STRUCT:
    case Kind.UNION: {
      const size = t.size;
      return {
        gen: (A, ctx) => {
          const ci = n(ctx.child(() => compositeClass(btf, rid, norm, path, depth + 1)));
          const len = ctx.end ? `${ctx.end} - at` : n(size);
          return `let k = this[KIDS];
  if (k === undefined) k = this[KIDS] = [];
  const at = ${A}, c = k[${ctx.slot}];
  if (c !== undefined) return c.rebind(at, ${len});
  return k[${ctx.slot}] = new (C[${ci}] || LC(${ci}))(dv, at, ${len});`;
        },
        json: jsonValue,
      };
    }
    case Kind.ARRAY:
      return arrayReader(btf, t.type, t.nelems, norm, path, depth, slack, parent, name);
    default:
      throw new BtfError(
        `expected a readable type for ${where(btf, parent, name)}, found ${
          typeKindName(t)
        } (type ${rid})`,
      );
  }
}

function copyBytes(dv: DataView, a: number, size: number): Uint8Array {
  return new Uint8Array(dv.buffer, dv.byteOffset + a, size).slice();
}

const decoder = new TextDecoder("utf-8", { fatal: false });

/** A NUL-terminated string in `[a, a + max)`: UTF-8, invalid bytes replaced by U+FFFD. */
function readString(dv: DataView, a: number, max: number): string {
  let end = 0, ascii = true;
  for (; end < max; end++) {
    const c = dv.getUint8(a + end);
    if (c === 0) break;
    if (c >= 0x80) ascii = false;
  }
  if (end === 0) return "";
  if (ascii && end <= 32) {
    let s = "";
    for (let i = 0; i < end; i++) s += String.fromCharCode(dv.getUint8(a + i));
    return s;
  }
  return decoder.decode(new Uint8Array(dv.buffer, dv.byteOffset + a, end));
}

function arrayReader(
  btf: Btf,
  elemType: number,
  nelems: number,
  norm: Norm,
  path: string,
  depth: number,
  slack: number,
  parent: number,
  name: string,
): Reader {
  const erid = resolveType(btf, elemType);
  if (erid === 0) {
    throw new BtfError(
      `expected a sized element type for ${where(btf, parent, name)}, found void`,
    );
  }
  const et = btf.type(erid);
  const esize = sizeOf(btf, erid);
  // A flexible array member (a zero-length array that ends a struct) has as
  // many elements as fit in the region past sizeof(struct): the kernel's
  // struct_size() convention. `slack` is sizeof(struct) minus its offset.
  const flex = nelems === 0 && slack >= 0;
  const count = flex
    ? (a: number, end: number) =>
      esize === 0 ? 0 : Math.max(0, Math.floor((end - a - slack) / esize))
    : () => nelems;

  if (isCharType(et)) {
    return {
      make: () => (self, a, end) => readString(self[DV], a, count(a, end)),
      json: jsonValue,
    };
  }
  const ta = typedArrayOf(btf, et);
  if (ta && ta.size === esize) {
    const { ctor, size } = ta;
    const native = btf.littleEndian === HOST_LE || size === 1;
    const le = btf.littleEndian;
    return {
      make: () => (self, a, end, slot) => {
        const dv = self[DV], len = count(a, end), abs = dv.byteOffset + a;
        if (native && abs % size === 0) {
          let k = self[KIDS];
          if (k === undefined) k = self[KIDS] = [];
          const c = k[slot] as TypedArrayLike | undefined;
          if (c !== undefined && c.byteOffset === abs && c.length === len) return c;
          return k[slot] = new ctor(dv.buffer, abs, len);
        }
        return copyTyped(dv, a, len, ta, le);
      },
      json: ta.bool ? jsonBoolArray : jsonValue,
    };
  }
  // Everything else: an ArrayView over the elements.
  const AV = arrayViewClass(btf, erid, esize, flex ? -1 : nelems, norm, path, depth);
  return {
    make: () => (self, a, end, slot) => {
      let k = self[KIDS];
      if (k === undefined) k = self[KIDS] = [];
      const len = count(a, end);
      const c = k[slot] as ArrayView | undefined;
      if (c !== undefined) return c[REBIND](a, len);
      return k[slot] = new AV(self[DV], a, len);
    },
    json: jsonValue,
  };
}

/** A copy, for plain number arrays that are misaligned or in the other byte order. */
function copyTyped(
  dv: DataView,
  a: number,
  len: number,
  ta: { ctor: TypedCtor; size: number; float: boolean; signed: boolean },
  le: boolean,
): TypedArrayLike {
  const { size, float, signed } = ta;
  const out = new ta.ctor(len);
  for (let i = 0, p = a; i < len; i++, p += size) {
    if (float) {
      out[i] = size === 4
        ? dv.getFloat32(p, le)
        : size === 8
        ? dv.getFloat64(p, le)
        : dv.getFloat16(p, le);
      continue;
    }
    switch (size) {
      case 1:
        out[i] = signed ? dv.getInt8(p) : dv.getUint8(p);
        break;
      case 2:
        out[i] = signed ? dv.getInt16(p, le) : dv.getUint16(p, le);
        break;
      case 4:
        out[i] = signed ? dv.getInt32(p, le) : dv.getUint32(p, le);
        break;
      default:
        out[i] = signed ? dv.getBigInt64(p, le) : dv.getBigUint64(p, le);
    }
  }
  return out;
}

/** Array views get index getters `0..n-1` up to this many elements on their prototype. */
const INDEX_GETTERS = 1024;

/**
 * Indices from {@link INDEX_GETTERS} on, for arrays that long: the element,
 * or `undefined` past the end (as `at()` and a JS array give). Everything
 * else goes to the array view itself.
 */
const BIG_INDEX: ProxyHandler<ArrayView> = {
  get(target, key) {
    if (typeof key === "string") {
      const c = key.charCodeAt(0);
      if (c >= 49 && c <= 57 && key.length >= 4) {
        const i = Number(key);
        if (Number.isSafeInteger(i) && i >= INDEX_GETTERS && String(i) === key) {
          return i < target[LEN] ? target[READ](i) : undefined;
        }
      }
    }
    return Reflect.get(target, key, target);
  },
  has(target, key) {
    if (typeof key === "string" && /^[1-9][0-9]*$/.test(key)) return Number(key) < target[LEN];
    return Reflect.has(target, key);
  },
};

function arrayViewClass(
  btf: Btf,
  erid: number,
  esize: number,
  nelems: number,
  norm: Norm,
  path: string,
  depth: number,
): typeof ArrayView {
  return cached(btf, norm, `a${erid}|${nelems}|${norm.fields ? path : ""}`, () => {
    if (depth > MAX_DEPTH) {
      throw new BtfError(
        `expected arrays nested less than ${MAX_DEPTH} deep in ${
          describe(btf, erid)
        }, found deeper`,
      );
    }
    const r = valueReader(btf, erid, norm, path, depth + 1, -1, erid, "[]");
    // Arrays that may hold more elements than the prototype has index
    // getters for answer the others through a Proxy (only those: the usual
    // short arrays stay plain objects).
    const big = nelems < 0 || nelems > INDEX_GETTERS;
    class AV extends ArrayView {
      constructor(dv: DataView, base: number, length: number) {
        super(dv, base, length);
        if (big) return new Proxy(this, BIG_INDEX);
      }
    }
    let read: (this: ArrayView, i: number) => unknown;
    if ("gen" in r) {
      const kids = childTable();
      const ctx: GenCtx = { slot: "i", end: "", child: kids.add };
      read = compile(
        `return function (i) {
  const dv = this[DV], a = this[BASE] + i * ${n(esize)};
  try {
  ${r.gen("a", ctx)}
  } catch (e) { return H.readFailed(dv, e); }
};`,
        kids.C,
        kids.LC,
      ) as (this: ArrayView, i: number) => unknown;
    } else {
      const fn = r.make();
      read = function (this: ArrayView, i: number) {
        const a = this[BASE] + i * esize;
        try {
          return fn(this, a, a + esize, i);
        } catch (e) {
          return HELPERS.readFailed(this[DV], e);
        }
      };
    }
    const proto = AV.prototype;
    Object.defineProperty(proto, READ, { value: read });
    Object.defineProperty(proto, META, { value: { json: r.json, esize } });
    for (let i = 0; i < Math.min(nelems, INDEX_GETTERS); i++) {
      Object.defineProperty(proto, i, {
        get(this: ArrayView) {
          return this[READ](i);
        },
        enumerable: true,
      });
    }
    if (nelems < 0) {
      // Flexible arrays: the length comes from the region, so index getters check it.
      for (let i = 0; i < INDEX_GETTERS; i++) {
        Object.defineProperty(proto, i, {
          get(this: ArrayView) {
            return i < this[LEN] ? this[READ](i) : undefined;
          },
        });
      }
    }
    return AV;
  });
}
