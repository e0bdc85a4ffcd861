/**
 * PerfBuffer wakeups compared in one run:
 *
 *   deno task bench:perfbuf [--rounds N] [--records N]
 *
 * A C producer pinned to one CPU (tests/c/getppid_loop.c, under taskset)
 * calls getppid() N times; tests/bpf/object_perf.bpf.c writes one 48-byte
 * sample per call with bpf_perf_event_output into a PerfBuffer of 64 pages
 * a ring, which this process reads with `PerfBuffer.follow` meanwhile. The
 * figure is the producer's time for its N calls (from the line that starts
 * it to the line it prints when done), waking the reader per record
 * (`wakeupEvents: 1`, libbpf's way, the baseline) or by watermark (the
 * default: a quarter of a ring, with the idle drain). Rounds alternate the
 * two; the line gives the medians, their ratio, and the records read and
 * lost in all.
 *
 * @module
 */

import { BpfObject, onlineCpus, PerfBuffer } from "../mod.ts";

const args = Deno.args;
const opt = (name: string, def: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const ROUNDS = opt("--rounds", 5);
const RECORDS = opt("--records", 200_000);

const ROOT = new URL("../", import.meta.url).pathname;
const BUILD = `${ROOT}bench/build/perfbuf/`;
Deno.mkdirSync(BUILD, { recursive: true });
const dec = new TextDecoder(), enc = new TextEncoder();

function run(cmd: string, a: string[]): void {
  const out = new Deno.Command(cmd, { args: a, stdout: "piped", stderr: "piped" }).outputSync();
  if (!out.success) throw new Error(`${cmd} ${a.join(" ")}:\n${dec.decode(out.stderr)}`);
}

const OBJ = `${BUILD}object_perf.o`, LOOP = `${BUILD}getppid_loop`;
run("clang", [
  "-g",
  "-O2",
  "-target",
  "bpf",
  `-I/usr/include/${Deno.build.arch}-linux-gnu`,
  "-c",
  `${ROOT}tests/bpf/object_perf.bpf.c`,
  "-o",
  OBJ,
]);
run("cc", ["-O1", "-o", LOOP, `${ROOT}tests/c/getppid_loop.c`]);
const cpu = onlineCpus()[0];

/** One round: the producer's milliseconds for its calls, and what the reader got and lost. */
async function round(perRecord: boolean): Promise<{ ms: number; records: number; lost: number }> {
  const child = new Deno.Command("taskset", {
    args: ["-c", String(cpu), LOOP, String(RECORDS)],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const input = child.stdin.getWriter(), output = child.stdout.getReader();
  using obj = BpfObject.open(OBJ);
  (obj.rodata as Record<string, unknown>).target_pid = child.pid;
  obj.load();
  obj.attachAll();
  using buf = new PerfBuffer(
    obj.map("events"),
    perRecord ? { pages: 64, wakeupEvents: 1 } : {
      pages: 64,
    },
  );
  const stop = new AbortController();
  const following = buf.follow(() => {}, { signal: stop.signal });
  const t0 = performance.now();
  await input.write(enc.encode("go\n"));
  await output.read(); // "done"
  const ms = performance.now() - t0;
  stop.abort();
  await following;
  await input.write(enc.encode("end\n"));
  await input.close();
  output.releaseLock();
  await child.stdout.cancel();
  await child.status;
  return { ms, ...buf.stats };
}

const times = { perRecord: [] as number[], watermark: [] as number[] };
let records = 0, lost = 0;
for (let r = 0; r < ROUNDS; r++) {
  for (const perRecord of [true, false]) {
    const x = await round(perRecord);
    (perRecord ? times.perRecord : times.watermark).push(x.ms);
    records += x.records;
    lost += x.lost;
  }
}
const median = (a: number[]) => a.toSorted((x, y) => x - y)[Math.floor(a.length / 2)];
const [p, w] = [median(times.perRecord), median(times.watermark)];
console.log(
  `${RECORDS} samples, ${ROUNDS} rounds each: per-record wakeups ${p.toFixed(1)} ms, ` +
    `watermark ${w.toFixed(1)} ms: ${(p / w).toFixed(1)}x faster by watermark ` +
    `(${records} read, ${lost} lost in all)`,
);
