/**
 * The `btf dump` and `btf layout` commands.
 *
 * @module
 */

import {
  alignOf,
  type Btf,
  BtfError,
  closure,
  dumpC,
  dumpJson,
  dumpRawBytes,
  formatPahole,
  Kind,
  KIND_NAMES,
  mapBtf,
  paholeLayout,
  resolveType,
} from "../mod.ts";
import { writeOut } from "./output.ts";

/** Where to read BTF from: a file (raw or ELF) and an optional base for split BTF. */
export interface BtfSource {
  /** BTF file; default the kernel's. */
  file?: string;
  /** Base BTF file for split BTF. */
  base?: string;
}

/**
 * Opens the BTF the options name, mapped in place where the file allows it
 * (read otherwise). The mappings live as long as the process: the CLI exits
 * when the command is done.
 */
export function openBtf(o: BtfSource): Btf {
  const base = o.base ? mapBtf(o.base).btf : undefined;
  return mapBtf(o.file, { base }).btf;
}

/** All ids of types named `name`, complete types first; throws if none. */
export function idsByName(btf: Btf, name: string): number[] {
  const ids = btf.findIds(name);
  if (ids.length === 0) throw new BtfError(`expected a type named "${name}", found none`);
  const full = ids.filter((id) => btf.kindOf(id) !== Kind.FWD);
  return full.length ? full : ids;
}

/** `btf dump`: writes the dump to stdout. */
export function runDump(
  o: BtfSource & { format: "raw" | "c" | "json"; types: readonly string[] },
): number {
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
    case "json": {
      const lines = dumpJson(btf, { ids }).map((t) => JSON.stringify(t));
      writeOut(lines.join("\n") + (lines.length ? "\n" : ""));
      break;
    }
  }
  return 0;
}

/** `btf layout`: pahole's view of a struct or union (or the same as JSON). */
export function runLayout(
  o: BtfSource & { type: string; json: boolean; cacheline?: number; expand: boolean },
): number {
  const btf = openBtf(o);
  const id = idsByName(btf, o.type)[0];
  const rid = resolveType(btf, id);
  const kind = btf.kindOf(rid);
  if (kind !== Kind.STRUCT && kind !== Kind.UNION) {
    throw new BtfError(`expected "${o.type}" to be a struct or union, found ${KIND_NAMES[kind]}`);
  }
  const layout = paholeLayout(btf, rid, { cacheline: o.cacheline, expand: o.expand });
  if (o.json) {
    const align = alignOf(btf, rid);
    writeOut(JSON.stringify({ type: o.type, align, ...layout }) + "\n");
    return 0;
  }
  writeOut(formatPahole(layout));
  return 0;
}
