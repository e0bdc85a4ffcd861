/**
 * Views: lazily evaluated, zero-copy field getters for BTF structs, unions
 * and data sections.
 *
 * ```ts
 * import { loadBtf } from "@bpfview/bpfview";
 * const V = loadBtf().view("trace_event_raw_sched_switch");
 * const buf = new ArrayBuffer(V.size * 100);
 * const v = new V(buf);
 * for (let off = 0; off + V.size <= buf.byteLength; off += V.size) {
 *   v.rebind(off); // no allocation per record
 *   console.log(v.prev_pid, v.next_comm);
 * }
 * ```
 *
 * A view class is compiled once per type (and options) and cached per
 * {@link Btf}. Its prototype has one getter per member; a getter reads the
 * member from a `DataView` at `base + offset` only when called. An instance
 * is bound to a region of a buffer, and `rebind` moves it to another region.
 *
 * What the getters give:
 * - 8, 16 and 32-bit integers, enums and chars: numbers. 64-bit integers,
 *   pointers and 128-bit integers: bigints, or with `int64: "safe"` numbers
 *   when they are safe integers. Bools: booleans. Floats: numbers (16, 32,
 *   64-bit; other widths: a copy of the raw bytes).
 * - Bitfields (kind_flag widths, or old-style INT encodings): numbers up
 *   to 32 bits, signed ones sign-extended; wider ones follow the 64-bit
 *   rule. Any bit offset works, including fields straddling bytes.
 * - Typedefs, const, volatile, restrict and type tags are resolved;
 *   members of anonymous structs and unions are reached as in C
 *   (`v.inner_field`).
 * - Nested structs and unions: a child view on the same bytes, cached by
 *   the parent and rebound on each read (so a child is a cursor: read it
 *   again after moving the parent).
 * - Arrays of plain numbers (ints, enums, pointers, floats, bools): typed
 *   arrays over the same memory when the element is aligned and in the
 *   host's byte order, else a copy. Arrays of `char`: a string cut at the
 *   first NUL, decoded as UTF-8 with U+FFFD for invalid bytes (`signed
 *   char` / `unsigned char` arrays are byte arrays). Anything else (arrays
 *   of structs, of strings, of arrays): an {@link ArrayView}, indexable and
 *   iterable.
 * - A flexible array member (a zero-length array that ends a struct) has as
 *   many elements as fit in the bound region past `sizeof(struct)`: the
 *   kernel's `struct_size()` convention. Pass `byteLength` to give it room.
 *
 * `toObject()` / `toJSON()` follow the JSON rules of the design (integers
 * beyond 2^53 as decimal strings, char arrays as strings, enums as values).
 * Beyond the design: pointers are 64-bit integers there too (kernel
 * addresses become decimal strings); float NaN and infinities, which
 * `JSON.stringify` would turn into `null`, become the strings `"NaN"`,
 * `"Infinity"` and `"-Infinity"`; bools are booleans; a union shows every
 * member (each reading the same bytes); `signed char` / `unsigned char`
 * arrays are arrays of numbers; a zero-length array that is not the last
 * member is an empty array.
 * Nested structs are expanded at every use, so one call builds at most
 * 100000 values plus 64 per byte viewed (the kernel's structs need at most
 * 12 per byte) and throws {@link BtfError} beyond: a union holding two
 * members of the union below it, level after level, would otherwise double
 * per level.
 *
 * Member names never clash with the view's own API: names in
 * {@link RESERVED_NAMES} (`rebind`, `get`, `toObject`, `toJSON`,
 * `constructor`, `__proto__` and the other `Object.prototype` names) get no
 * getter and are read with `view.get(name)`; instance state lives under
 * symbols.
 *
 * Names from BTF never appear in generated source: getters are generated
 * with only numbers (offsets, widths, masks) in them and installed under
 * their member names with `Object.defineProperty`. Offsets are checked
 * against the type's size when the class is compiled, and a region shorter
 * than the type is refused when binding, so a view never reads outside its
 * region.
 *
 * @module
 */

import { BtfError } from "./error.ts";
import { Kind, KIND_NAMES } from "./kinds.ts";
import { describe, fieldsOf, MAX_DEPTH, resolveType, sizeOf } from "./layout.ts";
import type { Btf } from "./parse.ts";
import type { Type } from "./types.ts";

// ---------------------------------------------------------------------------
// Public types

/**
 * A value converter, opt-in per field or per type name (see
 * {@link ViewOptions}). Either a function of the raw value, or an object
 * whose `bind` is called once per field when the view class is compiled and
 * returns that function (so it can look at the field's type, e.g. to map
 * enum values to names).
 *
 * @example
 * ```ts
 * import type { Converter } from "@bpfview/bpfview";
 * const kib: Converter = (v) => Number(v) / 1024;
 * ```
 */
export type Converter =
  // deno-lint-ignore no-explicit-any
  | ((raw: any) => unknown)
  // deno-lint-ignore no-explicit-any
  | { bind(field: ConverterField): (raw: any) => unknown };

/**
 * What a converter's `bind` learns about the field it converts.
 *
 * @example
 * ```ts
 * import type { ConverterField } from "@bpfview/bpfview";
 * const show = (f: ConverterField) => `${f.path}: type ${f.type}`;
 * ```
 */
export interface ConverterField {
  /** The BTF the field comes from. */
  readonly btf: Btf;
  /** The member's type id (unresolved: may be a typedef). */
  readonly type: number;
  /** The member's name. */
  readonly name: string;
  /** Dotted path from the outermost view (`"inner.ts"`). */
  readonly path: string;
}

/**
 * Options of a view class. Classes are cached per BTF, type and options:
 * options without converters are compared by value, options with
 * converters by identity (reuse the same object).
 *
 * @example
 * ```ts
 * import { errnoName, type ViewOptions } from "@bpfview/bpfview";
 * const opts: ViewOptions = { int64: "safe", fields: { err: errnoName } };
 * ```
 */
export interface ViewOptions {
  /**
   * 64-bit integers, pointers and bitfields wider than 32 bits:
   * `"bigint"` (default) always gives a bigint; `"safe"` gives a number
   * when the value is a safe integer, else a bigint.
   */
  int64?: "bigint" | "safe";
  /** Enum members: `"value"` (default) or `"name"` (the enumerator's name, or the value if none matches). */
  enums?: "value" | "name";
  /** Converters by member path: `"ts"`, or `"inner.ts"` for a member of a nested struct. */
  fields?: Record<string, Converter>;
  /**
   * Converters by type name: a member whose type is, or goes through a
   * typedef named so (`"ktime_t"`, `"u64"`), or is a struct, union, enum or
   * int of that name, gets the converter. Field converters win.
   */
  types?: Record<string, Converter>;
}

/**
 * One field of a view class, as C reaches it (anonymous members flattened).
 *
 * @example
 * ```ts
 * import type { ViewField } from "@bpfview/bpfview";
 * const where = (f: ViewField) => `${f.name} @ ${f.bitOffset / 8}`;
 * ```
 */
export interface ViewField {
  /** Member name. */
  readonly name: string;
  /** The member's type id (unresolved). */
  readonly type: number;
  /** Bit offset from the start of the viewed type. */
  readonly bitOffset: number;
  /** Bitfield width, 0 if not a bitfield. */
  readonly bitfieldSize: number;
  /** Whether `view[name]` reaches it (false for names the view's own API reserves: use `get(name)`). */
  readonly direct: boolean;
  /** Reads the field of `view` (the same as `view.get(name)`). */
  readonly read: (view: View) => unknown;
}

/**
 * The API every view instance has. Member getters sit beside it on the
 * prototype, one per member name, except names in {@link RESERVED_NAMES},
 * which are reached with {@link View.get}.
 *
 * @example
 * ```ts
 * import type { View } from "@bpfview/bpfview";
 * const dump = (v: View) => JSON.stringify(v);
 * ```
 */
export interface ViewApi {
  /**
   * Moves this view to the region `[byteOffset, byteOffset + byteLength)`
   * of the buffer it was created on (`byteLength` defaults to the type's
   * size). Throws {@link BtfError} when the region is shorter than the
   * type or runs past the buffer. Returns the view.
   */
  rebind(byteOffset: number, byteLength?: number): this;
  /** Reads a member by name (also members whose names the API reserves). */
  get(name: string): unknown;
  /** A plain object following the JSON rules (see {@link ViewClass}). */
  toObject(): Record<string, unknown>;
  /** The same as {@link ViewApi.toObject}: `JSON.stringify(view)` works. */
  toJSON(): Record<string, unknown>;
}

/**
 * A view instance: the {@link ViewApi} plus one getter per member. `T`
 * describes the members when the caller knows them.
 *
 * @example
 * ```ts
 * import type { View } from "@bpfview/bpfview";
 * type Event = View<{ pid: number; comm: string }>;
 * ```
 */
export type View<T = Record<string, unknown>> = ViewApi & T;

/**
 * A compiled view class. `new V(buffer, byteOffset = 0, byteLength?)` binds
 * an instance to a region of an `ArrayBuffer`, `DataView` or typed array
 * (offsets are relative to it). `toObject()` / `toJSON()` follow the JSON
 * rules of the design: integers beyond 2^53 as decimal strings, char arrays
 * as strings, arrays as arrays, nested structs as objects, enums as their
 * value (unless a converter says otherwise).
 *
 * @example
 * ```ts
 * import { loadBtf } from "@bpfview/bpfview";
 * const V = loadBtf().view("list_head");
 * const v = new V(new ArrayBuffer(V.size));
 * console.log(v.next);
 * ```
 */
export interface ViewClass<T = Record<string, unknown>> {
  /** Binds a new view to `[byteOffset, byteOffset + byteLength)` of `buffer` (default length: {@link ViewClass.size}). */
  new (
    buffer: ArrayBufferLike | ArrayBufferView,
    byteOffset?: number,
    byteLength?: number,
  ): View<T>;
  /** The type's size in bytes (`sizeof`). */
  readonly size: number;
  /** The viewed type's id (typedefs and qualifiers resolved). */
  readonly typeId: number;
  /** The viewed type in C terms (`struct task_struct`). */
  readonly typeName: string;
  /** The fields, in declaration order. */
  readonly fields: readonly ViewField[];
  /** The view class's prototype. */
  readonly prototype: View<T>;
}

/**
 * Names a view never installs as member getters, because the view's own
 * API or `Object.prototype` uses them. Members with these names are read
 * with `view.get(name)` and appear under their names in `toObject()`.
 *
 * @example
 * ```ts
 * import { RESERVED_NAMES } from "@bpfview/bpfview";
 * console.log(RESERVED_NAMES.has("rebind")); // true
 * ```
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  "rebind",
  "get",
  "toObject",
  "toJSON",
  "constructor",
  "__proto__",
  "__defineGetter__",
  "__defineSetter__",
  "__lookupGetter__",
  "__lookupSetter__",
  "hasOwnProperty",
  "isPrototypeOf",
  "propertyIsEnumerable",
  "toLocaleString",
  "toString",
  "valueOf",
]);

// ---------------------------------------------------------------------------
// Instance state lives under symbols, so no member name can shadow it.

const DV = Symbol("dv");
const BASE = Symbol("base");
const END = Symbol("end");
const LIMIT = Symbol("limit");
const KIDS = Symbol("kids");
const META = Symbol("meta");
const READ = Symbol("read");
const LEN = Symbol("len");
const REBIND = Symbol("rebind");
const TO_OBJECT = Symbol("toObject");

const EMPTY_DV = new DataView(new ArrayBuffer(0));

/**
 * `toObject()` builds at most this many values (objects, arrays and their
 * entries), plus {@link NODES_PER_BYTE} per byte viewed. A struct or union
 * used by two members of the type above it, level after level, would
 * otherwise expand into 2^levels objects from a few bytes.
 */
const NODES_BASE = 100_000;
/**
 * Values `toObject()` may build per byte viewed. The kernel's structs and
 * unions need at most 12 per byte (a 48-byte union of ~250 hook pointers)
 * and 44k in all (`struct pglist_data`).
 */
const NODES_PER_BYTE = 64;
/** Values built so far by the running `toObject()`, and the most it may build. */
let nodes = 0;
let maxNodes = 0;

/** Runs one `toObject()` with its own value budget (restored after, so calls may nest). */
function toObjectOf<T>(v: { [TO_OBJECT](depth: number): T }, bytes: number): T {
  const savedNodes = nodes, savedMax = maxNodes;
  nodes = 0;
  maxNodes = NODES_BASE + NODES_PER_BYTE * bytes;
  try {
    return v[TO_OBJECT](0);
  } finally {
    nodes = savedNodes;
    maxNodes = savedMax;
  }
}

function tooManyNodes(name: string): never {
  throw new BtfError(
    `expected toObject() to build at most ${maxNodes} values (${NODES_BASE} + ${NODES_PER_BYTE} per byte viewed), found more at ${name}: nested structs, unions or arrays reused at every level`,
  );
}
const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function toDataView(buffer: ArrayBufferLike | ArrayBufferView): DataView {
  if (buffer instanceof DataView) return buffer;
  if (ArrayBuffer.isView(buffer)) {
    return new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }
  if (buffer instanceof ArrayBuffer) return new DataView(buffer);
  if (typeof SharedArrayBuffer !== "undefined" && buffer instanceof SharedArrayBuffer) {
    return new DataView(buffer);
  }
  throw new BtfError(
    `expected an ArrayBuffer, DataView or typed array to view, found ${
      buffer === null ? "null" : typeof buffer
    }`,
  );
}

interface Meta {
  readonly name: string;
  readonly size: number;
  readonly fields: ViewField[];
  readonly byName: Map<string, ViewField>;
  readonly json: ((v: unknown, depth: number) => unknown)[];
}

/** The base of every view class. */
class ViewBase {
  [DV]: DataView = EMPTY_DV;
  [LIMIT] = 0;
  [BASE] = 0;
  [END] = 0;
  [KIDS]: unknown[] | undefined = undefined;
  declare [META]: Meta;

  constructor(
    buffer: ArrayBufferLike | ArrayBufferView,
    byteOffset = 0,
    byteLength?: number,
  ) {
    const dv = toDataView(buffer);
    this[DV] = dv;
    this[LIMIT] = dv.byteLength;
    (this as unknown as ViewApi).rebind(byteOffset, byteLength);
  }

  get(name: string): unknown {
    const f = this[META].byName.get(name);
    if (!f) {
      throw new BtfError(
        `expected a member named "${name}" in ${this[META].name}, found none`,
      );
    }
    return f.read(this as unknown as View);
  }

  [TO_OBJECT](depth: number): Record<string, unknown> {
    const meta = this[META];
    if (depth > MAX_DEPTH) {
      throw new BtfError(
        `expected ${meta.name} nested less than ${MAX_DEPTH} deep, found deeper (a cycle?)`,
      );
    }
    const { fields, json } = meta;
    if ((nodes += fields.length + 1) > maxNodes) tooManyNodes(meta.name);
    const out: Record<string, unknown> = {};
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i];
      const v = json[i](f.read(this as unknown as View), depth + 1);
      if (f.name === "__proto__") {
        Object.defineProperty(out, f.name, {
          value: v,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else out[f.name] = v;
    }
    return out;
  }

  toObject(): Record<string, unknown> {
    return toObjectOf(this, this[END] - this[BASE]);
  }

  toJSON(): Record<string, unknown> {
    return toObjectOf(this, this[END] - this[BASE]);
  }

  [Symbol.for("Deno.customInspect")](
    inspect: (v: unknown, o: unknown) => string,
    options: unknown,
  ): string {
    return `${this[META].name} ${inspect(this.toObject(), options)}`;
  }
}

/**
 * A zero-copy view of an array whose elements are not plain numbers
 * (structs, strings, nested arrays, 128-bit integers...), or of a plain
 * number array whose bytes are misaligned or in the other byte order.
 * Index it with `a[i]` (for `i` below 1024; `undefined` past the end) or
 * `a.at(i)`; it is iterable.
 *
 * @example
 * ```ts
 * import { ArrayView } from "@bpfview/bpfview";
 * const show = (a: ArrayView) => [...a].length === a.length;
 * ```
 */
export class ArrayView {
  /** @internal The DataView read from. */
  [DV]: DataView = EMPTY_DV;
  /** @internal Byte offset of element 0 in the DataView. */
  [BASE] = 0;
  /** @internal Number of elements. */
  [LEN] = 0;
  /** @internal Cached child views per element. */
  [KIDS]: unknown[] | undefined = undefined;
  /** @internal Reads element `i` (no range check). */
  declare [READ]: (this: ArrayView, i: number) => unknown;
  /** @internal The element's JSON conversion. */
  declare [META]: { json: (v: unknown, depth: number) => unknown; esize: number };
  /** Element `i`, for `i` below 1024 (`undefined` past the end of a flexible array). */
  readonly [index: number]: unknown;

  /** @internal Created by views only. */
  constructor(dv: DataView, base: number, length: number) {
    this[DV] = dv;
    this[BASE] = base;
    this[LEN] = length;
  }

  /** @internal Moves the array view (by its parent view). */
  [REBIND](base: number, length: number): this {
    this[BASE] = base;
    this[LEN] = length;
    return this;
  }

  /** Number of elements. */
  get length(): number {
    return this[LEN];
  }

  /** Element `i` (negative counts from the end), or `undefined` out of range. */
  at(i: number): unknown {
    i = Math.trunc(i);
    if (i < 0) i += this[LEN];
    if (!(i >= 0 && i < this[LEN])) return undefined;
    return this[READ](i);
  }

  /** Iterates over the elements. */
  *[Symbol.iterator](): Iterator<unknown> {
    for (let i = 0; i < this[LEN]; i++) yield this[READ](i);
  }

  /** @internal toObject with a nesting depth guard. */
  [TO_OBJECT](depth: number): unknown[] {
    if (depth > MAX_DEPTH) {
      throw new BtfError(`expected arrays nested less than ${MAX_DEPTH} deep, found deeper`);
    }
    const n = this[LEN];
    if ((nodes += n + 1) > maxNodes) tooManyNodes(`an array of ${n} elements`);
    const out = new Array(n), json = this[META].json;
    for (let i = 0; i < n; i++) out[i] = json(this[READ](i), depth + 1);
    return out;
  }

  /** The elements as a plain array following the JSON rules. */
  toObject(): unknown[] {
    return toObjectOf(this, this[LEN] * this[META].esize);
  }

  /** The same as {@link ArrayView.toObject}. */
  toJSON(): unknown[] {
    return this.toObject();
  }

  /** Shows the elements in `console.log`. */
  [Symbol.for("Deno.customInspect")](
    inspect: (v: unknown, o: unknown) => string,
    options: unknown,
  ): string {
    return inspect(this.toObject(), options);
  }
}

// ---------------------------------------------------------------------------
// JSON values

function jsonBigint(v: bigint): number | string {
  return v <= 9007199254740991n && v >= -9007199254740991n ? Number(v) : v.toString();
}

/** NaN and the infinities as strings (`"NaN"`, `"Infinity"`, `"-Infinity"`): JSON has no such numbers. */
function jsonNumber(v: number): number | string {
  return v - v === 0 ? v : String(v);
}

/** The JSON form of any value a getter (or converter) returns. */
function jsonValue(v: unknown, depth: number): unknown {
  switch (typeof v) {
    case "number":
      return jsonNumber(v);
    case "bigint":
      return jsonBigint(v);
    case "object":
      if (v === null) return v;
      if (v instanceof ViewBase || v instanceof ArrayView) return v[TO_OBJECT](depth);
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
        const a = v as unknown as ArrayLike<number | bigint>;
        const out = new Array(a.length);
        for (let i = 0; i < a.length; i++) {
          const x = a[i];
          out[i] = typeof x === "bigint" ? jsonBigint(x) : jsonNumber(x);
        }
        return out;
      }
      return v;
    default:
      return v;
  }
}

function jsonBoolArray(v: unknown): unknown {
  if (v instanceof Uint8Array) return Array.from(v, (x) => x !== 0);
  return jsonValue(v, 0);
}

// ---------------------------------------------------------------------------
// Caches

interface Norm {
  int64: "bigint" | "safe";
  enums: "value" | "name";
  fields: Record<string, Converter> | undefined;
  types: Record<string, Converter> | undefined;
  key: unknown;
}

const classCache = new WeakMap<Btf, Map<unknown, Map<string, unknown>>>();

function normalize(o: ViewOptions | undefined): Norm {
  const int64 = o?.int64 ?? "bigint";
  const enums = o?.enums ?? "value";
  if (int64 !== "bigint" && int64 !== "safe") {
    throw new BtfError(`expected int64 "bigint" or "safe", found ${JSON.stringify(int64)}`);
  }
  if (enums !== "value" && enums !== "name") {
    throw new BtfError(`expected enums "value" or "name", found ${JSON.stringify(enums)}`);
  }
  const hasConv = !!(o?.fields && Object.keys(o.fields).length) ||
    !!(o?.types && Object.keys(o.types).length);
  return {
    int64,
    enums,
    fields: o?.fields,
    types: o?.types,
    key: hasConv ? o : `${int64}|${enums}`,
  };
}

function cached<T>(btf: Btf, norm: Norm, key: string, make: () => T): T {
  let perBtf = classCache.get(btf);
  if (!perBtf) classCache.set(btf, perBtf = new Map());
  let perOpts = perBtf.get(norm.key);
  if (!perOpts) perBtf.set(norm.key, perOpts = new Map());
  let c = perOpts.get(key) as T | undefined;
  if (c === undefined) {
    c = make();
    perOpts.set(key, c);
  }
  return c;
}

// ---------------------------------------------------------------------------
// Entry point

/**
 * The view class of a struct, union or data section, given by name (`"task_struct"`,
 * `"struct sock"`, a typedef name), type id or decoded type. Typedefs and
 * qualifiers are resolved. Compiled once per BTF, type and options, then
 * cached. Also available as `btf.view(type, options)`.
 *
 * @example
 * ```ts
 * import { loadBtf, viewClass } from "@bpfview/bpfview";
 * const btf = loadBtf();
 * const V = viewClass(btf, "list_head");
 * const buf = new ArrayBuffer(V.size * 2);
 * const v = new V(buf);
 * for (let off = 0; off < buf.byteLength; off += V.size) console.log(v.rebind(off).next);
 * ```
 */
export function viewClass<T = Record<string, unknown>>(
  btf: Btf,
  type: string | number | Type,
  options?: ViewOptions,
): ViewClass<T> {
  const id = typeId(btf, type);
  const norm = normalize(options);
  return compositeClass(btf, resolveType(btf, id), norm, "", 0) as unknown as ViewClass<T>;
}

function typeId(btf: Btf, type: string | number | Type): number {
  if (typeof type === "number") {
    if (type === 0) {
      throw new BtfError("expected a struct, union or data section to view, found void");
    }
    btf.kindOf(type); // range check
    return type;
  }
  if (typeof type === "object" && type !== null) {
    const id = type.id;
    if (typeof id !== "number" || id === 0 || btf.kindOf(id) !== type.kind) {
      throw new BtfError(`expected a type of this BTF, found type ${id} '${type.name}'`);
    }
    return id;
  }
  const s = String(type).trim();
  const m = /^(struct|union)\s+(.+)$/.exec(s);
  if (m) return btf.get(m[2], m[1] === "struct" ? Kind.STRUCT : Kind.UNION).id;
  return btf.get(s).id;
}

// ---------------------------------------------------------------------------
// Code generation: only numbers, booleans and fixed identifiers reach the
// source. Every number goes through n(), which refuses anything else.

function n(x: number): string {
  if (typeof x !== "number" || !Number.isFinite(x)) {
    throw new Error(`internal: non-number ${String(x)} in generated view code`);
  }
  return String(x);
}

function b(x: boolean): string {
  return x ? "true" : "false";
}

/** Where a generated read sits: the holder's child-cache slot and region end, as source. */
interface GenCtx {
  /** Source for the child-cache slot index. */
  readonly slot: string;
  /** Source for the end of the region (for tail members), or "" if not a tail member. */
  readonly end: string;
  /** Registers a lazily compiled child class; returns its index in `C`. */
  child(make: () => unknown): number;
}

type Closure = (self: Holder, a: number, end: number, slot: number) => unknown;
type Json = (v: unknown, depth: number) => unknown;

/**
 * How to read one value. `gen` gives a function body (with `dv`, `this` and
 * the absolute offset source `A` in scope) for the hot, monomorphic cases;
 * `make` gives a closure for the allocating ones (strings, arrays).
 */
type Reader =
  | { readonly gen: (A: string, ctx: GenCtx) => string; readonly json: Json }
  | { readonly make: () => Closure; readonly json: Json };

/** A view or array view: anything with a DataView, a base and a child cache. */
interface Holder {
  [DV]: DataView;
  [BASE]: number;
  [KIDS]: unknown[] | undefined;
}

interface FieldSpec {
  name: string;
  type: number;
  bitOffset: number;
  bitfieldSize: number;
}

const GEN_PARAMS = ["DV", "BASE", "END", "LIMIT", "KIDS", "C", "LC", "H", "FAIL", "OK"];

/**
 * `rebind`'s range check, as generated code reads it: `OK[bad ? 1 : 0] ===
 * undefined`. Same meaning as `if (bad)`, but TurboFan compiles it without a
 * branch that leaves the caller's loop: the read of a small-integer array is
 * a bounds check that deoptimizes when out of range (never-taken), and its
 * result, a small integer, is never `undefined`, so the test folds away. A
 * plain `if (bad) return FAIL(...)`, inlined into a loop, is an exit from it
 * (a throw or a deopt), and V8 does not peel loops with such exits: the
 * loop-invariant loads (the view's map, DataView, byte length, data pointer)
 * then stay in every iteration, ~15% slower per record (bench/view_compare.ts).
 * In the interpreter `OK[1]` is `undefined` and `FAIL` throws as before.
 * Never written to: it must stay a packed small-integer array.
 */
const OK_ARRAY = [0];

/** Compiles generated source (a `return ...` body) with the fixed parameters. */
function compile(body: string, C: unknown[], LC: (i: number) => unknown, fail?: unknown): unknown {
  return new Function(...GEN_PARAMS, `"use strict";\n${body}`)(
    DV,
    BASE,
    END,
    LIMIT,
    KIDS,
    C,
    LC,
    HELPERS,
    fail,
    OK_ARRAY,
  );
}

/** Lazily compiled child classes for generated code: `C[i] || LC(i)`. */
function childTable(): {
  C: unknown[];
  LC: (i: number) => unknown;
  add: (m: () => unknown) => number;
} {
  const makers: (() => unknown)[] = [];
  const C: unknown[] = [];
  return {
    C,
    LC: (i) => C[i] = makers[i](),
    add: (m) => {
      makers.push(m);
      C.push(undefined);
      return makers.length - 1;
    },
  };
}

function where(btf: Btf, id: number, name: string): string {
  return `member "${name}" of ${describe(btf, id)} (type ${id})`;
}

// ---------------------------------------------------------------------------
// Composite (struct, union, datasec) classes

function compositeClass(btf: Btf, id: number, norm: Norm, prefix: string, depth: number): unknown {
  return cached(btf, norm, `c${id}|${norm.fields ? prefix : ""}`, () => {
    if (depth > MAX_DEPTH) {
      throw new BtfError(
        `expected types nested less than ${MAX_DEPTH} deep below ${
          describe(btf, id)
        }, found deeper`,
      );
    }
    return compileComposite(btf, id, norm, prefix, depth);
  });
}

function compositeFields(btf: Btf, id: number): { size: number; fields: FieldSpec[] } {
  const t = btf.type(id);
  if (t.kind === Kind.STRUCT || t.kind === Kind.UNION) {
    return { size: t.size, fields: fieldsOf(btf, id) };
  }
  if (t.kind === Kind.DATASEC) {
    const fields: FieldSpec[] = [];
    for (const v of t.vars) {
      if (v.type === 0 || btf.kindOf(v.type) !== Kind.VAR) continue;
      const vt = btf.type(v.type) as { name: string; type: number };
      fields.push({ name: vt.name, type: vt.type, bitOffset: v.offset * 8, bitfieldSize: 0 });
    }
    return { size: t.size, fields };
  }
  throw new BtfError(
    `expected a struct, union or data section to view, found ${
      KIND_NAMES[t.kind]
    } '${t.name}' (type ${id})`,
  );
}

function compileComposite(
  btf: Btf,
  id: number,
  norm: Norm,
  prefix: string,
  depth: number,
): unknown {
  const typeName = describe(btf, id);
  const { size, fields: specs } = compositeFields(btf, id);
  const isStruct = btf.kindOf(id) === Kind.STRUCT;
  let maxOff = -1;
  for (const f of specs) if (f.bitOffset > maxOff) maxOff = f.bitOffset;

  class V extends ViewBase {}
  const proto = V.prototype as unknown as Record<PropertyKey, unknown>;
  const kids = childTable();
  const src: string[] = [
    `function rebind(off, len) {
  if (len === undefined) len = ${n(size)};
  if (OK[off >>> 0 !== off || len >>> 0 !== len || len < ${
      n(size)
    } || off + len > this[LIMIT] ? 1 : 0] === undefined) return FAIL(this, off, len);
  this[BASE] = off;
  this[END] = off + len;
  return this;
}`,
  ];
  type Kept = { f: FieldSpec; json: Json; gen: number; fn?: Closure; tail: boolean; slot: number };
  const kept: Kept[] = [];
  const seen = new Set<string>();
  let slots = 0;

  // Members that may grow into the rest of the region: those starting last with no
  // member of nonzero size declared after them at the same offset.
  const growable = new Array<boolean>(specs.length).fill(false);
  if (isStruct) {
    for (let i = specs.length - 1; i >= 0; i--) {
      if (specs[i].bitOffset !== maxOff) continue;
      growable[i] = true;
      if (specs[i].bitfieldSize !== 0 || !zeroSized(btf, specs[i].type)) break;
    }
  }
  let specIndex = -1;
  for (const f of specs) {
    specIndex++;
    if (seen.has(f.name)) continue; // duplicate names (hostile BTF): the first wins
    seen.add(f.name);
    const path = prefix ? `${prefix}.${f.name}` : f.name;
    const off = f.bitOffset >>> 3;
    // A struct's last member may grow into the rest of the region (flexible arrays,
    // also several in a union as DECLARE_FLEX_ARRAY makes them). A zero-length array
    // followed by a member of nonzero size (GNU `int z[0]; u32 b;`) stays empty.
    const tail = growable[specIndex];
    let r = fieldReader(btf, id, f, size, norm, path, depth, tail ? size - off : -1);
    const conv = converterFor(btf, f, path, norm);
    if (conv) r = convert(r, conv, { btf, type: f.type, name: f.name, path });
    const slot = slots++;
    if ("gen" in r) {
      const ctx: GenCtx = { slot: n(slot), end: tail ? "this[END]" : "", child: kids.add };
      kept.push({ f, json: r.json, gen: src.length, tail, slot });
      src.push(`function () {
  const dv = this[DV], a = this[BASE];
  ${r.gen(`(a + ${n(off)})`, ctx)}
}`);
    } else {
      kept.push({ f, json: r.json, gen: -1, fn: r.make(), tail, slot });
    }
  }

  const fail = (self: ViewBase, off: unknown, len: unknown) => {
    const limit = self[LIMIT];
    if (typeof off !== "number" || off >>> 0 !== off) {
      throw new BtfError(
        `expected a byte offset between 0 and ${limit} for ${typeName}, found ${String(off)}`,
      );
    }
    if (typeof len !== "number" || len >>> 0 !== len) {
      throw new BtfError(`expected a byte length for ${typeName}, found ${String(len)}`);
    }
    if (len < size) {
      throw new BtfError(`expected ${size} bytes for ${typeName}, found ${len}`, off);
    }
    throw new BtfError(
      `expected ${len} bytes for ${typeName}, found ${Math.max(0, limit - off)}`,
      off,
    );
  };
  const fns = compile(`return [\n${src.join(",\n")}\n];`, kids.C, kids.LC, fail) as ((
    this: Holder,
  ) => unknown)[];

  Object.defineProperty(proto, "rebind", { value: fns[0], writable: true, configurable: true });
  const viewFields: ViewField[] = [];
  const byName = new Map<string, ViewField>();
  for (const k of kept) {
    const { f, fn, slot } = k;
    const off = f.bitOffset >>> 3;
    let get: (this: Holder) => unknown;
    if (k.gen >= 0) get = fns[k.gen];
    else if (k.tail) {
      get = function (this: Holder) {
        return fn!(this, this[BASE] + off, (this as unknown as ViewBase)[END], slot);
      };
    } else {
      get = function (this: Holder) {
        const a = this[BASE] + off;
        return fn!(this, a, a, slot);
      };
    }
    const direct = !RESERVED_NAMES.has(f.name);
    if (direct) {
      Object.defineProperty(proto, f.name, { get, enumerable: true, configurable: true });
    }
    const vf: ViewField = Object.freeze({
      name: f.name,
      type: f.type,
      bitOffset: f.bitOffset,
      bitfieldSize: f.bitfieldSize,
      direct,
      read: (v: View) => get.call(v as unknown as Holder),
    });
    viewFields.push(vf);
    byName.set(f.name, vf);
  }
  const meta: Meta = {
    name: typeName,
    size,
    fields: viewFields,
    byName,
    json: kept.map((k) => k.json),
  };
  Object.defineProperty(proto, META, { value: meta });
  Object.defineProperty(V, "size", { value: size });
  Object.defineProperty(V, "typeId", { value: id });
  Object.defineProperty(V, "typeName", { value: typeName });
  Object.defineProperty(V, "fields", { value: Object.freeze(viewFields) });
  return V;
}

/** Whether a member type has size 0 (zero-length arrays, empty structs); errors count as sized. */
function zeroSized(btf: Btf, type: number): boolean {
  try {
    const r = resolveType(btf, type);
    return r !== 0 && sizeOf(btf, r) === 0;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// Converters

function converterFor(btf: Btf, f: FieldSpec, path: string, norm: Norm): Converter | undefined {
  if (norm.fields && Object.hasOwn(norm.fields, path)) return norm.fields[path];
  if (norm.types) {
    let id = f.type;
    for (let i = 0; i <= MAX_DEPTH && id !== 0; i++) {
      const name = btf.nameOf(id);
      if (name && Object.hasOwn(norm.types, name)) return norm.types[name];
      const k = btf.kindOf(id);
      if (
        k === Kind.TYPEDEF || k === Kind.CONST || k === Kind.VOLATILE || k === Kind.RESTRICT ||
        k === Kind.TYPE_TAG
      ) {
        id = (btf.type(id) as { type: number }).type;
      } else break;
    }
  }
  if (norm.enums === "name") {
    const k = btf.kindOf(resolveType(btf, f.type));
    if (k === Kind.ENUM || k === Kind.ENUM64) return enumName;
  }
  return undefined;
}

/**
 * A converter giving an enum member's enumerator name (the value itself
 * when no enumerator matches). It looks at the field's type, so give it per
 * field or per enum type name, or use the `enums: "name"` view option.
 *
 * @example
 * ```ts
 * import { enumName, loadBtf } from "@bpfview/bpfview";
 * const V = loadBtf().view("sock_common", { types: { "sa_family_t": enumName } });
 * ```
 */
export const enumName: Converter = {
  bind(field: ConverterField) {
    const r = resolveType(field.btf, field.type);
    const t = r === 0 ? undefined : field.btf.type(r);
    const names = new Map<unknown, string>();
    const add = (v: unknown, name: string) => {
      if (!names.has(v)) names.set(v, name);
    };
    if (t && (t.kind === Kind.ENUM || t.kind === Kind.ENUM64)) {
      const bits = BigInt(8 * t.size);
      for (const e of t.values) {
        const v = BigInt(e.value);
        // The value as stored, read back signed or unsigned, as a number or a bigint.
        for (const x of [v, BigInt.asUintN(Number(bits), v), BigInt.asIntN(Number(bits), v)]) {
          add(x, e.name);
          if (x <= 9007199254740991n && x >= -9007199254740991n) add(Number(x), e.name);
        }
      }
    }
    return (raw: unknown) => names.get(raw) ?? raw;
  },
};

function convert(r: Reader, conv: Converter, field: ConverterField): Reader {
  const fn = typeof conv === "function" ? conv : conv.bind(field);
  if (typeof fn !== "function") {
    throw new BtfError(`expected a converter function for "${field.path}", found ${typeof fn}`);
  }
  return {
    make: () => {
      const inner = "gen" in r ? genToClosure(r) : r.make();
      return (self, a, end, slot) => fn(inner(self, a, end, slot));
    },
    json: jsonValue,
  };
}

/** Compiles a generated reader into a closure reading at an absolute offset. */
function genToClosure(r: Extract<Reader, { gen: unknown }>): Closure {
  const kids = childTable();
  const ctx: GenCtx = { slot: "slot", end: "end", child: kids.add };
  const f = compile(
    `return function (A, end, slot) {
  const dv = this[DV];
  ${r.gen("A", ctx)}
};`,
    kids.C,
    kids.LC,
  ) as (this: Holder, a: number, end: number, slot: number) => unknown;
  return (self, a, end, slot) => f.call(self, a, end, slot);
}

// ---------------------------------------------------------------------------
// Readers per type

function fieldReader(
  btf: Btf,
  parent: number,
  f: FieldSpec,
  parentSize: number,
  norm: Norm,
  path: string,
  depth: number,
  slack: number,
): Reader {
  const off = f.bitOffset >>> 3;
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
          KIND_NAMES[t.kind]
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
          KIND_NAMES[t.kind]
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

/** Fixed-length array views get index getters `0..n-1` up to this many elements. */
const INDEX_GETTERS = 1024;

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
    class AV extends ArrayView {}
    let read: (this: ArrayView, i: number) => unknown;
    if ("gen" in r) {
      const kids = childTable();
      const ctx: GenCtx = { slot: "i", end: "", child: kids.add };
      read = compile(
        `return function (i) {
  const dv = this[DV], a = this[BASE] + i * ${n(esize)};
  ${r.gen("a", ctx)}
};`,
        kids.C,
        kids.LC,
      ) as (this: ArrayView, i: number) => unknown;
    } else {
      const fn = r.make();
      read = function (this: ArrayView, i: number) {
        const a = this[BASE] + i * esize;
        return fn(this, a, a + esize, i);
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

// ---------------------------------------------------------------------------
// Helpers reachable from generated code as H.*

const HELPERS = {
  int128(dv: DataView, a: number, signed: boolean, le: boolean, safe: boolean): number | bigint {
    const lo = dv.getBigUint64(le ? a : a + 8, le);
    const hi = dv.getBigUint64(le ? a + 8 : a, le);
    let v = (hi << 64n) | lo;
    if (signed) v = BigInt.asIntN(128, v);
    if (safe && v <= 9007199254740991n && v >= -9007199254740991n) return Number(v);
    return v;
  },
};
