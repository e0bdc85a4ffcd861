/**
 * Tracepoint payloads (PERF_SAMPLE_RAW of a tracepoint event): decoded as
 * the kernel's `struct trace_event_raw_<name>` from BTF where it exists
 * (events defined from a class use the class's struct, found by matching
 * the format file's fields), and from the tracefs format file otherwise.
 * Both give the same plain object for the same bytes: the event's own
 * fields (not `struct trace_entry`'s `common_*`), `__data_loc` /
 * `__rel_loc` fields decoded to their string or array under the format
 * file's name, values following the JSON rules of the views.
 *
 * @module
 */

import { Kind } from "../btf/kinds.ts";
import { fieldsOf, resolveType, sizeOf } from "../btf/layout.ts";
import type { Btf } from "../btf/parse.ts";
import type { View, ViewClass } from "../btf/view.ts";
import { BtfError } from "../btf/error.ts";
import { textOf } from "./bytes.ts";
import { PerfError } from "./error.ts";
import type { TraceField, TraceFormat } from "./tracefs.ts";

/** Which description of a payload to use. `auto`: BTF when it has the event's struct, else tracefs.
 *
 * @example
 * ```ts
 * import type { TraceSchema } from "@bpfview/bpfview";
 * const s: TraceSchema = "auto";
 * ```
 */
export type TraceSchema = "auto" | "btf" | "tracefs";

/** A 64-bit value as the JSON rules want it: a number when safe, else a decimal string. */
function json64(v: bigint): number | string {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v.toString();
}

function readInt(dv: DataView, p: number, size: number, signed: boolean): number | string {
  switch (size) {
    case 1:
      return signed ? dv.getInt8(p) : dv.getUint8(p);
    case 2:
      return signed ? dv.getInt16(p, true) : dv.getUint16(p, true);
    case 4:
      return signed ? dv.getInt32(p, true) : dv.getUint32(p, true);
    default:
      return json64(signed ? dv.getBigInt64(p, true) : dv.getBigUint64(p, true));
  }
}

function cString(dv: DataView, p: number, n: number): string {
  return textOf(new Uint8Array(dv.buffer, dv.byteOffset + p, n));
}

const SIGNED_TYPE =
  /^(?:const\s+)?(?:s8|s16|s32|s64|__s8|__s16|__s32|__s64|int|long|short|long long|signed(?: \w+)*|int\d+_t|char)$/;

/**
 * Reads the dynamic array a `__data_loc` / `__rel_loc` word at `p`
 * locates, in a payload of `size` bytes starting at `base`: a string for
 * `char`, else an array of numbers. Throws {@link PerfError} when the
 * array runs past the payload.
 */
function dynamic(
  dv: DataView,
  base: number,
  size: number,
  p: number,
  rel: boolean,
  elementType: string,
  elementSize: number,
  isString: boolean,
  name: string,
): unknown {
  const word = dv.getUint32(p, true);
  const off = (word & 0xffff) + (rel ? p + 4 - base : 0), len = word >>> 16;
  if (off + len > size) {
    throw new PerfError(
      `expected ${name}'s ${len} bytes at payload offset ${off} to fit the ${size}-byte payload, found them past its end`,
      p,
    );
  }
  if (isString) return cString(dv, base + off, len);
  const out: unknown[] = [];
  const signed = SIGNED_TYPE.test(elementType);
  for (let i = 0; i + elementSize <= len; i += elementSize) {
    out.push(readInt(dv, base + off + i, elementSize, signed));
  }
  return out;
}

function readField(dv: DataView, base: number, size: number, f: TraceField): unknown {
  const p = base + f.offset;
  switch (f.kind) {
    case "data_loc":
    case "rel_loc":
      return dynamic(
        dv,
        base,
        size,
        p,
        f.kind === "rel_loc",
        f.type,
        f.elementSize,
        f.isString,
        f.name,
      );
    case "array": {
      if (f.isString) return cString(dv, p, f.size);
      const out: unknown[] = [];
      for (let i = 0; i < f.length; i++) {
        out.push(readInt(dv, p + i * f.elementSize, f.elementSize, f.signed));
      }
      return out;
    }
    default: {
      if (f.type === "bool" || f.type === "_Bool") return dv.getUint8(p) !== 0;
      if (f.size === 1 || f.size === 2 || f.size === 4 || f.size === 8) {
        return readInt(dv, p, f.size, f.signed);
      }
      return Array.from(new Uint8Array(dv.buffer, dv.byteOffset + p, f.size));
    }
  }
}

/** The struct a BTF signature describes: `name@offset:size[:s]` per event field. */
function formatSignature(format: TraceFormat): string {
  return format.fields.filter((f) => !f.isCommon).map((f) =>
    `${f.name}@${f.offset}:${f.size}${f.isString && f.kind === "array" ? ":s" : ""}`
  ).join(",");
}

function isCharArray(btf: Btf, type: number): boolean {
  const t = btf.type(resolveType(btf, type));
  if (t.kind !== Kind.ARRAY) return false;
  const e = btf.type(resolveType(btf, t.type));
  return e.kind === Kind.INT && e.name === "char";
}

const DYN = /^__(data|rel)_loc_(.+)$/;

function btfSignature(btf: Btf, id: number): string | undefined {
  const fields = fieldsOf(btf, id);
  if (fields.length === 0 || fields[0].name !== "ent") return undefined;
  const parts: string[] = [];
  for (const f of fields.slice(1)) {
    if (f.name === "__data") continue;
    if (f.bitfieldSize) return undefined;
    const name = DYN.exec(f.name)?.[2] ?? f.name;
    parts.push(
      `${name}@${f.offset}:${sizeOf(btf, f.type)}${isCharArray(btf, f.type) ? ":s" : ""}`,
    );
  }
  return parts.join(",");
}

const PREFIX = "trace_event_raw_";
const indexes = new WeakMap<
  Btf,
  { ids: number[]; names: string[]; sigs: Map<number, string | undefined> }
>();

/**
 * The id of the BTF struct that lays out `format`'s payload: the event's
 * own `trace_event_raw_<name>`, or the struct of its class (e.g.
 * `trace_event_raw_sched_wakeup_template`), found by comparing every
 * field's name, offset, size and string-ness with the format file. `0`
 * when none matches (syscall tracepoints have no per-syscall struct).
 *
 * @example
 * ```ts
 * import { findTracepointStruct, loadBtf, readFormat } from "@bpfview/bpfview";
 * const btf = loadBtf();
 * const id = findTracepointStruct(btf, readFormat("sched", "sched_wakeup"));
 * console.log(btf.nameOf(id)); // "trace_event_raw_sched_wakeup_template"
 * ```
 */
export function findTracepointStruct(btf: Btf, format: TraceFormat): number {
  const want = formatSignature(format);
  const sig = (id: number, cache?: Map<number, string | undefined>) => {
    if (cache?.has(id)) return cache.get(id);
    let s: string | undefined;
    try {
      s = btfSignature(btf, id);
    } catch (e) {
      if (!(e instanceof BtfError)) throw e;
    }
    cache?.set(id, s);
    return s;
  };
  let index = indexes.get(btf);
  if (!index) {
    const ids: number[] = [], names: string[] = [];
    for (let id = 1; id < btf.count; id++) {
      if (btf.kindOf(id) !== Kind.STRUCT) continue;
      const name = btf.nameOf(id);
      if (name.startsWith(PREFIX)) (ids.push(id), names.push(name.slice(PREFIX.length)));
    }
    index = { ids, names, sigs: new Map() };
    indexes.set(btf, index);
  }
  const { names } = index;
  for (let i = 0; i < names.length; i++) {
    if (names[i] === format.name && sig(index.ids[i], index.sigs) === want) return index.ids[i];
  }
  // Classes first whose name shares the longest prefix with the event's.
  const score = (i: number) => {
    const n = names[i];
    let k = 0;
    while (k < n.length && k < format.name.length && n[k] === format.name[k]) k++;
    return k;
  };
  const ranked = index.ids.map((id, i) => [score(i), id] as const).filter(([s]) => s > 0)
    .sort((a, b) => b[0] - a[0]);
  for (const [, id] of ranked) if (sig(id, index.sigs) === want) return id;
  for (const id of index.ids) if (sig(id, index.sigs) === want) return id;
  return 0;
}

/** Options of {@link TracepointDecoder}.
 *
 * @example
 * ```ts
 * import type { TracepointDecoderOptions } from "@bpfview/bpfview";
 * const o: TracepointDecoderOptions = { schema: "tracefs" };
 * ```
 */
export interface TracepointDecoderOptions {
  /** The BTF to look the payload struct up in (the kernel's). Needed for `btf` and `auto` to use BTF. */
  btf?: Btf;
  /** `auto` (default), `btf` (throws when BTF lacks the struct) or `tracefs`. */
  schema?: TraceSchema;
}

/**
 * Decodes one tracepoint's payloads. Made once per event; `decode` turns
 * the raw bytes of a sample into a plain object, `view` (BTF schema only)
 * is the compiled view class for reading single fields without building
 * the object.
 *
 * @example
 * ```ts
 * import { loadBtf, readFormat, TracepointDecoder } from "@bpfview/bpfview";
 * const dec = new TracepointDecoder(readFormat("sched", "sched_switch"), { btf: loadBtf() });
 * console.log(dec.schema, dec.structName); // "btf" "trace_event_raw_sched_switch"
 * ```
 */
export class TracepointDecoder {
  /** The event's format file. */
  readonly format: TraceFormat;
  /** The schema in use. */
  readonly schema: "btf" | "tracefs";
  /** The BTF struct's name (BTF schema), else `""`. */
  readonly structName: string;
  readonly #btf: Btf | undefined;
  readonly #structId: number;
  #view: ViewClass | undefined;
  readonly #fields: readonly TraceField[];
  readonly #byName: Map<string, TraceField>;
  #bound: View | undefined;
  #boundDv: DataView | undefined;

  /**
   * Picks the schema. Throws {@link PerfError} when `schema` is `btf` and
   * the BTF has no struct for the event (or no BTF was given).
   */
  constructor(format: TraceFormat, options: TracepointDecoderOptions = {}) {
    this.format = format;
    this.#fields = format.fields.filter((f) => !f.isCommon);
    this.#byName = new Map(this.#fields.map((f) => [f.name, f]));
    const schema = options.schema ?? "auto";
    let id = 0;
    if (schema !== "tracefs" && options.btf) id = findTracepointStruct(options.btf, format);
    if (schema === "btf" && id === 0) {
      throw new PerfError(
        options.btf
          ? `expected a BTF struct ${PREFIX}${format.name} (or a class struct with the same fields) for ${format.system}:${format.name}, found none: use --schema tracefs`
          : `expected BTF to decode ${format.system}:${format.name} with, found none given`,
      );
    }
    if (id && options.btf) {
      this.schema = "btf";
      this.structName = options.btf.nameOf(id);
      this.#btf = options.btf;
      this.#structId = id;
    } else {
      this.schema = "tracefs";
      this.structName = "";
      this.#structId = 0;
    }
  }

  /** The BTF view class of the payload (BTF schema; compiled on first use), else undefined. */
  get view(): ViewClass | undefined {
    if (!this.#view && this.#btf) this.#view = this.#btf.view(this.#structId, { int64: "safe" });
    return this.#view;
  }

  /**
   * The payload at `offset` of `dv` (`size` bytes, as PERF_SAMPLE_RAW
   * states it) as a plain object of the event's fields. Throws
   * {@link PerfError} when the payload is shorter than the fields.
   */
  decode(dv: DataView, offset: number, size: number): Record<string, unknown> {
    if (offset < 0 || offset + size > dv.byteLength) {
      throw new PerfError(
        `expected a ${size}-byte payload inside the ${dv.byteLength}-byte buffer, found it past the end`,
        offset,
      );
    }
    return this.view ? this.#decodeBtf(dv, offset, size) : this.#decodeFormat(dv, offset, size);
  }

  #decodeFormat(dv: DataView, base: number, size: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const f of this.#fields) {
      if (f.offset + f.size > size) {
        throw new PerfError(
          `expected ${this.format.name}'s field ${f.name} (bytes ${f.offset}..${
            f.offset + f.size
          }) inside the ${size}-byte payload, found the payload shorter`,
          base + size,
        );
      }
      out[f.name] = readField(dv, base, size, f);
    }
    return out;
  }

  #decodeBtf(dv: DataView, base: number, size: number): Record<string, unknown> {
    const V = this.view!;
    if (size < V.size) {
      throw new PerfError(
        `expected a payload of at least ${V.size} bytes (sizeof ${this.structName}), found ${size}`,
        base,
      );
    }
    let v = this.#bound;
    if (!v || this.#boundDv !== dv) {
      v = this.#bound = new V(dv, base, size);
      this.#boundDv = dv;
    } else v.rebind(base, size);
    const obj = v.toObject();
    const out: Record<string, unknown> = {};
    for (const f of V.fields) {
      const k = f.name;
      if (k === "ent" || k === "__data") continue;
      const m = DYN.exec(k);
      if (m) {
        const name = m[2];
        const tf = this.#byName.get(name);
        out[name] = dynamic(
          dv,
          base,
          size,
          base + (f.bitOffset >>> 3),
          m[1] === "rel",
          tf?.type ?? "char",
          tf?.elementSize ?? 1,
          tf?.isString ?? true,
          name,
        );
      } else out[k] = obj[k];
    }
    return out;
  }

  /**
   * A reader of one field, made once: `(dv, payloadOffset) => value`, the
   * value as {@link decode} gives it, computed from the field's offset and
   * size in the format file (the same bytes under either schema), reading
   * nothing else and allocating nothing for numbers. The caller makes sure
   * the payload holds the field (`rawSize` at least the field's end).
   * Throws {@link PerfError} for a field the event does not have.
   *
   * @example
   * ```ts
   * import { readFormat, TracepointDecoder } from "@bpfview/bpfview";
   * const dec = new TracepointDecoder(readFormat("syscalls", "sys_enter_getpid"));
   * const nr = dec.reader("__syscall_nr");
   * ```
   */
  reader(name: string): (dv: DataView, offset: number) => unknown {
    const f = this.#byName.get(name);
    if (!f) {
      throw new PerfError(
        `expected a field "${name}" in ${this.format.system}:${this.format.name}, found only ${
          this.#fields.map((x) => x.name).join(", ")
        }`,
      );
    }
    const at = f.offset;
    if (f.kind === "scalar" && f.type !== "bool" && f.type !== "_Bool") {
      switch (f.size) {
        case 1:
          return f.signed ? (dv, o) => dv.getInt8(o + at) : (dv, o) => dv.getUint8(o + at);
        case 2:
          return f.signed
            ? (dv, o) => dv.getInt16(o + at, true)
            : (dv, o) => dv.getUint16(o + at, true);
        case 4:
          return f.signed
            ? (dv, o) => dv.getInt32(o + at, true)
            : (dv, o) => dv.getUint32(o + at, true);
      }
    }
    return (dv, o) => readField(dv, o, dv.byteLength - o, f);
  }

  /**
   * A view of the payload at `offset` (BTF schema only): one view, rebound
   * on every call, so reading one field allocates nothing. Throws
   * {@link PerfError} with the tracefs schema.
   */
  bind(dv: DataView, offset: number, size: number): View {
    const V = this.view;
    if (!V) {
      throw new PerfError(`expected a BTF view for ${this.format.name}, found the tracefs schema`);
    }
    let v = this.#bound;
    if (!v || this.#boundDv !== dv) {
      v = this.#bound = new V(dv, offset, size);
      this.#boundDv = dv;
    } else v.rebind(offset, size);
    return v;
  }
}
