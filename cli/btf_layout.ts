/**
 * `bpfview btf layout`: the member offsets, sizes and bitfields of a struct
 * or union, as a table or JSON.
 *
 * @module
 */

import { argument, command, map, object, string } from "@optique/core";
import { alignOf, BtfError, Kind, KIND_NAMES, layoutOf, resolveType, sizeOf } from "../mod.ts";
import { type BtfSource, btfSourceOptions, idsByName, openSource } from "./btf_source.ts";
import { type CommandParser, doc, examples, jsonFlag, type Run } from "./command.ts";
import { writeOut } from "./output.ts";

/** Options of {@link runLayout}. */
export interface LayoutOptions extends BtfSource {
  /** A struct, union or typedef name. */
  type: string;
  /** One JSON object instead of a table. */
  json: boolean;
}

/** The `layout` subcommand's parser; its value prints the layout. */
export const layoutCommand: CommandParser = command(
  "layout",
  map(
    object({
      type: argument(string({ metavar: "TYPE" }), {
        description: doc`a struct or union name, or a typedef of one (task_struct,
          "struct sk_buff", "union bpf_attr")`,
      }),
      ...btfSourceOptions,
      json: jsonFlag("one object: type, id, size, align and the members"),
    }),
    (o): Run => () => runLayout(o),
  ),
  {
    brief: doc`print the member offsets, sizes and bitfields of a struct or union`,
    description: doc`Prints each member of TYPE (nested anonymous members indented) with its byte
      offset (byte:bit for bitfields), size, bit width and C type, after the type's size and
      alignment.`,
    footer: examples(
      "bpfview btf layout task_struct",
      "bpfview btf layout --json --file prog.bpf.o event",
    ),
  },
);

/** `btf layout`: a table (or JSON) of a struct's members; returns the exit code. */
export function runLayout(o: LayoutOptions): number {
  const btf = openSource(o);
  const id = idsByName(btf, o.type)[0];
  const rid = resolveType(btf, id);
  const kind = btf.kindOf(rid);
  if (kind !== Kind.STRUCT && kind !== Kind.UNION) {
    throw new BtfError(`expected "${o.type}" to be a struct or union, found ${KIND_NAMES[kind]}`);
  }
  const rows = layoutOf(btf, rid);
  const size = sizeOf(btf, rid), align = alignOf(btf, rid);
  if (o.json) {
    writeOut(JSON.stringify({ type: o.type, id: rid, size, align, members: rows }) + "\n");
    return 0;
  }
  const table = [["MEMBER", "OFFSET", "SIZE", "BITS", "TYPE"]];
  for (const r of rows) {
    table.push([
      "  ".repeat(r.depth) + r.member,
      r.bits ? `${r.offset}:${r.bitOffset}` : String(r.offset),
      String(r.size),
      r.bits ? String(r.bits) : "",
      r.type,
    ]);
  }
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  const text = table.map((row) =>
    row.map((cell, c) => c === row.length - 1 ? cell : cell.padEnd(widths[c])).join("  ")
      .trimEnd()
  );
  writeOut(`${o.type}: size ${size}, align ${align}\n${text.join("\n")}\n`);
  return 0;
}
