/**
 * perf's tracing data: the tracefs files `perf record` embeds in a perf.data
 * file (the HEADER_TRACING_DATA feature section, or a pipe's
 * PERF_RECORD_HEADER_TRACING_DATA), so tracepoints decode on any machine
 * without the recording machine's tracefs. Layout (as perf writes it, in
 * the recording machine's byte order):
 *
 * - magic `17 08 44 "tracing"`, version as a NUL-terminated string ("0.6");
 * - u8 big-endian flag, u8 sizeof(long), u32 page size;
 * - "header_page\0" + u64 size + text, "header_event\0" + u64 size + text;
 * - u32 count of ftrace format files, each u64 size + text;
 * - u32 count of systems, each: NUL-terminated name, u32 count of event
 *   format files, each u64 size + text;
 * - u32 size + /proc/kallsyms text; u32 size + printk formats text;
 * - from version 0.6: u64 size + saved cmdlines text.
 *
 * @module
 */

import { readU64Exact } from "./bytes.ts";
import { Cursor } from "./perf_data_cursor.ts";
import { PerfError } from "./error.ts";

/**
 * One event format file from the tracing data, as text.
 *
 * @example
 * ```ts
 * import type { TracingFormat } from "@bpfview/bpfview";
 * const byId = (formats: TracingFormat[]) =>
 *   new Map(formats.map((f) => [f.id, `${f.system}:${f.name}`]));
 * ```
 */
export interface TracingFormat {
  /** The system (`sched`, `syscalls`, ...); `ftrace` for ftrace's own formats. */
  system: string;
  /** The event name from the file's `name:` line. */
  name: string;
  /** The event id from the file's `ID:` line (what a tracepoint attr's `config` holds). */
  id: number;
  /** The whole format file, as tracefs gives it. */
  text: string;
}

/**
 * The tracing data of a perf.data file.
 *
 * @example
 * ```ts
 * import { parseTracingData, type TracingData } from "@bpfview/bpfview";
 * const show = (t: TracingData) => t.events.map((e) => `${e.system}:${e.name}`);
 * ```
 */
export interface TracingData {
  /** The format version ("0.6" from perf 4.x on). */
  version: string;
  /** Whether the recording machine was big-endian. */
  bigEndian: boolean;
  /** sizeof(long) on the recording machine. */
  longSize: number;
  /** The recording machine's page size. */
  pageSize: number;
  /** `events/header_page` (layout of the ftrace ring's page header). */
  headerPage: string;
  /** `events/header_event`. */
  headerEvent: string;
  /** ftrace's own event formats (rarely present in perf.data). */
  ftrace: TracingFormat[];
  /** The format file of every tracepoint the file records. */
  events: TracingFormat[];
  /** `/proc/kallsyms` at recording time (usually empty: perf leaves it out). */
  kallsyms: string;
  /** `printk_formats`: `0xaddr : "format"` lines. */
  printk: string;
  /** `saved_cmdlines` ("pid comm" lines), version 0.6 and later. */
  cmdlines: string;
}

const MAGIC = [0x17, 0x08, 0x44, 0x74, 0x72, 0x61, 0x63, 0x69, 0x6e, 0x67]; // "\027\010\104tracing"
const utf8 = new TextDecoder();

/**
 * Parses perf's tracing data; `base` is the file offset of `bytes[0]` (for
 * error messages). Throws {@link PerfError} naming the byte where the data
 * stops making sense.
 *
 * @example
 * ```ts
 * import { parseTracingData } from "@bpfview/bpfview";
 * try {
 *   parseTracingData(new Uint8Array(4));
 * } catch (e) {
 *   console.log((e as Error).message); // expected the tracing data magic ...
 * }
 * ```
 */
export function parseTracingData(bytes: Uint8Array, base = 0): TracingData {
  const c = new Cursor(bytes, base, "the tracing data");
  c.need(MAGIC.length, "magic");
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) {
      throw new PerfError(
        `expected the tracing data magic "\\027\\010\\104tracing", found byte 0x${
          bytes[i].toString(16)
        } at position ${i}`,
        base + i,
      );
    }
  }
  c.pos = MAGIC.length;
  const version = c.cstring("version");
  const bigEndian = c.u8("endianness") !== 0;
  const longSize = c.u8("long size");
  // Everything below is in the recording machine's byte order.
  const le = !bigEndian;
  const u32 = (item: string) => {
    c.need(4, item);
    const v = c.dv.getUint32(c.pos, le);
    c.pos += 4;
    return v;
  };
  const u64 = (item: string) => {
    c.need(8, item);
    const v = readU64Exact(c.dv, c.pos, item, base + c.pos, le);
    if (v > c.left - 8) {
      throw new PerfError(
        `expected ${item} of at most the ${c.left - 8} bytes left in the tracing data, found ${v}`,
        base + c.pos,
      );
    }
    c.pos += 8;
    return v;
  };
  const pageSize = u32("page size");
  const header = (name: string) => {
    const at = c.pos;
    const got = c.cstring(`"${name}"`);
    if (got !== name) {
      throw new PerfError(`expected "${name}" in the tracing data, found "${got}"`, base + at);
    }
    return utf8.decode(c.take(u64(`${name} size`), name));
  };
  const headerPage = header("header_page");
  const headerEvent = header("header_event");
  const formats = (system: string, n: number, out: TracingFormat[]) => {
    for (let i = 0; i < n; i++) {
      const size = u64(`format file size of ${system} #${i}`);
      const at = c.pos;
      const text = utf8.decode(c.take(size, `format file of ${system} #${i}`));
      const name = /^name: (.*)$/m.exec(text)?.[1].trim();
      const id = /^ID: (\d+)$/m.exec(text)?.[1];
      if (name === undefined || id === undefined) {
        throw new PerfError(
          `expected a format file with "name:" and "ID:" lines for ${system} #${i}, found ${
            JSON.stringify(text.slice(0, 40))
          }`,
          base + at,
        );
      }
      out.push({ system, name, id: Number(id), text });
    }
  };
  const ftrace: TracingFormat[] = [];
  formats("ftrace", u32("count of ftrace formats"), ftrace);
  const events: TracingFormat[] = [];
  const systems = u32("count of systems");
  for (let s = 0; s < systems; s++) {
    const system = c.cstring("system name");
    formats(system, u32(`count of ${system} formats`), events);
  }
  const kallsyms = utf8.decode(c.take(u32("kallsyms size"), "kallsyms"));
  const printk = utf8.decode(c.take(u32("printk formats size"), "printk formats"));
  let cmdlines = "";
  if (Number.parseFloat(version) >= 0.6 && c.left >= 8) {
    cmdlines = utf8.decode(c.take(u64("saved cmdlines size"), "saved cmdlines"));
  }
  return {
    version,
    bigEndian,
    longSize,
    pageSize,
    headerPage,
    headerEvent,
    ftrace,
    events,
    kallsyms,
    printk,
    cmdlines,
  };
}
