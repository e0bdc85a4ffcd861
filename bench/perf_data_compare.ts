/**
 * `deno task bench:perfdata`: a perf.data file of about 100k tracepoint
 * samples (sys_enter_getppid and sched_switch of a perl loop, recorded here
 * with the real `perf record`) converted to JSON lines by bpfview, whole
 * process, against `perf script` on the same file, in the same run,
 * alternating, several rounds; medians. Then peak memory (RSS) for a file
 * four times as large, which must not grow with the file (bpfview streams
 * it through one window).
 *
 * @module
 */

const ROOT = new URL("../", import.meta.url).pathname;
const dir = `${ROOT}bench/build/`;
Deno.mkdirSync(dir, { recursive: true });
const ROUNDS = Number(Deno.env.get("ROUNDS") ?? 7);

function record(name: string, calls: number): string {
  const path = `${dir}${name}.data`;
  try {
    Deno.statSync(path);
    return path;
  } catch {
    // record it below
  }
  const out = new Deno.Command("perf", {
    args: [
      "record",
      "-q",
      "-m",
      "4096",
      "-e",
      "syscalls:sys_enter_getppid",
      "-e",
      "sched:sched_switch",
      "-o",
      path,
      "--",
      "perl",
      "-e",
      `getppid() for 1..${calls}`,
    ],
    stdout: "null",
    stderr: "piped",
  }).outputSync();
  if (!out.success) throw new Error(`perf record failed: ${new TextDecoder().decode(out.stderr)}`);
  return path;
}

/** Runs cmd under /usr/bin/time; returns wall seconds, CPU seconds (user + sys) and peak RSS in MB. */
function run(cmd: string[]): { s: number; cpu: number; mb: number } {
  const t = performance.now();
  const out = new Deno.Command("/usr/bin/time", {
    args: ["-f", "%U %S %M", ...cmd],
    stdout: "null",
    stderr: "piped",
  }).outputSync();
  const s = (performance.now() - t) / 1000;
  const err = new TextDecoder().decode(out.stderr).trim().split("\n");
  if (!out.success) throw new Error(`${cmd.join(" ")} failed:\n${err.join("\n")}`);
  const [user, sys, kb] = err[err.length - 1].split(" ").map(Number);
  return { s, cpu: user + sys, mb: kb / 1024 };
}

const bpfview = (file: string) => [
  Deno.execPath(),
  "run",
  "-A",
  "--frozen",
  "--cached-only",
  `${ROOT}cli/start.ts`,
  "perf-data",
  file,
  "--json",
];
const perfScript = (file: string) => ["perf", "script", "-i", file];

function samples(file: string): number {
  const out = new Deno.Command(Deno.execPath(), {
    args: bpfview(file).slice(1),
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  let n = 0;
  for (const b of out.stdout) if (b === 10) n++;
  return n;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const small = record("perfdata_100k", 100000);
const n = samples(small);
const ours: number[] = [], theirs: number[] = [];
const oursCpu: number[] = [], theirsCpu: number[] = [];
let oursMb = 0, theirsMb = 0;
run(bpfview(small)); // warm the page cache and Deno's code cache
run(perfScript(small));
for (let r = 0; r < ROUNDS; r++) {
  const a = run(bpfview(small));
  const b = run(perfScript(small));
  ours.push(a.s);
  theirs.push(b.s);
  oursCpu.push(a.cpu);
  theirsCpu.push(b.cpu);
  oursMb = Math.max(oursMb, a.mb);
  theirsMb = Math.max(theirsMb, b.mb);
}
const mo = median(ours), mt = median(theirs);
console.log(
  `perf.data ${Math.round(n / 1000)}k samples: bpfview ${mo.toFixed(2)} s, perf script ${
    mt.toFixed(2)
  } s, ratio ${(mo / mt).toFixed(2)} (median of ${ROUNDS})`,
);

const co = median(oursCpu), ct = median(theirsCpu);
console.log(
  `CPU time (user + sys): bpfview ${co.toFixed(2)} s, perf script ${ct.toFixed(2)} s, ratio ${
    (co / ct).toFixed(2)
  }`,
);

const large = record("perfdata_400k", 400000);
const nl = samples(large);
const big = run(bpfview(large));
const bigPerf = run(perfScript(large));
console.log(
  `peak RSS: bpfview ${oursMb.toFixed(0)} MB at ${Math.round(n / 1000)}k samples, ${
    big.mb.toFixed(0)
  } MB at ${Math.round(nl / 1000)}k (ratio ${(big.mb / oursMb).toFixed(2)}); perf script ${
    theirsMb.toFixed(0)
  } MB, ${bigPerf.mb.toFixed(0)} MB`,
);
