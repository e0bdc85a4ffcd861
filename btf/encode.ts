/**
 * Values written as BTF types: the inverse of views. A JavaScript value
 * (numbers, bigints, decimal strings, booleans, enumerator names, strings
 * for `char[N]`, arrays, plain objects as `toObject()` gives them) is
 * checked against the type (range, width, sign, bitfield size) and written
 * in the BTF's byte order. View setters, map keys and values given as plain
 * objects, and the CLI's `--set NAME=VALUE` all go through here.
 *
 * @module
 */

import { BtfError } from "./error.ts";
import { Kind, KIND_NAMES } from "./kinds.ts";
import { declaration, describe, fieldsOf, MAX_DEPTH, resolveType, sizeOf } from "./layout.ts";
import type { Btf } from "./parse.ts";
import type { Type } from "./types.ts";
import { BASE, DV, META, ViewBase } from "./view_runtime.ts";

const enc = new TextEncoder();

/** Where a value goes, for messages: `target_pid (const volatile __u32)`. */
function label(btf: Btf, type: number, path: string): string {
  let decl: string;
  try {
    decl = declaration(btf, type);
  } catch {
    decl = `type ${type}`;
  }
  return path ? `${path} (${decl})` : decl;
}

function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? v.slice(0, 40) + "..." : v);
  if (typeof v === "bigint") return `${v}n`;
  if (v === null) return "null";
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === "object") return ArrayBuffer.isView(v) ? `${v.byteLength} bytes` : "an object";
  return String(v);
}

/** An integer value as a bigint, or undefined if `v` is not one. */
function integer(v: unknown): bigint | undefined {
  if (typeof v === "bigint") return v;
  if (typeof v === "number") return Number.isInteger(v) ? BigInt(v) : undefined;
  if (typeof v === "string") {
    const s = v.trim();
    if (!/^[-+]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|[0-9]+)$/.test(s)) return undefined;
    const neg = s.startsWith("-");
    const body = s.replace(/^[-+]/, "");
    const b = BigInt(body);
    return neg ? -b : b;
  }
  if (typeof v === "boolean") return v ? 1n : 0n;
  return undefined;
}

/** Checks `v` fits `bits` bits (signed or not); returns it as unsigned two's complement. */
function fit(v: bigint, bits: number, signed: boolean, lenient: boolean, where: string): bigint {
  const max = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  const min = signed || lenient ? -(1n << BigInt(bits - 1)) : 0n;
  const top = lenient ? (1n << BigInt(bits)) - 1n : max;
  if (v < min || v > top) {
    throw new BtfError(`expected an integer from ${min} to ${top} for ${where}, found ${v}`);
  }
  return BigInt.asUintN(bits, v);
}

function writeUint(dv: DataView, at: number, size: number, v: bigint, le: boolean): void {
  switch (size) {
    case 1:
      dv.setUint8(at, Number(v));
      return;
    case 2:
      dv.setUint16(at, Number(v), le);
      return;
    case 4:
      dv.setUint32(at, Number(v), le);
      return;
    case 8:
      dv.setBigUint64(at, v, le);
      return;
    case 16: {
      const lo = BigInt.asUintN(64, v), hi = v >> 64n;
      dv.setBigUint64(at, le ? lo : hi, le);
      dv.setBigUint64(at + 8, le ? hi : lo, le);
      return;
    }
  }
  throw new BtfError(`expected an integer of 1, 2, 4, 8 or 16 bytes, found ${size}`);
}

function checkRange(dv: DataView, at: number, size: number, where: string): void {
  if ((dv.buffer as ArrayBuffer).detached) {
    throw new BtfError(
      `expected an open buffer to write ${where} to, found it closed (its memory was unmapped or the buffer transferred)`,
    );
  }
  if (!Number.isInteger(at) || at < 0 || at + size > dv.byteLength) {
    throw new BtfError(
      `expected ${size} bytes for ${where} within the ${dv.byteLength} bytes written to, found offset ${at}`,
      at,
    );
  }
}

/**
 * The integer to store for `v` as a scalar type `t` (int, enum, pointer,
 * bool), checked against `bits` bits; `undefined` for a float.
 */
function scalarBits(t: Type, v: unknown, bits: number, where: string): bigint {
  switch (t.kind) {
    case Kind.INT: {
      if (t.bool) {
        if (v === true || v === 1 || v === 1n || v === "true" || v === "1") return 1n;
        if (v === false || v === 0 || v === 0n || v === "false" || v === "0") return 0n;
        throw new BtfError(`expected true or false for ${where}, found ${show(v)}`);
      }
      const i = typeof v === "boolean" ? undefined : integer(v);
      if (i === undefined) {
        throw new BtfError(`expected an integer for ${where}, found ${show(v)}`);
      }
      return fit(i, bits, t.signed, false, where);
    }
    case Kind.ENUM:
    case Kind.ENUM64: {
      if (typeof v === "string" && integer(v) === undefined) {
        const e = t.values.find((x) => x.name === v);
        if (!e) {
          const names = t.values.slice(0, 12).map((x) => x.name).join(", ");
          throw new BtfError(
            `expected an enumerator of ${where} (${names}${
              t.values.length > 12 ? ", ..." : ""
            }) or an integer, found ${show(v)}`,
          );
        }
        return fit(BigInt(e.value), bits, t.signed, true, where);
      }
      const i = typeof v === "boolean" ? undefined : integer(v);
      if (i === undefined) {
        throw new BtfError(
          `expected an enumerator name or an integer for ${where}, found ${show(v)}`,
        );
      }
      return fit(i, bits, t.signed, true, where);
    }
    case Kind.PTR: {
      const i = typeof v === "boolean" ? undefined : integer(v);
      if (i === undefined) {
        throw new BtfError(`expected an address (integer) for ${where}, found ${show(v)}`);
      }
      return fit(i, bits, false, false, where);
    }
  }
  throw new BtfError(`expected a scalar type for ${where}, found ${KIND_NAMES[t.kind]}`);
}

/**
 * Writes `value` as BTF type `type` at `byteOffset` of `dv`. Scalars take
 * numbers, bigints, decimal or `0x` strings (range-checked by width and
 * sign), booleans for `bool`, enumerator names for enums; `char[N]` takes a
 * string (UTF-8, at most N bytes, NUL-padded); other arrays take an array
 * or typed array of at most N elements (the rest zeroed); structs, unions
 * and data sections take a plain object of member names (members not
 * given are left as they are); a view of the same type is copied byte for
 * byte. Bytes (`Uint8Array`) of the type's exact size are copied as they
 * are. Throws {@link BtfError} naming `path` and
 * its type when the value does not fit.
 *
 * @example
 * ```ts
 * import { encodeInto, loadBtf } from "@bpfview/bpfview";
 * const btf = loadBtf();
 * const id = btf.get("list_head").id;
 * const bytes = new Uint8Array(16);
 * encodeInto(btf, id, { next: 0x1000n, prev: 0x2000n }, new DataView(bytes.buffer), 0);
 * ```
 */
export function encodeInto(
  btf: Btf,
  type: number,
  value: unknown,
  dv: DataView,
  byteOffset: number,
  path = "",
  depth = 0,
): void {
  if (depth > MAX_DEPTH) {
    throw new BtfError(`expected ${label(btf, type, path)} nested less than ${MAX_DEPTH} deep`);
  }
  const rid = resolveType(btf, type);
  if (rid === 0) {
    throw new BtfError(`expected a sized type for ${label(btf, type, path)}, found void`);
  }
  const t = btf.type(rid);
  const where = label(btf, type, path);
  const le = btf.littleEndian;
  if (value instanceof Uint8Array && t.kind !== Kind.ARRAY) {
    const size = sizeOf(btf, rid);
    if (value.length !== size) {
      throw new BtfError(`expected ${size} bytes for ${where}, found ${value.length}`);
    }
    checkRange(dv, byteOffset, size, where);
    new Uint8Array(dv.buffer, dv.byteOffset + byteOffset, size).set(value);
    return;
  }
  switch (t.kind) {
    case Kind.INT: {
      if (t.bits !== t.size * 8 || t.bitOffset !== 0) {
        encodeBits(btf, type, value, dv, byteOffset, t.bitOffset, t.bits, path);
        return;
      }
      checkRange(dv, byteOffset, t.size, where);
      writeUint(dv, byteOffset, t.size, scalarBits(t, value, t.size * 8, where), le);
      return;
    }
    case Kind.ENUM:
    case Kind.ENUM64:
    case Kind.PTR: {
      const size = t.kind === Kind.PTR ? btf.pointerSize : (t as { size: number }).size;
      checkRange(dv, byteOffset, size, where);
      writeUint(dv, byteOffset, size, scalarBits(t, value, size * 8, where), le);
      return;
    }
    case Kind.FLOAT: {
      // Strings: what toObject() gives for NaN and the infinities, or decimal text.
      const v = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
      const badText = typeof value === "string" && Number.isNaN(v) && value.trim() !== "NaN";
      if (typeof v !== "number" || badText) {
        throw new BtfError(`expected a number for ${where}, found ${show(value)}`);
      }
      checkRange(dv, byteOffset, t.size, where);
      if (t.size === 4) dv.setFloat32(byteOffset, v, le);
      else if (t.size === 8) dv.setFloat64(byteOffset, v, le);
      else throw new BtfError(`expected a 4- or 8-byte float for ${where}, found ${t.size} bytes`);
      return;
    }
    case Kind.ARRAY:
      encodeArray(btf, t.type, t.nelems, value, dv, byteOffset, path, where, depth);
      return;
    case Kind.STRUCT:
    case Kind.UNION:
    case Kind.DATASEC:
      encodeComposite(btf, rid, t, value, dv, byteOffset, path, where, depth);
      return;
  }
  throw new BtfError(
    `expected a type that holds a value for ${where}, found ${KIND_NAMES[t.kind]}`,
  );
}

function isChar(t: Type): boolean {
  return t.kind === Kind.INT && t.size === 1 && t.bits === 8 && (t.char || t.name === "char");
}

function encodeArray(
  btf: Btf,
  elem: number,
  n: number,
  value: unknown,
  dv: DataView,
  at: number,
  path: string,
  where: string,
  depth: number,
): void {
  const erid = resolveType(btf, elem);
  const et = erid === 0 ? undefined : btf.type(erid);
  const esize = erid === 0 ? 0 : sizeOf(btf, erid);
  checkRange(dv, at, esize * n, where);
  const bytes = new Uint8Array(dv.buffer, dv.byteOffset + at, esize * n);
  if (typeof value === "string" && (!et || !isChar(et))) {
    throw new BtfError(`expected an array for ${where}, found a string`);
  }
  // A string (into a char array) or bytes (into a byte array): copied, zero-filled after.
  const raw = typeof value === "string"
    ? enc.encode(value)
    : value instanceof Uint8Array && esize === 1
    ? value
    : undefined;
  if (raw) {
    if (raw.length > n) {
      throw new BtfError(`expected at most ${n} bytes for ${where}, found ${raw.length}`);
    }
    bytes.fill(0);
    bytes.set(raw);
    return;
  }
  const items = Array.isArray(value)
    ? value
    : ArrayBuffer.isView(value) && !(value instanceof DataView)
    ? Array.from(value as unknown as ArrayLike<unknown>)
    : value !== null && typeof value === "object" && Symbol.iterator in value
    ? Array.from(value as Iterable<unknown>)
    : undefined;
  if (!items) {
    throw new BtfError(`expected an array of at most ${n} for ${where}, found ${show(value)}`);
  }
  if (items.length > n) {
    throw new BtfError(`expected at most ${n} elements for ${where}, found ${items.length}`);
  }
  bytes.fill(0);
  for (let i = 0; i < items.length; i++) {
    encodeInto(btf, elem, items[i], dv, at + i * esize, `${path}[${i}]`, depth + 1);
  }
}

function encodeComposite(
  btf: Btf,
  rid: number,
  t: Type,
  value: unknown,
  dv: DataView,
  at: number,
  path: string,
  where: string,
  depth: number,
): void {
  let obj = value;
  if (value instanceof ViewBase) {
    // A view of this very type: its bytes as they are (padding included, as a
    // hash map's key must match byte for byte); another type's: its members.
    const meta = value[META], size = sizeOf(btf, rid);
    const ctor = value.constructor as { typeId?: number };
    if (ctor.typeId === rid && meta.size === size && meta.name === describe(btf, rid)) {
      checkRange(dv, at, size, where);
      const src = value[DV];
      if ((src.buffer as ArrayBuffer).detached) {
        throw new BtfError(`expected an open view to copy into ${where}, found its buffer closed`);
      }
      new Uint8Array(dv.buffer, dv.byteOffset + at, size).set(
        new Uint8Array(src.buffer, src.byteOffset + value[BASE], size),
      );
      return;
    }
  }
  if (
    obj !== null && typeof obj === "object" &&
    typeof (obj as { toObject?: unknown }).toObject === "function" &&
    Object.getPrototypeOf(obj) !== Object.prototype
  ) {
    obj = (obj as { toObject(): unknown }).toObject(); // a view
  }
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
    throw new BtfError(`expected an object of members for ${where}, found ${show(value)}`);
  }
  const fields = compositeFields(btf, rid, t);
  const size = t.kind === Kind.DATASEC ? t.size : sizeOf(btf, rid);
  checkRange(dv, at, size, where);
  for (const [name, v] of Object.entries(obj)) {
    const f = fields.get(name);
    if (!f) {
      const names = [...fields.keys()].slice(0, 12).join(", ");
      throw new BtfError(
        `expected a member of ${where} (${names}${
          fields.size > 12 ? ", ..." : ""
        }), found "${name}"`,
      );
    }
    const p = path ? `${path}.${name}` : name;
    const byte = f.bitOffset >>> 3;
    if (f.bitfieldSize !== 0) {
      encodeBits(btf, f.type, v, dv, at + byte, f.bitOffset - byte * 8, f.bitfieldSize, p);
    } else encodeInto(btf, f.type, v, dv, at + byte, p, depth + 1);
  }
}

interface FieldSpec {
  readonly type: number;
  readonly bitOffset: number;
  readonly bitfieldSize: number;
}

const fieldCache = new WeakMap<Btf, Map<number, Map<string, FieldSpec>>>();

function compositeFields(btf: Btf, rid: number, t: Type): Map<string, FieldSpec> {
  let perBtf = fieldCache.get(btf);
  if (!perBtf) fieldCache.set(btf, perBtf = new Map());
  let m = perBtf.get(rid);
  if (m) return m;
  m = new Map();
  if (t.kind === Kind.DATASEC) {
    for (const v of t.vars) {
      if (v.type === 0 || btf.kindOf(v.type) !== Kind.VAR) continue;
      const vt = btf.type(v.type) as { name: string; type: number };
      if (!m.has(vt.name)) {
        m.set(vt.name, { type: vt.type, bitOffset: v.offset * 8, bitfieldSize: 0 });
      }
    }
  } else {
    for (const f of fieldsOf(btf, rid)) if (!m.has(f.name)) m.set(f.name, f);
  }
  perBtf.set(rid, m);
  return m;
}

/**
 * Writes `value` into a bitfield: `bits` bits starting `shift` bits after
 * byte `byteOffset` of `dv` (counted as the BTF's byte order counts them),
 * leaving the neighbouring bits as they are. The value is checked against
 * the field's width and the sign of its type.
 *
 * @example
 * ```ts
 * import { encodeBits, loadBtf } from "@bpfview/bpfview";
 * const btf = loadBtf();
 * const u32 = btf.get("u32").id;
 * const dv = new DataView(new ArrayBuffer(4));
 * encodeBits(btf, u32, 5, dv, 0, 4, 3, "flags"); // bits 4..6 = 0b101
 * ```
 */
export function encodeBits(
  btf: Btf,
  type: number,
  value: unknown,
  dv: DataView,
  byteOffset: number,
  shift: number,
  bits: number,
  path = "",
): void {
  const rid = resolveType(btf, type);
  const t = rid === 0 ? undefined : btf.type(rid);
  const where = `${label(btf, type, path)}:${bits}`;
  if (!t || (t.kind !== Kind.INT && t.kind !== Kind.ENUM && t.kind !== Kind.ENUM64)) {
    throw new BtfError(`expected an int or enum bitfield for ${where}`);
  }
  if (bits < 1 || bits > 64 || bits > t.size * 8) {
    throw new BtfError(`expected a bitfield of 1 to ${Math.min(64, t.size * 8)} bits for ${where}`);
  }
  const v = scalarBits(t, value, bits, where);
  const nbytes = (shift + bits + 7) >>> 3;
  checkRange(dv, byteOffset, nbytes, where);
  const le = btf.littleEndian;
  for (let j = 0; j < bits; j++) {
    const p = shift + j;
    const at = byteOffset + (p >>> 3);
    // Little-endian counts bits from the value's least significant end,
    // big-endian from its most significant end.
    const bit = le ? (v >> BigInt(j)) & 1n : (v >> BigInt(bits - 1 - j)) & 1n;
    const mask = le ? 1 << (p & 7) : 0x80 >>> (p & 7);
    const old = dv.getUint8(at);
    dv.setUint8(at, bit ? old | mask : old & ~mask);
  }
}

/**
 * A fresh buffer of the type's size holding `value` (see
 * {@link encodeInto}).
 *
 * @example
 * ```ts
 * import { encode, loadBtf } from "@bpfview/bpfview";
 * const btf = loadBtf();
 * const bytes = encode(btf, btf.get("list_head").id, { next: 1n, prev: 2n });
 * console.log(bytes.length); // 16
 * ```
 */
export function encode(btf: Btf, type: number, value: unknown, path = ""): Uint8Array<ArrayBuffer> {
  const rid = resolveType(btf, type);
  const t = rid === 0 ? undefined : btf.type(rid);
  const size = t?.kind === Kind.DATASEC ? t.size : sizeOf(btf, rid);
  const bytes = new Uint8Array(size);
  encodeInto(btf, type, value, new DataView(bytes.buffer), 0, path);
  return bytes;
}

/**
 * A value for `type` from command-line text: integers of any width (decimal,
 * `0x`, `0o`, `0b`, negative), enumerator names or values, `true`/`false`
 * for bools, floats, and strings for `char[N]`. The result is checked when
 * written ({@link encodeInto}); text that cannot be a value of the type
 * gives {@link BtfError}.
 *
 * @example
 * ```ts
 * import { loadBtf, parseValue } from "@bpfview/bpfview";
 * const btf = loadBtf();
 * console.log(parseValue(btf, btf.get("u64").id, "0xffffffffffffffff")); // 18446744073709551615n
 * ```
 */
export function parseValue(btf: Btf, type: number, text: string, path = ""): unknown {
  const rid = resolveType(btf, type);
  const t = rid === 0 ? undefined : btf.type(rid);
  const where = label(btf, type, path);
  if (!t) throw new BtfError(`expected a sized type for ${where}, found void`);
  switch (t.kind) {
    case Kind.INT:
      if (t.bool) return text;
      if (isChar(t) && integer(text) === undefined && [...text].length === 1) {
        return text.codePointAt(0);
      }
      // fallthrough
    case Kind.PTR: {
      const i = integer(text);
      if (i === undefined) {
        throw new BtfError(`expected an integer for ${where}, found ${show(text)}`);
      }
      return i;
    }
    case Kind.ENUM:
    case Kind.ENUM64:
      return integer(text) ?? text;
    case Kind.FLOAT: {
      const f = Number(text);
      if (text.trim() === "" || Number.isNaN(f) && text.trim() !== "NaN") {
        throw new BtfError(`expected a number for ${where}, found ${show(text)}`);
      }
      return f;
    }
    case Kind.ARRAY: {
      const e = resolveType(btf, t.type);
      if (e !== 0 && isChar(btf.type(e))) return text;
      break;
    }
  }
  throw new BtfError(
    `expected an integer, enum, bool, float or char array for ${where} to set from text, found ${
      KIND_NAMES[t.kind]
    }`,
  );
}
