/**
 * JSON lines of perf.data samples written as bytes straight from the
 * file's bytes into one output buffer: numbers as digits, `char[]` and
 * `__data_loc` strings copied (escaped) from the payload, keys and event
 * names made once per event. No string or object is made per sample. The
 * lines are the same as {@link sampleJson}'s; a sample the fast path does
 * not cover (non-ASCII text, a field kind it does not write, a payload
 * that does not fit its format) is written from the decoded fields
 * instead, which also throws the decoder's {@link PerfError} for bad
 * payloads.
 *
 * @module
 */

import { SampleType } from "./attr.ts";
import type { PerfDataRecord } from "./perf_data_record.ts";
import { type PerfDataDecoder, sampleJson } from "./perf_data_events.ts";
import type { PerfDataEvent } from "./perf_data_header.ts";
import type { PerfSample, SampleLayout } from "./sample.ts";
import type { TraceField } from "./tracefs.ts";

const enc = new TextEncoder();

const INT = 0, BOOL = 1, CHARS = 2, DYN_STR = 3;

/** How one payload field is written: [kind, offset, size, signed, key bytes]. */
interface FieldPlan {
  kind: number;
  offset: number;
  size: number;
  signed: boolean;
  rel: boolean;
  key: Uint8Array;
}

interface EventPlan {
  prefix: Uint8Array; // {"event":"NAME","cpu":
  cpu: boolean;
  layout: SampleLayout;
  /** Whether pid, tid, time, cpu and the raw payload sit at constant offsets (no callchain before). */
  direct: boolean;
  /** null: write this event's samples from the decoded fields. */
  fields: FieldPlan[] | null;
  /** Bytes of all keys. */
  keys: number;
}

const HEX = enc.encode("0123456789abcdef");
/** "00".."99": two digits per division. */
const PAIRS = enc.encode(
  Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0")).join(""),
);
const SHORT_ESCAPES: Record<number, number> = { 8: 98, 9: 116, 10: 110, 12: 102, 13: 114 };
const PID = enc.encode(`,"pid":`), TID = enc.encode(`,"tid":`), TIME = enc.encode(`,"time":`);
const FIELDS = enc.encode(`,"fields":{`), CHAIN = enc.encode(`},"callchain":[`);
const TRUE = enc.encode("true"), FALSE = enc.encode("false");

/**
 * Writes samples as JSON lines (as {@link sampleJson} does) into a buffer
 * that `sink` receives when it fills and on {@link flush}.
 *
 * @example
 * ```ts
 * import { JsonLineWriter, PerfData, PerfDataDecoder } from "@bpfview/bpfview";
 * using data = PerfData.open("perf.data");
 * const dec = new PerfDataDecoder(data);
 * const w = new JsonLineWriter(dec, (bytes) => Deno.stdout.writeSync(bytes));
 * for (const rec of data.records()) {
 *   const ev = data.eventOf(rec);
 *   if (rec.type === 9 && ev) w.writeRecord(rec, ev); // PERF_RECORD_SAMPLE
 * }
 * w.flush();
 * ```
 */
export class JsonLineWriter {
  #dec: PerfDataDecoder;
  #sink: (bytes: Uint8Array) => void;
  #out: Uint8Array;
  #pos = 0;
  #plans: (EventPlan | undefined)[] = [];
  #dv: DataView | null = null;
  #dvBytes: Uint8Array = new Uint8Array(0);

  /**
   * `sink` gets the bytes (a view of the buffer, valid until it returns);
   * `size` is the buffer's size.
   */
  constructor(dec: PerfDataDecoder, sink: (bytes: Uint8Array) => void, size = 1 << 20) {
    this.#dec = dec;
    this.#sink = (bytes) => sink(bytes);
    this.#out = new Uint8Array(size);
  }

  /** Hands what is buffered to the sink. */
  flush(): void {
    if (this.#pos > 0) this.#sink(this.#out.subarray(0, this.#pos));
    this.#pos = 0;
  }

  /**
   * Writes the PERF_RECORD_SAMPLE `rec` of event `ev` as a JSON line. When
   * the event's fields sit at constant offsets they are read straight from
   * the record; otherwise the sample is decoded first (and a bad sample
   * throws the decoder's {@link PerfError}).
   */
  writeRecord(rec: PerfDataRecord, ev: PerfDataEvent): void {
    const plan = this.#plans[ev.index] ?? this.#plan(ev);
    if (plan.direct && plan.fields !== null) {
      const L = plan.layout, dv = rec.dv, o = rec.at, size = rec.size;
      let ok = size >= L.fixedSize, rawBase = 0, rawSize = 0, time = 0;
      if (ok && L.rawAt >= 0) {
        ok = L.rawAt + 4 <= size;
        if (ok) {
          rawSize = dv.getUint32(o + L.rawAt, true);
          rawBase = o + L.rawAt + 4;
          ok = L.rawAt + 4 + rawSize <= size;
        }
      }
      if (ok && L.timeAt >= 0) {
        const hi = dv.getUint32(o + L.timeAt + 4, true);
        time = hi * 4294967296 + dv.getUint32(o + L.timeAt, true);
        ok = hi < 0x200000;
      }
      if (ok) {
        this.#room(plan, size, 0);
        const start = this.#pos;
        const pid = L.pidAt >= 0 ? dv.getInt32(o + L.pidAt, true) : 0;
        const tid = L.pidAt >= 0 ? dv.getInt32(o + L.pidAt + 4, true) : 0;
        const cpu = plan.cpu ? dv.getUint32(o + L.cpuAt, true) : -1;
        if (this.#fast(plan, plan.fields, dv, cpu, pid, tid, time, rawBase, rawSize, 0, 0)) return;
        this.#pos = start;
      }
    }
    this.write(rec, ev, this.#dec.sample(rec, ev)!);
  }

  /** Writes one decoded sample `s` (of record `rec`, event `ev`) as a JSON line. */
  write(rec: PerfDataRecord, ev: PerfDataEvent, s: PerfSample): void {
    const plan = this.#plans[ev.index] ?? this.#plan(ev);
    this.#room(plan, rec.size, s.callchainCount);
    const start = this.#pos;
    if (
      plan.fields === null || typeof s.time !== "number" ||
      !this.#fast(
        plan,
        plan.fields,
        s.dv,
        plan.cpu ? s.cpu : -1,
        s.pid,
        s.tid,
        s.time,
        s.rawOffset,
        s.rawSize,
        s.callchainOffset,
        s.callchainCount,
      )
    ) {
      this.#pos = start;
      this.#slow(rec, ev, s);
    }
  }

  /** Makes room for the longest line a sample can make (every byte escaped as \u00XX). */
  #room(plan: EventPlan, size: number, chain: number): void {
    const room = plan.prefix.length + 128 + 6 * size + 24 * chain + plan.keys;
    if (this.#pos + room > this.#out.length) {
      this.flush();
      if (room > this.#out.length) this.#out = new Uint8Array(room * 2);
    }
  }

  #plan(ev: PerfDataEvent): EventPlan {
    let fields: FieldPlan[] | null = [];
    try {
      for (const f of this.#dec.tracepoint(ev)?.format.fields ?? []) {
        if (f.isCommon) continue;
        const p = fieldPlan(f, fields.length === 0);
        if (p === null) {
          fields = null;
          break;
        }
        fields.push(p);
      }
    } catch {
      fields = null; // no format: the slow path says why
    }
    const layout = this.#dec.layout(ev), t = ev.attr.sample_type;
    const plan: EventPlan = {
      prefix: enc.encode(`{"event":${JSON.stringify(ev.name)},"cpu":`),
      cpu: (t & SampleType.CPU) !== 0,
      layout,
      direct: (t & SampleType.CALLCHAIN) === 0 && ((t & SampleType.RAW) === 0 || layout.rawAt >= 0),
      fields,
      keys: fields ? fields.reduce((n, f) => n + f.key.length, 0) : 0,
    };
    this.#plans[ev.index] = plan;
    return plan;
  }

  /** The line from the decoded fields (and the decoder's error for a bad payload). */
  #slow(rec: PerfDataRecord, ev: PerfDataEvent, s: PerfSample): void {
    const line = sampleJson({
      event: ev.name,
      cpu: (ev.attr.sample_type & SampleType.CPU) ? s.cpu : -1,
      pid: s.pid,
      tid: s.tid,
      time: s.time,
      fields: this.#dec.fields(rec, s, ev),
      callchain: s.callchainCount > 0 ? s.callchain() : undefined,
    });
    const bytes = enc.encode(line + "\n");
    if (this.#pos + bytes.length > this.#out.length) this.flush();
    if (bytes.length > this.#out.length) this.#out = new Uint8Array(bytes.length * 2);
    this.#out.set(bytes, this.#pos);
    this.#pos += bytes.length;
  }

  /** Writes the line from the bytes; false if a field needs the slow path. */
  #fast(
    plan: EventPlan,
    fields: FieldPlan[],
    dv: DataView,
    cpu: number,
    pid: number,
    tid: number,
    time: number,
    base: number,
    size: number,
    chainAt: number,
    chainCount: number,
  ): boolean {
    const out = this.#out;
    out.set(plan.prefix, this.#pos);
    this.#pos += plan.prefix.length;
    this.#int(cpu);
    this.#bytes(PID);
    this.#int(pid);
    this.#bytes(TID);
    this.#int(tid);
    this.#bytes(TIME);
    this.#int(time);
    this.#bytes(FIELDS);
    if (dv !== this.#dv) {
      // One byte view per buffer (the reader's window, a decompressed chunk), not per sample.
      this.#dv = dv;
      this.#dvBytes = new Uint8Array(dv.buffer, dv.byteOffset, dv.byteLength);
    }
    const bytes = this.#dvBytes;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i];
      if (f.offset + f.size > size) return false;
      this.#bytes(f.key);
      const p = base + f.offset;
      switch (f.kind) {
        case INT:
          if (f.size === 4) this.#int(f.signed ? dv.getInt32(p, true) : dv.getUint32(p, true));
          else if (f.size === 2) this.#int(f.signed ? dv.getInt16(p, true) : dv.getUint16(p, true));
          else if (f.size === 1) this.#int(f.signed ? dv.getInt8(p) : dv.getUint8(p));
          else {
            const lo = dv.getUint32(p, true), hi = dv.getInt32(p + 4, true);
            if (f.signed ? hi > -0x200000 && hi < 0x200000 : hi >= 0 && hi < 0x200000) {
              this.#int(hi * 4294967296 + lo);
            } else return false;
          }
          break;
        case BOOL:
          this.#bytes(dv.getUint8(p) !== 0 ? TRUE : FALSE);
          break;
        case CHARS:
          if (!this.#string(bytes, p, f.size)) return false;
          break;
        default: { // DYN_STR
          const word = dv.getUint32(p, true);
          const off = (word & 0xffff) + (f.rel ? f.offset + 4 : 0), len = word >>> 16;
          if (off + len > size || !this.#string(bytes, base + off, len)) return false;
        }
      }
    }
    if (chainCount > 0) {
      this.#bytes(CHAIN);
      for (let i = 0; i < chainCount; i++) {
        const at = chainAt + 8 * i;
        if (i > 0) out[this.#pos++] = 44;
        this.#hex64(dv.getUint32(at + 4, true), dv.getUint32(at, true));
      }
      out[this.#pos++] = 93; // ]
    } else out[this.#pos++] = 125; // } of fields
    out[this.#pos++] = 125;
    out[this.#pos++] = 10;
    return true;
  }

  #bytes(b: Uint8Array): void {
    this.#out.set(b, this.#pos);
    this.#pos += b.length;
  }

  /** An integer below 2^53 in magnitude, as decimal digits. */
  #int(v: number): void {
    const out = this.#out;
    if (v < 0) {
      out[this.#pos++] = 45;
      v = -v;
    }
    if (v >= 1e9) {
      const hi = Math.floor(v / 1e9);
      this.#int(hi);
      this.#digits(v - hi * 1e9, 9);
      return;
    }
    let n = 1;
    for (let t = v; t >= 10; t = (t / 10) | 0) n++;
    this.#digits(v, n);
  }

  /** `v` (below 1e9) as exactly `n` digits, zero-padded. */
  #digits(v: number, n: number): void {
    const out = this.#out;
    let p = this.#pos + n;
    this.#pos = p;
    while (n >= 2) {
      const q = (v / 100) | 0, r = (v - q * 100) << 1;
      out[--p] = PAIRS[r + 1];
      out[--p] = PAIRS[r];
      v = q;
      n -= 2;
    }
    if (n === 1) out[--p] = 48 + v;
  }

  /** `"0x..."` of a u64 given as two halves, lowercase, no leading zeros. */
  #hex64(hi: number, lo: number): void {
    const out = this.#out;
    out[this.#pos++] = 34;
    out[this.#pos++] = 48;
    out[this.#pos++] = 120;
    let started = false;
    for (let i = 15; i >= 0; i--) {
      const nib = i >= 8 ? (hi >>> ((i - 8) * 4)) & 15 : (lo >>> (i * 4)) & 15;
      if (nib === 0 && !started && i > 0) continue;
      started = true;
      out[this.#pos++] = HEX[nib];
    }
    out[this.#pos++] = 34;
  }

  /** A C string of at most `n` bytes at `p` (cut at NUL) as a JSON string; false for non-ASCII. */
  #string(bytes: Uint8Array, p: number, n: number): boolean {
    const out = this.#out;
    let o = this.#pos;
    out[o++] = 34;
    for (let i = p, end = p + n; i < end; i++) {
      const b = bytes[i];
      if (b === 0) break;
      if (b >= 0x20 && b !== 34 && b !== 92) {
        if (b >= 0x80) return false; // UTF-8: the decoder's TextDecoder decides
        out[o++] = b;
      } else if (b === 34 || b === 92) {
        out[o++] = 92;
        out[o++] = b;
      } else {
        out[o++] = 92;
        const short = SHORT_ESCAPES[b];
        if (short !== undefined) out[o++] = short;
        else {
          out[o++] = 117; // u00XX
          out[o++] = 48;
          out[o++] = 48;
          out[o++] = HEX[b >> 4];
          out[o++] = HEX[b & 15];
        }
      }
    }
    out[o++] = 34;
    this.#pos = o;
    return true;
  }
}

function fieldPlan(f: TraceField, first: boolean): FieldPlan | null {
  const key = enc.encode(`${first ? "" : ","}${JSON.stringify(f.name)}:`);
  const plan = { offset: f.offset, size: f.size, signed: f.signed, rel: false, key };
  if (f.kind === "scalar") {
    if (f.type === "bool" || f.type === "_Bool") return { ...plan, kind: BOOL };
    if (f.size === 1 || f.size === 2 || f.size === 4 || f.size === 8) return { ...plan, kind: INT };
    return null;
  }
  if (f.kind === "array") return f.isString ? { ...plan, kind: CHARS } : null;
  if (f.isString) return { ...plan, kind: DYN_STR, rel: f.kind === "rel_loc" };
  return null;
}
