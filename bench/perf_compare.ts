// bpfview's perf ring against a C consumer (bench/c/perf_consumer.c, built on the fly with cc),
// in the same run, on the same tracepoint (syscalls:sys_enter_getpid, sample_period 1) fired by
// the same producer (tests/c/perf_spin.c):
//   trace end to end: the producer calls getpid for 0.25 s, then S seconds, while the consumer
//     follows the ring (drain, 1 ms sleeps while data flows); rate of samples received and
//     samples lost.
//   decode pre-filled ring: the producer fills a ring with N samples first; the consumer then
//     walks it R times without freeing it (header, sample fields, one tracepoint field); CPU
//     time of the consumer process per sample (both sides), as the machine is shared. Each
//     consumer is a process of its own (bench/perf_fill.ts, bench/c/perf_consumer.c); the same
//     walk in this process, after the end-to-end rounds, is printed too, and a hand-written
//     JavaScript loop over the same ring (no library: what V8's code reaches at best).
// Several rounds, alternating; medians. Prints one line per comparison ending with the ratio.
//
//   deno task bench:perf [--seconds S] [--rounds N] [--samples N] [--no-e2e]
//     --no-e2e: the pre-filled ring's lines only
import { readFormat, Tracer } from "../mod.ts";
import { PerfRing } from "../mod.ts";
import { openFillEvent, walkFilled } from "./perf_fill.ts";

const args = Deno.args;
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const SECONDS = opt("--seconds", 2);
const ROUNDS = opt("--rounds", 5);
const SAMPLES = opt("--samples", 100000);
const E2E_PAGES = 1024; // 4 MiB per ring, for both consumers
const FILL_PAGES = 2048; // 8 MiB: SAMPLES x 56 bytes fit
const WALKS = 20;
const E2E = !args.includes("--no-e2e");
const lostInWarmup: number[] = [];
const WARMUP = 0.25; // seconds of production before the measured ones, for both consumers

const root = new URL("../", import.meta.url).pathname;
const build = `${root}bench/build/`;
Deno.mkdirSync(build, { recursive: true });
function cc(src: string, out: string): string {
  const r = new Deno.Command("cc", { args: ["-O2", "-Wall", "-o", build + out, root + src] })
    .outputSync();
  if (!r.success) throw new Error(new TextDecoder().decode(r.stderr));
  return build + out;
}
const SPIN = cc("tests/c/perf_spin.c", "perf_spin");
const CONSUMER = cc("bench/c/perf_consumer.c", "perf_consumer");
const format = readFormat("syscalls", "sys_enter_getpid");
const enc = new TextEncoder();

/** A child that speaks in lines. */
class Child {
  readonly proc: Deno.ChildProcess;
  readonly #w: WritableStreamDefaultWriter<Uint8Array>;
  readonly #r: ReadableStreamDefaultReader<string>;
  #buf = "";
  constructor(cmd: string, argv: string[] = []) {
    this.proc = new Deno.Command(cmd, { args: argv, stdin: "piped", stdout: "piped" }).spawn();
    this.#w = this.proc.stdin.getWriter();
    this.#r = this.proc.stdout.pipeThrough(new TextDecoderStream()).getReader();
  }
  async line(): Promise<string> {
    for (;;) {
      const i = this.#buf.indexOf("\n");
      if (i >= 0) {
        const l = this.#buf.slice(0, i);
        this.#buf = this.#buf.slice(i + 1);
        return l;
      }
      const r = await this.#r.read();
      if (r.done) return "";
      this.#buf += r.value;
    }
  }
  async send(s: string): Promise<void> {
    await this.#w.write(enc.encode(s + "\n"));
  }
  async close(): Promise<void> {
    await this.#w.close().catch(() => {});
    await this.proc.status;
  }
}

async function spinner(): Promise<{ spin: Child; pid: number }> {
  const spin = new Child(SPIN);
  const ready = await spin.line();
  return { spin, pid: Number(ready.split(" ")[1]) };
}

/** bpfview follows the ring while the producer runs: [samples/s, lost]. */
async function e2eBpfview(): Promise<[number, number, number]> {
  const { spin, pid } = await spinner();
  const t = Tracer.open(["syscalls:sys_enter_getpid"], { pid, pages: E2E_PAGES });
  const nr = t.events[0].decoder.reader("__syscall_nr");
  const acc = new Float64Array(1); // a typed array: a captured number would box on every add
  const stop = new AbortController();
  const following = t.follow((_ev, s) => {
    acc[0] += s.pid + s.tid + s.cpu + (s.time as number) + s.rawSize +
      (nr(s.dv, s.rawOffset) as number);
  }, { signal: stop.signal });
  await spin.send(`t ${WARMUP}`); // lets the JIT compile the consumer first
  const warm = Number((await spin.line()).split(" ")[1]);
  lostInWarmup.push(t.stats().lost);
  await spin.send(`t ${SECONDS}`);
  const made = warm + Number((await spin.line()).split(" ")[1]);
  stop.abort();
  await following;
  const st = t.stats();
  t.close();
  await spin.close();
  if (acc[0] === 0) throw new Error("nothing read");
  return [st.samples / (SECONDS + WARMUP), st.lost, made];
}

/** The C consumer follows the ring while the producer runs. */
async function e2eC(): Promise<[number, number, number]> {
  const { spin, pid } = await spinner();
  const c = new Child(CONSUMER, [String(format.id), String(pid), String(E2E_PAGES), "follow"]);
  if (await c.line() !== "ready") throw new Error("C consumer did not start");
  await spin.send(`t ${WARMUP}`);
  const warm = Number((await spin.line()).split(" ")[1]);
  await spin.send(`t ${SECONDS}`);
  const made = warm + Number((await spin.line()).split(" ")[1]);
  await c.send("stop");
  const [, samples, , lost] = (await c.line()).split(" ");
  await c.close();
  await spin.close();
  return [Number(samples) / (SECONDS + WARMUP), Number(lost), made];
}

/**
 * A consumer process walks a ring the producer filled: it says "ready" once its ring is mapped,
 * is told "go" once the ring is filled, and answers "ns X samples N". Returns ns per sample.
 */
async function fillChild(
  who: string,
  cmd: string,
  args: (pid: number) => string[],
): Promise<number> {
  const { spin, pid } = await spinner();
  const c = new Child(cmd, args(pid));
  if (await c.line() !== "ready") throw new Error(`${who} did not start`);
  await spin.send(String(SAMPLES));
  await spin.line();
  await c.send("go");
  const [, ns, , samples] = (await c.line()).split(" ");
  await c.close();
  await spin.close();
  if (Number(samples) !== SAMPLES) throw new Error(`${who} walked ${samples} samples`);
  return Number(ns);
}

/** bpfview walks a filled ring in its own process (bench/perf_fill.ts): ns per sample. */
const fillBpfview = (bare = false) =>
  fillChild("bench/perf_fill.ts", Deno.execPath(), (pid) => [
    "run",
    "-A",
    `${root}bench/perf_fill.ts`,
    String(pid),
    String(FILL_PAGES),
    String(WALKS),
    ...(bare ? ["bare"] : []),
  ]);

/** The C consumer walks a filled ring: ns per sample. */
const fillC = () =>
  fillChild("the C consumer", CONSUMER, (pid) => [
    String(format.id),
    String(pid),
    String(FILL_PAGES),
    "peek",
    String(WALKS),
  ]);

/** The same walk in this process, after the end-to-end rounds (their JIT feedback shared). */
async function fillHere(): Promise<number> {
  const { spin, pid } = await spinner();
  const ev = openFillEvent(pid);
  const ring = new PerfRing(ev.fd, FILL_PAGES);
  ev.enable();
  await spin.send(String(SAMPLES));
  await spin.line();
  const [ns, n] = walkFilled(ring, WALKS);
  ring.close();
  ev.close();
  await spin.close();
  if (n !== SAMPLES) throw new Error(`walked ${n} samples`);
  return ns;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const e2e = {
  bpf: [] as number[],
  c: [] as number[],
  lostB: 0,
  lostC: 0,
  lostsB: [] as number[],
  lostsC: [] as number[],
};
const fill = { bpf: [] as number[], c: [] as number[], here: [] as number[], bare: [] as number[] };
for (let r = 0; r < ROUNDS; r++) {
  if (r % 2) (fill.c.push(await fillC()), fill.bpf.push(await fillBpfview()));
  else (fill.bpf.push(await fillBpfview()), fill.c.push(await fillC()));
  fill.bare.push(await fillBpfview(true));
  if (!E2E) continue;
  const order = r % 2 ? [e2eC, e2eBpfview] : [e2eBpfview, e2eC];
  for (const f of order) {
    const [rate, lost] = await f();
    if (f === e2eC) (e2e.c.push(rate), e2e.lostC += lost, e2e.lostsC.push(lost));
    else (e2e.bpf.push(rate), e2e.lostB += lost, e2e.lostsB.push(lost));
  }
  fill.here.push(await fillHere());
}
const mb = median(e2e.bpf) / 1e6, mc = median(e2e.c) / 1e6;
if (E2E) {
  console.log(
    `trace end to end ${SECONDS}s: bpfview ${mb.toFixed(2)} M/s, C ${mc.toFixed(2)} M/s, ` +
      `lost ${e2e.lostB} (C ${e2e.lostC}), ratio ${(mb / mc).toFixed(2)}`,
  );
}
const fb = median(fill.bpf), fc = median(fill.c), fj = median(fill.bare);
const each = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(" ");
console.log(
  `decode pre-filled ring: bpfview ${fb.toFixed(1)} ns/sample, C ${fc.toFixed(1)} ns/sample, ` +
    `ratio ${(fb / fc).toFixed(2)}`,
);
console.log(
  `decode pre-filled ring, hand-written JavaScript loop (no library): ${
    fj.toFixed(1)
  } ns/sample, ` +
    `ratio ${(fj / fc).toFixed(2)} of C; bpfview ${(fb / fj).toFixed(2)} of it`,
);
console.log(
  `(medians of ${ROUNDS} rounds; ${SAMPLES} samples walked ${WALKS} times; per round: bpfview ` +
    `${each(fill.bpf)}, C ${each(fill.c)}, hand-written ${each(fill.bare)}` +
    (!E2E ? ")" : `; bpfview's walk in ` +
      `this process, after the end-to-end rounds: ${median(fill.here).toFixed(1)} ns/sample, ` +
      `ratio ${(median(fill.here) / fc).toFixed(2)}; ` +
      `e2e rates bpfview ${e2e.bpf.map((x) => (x / 1e6).toFixed(2)).join(" ")}, C ${
        e2e.c.map((x) => (x / 1e6).toFixed(2)).join(" ")
      }; lost summed over rounds: bpfview ${e2e.lostsB.join(" ")} (in the warm-up ${
        lostInWarmup.join(" ")
      }), C ${e2e.lostsC.join(" ")})`),
);
