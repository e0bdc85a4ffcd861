/**
 * The BPF ring buffer (`BPF_MAP_TYPE_RINGBUF`) read in place: records are
 * decoded where the kernel wrote them, through one view rebound from record
 * to record, with nothing allocated per record.
 *
 * The map is mapped the way the kernel lays it out: the consumer page
 * (read-write) at offset 0, then the producer page followed by the data
 * area mapped twice in a row (read-only) at offset one page, so a record
 * that wraps past the end is still contiguous. One `ArrayBuffer` covers
 * each mapping, built once. Positions are read with `Atomics.load` and the
 * consumer position written with `Atomics.store` once per batch; each
 * record's length word is read with one aligned 32-bit load (a plain one on
 * x86-64, where every load has acquire ordering and `Atomics.load` would
 * cost ten times the record; `Atomics.load` elsewhere): BUSY (bit 31) stops
 * the drain (the producer has not committed it yet), DISCARD (bit 30) is
 * skipped; records are 8-byte aligned behind an 8-byte header.
 *
 * ```ts
 * import { bpfObjGet, loadBtf, RingBuffer } from "@bpfview/bpfview";
 * const fd = bpfObjGet("/sys/fs/bpf/events"); // any ring buffer map fd
 * using ring = RingBuffer.open(fd, { btf: loadBtf(), type: "event", ownFd: true });
 * await ring.follow((e) => console.log(e.pid, e.comm), {
 *   signal: AbortSignal.timeout(1000),
 * });
 * console.log(ring.stats);
 * ```
 *
 * @module
 */

import type { Btf } from "../btf/parse.ts";
import type { BpfObject } from "./object.ts";
import type { View, ViewClass, ViewOptions } from "../btf/view.ts";
import { bpfMapInfo, bpfMapLookup, possibleCpus } from "../ffi/bpf.ts";
import { libc } from "../ffi/libc.ts";
import { PerfError } from "./error.ts";
import { mmapShared } from "./shared_mmap.ts";
import { unmapKeepingViews } from "../ffi/unmap.ts";
import { FdWaiter, follow, type FollowOptions, Pacer } from "./wait.ts";

/** `BPF_MAP_TYPE_RINGBUF`. */
const RINGBUF = 27;
/** `BPF_MAP_TYPE_PERCPU_ARRAY`. */
const PERCPU_ARRAY = 6;
const BUSY = 0x80000000 | 0;
const DISCARD = 0x40000000;
const LEN_MASK = 0x3fffffff;
const HDR = 8;
/**
 * Whether a plain aligned 32-bit load already has acquire ordering (x86-64:
 * TSO), so the record header needs no `Atomics.load`. Such a load is
 * single-copy atomic, and V8 keeps typed-array loads in program order (they
 * are effects in its graph); `Atomics.load` costs ~30 ns here (measured in
 * this Deno's V8), ten times the whole per-record budget. Elsewhere
 * (aarch64) the header is read with `Atomics.load`.
 */
const TSO = Deno.build.arch === "x86_64";
/**
 * The name of the drop counter map of `perf/ringbuf.h`.
 *
 * @example
 * ```ts
 * import { LOST_MAP_NAME } from "@bpfview/bpfview";
 * console.log(LOST_MAP_NAME); // bpfview_lost
 * ```
 */
export const LOST_MAP_NAME = "bpfview_lost";

/**
 * What a ring has delivered so far.
 *
 * @example
 * ```ts
 * import type { RingStats } from "@bpfview/bpfview";
 * const show = (s: RingStats) => `${s.records} records, ${s.lost ?? "?"} lost`;
 * ```
 */
export interface RingStats {
  /** Records handed to a callback or iterator. */
  readonly records: number;
  /** Their payload bytes (headers and padding not counted). */
  readonly bytes: number;
  /** Records the producer discarded (`bpf_ringbuf_discard`), skipped. */
  readonly discarded: number;
  /**
   * Records the producer could not reserve, from the `bpfview_lost`
   * counter of `perf/ringbuf.h` (summed over CPUs, read now), or `null`
   * when the ring has no such counter: the kernel itself counts nothing.
   */
  readonly lost: number | null;
}

/**
 * Options of {@link RingBuffer.open}.
 *
 * @example
 * ```ts
 * import { loadBtf, type RingBufferOptions } from "@bpfview/bpfview";
 * const opts: RingBufferOptions = { btf: loadBtf(), type: "task_struct" };
 * ```
 */
export interface RingBufferOptions<T = Record<string, unknown>> {
  /**
   * The record type: a view class, or a struct/union name (or type id)
   * looked up in `btf`. A ring buffer map does not carry it.
   */
  type: string | number | ViewClass<T>;
  /** Where to look `type` up (the BPF object's BTF); needed unless `type` is a view class. */
  btf?: Btf;
  /** View options (64-bit integers as numbers, enum names, converters). */
  viewOptions?: ViewOptions;
  /** The fd of the object's `bpfview_lost` map (`perf/ringbuf.h`): makes `stats.lost` exact. */
  lostFd?: number;
  /** Close `fd` (and `lostFd`) when the ring closes. Default false. */
  ownFd?: boolean;
}

/** The record view class for `type`, with a clear error when BTF lacks it. */
function recordClass<T>(options: RingBufferOptions<T>): ViewClass<T> {
  const { type, btf } = options;
  if (typeof type === "function") return type;
  if (!btf) {
    throw new PerfError(
      `expected BTF to look up the record type ${String(type)} in, found none: pass btf`,
    );
  }
  if (typeof type === "string") {
    const bare = type.trim().replace(/^(struct|union)\s+/, "");
    if (btf.findIds(bare).length === 0) {
      throw new PerfError(
        `expected a type named "${bare}" in the BTF for the ring's records, found none: ` +
          `the compiler keeps only types the program uses in BTF; keep it with a global such as ` +
          `"struct ${bare} *unused_${bare} __attribute__((unused));"`,
      );
    }
  }
  return btf.view<T>(type, options.viewOptions);
}

/**
 * A BPF ring buffer map read in place. Open it over any ring buffer map
 * fd ({@link RingBuffer.open}); read with {@link RingBuffer.drain} (what is
 * there now), {@link RingBuffer.follow} (until aborted, waiting without
 * blocking the event loop) or {@link RingBuffer.batches} (an async
 * iterator). Several rings are followed together with {@link followRings}.
 *
 * The view passed to callbacks is one object rebound to each record: read
 * what you need during the call (or `toObject()` it); after the batch the
 * kernel reuses the memory.
 *
 * @example
 * ```ts
 * import { bpfObjGet, loadBtf, RingBuffer } from "@bpfview/bpfview";
 * const btf = loadBtf("prog.bpf.o");
 * using ring = RingBuffer.open(bpfObjGet("/sys/fs/bpf/events"), { btf, type: "event" });
 * let sum = 0;
 * const n = ring.drain((e) => sum += e.value as number);
 * console.log(n, sum, ring.stats);
 * ```
 */
export class RingBuffer<T = Record<string, unknown>> {
  /** The map's fd. */
  readonly fd: number;
  /** The map's name. */
  readonly name: string;
  /** The data area's size in bytes (`max_entries`). */
  readonly size: number;
  /** The record view class. */
  readonly type: ViewClass<T>;
  readonly #mask: number;
  readonly #page: number;
  readonly #minLen: number;
  readonly #lostFd: number;
  readonly #ownFd: boolean;
  #consPtr: Deno.PointerObject | null;
  #prodPtr: Deno.PointerObject | null;
  #consBuf: ArrayBuffer;
  #prodBuf: ArrayBuffer;
  /** The consumer position (written by us: the kernel reads it). */
  #cons64: BigUint64Array;
  /** The producer position's low word (written by the kernel). */
  #prod32: Uint32Array;
  /** The producer mapping as 32-bit words: record headers. */
  #words: Int32Array;
  #view: View<T>;
  /** Consumer position and counters, shared with the generated drain loop. */
  // The numbers that outgrow small integers (2^30) within a second or two
  // of a fast producer start as doubles: V8 keeps a field's representation
  // (small integer, then double) in the object's shape, and when a field
  // outgrows it, it deoptimizes every function compiled against that shape
  // (the drain loop included, mid-run: drops followed). The consumer
  // position's 0.5 is replaced in the constructor; the totals live in a
  // Float64Array, which has no representation to change.
  #s: DrainState = { cons: 0.5, count: 0, bytes: 0.5, discarded: 0, prev: -1, n: 0, step: 0 };
  /** Records, payload bytes and discarded records so far. */
  #totals = new Float64Array(3);
  #drain: DrainFn<T>;
  #closed = false;
  /** Waiters of follow() / batches() in flight: closing the ring closes them. */
  #followers = new Set<FdWaiter>();

  /**
   * Maps the ring buffer map behind `fd`. Throws {@link PerfError} if it is
   * not a ring buffer (or the record type is missing), {@link FfiError} if
   * a call fails. Needs `--allow-ffi` and the privilege to use the map.
   *
   * @example
   * ```ts
   * import { loadBtf, RingBuffer } from "@bpfview/bpfview";
   * declare const fd: number;
   * const ring = RingBuffer.open(fd, { btf: loadBtf("prog.bpf.o"), type: "event" });
   * ring.close();
   * ```
   */
  static open<T = Record<string, unknown>>(
    fd: number,
    options: RingBufferOptions<T>,
  ): RingBuffer<T> {
    return new RingBuffer(fd, options);
  }

  /**
   * The ring buffer map `mapName` of a loaded {@link BpfObject}, its
   * records typed from the object's BTF. When the object has the
   * `bpfview_lost` map of `perf/ringbuf.h`, `stats.lost` counts its drops.
   * The object keeps the fds: close the ring before the object.
   *
   * @example
   * ```ts
   * import { BpfObject, RingBuffer } from "@bpfview/bpfview";
   * using obj = BpfObject.open("prog.bpf.o").load();
   * obj.attachAll();
   * using ring = RingBuffer.fromObject(obj, "events", { type: "event" });
   * await ring.follow((e) => console.log(e.toJSON()), { signal: AbortSignal.timeout(1000) });
   * ```
   */
  static fromObject<T = Record<string, unknown>>(
    obj: BpfObject,
    mapName: string,
    options: Omit<RingBufferOptions<T>, "btf" | "lostFd" | "ownFd">,
  ): RingBuffer<T> {
    const map = obj.map(mapName);
    if (map.type !== RINGBUF) {
      throw new PerfError(
        `expected map '${mapName}' of object '${obj.name}' to be a ring buffer (BPF_MAP_TYPE_RINGBUF), found ${map.typeName}`,
      );
    }
    if (!obj.btf && typeof options.type !== "function") {
      throw new PerfError(
        `expected BTF in object '${obj.name}' to find the record type ${
          String(options.type)
        } in, found none: build it with clang -g`,
      );
    }
    // The counter of perf/ringbuf.h: a per-CPU array of one u64 (a map of
    // another shape under that name is not ours to read).
    const lost = obj.maps.find((m) =>
      m.name === LOST_MAP_NAME && m.type === PERCPU_ARRAY && m.valueSize === 8 && m.keySize === 4
    );
    return new RingBuffer<T>(map.fd, {
      ...options,
      btf: obj.btf,
      lostFd: lost ? lost.fd : undefined,
    });
  }

  /** Use {@link RingBuffer.open}. */
  constructor(fd: number, options: RingBufferOptions<T>) {
    if (!Number.isInteger(fd) || fd < 0) {
      throw new PerfError(`expected a ring buffer map fd, found ${String(fd)}`);
    }
    const info = bpfMapInfo(fd);
    if (info.type !== RINGBUF) {
      throw new PerfError(
        `expected a ring buffer map (type ${RINGBUF}, BPF_MAP_TYPE_RINGBUF) on fd ${fd}, ` +
          `found map "${info.name}" of type ${info.type}`,
      );
    }
    const size = info.maxEntries;
    if (size < 4096 || size > 0x40000000 || (size & (size - 1)) !== 0) {
      throw new PerfError(
        `expected a ring buffer size that is a power of 2 up to 1 GiB, found ${size} bytes`,
      );
    }
    this.type = recordClass(options);
    if (this.type.size > size - HDR) {
      throw new PerfError(
        `expected a record type that fits ring "${info.name}" (${
          size - HDR
        } bytes at most), found ${this.type.typeName} of ${this.type.size} bytes`,
      );
    }
    this.fd = fd;
    this.name = info.name;
    this.size = size;
    this.#mask = size - 1;
    this.#minLen = this.type.size;
    this.#lostFd = options.lostFd ?? -1;
    this.#ownFd = options.ownFd ?? false;
    const page = this.#page = libc().getpagesize();
    this.#consPtr = mmapShared(fd, page, true, 0, `the ring's consumer page (${page} bytes)`);
    try {
      this.#prodPtr = mmapShared(
        fd,
        page + 2 * size,
        false,
        page,
        `the ring's producer page and data (${page + 2 * size} bytes)`,
      );
    } catch (e) {
      libc().munmap(this.#consPtr, BigInt(page));
      throw e;
    }
    this.#consBuf = Deno.UnsafePointerView.getArrayBuffer(this.#consPtr, page);
    this.#prodBuf = Deno.UnsafePointerView.getArrayBuffer(this.#prodPtr, page + 2 * size);
    this.#cons64 = new BigUint64Array(this.#consBuf, 0, 1);
    this.#prod32 = new Uint32Array(this.#prodBuf, 0, 2);
    this.#words = new Int32Array(this.#prodBuf);
    this.#s.cons = Number(Atomics.load(this.#cons64, 0));
    this.#view = new this.type(this.#prodBuf, page, this.#minLen);
    this.#drain = drainLoop(
      this.#words,
      this.#prod32,
      this.#cons64,
      this.#view,
      this.#s,
      page,
      this.#mask,
      this.#minLen,
      (n, at) => this.#short(n, at),
    );
    // One call that reads nothing runs the function's exit path in the
    // interpreter, so V8 has seen its types before it compiles the loop
    // (a path first reached in optimized code deoptimizes it).
    this.#drain(() => {}, 0, 0x7fffffff);
  }

  /** Whether {@link close} has run. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes written by the producer and not yet consumed (committed or not). */
  get pending(): number {
    this.#open();
    return (Atomics.load(this.#prod32, 0) - this.#s.cons) >>> 0;
  }

  /** How full the ring is, 0 (empty) to 1 (full): {@link pending} over {@link size}. */
  get fill(): number {
    return this.pending / this.size;
  }

  /** Records, bytes, discarded and lost so far (see {@link RingStats}). */
  get stats(): RingStats {
    return {
      records: this.#totals[0],
      bytes: this.#totals[1],
      discarded: this.#totals[2],
      lost: this.#lostFd < 0 ? null : readLost(this.#lostFd),
    };
  }

  /**
   * Calls `fn` with the view rebound to each committed record, in order,
   * until the ring is empty, a record is still BUSY, or `max` records were
   * read; discarded records are skipped. The consumer position is
   * committed once per batch (and when `fn` throws, past the record it
   * threw on). Returns how many records `fn` saw. A record shorter than the
   * type is consumed, then reported as a {@link PerfError} with both sizes.
   *
   * @example
   * ```ts
   * import { type RingBuffer } from "@bpfview/bpfview";
   * declare const ring: RingBuffer<{ pid: number }>;
   * const n = ring.drain((e) => console.log(e.pid), 100);
   * ```
   */
  drain(fn: (record: View<T>) => void, max: number = 0x7fffffff): number {
    return this.#run(fn, max, 0x7fffffff);
  }

  /**
   * @internal One pass of {@link drain}: the records there when it starts
   * (what a follower reads between two pauses: a drain that also took what
   * arrived meanwhile could chase a producer as fast as it for as long as
   * the producer runs, holding up the event loop all that time).
   */
  _drainOnce(fn: (record: View<T>) => void): number {
    return this.#run(fn, 0x7fffffff, 1);
  }

  #run(fn: (record: View<T>) => void, max: number, passes: number): number {
    this.#open();
    const s = this.#s;
    try {
      return this.#drain(fn, max, passes);
    } finally {
      const t = this.#totals;
      t[0] += s.count;
      t[1] += s.bytes;
      t[2] += s.discarded;
    }
  }

  /**
   * Reads records until `signal` aborts (see {@link follow}: drain, sleep
   * about 1 ms while data flows, or only yield to the event loop while the
   * ring fills too fast for that, wait on epoll when idle; Deno's event
   * loop keeps running), then drains once more. Resolves to the number of
   * records `fn` saw.
   *
   * @example
   * ```ts
   * import { type RingBuffer } from "@bpfview/bpfview";
   * declare const ring: RingBuffer<{ pid: number }>;
   * await ring.follow((e) => console.log(e.pid), { signal: AbortSignal.timeout(2000) });
   * ```
   */
  follow(fn: (record: View<T>) => void, options: FollowOptions = {}): Promise<number> {
    return followRings([[this, fn]], options);
  }

  /**
   * An async iterator of batches: each batch iterates over the records
   * there when it was made (one view, rebound per record), and commits
   * them when the loop over it ends. Between batches it sleeps about 1 ms
   * while data flows and waits on epoll when idle, until `signal` aborts.
   *
   * @example
   * ```ts
   * import { type RingBuffer } from "@bpfview/bpfview";
   * declare const ring: RingBuffer<{ pid: number }>;
   * for await (const batch of ring.batches({ signal: AbortSignal.timeout(1000) })) {
   *   for (const e of batch) console.log(e.pid);
   * }
   * ```
   */
  async *batches(options: FollowOptions = {}): AsyncGenerator<Iterable<View<T>>, void, void> {
    const { signal, sleep = 1 } = options;
    using waiter = new FdWaiter([this.fd]);
    using _ = { [Symbol.dispose]: this._follow(waiter) };
    const batch = new RingBatch(this);
    const pacer = new Pacer(sleep);
    while (!signal?.aborted && !this.#closed) {
      pacer.start();
      const fill = this.fill;
      if (fill === 0) {
        await waiter.wait({ signal });
        pacer.idle();
        continue;
      }
      yield batch;
      if (batch.read === 0) await waiter.wait({ signal, timeout: sleep });
      else await pacer.pause(fill);
    }
  }

  /**
   * Unmaps the ring (zero pages take its place until its buffers are
   * collected, so the view and any typed array or DataView kept over it
   * read zeros, never freed memory; the buffers are not detached, which
   * would slow every typed array and DataView read of the process) and,
   * with `ownFd`, closes the fds. Safe to call twice.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of this.#followers) w.close(); // ends a follow() or batches() in flight
    this.#followers.clear();
    const c = libc();
    if (this.#consPtr) unmapKeepingViews(this.#consPtr, this.#page, this.#consBuf);
    if (this.#prodPtr) {
      unmapKeepingViews(this.#prodPtr, this.#page + 2 * this.size, this.#prodBuf);
    }
    this.#consPtr = this.#prodPtr = null;
    if (this.#ownFd) {
      c.close(this.fd);
      if (this.#lostFd >= 0) c.close(this.#lostFd);
    }
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** @internal One step of a {@link RingBatch}: the next record's view, or null. */
  _next(end: number, batch: RingBatch<T>): View<T> | null {
    this.#open();
    const words = this.#words, s = this.#s;
    let cons = s.cons;
    while (cons < end) {
      const at = this.#page + (cons & this.#mask);
      const len = TSO ? words[at >> 2] : Atomics.load(words, at >> 2);
      if ((len & BUSY) !== 0) break;
      const n = len & LEN_MASK;
      cons += (n + HDR + 7) & ~7;
      s.cons = cons;
      if ((len & DISCARD) !== 0) {
        this.#totals[2]++;
        continue;
      }
      if (n < this.#minLen) {
        this.#commit(cons);
        this.#short(n, cons);
      }
      this.#totals[0]++;
      this.#totals[1] += n;
      batch.read++;
      return this.#view.rebind(at + HDR, n);
    }
    this.#commit(cons);
    return null;
  }

  /** @internal Closes `waiter` when this ring closes (until the returned function is called). */
  _follow(waiter: FdWaiter): () => void {
    if (this.#closed) waiter.close();
    else this.#followers.add(waiter);
    return () => this.#followers.delete(waiter);
  }

  /** @internal The producer position now, as an end for {@link RingBatch}. */
  _end(): number {
    this.#open();
    const cons = this.#s.cons;
    return cons + ((Atomics.load(this.#prod32, 0) - cons) >>> 0);
  }

  /** @internal Commits the consumer position (release). */
  _commit(): void {
    if (!this.#closed) this.#commit(this.#s.cons);
  }

  #commit(cons: number): void {
    this.#s.cons = cons;
    if (!this.#closed) Atomics.store(this.#cons64, 0, BigInt(cons));
  }

  #short(n: number, cons: number): never {
    throw new PerfError(
      `expected a record of at least ${this.#minLen} bytes (${this.type.typeName}) in ring ` +
        `"${this.name}", found ${n} bytes`,
      cons - ((n + HDR + 7) & ~7),
    );
  }

  #open(): void {
    if (this.#closed) {
      throw new PerfError(`expected an open ring buffer, found "${this.name}" closed`);
    }
  }
}

interface DrainState {
  /** The consumer position. */
  cons: number;
  /** What the last drain call read: records, their payload bytes, records discarded. */
  count: number;
  bytes: number;
  discarded: number;
  /** The last good record header (-1: none yet), its payload length and its step. */
  prev: number;
  n: number;
  step: number;
}

type DrainFn<T> = (fn: (record: View<T>) => void, max: number, passes: number) => number;

/**
 * The drain loop of one ring, generated with the ring's page size, mask and
 * minimum record length as literals (only numbers reach the source) and its
 * arrays and view as constants of the closure: V8 then compiles the loop as
 * tightly as one written for that ring (~0.5 ns per record less than
 * reading them from parameters or fields, measured).
 *
 * Per record: the header is loaded (see {@link TSO}); while records keep
 * the same header as the last good one, the next position is `cons +
 * step`, computed without waiting for the load (a predicted branch rather
 * than a data dependency), so successive records' loads overlap. A new
 * header takes the slow path: BUSY stops, DISCARD is skipped, a record
 * shorter than the type is consumed and reported. The consumer position is
 * stored (release) once per batch and when the loop ends or `fn` throws.
 */
function drainLoop<T>(
  words: Int32Array,
  prod32: Uint32Array,
  cons64: BigUint64Array,
  view: View<T>,
  state: DrainState,
  page: number,
  mask: number,
  minLen: number,
  short: (n: number, at: number) => never,
): DrainFn<T> {
  const num = (x: number) => {
    if (!Number.isSafeInteger(x)) throw new Error(`internal: non-integer ${x} in the drain loop`);
    return String(x);
  };
  const load = TSO ? "W[at >> 2]" : "Atomics.load(W, at >> 2)";
  const src = `"use strict";
return function drain(fn, max, passes) {
  // cons is the consumer position plus 0.5: the position passes 2^30 within
  // a second at full speed, and arithmetic V8 has seen on small integers
  // deoptimizes the whole function (loop included, back to the interpreter
  // for hundreds of ms) the first time it overflows them; a value that is
  // never an integer is compiled as a double from the start. The loop
  // itself counts from c0 = position & mask (c stays below 2^31: rings are
  // at most 1 GiB).
  // bytes: the payload of the records before the last header change; those
  // since (count - mark of them) all have length n.
  // prev, n, step: the last good header, its length and step, kept from the
  // last drain, so a steady stream never takes the slow path (a branch that
  // never runs costs nothing; one taken once per call slows every record).
  let cons = S.cons + 0.5, c0 = 0, c = 0, count = 0, bytes = 0, mark = 0, discarded = 0;
  let prev = S.prev, n = S.n, step = S.step, pass = 0;
  try {
    while (count < max) {
      // Commit what the last batch read (nothing on the first pass, which
      // runs this in the interpreter: no path is first reached after the loop).
      cons += c - c0;
      c0 = c;
      Atomics.store(C, 0, BigInt(cons - 0.5));
      // passes: how many times to look for what the producer wrote since.
      if (pass === passes) break;
      pass++;
      const avail = (Atomics.load(P, 0) - cons + 0.5) >>> 0;
      if (avail === 0) break;
      c0 = c = cons & ${num(mask)};
      const end = c + avail;
      while (c < end && count < max) {
        const at = ${num(page)} + (c & ${num(mask)});
        const len = ${load};
        if (len !== prev) {
          if ((len & ${num(BUSY)}) !== 0) return count;
          const m = len & ${num(LEN_MASK)};
          if ((len & ${num(DISCARD)}) !== 0) {
            c += (m + ${num(HDR + 7)}) & ~7;
            discarded++;
            continue;
          }
          if (m < ${num(minLen)}) {
            c += (m + ${num(HDR + 7)}) & ~7;
            SHORT(m, cons - 0.5 + (c - c0));
          }
          bytes += n * (count - mark);
          mark = count;
          prev = len;
          n = m;
          step = (m + ${num(HDR + 7)}) & ~7;
        }
        c += step;
        V.rebind(at + ${num(HDR)}, n);
        count++;
        fn(V);
      }
    }
    return count;
  } finally {
    cons += c - c0;
    S.cons = cons - 0.5;
    Atomics.store(C, 0, BigInt(cons - 0.5));
    S.count = count;
    S.bytes = bytes + n * (count - mark);
    S.discarded = discarded;
    S.prev = prev;
    S.n = n;
    S.step = step;
  }
};`;
  return new Function("W", "P", "C", "V", "S", "SHORT", src)(
    words,
    prod32,
    cons64,
    view,
    state,
    short,
  ) as DrainFn<T>;
}

/** One batch of {@link RingBuffer.batches}: iterates, then commits. */
class RingBatch<T> implements Iterable<View<T>>, Iterator<View<T>> {
  read = 0;
  #ring: RingBuffer<T>;
  #end = 0;
  #result: IteratorResult<View<T>> = { done: false, value: undefined as unknown as View<T> };
  #done: IteratorResult<View<T>> = { done: true, value: undefined };

  constructor(ring: RingBuffer<T>) {
    this.#ring = ring;
  }

  [Symbol.iterator](): Iterator<View<T>> {
    this.read = 0;
    this.#end = this.#ring._end();
    return this;
  }

  next(): IteratorResult<View<T>> {
    const v = this.#ring._next(this.#end, this);
    if (v === null) return this.#done;
    (this.#result as { value: View<T> }).value = v;
    return this.#result;
  }

  return(): IteratorResult<View<T>> {
    this.#ring._commit();
    return this.#done;
  }
}

const lostKey = new Uint8Array(4);
let lostValue = new Uint8Array(0);

/** The sum over CPUs of the per-CPU u64 at key 0 of the map behind `fd`. */
function readLost(fd: number): number {
  const cpus = possibleCpus();
  if (lostValue.length !== cpus * 8) lostValue = new Uint8Array(cpus * 8);
  if (!bpfMapLookup(fd, lostKey, lostValue)) return 0;
  const dv = new DataView(lostValue.buffer);
  let sum = 0n;
  for (let i = 0; i < cpus; i++) sum += dv.getBigUint64(i * 8, true);
  return Number(sum);
}

/**
 * Follows several rings on one epoll set: each gets its own callback;
 * drains all, pauses while data flows (about 1 ms, or only the event
 * loop's turn while the fullest ring fills too fast for that: see
 * {@link Pacer}), waits when idle, until
 * `signal` aborts or one of the rings is closed; then drains the open
 * ones once more. Resolves to the records seen.
 *
 * @example
 * ```ts
 * import { followRings, type RingBuffer } from "@bpfview/bpfview";
 * declare const execs: RingBuffer<{ pid: number }>;
 * declare const exits: RingBuffer<{ pid: number; code: number }>;
 * await followRings([
 *   [execs, (e) => console.log("exec", e.pid)],
 *   [exits, (e) => console.log("exit", e.pid, e.code)],
 * ], { signal: AbortSignal.timeout(5000) });
 * ```
 */
export async function followRings(
  // deno-lint-ignore no-explicit-any
  rings: readonly (readonly [RingBuffer<any>, (record: View<any>) => void])[],
  options: FollowOptions = {},
): Promise<number> {
  using waiter = new FdWaiter(rings.map(([r]) => r.fd));
  const unfollow = rings.map(([r]) => r._follow(waiter));
  // A ring closed meanwhile closes the waiter (ending the loop) and is skipped.
  const drainAll = () => {
    let n = 0;
    for (const [r, fn] of rings) if (!r.closed) n += r._drainOnce(fn);
    return n;
  };
  // The fullest ring sets the pace (Pacer): read before each drain.
  const fillMax = () => {
    let f = 0;
    for (const [r] of rings) if (!r.closed) f = Math.max(f, r.fill);
    return f;
  };
  try {
    const total = await follow(waiter, drainAll, { ...options, fill: options.fill ?? fillMax });
    return total + drainAll();
  } finally {
    for (const f of unfollow) f();
  }
}
