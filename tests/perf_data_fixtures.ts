// perf.data files recorded with the real `perf record` at test time (each recording only its own
// workload), and what `perf script` says about them: the reference the perf.data tests compare to.

import { buildDir, shBytes } from "./tools.ts";

// Each test file records into its own folder: test files run in parallel, and a file one of
// them is reading must not be recorded again by another.
let dir = buildDir("perf_data");

/** Records into `tests/build/perf_data_TAG/` from now on (call once per test file). */
export function fixtureDir(tag: string): string {
  dir = buildDir(`perf_data_${tag}`);
  return dir;
}
const dec = new TextDecoder();

/** A workload that makes sched_switch, sched_process_exec (a `__data_loc` string) and getppid calls. */
export const WORKLOAD = [
  "sh",
  "-c",
  "for i in 1 2 3; do perl -e 'getppid() for 1..300; select(undef,undef,undef,0.002) for 1..5' & done; /bin/true; wait",
];

/** Tracepoints the recordings use. */
export const EVENTS = [
  "sched:sched_switch",
  "sched:sched_process_exec",
  "syscalls:sys_enter_getppid",
];

const made = new Map<string, string>();

/**
 * `perf record [extra] -e EVENTS -o FILE -- WORKLOAD` once per name; returns the file's path.
 * With `pipe`, `-o -` and stdout saved to the file (pipe mode).
 */
export function recordPerf(
  name: string,
  extra: string[],
  opts: { pipe?: boolean; events?: string[]; workload?: string[] } = {},
): string {
  const known = made.get(name);
  if (known) return known;
  const path = `${dir}${name}.data`;
  const ev = (opts.events ?? EVENTS).flatMap((e) => ["-e", e]);
  const args = [
    "record",
    "-q",
    ...extra,
    ...ev,
    "-o",
    opts.pipe ? "-" : path,
    "--",
    ...(opts.workload ?? WORKLOAD),
  ];
  if (opts.pipe) Deno.writeFileSync(path, shBytes("perf", args));
  else shBytes("perf", args);
  made.set(name, path);
  return path;
}

/** `perf script -D` record counts by type (every record, the decompressed ones included). */
export function perfDumpCounts(path: string): Map<number, number> {
  const out = dec.decode(shBytes("perf", ["script", "-D", "-i", path]));
  const counts = new Map<number, number>();
  for (const m of out.matchAll(/^(?:0x[0-9a-f]+|0)(?:@\S+)? \[0x[0-9a-f]+\]: event: (\d+)$/gm)) {
    const t = Number(m[1]);
    counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  return counts;
}

/** One sample as `perf script` gives it through a Python script (raw tracepoint fields). */
export interface ScriptSample {
  event: string;
  cpu: number;
  pid: number;
  tid: number;
  time: number;
  fields?: Record<string, unknown>;
  callchain?: number[];
}

const PY = `
import json
def _s(d):
    s = d["sample"]
    return {"cpu": s.get("cpu"), "pid": s.get("pid"), "tid": s.get("tid"), "time": s.get("time")}
def trace_unhandled(event_name, context, fields, perf_sample_dict):
    o = _s(perf_sample_dict)
    o["event"] = event_name
    o["fields"] = {k: (list(v) if isinstance(v, (bytes, bytearray)) else v) for k, v in fields.items() if not k.startswith("common_")}
    print(json.dumps(o))
def process_event(param_dict):
    o = _s(param_dict)
    o["event"] = param_dict["ev_name"]
    o["callchain"] = [c.get("ip") for c in param_dict.get("callchain", [])]
    print(json.dumps(o))
`;

/** Every sample of `path` in `perf script` order, through perf's Python scripting. */
export function perfScriptSamples(path: string): ScriptSample[] {
  const py = `${dir}dump.py`;
  Deno.writeTextFileSync(py, PY);
  const out = dec.decode(shBytes("perf", ["script", "-i", path, "-s", py]));
  return out.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
}
