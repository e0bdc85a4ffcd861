/**
 * `bpfview trace`: live kernel tracepoints as JSON lines or readable
 * lines, with no BPF program and no compiler; `trace --list` lists the
 * tracepoints with their fields and the schema each would use.
 *
 * @module
 */

import {
  argument,
  choice,
  command,
  flag,
  float,
  integer,
  map,
  multiple,
  object,
  option,
  optional,
  string,
  withDefault,
} from "@optique/core";
import {
  type Btf,
  listEvents,
  openBtf,
  PerfError,
  type PerfSample,
  readFormat,
  type TracedEvent,
  TracepointDecoder,
  Tracer,
  type TraceSchema,
} from "../mod.ts";
import { type CommandParser, doc, examples, jsonFlag, type Run } from "./command.ts";
import { warn, writeOut } from "./output.ts";

/** Options of {@link runTrace}. */
export interface TraceOptions {
  /** Event names and globs (`sched:sched_switch`, `syscalls:sys_enter_*`), comma-separated or not. */
  events: readonly string[];
  /** List events (matching the globs in `events`, or all) instead of tracing. */
  list: boolean;
  /** Only this CPU. */
  cpu?: number;
  /** Only this process's threads. */
  pid?: number;
  /** Stop after this many events. */
  count?: number;
  /** Stop after this many seconds. */
  duration?: number;
  /** ftrace filter expression for the kernel. */
  filter?: string;
  /** Payload schema. */
  schema: TraceSchema;
  /** JSON lines instead of readable lines. */
  json: boolean;
}

/** The `trace` command's parser; its value runs the trace. */
export const traceCommand: CommandParser = command(
  "trace",
  map(
    object({
      events: multiple(
        argument(string({ metavar: "SYSTEM:EVENT" }), {
          description: doc`tracepoints to trace, comma-separated or as separate arguments; globs
            as perf takes them (sched:*, syscalls:sys_enter_*); with --list, globs to list`,
        }),
      ),
      list: withDefault(
        flag("--list", {
          description: doc`list tracepoints (all, or those matching the arguments) with their
            fields and the schema (btf or tracefs) each would use`,
        }),
        false,
      ),
      cpu: optional(
        option("--cpu", integer({ metavar: "N", min: 0 }), {
          description: doc`trace only CPU N (default: every online CPU)`,
        }),
      ),
      pid: optional(
        option("--pid", integer({ metavar: "PID", min: 1 }), {
          description: doc`trace only the threads of process PID`,
        }),
      ),
      count: optional(
        option("--count", integer({ metavar: "N", min: 1 }), {
          description: doc`stop after N events`,
        }),
      ),
      duration: optional(
        option("--duration", float({ metavar: "SECONDS", min: 0 }), {
          description: doc`stop after SECONDS seconds (default: until Ctrl-C)`,
        }),
      ),
      filter: optional(
        option("--filter", string({ metavar: "EXPR" }), {
          description: doc`ftrace filter expression the kernel applies before a sample reaches
            the ring, e.g. 'prev_pid != 0 && next_comm ~ "kworker*"'`,
        }),
      ),
      schema: withDefault(
        option("--schema", choice(["auto", "btf", "tracefs"] as const, { metavar: "SCHEMA" }), {
          description: doc`how payloads are decoded: btf (the kernel's struct
            trace_event_raw_<event>), tracefs (the event's format file), or auto (btf where it
            describes the event)`,
        }),
        "auto" as const,
      ),
      json: jsonFlag("event, cpu, pid, tid, time, fields"),
    }),
    (o): Run => () => runTrace(o),
  ),
  {
    brief: doc`trace kernel tracepoints live, every field decoded (no BPF program needed)`,
    description: doc`Opens one perf event per tracepoint on every online CPU (or on each thread
      of --pid), and prints each sample: one JSON line {"event", "cpu", "pid", "tid", "time",
      "fields"} with --json, else one readable line. Lost samples and the counts at the end go to
      stderr; Ctrl-C stops. Needs root or CAP_PERFMON (see kernel.perf_event_paranoid).`,
    footer: examples(
      "bpfview trace sched:sched_switch --count 10",
      "bpfview trace 'syscalls:sys_enter_open*' --pid 1234 --json",
      "bpfview trace sched:sched_switch --filter 'prev_pid != 0' --duration 5",
      "bpfview trace --list 'sched:*'",
    ),
  },
);

/** The kernel's BTF, or undefined (with a note) when it cannot be read and the schema allows. */
function kernelBtf(schema: TraceSchema): Btf | undefined {
  if (schema === "tracefs") return undefined;
  try {
    return openBtf();
  } catch (e) {
    if (schema === "btf") throw e;
    warn(`no kernel BTF (${e instanceof Error ? e.message : e}): decoding with tracefs formats`);
    return undefined;
  }
}

function runList(o: TraceOptions): number {
  const tracing = (["cpu", "pid", "count", "duration", "filter"] as const)
    .filter((k) => o[k] !== undefined);
  if (tracing.length) {
    throw new PerfError(
      `expected --list with globs, --schema and --json only, found --${tracing[0]}`,
    );
  }
  const btf = kernelBtf(o.schema);
  const names = o.events.length
    ? o.events.flatMap((g) => g.split(",")).filter(Boolean).flatMap((g) => {
      const found = listEvents(g);
      if (!found.length) throw new PerfError(`expected tracepoints matching "${g}", found none`);
      return found;
    })
    : listEvents();
  const out: string[] = [];
  for (const n of names) {
    const f = readFormat(n.system, n.name);
    let schema: string, struct = "";
    try {
      const d = new TracepointDecoder(f, { btf, schema: o.schema });
      (schema = d.schema, struct = d.structName);
    } catch (e) {
      if (!(e instanceof PerfError)) throw e;
      schema = "none";
    }
    const fields = f.fields.filter((x) => !x.isCommon);
    if (o.json) {
      out.push(JSON.stringify({
        event: `${n.system}:${n.name}`,
        id: f.id,
        schema,
        struct: struct || undefined,
        fields: fields.map((x) => ({
          name: x.name,
          declaration: x.declaration,
          offset: x.offset,
          size: x.size,
          signed: x.signed,
          kind: x.kind,
        })),
      }));
    } else {
      out.push(
        `${n.system}:${n.name} [${schema}${struct ? ` ${struct}` : ""}]` +
          fields.map((x) => `\n    ${x.declaration}; offset ${x.offset}, size ${x.size}`).join(""),
      );
    }
  }
  writeOut(out.join("\n") + (out.length ? "\n" : ""));
  return 0;
}

/** A field value in a readable line: strings bare unless they need quotes, arrays in brackets. */
function readable(v: unknown): string {
  if (typeof v === "string") return /^[\x21-\x7e]*$/.test(v) && v !== "" ? v : JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(readable).join(",")}]`;
  return String(v);
}

function timeText(t: number | bigint): string {
  const b = BigInt(t);
  return `${b / 1000000000n}.${String((b % 1000000000n) / 1000n).padStart(6, "0")}`;
}

/** `trace`: live tracepoints until --count, --duration or Ctrl-C; returns the exit code. */
export async function runTrace(o: TraceOptions): Promise<number> {
  if (o.list) return runList(o);
  if (o.events.length === 0) {
    throw new PerfError("expected at least one tracepoint (e.g. sched:sched_switch), found none");
  }
  const tracer = Tracer.open(o.events, {
    btf: kernelBtf(o.schema),
    schema: o.schema,
    cpus: o.cpu === undefined ? undefined : [o.cpu],
    pid: o.pid,
    filter: o.filter,
  });
  const stop = new AbortController();
  const onInt = () => stop.abort();
  Deno.addSignalListener("SIGINT", onInt);
  Deno.addSignalListener("SIGTERM", onInt);
  const timer = o.duration === undefined
    ? undefined
    : setTimeout(() => stop.abort(), o.duration * 1000);
  const prefix = new Map<TracedEvent, string>(
    tracer.events.map((e) => [e, `{"event":${JSON.stringify(e.event)},"cpu":`]),
  );
  let out = "", printed = 0, lost = 0;
  const limit = o.count ?? Infinity;
  const flush = () => {
    if (out) writeOut(out), out = "";
    const now = tracer.stats().lost;
    if (now > lost) {
      warn(`lost ${now - lost} samples (ring full)`);
      lost = now;
    }
  };
  const onSample = (ev: TracedEvent, s: PerfSample) => {
    if (printed >= limit) return;
    const fields = ev.decode(s);
    if (o.json) {
      const t = typeof s.time === "bigint" ? `"${s.time}"` : s.time;
      out += `${prefix.get(ev)}${s.cpu},"pid":${s.pid},"tid":${s.tid},"time":${t},"fields":${
        JSON.stringify(fields)
      }}\n`;
    } else {
      let line = `${String(s.pid).padStart(7)}/${String(s.tid).padEnd(7)} [${
        String(s.cpu).padStart(3, "0")
      }] ${timeText(s.time)}: ${ev.event}:`;
      for (const k in fields) line += ` ${k}=${readable(fields[k])}`;
      out += line + "\n";
    }
    if (++printed >= limit) stop.abort();
    if (out.length > 1 << 16) flush();
  };
  try {
    await tracer.follow(onSample, { signal: stop.signal, afterDrain: flush });
    tracer.disable();
    tracer.drain(onSample);
    flush();
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    Deno.removeSignalListener("SIGINT", onInt);
    Deno.removeSignalListener("SIGTERM", onInt);
    tracer.close();
  }
  const st = tracer.stats();
  const per = Object.entries(st.byEvent).map(([k, v]) => `${k} ${v}`).join(", ");
  warn(`${printed} events printed; ${st.samples} read (${per}), ${st.lost} lost`);
  return 0;
}
