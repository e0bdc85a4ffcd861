/**
 * The fast start: the command lines people run most (`btf dump ...`, the
 * `vmlinux.h` one above all) are recognized here without loading the
 * argument parser, whose start-up (Optique, tens of milliseconds) would
 * otherwise cost as much as the dump itself. Anything this does not
 * recognize exactly (help, `--opt=value`, a repeated option, an unknown
 * word) goes to the full parser in `main.ts`, which accepts a superset and
 * gives the same options for what both accept (`tests/cli_fast_test.ts`).
 *
 * An exception to "cli/ imports mod.ts only": the fast start imports the
 * library modules it runs directly (the dumps, `openBtf`, the error
 * classes), because evaluating every module `mod.ts` re-exports (perf,
 * views, zstd) costs tens of milliseconds, as much as a dump. It calls the
 * same public functions mod.ts exports; no logic lives here.
 *
 * @module
 */

import { type DumpOptions, runDump } from "./btf_dump_run.ts";

const FORMATS = new Set(["raw", "c", "json"]);

/**
 * The options of a `btf dump` command line made only of `--file PATH`,
 * `--base PATH`, `--format raw|c|json` (each at most once) and type names,
 * or `undefined` for anything else.
 */
export function fastDumpOptions(args: readonly string[]): DumpOptions | undefined {
  if (args[0] !== "btf" || args[1] !== "dump") return undefined;
  let file: string | undefined, base: string | undefined, format: string | undefined;
  const types: string[] = [];
  for (let i = 2; i < args.length; i++) {
    const a = args[i];
    if (a === "--file" || a === "--base" || a === "--format") {
      const v = args[++i];
      if (v === undefined || v === "" || v.startsWith("-")) return undefined;
      if (a === "--file") {
        if (file !== undefined) return undefined;
        file = v;
      } else if (a === "--base") {
        if (base !== undefined) return undefined;
        base = v;
      } else {
        if (format !== undefined || !FORMATS.has(v)) return undefined;
        format = v;
      }
    } else if (a === "" || a.startsWith("-") || a === "help") {
      return undefined;
    } else types.push(a);
  }
  return { file, base, format: (format ?? "raw") as DumpOptions["format"], types };
}

/** The runner for `args` if the fast start handles them, else `undefined`. */
export function fastRun(args: readonly string[]): (() => number) | undefined {
  const o = fastDumpOptions(args);
  return o && (() => runDump(o));
}
