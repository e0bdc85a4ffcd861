/**
 * Tracing kernel tracepoints with no BPF program: one perf event per
 * tracepoint per online CPU (or per thread of a process), all events of a
 * CPU (or thread) writing into one ring, every ring on one epoll set, each
 * sample's payload decoded by BTF or by the tracefs format file.
 *
 * ```ts
 * import { Tracer } from "@bpfview/bpfview";
 * using t = Tracer.open(["sched:sched_switch"]);
 * const stop = AbortSignal.timeout(1000);
 * await t.follow((ev, s) => console.log(ev.event, s.pid, ev.decode(s)), { signal: stop });
 * console.log(t.stats());
 * ```
 *
 * @module
 */

import type { Btf } from "../btf/parse.ts";
import { PerfType, SampleType } from "./attr.ts";
import { PerfError } from "./error.ts";
import { onlineCpus, PerfEvent, threadsOf } from "./event.ts";
import { PerfRing, ringWakeup } from "./perf_ring.ts";
import { RecordType } from "./records.ts";
import { PerfSample, SampleLayout } from "./sample.ts";
import { expandEvents, readFormat, type TraceFormat, tracefsRoot } from "./tracefs.ts";
import { TracepointDecoder, type TraceSchema } from "./tracepoint.ts";
import { FdWaiter, follow } from "./wait.ts";

/**
 * Options of {@link Tracer.open}.
 *
 * @example
 * ```ts
 * import type { TracerOptions } from "@bpfview/bpfview";
 * const o: TracerOptions = { cpus: [0], filter: "prev_pid != 0", pages: 128 };
 * ```
 */
export interface TracerOptions {
  /** CPUs to trace, each online and named once (default: every online CPU). */
  cpus?: number[];
  /**
   * Trace only this process: one event per thread it has on each CPU,
   * inherited by the threads and children it starts later.
   */
  pid?: number;
  /** An ftrace filter expression, applied by the kernel to every event (PERF_EVENT_IOC_SET_FILTER). */
  filter?: string;
  /** Payload schema: `auto` (default: BTF where it describes the event), `btf` or `tracefs`. */
  schema?: TraceSchema;
  /** The kernel BTF (default: none, so `auto` uses tracefs; pass `loadBtf()` or `mapBtf().btf`). */
  btf?: Btf;
  /** Data pages per ring, a power of two (default 64). */
  pages?: number;
  /**
   * Wake the reader every this many samples instead of by watermark. Each
   * wakeup costs the kernel an interrupt: at high rates prefer the default.
   */
  wakeupEvents?: number;
  /** Wake the reader when this many bytes are waiting (default: a quarter of the ring). */
  watermark?: number;
  /**
   * Milliseconds {@link Tracer.follow} waits at most while idle before
   * draining anyway (default 50), so events below the watermark are not
   * held back; -1 waits for wakeups only.
   */
  idle?: number;
  /** Extra sample_type bits (TID, TIME, CPU and RAW are always on). */
  sampleType?: number;
  /** Where tracefs is (default: found). */
  tracefs?: string;
}

/**
 * One traced tracepoint: its name, format and payload decoder.
 *
 * @example
 * ```ts
 * import type { TracedEvent } from "@bpfview/bpfview";
 * const name = (e: TracedEvent) => e.event; // "sched:sched_switch"
 * ```
 */
export class TracedEvent {
  /** `system:name`. */
  readonly event: string;
  /** The tracepoint's format file. */
  readonly format: TraceFormat;
  /** Its payload decoder. */
  readonly decoder: TracepointDecoder;
  /** Samples read. */
  samples = 0;

  /** Made by {@link Tracer.open}. */
  constructor(format: TraceFormat, decoder: TracepointDecoder) {
    this.event = `${format.system}:${format.name}`;
    this.format = format;
    this.decoder = decoder;
  }

  /** The sample's payload as a plain object (the event's fields). */
  decode(s: PerfSample): Record<string, unknown> {
    return this.decoder.decode(s.dv, s.rawOffset, s.rawSize);
  }
}

/**
 * Counts of a {@link Tracer}.
 *
 * @example
 * ```ts
 * import type { TracerStats } from "@bpfview/bpfview";
 * const line = (s: TracerStats) => `${s.samples} samples, ${s.lost} lost`;
 * ```
 */
export interface TracerStats {
  /** Samples read, all events. */
  samples: number;
  /** Samples the kernel dropped (ring full). */
  lost: number;
  /** Records that wrapped the ring and were joined. */
  joined: number;
  /** Samples per event name. */
  byEvent: Record<string, number>;
  /** Samples whose payload named no traced event (skipped). */
  unknown: number;
}

/**
 * Called with each sample: its event and the decoded sample (reused: read it before returning).
 *
 * @example
 * ```ts
 * import type { TraceHandler } from "@bpfview/bpfview";
 * const print: TraceHandler = (event, sample) => console.log(event.event, sample.tid);
 * ```
 */
export type TraceHandler = (event: TracedEvent, sample: PerfSample) => void;

/** A sorted CPU list as the kernel writes one: `0-3,6`. */
function cpuList(cpus: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < cpus.length; i++) {
    let j = i;
    while (j + 1 < cpus.length && cpus[j + 1] === cpus[j] + 1) j++;
    parts.push(j > i ? `${cpus[i]}-${cpus[j]}` : `${cpus[i]}`);
    i = j;
  }
  return parts.join(",");
}

/** The CPUs to open events on: `cpus` checked against the online ones, or all online CPUs. */
function traceCpus(cpus: readonly number[] | undefined): readonly number[] {
  const online = onlineCpus();
  if (cpus === undefined) return online;
  const list = online.length ? cpuList(online) : "none";
  if (cpus.length === 0) {
    throw new PerfError(`expected at least one CPU (online: ${list}), found none`);
  }
  const seen = new Set<number>();
  for (const cpu of cpus) {
    if (!online.includes(cpu)) {
      throw new PerfError(`expected an online CPU (${list}), found ${cpu}`);
    }
    if (seen.has(cpu)) throw new PerfError(`expected each CPU once, found ${cpu} twice`);
    seen.add(cpu);
  }
  return cpus;
}

/**
 * Live tracepoints: opened, enabled, read, closed. See the module example.
 *
 * @example
 * ```ts
 * import { Tracer } from "@bpfview/bpfview";
 * using t = Tracer.open(["syscalls:sys_enter_openat"], { pid: Deno.pid });
 * Deno.readTextFileSync("/etc/hostname");
 * t.drain((ev, s) => console.log(ev.event, s.tid, ev.decode(s).__syscall_nr));
 * ```
 */
export class Tracer {
  /** The traced events, in the order asked for. */
  readonly events: readonly TracedEvent[];
  /** The sample layout every ring's samples follow. */
  readonly layout: SampleLayout;
  readonly #perf: PerfEvent[];
  readonly #rings: PerfRing[];
  readonly #byId: (TracedEvent | undefined)[];
  readonly #sample = new PerfSample();
  #waiter: FdWaiter | undefined;
  #unknown = 0;
  readonly #idle: number;
  private constructor(
    events: TracedEvent[],
    layout: SampleLayout,
    perf: PerfEvent[],
    rings: PerfRing[],
    idle: number,
  ) {
    this.#idle = idle;
    this.events = events;
    this.layout = layout;
    this.#perf = perf;
    this.#rings = rings;
    this.#byId = [];
    for (const e of events) this.#byId[e.format.id] = e;
  }

  /**
   * Opens `patterns` (names and globs: `sched:sched_switch`,
   * `syscalls:sys_enter_*`; see {@link expandEvents}), maps the rings and
   * enables every event. Throws {@link PerfError} when a pattern matches
   * nothing or the kernel rejects the filter, and {@link FfiError} (with
   * the CAP_PERFMON / perf_event_paranoid sentence) when opening is not
   * allowed. Everything opened so far is closed on failure.
   */
  static open(patterns: readonly string[], options: TracerOptions = {}): Tracer {
    const dir = options.tracefs ?? tracefsRoot();
    const names = expandEvents(patterns, dir);
    const events = names.map((n) => {
      const f = readFormat(n.system, n.name, dir);
      return new TracedEvent(
        f,
        new TracepointDecoder(f, { btf: options.btf, schema: options.schema }),
      );
    });
    const sampleType = SampleType.TID | SampleType.TIME | SampleType.CPU | SampleType.RAW |
      (options.sampleType ?? 0);
    const layout = new SampleLayout({ sample_type: sampleType });
    const pages = options.pages ?? 64;
    const wakeup = ringWakeup(options, pages);
    // Where to open: one ring per CPU; with a pid, one event per thread on each CPU (the
    // kernel maps no ring of an inherited event that is not bound to a CPU), all of a CPU's
    // events writing into its ring.
    const tids = options.pid === undefined ? [-1] : threadsOf(options.pid);
    const perf: PerfEvent[] = [], rings: PerfRing[] = [];
    try {
      for (const cpu of traceCpus(options.cpus)) {
        let leader: PerfEvent | undefined;
        for (const pid of tids) {
          for (const e of events) {
            const ev = PerfEvent.open({
              type: PerfType.TRACEPOINT,
              config: e.format.id,
              sample_period: 1,
              sample_type: sampleType,
              disabled: true,
              // With a pid: threads and children started later are traced too.
              inherit: options.pid !== undefined,
              ...wakeup,
            }, { pid, cpu });
            perf.push(ev);
            if (options.filter !== undefined) {
              try {
                ev.setFilter(options.filter);
              } catch (err) {
                if (err instanceof PerfError) {
                  throw new PerfError(`${err.message} for ${e.event}`);
                }
                throw err;
              }
            }
            if (leader) ev.setOutput(leader);
            else {
              leader = ev;
              rings.push(new PerfRing(ev.fd, pages));
            }
          }
        }
      }
      for (const ev of perf) ev.enable();
    } catch (e) {
      for (const r of rings) r.close();
      for (const ev of perf) ev.close();
      throw e;
    }
    return new Tracer(events, layout, perf, rings, options.idle ?? 50);
  }

  /** The rings (one per CPU, or per thread). */
  get rings(): readonly PerfRing[] {
    return this.#rings;
  }

  /**
   * Reads what every ring holds, calling `fn` with each sample; returns how
   * many records were read. Allocates nothing per sample (the sample
   * object is reused).
   */
  drain(fn: TraceHandler): number {
    const layout = this.layout, s = this.#sample, byId = this.#byId;
    const SAMPLE = RecordType.SAMPLE; // a local: a module object's property is loaded per use
    let n = 0;
    for (const r of this.#rings) {
      try {
        for (let off = r.next(); off >= 0; off = r.after(off)) {
          n++;
          if (r.type !== SAMPLE) continue;
          const dv = r.view;
          layout.decode(dv, off, s);
          const ev = s.rawSize >= 2 ? byId[dv.getUint16(s.rawOffset, true)] : undefined;
          if (ev === undefined) {
            this.#unknown++;
            continue;
          }
          ev.samples++;
          fn(ev, s);
        }
      } finally {
        r.commit();
      }
    }
    return n;
  }

  /**
   * Drains, sleeps about a millisecond while data flows, and waits on the
   * epoll set of every ring when idle, without blocking Deno's event loop,
   * until `signal` aborts; then drains once more. `afterDrain` is called
   * after each drain that read something (to flush output). Returns the
   * records read.
   */
  async follow(
    fn: TraceHandler,
    options: { signal?: AbortSignal; afterDrain?: (records: number) => void } = {},
  ): Promise<number> {
    this.#waiter ??= new FdWaiter(this.#rings.map((r) => r.fd));
    const after = options.afterDrain;
    const drain = () => {
      const n = this.drain(fn);
      if (after && n) after(n);
      return n;
    };
    const total = await follow(this.#waiter, drain, { signal: options.signal, idle: this.#idle });
    return total + drain();
  }

  /** Stops every event (what is in the rings can still be drained). */
  disable(): void {
    for (const ev of this.#perf) if (ev.fd >= 0) ev.disable();
  }

  /** Counts so far. */
  stats(): TracerStats {
    let lost = 0, joined = 0;
    for (const r of this.#rings) (lost += r.stats.lost, joined += r.stats.joined);
    const byEvent: Record<string, number> = {};
    let samples = 0;
    for (const e of this.events) (byEvent[e.event] = e.samples, samples += e.samples);
    return { samples, lost, joined, byEvent, unknown: this.#unknown };
  }

  /** Disables and closes every event, unmaps every ring, closes the epoll set. Safe to call twice. */
  close(): void {
    this.#waiter?.close();
    this.#waiter = undefined;
    for (const r of this.#rings) r.close();
    for (const ev of this.#perf) ev.close();
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
