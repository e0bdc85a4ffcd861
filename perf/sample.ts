/**
 * PERF_RECORD_SAMPLE decoded by `sample_type`, in the kernel's field order,
 * and the `sample_id_all` trailer of the other records.
 *
 * A {@link SampleLayout} is computed once per attr: it compiles a decoder
 * (generated code with only numbers in it: offsets and sizes) that reads
 * the fixed fields at constant offsets (as aligned u32s from buffers of
 * 64 KiB and more, such as a ring, once the record's size is checked
 * against the buffer; through the DataView otherwise) and walks the
 * variable parts (read groups, callchains, raw data, branch stacks,
 * registers, user stacks, aux data) with bounds checks. Decoding fills one reusable
 * {@link PerfSample}: numbers for 32-bit fields, numbers for 64-bit fields
 * while they are safe integers and bigints beyond, and byte offsets for the
 * variable parts, materialized only when asked (`callchain()`, `raw()`...).
 *
 * @module
 */

import { type PerfEventAttr, ReadFormat, SAMPLE_KNOWN_BITS, SampleType } from "./attr.ts";
import { BranchSample } from "./attr.ts";
import { PerfError } from "./error.ts";
import { fail, readU64 } from "./bytes.ts";
import { readEntrySize, type ReadValues, readValuesAt, readValuesEnd } from "./read_format.ts";

const S = SampleType;

function popcount64(mask: bigint): number {
  let n = 0;
  for (let m = BigInt.asUintN(64, mask); m; m &= m - 1n) n++;
  return n;
}

/** The attr fields a layout depends on.
 *
 * @example
 * ```ts
 * import { type SampleAttr, SampleLayout } from "@bpfview/bpfview";
 * const layoutOf = (a: SampleAttr) => new SampleLayout(a);
 * ```
 */
export type SampleAttr =
  & Pick<
    PerfEventAttr,
    "sample_type" | "read_format" | "branch_sample_type" | "sample_regs_user" | "sample_regs_intr"
  >
  & Partial<Pick<PerfEventAttr, "sample_id_all">>;

/** One branch stack entry: `from`, `to` and the raw flags word.
 *
 * @example
 * ```ts
 * import type { BranchEntry } from "@bpfview/bpfview";
 * const show = (b: BranchEntry) => `${b.from} -> ${b.to}`;
 * ```
 */
export interface BranchEntry {
  /** Source address. */
  from: number | bigint;
  /** Target address. */
  to: number | bigint;
  /** `perf_branch_entry` bits: mispred, predicted, in_tx, abort, cycles (16 bits), type... */
  flags: bigint;
  /** With PERF_SAMPLE_BRANCH_COUNTERS: the counters word of this entry. */
  counters?: bigint;
}

/** The `sample_id` trailer of a non-sample record (fields as `sample_type` selects).
 *
 * @example
 * ```ts
 * import type { SampleId } from "@bpfview/bpfview";
 * const id: SampleId = { pid: 1, tid: 1 };
 * ```
 */
export interface SampleId {
  /** Process id (PERF_SAMPLE_TID). */
  pid?: number;
  /** Thread id (PERF_SAMPLE_TID). */
  tid?: number;
  /** Timestamp (PERF_SAMPLE_TIME). */
  time?: number | bigint;
  /** Event id (PERF_SAMPLE_ID). */
  id?: number | bigint;
  /** Stream id (PERF_SAMPLE_STREAM_ID). */
  stream_id?: number | bigint;
  /** CPU (PERF_SAMPLE_CPU). */
  cpu?: number;
  /** Event id (PERF_SAMPLE_IDENTIFIER). */
  identifier?: number | bigint;
}

/** The callchain context markers (`enum perf_callchain_context`) as u64s.
 *
 * @example
 * ```ts
 * import { CallchainContext } from "@bpfview/bpfview";
 * const isMarker = (ip: bigint) => ip >= CallchainContext.MAX;
 * ```
 */
export const CallchainContext = {
  HV: 0xffffffffffffffe0n,
  KERNEL: 0xffffffffffffff80n,
  USER: 0xfffffffffffffe00n,
  GUEST: 0xfffffffffffff800n,
  GUEST_KERNEL: 0xfffffffffffff780n,
  GUEST_USER: 0xfffffffffffff600n,
  /** Entries at or above this (`PERF_CONTEXT_MAX`) are markers, not addresses. */
  MAX: 0xfffffffffffff001n,
} as const;

/** A PerfSample's own record of the bytes it was last decoded from (not `dv`, which users may set). */
const BOUND = Symbol("bound");
/** Those bytes as u32s (empty when they are not 4-byte aligned: read through `dv` then). */
const U32 = Symbol("u32");
/** The bytes those u32s cover (their length times 4), kept so the decoder does not compute it per record. */
const U32_END = Symbol("u32End");
const NO_WORDS = new Uint32Array(0);
const words = new WeakMap<DataView, Uint32Array>();
/** Whether typed arrays read little-endian here, as the records are read (else: DataView only). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * One decoded sample, reused from record to record: fields not in the
 * layout's `sample_type` keep their defaults (0). Variable parts are kept as
 * byte offsets into {@link PerfSample.dv}; the methods copy them out on
 * demand.
 *
 * @example
 * ```ts
 * import { PerfSample, SampleLayout, SampleType } from "@bpfview/bpfview";
 * const layout = new SampleLayout({ sample_type: SampleType.TID | SampleType.TIME });
 * const bytes = new Uint8Array(24);
 * const dv = new DataView(bytes.buffer);
 * dv.setUint32(0, 9, true); // PERF_RECORD_SAMPLE
 * dv.setUint16(6, 24, true);
 * dv.setInt32(8, 42, true);
 * const s = layout.decode(dv, 0, new PerfSample());
 * console.log(s.pid, s.time); // 42 0
 * ```
 */
export class PerfSample {
  /** The bytes the offsets below refer to. */
  dv: DataView = EMPTY;
  /** The DataView the decoder last bound this sample to (internal). */
  [BOUND]: DataView = EMPTY;
  /** Its bytes as u32s, for the decoder's aligned reads (internal). */
  [U32]: Uint32Array = NO_WORDS;
  /** The bytes {@link PerfSample}`[U32]` covers (internal). */
  [U32_END] = 0;
  /** The layout that decoded this sample. */
  layout: SampleLayout | undefined = undefined;
  /** Byte offset of the record (its header) in {@link PerfSample.dv}. */
  offset = 0;
  /** The record's size (header included). */
  size = 0;
  /** The header's misc bits (cpu mode, exact ip...), read from the record. */
  get misc(): number {
    return this.dv.byteLength ? this.dv.getUint16(this.offset + 4, true) : 0;
  }
  /** PERF_SAMPLE_IDENTIFIER. */
  identifier: number | bigint = 0;
  /** PERF_SAMPLE_IP. */
  ip: number | bigint = 0;
  /** PERF_SAMPLE_TID: process id. */
  pid = 0;
  /** PERF_SAMPLE_TID: thread id. */
  tid = 0;
  /** PERF_SAMPLE_TIME: nanoseconds of the event's clock (from boot by default). */
  time: number | bigint = 0;
  /** PERF_SAMPLE_ADDR. */
  addr: number | bigint = 0;
  /** PERF_SAMPLE_ID. */
  id: number | bigint = 0;
  /** PERF_SAMPLE_STREAM_ID. */
  stream_id: number | bigint = 0;
  /** PERF_SAMPLE_CPU. */
  cpu = 0;
  /** PERF_SAMPLE_PERIOD. */
  period: number | bigint = 0;
  /** PERF_SAMPLE_READ: offset of the read_format block in {@link PerfSample.dv}. */
  readOffset = 0;
  /** PERF_SAMPLE_CALLCHAIN: offset of the first entry. */
  callchainOffset = 0;
  /** PERF_SAMPLE_CALLCHAIN: number of entries. */
  callchainCount = 0;
  /** PERF_SAMPLE_RAW: offset of the raw bytes (a tracepoint's payload). */
  rawOffset = 0;
  /** PERF_SAMPLE_RAW: their size (as the kernel states it, padding included). */
  rawSize = 0;
  /** PERF_SAMPLE_BRANCH_STACK: offset of the first entry. */
  branchOffset = 0;
  /** PERF_SAMPLE_BRANCH_STACK: number of entries. */
  branchCount = 0;
  /** PERF_SAMPLE_BRANCH_STACK with PERF_SAMPLE_BRANCH_HW_INDEX. */
  branchHwIndex: number | bigint = 0;
  /** PERF_SAMPLE_REGS_USER: ABI (0 none, 1 32-bit, 2 64-bit). */
  regsUserAbi = 0;
  /** PERF_SAMPLE_REGS_USER: offset of the registers (one u64 per bit of the mask). */
  regsUserOffset = 0;
  /** PERF_SAMPLE_STACK_USER: offset of the stack bytes. */
  stackUserOffset = 0;
  /** PERF_SAMPLE_STACK_USER: size of the dump. */
  stackUserSize = 0;
  /** PERF_SAMPLE_STACK_USER: bytes of it that are valid (dyn_size). */
  stackUserDynSize = 0;
  /** PERF_SAMPLE_WEIGHT (or the full word of PERF_SAMPLE_WEIGHT_STRUCT). */
  weight: number | bigint = 0;
  /** PERF_SAMPLE_DATA_SRC (`union perf_mem_data_src`). */
  data_src: number | bigint = 0;
  /** PERF_SAMPLE_TRANSACTION. */
  transaction: number | bigint = 0;
  /** PERF_SAMPLE_REGS_INTR: ABI. */
  regsIntrAbi = 0;
  /** PERF_SAMPLE_REGS_INTR: offset of the registers. */
  regsIntrOffset = 0;
  /** PERF_SAMPLE_PHYS_ADDR. */
  phys_addr: number | bigint = 0;
  /** PERF_SAMPLE_CGROUP: the cgroup id. */
  cgroup: number | bigint = 0;
  /** PERF_SAMPLE_DATA_PAGE_SIZE. */
  data_page_size: number | bigint = 0;
  /** PERF_SAMPLE_CODE_PAGE_SIZE. */
  code_page_size: number | bigint = 0;
  /** PERF_SAMPLE_AUX: offset of the aux bytes. */
  auxOffset = 0;
  /** PERF_SAMPLE_AUX: their size. */
  auxSize = 0;

  /** PERF_SAMPLE_WEIGHT_STRUCT: `var1_dw` (bits 0..31 of the weight). */
  get weightVar1(): number {
    return Number(BigInt.asUintN(32, BigInt(this.weight)));
  }
  /** PERF_SAMPLE_WEIGHT_STRUCT: `var2_w` (bits 32..47). */
  get weightVar2(): number {
    return Number((BigInt(this.weight) >> 32n) & 0xffffn);
  }
  /** PERF_SAMPLE_WEIGHT_STRUCT: `var3_w` (bits 48..63). */
  get weightVar3(): number {
    return Number((BigInt(this.weight) >> 48n) & 0xffffn);
  }

  /** The raw bytes (PERF_SAMPLE_RAW), a view over {@link PerfSample.dv}. */
  raw(): Uint8Array {
    return new Uint8Array(this.dv.buffer, this.dv.byteOffset + this.rawOffset, this.rawSize);
  }

  /** The callchain entries (context markers included: see {@link CallchainContext}). */
  callchain(): bigint[] {
    const out: bigint[] = [];
    for (let i = 0; i < this.callchainCount; i++) {
      out.push(this.dv.getBigUint64(this.callchainOffset + 8 * i, true));
    }
    return out;
  }

  /** The read_format block (PERF_SAMPLE_READ). */
  readValues(): ReadValues {
    return readValuesAt(this.dv, this.readOffset, this.layout!.readFormat);
  }

  /** The branch stack entries (PERF_SAMPLE_BRANCH_STACK). */
  branches(): BranchEntry[] {
    const out: BranchEntry[] = [];
    const counters = (this.layout!.branchSampleType & BranchSample.COUNTERS) !== 0;
    for (let i = 0; i < this.branchCount; i++) {
      const p = this.branchOffset + 24 * i;
      const e: BranchEntry = {
        from: readU64(this.dv, p),
        to: readU64(this.dv, p + 8),
        flags: this.dv.getBigUint64(p + 16, true),
      };
      if (counters) {
        e.counters = this.dv.getBigUint64(this.branchOffset + 24 * this.branchCount + 8 * i, true);
      }
      out.push(e);
    }
    return out;
  }

  /** The user registers (PERF_SAMPLE_REGS_USER), in mask bit order; empty when the ABI is 0. */
  regsUser(): bigint[] {
    return this.regsUserAbi ? u64s(this.dv, this.regsUserOffset, this.layout!.regsUserCount) : [];
  }

  /** The registers at the interrupt (PERF_SAMPLE_REGS_INTR); empty when the ABI is 0. */
  regsIntr(): bigint[] {
    return this.regsIntrAbi ? u64s(this.dv, this.regsIntrOffset, this.layout!.regsIntrCount) : [];
  }

  /** The valid part of the user stack dump (PERF_SAMPLE_STACK_USER), a view. */
  stackUser(): Uint8Array {
    const n = Math.min(this.stackUserDynSize, this.stackUserSize);
    return new Uint8Array(this.dv.buffer, this.dv.byteOffset + this.stackUserOffset, n);
  }

  /** The aux bytes (PERF_SAMPLE_AUX), a view. */
  aux(): Uint8Array {
    return new Uint8Array(this.dv.buffer, this.dv.byteOffset + this.auxOffset, this.auxSize);
  }

  /**
   * The fields present in the layout's `sample_type`, as a plain object
   * (variable parts materialized; raw, stack and aux bytes as arrays of
   * numbers).
   */
  toObject(): Record<string, unknown> {
    const t = this.layout?.sampleType ?? 0;
    const o: Record<string, unknown> = { misc: this.misc };
    if (t & S.IDENTIFIER) o.identifier = this.identifier;
    if (t & S.IP) o.ip = this.ip;
    if (t & S.TID) (o.pid = this.pid, o.tid = this.tid);
    if (t & S.TIME) o.time = this.time;
    if (t & S.ADDR) o.addr = this.addr;
    if (t & S.ID) o.id = this.id;
    if (t & S.STREAM_ID) o.stream_id = this.stream_id;
    if (t & S.CPU) o.cpu = this.cpu;
    if (t & S.PERIOD) o.period = this.period;
    if (t & S.READ) o.read = this.readValues();
    if (t & S.CALLCHAIN) o.callchain = this.callchain();
    if (t & S.RAW) o.raw = Array.from(this.raw());
    if (t & S.BRANCH_STACK) {
      o.branches = this.branches();
      if (this.layout!.branchSampleType & BranchSample.HW_INDEX) o.hw_idx = this.branchHwIndex;
    }
    if (t & S.REGS_USER) (o.regs_user_abi = this.regsUserAbi, o.regs_user = this.regsUser());
    if (t & S.STACK_USER) {
      o.stack_user_size = this.stackUserSize;
      o.stack_user_dyn_size = this.stackUserDynSize;
    }
    if (t & (S.WEIGHT | S.WEIGHT_STRUCT)) o.weight = this.weight;
    if (t & S.DATA_SRC) o.data_src = this.data_src;
    if (t & S.TRANSACTION) o.transaction = this.transaction;
    if (t & S.REGS_INTR) (o.regs_intr_abi = this.regsIntrAbi, o.regs_intr = this.regsIntr());
    if (t & S.PHYS_ADDR) o.phys_addr = this.phys_addr;
    if (t & S.CGROUP) o.cgroup = this.cgroup;
    if (t & S.DATA_PAGE_SIZE) o.data_page_size = this.data_page_size;
    if (t & S.CODE_PAGE_SIZE) o.code_page_size = this.code_page_size;
    if (t & S.AUX) o.aux_size = this.auxSize;
    return o;
  }
}

const EMPTY = new DataView(new ArrayBuffer(0));

/** Binds `s` to `dv` and `layout`: the aligned u32 array over `dv`, made once per DataView. */
function bind(s: PerfSample, dv: DataView, layout: SampleLayout): void {
  s.dv = dv;
  s.layout = layout;
  s[BOUND] = dv;
  // Buffers of one record (a copy, a joined record: below 64 KiB) are read through dv:
  // making and caching an array per record would cost more than it saves. Offsets
  // below 2^31 only: the fast path indexes with `o >>> 2`.
  const n = dv.byteLength;
  if (n < 65536 || n >= 2 ** 31 || (dv.byteOffset & 3) !== 0 || !LITTLE_ENDIAN) {
    s[U32] = NO_WORDS;
    s[U32_END] = 0;
    return;
  }
  let w = words.get(dv);
  if (!w) words.set(dv, w = new Uint32Array(dv.buffer, dv.byteOffset, n >>> 2));
  s[U32] = w;
  s[U32_END] = w.length * 4;
}

function u64s(dv: DataView, p: number, n: number): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < n; i++) out.push(dv.getBigUint64(p + 8 * i, true));
  return out;
}

function countTooBig(
  what: string,
  n: number | bigint,
  each: number,
  left: number,
  at: number,
): never {
  throw new PerfError(
    `expected ${what} of ${n} entries of ${each} bytes to fit the ${
      Math.max(0, left)
    } bytes left of the record`,
    at,
  );
}

/** The signature of {@link SampleLayout.decode}.
 *
 * @example
 * ```ts
 * import { type SampleDecoder, SampleLayout } from "@bpfview/bpfview";
 * const layout = new SampleLayout({ sample_type: 2 });
 * const decode: SampleDecoder = (dv, o, s) => layout.decode(dv, o, s);
 * ```
 */
export type SampleDecoder = (dv: DataView, o: number, s: PerfSample) => PerfSample;

/** A generated decoder: one per distinct layout, shared by every layout of that shape. */
type Generated = (dv: DataView, o: number, s: PerfSample, layout: SampleLayout) => PerfSample;

const GEN_PARAMS = [
  "readU64",
  "fail",
  "countTooBig",
  "readValuesEnd",
  "tooShort",
  "bind",
  "BOUND",
  "U32",
  "U32_END",
] as const;

/** The record at `o` runs past the buffer, or is shorter than the sample's fixed fields. */
function tooShort(n: number, fixed: number, length: number, o: number): never {
  if (o + n > length) fail("a record", n, length - o, o);
  fail("a sample's fixed fields", fixed, n, o);
}

/**
 * Generated decoders by layout key. One function object per shape (not one
 * closure per layout): V8 inlines a call site only while it sees one
 * closure, and a program makes layouts again and again (one per attr).
 */
const generated = new Map<string, Generated>();

/**
 * The layout of PERF_RECORD_SAMPLE (and of the `sample_id_all` trailer of
 * other records) for one attr, computed once. `decode` reads a sample at a
 * byte offset of a `DataView` into a reusable {@link PerfSample}, with
 * bounds checks against the record's own size and the buffer: bad input
 * gives {@link PerfError} naming the byte, never an out-of-bounds read.
 *
 * @example
 * ```ts
 * import { SampleLayout, SampleType } from "@bpfview/bpfview";
 * const layout = new SampleLayout({
 *   sample_type: SampleType.TID | SampleType.TIME | SampleType.CPU | SampleType.RAW,
 * });
 * console.log(layout.fixedSize, layout.rawAt); // 32 32
 * ```
 */
export class SampleLayout {
  /** `attr.sample_type`. */
  readonly sampleType: number;
  /** `attr.read_format`. */
  readonly readFormat: number;
  /** `attr.branch_sample_type`. */
  readonly branchSampleType: number;
  /** Registers per PERF_SAMPLE_REGS_USER block (popcount of `sample_regs_user`). */
  readonly regsUserCount: number;
  /** Registers per PERF_SAMPLE_REGS_INTR block. */
  readonly regsIntrCount: number;
  /** Whether non-sample records carry the `sample_id` trailer. */
  readonly sampleIdAll: boolean;
  /** Bytes from the record's start (header included) to the end of the fixed-offset fields. */
  readonly fixedSize: number;
  /**
   * Offset from the record's start of the RAW size word when every field
   * before it has a fixed size, else -1: the raw payload then starts at
   * `rawAt + 4` of every sample.
   */
  readonly rawAt: number;
  /** Bytes of the `sample_id` trailer of non-sample records (0 without `sample_id_all`). */
  readonly sampleIdSize: number;
  /** Offset from the record's start of PERF_SAMPLE_IDENTIFIER, or -1 (absent). The `*At` offsets drive {@link PerfSample}'s getters. */
  readonly identifierAt: number = -1;
  /** Offset of PERF_SAMPLE_IP, or -1. */
  readonly ipAt: number = -1;
  /** Offset of PERF_SAMPLE_TID's pid (tid follows at +4), or -1. */
  readonly pidAt: number = -1;
  /** Offset of PERF_SAMPLE_TIME, or -1. */
  readonly timeAt: number = -1;
  /** Offset of PERF_SAMPLE_ADDR, or -1. */
  readonly addrAt: number = -1;
  /** Offset of PERF_SAMPLE_ID, or -1. */
  readonly idAt: number = -1;
  /** Offset of PERF_SAMPLE_STREAM_ID, or -1. */
  readonly streamIdAt: number = -1;
  /** Offset of PERF_SAMPLE_CPU, or -1. */
  readonly cpuAt: number = -1;
  /** Offset of PERF_SAMPLE_PERIOD, or -1. */
  readonly periodAt: number = -1;
  /** Offset of the PERF_SAMPLE_READ block, or -1. */
  readonly readAt: number = -1;
  readonly #decode: Generated;

  /**
   * Computes the layout of `attr` (only the fields of {@link SampleAttr}
   * matter). Throws {@link PerfError} for `sample_type` bits this module
   * does not know (their layout is unknown).
   */
  constructor(attr: Partial<SampleAttr> & Pick<SampleAttr, "sample_type">) {
    const t = attr.sample_type;
    if (!Number.isInteger(t) || t < 0 || (t & ~SAMPLE_KNOWN_BITS) !== 0 || t > 0xffffffff) {
      throw new PerfError(
        `expected sample_type bits from PERF_SAMPLE_IP to PERF_SAMPLE_WEIGHT_STRUCT (0x${
          SAMPLE_KNOWN_BITS.toString(16)
        }), found 0x${t.toString(16)}`,
      );
    }
    this.sampleType = t;
    this.readFormat = attr.read_format ?? 0;
    this.branchSampleType = attr.branch_sample_type ?? 0;
    this.regsUserCount = popcount64(BigInt(attr.sample_regs_user ?? 0n));
    this.regsIntrCount = popcount64(BigInt(attr.sample_regs_intr ?? 0n));
    this.sampleIdAll = attr.sample_id_all ?? false;
    // Fixed fields: at constant offsets from the record's start.
    let off = 8;
    const at = (bit: number, size = 8) => {
      if (!(t & bit)) return -1;
      const here = off;
      off += size;
      return here;
    };
    this.identifierAt = at(S.IDENTIFIER);
    this.ipAt = at(S.IP);
    this.pidAt = at(S.TID);
    this.timeAt = at(S.TIME);
    this.addrAt = at(S.ADDR);
    this.idAt = at(S.ID);
    this.streamIdAt = at(S.STREAM_ID);
    this.cpuAt = at(S.CPU);
    this.periodAt = at(S.PERIOD);
    this.readAt = t & S.READ ? off : -1;
    const gen = this.#generate(off);
    this.fixedSize = gen.fixed;
    this.rawAt = gen.rawAt;
    let idSize = 0;
    if (this.sampleIdAll) {
      for (const bit of [S.TID, S.TIME, S.ID, S.STREAM_ID, S.CPU, S.IDENTIFIER]) {
        if (t & bit) idSize += 8;
      }
    }
    this.sampleIdSize = idSize;
    // One generated factory per distinct layout: layouts of equal attrs share
    // the decoder's code (so it is optimized once, and call sites stay monomorphic).
    const key =
      `${t}/${this.readFormat}/${this.branchSampleType}/${this.regsUserCount}/${this.regsIntrCount}`;
    let f = generated.get(key);
    if (!f) {
      f = new Function(...GEN_PARAMS, gen.body)(
        readU64,
        fail,
        countTooBig,
        readValuesEnd,
        tooShort,
        bind,
        BOUND,
        U32,
        U32_END,
      ) as Generated;
      generated.set(key, f);
    }
    this.#decode = f;
  }

  /**
   * Reads the sample whose header is at `offset` of `dv` into `into` (also
   * returned). The record's size is taken from its header and must fit `dv`.
   * Throws {@link PerfError} naming the byte when it does not, or when the
   * sample's parts do not fit the record.
   */
  decode(dv: DataView, offset: number, into: PerfSample): PerfSample {
    return this.#decode(dv, offset, into, this);
  }

  /**
   * Reads the `sample_id` trailer of the non-sample record at `offset` of
   * `dv` (pid, tid, time, id, stream_id, cpu, identifier, as `sample_type`
   * selects); `undefined` without `sample_id_all`. Throws
   * {@link PerfError} when the record is shorter than its trailer.
   */
  decodeSampleId(dv: DataView, offset: number): SampleId | undefined {
    const n = checkRecord(dv, offset);
    if (!this.sampleIdAll) return undefined;
    if (n < 8 + this.sampleIdSize) {
      fail("a sample_id trailer", this.sampleIdSize, n - 8, offset + 8);
    }
    const t = this.sampleType, o: SampleId = {};
    let p = offset + n - this.sampleIdSize;
    if (t & S.TID) (o.pid = dv.getInt32(p, true), o.tid = dv.getInt32(p + 4, true), p += 8);
    if (t & S.TIME) (o.time = readU64(dv, p), p += 8);
    if (t & S.ID) (o.id = readU64(dv, p), p += 8);
    if (t & S.STREAM_ID) (o.stream_id = readU64(dv, p), p += 8);
    if (t & S.CPU) (o.cpu = dv.getUint32(p, true), p += 8);
    if (t & S.IDENTIFIER) o.identifier = readU64(dv, p);
    return o;
  }

  #generate(fixedStart: number): { body: string; fixed: number; rawAt: number } {
    const t = this.sampleType, rf = this.readFormat;
    const L: string[] = [];
    // Fixed fields, read here from the local dv (its checks shared by every read) into
    // plain fields: later reads are loads, not DataView calls.
    const fixed: string[] = [];
    const u64 = (name: string, at: number) => {
      if (at >= 0) fixed.push(fixedU64(name, at));
    };
    u64("identifier", this.identifierAt);
    u64("ip", this.ipAt);
    if (this.pidAt >= 0) {
      fixed.push(`s.pid = @I32(${this.pidAt}); s.tid = @I32(${this.pidAt + 4});`);
    }
    u64("time", this.timeAt);
    u64("addr", this.addrAt);
    u64("id", this.idAt);
    u64("stream_id", this.streamIdAt);
    if (this.cpuAt >= 0) fixed.push(`s.cpu = @U32(${this.cpuAt});`);
    u64("period", this.periodAt);
    if (this.readAt >= 0) fixed.push(`s.readOffset = o + ${this.readAt};`);
    let off = fixedStart;
    let variable = false;
    if (t & S.READ) {
      if (rf & ReadFormat.GROUP) variable = true;
      else off += readEntrySize(rf);
    }
    const fixedEnd = off;
    // Variable part: p walks, e is the record's end.
    L.push(`let p = o + ${fixedEnd};`);
    if ((t & S.READ) && (rf & ReadFormat.GROUP)) {
      L.push(`p = readValuesEnd(dv, o + ${fixedEnd - 0}, e, ${rf});`);
    }
    const need = (n: number | string, what: string) =>
      `if (p + ${n} > e) @F(${JSON.stringify(what)}, ${n}, e - p, p);`;
    const var64 = (name: string, what: string) => {
      L.push(need(8, what), inlineU64(name, "p"), "p += 8;");
    };
    let rawAt = -1;
    if (t & S.CALLCHAIN) {
      variable = true;
      L.push(
        need(8, "a callchain count"),
        `{ const nr = readU64(dv, p);`,
        `  if (typeof nr !== "number" || nr > (e - p - 8) / 8) @C("a callchain", nr, 8, e - p - 8, p);`,
        `  s.callchainOffset = p + 8; s.callchainCount = nr; p += 8 + nr * 8; }`,
      );
    }
    if ((t & S.RAW) && !variable) {
      // Right after the fixed fields: at a constant offset.
      rawAt = fixedEnd;
      variable = true;
      L.push(
        `@RAWSIZE if (n < ${
          fixedEnd + 4
        }) @F("a raw data size", 4, n - ${fixedEnd}, o + ${fixedEnd});`,
        `{ const r = @U32(${fixedEnd});`,
        `  if (r > n - ${fixedEnd + 4}) @F("raw data", r, n - ${fixedEnd + 4}, o + ${fixedEnd});`,
        `  s.rawOffset = o + ${fixedEnd + 4}; s.rawSize = r; p += 4 + r; }`,
      );
    } else if (t & S.RAW) {
      L.push(
        need(4, "a raw data size"),
        `{ const n = dv.getUint32(p, true);`,
        `  if (n > e - p - 4) @F("raw data", n, e - p - 4, p);`,
        `  s.rawOffset = p + 4; s.rawSize = n; p += 4 + n; }`,
      );
    }
    if (t & S.BRANCH_STACK) {
      const hw = (this.branchSampleType & BranchSample.HW_INDEX) !== 0;
      const each = (this.branchSampleType & BranchSample.COUNTERS) ? 32 : 24;
      L.push(
        need(hw ? 16 : 8, "a branch stack count"),
        `{ const nr = readU64(dv, p); p += 8;`,
        hw ? `  s.branchHwIndex = readU64(dv, p); p += 8;` : "",
        `  if (typeof nr !== "number" || nr > (e - p) / ${each}) @C("a branch stack", nr, ${each}, e - p, p);`,
        `  s.branchOffset = p; s.branchCount = nr; p += nr * ${each}; }`,
      );
    }
    const regs = (abi: string, at: string, count: number, what: string) => {
      L.push(
        need(8, `a ${what} ABI word`),
        `{ const abi = dv.getUint32(p, true); s.${abi} = abi; p += 8; s.${at} = p;`,
        `  if (abi !== 0) { if (p + ${count * 8} > e) @F(${
          JSON.stringify(`${count} ${what} registers`)
        }, ${count * 8}, e - p, p); p += ${count * 8}; } }`,
      );
    };
    if (t & S.REGS_USER) regs("regsUserAbi", "regsUserOffset", this.regsUserCount, "user");
    if (t & S.STACK_USER) {
      L.push(
        need(8, "a user stack size"),
        `{ const n = readU64(dv, p); p += 8; s.stackUserOffset = p; s.stackUserSize = 0; s.stackUserDynSize = 0;`,
        `  if (n !== 0) {`,
        `    if (typeof n !== "number" || n + 8 > e - p) @F("a user stack dump and its dyn_size", n, e - p, p);`,
        `    s.stackUserSize = n; p += n; s.stackUserDynSize = Number(readU64(dv, p)); p += 8; } }`,
      );
    }
    if (t & (S.WEIGHT | S.WEIGHT_STRUCT)) var64("weight", "a weight");
    if (t & S.DATA_SRC) var64("data_src", "a data_src");
    if (t & S.TRANSACTION) var64("transaction", "a transaction");
    if (t & S.REGS_INTR) regs("regsIntrAbi", "regsIntrOffset", this.regsIntrCount, "interrupt");
    if (t & S.PHYS_ADDR) var64("phys_addr", "a phys_addr");
    if (t & S.CGROUP) var64("cgroup", "a cgroup id");
    if (t & S.DATA_PAGE_SIZE) var64("data_page_size", "a data_page_size");
    if (t & S.CODE_PAGE_SIZE) var64("code_page_size", "a code_page_size");
    if (t & S.AUX) {
      L.push(
        need(8, "an aux size"),
        `{ const n = readU64(dv, p); p += 8;`,
        `  if (typeof n !== "number" || n > e - p) @F("aux data", n, e - p, p);`,
        `  s.auxOffset = p; s.auxSize = n; p += n; }`,
      );
    }
    // The walk's last step (and p itself when nothing reads it) is left out: the fast version
    // would keep its overflow check.
    const lastStep = L.findLastIndex((l) => /\bp \+= /.test(l));
    if (lastStep >= 0 && !L.slice(lastStep + 1).some((l) => /\bp\b/.test(l))) {
      L[lastStep] = L[lastStep].replace(/ ?\bp \+= [^;]+;(?!.*\bp \+= )/, "");
    }
    if (L.slice(1).every((l) => !/\bp\b/.test(l))) L.shift();
    const body = [
      `"use strict";`,
      `return function decodeSample(dv, o, s, layout) {`,
      // Pointer stores cost a write barrier: bind only when the bytes or the layout change.
      `  if (s[BOUND] !== dv || s.layout !== layout) bind(s, dv, layout);`,
      `  @HEAD`,
      `  if (!(e <= L) || n < @MIN) @F2(n, ${fixedEnd}, L, o);`,
      `  s.offset = o; s.size = n;`,
      ...fixed.map((l) => "  " + l),
      ...L.map((l) => "  " + l),
      `  return s;`,
      `};`,
    ].join("\n");
    // Two versions: the checked one reads through the DataView and throws
    // PerfError with the details; the fast one, small enough for V8 to
    // inline into the caller's loop, reads the fixed fields as aligned u32s
    // (the record's size, checked against the buffer first, bounds them all)
    // and hands anything else (a record that fails a check, an offset or a
    // buffer not 4-byte aligned) to the checked one.
    const checked = body.replace(/@F\(/g, "fail(").replace(/@C\(/g, "countTooBig(")
      .replace(/@F2\(/g, "tooShort(").replace(/@MIN/g, String(fixedEnd)).replace(/@RAWSIZE /g, "")
      .replace(
        "@HEAD",
        `const L = dv.byteLength;
  if (!(o >= 0 && o + 8 <= L)) fail("a record header", 8, L - o, o);
  const n = dv.getUint16(o + 6, true), e = o + n;`,
      )
      .replace(/@U32\((\d+)\)/g, "dv.getUint32(o + $1, true)")
      .replace(/@I32\((\d+)\)/g, "dv.getInt32(o + $1, true)");
    // The fast one checks the raw size word's room with the record's size (one compare).
    const fast = body.replace(/@(F|C|F2)\(.*?\);/g, "return slow(dv, o, s, layout);")
      .replace(/@MIN/g, String(rawAt >= 0 ? rawAt + 4 : fixedEnd)).replace(/ *@RAWSIZE .*\n/g, "")
      .replace(
        "@HEAD",
        // L: the bytes the u32s cover (all of dv's but a last 1-3, or none when not aligned).
        // No header check: the size word's read is itself bounded (an offset past the end
        // reads undefined: size 0, too small), and e <= L fails for NaN; the checked version
        // then names what is wrong.
        `const w = s[U32], L = s[U32_END];
  if ((o & 3) !== 0 || !(o >= 0)) return slow(dv, o, s, layout);
  const q = o >>> 2, n = w[q + 1] >>> 16, e = o + n;`,
      )
      .replace(/@U32\((\d+)\)/g, (_, k) => `w[q + ${Number(k) / 4}]`)
      .replace(/@I32\((\d+)\)/g, (_, k) => `(w[q + ${Number(k) / 4}] | 0)`);
    return {
      body: `const slow = (() => {\n${checked}\n})();\n${fast}`,
      fixed: fixedEnd,
      rawAt,
    };
  }
}

/**
 * Generated code reading the u64 at `at` into `s.<name>`, inline: a call
 * returning a number that is not a small integer would box it, and a
 * sample's time would allocate on every record.
 */
function inlineU64(name: string, at: string): string {
  return `{ const hi = dv.getUint32(${at} + 4, true); if (hi < 0x200000) s.${name} = hi * 4294967296 + dv.getUint32(${at}, true); else s.${name} = dv.getBigUint64(${at}, true); }`;
}

/** {@link inlineU64} for a fixed field at `at` of the record: @U32 reads, as each version reads them. */
function fixedU64(name: string, at: number): string {
  return `{ const hi = @U32(${
    at + 4
  }); if (hi < 0x200000) s.${name} = hi * 4294967296 + @U32(${at}); else s.${name} = dv.getBigUint64(o + ${at}, true); }`;
}

/** Checks that a record header at `o` and the record it announces fit `dv`; returns its size.
 *
 * @example
 * ```ts
 * import { checkRecord } from "@bpfview/bpfview";
 * const b = new Uint8Array(8);
 * b[6] = 8;
 * console.log(checkRecord(new DataView(b.buffer), 0)); // 8
 * ```
 */
export function checkRecord(dv: DataView, o: number): number {
  if (!(o >= 0 && o + 8 <= dv.byteLength)) {
    fail("a record header", 8, dv.byteLength - o, o);
  }
  const n = dv.getUint16(o + 6, true);
  if (n < 8) {
    throw new PerfError(`expected a record size of at least 8 (its header), found ${n}`, o + 6);
  }
  if (o + n > dv.byteLength) fail("a record", n, dv.byteLength - o, o);
  return n;
}
