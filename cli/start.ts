/**
 * The CLI's entry point (`deno task cli`, `deno compile`): runs the command
 * lines `fast.ts` recognizes at once, and loads the full CLI (`main.ts`,
 * with its argument parser and help) only for the others.
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

/** Runs the CLI with `args`; returns the exit code. */
export async function start(args: readonly string[]): Promise<number> {
  const run = fastRun(args);
  if (run) return await guard(run);
  // A literal specifier: Deno adds main.ts (and Optique) to the module graph
  // it builds at start, about 1.5 ms; a computed one would skip that but
  // leaves every module of the process without its V8 code cache (measured:
  // 10 ms more to start the fast path).
  const { main } = await import("./main.ts");
  return await main(args);
}

if (import.meta.main) await exitStoringCodeCache(await start(Deno.args));
