/**
 * `bpfview btf layout`: structs and unions laid out the way pahole shows
 * them (offsets, bitfields as unit_offset:bit, holes, bit holes, padding,
 * cacheline boundaries and a summary), or the same figures as JSON; with
 * `--with-dependencies`, every named struct and union they need too. A thin
 * shell over the library's `paholeLayouts`.
 *
 * @module
 */

import {
  argument,
  command,
  flag,
  integer,
  map,
  multiple,
  object,
  option,
  optional,
  string,
  withDefault,
} from "@optique/core";
import {
  alignOf,
  type Btf,
  BtfError,
  formatPahole,
  Kind,
  KIND_NAMES,
  type PaholeLayout,
  paholeLayouts,
  resolveType,
} from "../mod.ts";
import { type BtfSource, btfSourceOptions, idsByName, openSource } from "./btf_source.ts";
import { type CommandParser, doc, examples, jsonFlag, type Run } from "./command.ts";
import { writeOut } from "./output.ts";

/** Options of {@link runLayout}. */
export interface LayoutOptions extends BtfSource {
  /** Struct, union or typedef names (at least one). */
  types: readonly string[];
  /** Also every named struct and union they need. */
  withDependencies: boolean;
  /** One JSON object per layout and line instead of pahole's text. */
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
      types: multiple(
        argument(string({ metavar: "TYPE" }), {
          description: doc`struct or union names, or typedefs of them (task_struct,
            "struct sk_buff", "union bpf_attr"), laid out in this order`,
        }),
        { min: 1 },
      ),
      ...btfSourceOptions,
      withDependencies: withDefault(
        flag("--with-dependencies", {
          description: doc`also lay out every named struct and union the TYPEs need, through
            members, pointers, arrays and typedefs, transitively (the structs and unions of what
            btf dump TYPE prints), after the TYPEs, in id order`,
        }),
        false,
      ),
      json: jsonFlag(
        "one object per type and line: the members (expanded ones nested), holes, bitHoles, padding, cachelines and the other summary figures, as numbers",
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
    brief: doc`show structs' layouts as pahole does: offsets, holes, padding, cachelines`,
    description: doc`Prints each TYPE as pahole prints it (one after another, a blank line
      between), with --with-dependencies also every named struct and union they need: each member with its offset and size
      (bitfields as unit_offset:bit within their storage unit), byte and bit holes, cacheline
      boundaries, the padding of nested structs, and a summary (size, cachelines, members, sum
      of members, holes, bit holes, padding, last cacheline). Works on any BTF, also the
      kernel's newer BTF that pahole 1.24 cannot read.`,
    footer: examples(
      "bpfview btf layout task_struct",
      "bpfview btf layout --with-dependencies --file prog.bpf.o event",
      "bpfview btf layout --expand --cacheline 128 sk_buff",
      "bpfview btf layout --json --file prog.bpf.o event",
    ),
  },
);

/** `btf layout`: pahole's view of the structs (or their figures as JSON); returns the exit code. */
export function runLayout(o: LayoutOptions): number {
  const btf = openSource(o);
  // Each TYPE's struct by the first name given for it; the types they need as "struct NAME".
  const names = new Map<number, string>();
  for (const name of o.types) {
    const id = rootId(btf, name);
    if (!names.has(id)) names.set(id, name);
  }
  const layouts = paholeLayouts(btf, names.keys(), {
    cacheline: o.cacheline,
    expand: o.expand,
    withDependencies: o.withDependencies,
  });
  if (o.json) {
    const name = (l: PaholeLayout) => names.get(l.id) ?? `${l.kind} ${l.name}`;
    writeOut(
      layouts.map((l) => JSON.stringify({ type: name(l), align: alignOf(btf, l.id), ...l }) + "\n")
        .join(""),
    );
    return 0;
  }
  writeOut(layouts.map(formatPahole).join("\n"));
  return 0;
}

/** The struct or union a TYPE argument names, typedefs resolved, or a one-line error. */
function rootId(btf: Btf, type: string): number {
  // "struct NAME" / "union NAME" pick the kind; a bare name is any type of that name.
  const rid = resolveType(btf, idsByName(btf, type)[0]);
  const kind = btf.kindOf(rid);
  if (kind !== Kind.STRUCT && kind !== Kind.UNION) {
    throw new BtfError(`expected "${type}" to be a struct or union, found ${KIND_NAMES[kind]}`);
  }
  return rid;
}
