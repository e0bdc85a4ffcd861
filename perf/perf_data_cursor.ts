/**
 * A bounds-checked little-endian reader over one piece of a perf.data file
 * (a feature section, the tracing data, a user record), for the parts read
 * once per file. Every failure is a {@link PerfError} naming the byte of the
 * file where it happened.
 *
 * @module
 */

import { readU64Exact, textOf } from "./bytes.ts";
import { PerfError } from "./error.ts";

const utf8 = new TextDecoder();

/**
 * Reads `bytes` front to back; `base` is the file offset of `bytes[0]`, so
 * errors name bytes of the file, and `what` names the piece being read.
 */
export class Cursor {
  readonly bytes: Uint8Array;
  readonly dv: DataView;
  readonly base: number;
  readonly what: string;
  /** The next byte to read, as an index into `bytes`. */
  pos = 0;

  constructor(bytes: Uint8Array, base: number, what: string) {
    this.bytes = bytes;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.base = base;
    this.what = what;
  }

  /** Bytes left. */
  get left(): number {
    return this.bytes.length - this.pos;
  }

  /** Throws unless `n` more bytes are there; `item` names what they hold. */
  need(n: number, item: string): void {
    if (n < 0 || this.pos + n > this.bytes.length) {
      throw new PerfError(
        `expected ${n} bytes of ${item} in ${this.what}, found ${this.left}`,
        this.base + this.pos,
      );
    }
  }

  u8(item: string): number {
    this.need(1, item);
    return this.bytes[this.pos++];
  }

  u32(item: string): number {
    this.need(4, item);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A u64 as a number; throws if it is 2^53 or more (sizes, counts, offsets). */
  u64(item: string): number {
    this.need(8, item);
    const v = readU64Exact(this.dv, this.pos, `${item} in ${this.what}`, this.base + this.pos);
    this.pos += 8;
    return v;
  }

  /** A u64 as a bigint (values that may use all 64 bits). */
  u64n(item: string): bigint {
    this.need(8, item);
    const v = this.dv.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** `n` bytes, in place. */
  take(n: number, item: string): Uint8Array {
    this.need(n, item);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A NUL-terminated string; the NUL is consumed. */
  cstring(item: string): string {
    const end = this.bytes.indexOf(0, this.pos);
    if (end < 0) {
      throw new PerfError(
        `expected a NUL-terminated ${item} in ${this.what}, found none`,
        this.base + this.pos,
      );
    }
    const s = utf8.decode(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return s;
  }

  /** perf's header string: u32 length, then that many bytes, NUL-padded. */
  headerString(item: string): string {
    const n = this.u32(`${item} length`);
    return textOf(this.take(n, item));
  }
}
