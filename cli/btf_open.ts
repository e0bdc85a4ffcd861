/**
 * Opening the BTF a `btf` command names (`--file`, `--base`) and looking
 * types up in it. No parser here: the fast start (`cli/fast.ts`) uses it
 * without loading the argument parser.
 *
 * @module
 */

import { type Btf, BtfError, Kind, openBtf } from "../mod.ts";

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

/** All ids of types named `name`, complete types first; throws if none. */
export function idsByName(btf: Btf, name: string): number[] {
  const ids = btf.findIds(name);
  if (ids.length === 0) throw new BtfError(`expected a type named "${name}", found none`);
  const full = ids.filter((id) => btf.kindOf(id) !== Kind.FWD);
  return full.length ? full : ids;
}
