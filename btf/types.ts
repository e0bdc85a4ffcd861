/**
 * The decoded form of each BTF type kind. Types are plain read-only objects
 * produced by {@link Btf.type}; references to other types are type ids.
 *
 * @module
 */

import type { Kind } from "./kinds.ts";

/**
 * Fields every type has.
 *
 * @example
 * ```ts
 * import type { TypeBase } from "@bpfview/bpfview";
 * const describe = (t: TypeBase) => `[${t.id}] ${t.name || "(anon)"}`;
 * ```
 */
export interface TypeBase {
  /** Type id (0 is `void` and never decoded). */
  readonly id: number;
  /** Name, `""` for anonymous types. */
  readonly name: string;
  /** Offset of the name in the string table. */
  readonly nameOff: number;
  /** The kind_flag bit of `info`. */
  readonly kindFlag: boolean;
}

/**
 * `BTF_KIND_INT`.
 *
 * @example
 * ```ts
 * import { type IntType, Kind } from "@bpfview/bpfview";
 * const isSigned = (t: IntType) => t.kind === Kind.INT && t.signed;
 * ```
 */
export interface IntType extends TypeBase {
  /** The kind tag; switch on it to narrow {@link Type}. */
  readonly kind: typeof Kind.INT;
  /** Size in bytes. */
  readonly size: number;
  /** BTF_INT_SIGNED. */
  readonly signed: boolean;
  /** BTF_INT_CHAR. */
  readonly char: boolean;
  /** BTF_INT_BOOL. */
  readonly bool: boolean;
  /** Raw encoding bits (BTF_INT_ENCODING). */
  readonly encoding: number;
  /** BTF_INT_OFFSET: bit offset of the value. */
  readonly bitOffset: number;
  /** BTF_INT_BITS: number of value bits. */
  readonly bits: number;
}

/**
 * Kinds that only refer to another type: pointers, typedefs, qualifiers and
 * type tags.
 *
 * @example
 * ```ts
 * import type { RefType } from "@bpfview/bpfview";
 * const target = (t: RefType) => t.type;
 * ```
 */
export interface RefType extends TypeBase {
  /** The kind tag; switch on it to narrow {@link Type}. */
  readonly kind:
    | typeof Kind.PTR
    | typeof Kind.TYPEDEF
    | typeof Kind.VOLATILE
    | typeof Kind.CONST
    | typeof Kind.RESTRICT
    | typeof Kind.TYPE_TAG;
  /** The type referred to. */
  readonly type: number;
}

/**
 * `BTF_KIND_ARRAY`.
 *
 * @example
 * ```ts
 * import type { ArrayType } from "@bpfview/bpfview";
 * const len = (t: ArrayType) => t.nelems;
 * ```
 */
export interface ArrayType extends TypeBase {
  /** The kind tag; switch on it to narrow {@link Type}. */
  readonly kind: typeof Kind.ARRAY;
  /** Element type. */
  readonly type: number;
  /** Index type. */
  readonly indexType: number;
  /** Number of elements (0 for flexible arrays). */
  readonly nelems: number;
}

/**
 * One member of a struct or union.
 *
 * @example
 * ```ts
 * import type { Member } from "@bpfview/bpfview";
 * const byteOffset = (m: Member) => m.bitOffset >> 3;
 * ```
 */
export interface Member {
  /** Member name, `""` for anonymous members. */
  readonly name: string;
  /** Offset of the name in the string table. */
  readonly nameOff: number;
  /** Member type id. */
  readonly type: number;
  /** Offset from the start of the struct, in bits. */
  readonly bitOffset: number;
  /** Bitfield width in bits (only with kind_flag; 0 otherwise). */
  readonly bitfieldSize: number;
}

/**
 * `BTF_KIND_STRUCT` and `BTF_KIND_UNION`.
 *
 * @example
 * ```ts
 * import type { CompositeType } from "@bpfview/bpfview";
 * const names = (t: CompositeType) => t.members.map((m) => m.name);
 * ```
 */
export interface CompositeType extends TypeBase {
  /** The kind tag; switch on it to narrow {@link Type}. */
  readonly kind: typeof Kind.STRUCT | typeof Kind.UNION;
  /** Size in bytes. */
  readonly size: number;
  /** Members in declaration order. */
  readonly members: readonly Member[];
}

/**
 * One enumerator. `value` is a number for `ENUM` and a bigint for `ENUM64`.
 *
 * @example
 * ```ts
 * import type { Enumerator } from "@bpfview/bpfview";
 * const show = (e: Enumerator) => `${e.name} = ${e.value}`;
 * ```
 */
export interface Enumerator {
  /** Enumerator name. */
  readonly name: string;
  /** Offset of the name in the string table. */
  readonly nameOff: number;
  /** Value, sign-interpreted when the enum is signed. */
  readonly value: number | bigint;
}

/**
 * `BTF_KIND_ENUM` (values are numbers) and `BTF_KIND_ENUM64` (values are
 * bigints).
 *
 * @example
 * ```ts
 * import type { EnumType } from "@bpfview/bpfview";
 * const nameOf = (t: EnumType, v: number | bigint) =>
 *   t.values.find((e) => e.value == v)?.name;
 * ```
 */
export interface EnumType extends TypeBase {
  /** The kind tag; switch on it to narrow {@link Type}. */
  readonly kind: typeof Kind.ENUM | typeof Kind.ENUM64;
  /** Size in bytes. */
  readonly size: number;
  /** Whether the values are signed (kind_flag). */
  readonly signed: boolean;
  /** Enumerators in order. */
  readonly values: readonly Enumerator[];
}

/**
 * `BTF_KIND_FWD`.
 *
 * @example
 * ```ts
 * import type { FwdType } from "@bpfview/bpfview";
 * const keyword = (t: FwdType) => t.union ? "union" : "struct";
 * ```
 */
export interface FwdType extends TypeBase {
  /** The kind tag; switch on it to narrow {@link Type}. */
  readonly kind: typeof Kind.FWD;
  /** True for a union forward declaration, false for a struct. */
  readonly union: boolean;
}

/**
 * `BTF_KIND_FUNC`. `linkage` is 0 static, 1 global, 2 extern.
 *
 * @example
 * ```ts
 * import type { FuncType } from "@bpfview/bpfview";
 * const isStatic = (t: FuncType) => t.linkage === 0;
 * ```
 */
export interface FuncType extends TypeBase {
  /** The kind tag; switch on it to narrow {@link Type}. */
  readonly kind: typeof Kind.FUNC;
  /** The FUNC_PROTO type. */
  readonly type: number;
  /** Linkage (vlen): 0 static, 1 global, 2 extern. */
  readonly linkage: number;
}

/**
 * One parameter of a function prototype. A last parameter with name `""`
 * and type 0 marks varargs.
 *
 * @example
 * ```ts
 * import type { Param } from "@bpfview/bpfview";
 * const isVarargs = (p: Param) => p.type === 0;
 * ```
 */
export interface Param {
  /** Parameter name, may be `""`. */
  readonly name: string;
  /** Offset of the name in the string table. */
  readonly nameOff: number;
  /** Parameter type id. */
  readonly type: number;
}

/**
 * `BTF_KIND_FUNC_PROTO`.
 *
 * @example
 * ```ts
 * import type { FuncProtoType } from "@bpfview/bpfview";
 * const arity = (t: FuncProtoType) => t.params.length;
 * ```
 */
export interface FuncProtoType extends TypeBase {
  /** The kind tag; switch on it to narrow {@link Type}. */
  readonly kind: typeof Kind.FUNC_PROTO;
  /** Return type id (0 for void). */
  readonly type: number;
  /** Parameters in order. */
  readonly params: readonly Param[];
}

/**
 * `BTF_KIND_VAR`. `linkage` is 0 static, 1 global, 2 extern.
 *
 * @example
 * ```ts
 * import type { VarType } from "@bpfview/bpfview";
 * const isGlobal = (t: VarType) => t.linkage === 1;
 * ```
 */
export interface VarType extends TypeBase {
  /** The kind tag; switch on it to narrow {@link Type}. */
  readonly kind: typeof Kind.VAR;
  /** Type of the variable. */
  readonly type: number;
  /** Linkage: 0 static, 1 global, 2 extern. */
  readonly linkage: number;
}

/**
 * One variable of a data section.
 *
 * @example
 * ```ts
 * import type { VarSecinfo } from "@bpfview/bpfview";
 * const end = (v: VarSecinfo) => v.offset + v.size;
 * ```
 */
export interface VarSecinfo {
  /** The VAR (or FUNC) type id. */
  readonly type: number;
  /** Offset in the section. */
  readonly offset: number;
  /** Size in bytes. */
  readonly size: number;
}

/**
 * `BTF_KIND_DATASEC`.
 *
 * @example
 * ```ts
 * import type { DatasecType } from "@bpfview/bpfview";
 * const count = (t: DatasecType) => t.vars.length;
 * ```
 */
export interface DatasecType extends TypeBase {
  /** The kind tag; switch on it to narrow {@link Type}. */
  readonly kind: typeof Kind.DATASEC;
  /** Section size in bytes. */
  readonly size: number;
  /** Variables in the section. */
  readonly vars: readonly VarSecinfo[];
}

/**
 * `BTF_KIND_FLOAT`.
 *
 * @example
 * ```ts
 * import type { FloatType } from "@bpfview/bpfview";
 * const isDouble = (t: FloatType) => t.size === 8;
 * ```
 */
export interface FloatType extends TypeBase {
  /** The kind tag; switch on it to narrow {@link Type}. */
  readonly kind: typeof Kind.FLOAT;
  /** Size in bytes. */
  readonly size: number;
}

/**
 * `BTF_KIND_DECL_TAG`. `componentIdx` is -1 for the type itself, else the
 * member or parameter index.
 *
 * @example
 * ```ts
 * import type { DeclTagType } from "@bpfview/bpfview";
 * const onWhole = (t: DeclTagType) => t.componentIdx === -1;
 * ```
 */
export interface DeclTagType extends TypeBase {
  /** The kind tag; switch on it to narrow {@link Type}. */
  readonly kind: typeof Kind.DECL_TAG;
  /** The tagged type. */
  readonly type: number;
  /** -1, or the index of the tagged member or parameter. */
  readonly componentIdx: number;
}

/**
 * A type of a kind this reader does not know (a newer kernel's), stepped
 * over using the blob's kind layout section. `kind` is `Kind.UNKN` (0);
 * `rawKind` is the number the blob holds.
 *
 * @example
 * ```ts
 * import { kindName, type UnknownKindType } from "@bpfview/bpfview";
 * const label = (t: UnknownKindType) => `${kindName(t.rawKind)} '${t.name}'`;
 * ```
 */
export interface UnknownKindType extends TypeBase {
  /** The kind tag; switch on it to narrow {@link Type}. */
  readonly kind: typeof Kind.UNKN;
  /** The kind number in the blob (20 and above, or 0). */
  readonly rawKind: number;
  /** The vlen field of `info`. */
  readonly vlen: number;
  /** The `size`/`type` word of the record. */
  readonly sizeOrType: number;
  /** Bytes after the 12-byte header, from the layout section: `info_sz + vlen * elem_sz`. */
  readonly extraBytes: number;
}

/**
 * Any decoded BTF type; switch on `kind` to narrow.
 *
 * @example
 * ```ts
 * import { Kind, type Type } from "@bpfview/bpfview";
 * const size = (t: Type) => t.kind === Kind.STRUCT ? t.size : undefined;
 * ```
 */
export type Type =
  | IntType
  | RefType
  | ArrayType
  | CompositeType
  | EnumType
  | FwdType
  | FuncType
  | FuncProtoType
  | VarType
  | DatasecType
  | FloatType
  | DeclTagType
  | UnknownKindType;

/**
 * The decoded type of kind `K`: `TypeOfKind<typeof Kind.STRUCT>` is
 * {@link CompositeType}, `TypeOfKind<typeof Kind.TYPEDEF>` is {@link RefType}.
 * What `btf.get(name, kind)` and `btf.find(name, kind)` return.
 *
 * @example
 * ```ts
 * import { Kind, type TypeOfKind } from "@bpfview/bpfview";
 * const members = (t: TypeOfKind<typeof Kind.STRUCT>) => t.members.length;
 * ```
 */
export type TypeOfKind<K extends number> = Type extends infer T
  ? T extends { readonly kind: infer X } ? K extends X ? T : never : never
  : never;
