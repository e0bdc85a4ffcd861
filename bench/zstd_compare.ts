/**
 * Compares two zstd decoders from the npm registry on the compressed
 * records of a real `perf record -z` file: fzstd (pure JavaScript, what
 * perf/zstd.ts uses) and @hpcc-js/wasm-zstd (libzstd compiled to wasm).
 * Both decode the same stream (perf's one never-ended zstd stream, pushed
 * record by record); the output sizes must agree. Prints medians of several
 * rounds and the ratio wasm / JS.
 *
 *   deno run -A bench/zstd_compare.ts [perf.data recorded with -z]
 *
 * @module
 */

import { Decompress } from "fzstd";
import { Zstd } from "@hpcc-js/wasm-zstd";
import { PerfData } from "../perf/perf_data.ts";
import { readFileHeader } from "../perf/perf_data_header.ts";

let path = Deno.args[0];
if (!path) {
  path = await Deno.makeTempFile({ suffix: ".data" });
  const rec = new Deno.Command("perf", {
    args: [
      "record",
      "-q",
      "-z",
      "-e",
      "syscalls:sys_enter_getppid",
      "-o",
      path,
      "--",
      "perl",
      "-e",
      "getppid() for 1..200000",
    ],
    stdout: "null",
    stderr: "null",
  }).outputSync();
  if (!rec.success) throw new Error("perf record -z failed");
}

// The payloads of every PERF_RECORD_COMPRESSED, in file order.
const bytes = Deno.readFileSync(path);
const h = readFileHeader(bytes.subarray(0, 104), bytes.length);
const dv = new DataView(bytes.buffer);
const chunks: Uint8Array[] = [];
for (let p = h.data.offset; p < h.data.offset + h.data.size;) {
  const size = dv.getUint16(p + 6, true);
  if (dv.getUint32(p, true) === 81) chunks.push(bytes.subarray(p + 8, p + size));
  p += size;
}
const mmapLen = PerfData.fromBytes(bytes).features.compressed?.mmapLen ?? 1 << 20;
const compressed = chunks.reduce((n, c) => n + c.length, 0);

function runJs(): number {
  let n = 0;
  const d = new Decompress((c) => n += c.length);
  for (const c of chunks) d.push(c);
  return n;
}
const zstd = await Zstd.load();
function runWasm(): number {
  let n = 0;
  zstd.reset();
  for (const c of chunks) n += zstd.decompressChunk(c, mmapLen).length;
  return n;
}

const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];
const js: number[] = [], wasm: number[] = [];
let outJs = 0, outWasm = 0;
for (let round = 0; round < 7; round++) {
  let t = performance.now();
  outJs = runJs();
  js.push(performance.now() - t);
  t = performance.now();
  outWasm = runWasm();
  wasm.push(performance.now() - t);
}
if (outJs !== outWasm) console.log(`outputs differ: fzstd ${outJs} bytes, wasm ${outWasm} bytes`);
const mj = median(js), mw = median(wasm);
console.log(
  `zstd ${chunks.length} perf records, ${(compressed / 1e6).toFixed(2)} MB -> ${
    (outJs / 1e6).toFixed(2)
  } MB: fzstd (JS) ${mj.toFixed(1)} ms, @hpcc-js/wasm-zstd ${mw.toFixed(1)} ms, ratio wasm/JS ${
    (mw / mj).toFixed(2)
  }`,
);
