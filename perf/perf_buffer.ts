/**
 * Records from a `BPF_MAP_TYPE_PERF_EVENT_ARRAY` map (what
 * `bpf_perf_event_output` writes, as libbpf's `perf_buffer` reads it): one
 * `PERF_COUNT_SW_BPF_OUTPUT` event per CPU, its fd stored in the map under
 * the CPU's index, its perf ring mapped once; each record's raw payload is
 * handed out where the kernel wrote it.
 *
 * The events wake a waiting reader by watermark (a quarter of a ring by
 * default), not per record as libbpf's `perf_buffer` does: one interrupt
 * per record costs the kernel dearly at high rates. A reader that waits
 * ({@link PerfBuffer.follow}, or `follow` with `idle:`
 * {@link PerfBuffer.idle}) drains anyway after an idle while, so a few
 * records below the watermark do not sit unread; `wakeupEvents: 1` gives
 * the per-record wakeup back.
 *
 * @module
 */

import { FfiError } from "../ffi/error.ts";
import { PerfSwConfig, PerfType, SampleType } from "./attr.ts";
import { onlineCpus, PerfEvent } from "./event.ts";
import { type BpfMap, MapType } from "./map.ts";
import { PerfRing, ringWakeup } from "./perf_ring.ts";
import { RecordType } from "./records.ts";
import { FdWaiter, follow } from "./wait.ts";

/**
 * Called with each record's payload: `dv` holds it at `offset`, `size`
 * bytes long (the size the program gave, rounded up to keep the sample
 * 8-byte aligned), written on CPU `cpu`. `dv` belongs to the ring: read
 * the payload before returning.
 *
 * @example
 * ```ts
 * import type { PerfBufferHandler } from "@bpfview/bpfview";
 * const onRecord: PerfBufferHandler = (dv, offset, size, cpu) => {
 *   console.log(cpu, size, dv.getUint32(offset, true));
 * };
 * ```
 */
export type PerfBufferHandler = (dv: DataView, offset: number, size: number, cpu: number) => void;

/**
 * Options of {@link PerfBuffer}.
 *
 * @example
 * ```ts
 * import type { PerfBufferOptions } from "@bpfview/bpfview";
 * const opts: PerfBufferOptions = { pages: 16, watermark: 4096, idle: 20 };
 * ```
 */
export interface PerfBufferOptions {
  /** Data pages per CPU ring, a power of two (default 8). */
  pages?: number;
  /** CPUs to read (default: every online CPU below the map's max_entries). */
  cpus?: readonly number[];
  /**
   * Wake a waiting reader every this many records (1: per record, as
   * libbpf's `perf_buffer` does) instead of by watermark. Each wakeup costs
   * the kernel an interrupt: at high rates prefer the default.
   */
  wakeupEvents?: number;
  /** Wake a waiting reader when this many bytes are waiting in a ring (default: a quarter of it). */
  watermark?: number;
  /**
   * Milliseconds {@link PerfBuffer.follow} waits at most while idle before
   * draining anyway (default 50), so records below the watermark are not
   * held back; -1 waits for wakeups only. Also {@link PerfBuffer.idle}, for
   * a `follow` loop of one's own.
   */
  idle?: number;
}

/**
 * Counts of a {@link PerfBuffer}.
 *
 * @example
 * ```ts
 * import type { PerfBufferStats } from "@bpfview/bpfview";
 * const show = (s: PerfBufferStats) => `${s.records} records, ${s.lost} lost`;
 * ```
 */
export interface PerfBufferStats {
  /** Payloads handed out. */
  readonly records: number;
  /** Samples the kernel dropped because a ring was full. */
  readonly lost: number;
}

/**
 * The rings of a perf event array map of a loaded object. Close it (or
 * `using`) before the object: that clears the map's slots, unmaps the
 * rings and closes the events.
 *
 * @example
 * ```ts
 * import { BpfObject, FdWaiter, follow, PerfBuffer } from "@bpfview/bpfview";
 * using obj = BpfObject.open("prog.bpf.o").load();
 * obj.attachAll();
 * using buf = new PerfBuffer(obj.map("events"));
 * const Event = obj.btf!.view("event");
 * await buf.follow((dv, offset, size) => console.log(new Event(dv, offset, size).pid), {
 *   signal: AbortSignal.timeout(1000),
 * });
 * // Or a loop of one's own: pass the idle drain on.
 * using waiter = new FdWaiter(buf.fds);
 * await follow(waiter, () => buf.drain(() => {}), {
 *   signal: AbortSignal.timeout(1000),
 *   idle: buf.idle,
 * });
 * ```
 */
export class PerfBuffer {
  /** The map read. */
  readonly map: BpfMap;
  /**
   * Milliseconds a waiting reader should wait at most before draining
   * anyway (`follow`'s `idle`), so records below the watermark are read:
   * the `idle` option, 50 by default, -1 with per-record wakeups unless set.
   */
  readonly idle: number;
  #waiter?: FdWaiter;
  #events: PerfEvent[] = [];
  #rings: PerfRing[] = [];
  #cpus: number[] = [];
  #records = 0;

  /**
   * Opens one BPF output event and ring per CPU and stores each event's fd
   * in the map. Throws {@link FfiError} for a map of another type, or
   * what opening the events or mapping the rings says.
   */
  constructor(map: BpfMap, options: PerfBufferOptions = {}) {
    if (map.type !== MapType.PERF_EVENT_ARRAY) {
      throw new FfiError(
        `expected a perf_event_array map, found ${map.typeName} map '${map.name}'`,
      );
    }
    this.map = map;
    const max = map.maxEntries;
    const cpus = options.cpus ?? onlineCpus().filter((c) => c < max);
    const pages = options.pages ?? 8;
    const wakeup = ringWakeup(options, pages);
    this.idle = options.idle ?? (wakeup.watermark ? 50 : -1);
    try {
      for (const cpu of cpus) {
        const ev = PerfEvent.open({
          type: PerfType.SOFTWARE,
          config: PerfSwConfig.BPF_OUTPUT,
          sample_type: SampleType.RAW,
          sample_period: 1,
          ...wakeup,
        }, { pid: -1, cpu });
        this.#events.push(ev);
        this.#rings.push(new PerfRing(ev.fd, pages));
        this.#cpus.push(cpu);
        map.update(cpu, ev.fd);
      }
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** The events' fds, to wait on (e.g. with `FdWaiter`). */
  get fds(): number[] {
    return this.#events.map((e) => e.fd);
  }

  /** Counts so far. */
  get stats(): PerfBufferStats {
    let lost = 0;
    for (const r of this.#rings) lost += r.stats.lost;
    return { records: this.#records, lost };
  }

  /**
   * Hands every payload written so far (up to `max` of them) to `fn`, ring
   * by ring, freeing their space; returns how many. If `fn` throws, the
   * records read until then are freed and counted, and the error passes on.
   */
  drain(fn: PerfBufferHandler, max = Infinity): number {
    let n = 0;
    const rings = this.#rings, cpus = this.#cpus;
    const SAMPLE = RecordType.SAMPLE; // a local: a module object's property is loaded per use
    for (let i = 0; i < rings.length && n < max; i++) {
      // The ring's cursor, read inline: no callback made per call.
      const ring = rings[i], cpu = cpus[i], from = n;
      ring.rewind();
      try {
        for (let off = n < max ? ring.next() : -1; off >= 0; off = n < max ? ring.after(off) : -1) {
          if (ring.type !== SAMPLE) continue; // LOST: counted by the ring
          // PERF_SAMPLE_RAW alone: the header, then u32 size and the payload.
          const dv = ring.view;
          fn(dv, off + 12, dv.getUint32(off + 8, true), cpu);
          n++;
        }
      } finally {
        ring.commit(); // frees what was read, also when fn threw
        this.#records += n - from;
      }
    }
    return n;
  }

  /**
   * Drains, sleeps about a millisecond while records flow, and waits on
   * every ring when idle (at most {@link PerfBuffer.idle} ms, then drains
   * anyway), without blocking Deno's event loop, until `signal` aborts or
   * the buffer is closed; then drains once more. Returns the records read.
   *
   * @example
   * ```ts
   * import { BpfObject, PerfBuffer } from "@bpfview/bpfview";
   * using obj = BpfObject.open("prog.bpf.o").load();
   * obj.attachAll();
   * using buf = new PerfBuffer(obj.map("events"));
   * const n = await buf.follow((dv, offset, size, cpu) => console.log(cpu, size), {
   *   signal: AbortSignal.timeout(1000),
   * });
   * ```
   */
  async follow(fn: PerfBufferHandler, options: { signal?: AbortSignal } = {}): Promise<number> {
    this.#waiter ??= new FdWaiter(this.fds);
    const drain = () => this.drain(fn);
    const total = await follow(this.#waiter, drain, { signal: options.signal, idle: this.idle });
    return this.#rings.length ? total + drain() : total;
  }

  /** Clears the map's slots (while its object is open), unmaps the rings, closes the events. */
  close(): void {
    this.#waiter?.close();
    this.#waiter = undefined;
    for (const cpu of this.#cpus) {
      try {
        this.map.delete(cpu);
      } catch { /* the object is closed: its map went with it */ }
    }
    for (const r of this.#rings) r.close();
    for (const e of this.#events) e.close();
    this.#rings = [];
    this.#events = [];
    this.#cpus = [];
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
