/**
 * `struct perf_event_attr`: the constants of `<linux/perf_event.h>` and the
 * attr's byte layout, written for `perf_event_open` and read back from
 * perf.data files, for every published size (`PERF_ATTR_SIZE_VER0` to
 * `VER8`).
 *
 * @module
 */

import { PerfError } from "./error.ts";

/** `attr.type` values (`enum perf_type_id`).
 *
 * @example
 * ```ts
 * import { PerfType } from "@bpfview/bpfview";
 * console.log(PerfType.TRACEPOINT); // 2
 * ```
 */
export const PerfType = {
  HARDWARE: 0,
  SOFTWARE: 1,
  TRACEPOINT: 2,
  HW_CACHE: 3,
  RAW: 4,
  BREAKPOINT: 5,
} as const;

/** Software event configs (`enum perf_sw_ids`).
 *
 * @example
 * ```ts
 * import { PerfSwConfig } from "@bpfview/bpfview";
 * console.log(PerfSwConfig.CPU_CLOCK); // 0
 * ```
 */
export const PerfSwConfig = {
  CPU_CLOCK: 0,
  TASK_CLOCK: 1,
  PAGE_FAULTS: 2,
  CONTEXT_SWITCHES: 3,
  CPU_MIGRATIONS: 4,
  PAGE_FAULTS_MIN: 5,
  PAGE_FAULTS_MAJ: 6,
  ALIGNMENT_FAULTS: 7,
  EMULATION_FAULTS: 8,
  DUMMY: 9,
  BPF_OUTPUT: 10,
  CGROUP_SWITCHES: 11,
} as const;

/** `attr.sample_type` bits (`enum perf_event_sample_format`).
 *
 * @example
 * ```ts
 * import { SampleType } from "@bpfview/bpfview";
 * const t = SampleType.TID | SampleType.TIME | SampleType.RAW;
 * ```
 */
export const SampleType = {
  IP: 1 << 0,
  TID: 1 << 1,
  TIME: 1 << 2,
  ADDR: 1 << 3,
  READ: 1 << 4,
  CALLCHAIN: 1 << 5,
  ID: 1 << 6,
  CPU: 1 << 7,
  PERIOD: 1 << 8,
  STREAM_ID: 1 << 9,
  RAW: 1 << 10,
  BRANCH_STACK: 1 << 11,
  REGS_USER: 1 << 12,
  STACK_USER: 1 << 13,
  WEIGHT: 1 << 14,
  DATA_SRC: 1 << 15,
  IDENTIFIER: 1 << 16,
  TRANSACTION: 1 << 17,
  REGS_INTR: 1 << 18,
  PHYS_ADDR: 1 << 19,
  AUX: 1 << 20,
  CGROUP: 1 << 21,
  DATA_PAGE_SIZE: 1 << 22,
  CODE_PAGE_SIZE: 1 << 23,
  WEIGHT_STRUCT: 1 << 24,
} as const;

/** Every `sample_type` bit this module can lay out.
 *
 * @example
 * ```ts
 * import { SAMPLE_KNOWN_BITS } from "@bpfview/bpfview";
 * console.log((0x100 & ~SAMPLE_KNOWN_BITS) === 0); // true
 * ```
 */
export const SAMPLE_KNOWN_BITS = (1 << 25) - 1;

/** `attr.read_format` bits (`enum perf_event_read_format`).
 *
 * @example
 * ```ts
 * import { ReadFormat } from "@bpfview/bpfview";
 * const rf = ReadFormat.GROUP | ReadFormat.ID;
 * ```
 */
export const ReadFormat = {
  TOTAL_TIME_ENABLED: 1 << 0,
  TOTAL_TIME_RUNNING: 1 << 1,
  ID: 1 << 2,
  GROUP: 1 << 3,
  LOST: 1 << 4,
} as const;

/** `attr.branch_sample_type` bits that change the sample's layout.
 *
 * @example
 * ```ts
 * import { BranchSample } from "@bpfview/bpfview";
 * console.log(BranchSample.HW_INDEX); // 131072
 * ```
 */
export const BranchSample = {
  /** `PERF_SAMPLE_BRANCH_HW_INDEX`: a u64 hw_idx before the entries. */
  HW_INDEX: 1 << 17,
  /** `PERF_SAMPLE_BRANCH_COUNTERS` (Linux 6.8): a u64 of counters per entry after them. */
  COUNTERS: 1 << 19,
} as const;

/** Published attr sizes: `PERF_ATTR_SIZE_VER0` .. `VER8`.
 *
 * @example
 * ```ts
 * import { ATTR_SIZES } from "@bpfview/bpfview";
 * console.log(ATTR_SIZES[0]); // 64
 * ```
 */
export const ATTR_SIZES: readonly number[] = Object.freeze([
  64,
  72,
  80,
  96,
  104,
  112,
  120,
  128,
  136,
]);
/** The largest attr this module lays out (`PERF_ATTR_SIZE_VER8`, with `config3`).
 *
 * @example
 * ```ts
 * import { ATTR_SIZE_LATEST } from "@bpfview/bpfview";
 * console.log(ATTR_SIZE_LATEST); // 136
 * ```
 */
export const ATTR_SIZE_LATEST = 136;

/**
 * The fields of `struct perf_event_attr`, named as in the C header. 64-bit
 * configs and masks are bigints; bitmasks that fit (`sample_type`,
 * `read_format`, `branch_sample_type`) are numbers. Union members are
 * given under every name on reading (`sample_period` and `sample_freq`
 * hold the same value; `freq` says which one the kernel uses).
 *
 * @example
 * ```ts
 * import { type PerfEventAttr, PerfType } from "@bpfview/bpfview";
 * const isTracepoint = (a: PerfEventAttr) => a.type === PerfType.TRACEPOINT;
 * ```
 */
export interface PerfEventAttr {
  /** Major type: hardware, software, tracepoint... ({@link PerfType}). */
  type: number;
  /** The attr's size in bytes (one of {@link ATTR_SIZES}, or a size from a newer kernel). */
  size: number;
  /** Type-specific configuration: the event (a tracepoint's id, a software event...). */
  config: bigint;
  /** Sample every this many events (union with `sample_freq`). */
  sample_period: bigint;
  /** Samples per second when `freq` is set (union with `sample_period`). */
  sample_freq: bigint;
  /** What each sample holds ({@link SampleType} bits). */
  sample_type: number;
  /** What a read or PERF_SAMPLE_READ gives ({@link ReadFormat} bits). */
  read_format: number;
  /** Off by default (enable with an ioctl). */
  disabled: boolean;
  /** Children inherit it. */
  inherit: boolean;
  /** Must always be on the PMU. */
  pinned: boolean;
  /** Only group on the PMU. */
  exclusive: boolean;
  /** Don't count user space. */
  exclude_user: boolean;
  /** Don't count the kernel. */
  exclude_kernel: boolean;
  /** Don't count the hypervisor. */
  exclude_hv: boolean;
  /** Don't count when idle. */
  exclude_idle: boolean;
  /** Emit MMAP records. */
  mmap: boolean;
  /** Emit COMM records. */
  comm: boolean;
  /** Use `sample_freq`, not `sample_period`. */
  freq: boolean;
  /** Per-task counts. */
  inherit_stat: boolean;
  /** The next exec enables it. */
  enable_on_exec: boolean;
  /** Emit FORK/EXIT records. */
  task: boolean;
  /** Wake up by `wakeup_watermark` bytes, not `wakeup_events`. */
  watermark: boolean;
  /** 0..3 (2 bits). */
  precise_ip: number;
  /** MMAP records for non-exec mappings too. */
  mmap_data: boolean;
  /** Every record carries the `sample_id` trailer. */
  sample_id_all: boolean;
  /** Don't count in the host. */
  exclude_host: boolean;
  /** Don't count in guests. */
  exclude_guest: boolean;
  /** No kernel callchains. */
  exclude_callchain_kernel: boolean;
  /** No user callchains. */
  exclude_callchain_user: boolean;
  /** Emit MMAP2 records (with inode data). */
  mmap2: boolean;
  /** Flag COMM records caused by exec. */
  comm_exec: boolean;
  /** Time fields use `clockid`. */
  use_clockid: boolean;
  /** Emit SWITCH records. */
  context_switch: boolean;
  /** Write the ring from its end backwards. */
  write_backward: boolean;
  /** Emit NAMESPACES records. */
  namespaces: boolean;
  /** Emit KSYMBOL records. */
  ksymbol: boolean;
  /** Emit BPF_EVENT records. */
  bpf_event: boolean;
  /** Generate AUX records instead of events. */
  aux_output: boolean;
  /** Emit CGROUP records. */
  cgroup: boolean;
  /** Emit TEXT_POKE records. */
  text_poke: boolean;
  /** MMAP2 records carry build ids. */
  build_id: boolean;
  /** Children inherit it only if cloned with CLONE_THREAD. */
  inherit_thread: boolean;
  /** Removed from the task on exec. */
  remove_on_exec: boolean;
  /** Send SIGTRAP on every event. */
  sigtrap: boolean;
  /** Flag bits past `sigtrap` (bits 38..63) that this module has no name for, kept as they are. */
  flags_reserved: bigint;
  /** `wakeup_events`, or `wakeup_watermark` (bytes) when `watermark` is set. */
  wakeup_events: number;
  /** Same word as `wakeup_events`: bytes before a wakeup when `watermark` is set. */
  wakeup_watermark: number;
  /** Breakpoint type. */
  bp_type: number;
  /** Also `bp_addr`, `kprobe_func`, `uprobe_path`. */
  config1: bigint;
  /** Also `bp_len`, `kprobe_addr`, `probe_offset`. */
  config2: bigint;
  /** What branch stacks hold (`PERF_SAMPLE_BRANCH_*`). */
  branch_sample_type: number;
  /** User registers to dump per sample (a mask). */
  sample_regs_user: bigint;
  /** Bytes of user stack to dump per sample. */
  sample_stack_user: number;
  /** Clock of the time fields when `use_clockid` is set. */
  clockid: number;
  /** Registers to dump at the interrupt (a mask). */
  sample_regs_intr: bigint;
  /** Wakeup watermark of the AUX area. */
  aux_watermark: number;
  /** Most frames in a callchain. */
  sample_max_stack: number;
  /** Bytes of AUX data per sample. */
  aux_sample_size: number;
  /** `aux_action` (Linux 6.13): bit 0 aux_start_paused, bit 1 aux_pause, bit 2 aux_resume. */
  aux_action: number;
  /** Passed back in `siginfo_t.si_perf_data` when `sigtrap` is set. */
  sig_data: bigint;
  /** Extension of `config2` (Linux 6.3, PERF_ATTR_SIZE_VER8). */
  config3: bigint;
}

/** What {@link encodeAttr} takes: any subset of the fields (the rest are 0 / false).
 *
 * @example
 * ```ts
 * import type { PerfEventAttrInit } from "@bpfview/bpfview";
 * const a: PerfEventAttrInit = { type: 1, config: 0, sample_period: 1000 };
 * ```
 */
export type PerfEventAttrInit = {
  [K in keyof PerfEventAttr]?: PerfEventAttr[K] extends bigint ? bigint | number
    : PerfEventAttr[K];
};

/** Boolean flags in bit order from bit 0; precise_ip (2 bits) sits at 15. */
const FLAGS_LOW = [
  "disabled",
  "inherit",
  "pinned",
  "exclusive",
  "exclude_user",
  "exclude_kernel",
  "exclude_hv",
  "exclude_idle",
  "mmap",
  "comm",
  "freq",
  "inherit_stat",
  "enable_on_exec",
  "task",
  "watermark",
] as const;
const FLAGS_HIGH = [ // from bit 17
  "mmap_data",
  "sample_id_all",
  "exclude_host",
  "exclude_guest",
  "exclude_callchain_kernel",
  "exclude_callchain_user",
  "mmap2",
  "comm_exec",
  "use_clockid",
  "context_switch",
  "write_backward",
  "namespaces",
  "ksymbol",
  "bpf_event",
  "aux_output",
  "cgroup",
  "text_poke",
  "build_id",
  "inherit_thread",
  "remove_on_exec",
  "sigtrap",
] as const;
const FLAGS_KNOWN = 38n; // bits 0..37 have names

type Width = 2 | 4 | 8;
/** [name, byte offset, width, signed, bigint] for every non-flag field. */
const FIELDS: readonly (readonly [keyof PerfEventAttr, number, Width, boolean, boolean])[] = [
  ["type", 0, 4, false, false],
  ["size", 4, 4, false, false],
  ["config", 8, 8, false, true],
  ["sample_period", 16, 8, false, true],
  ["sample_type", 24, 8, false, false],
  ["read_format", 32, 8, false, false],
  ["wakeup_events", 48, 4, false, false],
  ["bp_type", 52, 4, false, false],
  ["config1", 56, 8, false, true],
  ["config2", 64, 8, false, true],
  ["branch_sample_type", 72, 8, false, false],
  ["sample_regs_user", 80, 8, false, true],
  ["sample_stack_user", 88, 4, false, false],
  ["clockid", 92, 4, true, false],
  ["sample_regs_intr", 96, 8, false, true],
  ["aux_watermark", 104, 4, false, false],
  ["sample_max_stack", 108, 2, false, false],
  ["aux_sample_size", 112, 4, false, false],
  ["aux_action", 116, 4, false, false],
  ["sig_data", 120, 8, false, true],
  ["config3", 128, 8, false, true],
];

/**
 * Writes a `perf_event_attr` of `size` bytes (default
 * {@link ATTR_SIZE_LATEST}); fields past `size` must be 0. `size` in the
 * bytes is `size`, whatever `attr.size` says. `sample_freq` is written
 * when `freq` is set, `wakeup_watermark` when `watermark` is set.
 *
 * @example
 * ```ts
 * import { encodeAttr, PerfSwConfig, PerfType, SampleType } from "@bpfview/bpfview";
 * const bytes = encodeAttr({
 *   type: PerfType.SOFTWARE,
 *   config: PerfSwConfig.CPU_CLOCK,
 *   sample_period: 100000,
 *   sample_type: SampleType.TID | SampleType.TIME,
 * });
 * console.log(bytes.length); // 136
 * ```
 */
export function encodeAttr(attr: PerfEventAttrInit, size = ATTR_SIZE_LATEST): Uint8Array {
  if (!Number.isInteger(size) || size < 64 || size % 8 !== 0) {
    throw new PerfError(`expected an attr size of at least 64, a multiple of 8, found ${size}`);
  }
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  const values: Record<string, bigint | number | boolean | undefined> = { ...attr };
  if (attr.freq && attr.sample_freq !== undefined) values.sample_period = attr.sample_freq;
  if (attr.watermark && attr.wakeup_watermark !== undefined) {
    values.wakeup_events = attr.wakeup_watermark;
  }
  values.size = size;
  for (const [name, off, width, signed] of FIELDS) {
    const v = values[name];
    if (v === undefined || v === 0 || v === 0n) continue;
    if (typeof v === "boolean") continue;
    if (off + width > size) {
      throw new PerfError(
        `expected ${name} to be 0 in a ${size}-byte attr (it sits at byte ${off}), found ${v}`,
      );
    }
    put(dv, off, width, signed, v, name);
  }
  let flags = BigInt.asUintN(64, BigInt(attr.flags_reserved ?? 0n)) & ~((1n << FLAGS_KNOWN) - 1n);
  FLAGS_LOW.forEach((n, i) => {
    if (attr[n]) flags |= 1n << BigInt(i);
  });
  const pip = attr.precise_ip ?? 0;
  if (!Number.isInteger(pip) || pip < 0 || pip > 3) {
    throw new PerfError(`expected precise_ip 0..3, found ${pip}`);
  }
  flags |= BigInt(pip) << 15n;
  FLAGS_HIGH.forEach((n, i) => {
    if (attr[n]) flags |= 1n << BigInt(17 + i);
  });
  dv.setBigUint64(40, flags, true);
  return out;
}

function put(
  dv: DataView,
  off: number,
  width: Width,
  signed: boolean,
  v: number | bigint,
  name: string,
): void {
  const bits = width * 8;
  const b = typeof v === "bigint" ? v : Number.isInteger(v) ? BigInt(v) : NaN;
  if (
    typeof b !== "bigint" ||
    (signed ? BigInt.asIntN(bits, b) !== b : BigInt.asUintN(bits, b) !== b)
  ) {
    throw new PerfError(
      `expected ${name} to be ${
        signed ? "a signed" : "an unsigned"
      } ${bits}-bit integer, found ${v}`,
    );
  }
  if (width === 8) dv.setBigUint64(off, BigInt.asUintN(64, b), true);
  else if (width === 4) dv.setUint32(off, Number(BigInt.asUintN(32, b)), true);
  else dv.setUint16(off, Number(b), true);
}

/**
 * Reads a `perf_event_attr` at `offset` of `bytes`. Its size is the
 * `size` field, or `size` when given (perf.data files state the attr size
 * once for all attrs); a size of 0 means `PERF_ATTR_SIZE_VER0`, as the
 * kernel reads it. Fields past the size read as 0; bytes past the fields
 * this module knows (an attr from a newer kernel) are skipped, and
 * `size` tells how many there were. Throws {@link PerfError} when the attr
 * is shorter than 64 bytes or runs past `bytes`.
 *
 * @example
 * ```ts
 * import { decodeAttr, encodeAttr } from "@bpfview/bpfview";
 * const attr = decodeAttr(encodeAttr({ type: 1, sample_period: 1000 }));
 * console.log(attr.sample_period); // 1000n
 * ```
 */
export function decodeAttr(bytes: Uint8Array, offset = 0, size?: number): PerfEventAttr {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (offset < 0 || offset + 8 > bytes.length) {
    throw new PerfError(
      `expected a perf_event_attr of at least 8 bytes, found ${Math.max(0, bytes.length - offset)}`,
      offset,
    );
  }
  const stated = dv.getUint32(offset + 4, true);
  const n = size ?? (stated === 0 ? 64 : stated);
  if (n < 64) {
    throw new PerfError(`expected an attr size of at least 64 bytes, found ${n}`, offset + 4);
  }
  if (offset + n > bytes.length) {
    throw new PerfError(
      `expected a ${n}-byte perf_event_attr, found ${bytes.length - offset} bytes`,
      offset,
    );
  }
  const a = {} as Record<string, number | bigint | boolean>;
  for (const [name, off, width, signed, big] of FIELDS) {
    let v: number | bigint = 0;
    if (off + width <= n) {
      const p = offset + off;
      if (width === 8) {
        const u = dv.getBigUint64(p, true);
        v = big ? u : Number(u);
      } else if (width === 4) v = signed ? dv.getInt32(p, true) : dv.getUint32(p, true);
      else v = dv.getUint16(p, true);
    } else if (big) v = 0n;
    a[name] = v;
  }
  a.size = n;
  a.sample_freq = a.sample_period;
  a.wakeup_watermark = a.wakeup_events;
  const flags = dv.getBigUint64(offset + 40, true);
  const lo = Number(flags & 0xffffffffn), hi = Number(flags >> 32n);
  FLAGS_LOW.forEach((name, i) => a[name] = (lo & (1 << i)) !== 0);
  a.precise_ip = (lo >>> 15) & 3;
  FLAGS_HIGH.forEach((name, i) => {
    const bit = 17 + i;
    a[name] = bit < 32 ? (lo & (1 << bit)) !== 0 : (hi & (1 << (bit - 32))) !== 0;
  });
  a.flags_reserved = flags & ~((1n << FLAGS_KNOWN) - 1n);
  return a as unknown as PerfEventAttr;
}
