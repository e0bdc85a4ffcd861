/**
 * Where the `btf` commands read BTF from: the `--file` and `--base` options,
 * and the lookups they share.
 *
 * @module
 */

import { option, optional, string } from "@optique/core";
import { doc } from "./command.ts";
import { type Btf, BtfError, Kind, mapBtf } from "../mod.ts";

/** Where to read BTF from: a file (raw or ELF) and an optional base for split BTF. */
export interface BtfSource {
  /** BTF file; default the kernel's. */
  file?: string;
  /** Base BTF file for split BTF. */
  base?: string;
}

/** `--file PATH` and `--base PATH`, to spread into a command's `object({...})`. */
export const btfSourceOptions = {
  file: optional(
    option("--file", string({ metavar: "PATH" }), {
      description: doc`BTF to read: a raw BTF file (/sys/kernel/btf/*, bpftool btf dump -o)
        or an ELF object with a .BTF section (clang -g -target bpf); default: the running
        kernel's /sys/kernel/btf/vmlinux`,
    }),
  ),
  base: optional(
    option("--base", string({ metavar: "PATH" }), {
      description: doc`base BTF that split BTF (--file) builds on, e.g.
        /sys/kernel/btf/vmlinux for a module's /sys/kernel/btf/MODULE; default: none`,
    }),
  ),
};

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
