/**
 * perf.data feature sections (`HEADER_*`): what the file header's feature
 * bitmap announces, stored after the data section in file mode and as
 * PERF_RECORD_HEADER_FEATURE records in pipe mode. The ones users need are
 * decoded (tracing data, event descriptions, host, OS release, CPUs,
 * command line, clocks, sample times, compression); the others are named
 * and skipped by their size.
 *
 * @module
 */

import { decodeAttr, type PerfEventAttr } from "./attr.ts";
import { Cursor } from "./perf_data_cursor.ts";
import { parseTracingData, type TracingData } from "./tracing_data.ts";

/**
 * Feature numbers (`enum` in perf's `util/header.h`), as perf 6.1 knows them.
 *
 * @example
 * ```ts
 * import { HeaderFeature } from "@bpfview/bpfview";
 * console.log(HeaderFeature.TRACING_DATA); // 1
 * ```
 */
export const HeaderFeature = {
  TRACING_DATA: 1,
  BUILD_ID: 2,
  HOSTNAME: 3,
  OSRELEASE: 4,
  VERSION: 5,
  ARCH: 6,
  NRCPUS: 7,
  CPUDESC: 8,
  CPUID: 9,
  TOTAL_MEM: 10,
  CMDLINE: 11,
  EVENT_DESC: 12,
  CPU_TOPOLOGY: 13,
  NUMA_TOPOLOGY: 14,
  BRANCH_STACK: 15,
  PMU_MAPPINGS: 16,
  GROUP_DESC: 17,
  AUXTRACE: 18,
  STAT: 19,
  CACHE: 20,
  SAMPLE_TIME: 21,
  MEM_TOPOLOGY: 22,
  CLOCKID: 23,
  DIR_FORMAT: 24,
  BPF_PROG_INFO: 25,
  BPF_BTF: 26,
  COMPRESSED: 27,
  CPU_PMU_CAPS: 28,
  CLOCK_DATA: 29,
  HYBRID_TOPOLOGY: 30,
  PMU_CAPS: 31,
} as const;

const NAMES = new Map<number, string>(Object.entries(HeaderFeature).map(([k, v]) => [v, k]));

/**
 * The name of feature `id` (`"HOSTNAME"`), or `"feature 40"` for one this
 * version does not know (written by a newer perf).
 *
 * @example
 * ```ts
 * import { featureName } from "@bpfview/bpfview";
 * console.log(featureName(3), featureName(40)); // HOSTNAME feature 40
 * ```
 */
export function featureName(id: number): string {
  return NAMES.get(id) ?? `feature ${id}`;
}

/**
 * One event of the EVENT_DESC feature: its attr, its name and its sample ids.
 *
 * @example
 * ```ts
 * import { type EventDesc, PerfData } from "@bpfview/bpfview";
 * using data = PerfData.open("perf.data");
 * const descs: EventDesc[] = data.features.eventDesc ?? [];
 * for (const d of descs) console.log(d.name, d.ids.length);
 * ```
 */
export interface EventDesc {
  /** The event's attr. */
  attr: PerfEventAttr;
  /** Its name as perf gives it (`sched:sched_switch`). */
  name: string;
  /** Its sample ids. */
  ids: number[];
}

/**
 * Where a feature's bytes are in the file.
 *
 * @example
 * ```ts
 * import { type FeatureSection, PerfData } from "@bpfview/bpfview";
 * using data = PerfData.open("perf.data");
 * const sections: FeatureSection[] = data.features.sections;
 * for (const s of sections) console.log(s.name, s.offset, s.size);
 * ```
 */
export interface FeatureSection {
  /** Feature number ({@link HeaderFeature}). */
  id: number;
  /** {@link featureName} of `id`. */
  name: string;
  /** File offset of its bytes (in pipe mode: of the HEADER_FEATURE record's payload). */
  offset: number;
  /** Its size in bytes. */
  size: number;
}

/**
 * The decoded features of a perf.data file. Absent features are undefined.
 *
 * @example
 * ```ts
 * import type { PerfDataFeatures } from "@bpfview/bpfview";
 * const where = (f: PerfDataFeatures) => `${f.hostname} (${f.osRelease})`;
 * ```
 */
export interface PerfDataFeatures {
  /** The tracepoint format files embedded by `perf record`. */
  tracingData?: TracingData;
  /** The recording machine's host name. */
  hostname?: string;
  /** Its kernel release (`uname -r`). */
  osRelease?: string;
  /** The perf version that wrote the file. */
  perfVersion?: string;
  /** The machine's architecture (`x86_64`). */
  arch?: string;
  /** CPUs available (present) and online when recording. */
  nrCpus?: { available: number; online: number };
  /** The CPU model. */
  cpuDesc?: string;
  /** The CPU's vendor, family, model and stepping as perf writes them. */
  cpuId?: string;
  /** Total memory in kB. */
  totalMemKb?: number;
  /** The `perf record` command line, one word per element. */
  cmdline?: string[];
  /** Every event's attr, name and ids. */
  eventDesc?: EventDesc[];
  /** Times of the first and last sample (ns, the sample clock). */
  sampleTime?: { first: bigint; last: bigint };
  /** The resolution of the sample clock in ns (HEADER_CLOCKID). */
  clockResNs?: number;
  /** A reference point: the sample clock `clockid` read `clockidNs` when the wall clock read `todNs`. */
  clockData?: { clockid: number; todNs: bigint; clockidNs: bigint };
  /** `perf record -z` settings: type 1 is zstd. */
  compressed?: { version: number; type: number; level: number; ratio: number; mmapLen: number };
  /** Every feature the file has, with where its bytes are. */
  sections: FeatureSection[];
  /** Features present but not decoded here (known or not), named. */
  skipped: string[];
}

/**
 * An empty feature set.
 *
 * @example
 * ```ts
 * import { emptyFeatures } from "@bpfview/bpfview";
 * console.log(emptyFeatures().sections.length); // 0
 * ```
 */
export function emptyFeatures(): PerfDataFeatures {
  return { sections: [], skipped: [] };
}

/**
 * Decodes the bytes of feature `id` into `into`; `base` is their file
 * offset. Unknown and undecoded features are added to `into.skipped`.
 * Throws {@link PerfError} (from "./error.ts") naming the byte where the bytes
 * do not match the feature's layout.
 *
 * @example
 * ```ts
 * import { emptyFeatures, HeaderFeature, readFeature } from "@bpfview/bpfview";
 * const f = emptyFeatures();
 * const bytes = new Uint8Array([8, 0, 0, 0, 0x76, 0x6d, 0, 0, 0, 0, 0, 0]); // "vm"
 * readFeature(HeaderFeature.HOSTNAME, bytes, 0, f);
 * console.log(f.hostname); // vm
 * ```
 */
export function readFeature(
  id: number,
  bytes: Uint8Array,
  base: number,
  into: PerfDataFeatures,
): void {
  const name = featureName(id);
  into.sections.push({ id, name, offset: base, size: bytes.length });
  const c = new Cursor(bytes, base, `the ${name} feature`);
  const F = HeaderFeature;
  switch (id) {
    case F.TRACING_DATA:
      into.tracingData = parseTracingData(bytes, base);
      return;
    case F.HOSTNAME:
      into.hostname = c.headerString("hostname");
      return;
    case F.OSRELEASE:
      into.osRelease = c.headerString("os release");
      return;
    case F.VERSION:
      into.perfVersion = c.headerString("perf version");
      return;
    case F.ARCH:
      into.arch = c.headerString("arch");
      return;
    case F.CPUDESC:
      into.cpuDesc = c.headerString("cpu description");
      return;
    case F.CPUID:
      into.cpuId = c.headerString("cpuid");
      return;
    case F.NRCPUS: {
      const available = c.u32("nr_cpus_avail");
      into.nrCpus = { available, online: c.u32("nr_cpus_online") };
      return;
    }
    case F.TOTAL_MEM:
      into.totalMemKb = c.u64("total memory");
      return;
    case F.CMDLINE: {
      const n = c.u32("argument count");
      c.need(n * 4, "arguments");
      const words: string[] = [];
      for (let i = 0; i < n; i++) words.push(c.headerString(`argument ${i}`));
      into.cmdline = words;
      return;
    }
    case F.EVENT_DESC: {
      const n = c.u32("event count");
      const attrSize = c.u32("attr size");
      c.need(n * (attrSize + 8), "event descriptions");
      const out: EventDesc[] = [];
      for (let i = 0; i < n; i++) {
        c.need(attrSize, `attr of event ${i}`);
        const attr = decodeAttrAt(c, attrSize);
        const nIds = c.u32(`id count of event ${i}`);
        const evName = c.headerString(`name of event ${i}`);
        c.need(nIds * 8, `ids of event ${i}`);
        const ids: number[] = [];
        for (let k = 0; k < nIds; k++) ids.push(c.u64(`id ${k} of event ${i}`));
        out.push({ attr, name: evName, ids });
      }
      into.eventDesc = out;
      return;
    }
    case F.SAMPLE_TIME: {
      const first = c.u64n("first sample time");
      into.sampleTime = { first, last: c.u64n("last sample time") };
      return;
    }
    case F.CLOCKID:
      into.clockResNs = c.u64("clock resolution");
      return;
    case F.CLOCK_DATA: {
      const version = c.u32("clock data version");
      if (version !== 1) {
        into.skipped.push(`${name} version ${version}`);
        return;
      }
      const clockid = c.u32("clockid");
      const todNs = c.u64n("wall clock reference");
      into.clockData = { clockid, todNs, clockidNs: c.u64n("clockid reference") };
      return;
    }
    case F.COMPRESSED: {
      const version = c.u32("compression version");
      const type = c.u32("compression type");
      const level = c.u32("compression level");
      const ratio = c.u32("compression ratio");
      into.compressed = { version, type, level, ratio, mmapLen: c.u32("mmap length") };
      return;
    }
    default:
      into.skipped.push(name);
  }
}

function decodeAttrAt(c: Cursor, size: number): PerfEventAttr {
  // decodeAttr reads `size` bytes at c.pos (a size of 0 means VER0).
  const attr = decodeAttr(c.bytes, c.pos, size || 64);
  c.pos += size || 64;
  return attr;
}
