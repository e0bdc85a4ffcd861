/**
 * The runner of `bpfview perf-data` (its parser is in `perf_data.ts`), apart
 * from the parser so that the fast start (`fast.ts`) runs it without loading
 * Optique.
 *
 * @module
 */

import {
  featureName,
  JsonLineWriter,
  PerfData,
  PerfDataDecoder,
  type PerfDataFeatures,
  PerfError,
  type PerfSample,
} from "../mod.ts";
import { warn, writeOut } from "./output.ts";

/** Options of {@link runPerfData}. */
export interface PerfDataOptions {
  /** The perf.data file, or `-` for standard input (`perf record -o - | bpfview perf-data -`). */
  file: string;
  json: boolean;
  /** Order by time across CPUs as `perf script` does (default: file order). */
  ordered: boolean;
  /** Only these events (`sched:sched_switch`). */
  event: readonly string[];
  /** Print the header (features) before the samples. */
  header: boolean;
  /** Say on stderr what was skipped and how many records of each type were read. */
  verbose: boolean;
}

const FLUSH = 1 << 16;

/** `perf-data`: prints the samples; returns the exit code. */
export function runPerfData(o: PerfDataOptions): number {
  let out: string[] = [];
  let pending = 0;
  const flush = () => {
    if (out.length) writeOut(out.join(""));
    out = [];
    pending = 0;
  };
  let data: PerfData | undefined;
  let json: JsonLineWriter | null = null;
  try {
    data = o.file === "-"
      ? PerfData.fromReader((buf) => Deno.stdin.readSync(buf))
      : PerfData.open(o.file);
    // A pipe's header arrives as records before its samples: print it at the first sample.
    let header = o.header;
    if (header && !data.pipe) {
      writeOut(headerText(data, o.json));
      header = false;
    }
    const dec = new PerfDataDecoder(data);
    const only = o.event.length ? new Set(o.event) : null;
    json = o.json ? new JsonLineWriter(dec, writeOut) : null;
    let lost = 0;
    for (const rec of data.records({ ordered: o.ordered })) {
      if (rec.type !== 9) {
        if (rec.type === 2) lost += rec.dv.getUint32(rec.at + 16, true); // PERF_RECORD_LOST: u64 id, u64 lost
        continue;
      }
      if (header) {
        writeOut(headerText(data, o.json));
        header = false;
      }
      const ev = data.eventOf(rec);
      if (only !== null && (ev === undefined || !only.has(ev.name))) continue;
      if (json !== null) {
        if (ev === undefined) dec.sample(rec, ev); // throws: an id of no event
        json.writeRecord(rec, ev!);
        continue;
      }
      const s = dec.sample(rec, ev)!;
      const line = textLine(ev!.name, s, dec.fields(rec, s, ev));
      out.push(line, "\n");
      pending += line.length;
      if (pending >= FLUSH) flush();
    }
    flush();
    json?.flush();
    if (header) writeOut(headerText(data, o.json)); // a pipe without samples
    if (lost > 0) warn(`${lost} samples lost while recording (PERF_RECORD_LOST)`);
    if (o.verbose) verbose(data);
    return 0;
  } catch (e) {
    flush();
    json?.flush();
    if (e instanceof PerfError || e instanceof Deno.errors.NotFound) {
      if (o.verbose && data) verbose(data);
      warn(e instanceof PerfError ? `${o.file}: ${e.message}` : e.message);
      return 1;
    }
    throw e;
  } finally {
    data?.close();
  }
}

function verbose(data: PerfData): void {
  for (const n of data.notes) warn(n);
  if (data.features.skipped.length) {
    warn(`features not decoded: ${data.features.skipped.join(", ")}`);
  }
  const counts = [...data.counts].sort((a, b) => a[0] - b[0]).map(([t, n]) => `${t}:${n}`);
  warn(`records by type: ${counts.join(" ")}`);
}

function textLine(event: string, s: PerfSample, fields: Record<string, unknown>): string {
  const t = typeof s.time === "bigint" ? s.time : BigInt(s.time);
  const sec = t / 1000000000n, ns = String(t % 1000000000n).padStart(9, "0");
  let line = `${String(s.pid).padStart(7)}/${String(s.tid).padEnd(7)} [${
    String(s.cpu).padStart(3, "0")
  }] ${sec}.${ns}: ${event}:`;
  for (const k in fields) {
    const v = fields[k];
    line += ` ${k}=${typeof v === "object" && v !== null ? JSON.stringify(v) : String(v)}`;
  }
  return line;
}

function headerText(data: PerfData, json: boolean): string {
  const f: PerfDataFeatures = data.features;
  const events = data.events.map((e) => ({
    name: e.name,
    type: e.attr.type,
    config: Number(e.attr.config),
    sample_type: e.attr.sample_type,
    ids: e.ids,
  }));
  if (json) {
    return JSON.stringify({
      header: {
        pipe: data.pipe,
        hostname: f.hostname,
        osRelease: f.osRelease,
        perfVersion: f.perfVersion,
        arch: f.arch,
        nrCpus: f.nrCpus,
        cpuDesc: f.cpuDesc,
        totalMemKb: f.totalMemKb,
        cmdline: f.cmdline,
        sampleTime: f.sampleTime &&
          { first: String(f.sampleTime.first), last: String(f.sampleTime.last) },
        clockResNs: f.clockResNs,
        clockData: f.clockData && {
          clockid: f.clockData.clockid,
          todNs: String(f.clockData.todNs),
          clockidNs: String(f.clockData.clockidNs),
        },
        compressed: f.compressed,
        tracepoints: f.tracingData?.events.map((e) => `${e.system}:${e.name}`),
        features: f.sections.map((s) => s.name),
        events,
      },
    }) + "\n";
  }
  const lines: string[] = [];
  const put = (k: string, v: unknown) => {
    if (v !== undefined) lines.push(`# ${k} : ${v}`);
  };
  put("hostname", f.hostname);
  put("os release", f.osRelease);
  put("perf version", f.perfVersion);
  put("arch", f.arch);
  put("nrcpus online", f.nrCpus?.online);
  put("nrcpus avail", f.nrCpus?.available);
  put("cpudesc", f.cpuDesc);
  put("total memory", f.totalMemKb === undefined ? undefined : `${f.totalMemKb} kB`);
  put("cmdline", f.cmdline?.join(" "));
  for (const e of events) {
    put(
      "event",
      `name = ${e.name}, type = ${e.type}, config = 0x${e.config.toString(16)}, ids = { ${
        e.ids.join(", ")
      } }`,
    );
  }
  if (f.sampleTime) put("sample time", `${f.sampleTime.first} .. ${f.sampleTime.last}`);
  if (f.clockData) {
    put(
      "clockid",
      `${f.clockData.clockid}, reference ${f.clockData.clockidNs} ns = ${f.clockData.todNs} ns TOD`,
    );
  }
  if (f.compressed) put("compressed", `type ${f.compressed.type}, level ${f.compressed.level}`);
  put("features", f.sections.map((s) => featureName(s.id)).join(" "));
  return lines.join("\n") + "\n";
}
