/**
 * `bpfview btf`: the group of BTF commands (dump, layout, decode). A new
 * `btf` subcommand goes in its own `cli/btf_<name>.ts` and joins the `or(...)`
 * below.
 *
 * @module
 */

import { command, or } from "@optique/core";
import { decodeCommand } from "./btf_decode.ts";
import { dumpCommand } from "./btf_dump.ts";
import { layoutCommand } from "./btf_layout.ts";
import { type CommandParser, doc } from "./command.ts";

/** `btf <subcommand>`: its value runs the chosen subcommand. */
export const btfCommand: CommandParser = command(
  "btf",
  or(dumpCommand, layoutCommand, decodeCommand),
  {
    brief: doc`read BTF (the kernel's, a module's or an object's): dump, lay out, decode`,
    description: doc`Reads BTF from /sys/kernel/btf/vmlinux (default), a module's split BTF (with
    --base) or a BPF object, and dumps it, lays out its structs or decodes binary records with
    it. Run bpfview btf COMMAND --help for each command's options.`,
  },
);
