/**
 * Code generation for views: the options a class is compiled for and the
 * cache of compiled classes, the {@link Reader} shape every member kind
 * produces, and the compiler that turns generated source into functions.
 * Only numbers, booleans and fixed identifiers reach the source: every
 * number goes through `n()`, which refuses anything else, and BTF names are
 * installed with `Object.defineProperty`, never written into source.
 *
 * @module
 */

import { BtfError } from "./error.ts";
import { describe } from "./layout.ts";
import type { Btf } from "./parse.ts";
import { BASE, DV, END, HELPERS, KIDS, LIMIT } from "./view_runtime.ts";
import type { Converter, ViewOptions } from "./view_types.ts";

// ---------------------------------------------------------------------------
// Options and the class cache

export interface Norm {
  int64: "bigint" | "safe";
  enums: "value" | "name";
  fields: Record<string, Converter> | undefined;
  types: Record<string, Converter> | undefined;
  writable: boolean;
  /** The options' identity in the class cache. */
  key: string;
}

const classCache = new WeakMap<Btf, Map<string, Map<string, unknown>>>();

export function normalize(o: ViewOptions | undefined): Norm {
  const int64 = o?.int64 ?? "bigint";
  const enums = o?.enums ?? "value";
  if (int64 !== "bigint" && int64 !== "safe") {
    throw new BtfError(`expected int64 "bigint" or "safe", found ${JSON.stringify(int64)}`);
  }
  if (enums !== "value" && enums !== "name") {
    throw new BtfError(`expected enums "value" or "name", found ${JSON.stringify(enums)}`);
  }
  const writable = o?.writable ?? false;
  if (typeof writable !== "boolean") {
    throw new BtfError(`expected writable true or false, found ${JSON.stringify(writable)}`);
  }
  // Options are compared by value: the same modes and the same converter
  // objects (by identity) share a class, however often a fresh options
  // object is passed.
  let key = `${int64}|${enums}|${writable}`;
  for (const [tag, map] of [["f", o?.fields], ["t", o?.types]] as const) {
    if (!map) continue;
    for (const [name, conv] of Object.entries(map)) {
      key += `|${tag}${JSON.stringify(name)}=${converterId(conv)}`;
    }
  }
  return { int64, enums, fields: o?.fields, types: o?.types, writable, key };
}

const converterIds = new WeakMap<object, number>();
let nextConverterId = 1;

/** A number per converter object, for cache keys. */
function converterId(c: unknown): number | string {
  if ((typeof c !== "function" && typeof c !== "object") || c === null) return `(${typeof c})`;
  let id = converterIds.get(c);
  if (id === undefined) converterIds.set(c, id = nextConverterId++);
  return id;
}

/**
 * Option sets kept per BTF: past this many, the least recently compiled set
 * is dropped, oldest first (its classes compile again if asked for), so options built
 * with fresh converter functions on every call cannot grow the cache
 * without bound.
 */
const MAX_OPTION_SETS = 64;

export function cached<T>(btf: Btf, norm: Norm, key: string, make: () => T): T {
  let perBtf = classCache.get(btf);
  if (!perBtf) classCache.set(btf, perBtf = new Map());
  let perOpts = perBtf.get(norm.key);
  if (!perOpts) {
    if (perBtf.size >= MAX_OPTION_SETS) perBtf.delete(perBtf.keys().next().value!);
    perBtf.set(norm.key, perOpts = new Map());
  }
  let c = perOpts.get(key) as T | undefined;
  if (c === undefined) {
    c = make();
    perOpts.set(key, c);
  }
  return c;
}

// ---------------------------------------------------------------------------
// Code generation: only numbers, booleans and fixed identifiers reach the
// source. Every number goes through n(), which refuses anything else.

export function n(x: number): string {
  if (typeof x !== "number" || !Number.isFinite(x)) {
    throw new Error(`internal: non-number ${String(x)} in generated view code`);
  }
  return String(x);
}

export function b(x: boolean): string {
  return x ? "true" : "false";
}

/** Where a generated read sits: the holder's child-cache slot and region end, as source. */
export interface GenCtx {
  /** Source for the child-cache slot index. */
  readonly slot: string;
  /** Source for the end of the region (for tail members), or "" if not a tail member. */
  readonly end: string;
  /** Registers a lazily compiled child class; returns its index in `C`. */
  child(make: () => unknown): number;
}

export type Closure = (self: Holder, a: number, end: number, slot: number) => unknown;
export type Json = (v: unknown, depth: number) => unknown;

/**
 * How to read one value. `gen` gives a function body (with `dv`, `this` and
 * the absolute offset source `A` in scope) for the hot, monomorphic cases;
 * `make` gives a closure for the allocating ones (strings, arrays).
 */
export type Reader =
  | {
    readonly gen: (A: string, ctx: GenCtx) => string;
    readonly json: Json;
    /**
     * Optional writer for the same member: a function body with `dv`,
     * `this`, the absolute offset source `A` and the new value `v` in scope.
     * A reader that has one gets a setter beside its getter (see
     * `installMember` in view_class.ts); readers are made per member kind in
     * view_readers.ts (scalar(), bitfieldReader(), valueReader()...), which
     * is where each kind's writer belongs.
     */
    readonly genSet?: (A: string, ctx: GenCtx) => string;
  }
  | { readonly make: () => Closure; readonly json: Json };

/** A view or array view: anything with a DataView, a base and a child cache. */
export interface Holder {
  [DV]: DataView;
  [BASE]: number;
  [KIDS]: unknown[] | undefined;
}

export interface FieldSpec {
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
export function compile(
  body: string,
  C: unknown[],
  LC: (i: number) => unknown,
  fail?: unknown,
): unknown {
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
export function childTable(): {
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

export function where(btf: Btf, id: number, name: string): string {
  return `member "${name}" of ${describe(btf, id)} (type ${id})`;
}
