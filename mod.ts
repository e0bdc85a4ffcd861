/**
 * bpfview: read eBPF and perf event data in place and decode it with BTF.
 *
 * The BTF reader is pure TypeScript; importing it needs no permission.
 * `openBtf()` opens the kernel's BTF (or any BTF or ELF file): it maps the
 * file with `--allow-read --allow-ffi` and reads it otherwise (Deno reads
 * files under /sys only with `-A`); `parseBtf` takes bytes you already have:
 *
 * ```ts
 * import { Kind, openBtf } from "@bpfview/bpfview";
 * const btf = openBtf(); // /sys/kernel/btf/vmlinux
 * const task = btf.get("task_struct", Kind.STRUCT);
 * console.log(task.id, task.name);
 * ```
 *
 * @module
 */

export { BtfError } from "./btf/error.ts";
export { Kind, KIND_NAMES, kindFromName, kindName, type KindNumber } from "./btf/kinds.ts";
export type * from "./btf/types.ts";
export { type ElfSection, findElfSection, isElf } from "./btf/elf.ts";
export {
  Btf,
  BTF_MAGIC,
  KERNEL_BTF_PATH,
  loadBtf,
  loadModuleBtf,
  parseBtf,
  type ParseOptions,
} from "./btf/parse.ts";
export type { BtfHeader, KindLayout } from "./btf/header.ts";
export type { TypeIndex } from "./btf/type_index.ts";
export {
  alignOf,
  closure,
  declaration,
  describe,
  type Field,
  fieldsOf,
  layoutOf,
  type LayoutRow,
  MAX_DEPTH,
  memberOffset,
  references,
  resolveType,
  sizeOf,
  skipQualifiers,
} from "./btf/layout.ts";
export { dumpC, dumpCBytes, type DumpCBytesOptions, type DumpCOptions } from "./btf/dump_c.ts";
// pahole's layout view (issue 12)
export { formatPahole } from "./btf/pahole_format.ts";
export {
  type PaholeBitHole,
  type PaholeHole,
  type PaholeLayout,
  paholeLayout,
  type PaholeMember,
  type PaholeOptions,
} from "./btf/pahole.ts";
// Several layouts, with what they need (issue 7, the layout table)
export { paholeLayouts, type PaholeLayoutsOptions } from "./btf/pahole_layouts.ts";
// TypeScript declarations from BTF (issue 12)
export { commentSafe, dumpTs, type DumpTsOptions, tsNames } from "./btf/dump_ts.ts";
export {
  dumpRaw,
  dumpRawBytes,
  type DumpRawOptions,
  formatRawType,
  writeAllSync,
} from "./btf/dump_raw.ts";
export {
  type BtfJsonEnumValue,
  type BtfJsonMember,
  type BtfJsonParam,
  type BtfJsonType,
  type BtfJsonVar,
  dumpJson,
  type DumpJsonOptions,
} from "./btf/dump_json.ts";
// Fast dumps written as bytes, streamed (issue 12)
export { dumpJsonBytes, type DumpJsonBytesOptions } from "./btf/dump_json_bytes.ts";
export type { ByteSink } from "./btf/byte_out.ts";
export { ArrayView, enumName, RESERVED_NAMES, viewClass } from "./btf/view.ts";
export type { Converter, ConverterField, View, ViewApi } from "./btf/view.ts";
export type { ViewClass, ViewField, ViewOptions } from "./btf/view.ts";
export { eachElement, ktimeToDate, ktimeToEpochNs } from "./btf/convert.ts";
export { ERRNO_NAMES, errnoName } from "./ffi/errno.ts";
export { clockNs, type ClockOffset, type KernelClock } from "./ffi/clock.ts";
export { measureRealtimeOffset, realtimeOffset } from "./ffi/clock.ts";
export { FfiError } from "./ffi/error.ts";
export { mapFile, MappedFile } from "./ffi/mmap.ts";
export { mapBtf, type MappedBtf, openBtf } from "./perf/kernel_btf.ts";
// BPF objects through libbpf (issue 8): open, load, attach, maps and globals
export { LIBBPF_ENV, libbpfVersion } from "./ffi/libbpf.ts";
export { encode, encodeBits, encodeInto, parseValue } from "./btf/encode.ts";
export { layoutDatasecs, objectBtf } from "./btf/datasec.ts";
export { type ElfSectionHeader, elfSections, type ElfSymbol, elfSymbols } from "./btf/elf.ts";
export { jsonValue, type ValueReader, valueReader } from "./btf/value.ts";
export { BpfObject, type BpfObjectOptions } from "./perf/object.ts";
export type { GlobalVar } from "./perf/globals.ts";
export { BpfLink, BpfProgram } from "./perf/program.ts";
export {
  BpfMap,
  isPerCpu,
  type MapInput,
  MapType,
  type MapValue,
  type UpdateFlags,
} from "./perf/map.ts";
export { listMaps, listPrograms, type MapInfo, type ProgramInfo } from "./perf/kernel_objects.ts";
export {
  PerfBuffer,
  type PerfBufferHandler,
  type PerfBufferOptions,
  type PerfBufferStats,
} from "./perf/perf_buffer.ts";
// perf/: event sources (waiting on many fds, BPF ring buffers)
export { PerfError } from "./perf/error.ts";
export { FdWaiter, follow, type FollowOptions, Pacer, type WaitOptions } from "./perf/wait.ts";
export {
  followRings,
  LOST_MAP_NAME,
  RingBuffer,
  type RingBufferOptions,
  type RingStats,
} from "./perf/ringbuf.ts";
export {
  type BpfMapInfo,
  bpfMapInfo,
  bpfMapLookup,
  bpfObjGet,
  bpfObjPin,
  bpfProgTestRun,
  bpfProgTestRunAsync,
  possibleCpus,
} from "./ffi/bpf.ts";

// perf events: attrs, records, samples, tracefs and tracepoint payloads (issue 10)
export {
  ATTR_SIZE_LATEST,
  ATTR_SIZES,
  BranchSample,
  decodeAttr,
  encodeAttr,
  type PerfEventAttr,
  type PerfEventAttrInit,
  PerfSwConfig,
  PerfType,
  ReadFormat,
  SAMPLE_KNOWN_BITS,
  SampleType,
} from "./perf/attr.ts";
export {
  type BranchEntry,
  CallchainContext,
  checkRecord,
  PerfSample,
  type SampleAttr,
  type SampleDecoder,
  type SampleId,
  SampleLayout,
} from "./perf/sample.ts";
export { readU64 } from "./perf/bytes.ts";
export { type ReadValue, type ReadValues, readValuesAt } from "./perf/read_format.ts";
export {
  decodeRecord,
  type PerfRecord,
  readRecords,
  RECORD_NAMES,
  type RecordCounts,
  RecordMisc,
  RecordType,
} from "./perf/records.ts";
export {
  expandEvents,
  listEvents,
  parseFormat,
  readFormat,
  type TraceEventName,
  type TraceField,
  type TraceFieldKind,
  type TraceFormat,
  tracefsRoot,
} from "./perf/tracefs.ts";
export {
  findTracepointStruct,
  TracepointDecoder,
  type TracepointDecoderOptions,
  type TraceSchema,
} from "./perf/tracepoint.ts";
export {
  onlineCpus,
  type OpenOptions,
  parseCpuList,
  PerfEvent,
  perfEventOpen,
  privilegeHint,
  threadsOf,
} from "./perf/event.ts";
export { PerfRing, type PerfRingStats, type RecordHandler } from "./perf/perf_ring.ts";
export {
  TracedEvent,
  type TraceHandler,
  Tracer,
  type TracerOptions,
  type TracerStats,
} from "./perf/trace.ts";

// perf.data files (issue 11): header, features, pipe mode, compressed data, ordering.
export { PerfData, type PerfDataOptions, type PerfDataRecordsOptions } from "./perf/perf_data.ts";
export { NO_TIME, type PerfDataRecord, UserRecordType } from "./perf/perf_data_record.ts";
export {
  decodeAttrIn,
  defaultEventName,
  FILE_HEADER_SIZE,
  type FileSection,
  PERF_MAGIC,
  type PerfDataEvent,
  perfDataKind,
  type PerfFileHeader,
  PIPE_HEADER_SIZE,
  readAttrEntry,
  readFileHeader,
} from "./perf/perf_data_header.ts";
export {
  emptyFeatures,
  type EventDesc,
  featureName,
  type FeatureSection,
  HeaderFeature,
  type PerfDataFeatures,
  readFeature,
} from "./perf/perf_data_features.ts";
export { parseTracingData, type TracingData, type TracingFormat } from "./perf/tracing_data.ts";
export { ZstdStream } from "./perf/zstd.ts";
export {
  PerfDataDecoder,
  type PerfDataSample,
  perfDataSamples,
  type PerfDataSamplesOptions,
  sampleJson,
} from "./perf/perf_data_events.ts";
export { JsonLineWriter } from "./perf/perf_data_json.ts";
// Hardening and library parity (issue 7): records from byte streams
export {
  type ByteSource,
  decodeRecords,
  type DecodeRecordsOptions,
  openRecordFile,
} from "./btf/records.ts";
