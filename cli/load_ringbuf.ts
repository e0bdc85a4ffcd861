/**
 * `load OBJECT --map NAME --type TYPE`: a ring buffer map's records as they
 * come, one line each (`{"map": NAME, "fields": {...}}` with `--json`),
 * the `load` command's reader of `BPF_MAP_TYPE_RINGBUF` maps (see
 * `mapStreams` in `cli/load.ts`). Stats (records, discarded, lost) go to stderr at the end.
 *
 * @module
 */

import { FdWaiter, follow, PerfError, RingBuffer, type View } from "../mod.ts";
import type { MapStream, StreamContext, StreamStats } from "./load.ts";
import { countsLine, fieldsLine, warn } from "./output.ts";

/** Reads the ring until the signal aborts or `count` records were printed. */
export const ringbufStream: MapStream = async (ctx: StreamContext): Promise<StreamStats> => {
  const name = ctx.map.name;
  if (ctx.type === undefined) {
    throw new PerfError(
      `expected --type naming the record type of ring buffer map '${name}' (a struct in the object's BTF), found none`,
    );
  }
  using ring = RingBuffer.fromObject(ctx.obj, name, { type: ctx.type });
  const prefix = `{"map":${JSON.stringify(name)},"fields":`;
  const lines: string[] = [];
  const print = ctx.json
    ? (e: View) => lines.push(prefix + JSON.stringify(e) + "}")
    : (e: View) => lines.push(fieldsLine(name, e.toJSON()));
  const limit = ctx.count ?? Infinity;
  let printed = 0;
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  ctx.signal.addEventListener("abort", onAbort, { once: true });
  const drain = () => {
    let n = 0;
    try {
      n = ring.drain(print, Math.min(limit - printed, 0x7fffffff));
    } finally {
      // A record the type does not fit throws: the records before it are printed first.
      printed += lines.length;
      if (lines.length) {
        ctx.write(lines.join("\n"));
        lines.length = 0;
      }
    }
    if (printed >= limit) stop.abort();
    return n;
  };
  const stats = (): StreamStats => {
    const { discarded, lost } = ring.stats;
    return lost === null ? { records: printed, discarded } : { records: printed, discarded, lost };
  };
  try {
    using waiter = new FdWaiter([ring.fd]);
    await follow(waiter, drain, { signal: stop.signal });
    if (!ctx.signal.aborted || printed < limit) drain(); // what arrived before the stop
  } catch (e) {
    // The counts so far on stderr, then the error's own line.
    if (e instanceof PerfError) warn(countsLine(name, stats()));
    throw e;
  } finally {
    ctx.signal.removeEventListener("abort", onAbort);
  }
  if (ring.stats.lost === null) {
    warn(
      `${name}: drops not counted: reserve through perf/ringbuf.h (bpfview_ringbuf_reserve) to count them`,
    );
  }
  return stats();
};
