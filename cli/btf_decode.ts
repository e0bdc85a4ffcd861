/**
 * `bpfview btf decode`: a binary file as consecutive records of one BTF type,
 * printed as JSON lines or as a readable tree.
 *
 * @module
 */

import { argument, command, map, object, option, string } from "@optique/core";
import { decodeRecords, openRecordFile } from "../mod.ts";
import { type BtfSource, btfSourceOptions, openSource } from "./btf_source.ts";
import { type CommandParser, doc, examples, jsonFlag, type Run } from "./command.ts";
import { writeOut } from "./output.ts";

/**
 * Options of {@link runDecode}.
 *
 * @example
 * ```ts
 * import type { DecodeOptions } from "./btf_decode.ts";
 * const o: DecodeOptions = { type: "event", input: "-", json: true };
 * ```
 */
export interface DecodeOptions extends BtfSource {
  /** The record type: a struct, union or typedef name (`"event"`, `"struct event"`). */
  type: string;
  /** Input file, or `-` for stdin. */
  input: string;
  /** JSON lines instead of a tree. */
  json: boolean;
}

/** The `decode` subcommand's parser; its value runs the decoding. */
export const decodeCommand: CommandParser = command(
  "decode",
  map(
    object({
      type: argument(string({ metavar: "TYPE" }), {
        description: doc`the record type: a struct or union name, or a typedef of one (event,
          "struct event"); each record is sizeof(TYPE) bytes`,
      }),
      ...btfSourceOptions,
      input: option("--input", string({ metavar: "FILE|-" }), {
        description: doc`the binary records to decode, back to back: a file, or - for stdin
          (required)`,
      }),
      json: jsonFlag("one object per record; 64-bit values past 2^53 as strings"),
    }),
    (o): Run => () => runDecode(o),
  ),
  {
    brief: doc`decode a binary file as consecutive records of a BTF type`,
    description: doc`Reads INPUT as records of sizeof(TYPE) bytes and prints each, with every field
      decoded by the BTF: a readable tree, or one JSON line per record with --json. A partial
      last record prints the records before it, then an error.`,
    footer: examples(
      "bpfview btf decode event --file prog.bpf.o --input events.bin --json",
      'cat events.bin | bpfview btf decode "struct event" --file prog.bpf.o --input -',
    ),
  },
);

const FLUSH = 1 << 16;

/**
 * Decodes `input` as consecutive records of `sizeof(type)` bytes and prints
 * one JSON line (or one tree) per record, through the library's
 * `decodeRecords`. A trailing partial record prints the records before it,
 * then an error naming the expected and found byte counts. Returns the exit
 * code; errors are thrown, and print as one line through `guard.ts`.
 *
 * @example
 * ```ts
 * import { runDecode } from "./btf_decode.ts";
 * const code = await runDecode({ type: "event", file: "prog.bpf.o", input: "events.bin", json: true });
 * ```
 */
export async function runDecode(o: DecodeOptions): Promise<number> {
  const out: string[] = [];
  let pending = 0;
  const flush = () => {
    if (out.length) writeOut(out.join(""));
    out.length = 0;
    pending = 0;
  };
  try {
    const btf = openSource(o);
    const V = btf.view(o.type);
    const source = o.input === "-" ? Deno.stdin.readable : await openRecordFile(o.input);
    let record = 0;
    for await (const v of decodeRecords(V, source)) {
      const line = o.json
        ? JSON.stringify(v) + "\n"
        : `${V.typeName} #${record} ${tree(v.toObject(), "")}\n`;
      out.push(line);
      pending += line.length;
      record++;
      if (pending >= FLUSH) flush();
    }
    return 0;
  } finally {
    // What was decoded before an error is printed before it (by guard.ts).
    flush();
  }
}

/** A readable tree of a decoded value: `{` members one per line `}`, short arrays inline. */
function tree(v: unknown, indent: string): string {
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    if (v.every((x) => typeof x !== "object" || x === null)) {
      return `[${v.map((x) => scalar(x)).join(", ")}]`;
    }
    const inner = indent + "  ";
    return `[\n${v.map((x) => inner + tree(x, inner)).join(",\n")}\n${indent}]`;
  }
  if (typeof v === "object" && v !== null && !(v instanceof Date)) {
    const entries = Object.entries(v);
    if (entries.length === 0) return "{}";
    const inner = indent + "  ";
    return `{\n${
      entries.map(([k, x]) => `${inner}${k} = ${tree(x, inner)}`).join("\n")
    }\n${indent}}`;
  }
  return scalar(v);
}

function scalar(x: unknown): string {
  if (typeof x === "string") return JSON.stringify(x);
  if (x instanceof Date) return x.toISOString();
  return String(x);
}
