/**
 * BTF speed against the C reference tools, on this machine, in one run:
 *
 *   deno task bench:btf [--file PATH] [--iters N] [--runs N]
 *
 * (a) open+find: open a BTF file and find `struct task_struct`.
 *     - libbpf: `bench/c/btf_find.c` (built here with `cc -O2 ... -lbpf`)
 *       loops N times over `btf__parse(path, NULL)` +
 *       `btf__find_by_name_kind(btf, "task_struct", BTF_KIND_STRUCT)` +
 *       `btf__free`, timing each iteration with clock_gettime(CLOCK_MONOTONIC),
 *       and prints the median and the first iteration.
 *     - bpfview: this process loops N times over open + `findIds("task_struct",
 *       Kind.STRUCT)` on a fresh `Btf`, timed with `performance.now()`, two
 *       ways of opening: `openBtf(path)` (the file mapped in place through
 *       ffi/: the goal line) and `loadBtf(path)` (the file read, as libbpf
 *       1.1 does).
 *     The machine may be shared, so the sides take turns: R rounds of
 *     (C process with N iterations, then N iterations here), and each line
 *     reports the median over rounds of each side's median (warm: code
 *     compiled, allocator primed).
 *     Cold: the first iteration in a fresh process, for both sides: libbpf's
 *     first iteration of each round, and for bpfview a fresh
 *     `deno run bench/btf_compare.ts --cold [--read]` per round that times
 *     only its first open + findIds (V8 compiles the parser during it).
 *     Process start-up (tens of ms for Deno, ~1 ms for C) is excluded on both
 *     sides; (b) measures whole processes instead. Medians over rounds again.
 *     Extra lines time `parseBtf(Deno.readFileSync(path))` + findIds, and a
 *     breakdown splits the read path's warm time into reading the file
 *     (Deno.readFileSync vs the C program's fstat + fread into a fresh
 *     malloc'd buffer) and parse+find (bpfview on bytes already in memory vs
 *     libbpf's total minus its read). Reading /sys/kernel/btf/vmlinux costs
 *     one read(2) per 4 KiB page (kernfs), and Deno's per-call overhead is
 *     most of the read path's gap.
 *
 * (b) raw dump: the whole text of `bpftool btf dump file PATH` (format raw).
 *     - Whole process, stdout to /dev/null, median of R runs after one
 *       untimed warm-up run each (fills the page cache and Deno's module
 *       cache), the three taking turns: `bpftool btf dump file PATH` vs
 *       `deno run -A bench/raw_dump.ts PATH` (the library: open, dump,
 *       write) — the goal line — and, for information,
 *       `deno run -A --frozen --quiet cli/start.ts btf dump --file PATH` (the
 *       CLI as `deno task cli` runs it: the same through its fast start).
 *     - Extra line: in-process `dumpRaw(loadBtf(path))` (fresh Btf each run,
 *       median of R) against the same bpftool whole-process median.
 *     - The outputs are compared with bpftool's once (untimed) and the first
 *       differing line is reported.
 *
 * (c) C dump and (d) JSON dump, whole process: the CLI as `deno task cli`
 *     runs it (`deno run -A --frozen --quiet cli/start.ts btf dump --format
 *     c|json --file PATH`) against `bpftool btf dump file PATH format c` and
 *     `bpftool -j btf dump file PATH`, stdout to /dev/null, taking turns
 *     after one untimed run each; median wall time of R runs and the largest
 *     peak RSS (`/usr/bin/time -f %M`, when installed). The outputs are
 *     compared once: the C text line by line (bpftool 7.1 differs only on
 *     packed 1-byte enums), the JSON by ids, kinds and names.
 *
 * (e) Cold breakdown: where a whole-process dump's time goes, from R
 *     alternating runs of `bench/empty.ts` and `bench/dump_phases.ts`
 *     (medians): Deno's start-up (`bench/empty.ts`), the module graph that
 *     Deno builds before running anything (`dump_phases.ts --empty`, minus
 *     the start-up), loading and running `mod.ts`'s modules (`--import`,
 *     minus `--empty`), and for the C and JSON dumps the in-process
 *     `performance.now()` marks: import, open (map + type index), dump
 *     (including writing to /dev/null).
 *
 * Goals (issues 11 and 12): open+find (openBtf) within 1.0x of libbpf warm
 * and 1.5x cold; raw, C and JSON dumps no slower than bpftool; the C dump's
 * peak RSS under 100 MiB. Ratios are bpfview / reference: below 1 is faster.
 * The machine may be shared: rerun, and read the ratios, not the times.
 *
 * @module
 */

import { dumpRaw, Kind, loadBtf, openBtf, parseBtf } from "../mod.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const C_SRC = `${ROOT}bench/c/btf_find.c`;
const BUILD = `${ROOT}bench/build`;
const C_BIN = `${BUILD}/btf_find`;
const NAME = "task_struct";

interface Args {
  file: string;
  iters: number;
  runs: number;
  /** Child mode: time one cold open + findIds and print it (ms). */
  cold: boolean;
  /** With cold: open with loadBtf (read) rather than openBtf (mapped). */
  read: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    file: "/sys/kernel/btf/vmlinux",
    iters: 30,
    runs: 7,
    cold: false,
    read: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i], val = argv[i + 1];
    if (flag === "--file" && val) a.file = val, i++;
    else if (flag === "--iters" && Number(val) >= 1) a.iters = Math.floor(Number(val)), i++;
    else if (flag === "--runs" && Number(val) >= 1) a.runs = Math.floor(Number(val)), i++;
    else if (flag === "--cold") a.cold = true;
    else if (flag === "--read") a.read = true;
    else {
      console.error("usage: btf_compare.ts [--file PATH] [--iters N] [--runs N] [--cold]");
      Deno.exit(2);
    }
  }
  return a;
}

/** Median of a list of numbers (mean of the middle two for even lengths). */
function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const ms = (x: number) => `${x.toFixed(1)} ms`;
const ratio = (ours: number, theirs: number) => (ours / theirs).toFixed(2);

/** First iteration and median of `n` timed calls of `f`, in ms. */
function timeLoop(n: number, f: () => void): { cold: number; median: number } {
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    f();
    t.push(performance.now() - t0);
  }
  return { cold: t[0], median: median(t) };
}

function firstLine(s: string): string {
  return s.trim().split("\n").find((l) => l.trim() !== "")?.trim().slice(0, 200) ?? "";
}

async function run(
  cmd: string,
  args: string[],
  stdout: "null" | "piped" = "piped",
): Promise<{ ok: boolean; out: string; err: string }> {
  try {
    const o = await new Deno.Command(cmd, {
      args,
      cwd: ROOT,
      stdout,
      stderr: "piped",
      stdin: "null",
    })
      .output();
    const dec = new TextDecoder();
    return {
      ok: o.success,
      out: stdout === "piped" ? dec.decode(o.stdout) : "",
      err: dec.decode(o.stderr),
    };
  } catch (e) {
    return { ok: false, out: "", err: e instanceof Error ? e.message : String(e) };
  }
}

/** Whole-process wall time of `cmd args` with stdout to /dev/null, in ms. */
async function wall(cmd: string, args: string[]): Promise<number> {
  const t0 = performance.now();
  const r = await run(cmd, args, "null");
  const t = performance.now() - t0;
  if (!r.ok) throw new Error(`${cmd} ${args.join(" ")} failed: ${firstLine(r.err)}`);
  return t;
}

// ---------------------------------------------------------------- (a)

/**
 * One open + findIds on a fresh Btf; returns the id found (or -1). `read`:
 * loadBtf (the file is read); else openBtf (mapped; unmapped once the Btf is
 * collected).
 */
function openFind(file: string, read: boolean): number {
  if (read) return loadBtf(file).findIds(NAME, Kind.STRUCT)[0] ?? -1;
  return openBtf(file).findIds(NAME, Kind.STRUCT)[0] ?? -1;
}

function benchBpfviewOpenFind(a: Args, read: boolean): number {
  return timeLoop(a.iters, () => {
    if (openFind(a.file, read) < 0) throw new Error(`${NAME} not found in ${a.file}`);
  }).median;
}

function benchReadFileOpenFind(a: Args): number {
  return timeLoop(a.iters, () => {
    const btf = parseBtf(Deno.readFileSync(a.file));
    if (btf.findIds(NAME, Kind.STRUCT).length === 0) throw new Error(`${NAME} not found`);
  }).median;
}

function benchReadOnly(a: Args): number {
  return timeLoop(a.iters, () => {
    if (Deno.readFileSync(a.file).length === 0) throw new Error(`${a.file} is empty`);
  }).median;
}

function benchParseFind(a: Args): number {
  const bytes = Deno.readFileSync(a.file);
  return timeLoop(a.iters, () => {
    if (parseBtf(bytes).findIds(NAME, Kind.STRUCT).length === 0) {
      throw new Error(`${NAME} not found`);
    }
  }).median;
}

/** `--cold` child: the first open + findIds of a fresh process. */
function coldChild(a: Args): void {
  const t0 = performance.now();
  const id = openFind(a.file, a.read);
  const t = performance.now() - t0;
  console.log(`cold_ms=${t} id=${id}`);
}

/** Runs the `--cold` child once; returns its time in ms and the id it found. */
async function benchBpfviewCold(
  a: Args,
  read: boolean,
): Promise<{ ms: number; id: number } | string> {
  const r = await run(Deno.execPath(), [
    "run",
    "-A",
    new URL(import.meta.url).pathname,
    "--cold",
    ...(read ? ["--read"] : []),
    "--file",
    a.file,
  ]);
  const m = /cold_ms=([0-9.e+-]+) id=(-?\d+)/.exec(r.out);
  if (!r.ok || !m) return `cold child failed: ${firstLine(r.err) || firstLine(r.out)}`;
  return { ms: Number(m[1]), id: Number(m[2]) };
}

async function buildC(): Promise<string | undefined> {
  Deno.mkdirSync(BUILD, { recursive: true });
  const r = await run("cc", ["-O2", C_SRC, "-lbpf", "-o", C_BIN]);
  return r.ok ? undefined : `cc failed: ${firstLine(r.err) || "no output"}`;
}

async function benchLibbpf(
  a: Args,
): Promise<{ cold: number; median: number; read: number; id: number } | string> {
  const r = await run(C_BIN, [a.file, NAME, String(a.iters)]);
  if (!r.ok) return `btf_find failed: ${firstLine(r.err)}`;
  const f = Object.fromEntries(
    r.out.trim().split(/\s+/).map((kv) => kv.split("=")).map(([k, v]) => [k, Number(v)]),
  );
  if (!(f.median_ns > 0)) return `unexpected btf_find output: ${firstLine(r.out)}`;
  return {
    cold: f.cold_ns / 1e6,
    median: f.median_ns / 1e6,
    read: f.read_median_ns / 1e6,
    id: f.id,
  };
}

// ---------------------------------------------------------------- (b)

/** Index of the first differing line of two texts, or -1 if equal. */
function firstDiff(x: string, y: string): { line: number; ours: string; theirs: string } | null {
  if (x === y) return null;
  const xs = x.split("\n"), ys = y.split("\n");
  for (let i = 0; i < Math.max(xs.length, ys.length); i++) {
    if (xs[i] !== ys[i]) return { line: i + 1, ours: xs[i] ?? "<eof>", theirs: ys[i] ?? "<eof>" };
  }
  return null;
}

async function benchRawDump(a: Args): Promise<void> {
  const bpftoolArgs = ["btf", "dump", "file", a.file];
  const ref = await run("bpftool", bpftoolArgs);
  if (!ref.ok) {
    console.log(`raw dump: skipped (bpftool failed: ${firstLine(ref.err)})`);
    return;
  }
  // Whole process: bpftool, the library's dump (bench/raw_dump.ts) and the
  // CLI take turns, after one warm-up run each.
  const libArgs = ["run", "-A", `${ROOT}bench/raw_dump.ts`, a.file];
  const cliArgs = [
    "run",
    "-A",
    "--frozen",
    "--quiet",
    `${ROOT}cli/start.ts`,
    "btf",
    "dump",
    "--file",
    a.file,
  ];
  const lib = await run(Deno.execPath(), libArgs); // warm-up, and output for the comparison
  const cli = await run(Deno.execPath(), cliArgs);
  for (const [what, r] of [["library", lib], ["CLI", cli]] as const) {
    const d = r.ok ? firstDiff(r.out, ref.out) : { line: 0, ours: firstLine(r.err), theirs: "" };
    console.log(
      d
        ? `raw dump output (${what}): differs from bpftool at line ${d.line}: ${
          JSON.stringify(d.ours.slice(0, 120))
        } vs ${JSON.stringify(d.theirs.slice(0, 120))}`
        : `raw dump output (${what}): identical to bpftool`,
    );
  }
  await wall("bpftool", bpftoolArgs); // warm-up
  const bpftoolRuns: number[] = [], libRuns: number[] = [], cliRuns: number[] = [];
  for (let i = 0; i < a.runs; i++) {
    bpftoolRuns.push(await wall("bpftool", bpftoolArgs));
    libRuns.push(await wall(Deno.execPath(), libArgs));
    cliRuns.push(await wall(Deno.execPath(), cliArgs));
  }
  const bpftool = median(bpftoolRuns), ours = median(libRuns), viaCli = median(cliRuns);
  console.log(
    `raw dump: bpfview ${ms(ours)}, bpftool ${ms(bpftool)}, ratio ${ratio(ours, bpftool)}`,
  );
  report("raw dump no slower than bpftool", ours <= bpftool);
  // The CLI's fast start: the same work, and the command line recognized.
  console.log(
    `raw dump (CLI): bpfview ${ms(viaCli)}, bpftool ${ms(bpftool)}, ratio ${
      ratio(viaCli, bpftool)
    }`,
  );

  // In process: dumpRaw on a fresh Btf.
  let text = "";
  let t;
  try {
    t = timeLoop(a.runs, () => {
      text = dumpRaw(loadBtf(a.file));
    });
  } catch (e) {
    console.log(
      `raw dump (in-process dumpRaw): skipped (dumpRaw threw: ${
        firstLine(e instanceof Error ? e.message : String(e))
      })`,
    );
    return;
  }
  console.log(
    `raw dump (in-process dumpRaw, incl. open): bpfview ${ms(t.median)} (cold ${
      ms(t.cold)
    }), bpftool ${ms(bpftool)} (whole process), ratio ${ratio(t.median, bpftool)}`,
  );
  // bpftool ends its output with a newline; dumpRaw may or may not.
  const d = firstDiff(text.endsWith("\n") ? text : text + "\n", ref.out);
  if (d) {
    console.log(
      `dumpRaw output: differs from bpftool at line ${d.line}: ${
        JSON.stringify(d.ours.slice(0, 120))
      } vs ${JSON.stringify(d.theirs.slice(0, 120))}`,
    );
  } else console.log("dumpRaw output: identical to bpftool");
}

// ---------------------------------------------------------------- (c), (d)

/** Whole-process wall time (ms) and peak RSS (KiB, 0 if unknown) of `cmd args`, stdout to /dev/null. */
async function wallRss(cmd: string, args: string[]): Promise<{ ms: number; kib: number }> {
  const rssFile = `${BUILD}/rss.txt`;
  const timed = HAVE_TIME
    ? ["/usr/bin/time", ["-f", "%M", "-o", rssFile, cmd, ...args]] as const
    : [cmd, args] as const;
  const t0 = performance.now();
  const r = await run(timed[0], [...timed[1]], "null");
  const t = performance.now() - t0;
  if (!r.ok) throw new Error(`${cmd} ${args.join(" ")} failed: ${firstLine(r.err)}`);
  const kib = HAVE_TIME ? Number(Deno.readTextFileSync(rssFile).trim().split("\n").pop()) : 0;
  return { ms: t, kib };
}

const HAVE_TIME = (() => {
  try {
    return Deno.statSync("/usr/bin/time").isFile;
  } catch {
    return false;
  }
})();

/**
 * One whole-process dump comparison: the CLI as `deno task cli` runs it
 * against bpftool, taking turns after one untimed run each, median wall
 * time and largest peak RSS of R runs.
 */
async function benchDump(
  a: Args,
  what: string,
  ours: string[],
  theirs: string[],
  check: (ours: string, theirs: string) => string,
  goal: (ratio: number, kib: number) => [string, boolean][],
): Promise<void> {
  const cliArgs = ["run", "-A", "--frozen", "--quiet", `${ROOT}cli/start.ts`, ...ours];
  const o = await run(Deno.execPath(), cliArgs);
  const t = await run("bpftool", theirs);
  if (!o.ok || !t.ok) {
    console.log(`${what}: skipped (${firstLine(o.ok ? t.err : o.err)})`);
    return;
  }
  console.log(`${what} output: ${check(o.out, t.out)}`);
  const us: number[] = [], them: number[] = [];
  let usKib = 0, themKib = 0;
  for (let i = 0; i < a.runs; i++) {
    const x = await wallRss(Deno.execPath(), cliArgs);
    const y = await wallRss("bpftool", theirs);
    us.push(x.ms), them.push(y.ms);
    usKib = Math.max(usKib, x.kib), themKib = Math.max(themKib, y.kib);
  }
  const u = median(us), b = median(them);
  const mib = (k: number) => HAVE_TIME ? `${(k / 1024).toFixed(0)} MiB` : "?";
  console.log(
    `${what} (whole process, CLI): bpfview ${ms(u)} (peak RSS ${mib(usKib)}), bpftool ${ms(b)} ` +
      `(peak RSS ${mib(themKib)}), ratio ${ratio(u, b)}`,
  );
  for (const [g, met] of goal(u / b, usKib)) report(g, met);
}

/** Lines of `ours` that differ from `theirs`, apart from bpftool 7.1's packed 1-byte enums. */
function cDiff(ours: string, theirs: string): string {
  const x = ours.split("\n"), y = theirs.split("\n");
  if (x.length !== y.length) return `differs: ${x.length} lines vs bpftool's ${y.length}`;
  let known = 0, other = 0, first = "";
  for (let i = 0; i < x.length; i++) {
    if (x[i] === y[i]) continue;
    // bpftool 7.1 leaves mode(byte) off 1-byte enums (documented in btf_dump_c_test.ts).
    if (x[i] === "} __attribute__((mode(byte)));" && y[i] === "};") known++;
    else if (other++ === 0) first = `line ${i + 1}: ${JSON.stringify(x[i].slice(0, 80))}`;
  }
  return other
    ? `differs from bpftool in ${other} lines, first at ${first}`
    : `identical to bpftool apart from ${known} packed 1-byte enum lines`;
}

/** The JSON lines against bpftool -j's document: the same ids, kinds and names in order. */
function jsonDiff(ours: string, theirs: string): string {
  const x = ours.trimEnd().split("\n").map((l) => JSON.parse(l));
  const y = (JSON.parse(theirs) as { types: { id: number; kind: string; name: string }[] }).types;
  if (x.length !== y.length) return `differs: ${x.length} types vs bpftool's ${y.length}`;
  for (let i = 0; i < x.length; i++) {
    if (x[i].id !== y[i].id || x[i].kind !== y[i].kind || x[i].name !== y[i].name) {
      return `differs at type ${y[i].id}`;
    }
  }
  return `the same ${x.length} types as bpftool -j, in order (fields: tests/btf_dump_raw_test.ts)`;
}

async function benchDumps(a: Args): Promise<void> {
  await benchDump(
    a,
    "C dump",
    ["btf", "dump", "--format", "c", "--file", a.file],
    ["btf", "dump", "file", a.file, "format", "c"],
    cDiff,
    (r, kib) => [
      ["C dump (CLI, whole process) no slower than bpftool", r <= 1],
      ["C dump (CLI) peak RSS under 100 MiB", !HAVE_TIME || kib < 100 * 1024],
    ],
  );
  await benchDump(
    a,
    "JSON dump",
    ["btf", "dump", "--format", "json", "--file", a.file],
    ["-j", "btf", "dump", "file", a.file],
    jsonDiff,
    (r) => [["JSON dump (CLI, whole process) no slower than bpftool -j", r <= 1]],
  );
}

/** (e): the cold breakdown of whole-process dumps. */
async function benchPhases(a: Args): Promise<void> {
  const script = `${ROOT}bench/dump_phases.ts`;
  // bench/empty.ts first: Deno's start-up without dump_phases.ts's module graph.
  const modes = ["start-up", "--empty", "--import", "c", "json"];
  const walls: number[][] = modes.map(() => []);
  const marks: Record<string, number[][]> = { c: [], json: [] };
  for (let i = 0; i < a.runs; i++) {
    for (let k = 0; k < modes.length; k++) {
      const args = k === 0
        ? ["run", "-A", "--frozen", "--quiet", `${ROOT}bench/empty.ts`]
        : ["run", "-A", "--frozen", "--quiet", script, modes[k], a.file];
      const t0 = performance.now();
      const r = await run(Deno.execPath(), args, "null");
      walls[k].push(performance.now() - t0);
      const m = /phases import=([0-9.]+) open=([0-9.]+) dump=([0-9.]+)/.exec(r.err);
      if (!r.ok || (k >= 3 && !m)) {
        console.log(`cold breakdown: skipped (${firstLine(r.err)})`);
        return;
      }
      if (m) marks[modes[k]].push([Number(m[1]), Number(m[2]), Number(m[3])]);
    }
  }
  const [start, graph, imported] = [median(walls[0]), median(walls[1]), median(walls[2])];
  for (const [k, what] of [[3, "c"], [4, "json"]] as const) {
    const col = (j: number) => median(marks[what].map((row) => row[j]));
    console.log(
      `cold breakdown (${what === "c" ? "C" : "JSON"} dump, whole process ${
        ms(median(walls[k]))
      }): ` +
        `start-up ${ms(start)}, module graph ${ms(graph - start)}, import mod.ts ${
          ms(imported - graph)
        } (in process ${ms(col(0))}), open ${ms(col(1))}, dump+write ${ms(col(2))}`,
    );
  }
}

const goals: string[] = [];
function report(goal: string, met: boolean): void {
  goals.push(`goal: ${goal}: ${met ? "met" : "NOT met"}`);
}

// ---------------------------------------------------------------- main

async function benchOpenFind(a: Args): Promise<void> {
  const buildErr = await buildC();
  if (buildErr) {
    console.log(`open+find: skipped (${buildErr})`);
    return;
  }
  const ours: number[] = [], viaReadFile: number[] = [], oursCold: number[] = [];
  const viaRead: number[] = [], viaReadCold: number[] = [];
  const lib: number[] = [], libCold: number[] = [], libRead: number[] = [];
  const readOnly: number[] = [], parseFind: number[] = [];
  for (let round = 0; round < a.runs; round++) {
    const c = await benchLibbpf(a);
    if (typeof c === "string") {
      console.log(`open+find: skipped (${c})`);
      return;
    }
    const cold = await benchBpfviewCold(a, false);
    const readCold = await benchBpfviewCold(a, true);
    if (typeof cold === "string" || typeof readCold === "string") {
      console.log(`open+find: skipped (${typeof cold === "string" ? cold : readCold})`);
      return;
    }
    if (cold.id !== c.id) {
      console.log(`open+find: WARNING: libbpf found id ${c.id}, bpfview id ${cold.id}`);
    }
    lib.push(c.median);
    libCold.push(c.cold);
    libRead.push(c.read);
    oursCold.push(cold.ms);
    viaReadCold.push(readCold.ms);
    ours.push(benchBpfviewOpenFind(a, false));
    viaRead.push(benchBpfviewOpenFind(a, true));
    viaReadFile.push(benchReadFileOpenFind(a));
    readOnly.push(benchReadOnly(a));
    parseFind.push(benchParseFind(a));
  }
  const o = median(ours), l = median(lib), oc = median(oursCold), lc = median(libCold);
  const rf = median(viaReadFile), r = median(viaRead), rc = median(viaReadCold);
  console.log(`open+find (openBtf): bpfview ${ms(o)}, libbpf ${ms(l)}, ratio ${ratio(o, l)}`);
  console.log(
    `open+find (openBtf, cold, first iteration in a fresh process): bpfview ${ms(oc)}, libbpf ${
      ms(lc)
    }, ratio ${ratio(oc, lc)}`,
  );
  console.log(`open+find (loadBtf, read): bpfview ${ms(r)}, libbpf ${ms(l)}, ratio ${ratio(r, l)}`);
  console.log(
    `open+find (loadBtf, read, cold): bpfview ${ms(rc)}, libbpf ${ms(lc)}, ratio ${ratio(rc, lc)}`,
  );
  console.log(
    `open+find (parseBtf(Deno.readFileSync)): bpfview ${ms(rf)}, libbpf ${ms(l)}, ratio ${
      ratio(rf, l)
    }`,
  );
  const rd = median(readOnly), lrd = median(libRead), pf = median(parseFind);
  console.log(
    `open+find breakdown: read bpfview ${ms(rd)}, C ${ms(lrd)}, ratio ${ratio(rd, lrd)}; ` +
      `parse+find bpfview ${ms(pf)}, libbpf ${ms(l - lrd)}, ratio ${ratio(pf, l - lrd)}`,
  );
  report("open+find (openBtf) within 1.0x of libbpf warm", o <= l);
  report("open+find (openBtf) within 1.5x of libbpf cold", oc <= 1.5 * lc);
}

async function main(): Promise<void> {
  const a = parseArgs(Deno.args);
  if (a.cold) return coldChild(a);
  console.log(
    `BTF: ${a.file} (${
      Deno.statSync(a.file).size
    } bytes), ${a.iters} iterations x ${a.runs} rounds`,
  );
  await benchOpenFind(a);
  await benchRawDump(a);
  await benchDumps(a);
  await benchPhases(a);
  for (const g of goals) console.log(g);
}

if (import.meta.main) await main();
