/**
 * Samples of a perf.data file, decoded: each sample's event (found through
 * its IDENTIFIER / ID), its `sample_type` fields through the event's
 * compiled {@link SampleLayout}, and a tracepoint's payload through the
 * format file embedded in the file's tracing data (so it decodes the same
 * on any machine). One {@link PerfSample} is reused for every sample.
 *
 * @module
 */

import { PerfType, SampleType } from "./attr.ts";
import { PerfError } from "./error.ts";
import type { PerfData, PerfDataRecordsOptions } from "./perf_data.ts";
import type { PerfDataRecord } from "./perf_data_record.ts";
import type { PerfDataEvent } from "./perf_data_header.ts";
import { PerfSample, SampleLayout } from "./sample.ts";
import { parseFormat } from "./tracefs.ts";
import { TracepointDecoder } from "./tracepoint.ts";

const SAMPLE = 9;

/**
 * A decoded sample, in the shape of the `trace` command's JSON lines.
 *
 * @example
 * ```ts
 * import type { PerfDataSample } from "@bpfview/bpfview";
 * const line = (s: PerfDataSample) => `${s.tid} [${s.cpu}] ${s.time}: ${s.event}`;
 * ```
 */
export interface PerfDataSample {
  /** The event's name (`sched:sched_switch`). */
  event: string;
  /** The CPU it was recorded on; -1 when the event does not sample it. */
  cpu: number;
  /** Process id. */
  pid: number;
  /** Thread id. */
  tid: number;
  /** Sample time in ns (the sample clock); a bigint past 2^53. */
  time: number | bigint;
  /** A tracepoint's payload fields, by the file's format file; `{}` for other events. */
  fields: Record<string, unknown>;
  /** The callchain (PERF_SAMPLE_CALLCHAIN), context markers included. */
  callchain?: bigint[];
}

/**
 * Decodes the samples of one {@link PerfData}: layouts and tracepoint
 * decoders are made once per event.
 *
 * @example
 * ```ts
 * import { PerfData, PerfDataDecoder } from "@bpfview/bpfview";
 * using data = PerfData.open("perf.data");
 * const dec = new PerfDataDecoder(data);
 * for (const rec of data.records()) {
 *   const s = dec.sample(rec);
 *   if (s) console.log(dec.eventOf(rec)?.name, s.tid, s.time, dec.fields(rec, s));
 * }
 * ```
 */
export class PerfDataDecoder {
  /** The file whose samples this decodes. */
  readonly data: PerfData;
  /** The sample {@link sample} fills (reused). */
  readonly current: PerfSample = new PerfSample();
  #layouts: (SampleLayout | undefined)[] = [];
  #tracepoints: (TracepointDecoder | null | undefined)[] = [];

  /** A decoder for the samples of `data`. */
  constructor(data: PerfData) {
    this.data = data;
  }

  /** The event of a record ({@link PerfData.eventOf}). */
  eventOf(rec: PerfDataRecord): PerfDataEvent | undefined {
    return this.data.eventOf(rec);
  }

  /**
   * Decodes a PERF_RECORD_SAMPLE into {@link current} (returned); undefined
   * for other records. Throws {@link PerfError} naming the record's file
   * offset when the sample does not fit its event's layout or its id is
   * unknown.
   */
  sample(
    rec: PerfDataRecord,
    ev: PerfDataEvent | undefined = this.data.eventOf(rec),
  ): PerfSample | undefined {
    if (rec.type !== SAMPLE) return undefined;
    if (ev === undefined) {
      throw new PerfError(
        `expected a sample id of one of the file's events, found an unknown id`,
        rec.offset,
      );
    }
    const layout = this.layout(ev);
    try {
      return layout.decode(rec.dv, rec.at, this.current);
    } catch (e) {
      if (e instanceof PerfError) {
        throw new PerfError(
          `${e.message.replace(/ \(at byte \d+\)$/, "")} in the ${ev.name} sample`,
          rec.offset,
        );
      }
      throw e;
    }
  }

  /** The compiled sample layout of an event (made once). */
  layout(ev: PerfDataEvent): SampleLayout {
    return this.#layouts[ev.index] ??= new SampleLayout(ev.attr);
  }

  /**
   * The tracepoint payload of a decoded sample as a plain object of fields
   * (by the format file in the file's tracing data); `{}` for events that are
   * not tracepoints or without a raw payload, and when the file's tracing
   * data could not be read (see {@link PerfData.errors}: the records still
   * come out, then that error). Throws {@link PerfError} when the file has
   * no format for the tracepoint.
   */
  fields(
    rec: PerfDataRecord,
    s: PerfSample,
    ev: PerfDataEvent | undefined = this.data.eventOf(rec),
  ): Record<string, unknown> {
    if (ev === undefined || s.rawSize === 0) return {};
    let tp: TracepointDecoder | null;
    try {
      tp = this.tracepoint(ev);
    } catch (e) {
      // The tracing data could not be read (a file cut off): the sample has no fields here;
      // records() throws that feature's error after the last record.
      if (e instanceof PerfError && this.data.errors.length > 0) return {};
      if (e instanceof PerfError && e.offset < 0) throw new PerfError(e.message, rec.offset);
      throw e;
    }
    if (tp === null) return {};
    try {
      return tp.decode(s.dv, s.rawOffset, s.rawSize);
    } catch (e) {
      if (e instanceof PerfError) {
        throw new PerfError(e.message.replace(/ \(at byte \d+\)$/, ""), rec.offset);
      }
      throw e;
    }
  }

  /** The payload decoder of a tracepoint event (tracefs schema, from the file), or null. */
  tracepoint(ev: PerfDataEvent): TracepointDecoder | null {
    let tp = this.#tracepoints[ev.index];
    if (tp !== undefined) return tp;
    tp = null;
    if (ev.attr.type === PerfType.TRACEPOINT) {
      const id = Number(ev.attr.config);
      const f = this.data.features.tracingData?.events.find((e) => e.id === id);
      if (f === undefined) {
        throw new PerfError(
          `expected the format of tracepoint ${ev.name} (id ${id}) in the file's tracing data, found none`,
        );
      }
      tp = new TracepointDecoder(parseFormat(f.text, f.system), { schema: "tracefs" });
    }
    this.#tracepoints[ev.index] = tp;
    return tp;
  }
}

/**
 * Options of {@link perfDataSamples}.
 *
 * @example
 * ```ts
 * import { PerfData, perfDataSamples, type PerfDataSamplesOptions } from "@bpfview/bpfview";
 * const opts: PerfDataSamplesOptions = { ordered: true, events: ["sched:sched_switch"] };
 * using data = PerfData.open("perf.data");
 * for (const s of perfDataSamples(data, opts)) console.log(s.time);
 * ```
 */
export interface PerfDataSamplesOptions extends PerfDataRecordsOptions {
  /** Only samples of these events (names as {@link PerfDataEvent.name}). */
  events?: readonly string[];
}

/**
 * Every sample of a perf.data file as a plain object (one allocated per
 * sample: for bulk work use {@link PerfDataDecoder} on the records). Samples
 * before bad input come out, then the {@link PerfError}.
 *
 * @example
 * ```ts
 * import { PerfData, perfDataSamples } from "@bpfview/bpfview";
 * using data = PerfData.open("perf.data");
 * for (const s of perfDataSamples(data, { ordered: true, events: ["sched:sched_switch"] })) {
 *   console.log(s.time, s.fields.prev_comm, "->", s.fields.next_comm);
 * }
 * ```
 */
export function* perfDataSamples(
  data: PerfData,
  options: PerfDataSamplesOptions = {},
): Generator<PerfDataSample> {
  const dec = new PerfDataDecoder(data);
  const only = options.events ? new Set(options.events) : null;
  for (const rec of data.records(options)) {
    if (rec.type !== SAMPLE) continue;
    const ev = data.eventOf(rec);
    if (only !== null && (ev === undefined || !only.has(ev.name))) continue;
    const s = dec.sample(rec, ev)!;
    const out: PerfDataSample = {
      event: ev!.name,
      cpu: (ev!.attr.sample_type & SampleType.CPU) ? s.cpu : -1,
      pid: s.pid,
      tid: s.tid,
      time: s.time,
      fields: dec.fields(rec, s, ev),
    };
    if (s.callchainCount > 0) out.callchain = s.callchain();
    yield out;
  }
}

/**
 * One sample as a JSON line (without the newline) in the shape of `trace`:
 * `{"event","cpu","pid","tid","time","fields"}` (and `"callchain"` as hex
 * strings when sampled); integers past 2^53 as strings.
 *
 * @example
 * ```ts
 * import { sampleJson } from "@bpfview/bpfview";
 * console.log(sampleJson({ event: "x:y", cpu: 0, pid: 1, tid: 1, time: 5, fields: { a: 2n ** 60n } }));
 * // {"event":"x:y","cpu":0,"pid":1,"tid":1,"time":5,"fields":{"a":"1152921504606846976"}}
 * ```
 */
export function sampleJson(s: PerfDataSample): string {
  let out = `{"event":${
    JSON.stringify(s.event)
  },"cpu":${s.cpu},"pid":${s.pid},"tid":${s.tid},"time":${jsonInt(s.time)},"fields":{`;
  let first = true;
  for (const k in s.fields) {
    out += `${first ? "" : ","}${JSON.stringify(k)}:${jsonValue(s.fields[k])}`;
    first = false;
  }
  return out + "}" + callchainJson(s.callchain) + "}";
}

function callchainJson(chain: bigint[] | undefined): string {
  if (!chain) return "";
  return `,"callchain":[${chain.map((ip) => `"0x${ip.toString(16)}"`).join(",")}]`;
}

function jsonValue(v: unknown): string {
  switch (typeof v) {
    case "number":
      return Number.isFinite(v) ? String(v) : `"${v}"`;
    case "string":
      return JSON.stringify(v);
    case "bigint":
      return jsonInt(v);
    case "boolean":
      return v ? "true" : "false";
    default:
      return v === undefined ? "null" : JSON.stringify(v, bigintReplacer);
  }
}

function jsonInt(v: number | bigint): string {
  if (typeof v === "number") {
    // Sample times (~1e12..1e15 ns) as two small integers: much faster than String(v).
    if (v >= 1e9 && v <= Number.MAX_SAFE_INTEGER && Number.isInteger(v)) {
      const hi = Math.floor(v / 1e9), lo = v - hi * 1e9;
      return hi + (lo < 1e8 ? PAD[String(lo).length] + lo : String(lo));
    }
    return String(v);
  }
  return v >= -0x1fffffffffffffn && v <= 0x1fffffffffffffn ? String(v) : `"${v}"`;
}

const PAD = ["", "00000000", "0000000", "000000", "00000", "0000", "000", "00", "0", ""];

function bigintReplacer(_k: string, v: unknown): unknown {
  if (typeof v !== "bigint") return v;
  return v >= -0x1fffffffffffffn && v <= 0x1fffffffffffffn ? Number(v) : String(v);
}
