/**
 * What every view instance runs on: the symbols its state lives under (so
 * no member name can shadow it), the base classes of view and array view
 * classes, the `toObject()` value budget, the JSON form of values, and the
 * helpers generated code calls. Nothing here knows about BTF types; the
 * classes are filled in by `view_class.ts` and `view_readers.ts`.
 *
 * @module
 */

import { BtfError } from "./error.ts";
import { MAX_DEPTH } from "./layout.ts";
import type { View, ViewApi, ViewField } from "./view_types.ts";

// Instance state lives under symbols, so no member name can shadow it.

export const DV = Symbol("dv");
export const BASE = Symbol("base");
export const END = Symbol("end");
export const LIMIT = Symbol("limit");
export const KIDS = Symbol("kids");
export const META = Symbol("meta");
export const READ = Symbol("read");
export const LEN = Symbol("len");
export const REBIND = Symbol("rebind");
export const TO_OBJECT = Symbol("toObject");

export const EMPTY_DV = new DataView(new ArrayBuffer(0));

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
export const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

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

export interface Meta {
  readonly name: string;
  readonly size: number;
  readonly fields: ViewField[];
  readonly byName: Map<string, ViewField>;
  readonly json: ((v: unknown, depth: number) => unknown)[];
}

/** The base of every view class. */
export class ViewBase {
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
 * Index it with `a[i]` (`undefined` past the end) or `a.at(i)` (negative
 * counts from the end); it is iterable. Indices up to 1023 are getters on
 * the prototype; arrays that may be longer answer the rest through a Proxy,
 * so prefer `at(i)` or iteration in hot loops over long arrays.
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
  /** Element `i` (`undefined` past the end). */
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

export function jsonBigint(v: bigint): number | string {
  return v <= 9007199254740991n && v >= -9007199254740991n ? Number(v) : v.toString();
}

/** NaN and the infinities as strings (`"NaN"`, `"Infinity"`, `"-Infinity"`): JSON has no such numbers. */
export function jsonNumber(v: number): number | string {
  return v - v === 0 ? v : String(v);
}

/** The JSON form of any value a getter (or converter) returns. */
export function jsonValue(v: unknown, depth: number): unknown {
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

export function jsonBoolArray(v: unknown): unknown {
  if (v instanceof Uint8Array) return Array.from(v, (x) => x !== 0);
  return jsonValue(v, 0);
}

// ---------------------------------------------------------------------------
// Helpers reachable from generated code as H.*

/**
 * The mark of an ArrayBuffer over read-only memory (a read-only file
 * mapping, see `ffi/mmap.ts`): writable views refuse to write into it.
 */
export const READ_ONLY_MEMORY: unique symbol = Symbol.for("bpfview.readOnlyMemory") as never;

export const HELPERS = {
  /** Refuses a write into read-only memory (a write there would fault, not throw). */
  checkWritable(dv: DataView, name: string): void {
    if ((dv.buffer as unknown as Record<symbol, unknown>)[READ_ONLY_MEMORY] === true) {
      throw new BtfError(
        `expected writable memory to set "${name}", found a read-only mapping (copy the bytes to write them)`,
      );
    }
  },
  /**
   * A read threw: over a detached buffer (transferred; a closed mapping is
   * not detached but reads zeros), that is a {@link BtfError} saying so; anything else
   * (a converter's own error) goes on as it was.
   */
  readFailed(dv: DataView, e: unknown): never {
    if ((dv.buffer as ArrayBuffer).detached) {
      throw new BtfError(
        "expected an open buffer to read or write, found it closed: the view's buffer was detached (transferred)",
      );
    }
    throw e;
  },
  int128(dv: DataView, a: number, signed: boolean, le: boolean, safe: boolean): number | bigint {
    const lo = dv.getBigUint64(le ? a : a + 8, le);
    const hi = dv.getBigUint64(le ? a + 8 : a, le);
    let v = (hi << 64n) | lo;
    if (signed) v = BigInt.asIntN(128, v);
    if (safe && v <= 9007199254740991n && v >= -9007199254740991n) return Number(v);
    return v;
  },
};
