/**
 * `bpfview prog list` and `bpfview map list`: the BPF programs and maps
 * loaded in the kernel, as `bpftool prog list` / `bpftool map list` show
 * them (name, id, type, ...), as text or JSON lines.
 *
 * @module
 */

import { command, constant, map, object } from "@optique/core";
import { listMaps, listPrograms } from "../mod.ts";
import { type CommandParser, doc, examples, jsonFlag, type Run } from "./command.ts";
import { writeOut } from "./output.ts";

/** `prog list [--json]`: one line per program loaded in the kernel. */
export const progCommand: CommandParser = command(
  "prog",
  command(
    "list",
    map(
      object({
        list: constant("list"),
        json: jsonFlag("one object per program: id, type, name, tag, uid, sizes, map_ids, btf_id"),
      }),
      (o): Run => () => runProgList(o.json),
    ),
    {
      brief: doc`list the BPF programs loaded in the kernel (as bpftool prog list)`,
      description: doc`Prints every BPF program the kernel holds, whoever loaded it: id, type,
        name, tag, and with --json the sizes, map ids and BTF id too. Needs root or CAP_BPF.`,
      footer: examples("bpfview prog list", "bpfview prog list --json"),
    },
  ),
  {
    brief: doc`BPF programs in the kernel: list`,
    description: doc`Commands on the BPF programs loaded in the kernel.`,
  },
);

/** `map list [--json]`: one line per map in the kernel. */
export const mapCommand: CommandParser = command(
  "map",
  command(
    "list",
    map(
      object({
        list: constant("list"),
        json: jsonFlag("one object per map: id, type, name, flags, sizes, max_entries, btf_id"),
      }),
      (o): Run => () => runMapList(o.json),
    ),
    {
      brief: doc`list the BPF maps in the kernel (as bpftool map list)`,
      description: doc`Prints every BPF map the kernel holds: id, type, name, key and value sizes,
        max entries, flags. Needs root or CAP_BPF.`,
      footer: examples("bpfview map list", "bpfview map list --json"),
    },
  ),
  {
    brief: doc`BPF maps in the kernel: list`,
    description: doc`Commands on the BPF maps in the kernel.`,
  },
);

/** `prog list`: returns the exit code. */
export function runProgList(json: boolean): number {
  const lines = listPrograms().map((p) =>
    json
      ? JSON.stringify(p)
      : `${p.id}: ${p.type}  name ${p.name}  tag ${p.tag}\n\txlated ${p.bytes_xlated}B  ${
        p.jited ? `jited ${p.bytes_jited}B` : "not jited"
      }${p.map_ids.length ? `  map_ids ${p.map_ids.join(",")}` : ""}${
        p.btf_id ? `  btf_id ${p.btf_id}` : ""
      }`
  );
  if (lines.length) writeOut(lines.join("\n") + "\n");
  return 0;
}

/** `map list`: returns the exit code. */
export function runMapList(json: boolean): number {
  const lines = listMaps().map((m) =>
    json
      ? JSON.stringify(m)
      : `${m.id}: ${m.type}  name ${m.name}  flags 0x${
        m.flags.toString(16)
      }\n\tkey ${m.bytes_key}B  value ${m.bytes_value}B  max_entries ${m.max_entries}${
        m.btf_id ? `  btf_id ${m.btf_id}` : ""
      }`
  );
  if (lines.length) writeOut(lines.join("\n") + "\n");
  return 0;
}
