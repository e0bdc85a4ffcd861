/**
 * `bpfview btf decode`: a binary file as consecutive records of one BTF type,
 * printed as JSON lines or as a readable tree.
 *
 * @module
 */

import { argument, command, map, object, option, string } from "@optique/core";
import { BtfError } from "../mod.ts";
import { type BtfSource, btfSourceOptions, openSource } from "./btf_source.ts";
import { type CommandParser, doc, examples, jsonFlag, type Run } from "./command.ts";
import { warn, writeOut } from "./output.ts";

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

const CHUNK = 1 << 20;
const FLUSH = 1 << 16;

/**
 * Decodes `input` as consecutive records of `sizeof(type)` bytes and prints
 * one JSON line (or one tree) per record. A trailing partial record prints
 * the records before it, then an error naming the expected and found byte
 * counts. Returns the exit code; errors print one line to stderr.
 *
 * @example
 * ```ts
 * import { runDecode } from "./btf_decode.ts";
 * const code = await runDecode({ type: "event", file: "prog.bpf.o", input: "events.bin", json: true });
 * ```
 */
export async function runDecode(o: DecodeOptions): Promise<number> {
  let input: Deno.FsFile | undefined;
  try {
    const btf = openSource(o);
    const V = btf.view(o.type);
    const size = V.size;
    if (size === 0) {
      throw new BtfError(`expected a type with a size above 0 to decode, found ${V.typeName}`);
    }
    const reader = o.input === "-"
      ? Deno.stdin.readable.getReader({ mode: "byob" })
      : (input = await Deno.open(o.input)).readable.getReader({ mode: "byob" });
    // A chunk holds whole records; a partial one moves to the front for the next read.
    const cap = Math.max(size, Math.floor(CHUNK / size) * size);
    let buf = new Uint8Array(cap);
    let have = 0, record = 0, eof = false;
    const out: string[] = [];
    let pending = 0;
    const flush = () => {
      if (out.length) writeOut(out.join(""));
      out.length = 0;
      pending = 0;
    };
    while (!eof) {
      while (have < cap) {
        const r = await reader.read(new Uint8Array(buf.buffer, have, cap - have));
        if (r.done) {
          eof = true;
          if (r.value) buf = new Uint8Array(r.value.buffer);
          break;
        }
        buf = new Uint8Array(r.value.buffer);
        have += r.value.byteLength;
      }
      const whole = have - (have % size);
      if (whole > 0) {
        const v = new V(buf, 0);
        for (let off = 0; off < whole; off += size) {
          v.rebind(off);
          const line = o.json
            ? JSON.stringify(v) + "\n"
            : `${V.typeName} #${record} ${tree(v.toObject(), "")}\n`;
          out.push(line);
          pending += line.length;
          record++;
          if (pending >= FLUSH) flush();
        }
        buf.copyWithin(0, whole, have);
        have -= whole;
      }
    }
    flush();
    if (have > 0) {
      throw new BtfError(
        `expected ${size} bytes for record ${record} (${V.typeName}), found ${have}`,
        record * size,
      );
    }
    return 0;
  } catch (e) {
    if (e instanceof BtfError) {
      warn(e.message);
      return 1;
    }
    if (e instanceof Deno.errors.NotFound) {
      warn(`expected an input file at ${o.input}, found no such file`);
      return 1;
    }
    throw e;
  } finally {
    try {
      input?.close();
    } catch {
      // already closed by its stream
    }
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
