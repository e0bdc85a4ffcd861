/**
 * The runner of `bpfview btf dump` (its parser is in `btf_dump.ts`): every
 * format is written to stdout as it is made, in chunks, never held whole.
 *
 * @module
 */

import { closure, dumpCBytes, dumpJsonBytes, dumpRawBytes, writeAllSync } from "../mod.ts";
import { type BtfSource, idsByName, openSource } from "./btf_open.ts";
import { writeOut } from "./output.ts";

/** Options of {@link runDump}. */
export interface DumpOptions extends BtfSource {
  /** `raw` (bpftool's text), `c` (a header) or `json` (one type per line). */
  format: "raw" | "c" | "json";
  /** Type names to dump with what they need; empty: every type. */
  types: readonly string[];
}

/** Hands a chunk of output to stdout. */
function toStdout(chunk: Uint8Array): void {
  writeAllSync(Deno.stdout, chunk);
}

/** `btf dump`: writes the dump to stdout; returns the exit code. */
export function runDump(o: DumpOptions): number {
  const btf = openSource(o);
  const roots = o.types.flatMap((name) => idsByName(btf, name));
  const ids = roots.length ? closure(btf, roots).filter((id) => id >= btf.startId) : undefined;
  switch (o.format) {
    case "raw":
      writeOut(dumpRawBytes(btf, { ids }));
      break;
    case "c":
      dumpCBytes(btf, { ids: roots.length ? roots : undefined, write: toStdout });
      break;
    case "json":
      dumpJsonBytes(btf, { ids, write: toStdout });
      break;
  }
  return 0;
}
