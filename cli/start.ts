/**
 * The CLI's entry point (`deno task cli`, `deno compile`): runs the command
 * lines `fast.ts` recognizes at once, and loads the full CLI (`main.ts`,
 * with its argument parser and help) only for the others. It is the
 * repository's launcher and is not published (deno.json `publish.exclude`):
 * its import of `main.ts` is computed, which `deno publish` cannot analyse;
 * the package's `./cli` entry is `main.ts` itself.
 *
 * ```sh
 * deno run -A cli/start.ts btf dump --format c > vmlinux.h
 * ```
 *
 * @module
 */

import { fastRun } from "./fast.ts";
import { exitStoringCodeCache } from "./exit.ts";
import { guard } from "./guard.ts";
import type { main as Main } from "./main.ts";

/** The full CLI, imported only when the fast start does not handle the command line. */
const MAIN = ["./main", "ts"].join(".");

/** Runs the CLI with `args`; returns the exit code. */
export async function start(args: readonly string[]): Promise<number> {
  const run = fastRun(args);
  if (run) return await guard(run);
  // A computed specifier: with a literal one, Deno adds main.ts and Optique
  // (npm packages) to the module graph it builds before running anything,
  // and the fast path paid for them on every run (btf dump --format c of
  // vmlinux: 3.7 ms less wall time this way, median difference of 30 paired
  // runs). The code cache of every module is still stored (exit.ts); `deno
  // compile` needs `--include cli/main.ts` (the compile task has it).
  const { main }: { main: typeof Main } = await import(MAIN);
  return await main(args);
}

if (import.meta.main) await exitStoringCodeCache(await start(Deno.args));
