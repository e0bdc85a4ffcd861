/**
 * Does nothing: `bench:btf`'s cold breakdown times it as Deno's own start-up
 * in this project (its `deno.json` and lockfile read, no module graph to
 * speak of). `bench/dump_phases.ts --empty` is not that: Deno builds the
 * module graph of every import it can see before running a script, so that
 * one also pays for finding `mod.ts` and its modules (measured here about
 * 5 ms).
 *
 * @module
 */

export {};
