/**
 * The bpfview command line: a thin shell over the library. This file only
 * composes the commands; each command's parser and runner live together in
 * `cli/<command>.ts` (see `cli/command.ts` for how to add one).
 *
 * ```sh
 * deno run -A cli/main.ts btf dump --format c > vmlinux.h
 * deno run -A cli/main.ts btf layout task_struct
 * deno run -A cli/main.ts btf decode event --file prog.bpf.o --input events.bin --json
 * ```
 *
 * @module
 */

import { or } from "@optique/core";
import { run } from "@optique/run";
import { btfCommand } from "./btf.ts";
import { traceCommand } from "./trace.ts";
import { perfDataCommand } from "./perf_data.ts";
import { type CommandParser, doc, exampleLines } from "./command.ts";
import { exitStoringCodeCache } from "./exit.ts";
import { guard } from "./guard.ts";
import { mapCommand, progCommand } from "./kernel_list.ts";
import { loadCommand } from "./load.ts";

/** Every top-level command, one line each (add yours here). */
export const parser: CommandParser = or(
  btfCommand,
  traceCommand,
  loadCommand,
  progCommand,
  mapCommand,
  perfDataCommand,
);

/** Help width: the terminal's, or 100 columns when stdout is not a terminal. */
function helpWidth(): number {
  try {
    if (Deno.stdout.isTerminal()) return Deno.consoleSize().columns;
  } catch {
    // no console size: fall through
  }
  return 100;
}

/** Runs the CLI with the given arguments; returns the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  const cmd = run(parser, {
    programName: "bpfview",
    args,
    help: "both",
    brief: doc`bpfview: eBPF and perf event data read in place and decoded with BTF`,
    description: doc`Each command's options and examples: bpfview COMMAND --help (or bpfview
      help COMMAND). Output goes to stdout; errors are one line on stderr, exit code 1.`,
    examples: exampleLines(
      "bpfview btf dump --format c > vmlinux.h",
      "bpfview btf layout task_struct",
      "bpfview btf dump --help",
    ),
    showChoices: true,
    showDefault: true,
    maxWidth: helpWidth(),
  });
  return await guard(cmd);
}

if (import.meta.main) await exitStoringCodeCache(await main(Deno.args));
