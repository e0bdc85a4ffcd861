/**
 * bpfview: read eBPF and perf event data in place and decode it with BTF.
 *
 * The BTF reader is pure TypeScript; importing it needs no permission.
 * Reading the kernel's BTF under /sys needs `-A` with Deno's file APIs
 * (`loadBtf`), or `--allow-read --allow-ffi` to map it (`mapBtf`); other
 * files need only `--allow-read`:
 *
 * ```ts
 * import { Kind, loadBtf } from "@bpfview/bpfview";
 * const btf = loadBtf(); // /sys/kernel/btf/vmlinux
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
export { dumpC, type DumpCOptions } from "./btf/dump_c.ts";
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
export { ArrayView, enumName, RESERVED_NAMES, viewClass } from "./btf/view.ts";
export type { Converter, ConverterField, View, ViewApi } from "./btf/view.ts";
export type { ViewClass, ViewField, ViewOptions } from "./btf/view.ts";
export { eachElement, ktimeToDate, ktimeToEpochNs } from "./btf/convert.ts";
export { ERRNO_NAMES, errnoName } from "./ffi/errno.ts";
export { clockNs, type ClockOffset, type KernelClock } from "./ffi/clock.ts";
export { measureRealtimeOffset, realtimeOffset } from "./ffi/clock.ts";
export { FfiError } from "./ffi/error.ts";
export { mapFile, MappedFile } from "./ffi/mmap.ts";
export { mapBtf, type MappedBtf } from "./perf/kernel_btf.ts";
// BPF objects through libbpf (issue 8): open, load, attach, maps and globals
export { LIBBPF_ENV, libbpfVersion } from "./ffi/libbpf.ts";
export { encode, encodeBits, encodeInto, parseValue } from "./btf/encode.ts";
export { jsonValue, type ValueReader, valueReader } from "./btf/value.ts";
export { BpfObject, type BpfObjectOptions } from "./perf/object.ts";
export type { GlobalVar } from "./perf/globals.ts";
export { BpfLink, BpfProgram } from "./perf/program.ts";
export { BpfMap, isPerCpu, MapType, type UpdateFlags } from "./perf/map.ts";
// perf/: event sources (waiting on many fds, BPF ring buffers)
export { PerfError } from "./perf/error.ts";
export { FdWaiter, follow, type FollowOptions, type WaitOptions } from "./perf/wait.ts";

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
  readU64,
  type ReadValue,
  type ReadValues,
  readValuesAt,
  type SampleAttr,
  type SampleDecoder,
  SampleLayout,
} from "./perf/sample.ts";
export {
  decodeRecord,
  type PerfRecord,
  readRecords,
  RECORD_NAMES,
  type RecordCounts,
  RecordMisc,
  RecordType,
  type SampleId,
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
// Hardening and library parity (issue 7): records from byte streams
export {
  type ByteSource,
  decodeRecords,
  type DecodeRecordsOptions,
  openRecordFile,
} from "./btf/records.ts";
