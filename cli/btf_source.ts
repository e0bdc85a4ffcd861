/**
 * Where the `btf` commands read BTF from: the `--file` and `--base` options
 * (the opening and the lookups they share are in `btf_open.ts`).
 *
 * @module
 */

import { option, optional, string } from "@optique/core";
import { doc } from "./command.ts";

export { type BtfSource, idsByName, openSource } from "./btf_open.ts";

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
