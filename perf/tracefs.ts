/**
 * tracefs: where it is mounted, its event list (with perf-style globs) and
 * the parser of an event's `format` file: every field's declaration,
 * offset, size, signedness, array length and `__data_loc` / `__rel_loc`
 * dynamic arrays.
 *
 * @module
 */

import { PerfError } from "./error.ts";

/** How a field's bytes are found.
 *
 * @example
 * ```ts
 * import type { TraceFieldKind } from "@bpfview/bpfview";
 * const k: TraceFieldKind = "data_loc";
 * ```
 */
export type TraceFieldKind = "scalar" | "array" | "data_loc" | "rel_loc";

/**
 * One field of a tracefs format file.
 *
 * @example
 * ```ts
 * import { parseFormat } from "@bpfview/bpfview";
 * const f = parseFormat("name: x\nID: 1\nformat:\n\tfield:__data_loc char[] msg;\toffset:8;\tsize:4;\tsigned:0;\n");
 * console.log(f.fields[0].kind, f.fields[0].isString); // "data_loc" true
 * ```
 */
export interface TraceField {
  /** The field's name (`prev_comm`). */
  readonly name: string;
  /** The declaration as the file gives it (`char prev_comm[16]`). */
  readonly declaration: string;
  /** The element type: the declaration without the name, array bounds and `__data_loc`. */
  readonly type: string;
  /** Byte offset in the payload (from the start of `struct trace_entry`). */
  readonly offset: number;
  /** Size in bytes (4 for `__data_loc` / `__rel_loc`: the locator word). */
  readonly size: number;
  /** Whether the file says `signed:1`. */
  readonly signed: boolean;
  /** Scalar, fixed array, or dynamic array located by a u32 word. */
  readonly kind: TraceFieldKind;
  /** Elements of a fixed array (0 otherwise). */
  readonly length: number;
  /** Bytes per element (for scalars: the size). */
  readonly elementSize: number;
  /** A `char` array or `__data_loc char[]`: decoded as a string cut at the first NUL. */
  readonly isString: boolean;
  /** One of `struct trace_entry`'s fields (`common_type`, `common_pid`...). */
  readonly isCommon: boolean;
}

/**
 * A parsed format file (`events/<system>/<name>/format`).
 *
 * @example
 * ```ts
 * import type { TraceFormat } from "@bpfview/bpfview";
 * const names = (f: TraceFormat) => f.fields.map((x) => x.name);
 * ```
 */
export interface TraceFormat {
  /** The event's system (`sched`), or `""` when unknown. */
  readonly system: string;
  /** The event's name (`sched_switch`). */
  readonly name: string;
  /** Its id: `attr.config` of a PERF_TYPE_TRACEPOINT event. */
  readonly id: number;
  /** The fields, `common_*` first, in the file's order. */
  readonly fields: readonly TraceField[];
  /** The `print fmt:` line (without the prefix), or `""`. */
  readonly printFmt: string;
}

const ONE = new Set([
  "char",
  "signed char",
  "unsigned char",
  "u8",
  "s8",
  "__u8",
  "__s8",
  "uint8_t",
  "int8_t",
  "bool",
  "_Bool",
]);
const TWO = new Set([
  "short",
  "unsigned short",
  "short int",
  "short unsigned int",
  "u16",
  "s16",
  "__u16",
  "__s16",
  "uint16_t",
  "int16_t",
  "__le16",
  "__be16",
]);
const FOUR = new Set([
  "int",
  "unsigned",
  "unsigned int",
  "signed",
  "u32",
  "s32",
  "__u32",
  "__s32",
  "uint32_t",
  "int32_t",
  "pid_t",
  "uid_t",
  "gid_t",
  "__le32",
  "__be32",
]);

/** Size of a C scalar type name, when it is one of the common ones; 8 for pointers and longs. */
function elementSizeOf(type: string): number {
  const t = type.replace(/\b(const|volatile)\b/g, "").replace(/\s+/g, " ").trim();
  if (t.endsWith("*")) return 8;
  if (ONE.has(t)) return 1;
  if (TWO.has(t)) return 2;
  if (FOUR.has(t)) return 4;
  return 8;
}

function isCharType(type: string): boolean {
  return type.replace(/\b(const|volatile)\b/g, "").trim() === "char";
}

const FIELD_RE = /^\s*field:(.*?);\s*offset:(\d+);\s*size:(\d+);\s*(?:signed:(\d+);)?/;

/**
 * Parses the text of a format file. Lines it does not understand outside
 * the field list are ignored; a field line that does not parse throws
 * {@link PerfError} naming the line (as a byte offset into `text`).
 *
 * @example
 * ```ts
 * import { parseFormat } from "@bpfview/bpfview";
 * const text = Deno.readTextFileSync("/sys/kernel/tracing/events/sched/sched_switch/format");
 * const f = parseFormat(text, "sched");
 * console.log(f.id, f.fields.find((x) => x.name === "next_pid")?.offset);
 * ```
 */
export function parseFormat(text: string, system = ""): TraceFormat {
  let name = "", id = -1, printFmt = "";
  const fields: TraceField[] = [];
  let at = 0;
  for (const line of text.split("\n")) {
    const here = at;
    at += line.length + 1;
    const t = line.trim();
    if (t.startsWith("name:")) name = t.slice(5).trim();
    else if (t.startsWith("ID:")) id = Number(t.slice(3).trim());
    else if (t.startsWith("print fmt:")) printFmt = t.slice(10).trim();
    else if (t.startsWith("field:")) {
      const m = FIELD_RE.exec(t);
      if (!m) {
        throw new PerfError(
          `expected a format field line "field:DECL; offset:N; size:N; signed:N;", found "${t}"`,
          here,
        );
      }
      fields.push(parseField(m[1].trim(), +m[2], +m[3], m[4] === "1", here));
    }
  }
  if (!Number.isInteger(id) || id < 0) {
    throw new PerfError(`expected an "ID: N" line in the format file of "${name}", found none`);
  }
  return { system, name, id, fields, printFmt };
}

function parseField(
  decl: string,
  offset: number,
  size: number,
  signed: boolean,
  at: number,
): TraceField {
  let kind: TraceFieldKind = "scalar";
  let d = decl;
  const dyn = /^__(data|rel)_loc\s+/.exec(d);
  if (dyn) {
    kind = dyn[1] === "data" ? "data_loc" : "rel_loc";
    d = d.slice(dyn[0].length);
  }
  // NAME, NAME[N] at the end; a dynamic field may put [] on the type instead.
  const m = /([A-Za-z_][A-Za-z0-9_]*)\s*(\[([^\]]*)\])?\s*$/.exec(d);
  if (!m) {
    throw new PerfError(`expected a field declaration ending in a name, found "${decl}"`, at);
  }
  const name = m[1];
  let type = d.slice(0, m.index).trim();
  const bracket = m[2] !== undefined;
  if (type.endsWith("[]")) type = type.slice(0, -2).trim();
  if (type === "") type = "int";
  const isString = isCharType(type) && (bracket || kind !== "scalar");
  let length = 0, elementSize = size;
  if (kind !== "scalar") {
    elementSize = elementSizeOf(type);
  } else if (bracket) {
    kind = "array";
    elementSize = elementSizeOf(type);
    const n = Number(m[3]);
    if (m[3] !== "" && Number.isInteger(n) && n > 0 && n * elementSize === size) length = n;
    else if (size % elementSize === 0) length = size / elementSize;
    else (elementSize = 1, length = size);
  }
  return {
    name,
    declaration: decl,
    type,
    offset,
    size,
    signed,
    kind,
    length,
    elementSize,
    isString,
    isCommon: name.startsWith("common_"),
  };
}

let root: string | undefined;

/**
 * Where tracefs is mounted: `/sys/kernel/tracing`, the older
 * `/sys/kernel/debug/tracing`, or what `/proc/mounts` says. Throws
 * {@link PerfError} with the mount command when it is not mounted.
 *
 * @example
 * ```ts
 * import { tracefsRoot } from "@bpfview/bpfview";
 * console.log(tracefsRoot()); // "/sys/kernel/tracing"
 * ```
 */
export function tracefsRoot(): string {
  if (root) return root;
  const candidates = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];
  try {
    for (const line of Deno.readTextFileSync("/proc/mounts").split("\n")) {
      const [, dir, fs] = line.split(" ");
      if (fs === "tracefs" && dir) candidates.push(dir.replace(/\\040/g, " "));
    }
  } catch { /* no /proc: try the usual places */ }
  for (const dir of candidates) {
    try {
      if (Deno.statSync(`${dir}/events`).isDirectory) return root = dir;
    } catch (e) {
      if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
        throw new PerfError(
          `expected permission to read ${dir}, found none: run with -A (Deno opens files under /sys only with --allow-all)`,
        );
      }
    }
  }
  throw new PerfError(
    "expected tracefs mounted at /sys/kernel/tracing, found it nowhere: mount it with `mount -t tracefs nodev /sys/kernel/tracing` (as root)",
  );
}

/**
 * Reads and parses `events/<system>/<name>/format` under tracefs. Throws
 * {@link PerfError} naming the event when it does not exist.
 *
 * @example
 * ```ts
 * import { readFormat } from "@bpfview/bpfview";
 * console.log(readFormat("sched", "sched_switch").fields.length);
 * ```
 */
export function readFormat(system: string, name: string, dir: string = tracefsRoot()): TraceFormat {
  if (!/^[\w.-]+$/.test(system) || !/^[\w.-]+$/.test(name)) {
    throw new PerfError(
      `expected an event name like sched:sched_switch, found "${system}:${name}"`,
    );
  }
  let text: string;
  try {
    text = Deno.readTextFileSync(`${dir}/events/${system}/${name}/format`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new PerfError(
        `expected a tracepoint ${system}:${name} (${dir}/events/${system}/${name}/format), found none`,
      );
    }
    throw new PerfError(
      `expected to read the format of ${system}:${name}, found ${
        e instanceof Error ? e.message : e
      }${e instanceof Deno.errors.PermissionDenied ? ": run as root" : ""}`,
    );
  }
  return parseFormat(text, system);
}

/** A tracepoint's system and name.
 *
 * @example
 * ```ts
 * import type { TraceEventName } from "@bpfview/bpfview";
 * const e: TraceEventName = { system: "sched", name: "sched_switch" };
 * ```
 */
export interface TraceEventName {
  /** `sched`. */
  readonly system: string;
  /** `sched_switch`. */
  readonly name: string;
}

function globRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") re += ".*";
    else if (c === "?") re += ".";
    else if (c === "[") {
      const j = glob.indexOf("]", i + 1);
      if (j < 0) re += "\\[";
      else {
        re += "[" + glob.slice(i + 1, j).replace(/^!/, "^").replace(/\\/g, "\\\\") + "]";
        i = j;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/**
 * The tracepoints under tracefs, sorted, optionally only those matching a
 * glob as perf takes them (`sched:*`, `syscalls:sys_enter_*`,
 * `*:sched_switch`; `*`, `?` and `[...]`; a pattern without `:` matches
 * event names in any system).
 *
 * @example
 * ```ts
 * import { listEvents } from "@bpfview/bpfview";
 * console.log(listEvents("sched:sched_sw*")); // [{ system: "sched", name: "sched_switch" }]
 * ```
 */
export function listEvents(glob?: string, dir: string = tracefsRoot()): TraceEventName[] {
  const [sysGlob, nameGlob] = glob === undefined
    ? ["*", "*"]
    : /[:/]/.test(glob)
    ? glob.split(/[:/]/, 2)
    : ["*", glob];
  const sysRe = globRegExp(sysGlob || "*"), nameRe = globRegExp(nameGlob || "*");
  const out: TraceEventName[] = [];
  const events = `${dir}/events`;
  for (const s of Deno.readDirSync(events)) {
    if (!s.isDirectory || !sysRe.test(s.name)) continue;
    for (const e of Deno.readDirSync(`${events}/${s.name}`)) {
      if (e.isDirectory && nameRe.test(e.name)) out.push({ system: s.name, name: e.name });
    }
  }
  return out.sort((a, b) =>
    a.system < b.system ? -1 : a.system > b.system ? 1 : a.name < b.name ? -1 : +(a.name > b.name)
  );
}

/**
 * Expands a list of event names and globs (as `trace` takes them, comma
 * separated or not) into tracepoints, in order, without duplicates.
 * Throws {@link PerfError} naming the pattern that matches nothing.
 *
 * @example
 * ```ts
 * import { expandEvents } from "@bpfview/bpfview";
 * console.log(expandEvents(["sched:sched_switch,sched:sched_wakeup"]).length); // 2
 * ```
 */
export function expandEvents(
  patterns: readonly string[],
  dir: string = tracefsRoot(),
): TraceEventName[] {
  const seen = new Set<string>();
  const out: TraceEventName[] = [];
  for (const p of patterns.flatMap((x) => x.split(",")).map((x) => x.trim()).filter(Boolean)) {
    const found = listEvents(p, dir);
    if (found.length === 0) {
      throw new PerfError(
        `expected tracepoints matching "${p}" under ${dir}/events, found none (see \`trace --list\`)`,
      );
    }
    for (const e of found) {
      const k = `${e.system}:${e.name}`;
      if (!seen.has(k)) (seen.add(k), out.push(e));
    }
  }
  return out;
}
