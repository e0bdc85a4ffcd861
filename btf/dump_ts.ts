/**
 * TypeScript declarations from BTF: one `export interface` per struct,
 * union and data section, its fields typed as the view getters return them,
 * so `btf.view<task_struct>("task_struct")` gives a view whose `comm` is a
 * `string` and whose `nope` is a compile error. The output is a
 * self-contained module (no imports) for `deno check` / `tsc`.
 *
 * Field types, as the views give them (see `btf/view.ts`):
 * - 8/16/32-bit integers, enums and chars, floats of 2/4/8 bytes, bitfields
 *   up to 32 bits: `number` (named enums: a union of their values, each
 *   with its enumerator's name in a comment); bools: `boolean`.
 * - Named enums, with `enums: "const"`: also an object of their
 *   enumerators, `export const NAME = { A: 0, B: 1 } as const;`, beside
 *   `export type NAME = (typeof NAME)[keyof typeof NAME];` (the same union),
 *   so code can say `NAME.A`. Values are as the views read them.
 *   The object takes the enum's TypeScript name (see Names below): the
 *   output declares no other values, so it clashes with nothing. 8-byte
 *   (ENUM64) values are bigint literals (`1n`) in the default int64 mode,
 *   and numbers where safe with `int64: "safe"`. Enumerators sharing a
 *   value each keep their key (the type has the value once). A second
 *   enumerator of the same name (BTF allows it, TypeScript objects do not)
 *   is left out, named in a comment. Keys that are not identifiers are
 *   string literals, `__proto__` a computed key (so it is an own property).
 *   Enums the union form writes as plain `number`/`bigint` (no enumerators,
 *   more than 4096 values, clang's 8-byte ENUM with its values cut to 32
 *   bits) get no object. The output then holds values: write it to a `.ts`
 *   file (not `.d.ts`) and import the objects as values.
 * - Enums, with `enums: "name"`: as views made with `{ enums: "name" }`
 *   give them, the union of their enumerators' names (string literals; an
 *   enumerator whose value an earlier one has is left out, since the view
 *   gives the first name) and the value's own type, for values no
 *   enumerator has: `"RED" | "GREEN" | number` (`bigint` for 8 bytes).
 * - 64-bit and 128-bit integers, pointers (on 64-bit BTF), bitfields wider
 *   than 32 bits: `bigint`, or with `int64: "safe"` `number | bigint`.
 * - `char[N]`: `string`. Arrays of other numbers: the typed array the view
 *   gives (`Uint32Array`, `BigInt64Array`, `Float64Array`...).
 * - Nested structs and unions: `BtfView<name>` (the members plus the view
 *   API); arrays of them, of strings or of arrays: `BtfArray<element>`
 *   (indexable, iterable, `length`, `at()`).
 * - Fields are `readonly`; `BtfWritable<T>` (declared in the output too)
 *   types a writable view (`{ writable: true }`, a BPF object's globals).
 * - Members whose names the view API reserves (`rebind`, `get`,
 *   `toObject`, ...) are left out (read them with `view.get(name)`), as are
 *   a second member of the same name and fields the views cannot read.
 *
 * Names: a C struct keeps its name; the C namespaces (struct, union, enum,
 * typedef) share one in TypeScript, so names are handed out in a fixed
 * order over the whole BTF (whatever subset is dumped): structs, then
 * unions, typedefs of structs and unions, enums and data sections, each in
 * id order. A name already taken, reserved by TypeScript (`string`,
 * `class`, `Uint8Array`, `BtfView`, `BtfArray`, `BtfWritable`...) or not
 * an identifier gets the kind as prefix (`union_sock`, `enum_state`), and
 * if that is taken too (or the name is not an identifier at all) the kind
 * and the type id (`struct_123`). An anonymous struct or union named by exactly one
 * typedef takes the typedef's name; other anonymous ones are `anon_ID`.
 * Data sections drop the leading dot (`.bss` is `bss`, `.data.x` is
 * `data_x`). Field names that are not identifiers are quoted. Names from
 * BTF never reach the output unescaped: identifiers are checked
 * (ASCII only), other names are JSON string literals, and names in
 * comments are escaped so they cannot end the comment.
 *
 * @module
 */

import { BtfError } from "./error.ts";
import { Kind } from "./kinds.ts";
import { declaration, describe, type Field, fieldsOf, MAX_DEPTH, resolveType } from "./layout.ts";
import type { Btf } from "./parse.ts";
import type { Type } from "./types.ts";
import { RESERVED_NAMES } from "./view.ts";

/**
 * Options of {@link dumpTs}.
 *
 * @example
 * ```ts
 * import type { DumpTsOptions } from "@bpfview/bpfview";
 * const opts: DumpTsOptions = { int64: "safe" };
 * ```
 */
export interface DumpTsOptions {
  /**
   * Types to declare (structs, unions, data sections, typedefs of them,
   * enums), with every struct, union and enum their fields need. Default:
   * every named struct and union, and every data section.
   */
  ids?: readonly number[];
  /** The views' `int64` option the declarations are for: `"bigint"` (default) or `"safe"`. */
  int64?: "bigint" | "safe";
  /**
   * Named enums as `"union"` (default: a type alias of their values, names
   * in comments; the output declares types only) or `"const"` (also an
   * object of their enumerators by name, `export const NAME = { A: 0 } as
   * const`, and the type as its values) or `"name"` (for views made with
   * `{ enums: "name" }`: enum fields typed as the union of the enumerator
   * names the view can give, or the value's own type when none matches,
   * e.g. `"BPF_MAP_TYPE_UNSPEC" | "BPF_MAP_TYPE_HASH" | ... | number`).
   */
  enums?: "union" | "const" | "name";
}

/** TypeScript's reserved words, its predefined type names, and the global types the output uses. */
const TS_RESERVED = new Set([
  ...("break case catch class const continue debugger default delete do else enum export " +
    "extends false finally for function if import in instanceof new null return super switch " +
    "this throw true try typeof var void while with yield let static implements interface " +
    "package private protected public await as async declare from get set module namespace " +
    "require type of global abstract any unknown never number string boolean bigint symbol " +
    "object undefined keyof readonly infer is asserts unique satisfies accessor out override " +
    "constructor arguments eval").split(" "),
  "Uint8Array",
  "Int8Array",
  "Uint16Array",
  "Int16Array",
  "Uint32Array",
  "Int32Array",
  "BigInt64Array",
  "BigUint64Array",
  "Float16Array",
  "Float32Array",
  "Float64Array",
  "Iterable",
  "Record",
  "Array",
  "Object",
  "Function",
  "Symbol",
  "BtfView",
  "BtfArray",
  "BtfWritable",
]);

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Whether `name` can be written as it is as a TypeScript type name. */
function isTypeName(name: string): boolean {
  return IDENT.test(name) && !TS_RESERVED.has(name);
}

/** A property name: the name itself when it is an identifier, else a string literal. */
function propName(name: string): string {
  return IDENT.test(name) ? name : JSON.stringify(name);
}

/**
 * Text safe inside a block comment: `*\/` broken, and anything outside
 * printable ASCII (line terminators, control and non-ASCII characters)
 * written as `\uXXXX`.
 *
 * @example
 * ```ts
 * import { commentSafe } from "@bpfview/bpfview";
 * console.log(commentSafe("a *\/ b\n")); // a *\/ b\u000a
 * ```
 */
export function commentSafe(text: string): string {
  let out = "";
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c >= 0x20 && c < 0x7f) out += ch;
    else if (c <= 0xffff) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else out += `\\u{${c.toString(16)}}`;
  }
  return out.replaceAll("*/", "*\\/");
}

/**
 * The TypeScript names of a BTF's structs, unions, typedefs of them, enums
 * and data sections (see the module documentation for the rules), by type
 * id. Computed over the whole BTF, so a type's name does not depend on
 * which types are dumped.
 *
 * @example
 * ```ts
 * import { loadBtf, tsNames } from "@bpfview/bpfview";
 * const btf = loadBtf();
 * console.log(tsNames(btf).get(btf.get("task_struct").id)); // "task_struct"
 * ```
 */
export function tsNames(btf: Btf): Map<number, string> {
  const taken = new Set<string>();
  const names = new Map<number, string>();
  const structs: number[] = [], unions: number[] = [], typedefs: number[] = [];
  const enums: number[] = [], secs: number[] = [], anon: number[] = [];
  // Anonymous structs/unions and the typedefs naming them (one typedef only).
  const namedBy = new Map<number, number>();
  const n = btf.count;
  for (let id = 1; id < n; id++) {
    const k = btf.kindOf(id);
    if (k !== Kind.TYPEDEF) continue;
    const to = (btf.type(id) as { type: number }).type;
    if (to === 0) continue;
    const tk = btf.kindOf(to);
    if ((tk === Kind.STRUCT || tk === Kind.UNION) && btf.nameOf(to) === "") {
      namedBy.set(to, namedBy.has(to) ? -1 : id);
    }
  }
  for (let id = 1; id < n; id++) {
    const k = btf.kindOf(id);
    const named = btf.nameOf(id) !== "";
    if (k === Kind.STRUCT || k === Kind.UNION) {
      if (named) (k === Kind.STRUCT ? structs : unions).push(id);
      else if ((namedBy.get(id) ?? -1) < 0) anon.push(id);
    } else if (k === Kind.TYPEDEF) typedefs.push(id);
    else if ((k === Kind.ENUM || k === Kind.ENUM64) && named) enums.push(id);
    else if (k === Kind.DATASEC) secs.push(id);
  }
  const give = (id: number, name: string, prefix: string) => {
    const tries = [name, `${prefix}_${name}`];
    let pick = tries.find((t) => isTypeName(t) && !taken.has(t));
    if (!pick) {
      pick = `${prefix}_${id}`;
      while (taken.has(pick)) pick += "_";
    }
    taken.add(pick);
    names.set(id, pick);
  };
  for (const id of structs) give(id, btf.nameOf(id), "struct");
  for (const id of unions) give(id, btf.nameOf(id), "union");
  for (const id of typedefs) {
    const to = (btf.type(id) as { type: number }).type;
    if (to !== 0 && namedBy.get(to) === id) {
      // The anonymous struct or union takes the typedef's name.
      give(to, btf.nameOf(id), btf.kindOf(to) === Kind.STRUCT ? "struct" : "union");
      continue;
    }
    let r: number;
    try {
      r = resolveType(btf, id);
    } catch (e) {
      if (e instanceof BtfError) continue;
      throw e;
    }
    const rk = r === 0 ? 0 : btf.kindOf(r);
    if (rk !== Kind.STRUCT && rk !== Kind.UNION) continue;
    // `typedef struct foo foo;` needs no second name.
    if (btf.nameOf(r) === btf.nameOf(id)) continue;
    give(id, btf.nameOf(id), "typedef");
  }
  for (const id of enums) give(id, btf.nameOf(id), "enum");
  for (const id of secs) {
    const name = btf.nameOf(id).replace(/^\./, "").replace(/[^A-Za-z0-9_$]/g, "_");
    give(id, name, "datasec");
  }
  for (const id of anon) give(id, `anon_${id}`, "anon");
  return names;
}

/** What one dump needs: the BTF, the names and the types still to declare. */
interface Ctx {
  btf: Btf;
  names: Map<number, string>;
  int64: string;
  enums: "union" | "const" | "name";
  /** Types declared or queued, and the queue. */
  queued: Set<number>;
  queue: number[];
}

/** The TS name of a type, queuing its declaration. */
function ref(cx: Ctx, id: number): string {
  const name = cx.names.get(id);
  if (name === undefined) {
    throw new BtfError(`expected a TypeScript name for type ${id}, found none`);
  }
  if (!cx.queued.has(id)) {
    cx.queued.add(id);
    cx.queue.push(id);
  }
  return name;
}

/**
 * TypeScript declarations for the structs, unions and data sections of a
 * BTF (or the types `ids` name and what they need), typed as the views
 * give their fields (see the module documentation).
 *
 * @example
 * ```ts
 * import { dumpTs, loadBtf } from "@bpfview/bpfview";
 * const btf = loadBtf();
 * const ts = dumpTs(btf, { ids: [btf.get("task_struct").id] });
 * console.log(ts.includes("export interface task_struct {")); // true
 * // Enums also as objects of their enumerators: `export const bpf_map_type = { ... } as const;`
 * const enums = dumpTs(btf, { ids: [btf.get("bpf_map_type").id], enums: "const" });
 * console.log(enums.includes("  BPF_MAP_TYPE_HASH: 1,")); // true
 * ```
 */
export function dumpTs(btf: Btf, options: DumpTsOptions = {}): string {
  const int64 = options.int64 ?? "bigint";
  if (int64 !== "bigint" && int64 !== "safe") {
    throw new BtfError(`expected int64 "bigint" or "safe", found ${JSON.stringify(int64)}`);
  }
  const enums = options.enums ?? "union";
  if (enums !== "union" && enums !== "const" && enums !== "name") {
    throw new BtfError(
      `expected enums "union", "const" or "name", found ${JSON.stringify(enums)}`,
    );
  }
  const cx: Ctx = {
    btf,
    names: tsNames(btf),
    int64: int64 === "bigint" ? "bigint" : "number | bigint",
    enums,
    queued: new Set(),
    queue: [],
  };
  let roots = options.ids;
  if (!roots) {
    const all: number[] = [];
    for (let id = btf.startId; id < btf.count; id++) {
      const k = btf.kindOf(id);
      if (
        ((k === Kind.STRUCT || k === Kind.UNION) && btf.nameOf(id) !== "") || k === Kind.DATASEC
      ) all.push(id);
    }
    roots = all;
  }
  const out: string[] = [
    `// TypeScript declarations generated by bpfview from BTF (int64: "${int64}"${
      enums === "union" ? "" : `, enums: "${enums}"`
    }): do not edit.`,
    '// Use them with the views: btf.view<NAME>("NAME") gives a view whose fields have these types.',
    "",
    "/** A nested struct or union as a view gives it: its members and the view API. */",
    "export type BtfView<T> = T & {",
    "  rebind(byteOffset: number, byteLength?: number): BtfView<T>;",
    "  get(name: string): unknown;",
    "  toObject(): Record<string, unknown>;",
    "  toJSON(): Record<string, unknown>;",
    "};",
    "",
    "/** An array of structs, strings or arrays as a view gives it: indexable and iterable. */",
    "export interface BtfArray<T> extends Iterable<T> {",
    "  readonly length: number;",
    "  readonly [index: number]: T | undefined;",
    "  at(index: number): T | undefined;",
    "  toObject(): unknown[];",
    "  toJSON(): unknown[];",
    "}",
    "",
    "/** A writable view's members (`{ writable: true }`, a BPF object's globals before load). */",
    "export type BtfWritable<T> = { -readonly [K in keyof T]: T[K] };",
  ];
  const aliases: string[] = [];
  for (const id of roots) {
    if (id <= 0 || id >= btf.count) {
      throw new BtfError(`expected a type id between 1 and ${btf.count - 1}, found ${id}`);
    }
    const k = btf.kindOf(id);
    if (k === Kind.TYPEDEF && !cx.names.has(id)) {
      // A typedef of something else than a struct or union: an alias of its TS type.
      if (!IDENT.test(btf.nameOf(id)) || TS_RESERVED.has(btf.nameOf(id))) continue;
      aliases.push(
        "",
        `/** ${commentSafe(`typedef ${declaration(btf, id)}`)} */`,
        `export type ${btf.nameOf(id)} = ${safeType(cx, () => valueType(cx, id))};`,
      );
      continue;
    }
    if (cx.names.has(id)) ref(cx, id);
  }
  for (let i = 0; i < cx.queue.length; i++) out.push("", ...declare(cx, cx.queue[i]));
  // Typedef aliases whose names clash with a declared name are left out.
  const declared = new Set([...cx.queued].map((id) => cx.names.get(id)!));
  for (let i = 0; i < aliases.length; i += 3) {
    const name = /^export type (\S+) =/.exec(aliases[i + 2])![1];
    if (!declared.has(name) && ![...cx.names.values()].includes(name)) {
      out.push(aliases[i], aliases[i + 1], aliases[i + 2]);
      declared.add(name);
    }
  }
  return out.join("\n") + "\n";
}

/** A type from `make`, or `unknown` when the BTF does not allow one. */
function safeType(_cx: Ctx, make: () => string): string {
  try {
    return make();
  } catch (e) {
    if (e instanceof BtfError) return "unknown";
    throw e;
  }
}

/** The declaration of one queued type: an interface, a type alias of one, or an enum's union. */
function declare(cx: Ctx, id: number): string[] {
  const { btf } = cx;
  const name = cx.names.get(id)!;
  const t = btf.type(id);
  switch (t.kind) {
    case Kind.TYPEDEF: {
      const r = resolveType(btf, id);
      return [
        `/** ${commentSafe(`typedef ${describe(btf, r)} ${t.name}`)} */`,
        `export type ${name} = ${ref(cx, r)};`,
      ];
    }
    case Kind.ENUM:
    case Kind.ENUM64: {
      const head = `/** ${commentSafe(`enum ${t.name}`)} (${t.size} bytes)`;
      if (cx.enums === "name") {
        return [
          `${head}: its enumerators' names, or the value none matches. */`,
          `export type ${name} = ${enumNames(cx, t, 0)};`,
        ];
      }
      const values = cx.enums === "const" ? enumValues(cx, t, 0) : undefined;
      if (values) return enumConst(name, head, values);
      return [
        `${head}: its enumerators' values. */`,
        `export type ${name} = ${enumUnion(cx, t, 0)};`,
      ];
    }
    case Kind.STRUCT:
    case Kind.UNION:
    case Kind.DATASEC:
      return iface(cx, id, name, t);
    default:
      throw new BtfError(`expected a struct, union, enum or typedef for type ${id}`);
  }
}

/** `export interface NAME { ... }` for a struct, union or data section. */
function iface(cx: Ctx, id: number, name: string, t: Type): string[] {
  const { btf } = cx;
  const size = (t as { size: number }).size;
  const lines = [
    `/** ${commentSafe(describeFull(btf, id))} (type ${id}): ${size} bytes. */`,
    `export interface ${name} {`,
  ];
  let fields: Field[];
  try {
    fields = t.kind === Kind.DATASEC ? datasecFields(btf, t) : fieldsOf(btf, id);
  } catch (e) {
    if (!(e instanceof BtfError)) throw e;
    lines.push(`  // no fields: ${commentSafe(e.message)}`, "}");
    return lines;
  }
  const seen = new Set<string>();
  for (const f of fields) {
    const decl = safeDecl(btf, f);
    const where = f.bitfieldSize
      ? `at byte ${f.offset}, bit ${f.bitOffset & 7}`
      : `at byte ${f.offset}`;
    if (seen.has(f.name)) {
      lines.push(
        `  // ${commentSafe(JSON.stringify(f.name))}: a second member of that name, left out`,
      );
      continue;
    }
    seen.add(f.name);
    if (RESERVED_NAMES.has(f.name)) {
      lines.push(
        `  // ${commentSafe(decl)} ${where}: read with .get(${
          commentSafe(JSON.stringify(f.name))
        })`,
      );
      continue;
    }
    const type = safeType(cx, () => fieldType(cx, f));
    lines.push(`  /** \`${commentSafe(decl)}\` ${where} */`);
    lines.push(`  readonly ${propName(f.name)}: ${type};`);
  }
  lines.push("}");
  return lines;
}

function describeFull(btf: Btf, id: number): string {
  const k = btf.kindOf(id);
  if (k === Kind.DATASEC) return `data section ${btf.nameOf(id)}`;
  return describe(btf, id);
}

function safeDecl(btf: Btf, f: Field): string {
  try {
    return declaration(btf, f.type, f.name) + (f.bitfieldSize ? `:${f.bitfieldSize}` : "");
  } catch (e) {
    if (!(e instanceof BtfError)) throw e;
    return `(type ${f.type}) ${f.name}`;
  }
}

function datasecFields(btf: Btf, t: Type): Field[] {
  if (t.kind !== Kind.DATASEC) return [];
  const out: Field[] = [];
  for (const v of t.vars) {
    if (v.type === 0 || btf.kindOf(v.type) !== Kind.VAR) continue;
    const vt = btf.type(v.type) as { name: string; type: number };
    out.push({
      name: vt.name,
      type: vt.type,
      bitOffset: v.offset * 8,
      offset: v.offset,
      bitfieldSize: 0,
      depth: 0,
    });
  }
  return out;
}

/** The type a view getter returns for field `f`. */
function fieldType(cx: Ctx, f: Field): string {
  const { btf } = cx;
  const rid = resolveType(btf, f.type);
  if (rid === 0) return "unknown";
  const t = btf.type(rid);
  let bits = f.bitfieldSize;
  if (bits === 0 && t.kind === Kind.INT && (t.bits !== t.size * 8 || t.bitOffset !== 0)) {
    bits = t.bits;
  }
  if (bits !== 0) {
    if (t.kind === Kind.INT) {
      if (t.bool) return "boolean";
      return bits <= 32 ? "number" : wide(cx, bits);
    }
    if (t.kind === Kind.ENUM || t.kind === Kind.ENUM64) {
      if (cx.enums === "name") return enumNames(cx, t, bits);
      return bits <= 32 ? enumRef(cx, rid, t, bits) : wide(cx, bits);
    }
    return "unknown";
  }
  return valueType(cx, rid);
}

/** A bitfield wider than 32 bits. */
function wide(cx: Ctx, bits: number): string {
  if (cx.int64 === "bigint") return "bigint";
  return bits <= 53 ? "number" : "number | bigint";
}

/** The type a view gives for a whole value of type `id` (typedefs resolved). */
function valueType(cx: Ctx, id: number, depth = 0): string {
  const { btf } = cx;
  if (depth > MAX_DEPTH) {
    throw new BtfError(
      `expected arrays nested less than ${MAX_DEPTH} deep at type ${id}, found deeper`,
    );
  }
  const rid = resolveType(btf, id);
  if (rid === 0) return "unknown";
  const t = btf.type(rid);
  switch (t.kind) {
    case Kind.INT:
      if (t.bool) return [1, 2, 4, 8, 16].includes(t.size) ? "boolean" : "unknown";
      if (t.size === 1 || t.size === 2 || t.size === 4) return "number";
      return t.size === 8 || t.size === 16 ? cx.int64 : "unknown";
    case Kind.ENUM:
    case Kind.ENUM64:
      return [1, 2, 4, 8].includes(t.size) ? enumRef(cx, rid, t, 0) : "unknown";
    case Kind.PTR:
      return btf.pointerSize === 8 ? cx.int64 : "number";
    case Kind.FLOAT:
      return [2, 4, 8].includes(t.size) ? "number" : "Uint8Array";
    case Kind.STRUCT:
    case Kind.UNION:
      return `BtfView<${ref(cx, rid)}>`;
    case Kind.ARRAY:
      return arrayType(cx, t.type, depth);
    default:
      return "unknown";
  }
}

/** The type a view gives for an array of `elem`. */
function arrayType(cx: Ctx, elem: number, depth: number): string {
  const { btf } = cx;
  const erid = resolveType(btf, elem);
  if (erid === 0) return "unknown";
  const et = btf.type(erid);
  switch (et.kind) {
    case Kind.INT:
      if (et.size === 1 && et.bits === 8 && et.bitOffset === 0 && (et.char || et.name === "char")) {
        return "string";
      }
      if (et.bits === et.size * 8 && et.bitOffset === 0) {
        const ta = typedArray(et.size, et.signed && !et.bool);
        if (ta) return ta;
      }
      break;
    case Kind.ENUM:
    case Kind.ENUM64: {
      const ta = typedArray(et.size, et.signed);
      if (ta) return ta;
      break;
    }
    case Kind.PTR:
      return typedArray(btf.pointerSize, false) ?? "unknown";
    case Kind.FLOAT:
      if (et.size === 2) return "Float16Array";
      if (et.size === 4) return "Float32Array";
      if (et.size === 8) return "Float64Array";
      break;
  }
  return `BtfArray<${valueType(cx, erid, depth + 1)}>`;
}

function typedArray(size: number, signed: boolean): string | undefined {
  switch (size) {
    case 1:
      return signed ? "Int8Array" : "Uint8Array";
    case 2:
      return signed ? "Int16Array" : "Uint16Array";
    case 4:
      return signed ? "Int32Array" : "Uint32Array";
    case 8:
      return signed ? "BigInt64Array" : "BigUint64Array";
    default:
      return undefined;
  }
}

/** A named enum's alias, or an anonymous enum's union in place (bitfields: cut to their width). */
function enumRef(cx: Ctx, rid: number, t: Type, bits: number): string {
  if (bits === 0 && cx.names.has(rid)) return ref(cx, rid);
  return cx.enums === "name" ? enumNames(cx, t, bits) : enumUnion(cx, t, bits);
}

/** The type an enum's reader gives before any converter: `bits`, a bitfield's width, or 0. */
function enumRaw(cx: Ctx, t: Type, bits: number): string {
  if (bits > 32) return wide(cx, bits);
  const wideEnum = t.kind === Kind.ENUM64 ? t.size === 8 : t.kind === Kind.ENUM && t.size > 4;
  return bits === 0 && wideEnum ? cx.int64 : "number";
}

/**
 * What a view made with `enums: "name"` gives for an enum (see
 * `enumName`, btf/view_convert.ts): the name of the first enumerator of
 * the value read, or that value. An enumerator whose value an earlier one
 * has is never given and is left out (bitfields keep every name: their
 * values are cut to the width). Names are string literals.
 */
function enumNames(cx: Ctx, t: Type, bits: number): string {
  const raw = enumRaw(cx, t, bits);
  if (t.kind !== Kind.ENUM && t.kind !== Kind.ENUM64) return raw;
  const width = bits || 8 * t.size;
  const names = new Set<string>();
  const claimed = new Set<bigint>();
  for (const e of t.values) {
    const v = BigInt(e.value);
    const read = t.signed ? BigInt.asIntN(width, v) : BigInt.asUintN(width, v);
    if (bits === 0) {
      if (claimed.has(read)) continue;
      claimed.add(read);
    }
    names.add(e.name);
    if (names.size > MAX_ENUM_VALUES) return `string | ${raw}`;
  }
  return [...names].map((n) => JSON.stringify(n)).concat(raw).join(" | ");
}

/** Enums with more distinct values than this are typed as plain numbers (or bigints). */
const MAX_ENUM_VALUES = 4096;

/**
 * An enum's enumerators with their values as TypeScript literals, as the
 * view reads them (`bits`: a bitfield's width, cutting them), or undefined
 * when the enum is typed as a plain number or bigint: no enumerators, too
 * many values, or clang's 8-byte ENUM whose values BTF cut to 32 bits.
 */
function enumValues(
  cx: Ctx,
  t: Type,
  bits: number,
): { name: string; lit: string }[] | undefined {
  if (t.kind !== Kind.ENUM && t.kind !== Kind.ENUM64) return undefined;
  // A 32-bit ENUM of 8 bytes (clang before ENUM64) keeps only the low half of its values.
  if (t.kind === Kind.ENUM && t.size > 4 && bits === 0) return undefined;
  const width = bits || 8 * t.size;
  const big = bits === 0 && t.size === 8;
  const out: { name: string; lit: string }[] = [];
  const distinct = new Set<string>();
  for (const e of t.values) {
    const raw = BigInt(e.value);
    const v = t.signed ? BigInt.asIntN(width, raw) : BigInt.asUintN(width, raw);
    let lit: string;
    if (!big) lit = String(Number(v));
    else if (cx.int64 === "bigint") lit = `${v}n`;
    else lit = v <= 9007199254740991n && v >= -9007199254740991n ? String(Number(v)) : `${v}n`;
    out.push({ name: e.name, lit });
    distinct.add(lit);
    if (distinct.size > MAX_ENUM_VALUES) return undefined;
  }
  return out.length ? out : undefined;
}

/** The union of an enum's values as the view reads them, each with its names in a comment. */
function enumUnion(cx: Ctx, t: Type, bits: number): string {
  const values = enumValues(cx, t, bits);
  if (!values) {
    if (t.kind !== Kind.ENUM && t.kind !== Kind.ENUM64) return "number";
    const wide = t.size === 8 || (t.kind === Kind.ENUM && t.size > 4);
    return bits === 0 && wide ? cx.int64 : "number";
  }
  const byValue = new Map<string, string[]>();
  for (const { name, lit } of values) {
    const names = byValue.get(lit);
    if (names) names.push(name);
    else byValue.set(lit, [name]);
  }
  return [...byValue].map(([lit, names]) => `/* ${commentSafe(names.join(", "))} */ ${lit}`)
    .join(" | ");
}

/**
 * A named enum as an object of its enumerators (`as const`) and a type of
 * its values. Keys are checked identifiers, string literals, or (for
 * `__proto__`, which an object literal would take as its prototype) a
 * computed key; a repeated name keeps its first value.
 */
function enumConst(name: string, head: string, values: { name: string; lit: string }[]): string[] {
  const lines = [`${head}: its enumerators by name. */`, `export const ${name} = {`];
  const seen = new Set<string>();
  for (const e of values) {
    if (seen.has(e.name)) {
      lines.push(
        `  // ${
          commentSafe(JSON.stringify(e.name))
        } = ${e.lit}: a second enumerator of that name, left out`,
      );
      continue;
    }
    seen.add(e.name);
    const key = e.name === "__proto__" ? '["__proto__"]' : propName(e.name);
    lines.push(`  ${key}: ${e.lit},`);
  }
  lines.push(
    "} as const;",
    `/** ${commentSafe(name)}'s values (the values of its enumerators). */`,
    `export type ${name} = (typeof ${name})[keyof typeof ${name}];`,
  );
  return lines;
}
