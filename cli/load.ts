/**
 * `bpfview load`: open a BPF object, set its globals, load it, attach its
 * programs, then print a map: streamed records (ring buffer, perf event
 * array: readers register in {@link mapStreams}) or, for hash and array
 * maps, every entry as JSON lines at the end.
 *
 * @module
 */

import {
  argument,
  command,
  float,
  integer,
  map,
  multiple,
  object,
  option,
  optional,
  string,
} from "@optique/core";
import { type BpfMap, BpfObject, FfiError, jsonValue, MapType, parseValue } from "../mod.ts";
import { type CommandParser, doc, examples, jsonFlag, type Run } from "./command.ts";
import { perfArrayStream } from "./load_perf.ts";
import { ringbufStream } from "./load_ringbuf.ts";
import { countsLine, warn, writeOut } from "./output.ts";

/** Options of {@link runLoad}. */
export interface LoadOptions {
  /** The object file. */
  object: string;
  /** `NAME=VALUE` global settings, applied before load. */
  set: readonly string[];
  /** Programs to attach; empty: every program that can be auto-attached. */
  programs: readonly string[];
  /** The map to print. */
  map?: string;
  /** The record type of a streaming map (ring buffer, perf event array). */
  type?: string;
  /** Stop after this many records (streams) or print at most this many entries (hash/array). */
  count?: number;
  /** Stop after this many seconds (default: at Ctrl-C). */
  duration?: number;
  /** JSON lines instead of text. */
  json: boolean;
}

/** What the reader of a streaming map gets from `load`. */
export interface StreamContext {
  /** The loaded, attached object. */
  readonly obj: BpfObject;
  /** The map to read. */
  readonly map: BpfMap;
  /** `--type`: the record type's name in the object's BTF. */
  readonly type?: string;
  /** `--count`: stop after this many records. */
  readonly count?: number;
  /** `--json`: one JSON object per record (`{"map": NAME, "fields": {...}}`), else text. */
  readonly json: boolean;
  /** Aborted at Ctrl-C or when `--duration` ends: stop reading then. */
  readonly signal: AbortSignal;
  /** Writes one line of output (the newline is added). */
  write(line: string): void;
}

/** What a stream reader reports at the end (printed on stderr): `records` and any other counts. */
export type StreamStats = Readonly<Record<string, number>>;

/** Reads records from a streaming map until the signal aborts or `count` records. */
export type MapStream = (ctx: StreamContext) => Promise<StreamStats>;

/**
 * Readers of streaming maps, by map type. The seam for the ring buffer
 * reader (`MapType.RINGBUF`) and the perf ring (`MapType.PERF_EVENT_ARRAY`,
 * `cli/load_perf.ts`): one entry per map type, its reader in its own
 * `cli/load_<kind>.ts`.
 */
export const mapStreams: Map<number, MapStream> = new Map([
  [MapType.PERF_EVENT_ARRAY, perfArrayStream],
  [MapType.RINGBUF, ringbufStream],
]);

/** The `load` command's parser; its value runs it. */
export const loadCommand: CommandParser = command(
  "load",
  map(
    object({
      object: argument(string({ metavar: "OBJECT" }), {
        description: doc`a BPF object file built with clang -g -O2 -target bpf`,
      }),
      set: multiple(
        option("--set", string({ metavar: "NAME=VALUE" }), {
          description: doc`set a global variable before load (a const volatile in .rodata, or
            one in .data, .bss or a custom section; SECTION:NAME picks the section). VALUE is
            read by the variable's BTF type: integers of any width and sign (decimal, 0x, 0o,
            0b), enumerator names or values, true/false, a string for char[N]`,
        }),
      ),
      programs: multiple(
        option("--program", string({ metavar: "NAME" }), {
          description: doc`attach only this program (repeatable); default: every program whose
            section names where to attach it`,
        }),
      ),
      map: optional(
        option("--map", string({ metavar: "NAME" }), {
          description: doc`the map to print: a ring buffer's or perf event array's records as
            they come ({"map", "fields"} per line; a perf event array's with "cpu"), or a hash
            or array map's entries at the end ({"map", "key", "value"} per line, types from
            BTF)`,
        }),
      ),
      type: optional(
        option("--type", string({ metavar: "TYPE" }), {
          description: doc`the record type of a ring buffer or perf event array map (a struct
            name in the object's BTF); hash and array maps need none`,
        }),
      ),
      count: optional(
        option("--count", integer({ min: 1, metavar: "N" }), {
          description: doc`stop after N records (ring buffer, perf event array), or print at
            most N entries (hash, array)`,
        }),
      ),
      duration: optional(
        option("--duration", float({ min: 0, metavar: "S" }), {
          description: doc`run for S seconds (default: until Ctrl-C), then detach and print`,
        }),
      ),
      json: jsonFlag("one object per map entry or record"),
    }),
    (o): Run => () => runLoad(o),
  ),
  {
    brief: doc`load a BPF object, set its globals, attach its programs, print a map`,
    description: doc`Opens OBJECT, sets globals (--set), loads it into the kernel, attaches its
      programs, waits for --duration seconds or Ctrl-C, then detaches everything. With --map
      it prints that map: streamed records for a ring buffer or a perf event array (--type
      names the record type) until --count records, --duration or Ctrl-C, or every entry of a
      hash or array map at the end. Counts go to stderr (a ring buffer's: records, discarded,
      and lost when the program reserves through perf/ringbuf.h). Needs root or
      CAP_BPF (plus CAP_PERFMON for tracing programs).`,
    footer: examples(
      "bpfview load counter.bpf.o --set target_pid=1234 --map counts --duration 5 --json",
      "bpfview load prog.bpf.o --program handle_exec --map events --type event",
    ),
  },
);

/** Waits until `signal` aborts. */
function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener("abort", () => resolve(), { once: true })
  );
}

/** Sets each `NAME=VALUE` global, parsing VALUE by the variable's type. */
function setGlobals(obj: BpfObject, settings: readonly string[]): void {
  for (const s of settings) {
    const eq = s.indexOf("=");
    if (eq <= 0) throw new FfiError(`expected --set NAME=VALUE, found "${s}"`);
    const name = s.slice(0, eq), text = s.slice(eq + 1);
    const g = obj.global(name);
    obj.setGlobal(name, parseValue(obj.btf!, g.type, text, name));
  }
}

/** Prints every entry of a hash or array map (at most `count`); returns how many. */
function printEntries(m: BpfMap, count: number | undefined, json: boolean): number {
  let n = 0;
  const lines: string[] = [];
  for (const [key, value] of m.entries()) {
    if (count !== undefined && n >= count) break;
    const k = JSON.stringify(jsonValue(key)), v = JSON.stringify(jsonValue(value));
    lines.push(
      json ? `{"map":${JSON.stringify(m.name)},"key":${k},"value":${v}}` : `${m.name} ${k} ${v}`,
    );
    n++;
  }
  if (lines.length) writeOut(lines.join("\n") + "\n");
  return n;
}

/** `load`: open, set, load, attach, wait, print; returns the exit code. */
export async function runLoad(o: LoadOptions): Promise<number> {
  if (o.map === undefined && (o.type !== undefined || o.count !== undefined)) {
    throw new FfiError(
      `expected --map NAME with ${o.type !== undefined ? "--type" : "--count"}, found no --map`,
    );
  }
  using obj = BpfObject.open(o.object);
  setGlobals(obj, o.set);
  const m = o.map === undefined ? undefined : obj.map(o.map);
  const stream = m ? mapStreams.get(m.type) : undefined;
  if (m && !stream) {
    if (m.type === MapType.RINGBUF || m.type === MapType.PERF_EVENT_ARRAY) {
      throw new FfiError(
        `expected a reader for ${m.typeName} map '${m.name}', found none in this build of bpfview`,
      );
    }
    if (o.type !== undefined) {
      throw new FfiError(
        `expected --type only with a ring buffer or perf event array map, found ${m.typeName} map '${m.name}' (its key and value types come from its BTF)`,
      );
    }
  }
  // Ctrl-C (and SIGTERM) from here on end the wait, then everything detaches.
  const ac = new AbortController();
  const stop = () => ac.abort();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, stop);
  try {
    obj.load();
    return await attachAndPrint(obj, o, m, stream, ac, stop);
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, stop);
  }
}

async function attachAndPrint(
  obj: BpfObject,
  o: LoadOptions,
  m: BpfMap | undefined,
  stream: MapStream | undefined,
  ac: AbortController,
  stop: () => void,
): Promise<number> {
  const links = o.programs.length
    ? o.programs.map((name) => obj.program(name).attach())
    : obj.attachAll();
  warn(
    `attached ${links.length} program${links.length === 1 ? "" : "s"} of ${obj.name}${
      links.length ? `: ${links.map((l) => l.program).join(", ")}` : ""
    }`,
  );

  const timer = o.duration === undefined ? undefined : setTimeout(stop, o.duration * 1000);
  try {
    if (m && stream) {
      const stats = await stream({
        obj,
        map: m,
        type: o.type,
        count: o.count,
        json: o.json,
        signal: ac.signal,
        write: (line) => writeOut(line + "\n"),
      });
      warn(countsLine(m.name, stats));
    } else {
      await aborted(ac.signal);
      for (const l of links) l.close();
      if (m) warn(`${m.name}: ${printEntries(m, o.count, o.json)} entries`);
    }
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
  return 0;
}
