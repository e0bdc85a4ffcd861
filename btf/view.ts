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
 *   host's byte order, else a copy. The typed array is cached per field
 *   while the view stays on one record (reading the field again allocates
 *   nothing), but a typed array cannot move: after `rebind` to another
 *   record, the next read of the field allocates a new one (scalar fields
 *   allocate nothing, ever). In a loop over many records, read such a field
 *   once per record and index the typed array you got. Arrays of `char`: a string cut at the
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
 * The code lives in one file per concept: `view_types.ts` (the public
 * types), `view_runtime.ts` (the base classes instances run on),
 * `view_codegen.ts` (options, cache and the code generator),
 * `view_class.ts` (composite classes), `view_readers.ts` (one reader per
 * member kind) and `view_convert.ts` (converters).
 *
 * @module
 */

import { BtfError } from "./error.ts";
import { Kind } from "./kinds.ts";
import { resolveType } from "./layout.ts";
import type { Btf } from "./parse.ts";
import type { Type } from "./types.ts";
import { compositeClass } from "./view_class.ts";
import { normalize } from "./view_codegen.ts";
import type { ViewClass, ViewOptions } from "./view_types.ts";

export { enumName } from "./view_convert.ts";
export { ArrayView } from "./view_runtime.ts";
export {
  type Converter,
  type ConverterField,
  RESERVED_NAMES,
  type View,
  type ViewApi,
  type ViewClass,
  type ViewField,
  type ViewOptions,
} from "./view_types.ts";

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
