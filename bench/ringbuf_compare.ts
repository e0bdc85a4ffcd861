/**
 * BPF ring buffer speed, compared in one run:
 *
 *   deno task bench:ringbuf [--rounds N] [--seconds S] [--cpus P,C] [--no-e2e] [--no-small]
 *
 * Builds bench/bpf/ringbuf_bench.bpf.c (a SEC("syscall") producer writing
 * 32-byte records with bpf_loop, run through BPF_PROG_TEST_RUN) for a
 * 1 MiB and a 64 MiB ring, and bench/c/ringbuf_bench.c (cc -lbpf).
 *
 * (a) consume: the ring is filled, then drained, reading three u32 fields
 *     of each record: by bpfview (`RingBuffer.drain` with one view), by
 *     hand-written C, and by libbpf's `ring_buffer__consume`. Each drain is
 *     timed on its own (ns per record); a round reports its median drain
 *     (so a drain preempted on a busy machine does not count), and the
 *     line gives the median of the rounds (C and Deno rounds alternate).
 * (b) end to end: a C producer thread loops the program (2^20 records a
 *     run) for S seconds on one CPU while the consumer keeps up on the
 *     other (--cpus P,C; default 1,0 where there are two CPUs, as in the
 *     issue: "a BPF producer on the other CPU"): bpfview's `follow`
 *     (drain, pause while data flows, epoll when idle), C draining by
 *     hand and sleeping 1 ms, and libbpf's `ring_buffer__poll(rb, 100)` in
 *     a loop (how libbpf's docs and examples drive it), each with the same
 *     callback work (three u32 fields) and the same producer, each a fresh
 *     process. Records per second and drops (counted by perf/ringbuf.h),
 *     median of the rounds. A third line shows what limits the run: the
 *     producer's top speed (ns per record into an empty ring with no
 *     consumer, from (a)), what it produced beside each consumer, libbpf's
 *     wake-ups, and the time to hand one cache line between the two CPUs
 *     (what a consumer reading right behind the producer pays). A fourth
 *     gives each consumer's CPU time per record (what it would take to
 *     keep up with a faster producer: bpfview's is its whole process,
 *     V8's threads included; the C consumers' their consuming thread). A
 *     fifth line (unless --no-small) runs bpfview and the C consumer on a 1 MiB
 *     ring, which such a producer fills in under a millisecond: the C
 *     consumer's fixed 1 ms sleep against bpfview's pacing (perf/wait.ts
 *     Pacer).
 * (c) heap growth over 10 M records drained through one view (after a GC;
 *     the task passes --expose-gc).
 *
 * @module
 */

import process from "node:process";
import { BpfObject, bpfObjPin, bpfProgTestRun, RingBuffer } from "../mod.ts";

const args = Deno.args;
const opt = (name: string, def: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const ROUNDS = opt("--rounds", 7);
// The producer's CPU and the consumers' (-1: left to the scheduler).
const CPUS = (() => {
  const i = args.indexOf("--cpus");
  if (i >= 0) return args[i + 1].split(",").map(Number);
  return navigator.hardwareConcurrency >= 2 ? [1, 0] : [-1, -1];
})();
const SECONDS = opt("--seconds", 2);
const E2E = !args.includes("--no-e2e");
const SMALL = !args.includes("--no-small");
const gc = (globalThis as { gc?: () => void }).gc;

const HERE = new URL(".", import.meta.url).pathname;
const BUILD = `${HERE}build/ringbuf/`;
Deno.mkdirSync(BUILD, { recursive: true });
const dec = new TextDecoder();

function run(cmd: string, a: string[]): string {
  const out = new Deno.Command(cmd, { args: a, stdout: "piped", stderr: "piped" }).outputSync();
  if (!out.success) throw new Error(`${cmd} ${a.join(" ")}:\n${dec.decode(out.stderr)}`);
  return dec.decode(out.stdout);
}

const SIZES = [
  { label: "1MiB", bytes: 1 << 20, reps: 41 },
  { label: "64MiB", bytes: 64 << 20, reps: 5 },
];
const C = `${BUILD}ringbuf_bench`;
if (!args.includes("--e2e-child")) { // the child uses what its parent built
  for (const s of SIZES) {
    run("clang", [
      "-g",
      "-O2",
      "-target",
      "bpf",
      `-DRING_SIZE=${s.bytes}`,
      `-I/usr/include/${Deno.build.arch}-linux-gnu`,
      "-c",
      `${HERE}bpf/ringbuf_bench.bpf.c`,
      "-o",
      `${BUILD}rb_${s.label}.o`,
    ]);
  }
  run("cc", ["-O2", "-o", C, `${HERE}c/ringbuf_bench.c`, "-lbpf", "-lpthread"]);
}

type Rec = { a: number; b: number; c: number };
const SLOT = 32 + 8;

/** The benchmark object loaded through BpfObject. */
class Loaded {
  readonly obj: BpfObject;
  readonly ring: RingBuffer<Rec>;
  readonly prog: number;
  constructor(label: string) {
    this.obj = BpfObject.open(`${BUILD}rb_${label}.o`);
    this.obj.load();
    this.prog = this.obj.program("fill").fd;
    this.ring = RingBuffer.fromObject<Rec>(this.obj, "ring", { type: "rec" });
  }
  fill(count: number): number {
    const a = new Uint32Array(4);
    a[0] = count;
    bpfProgTestRun(this.prog, new Uint8Array(a.buffer));
    return a[1];
  }
  close(): void {
    this.ring.close();
    this.obj.close();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const f2 = (x: number) => x.toFixed(2);

let sum = 0;
// Folded with xor into a small integer (C sums into a uint64_t): a sum past
// 2^31 would deoptimize the loop it is inlined into, then make every record
// allocate a heap number.
const readThree = (e: Rec) => {
  sum ^= e.a + e.b + e.c;
};

/**
 * The bpfview side of the end-to-end run, in its own process (pinned to
 * the consumers' CPU by its parent): the same C producer thread as the C
 * consumers' (`ringbuf_bench produce`, on the program pinned for it, on the
 * producer's CPU) loops for S seconds while `follow` reads the ring
 * (--ring 64MiB|1MiB); prints "records N lost L produced P seconds S
 * wakeups 0 cpu T" (T: this process's CPU seconds, all its threads).
 */
async function e2eChild(seconds: number, label: string): Promise<void> {
  const o = new Loaded(label);
  const pin = `/sys/fs/bpf/bpfview_bench_${Deno.pid}`;
  try {
    bpfObjPin(o.prog, pin);
    const run = async (secs: number) => {
      const stop = new AbortController();
      const producer = new Deno.Command(C, {
        args: ["produce", pin, String(secs), String(CPUS[0])],
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      const out = producer.output();
      out.finally(() => stop.abort());
      const n = await o.ring.follow(readThree, { signal: stop.signal });
      const done = await out;
      if (!done.success) throw new Error("the producer failed");
      return { n, produced: Number(/produced (\d+)/.exec(dec.decode(done.stdout))![1]) };
    };
    // Warm up the JIT as the consume benchmark does (C is compiled ahead of
    // time): full rings, then half a second against the producer, so that
    // the paths only a live producer takes (a record still BUSY, a second
    // batch in one drain) have run before V8 compiles the loop for good.
    for (let i = 0; i < 3; i++) {
      o.fill(Math.min(1 << 20, Math.floor(o.ring.size / SLOT)));
      o.ring.drain(readThree);
    }
    await run(0.5);
    const lost0 = o.ring.stats.lost ?? 0;
    const t0 = performance.now(), cpu0 = process.cpuUsage();
    const { n, produced } = await run(seconds);
    const secs = (performance.now() - t0) / 1000, cpu = process.cpuUsage(cpu0);
    console.log(
      `records ${n} lost ${
        (o.ring.stats.lost ?? 0) - lost0
      } produced ${produced} seconds ${secs} ` +
        `wakeups 0 cpu ${(cpu.user + cpu.system) / 1e6}`,
    );
  } finally {
    try {
      Deno.removeSync(pin);
    } catch { /* not pinned */ }
    o.close();
  }
}

if (args.includes("--e2e-child")) {
  await e2eChild(opt("--e2e-child", 2), args[args.indexOf("--ring") + 1]);
  Deno.exit(0);
}

// ---------------------------------------------------------------- (a) consume
const loaded: Loaded[] = [];
/** The producer's ns per record into an empty ring, per ring size (from C's consume runs). */
const fillNs = new Map<string, number>();
try {
  for (const s of SIZES) {
    const o = new Loaded(s.label);
    loaded.push(o);
    const cap = Math.floor(s.bytes / SLOT);
    // Warm up the drain loop (JIT) on this ring.
    for (let i = 0; i < 3; i++) {
      o.fill(cap);
      o.ring.drain(readThree);
    }
    const ours: number[] = [], cs: number[] = [], libs: number[] = [], fills: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const out = run(C, ["consume", `${BUILD}rb_${s.label}.o`, String(s.reps)]);
      cs.push(Number(/^c (\S+)$/m.exec(out)![1]));
      libs.push(Number(/^libbpf (\S+)$/m.exec(out)![1]));
      fills.push(Number(/^fill (\S+)$/m.exec(out)![1]));
      const per: number[] = [];
      for (let i = 0; i < s.reps; i++) {
        if (o.fill(cap) !== cap) throw new Error("the producer did not fill the ring");
        const t0 = performance.now();
        const n = o.ring.drain(readThree);
        per.push((performance.now() - t0) * 1e6 / n);
      }
      ours.push(median(per));
    }
    const b = median(ours), c = median(cs), l = median(libs);
    fillNs.set(s.label, median(fills));
    console.log(
      `consume ${s.label} 32B: bpfview ${f2(b)} ns/event, libbpf ${f2(l)} ns/event, ratio ${
        f2(b / l)
      }`,
    );
    console.log(
      `consume ${s.label} 32B: bpfview ${f2(b)} ns/event, C ${f2(c)} ns/event, ratio ${f2(b / c)}`,
    );
  }

  // ---------------------------------------------------------------- (b) end to end
  if (E2E) {
    type Round = {
      rate: number;
      lost: number;
      produced: number;
      wakeups: number;
      /** The consumer's CPU ns per record read. */
      cpu: number;
    };
    const parse = (out: string): Round => {
      const m = /records (\d+) lost (\d+) produced (\d+) seconds (\S+) wakeups (\d+) cpu (\S+)/
        .exec(out)!;
      const secs = Number(m[4]);
      return {
        rate: Number(m[1]) / secs / 1e6,
        lost: Number(m[2]),
        produced: Number(m[3]) / secs / 1e6,
        wakeups: Number(m[5]) / secs,
        cpu: Number(m[6]) * 1e9 / Number(m[1]),
      };
    };
    const e2eC = (label: string, mode: string) =>
      parse(run(C, [
        "e2e",
        `${BUILD}rb_${label}.o`,
        String(SECONDS),
        mode,
        String(CPUS[0]),
        String(CPUS[1]),
      ]));
    // A fresh process, like the C consumers (a long-running one gets less
    // of a busy machine's CPU than a new one), on the consumers' CPU.
    const e2eDeno = (label: string) => {
      const child = [
        Deno.execPath(),
        "run",
        "-A",
        import.meta.filename!,
        "--e2e-child",
        String(SECONDS),
        "--ring",
        label,
        "--cpus",
        CPUS.join(","),
      ];
      return parse(
        CPUS[1] >= 0
          ? run("taskset", ["-c", String(CPUS[1]), ...child])
          : run(child[0], child.slice(1)),
      );
    };
    const ours: Round[] = [], cs: Round[] = [], polls: Round[] = [], lines: number[] = [];
    const smallOurs: Round[] = [], smallCs: Round[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      cs.push(e2eC("64MiB", "c"));
      polls.push(e2eC("64MiB", "poll"));
      ours.push(e2eDeno("64MiB"));
      if (CPUS[0] >= 0 && CPUS[1] >= 0) {
        lines.push(
          Number(/^line (\S+)$/m.exec(run(C, ["pingpong", String(CPUS[0]), String(CPUS[1])]))![1]),
        );
      }
      if (SMALL) {
        smallCs.push(e2eC("1MiB", "c"));
        smallOurs.push(e2eDeno("1MiB"));
      }
    }
    const med = (xs: Round[], k: keyof Round) => median(xs.map((x) => x[k]));
    const b = med(ours, "rate"), c = med(cs, "rate"), p = med(polls, "rate");
    const drops = (xs: Round[]) => {
      const ls = xs.map((x) => x.lost);
      return `${median(ls)} (max ${Math.max(...ls)}, ${
        ls.filter((x) => x > 0).length
      }/${ls.length} rounds)`;
    };
    console.log(
      `end to end ${SECONDS}s: bpfview ${f2(b)} M/s, C ${f2(c)} M/s, ratio ${f2(b / c)}, drops ${
        drops(ours)
      } (C ${drops(cs)})`,
    );
    console.log(
      `end to end ${SECONDS}s: bpfview ${f2(b)} M/s, libbpf poll ${f2(p)} M/s, ratio ${
        f2(b / p)
      }, drops ${drops(ours)} (libbpf ${drops(polls)})`,
    );
    const top = fillNs.get("64MiB")!;
    console.log(
      `end to end ${SECONDS}s: producer alone ${f2(top)} ns/record (${
        f2(1e3 / top)
      } M/s at most); ` +
        `it produced ${f2(med(ours, "produced"))} M/s beside bpfview, ${f2(med(cs, "produced"))} ` +
        `beside C, ${f2(med(polls, "produced"))} beside libbpf poll (${
          (med(polls, "wakeups") / 1e3).toFixed(1)
        }k wake-ups/s, ${(p * 1e6 / med(polls, "wakeups")).toFixed(0)} records each); ` +
        (lines.length
          ? `producer on CPU ${CPUS[0]}, consumers on CPU ${CPUS[1]}, a cache line between them ${
            f2(median(lines))
          } ns`
          : "threads not pinned"),
    );
    const cb = med(ours, "cpu"), cc = med(cs, "cpu"), cp = med(polls, "cpu");
    console.log(
      `end to end ${SECONDS}s: consumer CPU per record: bpfview ${f2(cb)} ns (whole process), C ${
        f2(cc)
      } ns, libbpf poll ${f2(cp)} ns (its thread); libbpf / bpfview ${f2(cp / cb)}`,
    );
    if (SMALL) {
      const sb = med(smallOurs, "rate"), sc = med(smallCs, "rate");
      console.log(
        `end to end ${SECONDS}s, 1MiB ring: bpfview ${f2(sb)} M/s, C ${f2(sc)} M/s, ratio ${
          f2(sb / sc)
        }, drops ${drops(smallOurs)} (C ${drops(smallCs)}); produced ${
          f2(med(smallOurs, "produced"))
        } and ${f2(med(smallCs, "produced"))} M/s`,
      );
    }
  }

  // ---------------------------------------------------------------- (c) heap
  {
    const o = loaded[0];
    const cap = Math.floor((1 << 20) / SLOT);
    gc?.();
    const before = Deno.memoryUsage().heapUsed;
    let n = 0;
    while (n < 10_000_000) {
      o.fill(cap);
      n += o.ring.drain(readThree);
    }
    gc?.();
    const grew = Deno.memoryUsage().heapUsed - before;
    console.log(
      `heap 10M records: grew ${(grew / 1024).toFixed(0)} KiB${gc ? "" : " (no --expose-gc)"}`,
    );
  }
} finally {
  for (const o of loaded) o.close();
}
if (sum === 0.5) console.log(sum); // keeps the reads
