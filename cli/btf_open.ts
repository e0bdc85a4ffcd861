/**
 * Opening the BTF a `btf` command names (`--file`, `--base`) and looking
 * types up in it. No parser here: the fast start (`cli/fast.ts`) uses it
 * without loading the argument parser.
 *
 * @module
 */

import { type Btf, BtfError, Kind, mapBtf } from "../mod.ts";

/** Where to read BTF from: a file (raw or ELF) and an optional base for split BTF. */
export interface BtfSource {
  /** BTF file; default the kernel's. */
  file?: string;
  /** Base BTF file for split BTF. */
  base?: string;
}

/**
 * Opens the BTF the options name, mapped in place where the file allows it
 * (read otherwise). The mappings live as long as the process: the CLI exits
 * when the command is done.
 */
export function openBtf(o: BtfSource): Btf {
  const base = o.base ? mapBtf(o.base).btf : undefined;
  return mapBtf(o.file, { base }).btf;
}

/** All ids of types named `name`, complete types first; throws if none. */
export function idsByName(btf: Btf, name: string): number[] {
  const ids = btf.findIds(name);
  if (ids.length === 0) throw new BtfError(`expected a type named "${name}", found none`);
  const full = ids.filter((id) => btf.kindOf(id) !== Kind.FWD);
  return full.length ? full : ids;
}
