/**
 * The bpfview command line: a thin shell over the library.
 *
 * ```sh
 * deno run -A cli/main.ts btf dump --format c > vmlinux.h
 * deno run -A cli/main.ts btf layout task_struct
 * deno run -A cli/main.ts btf decode event --file prog.bpf.o --input events.bin --json
 * ```
 *
 * @module
 */

import {
  argument,
  choice,
  command,
  constant,
  flag,
  integer,
  multiple,
  object,
  option,
  optional,
  or,
  string,
  withDefault,
} from "@optique/core";
import { run } from "@optique/run";
import { BtfError } from "../btf/error.ts";
import { runDump, runLayout } from "./btf.ts";
import { runDecode } from "./decode.ts";
import { warn } from "./output.ts";

const file = optional(
  option("--file", string({ metavar: "PATH" }), {
    description: [{
      type: "text",
      text: "BTF file (raw BTF or ELF object); default: the kernel's",
    }],
  }),
);
const base = optional(
  option("--base", string({ metavar: "PATH" }), {
    description: [{ type: "text", text: "base BTF for split BTF (e.g. /sys/kernel/btf/vmlinux)" }],
  }),
);
const json = flag("--json");

const dump = command(
  "dump",
  object({
    action: constant("dump"),
    file,
    base,
    format: withDefault(
      option("--format", choice(["raw", "c", "json"], { metavar: "FORMAT" })),
      "raw" as const,
    ),
    types: multiple(argument(string({ metavar: "TYPE" }))),
  }),
  {
    description: [{ type: "text", text: "dump BTF as bpftool's raw text, C (vmlinux.h) or JSON" }],
  },
);

const layout = command(
  "layout",
  object({
    action: constant("layout"),
    type: argument(string({ metavar: "TYPE" })),
    file,
    base,
    json: withDefault(json, false),
    cacheline: optional(
      option("--cacheline", integer({ metavar: "BYTES", min: 1, max: 1048576 }), {
        description: [{ type: "text", text: "cacheline size (default 64)" }],
      }),
    ),
    expand: withDefault(
      flag("--expand", {
        description: [{ type: "text", text: "expand members of named struct and union types too" }],
      }),
      false,
    ),
  }),
  {
    description: [{
      type: "text",
      text:
        "show a struct's layout as pahole does: offsets, bitfields, holes, padding, cachelines and a summary",
    }],
  },
);

const decode = command(
  "decode",
  object({
    action: constant("decode"),
    type: argument(string({ metavar: "TYPE" })),
    file,
    base,
    input: option("--input", string({ metavar: "FILE|-" })),
    json: withDefault(json, false),
  }),
  {
    description: [{ type: "text", text: "decode a binary file as consecutive records of TYPE" }],
  },
);

const parser = command("btf", or(dump, layout, decode), {
  description: [{ type: "text", text: "read, lay out, dump and decode BTF" }],
});

/** Runs the CLI with the given arguments; returns the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  const cmd = run(parser, { programName: "bpfview", args, help: "both" });
  try {
    switch (cmd.action) {
      case "dump":
        return runDump(cmd);
      case "layout":
        return runLayout(cmd);
      case "decode":
        return await runDecode(cmd);
    }
  } catch (e) {
    if (e instanceof BtfError) {
      warn(e.message);
      return 1;
    }
    if (e instanceof Deno.errors.BrokenPipe) return 0;
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
