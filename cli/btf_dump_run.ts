/**
 * The runner of `bpfview btf dump` (its parser is in `btf_dump.ts`): every
 * format is written to stdout as it is made, in chunks, never held whole.
 * Part of the fast start (`fast.ts`): it loads no argument parser.
 *
 * @module
 */

import { closure, dumpCBytes, dumpJsonBytes, dumpRawBytes, dumpTs, writeAllSync } from "../mod.ts";
import { type BtfSource, idsByName, openSource } from "./btf_open.ts";
import { writeOut } from "./output.ts";

/** Options of {@link runDump}. */
export interface DumpOptions extends BtfSource {
  /** `raw` (bpftool's text), `c` (a header), `json` (one type per line) or `ts` (TypeScript). */
  format: "raw" | "c" | "json" | "ts";
  /** For `ts`: the views' int64 option the declarations are for (default `bigint`). */
  int64?: "bigint" | "safe";
  /** For `ts`: named enums as value unions (default), also as `const` objects, or as names. */
  enums?: "union" | "const" | "name";
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
    case "ts":
      writeOut(
        dumpTs(btf, { ids: roots.length ? roots : undefined, int64: o.int64, enums: o.enums }),
      );
      break;
  }
  return 0;
}
