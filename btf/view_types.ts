/**
 * The public types of views: options, converters, fields, the instance API
 * and the class shape, and the member names a view reserves for itself.
 * See `view.ts` for what views are and how they read.
 *
 * @module
 */

import type { Btf } from "./parse.ts";

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
 * options are compared by value, converters by identity, so a fresh options
 * object with the same converters reuses the class. At most 64 option sets
 * are kept per BTF (the oldest is dropped first): define
 * converters once rather than as new functions on every call.
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
  /**
   * Enum members: `"value"` (default) or `"name"` (the enumerator's name,
   * or the value if none matches; `dumpTs(btf, { enums: "name" })` writes
   * the matching TypeScript types).
   */
  enums?: "value" | "name";
  /** Converters by member path: `"ts"`, or `"inner.ts"` for a member of a nested struct. */
  fields?: Record<string, Converter>;
  /**
   * Converters by type name: a member whose type is, or goes through a
   * typedef named so (`"ktime_t"`, `"u64"`), or is a struct, union, enum or
   * int of that name, gets the converter. Field converters win.
   */
  types?: Record<string, Converter>;
  /**
   * Whether members get setters that write the bound memory (default
   * false). A setter takes what `toObject()` gives (numbers, bigints,
   * decimal strings, booleans, enumerator names, strings for `char[N]`,
   * arrays, plain objects for nested structs) and checks it against the
   * member's type as the getter reads it (range, sign, bitfield width,
   * enums, 64-bit), throwing {@link BtfError} when it does not fit;
   * converters do not apply to writes. Without it, assigning a member
   * throws {@link BtfError}. Only for memory that may be written: a view
   * over a read-only mapping must stay read-only.
   */
  writable?: boolean;
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
