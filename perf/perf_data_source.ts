/**
 * Where a perf.data reader gets its bytes: a buffer already in memory (a
 * mapped file, a test fixture), or a file or pipe read front to back through
 * one reused window, so a file larger than memory is streamed with memory
 * that does not grow. Records are read in place from the window; only a
 * record cut by the window's end is moved (to the window's start) before the
 * next read.
 *
 * @module
 */

import { PerfError } from "./error.ts";

/** Reads into `buf`; returns the byte count, or null (or 0) at the end. */
export type ReadFn = (buf: Uint8Array) => number | null;

/** The default window: large enough that a read costs little per record. */
export const WINDOW_SIZE = 4 << 20;

/**
 * A window over a byte stream. `bytes[i]` is stream byte `base + i`, for
 * `i < end`. {@link need} makes a range of the stream available and says
 * where it is in `bytes`.
 */
export class Window {
  bytes: Uint8Array;
  dv: DataView;
  /** Stream offset of `bytes[0]`. */
  base = 0;
  /** Bytes of `bytes` that hold stream data. */
  end: number;
  /** Total stream size when known (files, buffers), else Infinity (pipes). */
  readonly size: number;
  #read: ReadFn | null;
  #seek: ((offset: number) => void) | null;
  #eof: boolean;

  private constructor(
    bytes: Uint8Array,
    end: number,
    size: number,
    read: ReadFn | null,
    seek: ((offset: number) => void) | null,
  ) {
    this.bytes = bytes;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.end = end;
    this.size = size;
    this.#read = read;
    this.#seek = seek;
    this.#eof = read === null;
  }

  /** A window that is the whole of `bytes` (no copy). */
  static ofBytes(bytes: Uint8Array): Window {
    return new Window(bytes, bytes.length, bytes.length, null, null);
  }

  /**
   * A window over a stream read by `read`; `seek` (files) jumps to an
   * offset instead of reading up to it. `size` is the stream's size if known.
   */
  static ofReader(
    read: ReadFn,
    size = Infinity,
    seek: ((offset: number) => void) | null = null,
    windowSize = WINDOW_SIZE,
  ): Window {
    return new Window(new Uint8Array(windowSize), 0, size, read, seek);
  }

  /**
   * Makes stream bytes `[offset, offset + n)` available; returns the index
   * of `offset` in {@link bytes}, or -1 if the stream ends before them.
   * Indices returned earlier are invalid after a call that moved the window.
   */
  need(offset: number, n: number): number {
    const i = offset - this.base;
    if (i >= 0 && i + n <= this.end) return i;
    if (this.#read === null) return -1;
    if (i < 0) {
      if (this.#seek === null) {
        throw new PerfError(
          `expected to read forward in the stream, asked for a byte before`,
          offset,
        );
      }
      this.#jump(offset);
    } else if (i > this.end) {
      if (this.#seek !== null) this.#jump(offset);
      else {
        // A pipe: read and drop the bytes up to offset.
        while (this.base + this.end < offset) {
          this.base += this.end;
          this.end = 0;
          if (!this.#fill(Math.min(this.bytes.length, offset - this.base))) return -1;
        }
        const k = offset - this.base;
        this.bytes.copyWithin(0, k, this.end);
        this.base = offset;
        this.end -= k;
      }
    } else {
      // Keep [offset, end) and read more after it.
      this.bytes.copyWithin(0, i, this.end);
      this.base = offset;
      this.end -= i;
    }
    if (n > this.bytes.length) {
      const grown = new Uint8Array(Math.max(n, this.bytes.length * 2));
      grown.set(this.bytes.subarray(0, this.end));
      this.bytes = grown;
      this.dv = new DataView(grown.buffer);
    }
    while (this.end < n) {
      if (!this.#fill(this.bytes.length)) return -1;
    }
    return 0;
  }

  /** Copies stream bytes `[offset, offset + n)` out (or views them, for buffers); null if short. */
  copy(offset: number, n: number): Uint8Array | null {
    const i = this.need(offset, n);
    if (i < 0) return null;
    return this.#read === null ? this.bytes.subarray(i, i + n) : this.bytes.slice(i, i + n);
  }

  #jump(offset: number): void {
    this.#seek!(offset);
    this.base = offset;
    this.end = 0;
    this.#eof = false;
  }

  /** Reads until `end` grows (up to `limit`); false at the end of the stream. */
  #fill(limit: number): boolean {
    if (this.#eof) return false;
    const got = this.#read!(this.bytes.subarray(this.end, Math.max(limit, this.end + 1)));
    if (got === null || got === 0) {
      this.#eof = true;
      return false;
    }
    this.end += got;
    return true;
  }
}
