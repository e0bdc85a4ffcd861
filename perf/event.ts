/**
 * Opening perf events: `perf_event_open` through libc's `syscall`, with the
 * attr laid out by {@link encodeAttr} (and laid out again at the size the
 * kernel asks for when it answers E2BIG), per CPU or per thread; the event
 * ioctls (enable, disable, filter, output redirection, id).
 *
 * @module
 */

import { FfiError } from "../ffi/error.ts";
import { errno, errnoText, libc } from "../ffi/libc.ts";
import { ATTR_SIZE_LATEST, encodeAttr, type PerfEventAttrInit } from "./attr.ts";
import { PerfError } from "./error.ts";

const SYS_PERF_EVENT_OPEN: Record<string, number> = { x86_64: 298, aarch64: 241 };
const PERF_FLAG_FD_CLOEXEC = 8;
const E2BIG = 7, EACCES = 13, EPERM = 1, ENOENT = 2, ENODEV = 19, EINVAL = 22, EMFILE = 24;

/** The perf event ioctl requests (`PERF_EVENT_IOC_*`, x86-64/arm64 encodings). */
const IOC = {
  ENABLE: 0x2400n,
  DISABLE: 0x2401n,
  RESET: 0x2403n,
  SET_OUTPUT: 0x2405n,
  SET_FILTER: 0x40082406n,
  ID: 0x80082407n,
  SET_BPF: 0x40042408n,
  PAUSE_OUTPUT: 0x40042409n,
} as const;

/**
 * The sentence for a perf_event_open refused for lack of privilege.
 *
 * @example
 * ```ts
 * import { privilegeHint } from "@bpfview/bpfview";
 * console.error(privilegeHint());
 * ```
 */
export function privilegeHint(): string {
  let paranoid = "";
  try {
    paranoid = Deno.readTextFileSync("/proc/sys/kernel/perf_event_paranoid").trim();
  } catch { /* not readable: say nothing about its value */ }
  return `opening perf events needs root or CAP_PERFMON (CAP_SYS_ADMIN before Linux 5.8), or a lower kernel.perf_event_paranoid${
    paranoid ? ` (now ${paranoid})` : ""
  }: run as root, or \`sudo sysctl kernel.perf_event_paranoid=-1\``;
}

/**
 * Where and how to open an event (see `perf_event_open(2)`).
 *
 * @example
 * ```ts
 * import { perfEventOpen, PerfSwConfig, PerfType, type OpenOptions } from "@bpfview/bpfview";
 * const opts: OpenOptions = { pid: -1, cpu: 0 }; // every thread on CPU 0
 * const fd = perfEventOpen({ type: PerfType.SOFTWARE, config: PerfSwConfig.CPU_CLOCK }, opts);
 * ```
 */
export interface OpenOptions {
  /** Thread to watch: -1 (default) for every thread (then `cpu` must be >= 0), 0 for the caller. */
  pid?: number;
  /** CPU to watch: -1 (default) for any CPU the thread runs on. */
  cpu?: number;
  /** Group leader fd, -1 (default) for none. */
  groupFd?: number;
  /** `PERF_FLAG_*` besides FD_CLOEXEC, which is always set. */
  flags?: number;
}

/**
 * Calls `perf_event_open` and returns the new fd. The attr is written at
 * the largest size this module knows; a kernel that knows a smaller one
 * answers E2BIG with its size, and the attr is written again at that size
 * (when the fields past it are 0). Throws {@link FfiError} with the errno
 * and one sentence: missing privilege (CAP_PERFMON,
 * kernel.perf_event_paranoid), unknown event, invalid attr. Needs
 * `--allow-ffi`.
 *
 * @example
 * ```ts
 * import { perfEventOpen, PerfSwConfig, PerfType } from "@bpfview/bpfview";
 * const fd = perfEventOpen({ type: PerfType.SOFTWARE, config: PerfSwConfig.TASK_CLOCK }, { pid: 0 });
 * ```
 */
export function perfEventOpen(attr: PerfEventAttrInit, options: OpenOptions = {}): number {
  const nr = SYS_PERF_EVENT_OPEN[Deno.build.arch];
  if (nr === undefined) {
    throw new FfiError(`expected x86_64 or aarch64 for perf_event_open, found ${Deno.build.arch}`);
  }
  const { pid = -1, cpu = -1, groupFd = -1, flags = 0 } = options;
  let size = ATTR_SIZE_LATEST;
  for (let attempt = 0; attempt < 3; attempt++) {
    const bytes = encodeAttr(attr, size);
    const fd = Number(
      libc().syscall_perf_event_open(
        BigInt(nr),
        bytes,
        BigInt(pid),
        BigInt(cpu),
        BigInt(groupFd),
        BigInt(flags | PERF_FLAG_FD_CLOEXEC),
      ),
    );
    if (fd >= 0) return fd;
    const e = errno();
    if (e === E2BIG) {
      const want = new DataView(bytes.buffer).getUint32(4, true);
      if (want >= 64 && want < size && want % 8 === 0) {
        size = want;
        continue;
      }
    }
    throw openError(e, attr, pid, cpu);
  }
  throw new FfiError(
    `expected perf_event_open to accept an attr size, found E2BIG each time`,
    E2BIG,
  );
}

function openError(e: number, attr: PerfEventAttrInit, pid: number, cpu: number): FfiError {
  const what = `perf_event_open(type ${attr.type ?? 0}, config ${
    attr.config ?? 0
  }, pid ${pid}, cpu ${cpu})`;
  let why: string;
  if (e === EACCES || e === EPERM) why = privilegeHint();
  else if (e === ENOENT || e === ENODEV) why = "the kernel has no such event (or not on this CPU)";
  else if (e === EINVAL) why = "the kernel refused the attr or the pid/cpu pair";
  else if (e === EMFILE) why = "too many open files: raise `ulimit -n`";
  else if (e === 3) why = `no thread ${pid}`;
  else why = "the call failed";
  return new FfiError(`expected ${what} to open, found ${errnoText(e)}: ${why}`, e);
}

function ioctlInt(fd: number, req: bigint, arg: number, what: string): void {
  if (libc().ioctl(fd, req, BigInt(arg)) < 0) {
    const e = errno();
    throw new FfiError(`expected ${what} on perf event fd ${fd} to work, found ${errnoText(e)}`, e);
  }
}

/**
 * One open perf event: its fd, where it was opened, and the ioctls.
 * Closing closes the fd (a ring mapped over it stays valid until unmapped).
 *
 * @example
 * ```ts
 * import { PerfEvent, PerfSwConfig, PerfType } from "@bpfview/bpfview";
 * using ev = PerfEvent.open({ type: PerfType.SOFTWARE, config: PerfSwConfig.TASK_CLOCK, disabled: true }, { pid: 0 });
 * ev.enable();
 * ```
 */
export class PerfEvent {
  /** The event's fd (-1 once closed). */
  fd: number;
  /** The CPU it was opened on (-1: any). */
  readonly cpu: number;
  /** The thread it was opened on (-1: all). */
  readonly pid: number;

  /** Wraps an fd from {@link perfEventOpen}. */
  constructor(fd: number, cpu = -1, pid = -1) {
    this.fd = fd;
    this.cpu = cpu;
    this.pid = pid;
  }

  /** Opens an event (see {@link perfEventOpen}). */
  static open(attr: PerfEventAttrInit, options: OpenOptions = {}): PerfEvent {
    return new PerfEvent(perfEventOpen(attr, options), options.cpu ?? -1, options.pid ?? -1);
  }

  #fd(): number {
    if (this.fd < 0) throw new PerfError("expected an open perf event, found it closed");
    return this.fd;
  }

  /** `PERF_EVENT_IOC_ENABLE`. */
  enable(): void {
    ioctlInt(this.#fd(), IOC.ENABLE, 0, "PERF_EVENT_IOC_ENABLE");
  }

  /** `PERF_EVENT_IOC_DISABLE`. */
  disable(): void {
    ioctlInt(this.#fd(), IOC.DISABLE, 0, "PERF_EVENT_IOC_DISABLE");
  }

  /** `PERF_EVENT_IOC_RESET`: zero the counter. */
  reset(): void {
    ioctlInt(this.#fd(), IOC.RESET, 0, "PERF_EVENT_IOC_RESET");
  }

  /** `PERF_EVENT_IOC_PAUSE_OUTPUT`: stop (true) or resume (false) writing to the ring. */
  pauseOutput(pause: boolean): void {
    ioctlInt(this.#fd(), IOC.PAUSE_OUTPUT, pause ? 1 : 0, "PERF_EVENT_IOC_PAUSE_OUTPUT");
  }

  /** `PERF_EVENT_IOC_SET_OUTPUT`: write this event's records into `target`'s ring. */
  setOutput(target: PerfEvent): void {
    ioctlInt(this.#fd(), IOC.SET_OUTPUT, target.#fd(), "PERF_EVENT_IOC_SET_OUTPUT");
  }

  /** `PERF_EVENT_IOC_SET_BPF`: run BPF program `progFd` on every event (kprobe/tracepoint events). */
  setBpf(progFd: number): void {
    ioctlInt(this.#fd(), IOC.SET_BPF, progFd, "PERF_EVENT_IOC_SET_BPF");
  }

  /**
   * `PERF_EVENT_IOC_SET_FILTER`: an ftrace filter expression
   * (`"prev_pid == 1 && next_comm ~ \"kwork*\""`) the kernel applies before
   * writing a sample. Throws {@link PerfError} naming the expression when
   * the kernel rejects it.
   */
  setFilter(expr: string): void {
    if (expr.includes("\0")) {
      throw new PerfError(`expected a filter without NUL bytes, found one in "${expr}"`);
    }
    const buf = new TextEncoder().encode(expr + "\0");
    if (libc().ioctl_buffer(this.#fd(), IOC.SET_FILTER, buf) < 0) {
      const e = errno();
      throw new PerfError(
        `expected the kernel to accept the filter "${expr}", found ${errnoText(e)}${
          e === EINVAL ? " (a field name, operator or value it does not know)" : ""
        }`,
      );
    }
  }

  /** `PERF_EVENT_IOC_ID`: the event's id (as PERF_SAMPLE_ID / IDENTIFIER give it). */
  id(): number | bigint {
    const buf = new BigUint64Array(1);
    if (libc().ioctl_buffer(this.#fd(), IOC.ID, buf) < 0) {
      const e = errno();
      throw new FfiError(`expected PERF_EVENT_IOC_ID to work, found ${errnoText(e)}`, e);
    }
    const v = buf[0];
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  /** Closes the fd. Safe to call twice. */
  close(): void {
    if (this.fd >= 0) libc().close(this.fd);
    this.fd = -1;
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * The online CPUs (`/sys/devices/system/cpu/online`, e.g. `0-3,6`); when
 * that file cannot be read, `0 .. navigator.hardwareConcurrency - 1`.
 *
 * @example
 * ```ts
 * import { onlineCpus } from "@bpfview/bpfview";
 * console.log(onlineCpus()); // [0, 1]
 * ```
 */
export function onlineCpus(): number[] {
  let text: string;
  try {
    text = Deno.readTextFileSync("/sys/devices/system/cpu/online").trim();
  } catch {
    return Array.from({ length: navigator.hardwareConcurrency || 1 }, (_, i) => i);
  }
  return parseCpuList(text);
}

/**
 * Parses a kernel CPU list (`0-3,6`).
 *
 * @example
 * ```ts
 * import { parseCpuList } from "@bpfview/bpfview";
 * console.log(parseCpuList("0-2,5")); // [0, 1, 2, 5]
 * ```
 */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(",")) {
    if (!part) continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new PerfError(`expected a CPU list like "0-3,6", found "${text}"`);
    const a = Number(m[1]), b = m[2] === undefined ? a : Number(m[2]);
    for (let c = a; c <= b; c++) out.push(c);
  }
  return out;
}

/**
 * The threads of process `pid` (`/proc/PID/task`), sorted; throws
 * {@link PerfError} when there is no such process.
 *
 * @example
 * ```ts
 * import { threadsOf } from "@bpfview/bpfview";
 * console.log(threadsOf(Deno.pid).includes(Deno.pid)); // true
 * ```
 */
export function threadsOf(pid: number): number[] {
  try {
    return [...Deno.readDirSync(`/proc/${pid}/task`)].map((e) => Number(e.name))
      .filter(Number.isInteger).sort((a, b) => a - b);
  } catch {
    throw new PerfError(`expected a process ${pid} (/proc/${pid}/task), found none`);
  }
}
