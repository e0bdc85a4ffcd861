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
import { closure, dumpC, dumpJson, dumpRawBytes, dumpTs } from "../mod.ts";
import { type BtfSource, btfSourceOptions, idsByName, openBtf } from "./btf_source.ts";
import { type CommandParser, doc, examples, type Run } from "./command.ts";
import { writeOut } from "./output.ts";

/** Options of {@link runDump}. */
export interface DumpOptions extends BtfSource {
  /** `raw` (bpftool's text), `c` (a header), `json` (one type per line) or `ts` (TypeScript). */
  format: "raw" | "c" | "json" | "ts";
  /** For `ts`: the views' int64 option the declarations are for. */
  int64?: "bigint" | "safe";
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
        option("--format", choice(["raw", "c", "json", "ts"], { metavar: "FORMAT" }), {
          description: doc`raw: bpftool btf dump's text, one [id] KIND line per type; c: a C
            header that compiles (bpftool btf dump format c, i.e. vmlinux.h); json: one JSON
            object per type per line, as bpftool -j; ts: TypeScript interfaces of the structs
            and unions, typed as the views read them (btf.view<NAME>("NAME"))`,
        }),
        "raw" as const,
      ),
      int64: withDefault(
        option("--int64", choice(["bigint", "safe"], { metavar: "MODE" }), {
          description: doc`with --format ts: the views' int64 option the types are for (bigint:
            64-bit values are bigints; safe: number | bigint)`,
        }),
        "bigint" as const,
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
      "bpfview btf dump --format ts --file prog.bpf.o event > event.ts",
      "bpfview btf dump --file prog.bpf.o",
    ),
  },
);

/** `btf dump`: writes the dump to stdout; returns the exit code. */
export function runDump(o: DumpOptions): number {
  const btf = openBtf(o);
  const roots = o.types.flatMap((name) => idsByName(btf, name));
  const ids = roots.length ? closure(btf, roots).filter((id) => id >= btf.startId) : undefined;
  switch (o.format) {
    case "raw":
      writeOut(dumpRawBytes(btf, { ids }));
      break;
    case "c":
      writeOut(dumpC(btf, { ids: roots.length ? roots : undefined }));
      break;
    case "ts":
      writeOut(dumpTs(btf, { ids: roots.length ? roots : undefined, int64: o.int64 }));
      break;
    case "json": {
      const lines = dumpJson(btf, { ids }).map((t) => JSON.stringify(t));
      writeOut(lines.join("\n") + (lines.length ? "\n" : ""));
      break;
    }
  }
  return 0;
}
