/**
 * `bpfview btf layout`: a struct or union laid out the way pahole shows it
 * (offsets, bitfields as unit_offset:bit, holes, bit holes, padding,
 * cacheline boundaries and a summary), or the same figures as JSON.
 *
 * @module
 */

import {
  argument,
  command,
  flag,
  integer,
  map,
  object,
  option,
  optional,
  string,
  withDefault,
} from "@optique/core";
import {
  alignOf,
  BtfError,
  formatPahole,
  Kind,
  KIND_NAMES,
  paholeLayout,
  resolveType,
} from "../mod.ts";
import { type BtfSource, btfSourceOptions, idsByName, openSource } from "./btf_source.ts";
import { type CommandParser, doc, examples, jsonFlag, type Run } from "./command.ts";
import { writeOut } from "./output.ts";

/** Options of {@link runLayout}. */
export interface LayoutOptions extends BtfSource {
  /** A struct, union or typedef name. */
  type: string;
  /** One JSON object instead of pahole's text. */
  json: boolean;
  /** Cacheline size in bytes (default 64). */
  cacheline?: number;
  /** Expand members of named struct and union types too. */
  expand: boolean;
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
      json: jsonFlag(
        "one object: the members (expanded ones nested), holes, bitHoles, padding, cachelines and the other summary figures, as numbers",
      ),
      cacheline: optional(
        option("--cacheline", integer({ metavar: "BYTES", min: 1, max: 1048576 }), {
          description: doc`cacheline size in bytes for the boundary markers and the summary
            (default 64)`,
        }),
      ),
      expand: withDefault(
        flag("--expand", {
          description: doc`show the members of named struct and union members in place too
            (anonymous ones always are)`,
        }),
        false,
      ),
    }),
    (o): Run => () => runLayout(o),
  ),
  {
    brief: doc`show a struct's layout as pahole does: offsets, holes, padding, cachelines`,
    description: doc`Prints TYPE as pahole prints it: each member with its offset and size
      (bitfields as unit_offset:bit within their storage unit), byte and bit holes, cacheline
      boundaries, the padding of nested structs, and a summary (size, cachelines, members, sum
      of members, holes, bit holes, padding, last cacheline). Works on any BTF, also the
      kernel's newer BTF that pahole 1.24 cannot read.`,
    footer: examples(
      "bpfview btf layout task_struct",
      "bpfview btf layout --expand --cacheline 128 sk_buff",
      "bpfview btf layout --json --file prog.bpf.o event",
    ),
  },
);

/** `btf layout`: pahole's view of a struct (or its figures as JSON); returns the exit code. */
export function runLayout(o: LayoutOptions): number {
  const btf = openSource(o);
  // "struct NAME" / "union NAME" pick the kind; a bare name is any type of that name.
  const tagged = /^\s*(struct|union)\s+(\S+)\s*$/.exec(o.type);
  const id = tagged
    ? btf.get(tagged[2], tagged[1] === "struct" ? Kind.STRUCT : Kind.UNION).id
    : idsByName(btf, o.type)[0];
  const rid = resolveType(btf, id);
  const kind = btf.kindOf(rid);
  if (kind !== Kind.STRUCT && kind !== Kind.UNION) {
    throw new BtfError(`expected "${o.type}" to be a struct or union, found ${KIND_NAMES[kind]}`);
  }
  const layout = paholeLayout(btf, rid, { cacheline: o.cacheline, expand: o.expand });
  if (o.json) {
    writeOut(JSON.stringify({ type: o.type, align: alignOf(btf, rid), ...layout }) + "\n");
    return 0;
  }
  writeOut(formatPahole(layout));
  return 0;
}
