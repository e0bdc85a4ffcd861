/**
 * BTF kind numbers and names, as in `<linux/btf.h>`.
 *
 * @module
 */

/**
 * The BTF kinds (`BTF_KIND_*`).
 *
 * @example
 * ```ts
 * import { Kind } from "@bpfview/bpfview";
 * console.log(Kind.STRUCT); // 4
 * ```
 */
export const Kind = {
  UNKN: 0,
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;

/**
 * A BTF kind number.
 *
 * @example
 * ```ts
 * import { Kind, type KindNumber } from "@bpfview/bpfview";
 * const k: KindNumber = Kind.INT;
 * ```
 */
export type KindNumber = typeof Kind[keyof typeof Kind];

/**
 * The names bpftool prints for each kind, indexed by kind number.
 *
 * @example
 * ```ts
 * import { Kind, KIND_NAMES } from "@bpfview/bpfview";
 * console.log(KIND_NAMES[Kind.FUNC_PROTO]); // "FUNC_PROTO"
 * ```
 */
export const KIND_NAMES: readonly string[] = [
  "UNKNOWN",
  "INT",
  "PTR",
  "ARRAY",
  "STRUCT",
  "UNION",
  "ENUM",
  "FWD",
  "TYPEDEF",
  "VOLATILE",
  "CONST",
  "RESTRICT",
  "FUNC",
  "FUNC_PROTO",
  "VAR",
  "DATASEC",
  "FLOAT",
  "DECL_TAG",
  "TYPE_TAG",
  "ENUM64",
];

/**
 * Looks a kind up by its name (case-insensitive): `"struct"` gives 4.
 *
 * @example
 * ```ts
 * import { kindFromName } from "@bpfview/bpfview";
 * console.log(kindFromName("typedef")); // 8
 * ```
 */
export function kindFromName(name: string): KindNumber | undefined {
  const i = KIND_NAMES.indexOf(name.toUpperCase());
  return i > 0 ? i as KindNumber : undefined;
}

/** The largest kind number `info` can hold (bits 24-30 since Linux 7.1's UAPI). */
export const MAX_KIND = 0x7f;
/** The largest vlen `info` can hold (bits 0-23 since Linux 7.1's UAPI). */
export const MAX_VLEN = 0xffffff;
/** The last kind this reader knows. */
export const LAST_KNOWN_KIND = Kind.ENUM64;

/** The kind number of a `btf_type` info word (bits 24-30). */
export function infoKind(info: number): number {
  return (info >>> 24) & MAX_KIND;
}

/** The vlen of a `btf_type` info word (bits 0-23). */
export function infoVlen(info: number): number {
  return info & MAX_VLEN;
}

/**
 * The name of a kind number as dumps and errors print it: `"STRUCT"` for
 * the kinds this reader knows, `"KIND_20"` for the ones it steps over
 * through the kind layout section.
 *
 * @example
 * ```ts
 * import { kindName } from "@bpfview/bpfview";
 * console.log(kindName(4), kindName(20)); // "STRUCT" "KIND_20"
 * ```
 */
export function kindName(kind: number): string {
  return kind >= 1 && kind <= LAST_KNOWN_KIND ? KIND_NAMES[kind] : `KIND_${kind}`;
}

/**
 * The kind name of a decoded type, as dumps and errors print it: a type of
 * a kind this reader does not know gives `KIND_<number>`.
 */
export function typeKindName(t: { readonly kind: number; readonly rawKind?: number }): string {
  return t.kind === Kind.UNKN && t.rawKind !== undefined ? kindName(t.rawKind) : KIND_NAMES[t.kind];
}
