/**
 * Waiting for many file descriptors (BPF ring buffers, perf rings) at once
 * without blocking Deno's event loop.
 *
 * {@link FdWaiter} is an epoll set. Its {@link FdWaiter.wait} runs
 * `epoll_wait` on one of Deno's blocking threads (an FFI symbol marked
 * `nonblocking`), so timers and other I/O keep running while it waits; an
 * eventfd in the set wakes that thread when the wait is aborted or the
 * waiter closed, so nothing is left blocked behind.
 *
 * {@link follow} is the consumer loop that keeps up with a fast producer:
 * drain, and while draining finds data, sleep about a millisecond and drain
 * again (one wake-up per millisecond, whatever the event rate: this kept
 * pace with a BPF producer at ~40 M events/s, where waking on every epoll
 * notification topped out near 5-7 M/s), or pause shorter while the source
 * fills too fast for a timer ({@link Pacer}); when a drain
 * finds nothing, wait on the epoll set until some descriptor is readable.
 *
 * ```ts
 * import { FdWaiter, follow } from "@bpfview/bpfview";
 * declare const fds: number[]; // ring buffer map fds, perf event fds...
 * declare function drainAll(): number; // reads what is there, returns how much
 * using waiter = new FdWaiter(fds);
 * const stop = new AbortController();
 * Deno.addSignalListener("SIGINT", () => stop.abort());
 * await follow(waiter, drainAll, { signal: stop.signal });
 * drainAll(); // what arrived after the last drain
 * ```
 *
 * @module
 */

import { FfiError } from "../ffi/error.ts";
import { errno, errnoText, libc } from "../ffi/libc.ts";
import { PerfError } from "./error.ts";

const EPOLL_CLOEXEC = 0o2000000;
const EPOLL_CTL_ADD = 1;
const EPOLL_CTL_DEL = 2;
const EFD_NONBLOCK = 0o4000;
const EFD_CLOEXEC = 0o2000000;
/** `EPOLLIN`: the default events of {@link FdWaiter.add}. */
const EPOLLIN = 1;
/** `struct epoll_event` is packed on x86-64 (12 bytes), naturally aligned elsewhere (16). */
const EVENT_SIZE = Deno.build.arch === "x86_64" ? 12 : 16;
const DATA_OFF = Deno.build.arch === "x86_64" ? 4 : 8;
/** Most events one `epoll_wait` returns. */
const MAX_EVENTS = 256;

/**
 * Options of {@link FdWaiter.wait}.
 *
 * @example
 * ```ts
 * import type { WaitOptions } from "@bpfview/bpfview";
 * const opts: WaitOptions = { timeout: 100, signal: AbortSignal.timeout(1000) };
 * ```
 */
export interface WaitOptions {
  /** Ends the wait early (the promise then resolves to 0). */
  signal?: AbortSignal;
  /** Milliseconds to wait at most; -1 (default) waits until ready, woken or aborted. */
  timeout?: number;
}

/**
 * An epoll set over any file descriptors, waited on without blocking
 * Deno's event loop. The waiter never closes the descriptors it watches;
 * closing it closes only its own epoll fd and eventfd (after a wait in
 * flight has returned: {@link FdWaiter.close} wakes it first).
 *
 * Readiness is level-triggered: a descriptor with unread data makes every
 * wait return at once, so draining after a wait never misses data that
 * arrived in between.
 *
 * @example
 * ```ts
 * import { FdWaiter } from "@bpfview/bpfview";
 * declare const ringFd: number;
 * using waiter = new FdWaiter([ringFd]);
 * const n = await waiter.wait({ timeout: 1000 }); // timers keep running meanwhile
 * for (let i = 0; i < n; i++) console.log("readable:", waiter.readyFd(i));
 * ```
 */
export class FdWaiter {
  #ep = -1;
  #ev = -1;
  #fds = new Set<number>();
  /** Events buffer of the blocking wait (owned by the FFI thread while a wait runs). */
  #waitBuf = new Uint8Array(EVENT_SIZE * MAX_EVENTS);
  /** Events buffer of {@link poll}. */
  #pollBuf = new Uint8Array(EVENT_SIZE * MAX_EVENTS);
  #ctlBuf = new Uint8Array(16);
  #word = new BigUint64Array(1);
  #ready = new Int32Array(MAX_EVENTS);
  #readyCount = 0;
  #inFlight = false;
  #closed = false;

  /**
   * Makes an epoll set (and its wake-up eventfd) watching `fds` for input.
   * Needs `--allow-ffi`.
   */
  constructor(fds: Iterable<number> = []) {
    const c = libc();
    const ep = c.epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
      const e = errno();
      throw new FfiError(`expected epoll_create1 to make an epoll fd, found ${errnoText(e)}`, e);
    }
    const ev = c.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (ev < 0) {
      const e = errno();
      c.close(ep);
      throw new FfiError(`expected eventfd to make an eventfd, found ${errnoText(e)}`, e);
    }
    this.#ep = ep;
    this.#ev = ev;
    try {
      this.#ctl(EPOLL_CTL_ADD, ev, EPOLLIN);
      for (const fd of fds) this.add(fd);
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** Whether {@link close} has run. */
  get closed(): boolean {
    return this.#closed;
  }

  /** How many descriptors are watched. */
  get size(): number {
    return this.#fds.size;
  }

  /** Whether `fd` is watched. */
  has(fd: number): boolean {
    return this.#fds.has(fd);
  }

  /**
   * Watches `fd` for `events` (default `EPOLLIN`, 1). Throws
   * {@link FfiError} if the kernel refuses it (a closed fd, a regular file).
   */
  add(fd: number, events: number = EPOLLIN): this {
    this.#open();
    if (!Number.isInteger(fd) || fd < 0 || fd > 0x7fffffff) {
      throw new PerfError(`expected a file descriptor to wait on, found ${String(fd)}`);
    }
    if (this.#fds.has(fd)) return this;
    this.#ctl(EPOLL_CTL_ADD, fd, events);
    this.#fds.add(fd);
    return this;
  }

  /** Stops watching `fd` (before the caller closes it). Returns whether it was watched. */
  delete(fd: number): boolean {
    if (this.#closed || !this.#fds.delete(fd)) return false;
    // A descriptor closed already has left the set by itself: ignore errors.
    this.#ctlBuf.fill(0);
    libc().epoll_ctl(this.#ep, EPOLL_CTL_DEL, fd, this.#ctlBuf);
    return true;
  }

  /**
   * Checks readiness without waiting (`epoll_wait` with timeout 0, on this
   * thread). Returns how many watched descriptors are ready; read them with
   * {@link readyFd}.
   */
  poll(): number {
    this.#open();
    const n = libc().epoll_wait(this.#ep, this.#pollBuf, MAX_EVENTS, 0);
    if (n < 0) {
      const e = errno();
      if (e === 4) return this.#readyCount = 0; // EINTR
      throw new FfiError(`expected epoll_wait to succeed, found ${errnoText(e)}`, e);
    }
    return this.#collect(this.#pollBuf, n);
  }

  /**
   * Waits until a watched descriptor is ready, the timeout passes, the
   * signal aborts, {@link wake} is called or the waiter is closed. The
   * `epoll_wait` runs on a Deno blocking thread: the event loop keeps
   * running. Resolves to how many descriptors are ready (0 for a timeout,
   * wake, abort, close or an interrupted wait); read them with
   * {@link readyFd}. One wait at a time: a second concurrent wait throws
   * {@link PerfError}.
   */
  async wait(options: WaitOptions = {}): Promise<number> {
    this.#open();
    const { signal, timeout = -1 } = options;
    if (this.#inFlight) {
      throw new PerfError("expected one wait at a time on an FdWaiter, found a second one");
    }
    if (!Number.isInteger(timeout) || timeout < -1 || timeout > 0x7fffffff) {
      throw new PerfError(`expected a timeout in ms (or -1), found ${String(timeout)}`);
    }
    if (signal?.aborted) return this.#readyCount = 0;
    const onAbort = () => this.wake();
    signal?.addEventListener("abort", onAbort, { once: true });
    this.#inFlight = true;
    let n: number;
    try {
      n = await libc().epoll_wait_blocking(this.#ep, this.#waitBuf, MAX_EVENTS, timeout);
    } finally {
      this.#inFlight = false;
      signal?.removeEventListener("abort", onAbort);
      if (this.#closed) this.#release();
    }
    // A negative result is EINTR in practice (its errno is another thread's).
    if (n < 0 || this.#closed) return this.#readyCount = 0;
    return this.#collect(this.#waitBuf, n);
  }

  /** The `i`th ready descriptor of the last {@link wait} or {@link poll}. */
  readyFd(i: number): number {
    return i >= 0 && i < this.#readyCount ? this.#ready[i] : -1;
  }

  /** Makes a wait in flight (or the next one) return at once. */
  wake(): void {
    if (this.#ev < 0) return;
    this.#word[0] = 1n;
    libc().write(this.#ev, new Uint8Array(this.#word.buffer), 8n);
  }

  /**
   * Closes the epoll fd and eventfd (not the watched descriptors). A wait
   * in flight is woken and resolves to 0; the fds are closed as it returns.
   * Safe to call twice.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#fds.clear();
    if (this.#inFlight) this.wake();
    else this.#release();
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  #release(): void {
    const c = libc();
    if (this.#ep >= 0) c.close(this.#ep);
    if (this.#ev >= 0) c.close(this.#ev);
    this.#ep = this.#ev = -1;
  }

  #open(): void {
    if (this.#closed) throw new PerfError("expected an open FdWaiter, found it closed");
  }

  #ctl(op: number, fd: number, events: number): void {
    const dv = new DataView(this.#ctlBuf.buffer);
    this.#ctlBuf.fill(0);
    dv.setUint32(0, events, true);
    dv.setUint32(DATA_OFF, fd, true);
    if (libc().epoll_ctl(this.#ep, op, fd, this.#ctlBuf) !== 0) {
      const e = errno();
      throw new FfiError(`expected epoll_ctl to watch fd ${fd}, found ${errnoText(e)}`, e);
    }
  }

  #collect(buf: Uint8Array, n: number): number {
    const dv = new DataView(buf.buffer);
    let k = 0;
    for (let i = 0; i < n; i++) {
      const fd = dv.getInt32(i * EVENT_SIZE + DATA_OFF, true);
      if (fd === this.#ev) {
        libc().read(this.#ev, new Uint8Array(this.#word.buffer), 8n); // reset the counter
        continue;
      }
      this.#ready[k++] = fd;
    }
    return this.#readyCount = k;
  }
}

/** Empty drains, each followed by a timer pause, before {@link follow} waits on epoll. */
const QUIET = 4;

/**
 * Options of {@link follow}.
 *
 * @example
 * ```ts
 * import type { FollowOptions } from "@bpfview/bpfview";
 * const opts: FollowOptions = { signal: AbortSignal.timeout(2000), sleep: 1 };
 * ```
 */
export interface FollowOptions {
  /** Ends the loop (checked after every drain and while waiting). */
  signal?: AbortSignal;
  /** Milliseconds to sleep after a drain that found data (default 1). */
  sleep?: number;
  /**
   * Milliseconds an idle wait lasts at most before draining again (default
   * -1: until a descriptor is readable). For descriptors that wake their
   * reader only past a watermark (perf rings), so a few records do not sit
   * unread.
   */
  idle?: number;
  /**
   * How full the fullest source is, from 0 (empty) to 1 (full), called
   * just before each drain: what arrived during the last pause. With it,
   * {@link follow} stops sleeping on a timer while a sleep would let the
   * source fill (see {@link Pacer}). {@link RingBuffer.follow} and
   * {@link followRings} read it from the rings' producer and consumer
   * positions; without it, every pause is a timer.
   */
  fill?: () => number;
}

/** Resolves on the event loop's next turn (`setImmediate`): timers and I/O run first, no timer is armed. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The pause between drains while data flows, chosen from how fast the
 * source fills: a timer of `sleep` ms when a quarter of the source takes
 * long to fill at the rate seen during the last pause; else a sleep of
 * half that time on one of Deno's blocking threads (sub-millisecond; the
 * event loop runs meanwhile), or only the event loop's next turn when even
 * that is too short (under {@link Pacer.MIN_US} µs) or the source was
 * found half full.
 *
 * A timer pause is cheap (one wake-up per pause, whatever the event rate)
 * but long: Deno's 1 ms timer fires after ~2 ms here when idle and after
 * several when the CPUs are busy, so a 1 MiB ring behind a producer at 30
 * M records/s (1.2 GB/s, a quarter in 0.2 ms) overflowed during every
 * pause. The rate is what arrived since the last drain ended (a drain
 * reads until the source is empty, so the fill read just before the next
 * drain is what the pause let in) over that time. A pause as short as the
 * rate allows still lets records pile up between drains: draining right
 * behind the producer (at every turn of the loop) shares each cache line
 * with it as it is written, which slowed the producer to a fifth here.
 *
 * @example
 * ```ts
 * import { Pacer } from "@bpfview/bpfview";
 * declare function fill(): number; // 0..1, how full the source is
 * declare function drain(): number; // reads until the source is empty, returns how much
 * const pacer = new Pacer(1);
 * for (let i = 0; i < 100; i++) {
 *   pacer.start();
 *   const f = fill();
 *   if (drain() > 0) await pacer.pause(f);
 * }
 * ```
 */
export class Pacer {
  /** The timer pause in ms. */
  readonly sleep: number;
  /**
   * A timer pause is taken only when a quarter of the source takes at
   * least this many times `sleep` to fill: a timer asked for 1 ms fires
   * after ~2 ms on an idle machine and after up to ~7 ms (median) with both
   * CPUs busy, measured here.
   */
  static readonly SLACK = 8;
  /** Below this many microseconds a thread sleep costs more than it saves: the loop's turn instead. */
  static readonly MIN_US = 20;
  readonly #now: () => number;
  /** When the last drain ended (or an idle wait did), and when the drain after it started. */
  #ended: number;
  #started: number;
  /** The fill rate (fraction of the source per ms) the last pause was chosen for. */
  #rate = 0;
  #chosen = 0;
  /** Short pauses (a thread sleep or the loop's turn, not a timer) so far: the source filled fast. */
  turns = 0;

  /**
   * A pacer whose timer pause is `sleep` ms; `now` is its clock in ms
   * (default `performance.now`; another for tests and simulations).
   */
  constructor(sleep = 1, now: () => number = () => performance.now()) {
    if (!(sleep >= 0) || !Number.isFinite(sleep)) {
      throw new PerfError(`expected a sleep of 0 ms or more, found ${String(sleep)}`);
    }
    this.sleep = sleep;
    this.#now = now;
    this.#ended = this.#started = now();
  }

  /**
   * The pause for a source that filled `fill` (0..1) during `ms`
   * milliseconds since the last drain ended: -1 for a timer of
   * {@link sleep} ms, else microseconds to sleep on a blocking thread (0:
   * only the loop's next turn). The rate (fill per ms) taken is the larger
   * of this one and half the rate of the last pause, so one quiet pause
   * does not bring back a long sleep at once. Reads the state, changes
   * nothing ({@link pause} does).
   *
   * @example
   * ```ts
   * import { Pacer } from "@bpfview/bpfview";
   * const p = new Pacer(1);
   * p.micros(0.01, 2); // -1: a quarter fills in 50 ms, a timer is safe
   * p.micros(0.3, 1); // 416: a quarter fills in 0.83 ms, sleep half that on a thread
   * p.micros(0.6, 100); // 0: half full, drain again at once
   * ```
   */
  micros(fill: number, ms: number): number {
    return this.#choose(fill, ms);
  }

  /** The pause in µs (or -1); leaves the rate it was chosen for in #chosen. */
  #choose(fill: number, ms: number): number {
    this.#chosen = this.#rate;
    if (fill >= 0.5) return 0;
    const rate = Math.max(fill > 0 ? fill / Math.max(ms, 0.001) : 0, this.#rate * 0.5);
    this.#chosen = rate;
    if (!(rate > 0)) return -1;
    const quarter = 0.25 / rate; // ms until a quarter full
    if (quarter >= this.sleep * Pacer.SLACK) return -1;
    const us = Math.floor(quarter * 500); // half of that
    return us < Pacer.MIN_US ? 0 : Math.min(us, this.sleep * 1000);
  }

  /** Marks the start of a drain: call it just before reading the fill. */
  start(): void {
    this.#started = this.#now();
  }

  /**
   * The pause after a drain that found data; `fill` is how full the source
   * was when it started (see {@link start}).
   */
  pause(fill: number): Promise<unknown> {
    // The fill was read as this drain started: what arrived since the last
    // drain ended (it read until the source was empty).
    const now = this.#now();
    const us = this.#choose(fill, this.#started - this.#ended);
    this.#ended = now;
    this.#rate = this.#chosen;
    let p: Promise<unknown>;
    if (us < 0) p = new Promise<void>((resolve) => setTimeout(resolve, this.sleep));
    else {
      this.turns++;
      p = us === 0 ? nextTurn() : libc().usleep_blocking(us);
    }
    return p;
  }

  /** Marks the end of an idle wait: what arrives from now on counts against the next pause. */
  idle(): void {
    this.#ended = this.#now();
    this.#rate = 0;
  }
}

/**
 * The adaptive consumer loop: calls `drain` (which reads whatever is
 * there and returns how much it read); while it finds data, pauses between
 * drains (a timer of about `sleep` ms, or a shorter pause while `fill`
 * shows the source filling too fast for a timer: see {@link Pacer}; the
 * event loop runs meanwhile either way); when a drain finds nothing, pauses
 * the same way if data came within the last four pauses, else waits on
 * `waiter` until a descriptor is ready. Returns
 * the sum of the drains when `signal` aborts or the waiter closes. Data
 * that arrives after the last drain stays in the rings: drain once more
 * after it returns to take it.
 *
 * @example
 * ```ts
 * import { FdWaiter, follow } from "@bpfview/bpfview";
 * declare const fd: number;
 * declare function drain(): number;
 * using waiter = new FdWaiter([fd]);
 * const total = await follow(waiter, drain, { signal: AbortSignal.timeout(5000) });
 * console.log(total + drain(), "records");
 * ```
 */
export async function follow(
  waiter: FdWaiter,
  drain: () => number,
  options: FollowOptions = {},
): Promise<number> {
  const { signal, sleep = 1, idle = -1, fill } = options;
  const pacer = new Pacer(sleep);
  let total = 0, quiet = QUIET;
  while (!signal?.aborted && !waiter.closed) {
    pacer.start();
    const f = fill ? fill() : 0;
    const n = drain();
    total += n;
    if (n > 0) {
      quiet = 0;
      // The usual pause is a timer, not usleep on a blocking thread: with
      // the CPUs saturated the timer often wakes later (a median 7 ms for 1
      // ms), yet end to end it dropped nothing where usleep's extra thread
      // hop dropped millions (64 MiB ring, ~15 M records/s, measured
      // alternately). A thread sleep only gives the sub-millisecond pauses
      // a small ring needs, which no timer can.
      await pacer.pause(f);
    } else if (quiet < QUIET) {
      // Nothing this time, but data flowed a moment ago (the producer
      // between two bursts, or its next record not committed yet): pause
      // on a timer as while data flows rather than wait on epoll, whose
      // wake-up (the kernel's, then a blocking thread's, then this one's)
      // was seen to take 80-160 ms on a busy CPU where a timer took ~5.
      quiet++;
      await pacer.pause(0);
    } else if (!signal?.aborted && !waiter.closed) {
      await waiter.wait({ signal, timeout: idle });
      pacer.idle();
    }
  }
  return total;
}
