/**
 * Sizes, alignments and member offsets of BTF types, and the chains of
 * typedefs and qualifiers between a name and the type it stands for. Every
 * walk is bounded, so cyclic BTF gives a {@link BtfError} rather than a hang
 * or a stack overflow.
 *
 * @module
 */

import { compositeAlign, scalarAlign } from "./align.ts";
import { BtfError } from "./error.ts";
import { Kind, KIND_NAMES, typeKindName } from "./kinds.ts";
import type { Btf } from "./parse.ts";
import type { Member, Type } from "./types.ts";

/**
 * How many typedefs, qualifiers, arrays or nested structs a walk follows
 * before calling it a cycle.
 *
 * @example
 * ```ts
 * import { MAX_DEPTH } from "@bpfview/bpfview";
 * console.log(MAX_DEPTH); // 64
 * ```
 */
export const MAX_DEPTH = 64;

function tooDeep(btf: Btf, start: number, what: string): BtfError {
  return new BtfError(
    `expected a ${what} chain from type ${start} (${KIND_NAMES[btf.kindOf(start)]} '${
      btf.nameOf(start)
    }') shorter than ${MAX_DEPTH}, found a longer one or a cycle`,
  );
}

/**
 * Follows typedefs, `const`, `volatile`, `restrict` and type tags to the
 * type they stand for. Returns 0 for `void`.
 *
 * @example
 * ```ts
 * import { loadBtf, resolveType } from "@bpfview/bpfview";
 * const btf = loadBtf();
 * const id = resolveType(btf, btf.get("pid_t").id); // the `int` type
 * ```
 */
export function resolveType(btf: Btf, id: number): number {
  return follow(btf, id, true);
}

/**
 * Follows only `const`, `volatile`, `restrict` and type tags (not typedefs).
 *
 * @example
 * ```ts
 * import { loadBtf, skipQualifiers } from "@bpfview/bpfview";
 * const btf = loadBtf();
 * skipQualifiers(btf, 1);
 * ```
 */
export function skipQualifiers(btf: Btf, id: number): number {
  return follow(btf, id, false);
}

/** Follows qualifiers and type tags, and typedefs too if asked, within {@link MAX_DEPTH} steps. */
function follow(btf: Btf, id: number, typedefs: boolean): number {
  const start = id;
  for (let depth = 0; depth <= MAX_DEPTH; depth++) {
    switch (btf.kindOf(id)) {
      case Kind.TYPEDEF:
        if (!typedefs) return id;
        // falls through
      case Kind.CONST:
      case Kind.VOLATILE:
      case Kind.RESTRICT:
      case Kind.TYPE_TAG:
        id = (btf.type(id) as { type: number }).type;
        break;
      default:
        return id;
    }
  }
  throw tooDeep(btf, start, typedefs ? "typedef/qualifier" : "qualifier");
}

/**
 * Size in bytes of type `id` (`sizeof` in C). Throws {@link BtfError} for
 * types without a size (void, functions, forward declarations) and for
 * cycles or sizes past 2^32.
 *
 * @example
 * ```ts
 * import { loadBtf, sizeOf } from "@bpfview/bpfview";
 * const btf = loadBtf();
 * console.log(sizeOf(btf, btf.get("task_struct").id));
 * ```
 */
export function sizeOf(btf: Btf, id: number): number {
  const start = id;
  let mult = 1;
  for (let depth = 0; depth <= MAX_DEPTH; depth++) {
    const t = id === 0 ? undefined : btf.type(id);
    let size: number;
    switch (t?.kind) {
      case Kind.INT:
      case Kind.STRUCT:
      case Kind.UNION:
      case Kind.ENUM:
      case Kind.ENUM64:
      case Kind.FLOAT:
      case Kind.DATASEC:
        size = t.size;
        break;
      case Kind.PTR:
        size = btf.pointerSize;
        break;
      case Kind.TYPEDEF:
      case Kind.CONST:
      case Kind.VOLATILE:
      case Kind.RESTRICT:
      case Kind.TYPE_TAG:
      case Kind.VAR:
        id = t.type;
        continue;
      case Kind.ARRAY:
        mult *= t.nelems;
        if (mult > 0xffffffff) {
          throw new BtfError(`expected array type ${start} to fit in 2^32 bytes, found more`);
        }
        id = t.type;
        continue;
      default:
        throw new BtfError(
          `expected a sized type for id ${start}, found ${
            id === 0 ? "void" : `${typeKindName(t!)} (type ${id})`
          }`,
        );
    }
    const total = size * mult;
    if (total > 0xffffffff) {
      throw new BtfError(`expected type ${start} to fit in 2^32 bytes, found ${total}`);
    }
    return total;
  }
  throw tooDeep(btf, start, "typedef/array");
}

/**
 * Alignment in bytes of type `id`, as the compiler would lay it out; 1 for
 * packed structs (members not at their natural alignment). This is clang's
 * rule; the C dump uses libbpf's, which differs for 16-byte integers (see
 * `align.ts`).
 *
 * @example
 * ```ts
 * import { alignOf, loadBtf } from "@bpfview/bpfview";
 * const btf = loadBtf();
 * console.log(alignOf(btf, btf.get("u64").id)); // 8
 * ```
 */
export function alignOf(btf: Btf, id: number): number {
  return align(btf, id, 0, id, new Map());
}

/** Memoized per call: a type reached along many paths is computed once. */
function align(
  btf: Btf,
  id: number,
  depth: number,
  start: number,
  memo: Map<number, number>,
): number {
  let a = memo.get(id);
  if (a === undefined) memo.set(id, a = alignOnce(btf, id, depth, start, memo));
  return a;
}

function alignOnce(
  btf: Btf,
  id: number,
  depth: number,
  start: number,
  memo: Map<number, number>,
): number {
  if (depth > MAX_DEPTH) throw tooDeep(btf, start, "nested type");
  const t = id === 0 ? undefined : btf.type(id);
  switch (t?.kind) {
    case Kind.INT:
    case Kind.ENUM:
    case Kind.ENUM64:
    case Kind.FLOAT:
      return scalarAlign(t.size, btf.pointerSize, "clang");
    case Kind.PTR:
      return btf.pointerSize;
    case Kind.TYPEDEF:
    case Kind.CONST:
    case Kind.VOLATILE:
    case Kind.RESTRICT:
    case Kind.TYPE_TAG:
    case Kind.ARRAY:
      return align(btf, t.type, depth + 1, start, memo);
    case Kind.STRUCT:
    case Kind.UNION:
      return compositeAlign(t, (type) => align(btf, type, depth + 1, start, memo));
    default:
      throw new BtfError(
        `expected a type with an alignment for id ${start}, found ${
          id === 0 ? "void" : typeKindName(t!)
        }`,
      );
  }
}

/**
 * One field of a struct or union as C code reaches it: members of anonymous
 * nested structs and unions are flattened into their parent, with offsets
 * relative to the outermost type.
 *
 * @example
 * ```ts
 * import type { Field } from "@bpfview/bpfview";
 * const where = (f: Field) => `${f.name} @ ${f.offset}`;
 * ```
 */
export interface Field {
  /** Member name (never empty: anonymous members are flattened). */
  readonly name: string;
  /** The member's type id (unresolved: may be a typedef). */
  readonly type: number;
  /** Bit offset from the start of the outermost type. */
  readonly bitOffset: number;
  /** Byte offset (`bitOffset / 8`, rounded down). */
  readonly offset: number;
  /** Bitfield width in bits, 0 if not a bitfield. */
  readonly bitfieldSize: number;
  /** How many anonymous members were passed through (0 for direct members). */
  readonly depth: number;
}

/**
 * The fields of struct or union `id` (typedefs and qualifiers resolved
 * first), with anonymous struct/union members flattened as C does.
 *
 * @example
 * ```ts
 * import { fieldsOf, loadBtf } from "@bpfview/bpfview";
 * const btf = loadBtf();
 * for (const f of fieldsOf(btf, btf.get("sk_buff").id)) console.log(f.name, f.offset);
 * ```
 */
export function fieldsOf(btf: Btf, id: number): Field[] {
  const t = btf.type(resolveType(btf, id));
  if (t.kind !== Kind.STRUCT && t.kind !== Kind.UNION) {
    throw new BtfError(
      `expected a struct or union for type ${id}, found ${typeKindName(t)} '${t.name}'`,
    );
  }
  const out: Field[] = [];
  collect(btf, t.members, 0, 0, out, { start: id, expanded: new Set(), barren: new Set() });
  return out;
}

interface Flattening {
  /** The type being flattened, for messages. */
  start: number;
  /** Anonymous member types that gave fields: a second use would repeat them. */
  expanded: Set<number>;
  /** Anonymous member types that gave no fields (padding only): skipped. */
  barren: Set<number>;
}

function collect(
  btf: Btf,
  members: readonly Member[],
  base: number,
  depth: number,
  out: Field[],
  st: Flattening,
): void {
  if (depth > MAX_DEPTH) throw tooDeep(btf, st.start, "anonymous member");
  for (const m of members) {
    const bitOffset = base + m.bitOffset;
    if (m.name === "") {
      const rid = resolveType(btf, m.type);
      const r = btf.type(rid);
      if (r.kind === Kind.STRUCT || r.kind === Kind.UNION) {
        // C cannot hold one anonymous type's fields twice (their names would
        // clash); hostile BTF can, doubling the fields at every level.
        if (st.barren.has(rid)) continue;
        if (st.expanded.has(rid)) {
          throw new BtfError(
            `expected each anonymous member type once in ${
              describe(btf, st.start)
            }, found type ${rid} again (its fields would repeat)`,
          );
        }
        const before = out.length;
        collect(btf, r.members, bitOffset, depth + 1, out, st);
        (out.length === before ? st.barren : st.expanded).add(rid);
        continue;
      }
      // An unnamed bitfield is padding: skip it.
      continue;
    }
    out.push({
      name: m.name,
      type: m.type,
      bitOffset,
      offset: Math.floor(bitOffset / 8),
      bitfieldSize: m.bitfieldSize,
      depth,
    });
  }
}

/**
 * The member `path` of struct/union `id`: its type and its offset in bits
 * from the start of `id`. The path is what C's `offsetof` takes: member
 * names separated by dots (through nested and anonymous members) and array
 * indices (`"a[2].b"`, `"x[1][3]"`; a flexible array takes any index).
 *
 * @example
 * ```ts
 * import { loadBtf, memberOffset } from "@bpfview/bpfview";
 * const btf = loadBtf();
 * console.log(memberOffset(btf, btf.get("task_struct").id, "se.vruntime").bitOffset / 8);
 * console.log(memberOffset(btf, btf.get("task_struct").id, "comm[3]").bitOffset / 8);
 * ```
 */
export function memberOffset(
  btf: Btf,
  id: number,
  path: string,
): { type: number; bitOffset: number; bitfieldSize: number } {
  let type = id, bitOffset = 0, bitfieldSize = 0;
  const re = /([^.[\]]+)|\[(\d+)\]|(\.)/y;
  let expectName = true, pos = 0;
  const text = String(path);
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m || (m[1] !== undefined && !expectName) || (m[3] !== undefined && expectName)) {
      throw new BtfError(
        `expected a member path like "a.b" or "a[2].b", found ${
          JSON.stringify(text)
        } (at character ${pos})`,
      );
    }
    pos = re.lastIndex;
    if (m[1] !== undefined) {
      const f = fieldsOf(btf, type).find((x) => x.name === m[1]);
      if (!f) {
        throw new BtfError(`expected a member "${m[1]}" in ${describe(btf, type)}, found none`);
      }
      type = f.type;
      bitOffset += f.bitOffset;
      bitfieldSize = f.bitfieldSize;
      expectName = false;
    } else if (m[2] !== undefined) {
      const r = resolveType(btf, type);
      const t = r === 0 ? undefined : btf.type(r);
      if (t?.kind !== Kind.ARRAY) {
        throw new BtfError(
          `expected an array to index with [${m[2]}] in "${text}", found ${
            r === 0 ? "void" : describe(btf, r)
          }`,
        );
      }
      const i = Number(m[2]);
      if (t.nelems !== 0 && i >= t.nelems) {
        throw new BtfError(
          `expected an index below ${t.nelems} in "${text}", found ${m[2]}`,
        );
      }
      type = t.type;
      bitOffset += i * sizeOf(btf, t.type) * 8;
      bitfieldSize = 0;
    } else expectName = true;
  }
  if (expectName) {
    throw new BtfError(
      `expected a member path like "a.b" or "a[2].b", found ${JSON.stringify(text)}`,
    );
  }
  return { type, bitOffset, bitfieldSize };
}

/**
 * A C declaration of `name` with type `id`: `char comm[16]`,
 * `struct list_head *next`, `void (*fn)(int, long)`. With an empty name,
 * the C type name (`struct task_struct *`). Anonymous structs print as
 * `struct {...}`.
 *
 * @example
 * ```ts
 * import { declaration, loadBtf } from "@bpfview/bpfview";
 * const btf = loadBtf();
 * console.log(declaration(btf, btf.get("task_struct").id, "t")); // "struct task_struct t"
 * ```
 */
export function declaration(btf: Btf, id: number, name = ""): string {
  return declare(btf, id, name, { start: id, steps: 0, nest: 0 });
}

/** How many types one declaration may visit in all (parameters included). */
const MAX_DECL_STEPS = 4096;

function declare(
  btf: Btf,
  id: number,
  name: string,
  st: { start: number; steps: number; nest: number },
): string {
  let decl = name;
  let depth = 0;
  const nested = (id: number, name: string) => {
    if (++st.nest > MAX_DEPTH) throw tooDeep(btf, st.start, "nested declarator");
    const s = declare(btf, id, name, st);
    st.nest--;
    return s;
  };
  for (;;) {
    if (++depth > MAX_DEPTH) throw tooDeep(btf, id, "declarator");
    if (++st.steps > MAX_DECL_STEPS) {
      throw new BtfError(
        `expected the declaration of type ${st.start} to take at most ${MAX_DECL_STEPS} types, found more`,
      );
    }
    if (id === 0) return join("void", decl);
    const t: Type = btf.type(id);
    switch (t.kind) {
      case Kind.PTR:
        decl = "*" + decl;
        id = t.type;
        continue;
      case Kind.CONST:
      case Kind.VOLATILE:
      case Kind.RESTRICT: {
        // A run of qualifiers (type tags in it print nothing) qualifies the
        // first other type below it: after the star for a pointer
        // (`int *const volatile p`), leading for anything else.
        const quals: string[] = [];
        let below = id;
        for (;;) {
          const k = btf.kindOf(below);
          if (k === Kind.CONST) quals.push("const");
          else if (k === Kind.VOLATILE) quals.push("volatile");
          else if (k === Kind.RESTRICT) quals.push("restrict");
          else if (k !== Kind.TYPE_TAG) break;
          if (++depth > MAX_DEPTH) throw tooDeep(btf, id, "declarator");
          below = (btf.type(below) as { type: number }).type;
        }
        const q = quals.join(" ");
        if (btf.kindOf(below) !== Kind.PTR) return q + " " + nested(below, decl);
        decl = q + (decl ? " " + decl : "");
        id = below;
        continue;
      }
      case Kind.TYPE_TAG:
        id = t.type;
        continue;
      case Kind.ARRAY:
        if (decl.startsWith("*")) decl = `(${decl})`;
        decl = `${decl}[${t.nelems}]`;
        id = t.type;
        continue;
      case Kind.FUNC_PROTO: {
        if (decl.startsWith("*")) decl = `(${decl})`;
        const params = t.params.map((p) =>
          p.type === 0 && p.name === "" ? "..." : nested(p.type, "")
        );
        decl = `${decl}(${params.length ? params.join(", ") : "void"})`;
        id = t.type;
        continue;
      }
      default:
        return join(describe(btf, id), decl);
    }
  }
}

function join(base: string, decl: string): string {
  if (!decl) return base;
  return decl.startsWith("[") ? base + decl : `${base} ${decl}`;
}

/**
 * Short C-style name of a type: `struct task_struct`, `int`, `enum {...}`.
 *
 * @example
 * ```ts
 * import { describe, loadBtf } from "@bpfview/bpfview";
 * const btf = loadBtf();
 * console.log(describe(btf, btf.get("task_struct").id));
 * ```
 */
export function describe(btf: Btf, id: number): string {
  if (id === 0) return "void";
  const kind = btf.kindOf(id);
  const name = btf.nameOf(id);
  switch (kind) {
    case Kind.STRUCT:
      return name ? `struct ${name}` : "struct {...}";
    case Kind.UNION:
      return name ? `union ${name}` : "union {...}";
    case Kind.ENUM:
    case Kind.ENUM64:
      return name ? `enum ${name}` : "enum {...}";
    case Kind.FWD:
      return `${(btf.type(id) as { union: boolean }).union ? "union" : "struct"} ${name}`;
    default:
      return name || `(anon ${KIND_NAMES[kind]})`;
  }
}

/**
 * One row of a layout table (see {@link layoutOf}).
 *
 * @example
 * ```ts
 * import type { LayoutRow } from "@bpfview/bpfview";
 * const line = (r: LayoutRow) => `${r.member} ${r.offset} ${r.size}`;
 * ```
 */
export interface LayoutRow {
  /** Member path: anonymous members are flattened, nesting shown by `depth`. */
  readonly member: string;
  /** Byte offset from the start of the type. */
  readonly offset: number;
  /** Size in bytes (of the storage unit for bitfields). */
  readonly size: number;
  /**
   * Bit offset within the byte at `offset` for bitfields, else 0 (so `offset:bitOffset` is a
   * byte and a bit; `paholeLayout` gives pahole's storage-unit `unit_offset:bit` instead).
   */
  readonly bitOffset: number;
  /** Bitfield width, 0 if not a bitfield. */
  readonly bits: number;
  /** C type of the member. */
  readonly type: string;
  /** Nesting depth through anonymous members. */
  readonly depth: number;
}

/**
 * The layout of a struct or union as a table: one row per field, with
 * anonymous members flattened.
 *
 * @example
 * ```ts
 * import { layoutOf, loadBtf } from "@bpfview/bpfview";
 * const btf = loadBtf();
 * for (const r of layoutOf(btf, btf.get("list_head").id)) console.log(r.member, r.offset, r.size);
 * ```
 */
export function layoutOf(btf: Btf, id: number): LayoutRow[] {
  return fieldsOf(btf, id).map((f) => {
    let size = 0;
    try {
      size = sizeOf(btf, f.type);
    } catch (e) {
      if (!(e instanceof BtfError)) throw e;
    }
    return {
      member: f.name,
      offset: f.offset,
      size,
      bitOffset: f.bitfieldSize ? f.bitOffset & 7 : 0,
      bits: f.bitfieldSize,
      type: declaration(btf, f.type),
      depth: f.depth,
    };
  });
}

/**
 * The given types and every type they refer to, transitively, in id order.
 *
 * @example
 * ```ts
 * import { closure, loadBtf } from "@bpfview/bpfview";
 * const btf = loadBtf();
 * console.log(closure(btf, [btf.get("list_head").id]));
 * ```
 */
export function closure(btf: Btf, ids: Iterable<number>): number[] {
  const seen = new Set<number>();
  const stack = [...ids];
  while (stack.length) {
    const id = stack.pop()!;
    if (id === 0 || seen.has(id)) continue;
    seen.add(id);
    for (const r of references(btf.type(id))) if (!seen.has(r)) stack.push(r);
  }
  return [...seen].sort((a, b) => a - b);
}

/**
 * The type ids a type refers to directly.
 *
 * @example
 * ```ts
 * import { loadBtf, references } from "@bpfview/bpfview";
 * const btf = loadBtf();
 * console.log(references(btf.get("list_head")));
 * ```
 */
export function references(t: Type): number[] {
  switch (t.kind) {
    case Kind.STRUCT:
    case Kind.UNION:
      return t.members.map((m) => m.type);
    case Kind.FUNC_PROTO:
      return [t.type, ...t.params.map((p) => p.type)];
    case Kind.ARRAY:
      return [t.type, t.indexType];
    case Kind.DATASEC:
      return t.vars.map((v) => v.type);
    case Kind.PTR:
    case Kind.TYPEDEF:
    case Kind.CONST:
    case Kind.VOLATILE:
    case Kind.RESTRICT:
    case Kind.TYPE_TAG:
    case Kind.FUNC:
    case Kind.VAR:
    case Kind.DECL_TAG:
      return [t.type];
    default:
      return [];
  }
}
