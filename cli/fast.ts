/**
 * The fast start: the command lines people run most (`btf dump ...`, the
 * `vmlinux.h` one above all, and `perf-data FILE ...`) are recognized here without loading the
 * argument parser, whose start-up (Optique, tens of milliseconds) would
 * otherwise cost as much as the dump itself. Anything this does not
 * recognize exactly (help, `--opt=value`, a repeated option, an unknown
 * word) goes to the full parser in `main.ts`, which accepts a superset and
 * gives the same options for what both accept (`tests/cli_fast_test.ts`).
 *
 * Like the rest of cli/, the runners it calls take the library from `mod.ts` only.
 *
 * @module
 */

import { type DumpOptions, runDump } from "./btf_dump_run.ts";
import { type PerfDataOptions, runPerfData } from "./perf_data_run.ts";

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

/**
 * The options of a `perf-data` command line made only of one FILE (or `-`),
 * `--json`, `--ordered`, `--header`, `--verbose` (each at most once) and
 * `--event NAME` (repeatable), or `undefined` for anything else.
 */
export function fastPerfDataOptions(args: readonly string[]): PerfDataOptions | undefined {
  if (args[0] !== "perf-data") return undefined;
  let file: string | undefined;
  const flags = new Set<string>();
  const event: string[] = [];
  for (let i = 1; i < args.length; i++) {
    const a = args[i];
    if (a === "--event") {
      const v = args[++i];
      if (v === undefined || v === "" || v.startsWith("-")) return undefined;
      event.push(v);
    } else if (a === "--json" || a === "--ordered" || a === "--header" || a === "--verbose") {
      if (flags.has(a)) return undefined;
      flags.add(a);
    } else if (a === "" || (a.startsWith("-") && a !== "-") || a === "help" || file !== undefined) {
      return undefined;
    } else file = a;
  }
  if (file === undefined) return undefined;
  return {
    file,
    json: flags.has("--json"),
    ordered: flags.has("--ordered"),
    event,
    header: flags.has("--header"),
    verbose: flags.has("--verbose"),
  };
}

/** The runner for `args` if the fast start handles them, else `undefined`. */
export function fastRun(args: readonly string[]): (() => number) | undefined {
  const o = fastDumpOptions(args);
  if (o) return () => runDump(o);
  const p = fastPerfDataOptions(args);
  return p && (() => runPerfData(p));
}
