/**
 * View classes of composites (structs, unions, data sections): one getter
 * per member, generated from the member's `Reader`, plus `rebind` with
 * its range check, the fields table and the JSON conversions.
 *
 * @module
 */

import { encodeBits, encodeInto } from "./encode.ts";
import { BtfError } from "./error.ts";
import { Kind, typeKindName } from "./kinds.ts";
import { describe, fieldsOf, MAX_DEPTH, resolveType, sizeOf } from "./layout.ts";
import type { Btf } from "./parse.ts";
import {
  cached,
  childTable,
  type Closure,
  compile,
  type FieldSpec,
  type GenCtx,
  type Holder,
  type Json,
  n,
  type Norm,
} from "./view_codegen.ts";
import { convert, converterFor } from "./view_convert.ts";
import { fieldReader } from "./view_readers.ts";
import { BASE, DV, END, HELPERS, LIMIT, META, type Meta, ViewBase } from "./view_runtime.ts";
import { RESERVED_NAMES, type View, type ViewField } from "./view_types.ts";

export function compositeClass(
  btf: Btf,
  id: number,
  norm: Norm,
  prefix: string,
  depth: number,
): unknown {
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
      typeKindName(t)
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
  type Kept = {
    f: FieldSpec;
    json: Json;
    /** Index in `src` of the generated getter, -1 for a closure (`fn`). */
    gen: number;
    /** Index in `src` of the generated setter, -1 for none. */
    set: number;
    fn?: Closure;
    tail: boolean;
    slot: number;
  };
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
    const off = Math.floor(f.bitOffset / 8);
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
      const A = `(a + ${n(off)})`;
      const k: Kept = { f, json: r.json, gen: src.length, set: -1, tail, slot };
      kept.push(k);
      src.push(`function () {
  const dv = this[DV], a = this[BASE];
  try {
  ${r.gen(A, ctx)}
  } catch (e) { return H.readFailed(dv, e); }
}`);
      if (r.genSet) {
        k.set = src.length;
        src.push(`function (v) {
  const dv = this[DV], a = this[BASE];
  ${r.genSet(A, ctx)}
}`);
      }
    } else {
      kept.push({ f, json: r.json, gen: -1, set: -1, fn: r.make(), tail, slot });
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
    v?: unknown,
  ) => unknown)[];

  Object.defineProperty(proto, "rebind", { value: fns[0], writable: true, configurable: true });
  const viewFields: ViewField[] = [];
  const byName = new Map<string, ViewField>();
  for (const k of kept) {
    const { f, fn, slot } = k;
    const off = Math.floor(f.bitOffset / 8);
    let get: (this: Holder) => unknown;
    if (k.gen >= 0) get = fns[k.gen];
    else if (k.tail) {
      get = function (this: Holder) {
        try {
          return fn!(this, this[BASE] + off, (this as unknown as ViewBase)[END], slot);
        } catch (e) {
          return HELPERS.readFailed(this[DV], e);
        }
      };
    } else {
      get = function (this: Holder) {
        const a = this[BASE] + off;
        try {
          return fn!(this, a, a, slot);
        } catch (e) {
          return HELPERS.readFailed(this[DV], e);
        }
      };
    }
    const write = !norm.writable
      ? undefined
      : k.set >= 0
      ? fns[k.set]
      : memberWriter(btf, f, path(prefix, f.name));
    // A write into a detached buffer (transferred) says so, as reads do.
    const set = write === undefined ? readOnly(f.name, typeName) : function (
      this: Holder,
      v: unknown,
    ) {
      HELPERS.checkWritable(this[DV], f.name);
      try {
        write.call(this, v);
      } catch (e) {
        HELPERS.readFailed(this[DV], e);
      }
    };
    const direct = installMember(proto, f.name, get, set);
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

function path(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

/**
 * The setter of a member of a writable view: the value encoded by the
 * member's BTF type (btf/encode.ts: range, sign, bitfield width, enums) at
 * the member's place in the bound region.
 */
function memberWriter(
  btf: Btf,
  f: FieldSpec,
  name: string,
): (this: Holder, v: unknown) => void {
  const off = f.bitOffset >>> 3;
  if (f.bitfieldSize !== 0) {
    const shift = f.bitOffset - off * 8, bits = f.bitfieldSize;
    return function (this: Holder, v: unknown) {
      encodeBits(btf, f.type, v, this[DV], this[BASE] + off, shift, bits, name);
    };
  }
  return function (this: Holder, v: unknown) {
    encodeInto(btf, f.type, v, this[DV], this[BASE] + off, name);
  };
}

/** The setter of a member of a read-only view: a typed error. */
function readOnly(name: string, typeName: string): (this: Holder, v: unknown) => void {
  return function () {
    throw new BtfError(
      `expected a writable view to set member "${name}" of ${typeName}, found a read-only one (views write only when made with { writable: true } over writable memory)`,
    );
  };
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

/**
 * Installs a member's accessor on a view prototype under its BTF name (never
 * in generated source), with a setter when its reader has a writer. Names
 * the view's API reserves get none: they are read with `get(name)`.
 * Returns whether `view[name]` reaches the member.
 */
function installMember(
  proto: Record<PropertyKey, unknown>,
  name: string,
  get: (this: Holder) => unknown,
  set: ((this: Holder, v: unknown) => unknown) | undefined,
): boolean {
  if (RESERVED_NAMES.has(name)) return false;
  Object.defineProperty(proto, name, { get, set, enumerable: true, configurable: true });
  return true;
}
