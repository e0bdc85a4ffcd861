/**
 * Reading a whole map, as a histogram read once a second does, against C in
 * the same run:
 *
 *   deno task bench:map [--entries N] [--iters N] [--rounds N]
 *
 * The `hist` map of tests/bpf/object_maps.bpf.c (a hash of 16-byte struct
 * keys to 24-byte struct values) is filled with N entries (default 4096),
 * then read whole, summing one u64 field of every value:
 * - C: `bench/c/map_batch.c` (built here with `cc -O2 ... -lbpf`) opens the
 *   map by id and loops `bpf_map_lookup_batch` into two buffers allocated
 *   once, reading the field with memcpy; median of its iterations.
 * - bpfview `forEach`: one batch into the map's reused buffers, the field
 *   read through one rebound value view (the goal line).
 * - bpfview `entries()`: a fresh view per entry (for information).
 * The sides take turns for R rounds; each line is the median over rounds of
 * each side's median, and the ratio bpfview / C (below 1: faster). The heap
 * growth over the forEach reads of one round is printed too (goal: none per
 * read, beyond what V8 keeps). The machine may be shared: read the ratios.
 *
 * @module
 */

import { BpfObject, type View } from "../mod.ts";

const args = Deno.args;
const opt = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const ENTRIES = opt("entries", 4096);
const ITERS = opt("iters", 200);
const ROUNDS = opt("rounds", 7);

const root = new URL("../", import.meta.url).pathname;
const build = `${root}bench/build/`;
Deno.mkdirSync(build, { recursive: true });
const run = (cmd: string, a: string[]) => {
  const out = new Deno.Command(cmd, { args: a, stdout: "piped", stderr: "piped" }).outputSync();
  if (!out.success) throw new Error(`${cmd} failed: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
};
let arch = "x86_64-linux-gnu";
try {
  arch = run("cc", ["-print-multiarch"]).trim() || arch;
} catch { /* default */ }
run("clang", [
  "-g",
  "-O2",
  "-target",
  "bpf",
  `-I/usr/include/${arch}`,
  "-c",
  `${root}tests/bpf/object_maps.bpf.c`,
  "-o",
  `${build}object_maps.o`,
]);
run("cc", ["-O2", "-o", `${build}map_batch`, `${root}bench/c/map_batch.c`, "-lbpf"]);

using obj = BpfObject.open(`${build}object_maps.o`).load();
const hist = obj.map("hist");
if (ENTRIES > hist.maxEntries) throw new Error(`at most ${hist.maxEntries} entries`);
for (let i = 0; i < ENTRIES; i++) {
  hist.update({ slot: i, cpu: i & 1 }, {
    count: i,
    sum_ns: 1000n * BigInt(i),
    min_ns: 1,
    max_ns: i,
  });
}
const expected = BigInt(ENTRIES) * BigInt(ENTRIES - 1) / 2n;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function timeIt(read: () => bigint): number {
  const ns: number[] = [];
  for (let i = 0; i < ITERS; i++) {
    const t0 = performance.now();
    const sum = read();
    ns.push((performance.now() - t0) * 1e6);
    if (sum !== expected) throw new Error(`sum ${sum}, expected ${expected}`);
  }
  return median(ns);
}

// 64-bit fields as numbers when safe: a bigint per read would cost an allocation.
const SAFE = { int64: "safe" } as const;
const viaForEach = () => {
  let sum = 0;
  hist.forEach((_k, v) => {
    sum += (v as View).count as number;
  }, SAFE);
  return BigInt(sum);
};
const viaEntries = () => {
  let sum = 0;
  for (const [, v] of hist.entries(SAFE)) sum += (v as View).count as number;
  return BigInt(sum);
};

const c: number[] = [], each: number[] = [], ent: number[] = [], heap: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const [ns, sum] = run(`${build}map_batch`, [String(hist.id), String(ITERS)]).trim().split(" ");
  if (BigInt(sum) !== expected * BigInt(ITERS)) throw new Error(`C sum ${sum}`);
  c.push(Number(ns));
  const before = Deno.memoryUsage().heapUsed;
  each.push(timeIt(viaForEach));
  heap.push((Deno.memoryUsage().heapUsed - before) / ITERS);
  ent.push(timeIt(viaEntries));
}
const mc = median(c), mf = median(each), me = median(ent);
const us = (ns: number) => `${(ns / 1000).toFixed(1)} us`;
console.log(`whole-map read of ${ENTRIES} entries (median of ${ROUNDS} rounds x ${ITERS} reads)`);
console.log(`  C bpf_map_lookup_batch        ${us(mc)}  (${(mc / ENTRIES).toFixed(1)} ns/entry)`);
console.log(`  bpfview forEach (goal line)   ${us(mf)}  ratio ${(mf / mc).toFixed(2)}`);
console.log(`  bpfview entries()             ${us(me)}  ratio ${(me / mc).toFixed(2)}`);
console.log(`  heap growth per forEach read  ${Math.round(median(heap))} bytes (median of rounds)`);
