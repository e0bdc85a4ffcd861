/**
 * Converters on view members: which converter a member gets (by path, by
 * type name, or `enums: "name"`), the {@link enumName} converter, and the
 * wrapping of a member's reader with a converter.
 *
 * @module
 */

import { BtfError } from "./error.ts";
import { Kind } from "./kinds.ts";
import { MAX_DEPTH, resolveType } from "./layout.ts";
import type { Btf } from "./parse.ts";
import {
  childTable,
  type Closure,
  compile,
  type FieldSpec,
  type GenCtx,
  type Holder,
  type Norm,
  type Reader,
} from "./view_codegen.ts";
import { jsonValue } from "./view_runtime.ts";
import type { Converter, ConverterField } from "./view_types.ts";

export function converterFor(
  btf: Btf,
  f: FieldSpec,
  path: string,
  norm: Norm,
): Converter | undefined {
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

export function convert(r: Reader, conv: Converter, field: ConverterField): Reader {
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
