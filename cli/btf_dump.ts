/**
 * `bpfview btf dump`: BTF as bpftool's raw text, as C (a `vmlinux.h`) or as
 * JSON lines.
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
  string,
  withDefault,
} from "@optique/core";
import { dumpC, dumpJson, dumpRawBytes } from "../mod.ts";
import { type BtfSource, btfSourceOptions, idsByName, openBtf } from "./btf_source.ts";
import { type CommandParser, doc, examples, type Run } from "./command.ts";
import { writeOut } from "./output.ts";

/** Options of {@link runDump}. */
export interface DumpOptions extends BtfSource {
  /** `raw` (bpftool's text), `c` (a header) or `json` (one type per line). */
  format: "raw" | "c" | "json";
  /** Type names to dump with what they need; empty: every type. */
  types: readonly string[];
}

/** The `dump` subcommand's parser; its value runs the dump. */
export const dumpCommand: CommandParser = command(
  "dump",
  map(
    object({
      ...btfSourceOptions,
      format: withDefault(
        option("--format", choice(["raw", "c", "json"], { metavar: "FORMAT" }), {
          description: doc`raw: bpftool btf dump's text, one [id] KIND line per type; c: a C
            header that compiles (bpftool btf dump format c, i.e. vmlinux.h); json: one JSON
            object per type per line, as bpftool -j`,
        }),
        "raw" as const,
      ),
      types: multiple(
        argument(string({ metavar: "TYPE" }), {
          description: doc`type names (task_struct, pid_t, "struct sk_buff") to dump together with
            every type they refer to; none: dump all types`,
        }),
      ),
    }),
    (o): Run => () => runDump(o),
  ),
  {
    brief: doc`dump BTF as bpftool's raw text, C (vmlinux.h) or JSON`,
    description: doc`Dumps every type of the BTF (or the types named and what they need) to stdout,
      in the format bpftool btf dump gives.`,
    footer: examples(
      "bpfview btf dump --format c > vmlinux.h",
      "bpfview btf dump --format json task_struct",
      "bpfview btf dump --file prog.bpf.o",
    ),
  },
);

/** `btf dump`: writes the dump to stdout; returns the exit code. */
export function runDump(o: DumpOptions): number {
  const btf = openBtf(o);
  const roots = o.types.flatMap((name) => idsByName(btf, name));
  const ids = roots.length ? roots : undefined;
  switch (o.format) {
    case "raw":
      writeOut(dumpRawBytes(btf, { ids, withDependencies: true }));
      break;
    case "c":
      writeOut(dumpC(btf, { ids: roots.length ? roots : undefined }));
      break;
    case "json": {
      const lines = dumpJson(btf, { ids, withDependencies: true }).map((t) => JSON.stringify(t));
      writeOut(lines.join("\n") + (lines.length ? "\n" : ""));
      break;
    }
  }
  return 0;
}
