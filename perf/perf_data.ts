/**
 * perf.data files, read offline without root or the perf tool: file mode
 * (`PERFILE2` header, attrs, data, features) and pipe mode
 * (`perf record -o -`), compressed data (`perf record -z`), perf's own
 * record types (>= 64), and records in file order or ordered by time across
 * CPUs as `perf script` orders them. Records are read in place from the file
 * (a buffer, or one reused window over a file or pipe that is streamed);
 * each sample finds its event through its IDENTIFIER / ID.
 *
 * ```ts
 * import { PerfData } from "@bpfview/bpfview";
 * using data = PerfData.open("perf.data");
 * for (const rec of data.records()) {
 *   if (rec.type === 9) console.log(data.eventOf(rec)?.name, rec.size); // PERF_RECORD_SAMPLE
 * }
 * ```
 *
 * @module
 */

import { ATTR_SIZE_LATEST, SampleType } from "./attr.ts";
import { readU64Exact, textOf } from "./bytes.ts";
import { PerfError } from "./error.ts";
import {
  emptyFeatures,
  featureName,
  HeaderFeature,
  type PerfDataFeatures,
  readFeature,
} from "./perf_data_features.ts";
import {
  decodeAttrIn,
  defaultEventName,
  FILE_HEADER_SIZE,
  type FileSection,
  type PerfDataEvent,
  perfDataKind,
  PIPE_HEADER_SIZE,
  readAttrEntry,
  readFileHeader,
} from "./perf_data_header.ts";
import { type ReadFn, Window } from "./perf_data_source.ts";
import { ZstdStream } from "./zstd.ts";
import { NO_TIME, type PerfDataRecord, UserRecordType } from "./perf_data_record.ts";
import { OrderQueue } from "./perf_data_order.ts";
import { mapFile, notRegularFile } from "../ffi/mmap.ts";

const T = { ...UserRecordType, SAMPLE: 9 } as const;
const EVENT_UPDATE_NAME = 2;

/** A record holder before its first record (`compressed`: one out of a decompressed stream). */
function emptyRecord(compressed: boolean): PerfDataRecord {
  return {
    type: 0,
    misc: 0,
    size: 0,
    bytes: new Uint8Array(0),
    dv: new DataView(new ArrayBuffer(0)),
    at: 0,
    offset: 0,
    compressed,
    time: NO_TIME,
  };
}

/**
 * Options of {@link PerfData.records}.
 *
 * @example
 * ```ts
 * import type { PerfDataRecordsOptions } from "@bpfview/bpfview";
 * const opts: PerfDataRecordsOptions = { ordered: true };
 * ```
 */
export interface PerfDataRecordsOptions {
  /**
   * Order records by time across CPUs as `perf script` does (queued, and
   * released at each FINISHED_ROUND up to the previous round's last time);
   * records without a time come out at once. Default: file order.
   */
  ordered?: boolean;
}

/**
 * What {@link PerfData.open} and the others take.
 *
 * @example
 * ```ts
 * import { PerfData, type PerfDataOptions } from "@bpfview/bpfview";
 * const opts: PerfDataOptions = { windowSize: 1 << 20 };
 * using data = PerfData.open("perf.data", opts);
 * ```
 */
export interface PerfDataOptions {
  /** Window size for streamed files and pipes (default 4 MiB). */
  windowSize?: number;
}

/**
 * A perf.data file (or pipe stream) being read.
 *
 * @example
 * ```ts
 * import { PerfData } from "@bpfview/bpfview";
 * using data = PerfData.open("perf.data");
 * console.log(data.features.hostname, data.events.map((e) => e.name));
 * let samples = 0;
 * for (const rec of data.records({ ordered: true })) if (rec.type === 9) samples++;
 * ```
 */
export class PerfData {
  /** Whether this is a pipe stream (`perf record -o -`). */
  readonly pipe: boolean;
  /** The events (attrs with ids and names). In pipe mode, filled as the stream is read. */
  readonly events: PerfDataEvent[] = [];
  /** The decoded features. In pipe mode, filled as HEADER_FEATURE records are read. */
  readonly features: PerfDataFeatures = emptyFeatures();
  /** The data section (file mode); in pipe mode, from byte 16 to the end. */
  readonly data: FileSection;
  /** Records counted by type while reading (type to count), including perf's own. */
  get counts(): Map<number, number> {
    const out = new Map<number, number>();
    this.#counts.forEach((n, type) => n > 0 && out.set(type, n));
    for (const [type, n] of this.#otherCounts) out.set(type, n);
    return out;
  }
  /** Messages about parts skipped (unknown features, attr bytes past the known fields). */
  readonly notes: string[] = [];
  /**
   * Problems found in the feature sections (past the file's end, not
   * matching their layout). The features before the bad one are read;
   * {@link records} yields every record, then throws the first of these.
   */
  readonly errors: PerfError[] = [];

  #win: Window;
  #close: (() => void) | null;
  #byId = new Map<number, PerfDataEvent>();
  #tracepoints = new Map<number, string>();
  #named = new Map<number, string>(); // id -> name from EVENT_UPDATE / EVENT_TYPE
  #idPos = -1; // u64 index of the id in a sample's body, -1: none
  #isPos = -1; // u64 index from the end of a sample_id_all trailer
  #timePos = -1; // u64 index of the time in a sample's body
  #timeIsPos = -1; // u64 index from the end of the trailer
  #sampleIdAll = false;
  #reading = false;
  #passes = 0;

  private constructor(win: Window, close: (() => void) | null) {
    this.#win = win;
    this.#close = close;
    const headIdx = win.need(0, PIPE_HEADER_SIZE);
    const head = headIdx < 0 ? win.bytes.subarray(0, win.end) : win.bytes.subarray(0, 16);
    this.pipe = perfDataKind(head) === "pipe";
    if (this.pipe) {
      this.data = { offset: PIPE_HEADER_SIZE, size: win.size - PIPE_HEADER_SIZE };
      return;
    }
    const hi = win.need(0, FILE_HEADER_SIZE);
    if (hi < 0) {
      throw new PerfError(
        `expected a ${FILE_HEADER_SIZE}-byte perf.data header, found ${win.end} bytes`,
        0,
      );
    }
    const header = readFileHeader(win.bytes.subarray(hi, hi + FILE_HEADER_SIZE), win.size);
    this.data = header.data;
    this.#readAttrs(header.attrSize, header.attrs);
    try {
      this.#readFeatures(header.features, header.data);
    } catch (e) {
      if (!(e instanceof PerfError)) throw e;
      this.errors.push(e);
    }
    this.#settle();
  }

  /**
   * Opens a perf.data file and streams it through a window (the file may be
   * larger than memory). Needs `--allow-read`. Close it (or `using`) when done.
   */
  static open(path: string, options: PerfDataOptions = {}): PerfData {
    const kind = notRegularFile(path);
    if (kind) throw new PerfError(`expected a perf.data file at ${path}, found ${kind}`);
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path, { read: true });
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new PerfError(`expected a perf.data file at ${path}, found no such file`);
      }
      throw e;
    }
    try {
      const size = file.statSync().size;
      const win = Window.ofReader(
        (buf) => file.readSync(buf),
        size,
        (off) => void file.seekSync(off, Deno.SeekMode.Start),
        options.windowSize,
      );
      return new PerfData(win, () => file.close());
    } catch (e) {
      file.close();
      throw e;
    }
  }

  /**
   * Maps a perf.data file read-only and reads it in place (no read into a
   * window at all); closing unmaps it. Needs `--allow-read` and
   * `--allow-ffi`. The file must not shrink while mapped.
   */
  static map(path: string): PerfData {
    const file = mapFile(path);
    try {
      return new PerfData(Window.ofBytes(file.bytes), () => file.close());
    } catch (e) {
      file.close();
      throw e;
    }
  }

  /** Reads perf.data bytes already in memory (read or mapped), in place. */
  static fromBytes(bytes: Uint8Array): PerfData {
    return new PerfData(Window.ofBytes(bytes), null);
  }

  /**
   * Reads a stream front to back through `read` (e.g. stdin of
   * `perf record -o - | ...`); pipe-mode data, or a file's bytes in order.
   */
  static fromReader(read: ReadFn, options: PerfDataOptions = {}): PerfData {
    return new PerfData(Window.ofReader(read, Infinity, null, options.windowSize), null);
  }

  /**
   * A sample time as wall-clock ns since the epoch, through the file's
   * CLOCK_DATA reference point (`perf record -k CLOCK`); undefined when the
   * file has none.
   */
  wallClockNs(time: number | bigint): bigint | undefined {
    const c = this.features.clockData;
    if (c === undefined) return undefined;
    return c.todNs + (BigInt(time) - c.clockidNs);
  }

  /** Closes the file, if this reader opened one. */
  close(): void {
    this.#close?.();
    this.#close = null;
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * The event a record belongs to: for samples through their IDENTIFIER /
   * ID, for other records through their `sample_id_all` trailer; the only
   * event when there is one. Undefined when the id is unknown.
   */
  eventOf(rec: PerfDataRecord): PerfDataEvent | undefined {
    const evs = this.events;
    if (evs.length === 1) return evs[0];
    if (rec.type >= 64) return undefined;
    let at: number;
    if (rec.type === T.SAMPLE) {
      if (this.#idPos < 0) return evs[0];
      at = rec.at + 8 + this.#idPos * 8;
    } else {
      if (!this.#sampleIdAll || this.#isPos < 0) return evs[0];
      at = rec.at + rec.size - this.#isPos * 8;
    }
    if (at < rec.at + 8 || at + 8 > rec.at + rec.size) return undefined;
    const lo = rec.dv.getUint32(at, true), hi = rec.dv.getUint32(at + 4, true);
    // Consecutive samples mostly share their id; a small id stays a small integer (a Smi key).
    if (lo === this.#lastId && hi === 0) return this.#lastEvent;
    // Ids are exact numbers (an attr with an id of 2^53 or more is refused): none matches.
    if (hi >= 0x200000) return undefined;
    const ev = this.#byId.get(hi === 0 ? lo : hi * 0x100000000 + lo);
    if (hi === 0) {
      this.#lastId = lo;
      this.#lastEvent = ev;
    }
    return ev;
  }

  #lastId = -1;
  #lastEvent: PerfDataEvent | undefined = undefined;

  /**
   * Every record of the data, in file order or (with `ordered`) by time.
   * The contents of compressed records come out as the records they hold;
   * pipe-mode header records (attrs, features, tracing data) update
   * {@link events} and {@link features} before they are yielded. On bad
   * input, the records before the bad byte are yielded, then a
   * {@link PerfError} naming it is thrown.
   */
  *records(options: PerfDataRecordsOptions = {}): Generator<PerfDataRecord> {
    if (this.#reading) throw new PerfError("expected one records() pass at a time, found two");
    if (this.pipe && this.#passes > 0) {
      throw new PerfError("expected one pass over a pipe stream, found a second records() call");
    }
    this.#passes++;
    this.#reading = true;
    this.#zstd = null;
    this.#zstdLeft = 0;
    const q = options.ordered === true ? new OrderQueue() : null;
    let failure: unknown = undefined;
    try {
      try {
        this.#pos = this.data.offset;
        for (let rec = this.#nextRecord(); rec !== null; rec = this.#nextRecord()) {
          if (rec.type === T.COMPRESSED || rec.type === T.COMPRESSED2) {
            for (const inner of this.#decompress(rec)) {
              if (q !== null && inner.type === T.FINISHED_ROUND) yield* q.round();
              if (q === null || inner.time === NO_TIME) yield inner;
              else this.#queue(q, inner);
            }
            continue;
          }
          if (q !== null) {
            if (rec.type === T.FINISHED_ROUND) {
              yield* q.round();
              yield rec;
              continue;
            }
            if (rec.time !== NO_TIME) {
              this.#queue(q, rec);
              continue;
            }
          }
          yield rec;
        }
        if (this.#zstdLeft > 0) {
          throw new PerfError(
            `expected whole records in the compressed data, found ${this.#zstdLeft} bytes of a cut record at the end`,
            this.#zstdAt,
          );
        }
        if (this.errors.length > 0) throw this.errors[0];
      } catch (e) {
        failure = e;
      }
      // The records read before a failure still come out (in order), then the failure.
      if (q !== null) yield* q.drain();
      if (failure !== undefined) throw failure;
    } finally {
      this.#reading = false;
    }
  }

  // ----------------------------------------------------------- file mode

  #readAttrs(attrSize: number, attrs: FileSection): void {
    const bytes = this.#win.copy(attrs.offset, attrs.size);
    if (bytes === null) {
      throw new PerfError(`expected the attrs section, found the file's end`, attrs.offset);
    }
    const n = attrs.size / attrSize;
    for (let i = 0; i < n; i++) {
      const { attr, ids, skipped } = readAttrEntry(bytes, attrs.offset, i, attrSize);
      if (ids.size % 8 !== 0 || ids.offset + ids.size > this.#win.size) {
        throw new PerfError(
          `expected the ids of attr ${i} inside the file, found offset ${ids.offset} size ${ids.size}`,
          attrs.offset + i * attrSize + attr.size,
        );
      }
      const idBytes = this.#win.copy(ids.offset, ids.size);
      if (idBytes === null) {
        throw new PerfError(`expected the ids of attr ${i}, found the file's end`, ids.offset);
      }
      const dv = new DataView(idBytes.buffer, idBytes.byteOffset, idBytes.byteLength);
      const list: number[] = [];
      for (let k = 0; k < ids.size; k += 8) {
        list.push(readU64Exact(dv, k, `id ${k / 8} of attr ${i}`, ids.offset + k));
      }
      this.#addEvent(attr, list, skipped, attrs.offset + i * attrSize);
    }
  }

  #readFeatures(bits: number[], data: FileSection): void {
    const tableAt = data.offset + data.size;
    const table = this.#win.copy(tableAt, bits.length * 16);
    if (table === null) {
      throw new PerfError(
        `expected ${bits.length} feature sections (16 bytes each) after the data, found the file's end`,
        tableAt,
      );
    }
    const dv = new DataView(table.buffer, table.byteOffset, table.byteLength);
    bits.forEach((id, i) => {
      const name = featureName(id), at = i * 16;
      const offset = readU64Exact(dv, at, `the ${name} feature section's offset`, tableAt + at);
      const size = readU64Exact(dv, at + 8, `the ${name} feature section's size`, tableAt + at + 8);
      if (offset > this.#win.size || size > this.#win.size - offset) {
        throw new PerfError(
          `expected the ${
            featureName(id)
          } feature section inside the ${this.#win.size}-byte file, found offset ${offset} size ${size}`,
          tableAt + i * 16,
        );
      }
      const bytes = this.#win.copy(offset, size)!;
      try {
        this.#feature(id, bytes, offset);
      } catch (e) {
        if (!(e instanceof PerfError)) throw e;
        this.errors.push(e);
      }
    });
  }

  #feature(id: number, bytes: Uint8Array, base: number): void {
    readFeature(id, bytes, base, this.features);
    if (featureName(id) === `feature ${id}`) {
      this.notes.push(`skipped unknown feature ${id} (${bytes.length} bytes at byte ${base})`);
    }
    if (id === HeaderFeature.TRACING_DATA) this.#indexTracepoints();
    if (id === HeaderFeature.EVENT_DESC) this.#nameEvents();
  }

  // ----------------------------------------------------------- events

  #addEvent(
    attr: PerfDataEvent["attr"],
    ids: number[],
    skipped: number,
    at: number,
  ): void {
    const ev: PerfDataEvent = {
      index: this.events.length,
      attr,
      ids,
      name: "",
      skippedAttrBytes: skipped,
    };
    if (skipped > 0) {
      this.notes.push(
        `attr ${ev.index} (byte ${at}) is ${attr.size} bytes, from a newer perf: read the ${ATTR_SIZE_LATEST} known, skipped ${skipped}`,
      );
    }
    this.events.push(ev);
    for (const id of ids) this.#byId.set(id, ev);
    this.#lastId = -1;
    this.#settle();
  }

  #indexTracepoints(): void {
    for (const f of this.features.tracingData?.events ?? []) {
      this.#tracepoints.set(f.id, `${f.system}:${f.name}`);
    }
    this.#nameEvents();
  }

  #nameEvents(): void {
    const desc = this.features.eventDesc;
    for (const ev of this.events) {
      let name = desc?.[ev.index]?.name;
      if (name === undefined && desc) {
        name = desc.find((d) => d.ids.some((id) => ev.ids.includes(id)))?.name;
      }
      for (const id of ev.ids) name ??= this.#named.get(id);
      ev.name = name ?? defaultEventName(ev.attr, this.#tracepoints);
    }
  }

  /** Recomputes the id and time positions from the first attr (perf requires them equal). */
  #settle(): void {
    const first = this.events[0]?.attr;
    if (!first) return;
    const st = first.sample_type;
    const has = (bit: number) => (st & bit) !== 0;
    this.#sampleIdAll = first.sample_id_all;
    if (has(SampleType.IDENTIFIER)) {
      this.#idPos = 0;
      this.#isPos = 1;
    } else if (has(SampleType.ID)) {
      this.#idPos = +has(SampleType.IP) + +has(SampleType.TID) + +has(SampleType.TIME) +
        +has(SampleType.ADDR);
      this.#isPos = 1 + +has(SampleType.CPU) + +has(SampleType.STREAM_ID);
    } else {
      this.#idPos = this.#isPos = -1;
    }
    if (has(SampleType.TIME)) {
      this.#timePos = +has(SampleType.IDENTIFIER) + +has(SampleType.IP) + +has(SampleType.TID);
      this.#timeIsPos = 1 + +has(SampleType.IDENTIFIER) + +has(SampleType.CPU) +
        +has(SampleType.STREAM_ID) + +has(SampleType.ID);
    } else {
      this.#timePos = this.#timeIsPos = -1;
    }
    this.#nameEvents();
  }

  // ----------------------------------------------------------- framing

  #rec: PerfDataRecord = emptyRecord(false);

  /** Where a record's sample time is in `r.bytes`, or -1 if it has none. */
  #timeAt(r: PerfDataRecord): number {
    let at: number;
    if (r.type === T.SAMPLE) {
      if (this.#timePos < 0) return -1;
      at = r.at + 8 + this.#timePos * 8;
    } else if (r.type < 64 && this.#sampleIdAll && this.#timeIsPos > 0) {
      at = r.at + r.size - this.#timeIsPos * 8;
      if (at < r.at + 8) return -1;
    } else return -1;
    return at + 8 > r.at + r.size ? -1 : at;
  }

  /** A record's time (see {@link PerfDataRecord.time}: the nearest number from 2^53 on). */
  #timeOf(r: PerfDataRecord): number {
    const at = this.#timeAt(r);
    if (at < 0) return NO_TIME;
    return r.dv.getUint32(at, true) + r.dv.getUint32(at + 4, true) * 0x100000000;
  }

  /** Queues a timed record with its time's low 32 bits, which order times past 2^53 exactly. */
  #queue(q: OrderQueue, r: PerfDataRecord): void {
    q.push(r, r.dv.getUint32(this.#timeAt(r), true));
  }

  #pos = 0; // file offset of the next record

  /**
   * The next record of the data section (or pipe stream), with perf's own
   * records acted on; null at the end. (A plain method, not a generator:
   * this runs once per record.)
   */
  #nextRecord(): PerfDataRecord | null {
    const win = this.#win;
    const rec = this.#rec;
    const pos = this.#pos;
    const end = this.pipe ? Infinity : this.data.offset + this.data.size;
    if (pos >= end) return null;
    let i = win.need(pos, 8);
    if (i < 0) {
      if (this.pipe && win.base + win.end === pos) return null; // the stream's clean end
      throw new PerfError(
        `expected an 8-byte record header, found ${
          Math.max(0, win.base + win.end - pos)
        } bytes before the end`,
        pos,
      );
    }
    const size = win.dv.getUint16(i + 6, true);
    const type = win.dv.getUint32(i, true);
    if (size < 8) {
      throw new PerfError(
        `expected a record size of at least 8, found ${size} (type ${type})`,
        pos + 6,
      );
    }
    if (pos + size > end) {
      throw new PerfError(
        `expected a ${size}-byte record (type ${type}) inside the data section, found it runs ${
          pos + size - end
        } bytes past its end`,
        pos,
      );
    }
    i = win.need(pos, size);
    if (i < 0) {
      throw new PerfError(
        `expected a ${size}-byte record (type ${type}), found the file ends after ${
          win.base + win.end - pos
        } bytes`,
        pos,
      );
    }
    rec.type = type;
    rec.misc = win.dv.getUint16(i + 4, true);
    rec.size = size;
    rec.bytes = win.bytes;
    rec.dv = win.dv;
    rec.at = i;
    rec.offset = pos;
    rec.compressed = false;
    this.#count(type);
    let next = pos + size;
    if (type >= 64) next += this.#userRecord(rec);
    rec.time = type < 64 ? this.#timeOf(rec) : NO_TIME;
    this.#pos = next;
    return rec;
  }

  #counts = new Float64Array(128);
  #otherCounts = new Map<number, number>();

  #count(type: number): void {
    if (type < 128) this.#counts[type]++;
    else this.#otherCounts.set(type, (this.#otherCounts.get(type) ?? 0) + 1);
  }

  /** Acts on one of perf's own records; returns the bytes that follow it outside its size. */
  #userRecord(r: PerfDataRecord): number {
    const dv = r.dv, at = r.at;
    const need = (n: number, what: string) => {
      if (r.size < n) {
        throw new PerfError(
          `expected a ${what} record of at least ${n} bytes, found ${r.size}`,
          r.offset + 6,
        );
      }
    };
    switch (r.type) {
      case T.HEADER_ATTR: {
        need(8 + 64, "HEADER_ATTR");
        const stated = dv.getUint32(at + 12, true);
        const size = stated === 0 ? 64 : stated;
        if (8 + size > r.size || (r.size - 8 - size) % 8 !== 0) {
          throw new PerfError(
            `expected a HEADER_ATTR record of the attr's ${size} bytes plus 8 per id, found ${r.size} bytes`,
            r.offset + 12,
          );
        }
        const attr = decodeAttrIn(r.bytes, at + 8, size, r.offset - at);
        const ids: number[] = [];
        for (let k = at + 8 + size; k < at + r.size; k += 8) {
          const field = `id ${(k - at - 8 - size) / 8} of a HEADER_ATTR record`;
          ids.push(readU64Exact(dv, k, field, r.offset + (k - at)));
        }
        this.#addEvent(attr, ids, Math.max(0, size - ATTR_SIZE_LATEST), r.offset);
        return 0;
      }
      case T.HEADER_EVENT_TYPE: {
        need(8 + 8 + 64, "HEADER_EVENT_TYPE");
        // struct perf_trace_event_type { u64 event_id; char name[64]; }: the tracepoint id's name.
        const id = readU64Exact(dv, at + 8, "a HEADER_EVENT_TYPE event_id", r.offset + 8);
        const name = textOf(r.bytes.subarray(at + 16, at + 16 + 64));
        if (!this.#tracepoints.has(id)) this.#tracepoints.set(id, name);
        this.#nameEvents();
        return 0;
      }
      case T.HEADER_TRACING_DATA: {
        need(12, "HEADER_TRACING_DATA");
        const size = dv.getUint32(at + 8, true);
        const dataAt = r.offset + r.size;
        // Reading the data moves the window past the record: keep the record's own bytes.
        const own = r.bytes.slice(at, at + r.size);
        const bytes = this.#win.copy(dataAt, size);
        if (bytes === null) {
          throw new PerfError(
            `expected ${size} bytes of tracing data after the HEADER_TRACING_DATA record, found the end`,
            dataAt,
          );
        }
        // The record (r) may have moved in the window: it is not read again below.
        this.#feature(HeaderFeature.TRACING_DATA, bytes, dataAt);
        r.bytes = own;
        r.dv = new DataView(own.buffer);
        r.at = 0;
        return (size + 7) & ~7;
      }
      case T.AUXTRACE: {
        need(16, "AUXTRACE");
        return readU64Exact(dv, at + 8, "an AUXTRACE size", r.offset + 8);
      }
      case T.EVENT_UPDATE: {
        need(24, "EVENT_UPDATE");
        const type = dv.getUint32(at + 8, true);
        if (type === EVENT_UPDATE_NAME && dv.getUint32(at + 12, true) === 0) {
          const id = readU64Exact(dv, at + 16, "an EVENT_UPDATE id", r.offset + 16);
          this.#named.set(id, textOf(r.bytes.subarray(at + 24, at + r.size)));
          this.#nameEvents();
        }
        return 0;
      }
      case T.HEADER_FEATURE: {
        need(16, "HEADER_FEATURE");
        const id = dv.getUint32(at + 8, true);
        if (dv.getUint32(at + 12, true) !== 0 || id > 255) {
          throw new PerfError(
            `expected a feature number below 256, found ${dv.getBigUint64(at + 8, true)}`,
            r.offset + 8,
          );
        }
        // An empty feature is perf's end-of-features marker (its HEADER_LAST_FEATURE).
        if (r.size > 16) this.#feature(id, r.bytes.slice(at + 16, at + r.size), r.offset + 16);
        return 0;
      }
      default:
        return 0; // FINISHED_ROUND, ID_INDEX, maps, stats, TIME_CONV, ...: read by size
    }
  }

  // ----------------------------------------------------------- compression

  #zstd: ZstdStream | null = null;
  #zbuf: Uint8Array = new Uint8Array(0);
  #zstdLeft = 0; // bytes of a cut record kept at the start of #zbuf
  #zstdAt = 0; // file offset of the compressed record that started it
  #zrec: PerfDataRecord = emptyRecord(true);

  *#decompress(r: PerfDataRecord): Generator<PerfDataRecord> {
    let from = r.at + 8, to = r.at + r.size;
    if (r.type === T.COMPRESSED2) {
      if (r.size < 16) {
        throw new PerfError(
          `expected a COMPRESSED2 record of at least 16 bytes, found ${r.size}`,
          r.offset + 6,
        );
      }
      const n = r.dv.getUint32(r.at + 8, true);
      if (r.dv.getUint32(r.at + 12, true) !== 0 || 16 + n > r.size) {
        throw new PerfError(
          `expected a COMPRESSED2 data_size of at most ${r.size - 16}, found ${
            r.dv.getBigUint64(r.at + 8, true)
          }`,
          r.offset + 8,
        );
      }
      from = r.at + 16;
      to = from + n;
    }
    this.#zstd ??= new ZstdStream();
    let out: Uint8Array;
    try {
      out = this.#zstd.push(r.bytes.subarray(from, to));
    } catch (e) {
      if (e instanceof PerfError) throw new PerfError(e.message, r.offset + (from - r.at));
      throw e;
    }
    const offset = r.offset;
    // Append to what is left of a cut record.
    const total = this.#zstdLeft + out.length;
    if (this.#zstdLeft === 0) {
      this.#zbuf = out;
      this.#zstdAt = offset;
    } else {
      if (total > this.#zbuf.length) {
        const grown = new Uint8Array(Math.max(total, this.#zbuf.length * 2));
        grown.set(this.#zbuf.subarray(0, this.#zstdLeft));
        this.#zbuf = grown;
      }
      this.#zbuf.set(out, this.#zstdLeft);
    }
    const buf = this.#zbuf;
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const zr = this.#zrec;
    let pos = 0;
    while (total - pos >= 8) {
      const size = dv.getUint16(pos + 6, true);
      const type = dv.getUint32(pos, true);
      if (size < 8) {
        throw new PerfError(
          `expected a record size of at least 8 in the compressed data, found ${size} (type ${type}, byte ${pos} of the data decompressed here)`,
          offset,
        );
      }
      if (pos + size > total) break;
      zr.type = type;
      zr.misc = dv.getUint16(pos + 4, true);
      zr.size = size;
      zr.bytes = buf;
      zr.dv = dv;
      zr.at = pos;
      zr.offset = offset;
      this.#count(type);
      if (type >= 64 && type !== T.FINISHED_ROUND) {
        if (type === T.HEADER_TRACING_DATA || type === T.AUXTRACE || type === T.COMPRESSED) {
          throw new PerfError(
            `expected no record of type ${type} inside compressed data, found one`,
            offset,
          );
        }
        this.#userRecord(zr);
      }
      zr.time = type < 64 ? this.#timeOf(zr) : NO_TIME;
      yield zr;
      pos += size;
    }
    // Keep the cut record's bytes for the next compressed record.
    const left = total - pos;
    if (left > 0) {
      const keep = new Uint8Array(Math.max(left, 1 << 16));
      keep.set(buf.subarray(pos, total));
      this.#zbuf = keep;
      if (this.#zstdLeft === 0 || pos > 0) this.#zstdAt = offset;
    }
    this.#zstdLeft = left;
  }
}
