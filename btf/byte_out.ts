/**
 * A growable byte buffer for the text dumpers: ASCII literals, decimal
 * numbers and bytes copied from a string section go straight into one
 * `Uint8Array`, so a dump builds no intermediate strings. Internal to the
 * dumpers (not part of mod.ts).
 *
 * @module
 */

/** `s` as bytes; `s` must be ASCII (the dumpers' fixed text). */
export function ascii(s: string): Uint8Array {
  const a = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) a[i] = s.charCodeAt(i);
  return a;
}

/** "00" to "99" as ASCII pairs: two digits per division. */
const PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  PAIRS[2 * i] = 48 + Math.floor(i / 10);
  PAIRS[2 * i + 1] = 48 + (i % 10);
}

/**
 * Decimal digits of the smallest number of each bit length (1 to 31), and
 * the powers of ten: a number of bit length b has DIGITS_OF_BITS[b] digits,
 * or one more if it is at least POW10[DIGITS_OF_BITS[b]].
 */
const DIGITS_OF_BITS = new Uint8Array(33);
const POW10 = new Float64Array(12);
for (let b = 1; b <= 32; b++) DIGITS_OF_BITS[b] = String(2 ** (b - 1)).length;
for (let d = 0; d < 12; d++) POW10[d] = 10 ** d;

const digits = new Uint8Array(24);

/**
 * Writes a non-negative integer below 2^53 in decimal at `o[pos]` (room for
 * 16 digits needed) and returns the position after it. Two digits per
 * division; values past int32 take the slow path.
 */
export function putNum(o: Uint8Array, pos: number, v: number): number {
  if (v < 10) {
    o[pos] = 48 + v;
    return pos + 1;
  }
  if (v > 0x7fffffff) {
    let k = 0;
    while (v >= 10) {
      // v % 10 is exact; v - q * 10 was not near 2^53 (2^53 - 1 came out ...992).
      const r = v % 10;
      digits[k++] = 48 + r;
      v = (v - r) / 10;
    }
    o[pos++] = 48 + v;
    while (k > 0) o[pos++] = digits[--k];
    return pos;
  }
  // Digit count from the bit length (one table look-up and one compare):
  // the same steps for every value, so the engine's feedback from the first
  // small numbers covers the big ones too (a chain of compares deoptimized
  // this function at the first 6- and 7-digit numbers).
  let n = DIGITS_OF_BITS[32 - Math.clz32(v)];
  if (v >= POW10[n]) n++;
  const end = pos + n;
  let p = end;
  while (v >= 100) {
    const q = (v / 100) | 0;
    const r = (v - q * 100) << 1;
    o[--p] = PAIRS[r + 1];
    o[--p] = PAIRS[r];
    v = q;
  }
  if (v >= 10) {
    o[--p] = PAIRS[(v << 1) + 1];
    o[--p] = PAIRS[v << 1];
  } else o[--p] = 48 + v;
  return end;
}

/** Room kept free after every write for one line's fixed text and numbers. */
export const SLACK = 256;

/**
 * An ASCII literal as 8-byte groups (the last one padded with NULs) and its
 * length, for {@link putWords}. Each group is held as the float64 whose
 * little-endian bytes it is: ASCII bytes never make a NaN (whose bits an
 * engine may change), so storing it writes the bytes exactly.
 */
export interface Words {
  /** Length in bytes. */
  readonly n: number;
  /** The bytes, eight to a group. */
  readonly w: Float64Array;
}

/** `s` as {@link Words}; `s` must be ASCII. */
export function words(s: string): Words {
  const b = new Uint8Array((s.length + 7) & ~7);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) throw new Error(`words: not ASCII: ${JSON.stringify(s)}`);
    b[i] = c;
  }
  const dv = new DataView(b.buffer);
  const w = new Float64Array(b.length >>> 3);
  for (let i = 0; i < w.length; i++) w[i] = dv.getFloat64(8 * i, true);
  return { n: s.length, w };
}

/**
 * Writes literal `l` at byte `pos` of `dv` eight bytes at a time (room for
 * its length rounded up to 8 checked by the caller; the bytes past it up to
 * there are clobbered); returns the position after it.
 */
export function putWords(dv: DataView, pos: number, l: Words): number {
  const w = l.w;
  for (let i = 0, p = pos; i < w.length; i++, p += 8) dv.setFloat64(p, w[i], true);
  return pos + l.n;
}

/** Copies the literal `a` to `o[pos]` (room checked by the caller); returns the position after it. */
export function put(o: Uint8Array, pos: number, a: Uint8Array): number {
  const n = a.length;
  for (let i = 0; i < n; i++) o[pos + i] = a[i];
  return pos + n;
}

const encoder = new TextEncoder();

/**
 * Where a streaming {@link ByteOut} hands its full buffers; it must be done with them on return.
 *
 * @example
 * ```ts
 * import { type ByteSink, dumpJsonBytes, loadBtf, writeAllSync } from "@bpfview/bpfview";
 * const sink: ByteSink = (chunk) => writeAllSync(Deno.stdout, chunk);
 * dumpJsonBytes(loadBtf(), { write: sink });
 * ```
 */
export type ByteSink = (chunk: Uint8Array) => void;

/**
 * An output buffer that grows by doubling or, with a sink, hands its bytes
 * to the sink whenever it fills up. Every write checks the room it needs, so
 * callers never do.
 */
export class ByteOut {
  /** The bytes not yet handed to the sink are `buf[0..pos)`. */
  declare buf: Uint8Array;
  /** A view of {@link buf}, for {@link putWords}. */
  declare dv: DataView;
  /** Number of bytes in {@link buf}. */
  pos = 0;
  declare readonly sink: ByteSink | undefined;

  /** A buffer of `capacity` bytes to start with; with `sink`, it never grows past need. */
  constructor(capacity: number, sink?: ByteSink) {
    this.buf = new Uint8Array(Math.max(capacity, 2 * SLACK));
    this.dv = new DataView(this.buf.buffer);
    this.sink = sink;
  }

  /** Makes room for `n` more bytes (plus the slack). */
  grow(n: number): Uint8Array {
    if (this.sink) {
      this.flush();
      if (n + SLACK <= this.buf.length) return this.buf;
    }
    let cap = this.buf.length * 2;
    while (cap < this.pos + n + SLACK) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.dv = new DataView(next.buffer);
    return this.buf = next;
  }

  /**
   * Makes room for `n` more bytes plus the slack (256 bytes); callers that
   * write into {@link buf} themselves read `buf` and `pos` after it.
   */
  ensure(n: number): void {
    if (this.pos + n + SLACK > this.buf.length) this.grow(n);
  }

  /** One byte. */
  byte(c: number): void {
    const o = this.pos + SLACK > this.buf.length ? this.grow(1) : this.buf;
    o[this.pos++] = c;
  }

  /** A literal made with {@link ascii}. */
  lit(a: Uint8Array): void {
    const n = a.length;
    const o = this.pos + n + SLACK > this.buf.length ? this.grow(n) : this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) o[p++] = a[i];
    this.pos = p;
  }

  /** `src[from..end)`, copied as they are. */
  copy(src: Uint8Array, from: number, end: number): void {
    const n = end - from;
    const o = this.pos + n + SLACK > this.buf.length ? this.grow(n) : this.buf;
    let p = this.pos;
    if (n > 32) {
      o.set(src.subarray(from, end), p);
      p += n;
    } else {
      for (let i = from; i < end; i++) o[p++] = src[i];
    }
    this.pos = p;
  }

  /** A JS string, UTF-8 encoded (for the rare text that is not a literal). */
  text(s: string): void {
    const o = this.pos + 3 * s.length + SLACK > this.buf.length
      ? this.grow(3 * s.length)
      : this.buf;
    // `| 0`: `written` may come back as a heap number, and a pos that is
    // not a small integer would change ByteOut's shape and throw away
    // optimized code that writes to it.
    this.pos += encoder.encodeInto(s, o.subarray(this.pos)).written | 0;
  }

  /** A non-negative integer below 2^53, in decimal. */
  num(v: number): void {
    const o = this.pos + SLACK > this.buf.length ? this.grow(24) : this.buf;
    this.pos = putNum(o, this.pos, v);
  }

  /** A signed integer of magnitude below 2^53, in decimal. */
  int(v: number): void {
    if (v < 0) {
      this.byte(45);
      this.num(-v);
    } else this.num(v);
  }

  /** Hands the buffered bytes to the sink (if any). */
  flush(): void {
    if (this.sink && this.pos > 0) {
      this.sink(this.buf.subarray(0, this.pos));
      this.pos = 0;
    }
  }

  /** The bytes written so far (a view of the buffer). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}
