/**
 * Opening the BTF a `btf` command names (`--file`, `--base`) and looking
 * types up in it. No parser here: the fast start (`cli/fast.ts`) uses it
 * without loading the argument parser.
 *
 * @module
 */

import { type Btf, BtfError, Kind, KIND_NAMES, openBtf } from "../mod.ts";

/** Where to read BTF from: a file (raw or ELF) and an optional base for split BTF. */
export interface BtfSource {
  /** BTF file; default the kernel's. */
  file?: string;
  /** Base BTF file for split BTF. */
  base?: string;
}

/**
 * Opens the BTF the options name with the library's `openBtf`: mapped where
 * the file allows it, read otherwise.
 */
export function openSource(o: BtfSource): Btf {
  return openBtf(o.file, { base: o.base });
}

/** The kinds `struct NAME`, `union NAME` and `enum NAME` name (with their forward declarations). */
const TAGS: Record<string, readonly number[]> = {
  struct: [Kind.STRUCT, Kind.FWD],
  union: [Kind.UNION, Kind.FWD],
  enum: [Kind.ENUM, Kind.ENUM64],
};

/**
 * All ids of types named `name` (or, for `struct NAME`, `union NAME` and
 * `enum NAME`, of that kind), complete types first; throws if none.
 */
export function idsByName(btf: Btf, name: string): number[] {
  const tagged = /^\s*(struct|union|enum)\s+(\S+)\s*$/.exec(name);
  let ids = btf.findIds(tagged ? tagged[2] : name);
  if (tagged) {
    const tag = tagged[1], kinds = TAGS[tag], all = ids;
    ids = ids.filter((id) => {
      const k = btf.kindOf(id);
      if (k !== Kind.FWD) return kinds.includes(k);
      return kinds.includes(k) && (btf.type(id) as { union: boolean }).union === (tag === "union");
    });
    if (ids.length === 0 && all.length) {
      const found = [...new Set(all.map((id) => KIND_NAMES[btf.kindOf(id)]))].join(", ");
      throw new BtfError(
        `expected a ${tag} named "${tagged[2]}", found only ${found} of that name`,
      );
    }
  }
  if (ids.length === 0) throw new BtfError(`expected a type named "${name}", found none`);
  const full = ids.filter((id) => btf.kindOf(id) !== Kind.FWD);
  return full.length ? full : ids;
}
