// The bpfview side of bench/perf_compare.ts's "decode pre-filled ring": walks a perf ring the
// producer filled, without freeing it (header, sample fields, one tracepoint field through the
// payload's reader), and counts CPU time per sample. Run as its own process, as the C consumer
// (bench/c/perf_consumer.c peek) is:
//
//   deno run -A bench/perf_fill.ts PID PAGES WALKS [bare]
//     opens syscalls:sys_enter_getpid for PID with a ring of PAGES pages, prints "ready", waits
//     for a line (the ring is filled), walks it WALKS times, prints "ns X samples N".
//     bare: walks it with a hand-written loop instead (no library: a local cursor and the same
//     fields read straight from a Uint32Array, what JavaScript code reaches at best here).
//
// perf_compare.ts also imports walkFilled to measure the same walk in its own process, after the
// end-to-end rounds.
import { readFormat, SampleLayout, SampleType as S, TracepointDecoder } from "../mod.ts";
import { PerfEvent, PerfRing, PerfSample, PerfType, RecordType } from "../mod.ts";
import process from "node:process";

/** CPU time of this process in ns (user + system): the machine is shared, wall time waits for a core. */
export const cpuNs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};

const format = readFormat("syscalls", "sys_enter_getpid");
// What a consumer makes once: the layout, the payload field's reader, one reused sample.
const layout = new SampleLayout({ sample_type: S.TID | S.TIME | S.CPU | S.RAW });
const nr = new TracepointDecoder(format).reader("__syscall_nr");
const sample = new PerfSample();
const acc = new Float64Array(1); // a typed array: a captured number would box on every add
let walked = 0;

/** One pass over the ring: header, sample fields, one payload field (the caller rewinds). */
function walkLibrary(ring: PerfRing): void {
  const s = sample, SAMPLE = RecordType.SAMPLE; // as a C consumer has PERF_RECORD_SAMPLE inline
  for (let off = ring.next(); off >= 0; off = ring.after(off)) {
    if (ring.type !== SAMPLE) continue;
    const dv = ring.view;
    layout.decode(dv, off, s);
    acc[0] += s.pid + s.tid + s.cpu + (s.time as number) + s.rawSize +
      (nr(dv, s.rawOffset) as number);
    walked++;
  }
}

/**
 * The same pass without the library: a cursor in a local, header and fields read as u32s at
 * the offsets this layout puts them (no checks but the loop's; the filled ring does not wrap).
 */
function walkBare(ring: PerfRing): void {
  const w = new Uint32Array(ring.view.buffer), SAMPLE = RecordType.SAMPLE;
  const end = ring.dataOffset + ring.pending, field = (RAW_AT + 4 + nrAt) >>> 2;
  for (let p = ring.dataOffset; p < end;) {
    const q = p >>> 2;
    if (w[q] === SAMPLE) {
      acc[0] += (w[q + 2] | 0) + (w[q + 3] | 0) + w[q + 6] + (w[q + 5] * 4294967296 + w[q + 4]) +
        w[q + 8] + (w[q + field] | 0);
      walked++;
    }
    p += w[q + 1] >>> 16;
  }
}
/** Where the raw size word is in these samples, and the payload field in the payload. */
const RAW_AT = layout.rawAt, nrAt = format.fields.find((f) => f.name === "__syscall_nr")!.offset;

/** The event whose ring is filled: the bench's tracepoint for `pid`, disabled until enabled. */
export function openFillEvent(pid: number): PerfEvent {
  return PerfEvent.open({
    type: PerfType.TRACEPOINT,
    config: format.id,
    sample_period: 1,
    sample_type: S.TID | S.TIME | S.CPU | S.RAW,
    disabled: true,
  }, { pid });
}

/**
 * Walks the filled `ring` `warm` times (the JIT compiles the loop, and compiles it again once
 * the code after it has run), then `walks` times: [CPU ns per sample, samples per walk].
 */
export function walkFilled(
  ring: PerfRing,
  walks: number,
  warm = 20,
  walk = walkLibrary,
): [number, number] {
  // rewind() here, not after walk's loop: code after a loop the JIT compiled before it ever
  // ran would leave that compiled loop (a deopt) at the end of every walk.
  for (let i = 0; i < warm; i++) (walk(ring), ring.rewind());
  walked = 0;
  const t0 = cpuNs();
  for (let i = 0; i < walks; i++) (walk(ring), ring.rewind());
  const ns = (cpuNs() - t0) / walked;
  if (acc[0] === 0) throw new Error("nothing read");
  return [ns, walked / walks];
}

if (import.meta.main) {
  const [pid, pages, walks] = Deno.args.map(Number);
  const bare = Deno.args[3] === "bare";
  using ev = openFillEvent(pid);
  using ring = new PerfRing(ev.fd, pages);
  ev.enable();
  console.log("ready");
  await Deno.stdin.read(new Uint8Array(64)); // the producer has filled the ring
  if (bare && (ring.pending > ring.dataSize || (RAW_AT + 4 + nrAt) % 4 !== 0)) {
    throw new Error("the bare walk reads an unwrapped ring, u32s at u32 offsets");
  }
  const [ns, n] = walkFilled(ring, walks, 20, bare ? walkBare : walkLibrary);
  console.log(`ns ${ns.toFixed(3)} samples ${n}`);
}
