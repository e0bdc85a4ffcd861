/**
 * `load --map` of a `BPF_MAP_TYPE_PERF_EVENT_ARRAY`: one JSON line
 * (`{"map": NAME, "cpu": N, "fields": {...}}`) or text line (`NAME cpu=N
 * field=value ...`) per record, decoded as `--type` through one view per ring.
 *
 * @module
 */

import { BtfError, FdWaiter, FfiError, follow, PerfBuffer, PerfError, type View } from "../mod.ts";
import type { MapStream } from "./load.ts";
import { countsLine, fieldsLine, warn } from "./output.ts";

/** Reads records of a perf event array map until the signal or `--count` (see {@link MapStream}). */
export const perfArrayStream: MapStream = async (ctx) => {
  const { map, json } = ctx;
  if (ctx.type === undefined || !ctx.obj.btf) {
    throw new FfiError(
      `expected --type TYPE (the struct the program outputs) for perf_event_array map '${map.name}', found ${
        ctx.obj.btf ? "none" : "an object without BTF"
      }`,
    );
  }
  const V = ctx.obj.btf.view(ctx.type);
  using buf = new PerfBuffer(map);
  using waiter = new FdWaiter(buf.fds);
  const done = new AbortController();
  const signal = AbortSignal.any([ctx.signal, done.signal]);
  const views = new Map<DataView, View>();
  const name = JSON.stringify(map.name);
  const lines: string[] = [];
  let records = 0;
  const handle = (dv: DataView, offset: number, size: number, cpu: number) => {
    let v = views.get(dv);
    if (v) v.rebind(offset, size);
    else views.set(dv, v = new V(dv, offset, size));
    lines.push(
      json
        ? `{"map":${name},"cpu":${cpu},"fields":${JSON.stringify(v)}}`
        : fieldsLine(`${map.name} cpu=${cpu}`, v.toJSON()),
    );
    records++;
  };
  const drain = () => {
    const left = ctx.count === undefined ? Infinity : ctx.count - records;
    try {
      return left > 0 ? buf.drain(handle, left) : 0;
    } finally {
      // A record the type does not fit throws: the records before it are printed first.
      if (lines.length) {
        ctx.write(lines.join("\n"));
        lines.length = 0;
      }
      if (ctx.count !== undefined && records >= ctx.count) done.abort();
    }
  };
  try {
    // The rings wake by watermark: the idle drain reads the few records below it.
    await follow(waiter, drain, { signal, idle: buf.idle });
    drain(); // what arrived after the last drain
  } catch (e) {
    // The counts so far on stderr, then the error's own line.
    if (e instanceof BtfError || e instanceof PerfError) {
      warn(countsLine(map.name, { records, lost: buf.stats.lost }));
    }
    throw e;
  }
  return { records, lost: buf.stats.lost };
};
