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
