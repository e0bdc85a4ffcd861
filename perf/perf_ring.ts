/**
 * The perf ring: the `perf_event_mmap_page` and 2^n data pages the kernel
 * writes records into, mapped once, read in place through one ArrayBuffer.
 *
 * `data_head` (byte 1024) is loaded with `Atomics.load` (at least acquire)
 * once per drain, `data_tail` (byte 1032) stored with `Atomics.store` (at
 * least release) once per drain, after every record before it was read.
 * The data area is not mapped twice, so a record that wraps past its end is
 * joined into a scratch buffer (that record only); every other record is
 * handed out where the kernel wrote it.
 *
 * @module
 */

import { FfiError } from "../ffi/error.ts";
import { libc } from "../ffi/libc.ts";
import { PerfError } from "./error.ts";
import { mmapShared } from "./shared_mmap.ts";
import { unmapKeepingViews } from "../ffi/unmap.ts";
import type { RecordType } from "./records.ts";

/** PERF_RECORD_LOST, as a literal for the hot path (a property load per record otherwise). */
const LOST = 2 satisfies typeof RecordType.LOST;
const EMPTY_VIEW = new DataView(new ArrayBuffer(0));
/** No record is out: the cursor reads from its position next. */
const NONE = -1;
/** Whether typed arrays read little-endian here (the ring is in the CPU's order). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * How a ring's reader is woken, as the `watermark` and `wakeup_events`
 * attr fields: every `wakeupEvents` records when given, else when
 * `watermark` bytes wait (default: a quarter of a ring of `pages` pages).
 * Throws {@link FfiError} for a count that is not a u32 from 1 up.
 *
 * @example
 * ```ts ignore
 * const attr = { sample_type: SampleType.RAW, ...ringWakeup({}, 8) };
 * ```
 */
export function ringWakeup(
  options: { readonly wakeupEvents?: number; readonly watermark?: number },
  pages: number,
): { watermark: boolean; wakeup_events: number } {
  const perRecord = options.wakeupEvents !== undefined;
  const what = perRecord ? "wakeupEvents" : "watermark";
  const n = perRecord
    ? options.wakeupEvents!
    : options.watermark ?? pages * libc().getpagesize() / 4;
  if (!Number.isInteger(n) || n < 1 || n > 0xffffffff) {
    throw new FfiError(`expected ${what} to be a whole number from 1 to 2^32-1, found ${n}`);
  }
  return { watermark: !perRecord, wakeup_events: n };
}

/**
 * Called with each record: `dv` holds it at `offset` (its
 * `perf_event_header` first), `size` bytes long, of record type `type`.
 * `dv` is the ring's own view, or the join buffer's for a record that
 * wrapped: read the record before returning, do not keep `dv` offsets.
 *
 * @example
 * ```ts
 * import { type RecordHandler, RecordType } from "@bpfview/bpfview";
 * const onRecord: RecordHandler = (dv, offset, size, type) => {
 *   if (type === RecordType.SAMPLE) console.log(size, dv.getUint16(offset + 6, true));
 * };
 * ```
 */
export type RecordHandler = (dv: DataView, offset: number, size: number, type: number) => void;

/**
 * Counts of a {@link PerfRing}.
 *
 * @example
 * ```ts
 * import type { PerfRingStats } from "@bpfview/bpfview";
 * const show = (s: PerfRingStats) => `${s.records} records, ${s.lost} lost`;
 * ```
 */
export interface PerfRingStats {
  /** Records read (every type). */
  records: number;
  /** Bytes read. */
  bytes: number;
  /** Records that wrapped and were joined. */
  joined: number;
  /** Samples the kernel dropped because the ring was full (from LOST records). */
  lost: number;
  /** LOST records seen. */
  lostRecords: number;
}

/**
 * A perf event's ring, mapped read-write (so the kernel never overwrites
 * unread data) with 2^n data pages. Close it (or `using`) to unmap it (a
 * view kept over it then reads zeros); closing does not close the event's fd.
 *
 * @example
 * ```ts
 * import { PerfEvent, PerfRing, PerfSwConfig, PerfType, SampleType } from "@bpfview/bpfview";
 * using ev = PerfEvent.open({
 *   type: PerfType.SOFTWARE,
 *   config: PerfSwConfig.TASK_CLOCK,
 *   sample_period: 100000,
 *   sample_type: SampleType.TID | SampleType.TIME,
 * }, { pid: 0 });
 * using ring = new PerfRing(ev.fd, 8);
 * ring.drain((dv, offset, size, type) => console.log(type, size));
 * ```
 */
export class PerfRing {
  /** The ring's fd (the event's). */
  readonly fd: number;
  /** Bytes of the data area (2^n pages). */
  readonly dataSize: number;
  /** Byte offset of the data area in the mapping (one page, from `data_offset`). */
  readonly dataOffset: number;
  /** Counts so far. */
  readonly stats: PerfRingStats = { records: 0, bytes: 0, joined: 0, lost: 0, lostRecords: 0 };
  #ptr: Deno.PointerObject | null;
  #length: number;
  // Initialized here (not left undefined until the constructor assigns them): V8 then knows
  // each field's map and checks none on the hot path.
  #buffer: ArrayBuffer = EMPTY_VIEW.buffer as ArrayBuffer;
  #dv: DataView = EMPTY_VIEW;
  #pos: BigUint64Array = new BigUint64Array(0);
  #tail = 0;
  /**
   * Where the cursor reads next (a position like data_tail) while no record is out
   * ({@link #last} is NONE) or after a joined one; otherwise the position follows from
   * {@link #last} (see {@link #position}). And the head last loaded.
   */
  #cur = 0;
  #head = 0;
  /** The offset in {@link view} of the record returned last, or NONE. */
  #last = NONE;
  /** The offset in {@link view} after the record returned last, while {@link #limit} is not -1. */
  #next = 0;
  /**
   * The end of the bytes the cursor may read in place without wrapping or passing the head
   * last loaded (an offset in the ring's view), or -1 when the next read must take the slow
   * path (nothing out, a joined record out, or closed).
   */
  #limit = -1;
  /** The position of the data area's first byte in the current lap: position = lap + offset - dataOffset. */
  #lap = 0;
  /** `dataSize - 1`: a position masked with it is its index in the data area. */
  #mask: number;
  /** Counts of the records {@link next} returned since the last commit (added to stats by it). */
  #pendingRecords = 0;
  #pendingLost = 0;
  #pendingLostRecords = 0;
  #pendingJoined = 0;
  /**
   * The view holding the record {@link next} returned: the ring's own, or
   * the join buffer's for a record that wrapped.
   */
  view: DataView = EMPTY_VIEW;
  /** The type of the record {@link next} returned. */
  type = 0;
  /** The size of the record {@link next} returned. */
  size = 0;
  /**
   * Where a record that wraps is joined: made at the first one, 64 KiB (a record's largest
   * size), so that the sample decoder reads it as it reads the ring (aligned u32s) instead of
   * taking its DataView path, whose calls then weigh on every loop that decodes samples.
   */
  #join: Uint8Array | undefined;
  #joinDv: DataView = EMPTY_VIEW;
  #bytes: Uint8Array = new Uint8Array(0);
  /** The mapping as u32s (page-aligned; records are 8-byte aligned): headers read as two loads. */
  #u32: Uint32Array = new Uint32Array(0);

  /**
   * Maps the ring of perf event `fd`: one metadata page plus `pages` data
   * pages (a power of two). Throws {@link FfiError} when mmap fails (EPERM:
   * over `kernel.perf_event_mlock_kb`; EINVAL: the event's ring was
   * redirected with SET_OUTPUT).
   */
  constructor(fd: number, pages = 64) {
    if (!Number.isInteger(pages) || pages < 1 || (pages & (pages - 1)) !== 0) {
      throw new PerfError(`expected a power of two of data pages, found ${pages}`);
    }
    const c = libc();
    const page = c.getpagesize();
    const length = (1 + pages) * page;
    const ptr = mmapShared(
      fd,
      length,
      true,
      0,
      `the ${length}-byte perf ring of fd ${fd}`,
      (e) => e === 1 ? " (over kernel.perf_event_mlock_kb: use fewer pages, or run as root)" : "",
    );
    this.fd = fd;
    this.#ptr = ptr;
    this.#length = length;
    this.#buffer = Deno.UnsafePointerView.getArrayBuffer(ptr, length);
    this.#dv = new DataView(this.#buffer);
    this.view = this.#dv;
    this.#bytes = new Uint8Array(this.#buffer);
    this.#u32 = new Uint32Array(this.#buffer);
    this.#pos = new BigUint64Array(this.#buffer, 1024, 4);
    const dataOffset = Number(this.#pos[2]) || page;
    const dataSize = Number(this.#pos[3]) || pages * page;
    if (dataOffset + dataSize > length) {
      this.close();
      throw new PerfError(
        `expected the data area (${dataOffset}+${dataSize}) inside the ${length}-byte mapping, found it past the end`,
        1040,
      );
    }
    if ((dataSize & (dataSize - 1)) !== 0) {
      this.close();
      throw new PerfError(`expected a data area of 2^n bytes, found ${dataSize}`, 1048);
    }
    this.dataOffset = dataOffset;
    this.dataSize = dataSize;
    this.#mask = dataSize - 1;
    const tail = Number(Atomics.load(this.#pos, 1));
    this.#tail = this.#head = tail;
    this.#seek(tail);
  }

  /**
   * The cursor way to read, for loops that keep the work inline (no call
   * per record): returns the byte offset in {@link view} of the next
   * record (its header), with {@link type} and {@link size} set, or -1 when
   * nothing more is written. Records stay in the ring until
   * {@link commit}; {@link rewind} reads them again. In a loop, {@link after}
   * is the faster way on from the first record.
   *
   * ```ts
   * import { PerfRing, PerfSample, RecordType, SampleLayout } from "@bpfview/bpfview";
   * declare const ring: PerfRing;
   * declare const layout: SampleLayout;
   * const sample = new PerfSample();
   * for (let off = ring.next(); off >= 0; off = ring.next()) {
   *   if (ring.type === RecordType.SAMPLE) layout.decode(ring.view, off, sample);
   * }
   * ring.commit();
   * ```
   *
   * A record whose header says less than 8 bytes or more than was written
   * throws {@link PerfError}.
   */
  next(): number {
    const last = this.#last;
    return last === NONE ? this.#read(this.#cur) : this.after(last);
  }

  /**
   * The record after the one at `off` (which {@link next} or `after`
   * returned last): its offset in {@link view}, with {@link type} and
   * {@link size} set, or -1 when nothing more is written. The same records
   * as {@link next}, faster in a loop (small enough for V8 to inline: one
   * header read and a few checks per record). After {@link commit} or
   * {@link rewind} it goes on as {@link next} does.
   *
   * ```ts
   * import { PerfRing, PerfSample, RecordType, SampleLayout } from "@bpfview/bpfview";
   * declare const ring: PerfRing;
   * declare const layout: SampleLayout;
   * const sample = new PerfSample();
   * for (let off = ring.next(); off >= 0; off = ring.after(off)) {
   *   if (ring.type === RecordType.SAMPLE) layout.decode(ring.view, off, sample);
   * }
   * ring.commit();
   * ```
   *
   * Throws {@link PerfError} when `off` is not the offset returned last,
   * and as {@link next} does for a corrupt record.
   */
  after(off: number): number {
    // Kept small enough for V8 to inline into the caller's loop: where the next record is
    // (kept by the last call: fewer instructions per record than reading the size at off
    // again, 10.7 against 11.3 ns per sample in bench:perf's walk), its header, the checks;
    // the end of what is readable in place, a corrupt, LOST or wrapping record, and a
    // record out of the join buffer go to #slow.
    const w = this.#u32, lim = this.#limit, p = this.#next;
    if (off !== this.#last || p >= lim) return this.#slow(off);
    const q = p >>> 2, type = w[q];
    const len = LITTLE_ENDIAN ? w[q + 1] >>> 16 : this.#dv.getUint16(p + 6, true);
    const next = p + len;
    if (len < 8 || next > lim || type === LOST) return this.#slow(off);
    this.#last = p;
    this.#next = next;
    this.type = type;
    this.size = len;
    this.#pendingRecords++;
    return p;
  }

  /** {@link after} past what it reads in place: checks `off`, then reads at the position after it. */
  #slow(off: number): number {
    const last = this.#last;
    if (off !== last && last !== NONE) {
      throw new PerfError(
        `expected the offset of the record the ring returned last (${last}), found ${off}`,
      );
    }
    return this.#read(this.#position());
  }

  /** The position after the record returned last (or where the cursor stands if none is out). */
  #position(): number {
    if (this.#last === NONE || this.#limit < 0) return this.#cur;
    return this.#lap + (this.#next - this.dataOffset);
  }

  /** Loads data_head (acquire) once the records up to the last one loaded are read: whether more came. */
  #refill(t: number): boolean {
    if (!this.#ptr) return false;
    this.#head = Number(Atomics.load(this.#pos, 0));
    return t < this.#head;
  }

  /**
   * Reads the record at position `t`: refills the head when `t` reached it, counts a LOST
   * record, joins one that wraps past the data area's end; sets up {@link after}'s fast path.
   */
  #read(t: number): number {
    if (t >= this.#head && !this.#refill(t)) {
      this.#cur = t;
      this.#last = NONE;
      this.#limit = -1;
      return -1;
    }
    const size = this.dataSize, at = t & this.#mask, p = this.dataOffset + at;
    const dv = this.#dv, type = dv.getUint32(p, true), len = dv.getUint16(p + 6, true);
    if (len < 8 || len > this.#head - t) this.#corrupt(p, len, this.#head - t);
    this.#pendingRecords++;
    if (type === LOST) {
      this.#pendingLostRecords++;
      this.#pendingLost += this.#u64At(((at + 16) & (size - 1)) + this.dataOffset);
    }
    this.type = type;
    this.size = len;
    if (at + len <= size) {
      this.view = dv;
      this.#last = p;
      this.#next = p + len;
      this.#lap = t - at;
      this.#limit = this.dataOffset + Math.min(size, this.#head - this.#lap);
      return p;
    }
    this.#pendingJoined++;
    this.view = this.#joined(p, size - at, len);
    this.#last = 0;
    this.#limit = -1;
    this.#cur = t + len;
    return 0;
  }

  #corrupt(p: number, len: number, left: number): never {
    throw new PerfError(
      `expected a perf record of 8 to ${left} bytes in the ring of fd ${this.fd}, found ${len}`,
      p,
    );
  }

  /** Frees the records {@link next} returned (one `data_tail` store); returns how many bytes. */
  commit(): number {
    const cur = this.#position();
    // The cursor goes on from the position: what was read may be overwritten from now on.
    this.#cur = cur;
    this.#last = NONE;
    this.#limit = -1;
    const n = cur - this.#tail;
    if (n > 0 && this.#ptr) {
      const st = this.stats;
      st.bytes += n;
      st.records += this.#pendingRecords;
      st.lost += this.#pendingLost;
      st.lostRecords += this.#pendingLostRecords;
      st.joined += this.#pendingJoined;
      this.#tail = cur;
      Atomics.store(this.#pos, 1, BigInt(cur));
    }
    this.#resetPending();
    return n;
  }

  #resetPending(): void {
    this.#pendingRecords =
      this.#pendingLost =
      this.#pendingLostRecords =
      this.#pendingJoined =
        0;
  }

  /** Moves {@link next} back to the first record not committed (to read them again). */
  rewind(): void {
    this.#seek(this.#tail);
  }

  #seek(pos: number): void {
    this.#resetPending();
    this.#cur = pos;
    this.#last = NONE;
    this.#limit = -1;
    if (!this.#ptr) this.#head = pos; // closed: nothing to read again
  }

  /** Whether {@link close} has run. */
  get closed(): boolean {
    return this.#ptr === null;
  }

  /** Bytes written and not yet read. */
  get pending(): number {
    if (!this.#ptr) return 0;
    return Number(Atomics.load(this.#pos, 0)) - this.#tail;
  }

  /**
   * Reads the records the kernel has written, up to `max`, calling `fn`
   * with each, then frees their space (one `data_tail` store). Returns how
   * many were read. LOST records are counted in {@link stats} (and passed
   * on). A record whose header says less than 8 bytes or more than the
   * ring holds throws {@link PerfError} (the ring is then unusable).
   */
  drain(fn: RecordHandler, max = Infinity): number {
    return this.#each(fn, max, true);
  }

  /**
   * Reads the records the kernel has written, up to `max`, like
   * {@link drain}, but leaves them in the ring (no `data_tail` store): a
   * later `peek` or `drain` reads them again. While they stay, the kernel
   * has less room and drops what does not fit.
   */
  peek(fn: RecordHandler, max = Infinity): number {
    return this.#each(fn, max, false);
  }

  /** Calls `fn` with the records from the first one not committed; commits them or not. */
  #each(fn: RecordHandler, max: number, commit: boolean): number {
    const saved = this.#position();
    const pending = [
      this.#pendingRecords,
      this.#pendingLost,
      this.#pendingLostRecords,
      this.#pendingJoined,
    ];
    this.#seek(this.#tail);
    let n = 0;
    try {
      for (let off = max > 0 ? this.next() : -1; off >= 0; off = ++n < max ? this.after(off) : -1) {
        fn(this.view, off, this.size, this.type);
      }
    } finally {
      if (commit) this.commit();
      else {
        // Leave the cursor, and what it read, as they were.
        this.#seek(saved);
        [
          this.#pendingRecords,
          this.#pendingLost,
          this.#pendingLostRecords,
          this.#pendingJoined,
        ] = pending;
      }
    }
    return n;
  }

  #u64At(p: number): number {
    return this.#dv.getUint32(p + 4, true) * 4294967296 + this.#dv.getUint32(p, true);
  }

  /** Copies a record that wraps (`first` bytes at `p`, the rest at the data area's start). */
  #joined(p: number, first: number, len: number): DataView {
    let join = this.#join;
    if (!join) {
      join = this.#join = new Uint8Array(65536);
      this.#joinDv = new DataView(join.buffer);
    }
    const b = this.#bytes, base = this.dataOffset;
    join.set(b.subarray(p, p + first), 0);
    join.set(b.subarray(base, base + len - first), first);
    return this.#joinDv;
  }

  /**
   * Unmaps the ring: zero pages take its place until its buffer is
   * collected, so a view kept over it reads zeros, never freed memory (see
   * {@link unmapKeepingViews}: the buffer is not detached, which would
   * slow every typed array and DataView read of the process). Safe to call
   * twice.
   */
  close(): void {
    if (this.#ptr === null) return;
    const ptr = this.#ptr;
    this.#ptr = null;
    this.#seek(this.#position()); // closed: next() and after() find nothing more
    unmapKeepingViews(ptr, this.#length, this.#buffer);
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
