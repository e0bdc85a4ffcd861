/**
 * `bpfview btf dump`: BTF as bpftool's raw text, as C (a `vmlinux.h`) or as
 * JSON lines. The runner is in `btf_dump_run.ts`, apart from the parser, so
 * that the fast start (`fast.ts`) can run a dump without loading Optique.
 *
 * @module
 */

import {
  argument,
  choice,
  command,
  map,
  multiple,
  object,
  option,
  optional,
  string,
  withDefault,
} from "@optique/core";
import { btfSourceOptions } from "./btf_source.ts";
import { BtfError } from "../mod.ts";
import { type DumpOptions, runDump } from "./btf_dump_run.ts";
import { type CommandParser, doc, examples, type Run } from "./command.ts";

/** The options of `btf dump` (exported for the test that checks `fast.ts` against it). */
export const dumpOptions = object({
  ...btfSourceOptions,
  format: withDefault(
    option("--format", choice(["raw", "c", "json", "ts"], { metavar: "FORMAT" }), {
      description: doc`raw: bpftool btf dump's text, one [id] KIND line per type; c: a C
        header that compiles (bpftool btf dump format c, i.e. vmlinux.h); json: one JSON
        object per type per line, as bpftool -j; ts: TypeScript interfaces of the structs and
        unions, typed as the views read them (btf.view<NAME>("NAME"))`,
    }),
    "raw" as const,
  ),
  int64: optional(
    option("--int64", choice(["bigint", "safe"], { metavar: "MODE" }), {
      description: doc`with --format ts: the views' int64 option the types are for (bigint, the
        default: 64-bit values are bigints; safe: number | bigint)`,
    }),
  ),
  enums: optional(
    option("--enums", choice(["union", "const", "name"], { metavar: "FORM" }), {
      description: doc`with --format ts: named enums as union (the default: a type of their
        values, names in comments; the file declares types only), const (also an object of
        their enumerators, export const NAME = { A: 0 } as const, so code can say NAME.A) or
        name (enum fields typed as views made with { enums: "name" } give them: the
        enumerators' names, or the value when none matches)`,
    }),
  ),
  types: multiple(
    argument(string({ metavar: "TYPE" }), {
      description: doc`type names (task_struct, pid_t, "struct sk_buff") to dump together with
        every type they refer to; none: dump all types`,
    }),
  ),
});

/** The options, or a one-line error when --int64 or --enums is given with another format than ts. */
function tsOnly(o: DumpOptions): DumpOptions {
  const opt = o.int64 !== undefined ? "--int64" : o.enums !== undefined ? "--enums" : undefined;
  if (opt && o.format !== "ts") {
    throw new BtfError(`expected ${opt} only with --format ts, found --format ${o.format}`);
  }
  return o;
}

/** The `dump` subcommand's parser; its value runs the dump. */
export const dumpCommand: CommandParser = command(
  "dump",
  map(dumpOptions, (o): Run => () => runDump(tsOnly(o))),
  {
    brief: doc`dump BTF as bpftool's raw text, C (vmlinux.h), JSON or TypeScript types`,
    description: doc`Dumps every type of the BTF (or the types named and what they need) to stdout,
      in the format bpftool btf dump gives.`,
    footer: examples(
      "bpfview btf dump --format c > vmlinux.h",
      "bpfview btf dump --format json task_struct",
      "bpfview btf dump --format ts --file prog.bpf.o event > event.ts",
      "bpfview btf dump --format ts --enums const bpf_map_type > bpf_enums.ts",
      "bpfview btf dump --format ts --enums name --file prog.bpf.o event > event.ts",
      "bpfview btf dump --file prog.bpf.o",
    ),
  },
);
