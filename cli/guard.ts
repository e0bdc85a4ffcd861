/**
 * Running a parsed command: the library's typed errors become one line on
 * stderr and exit code 1, a closed stdout (`bpfview ... | head`) ends the
 * command quietly. Shared by `main.ts` and the fast start (`fast.ts`).
 *
 * @module
 */

import { BtfError, FfiError, PerfError } from "../mod.ts";
import { warn } from "./output.ts";

/** Runs `run` and returns its exit code; typed errors print one line and give 1. */
export async function guard(run: () => number | Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof BtfError || e instanceof FfiError || e instanceof PerfError) {
      warn(e.message);
      return 1;
    }
    if (e instanceof Deno.errors.BrokenPipe) return 0;
    throw e;
  }
}
