/**
 * perf's ordered-events queue for perf.data records (`--ordered`): what
 * `perf script` does to put the records of several CPUs' rings in time
 * order.
 *
 * @module
 */

import type { PerfDataRecord } from "./perf_data_record.ts";

interface Queued {
  time: number;
  /** The time's low 32 bits: from 2^53 on, `time` is rounded and two records may tie on it. */
  lo: number;
  seq: number;
  rec: PerfDataRecord;
}

/**
 * perf's ordered-events queue: records are held until a FINISHED_ROUND,
 * then those up to the previous round's largest time are released in time
 * order (stable: equal times keep their file order), exactly also past 2^53.
 */
export class OrderQueue {
  #items: Queued[] = [];
  #seq = 0;
  #max = -Infinity; // largest time seen
  #flushUpTo = -Infinity; // released at the next round

  /** Holds `r` (copied) until its round; `timeLo`: the low 32 bits of its exact u64 time. */
  push(r: PerfDataRecord, timeLo: number): void {
    const bytes = r.bytes.slice(r.at, r.at + r.size);
    const copy: PerfDataRecord = {
      type: r.type,
      misc: r.misc,
      size: r.size,
      bytes,
      dv: new DataView(bytes.buffer),
      at: 0,
      offset: r.offset,
      compressed: r.compressed,
      time: r.time,
    };
    this.#items.push({ time: r.time, lo: timeLo, seq: this.#seq++, rec: copy });
    if (r.time > this.#max) this.#max = r.time;
  }

  *round(): Generator<PerfDataRecord> {
    const limit = this.#flushUpTo;
    this.#flushUpTo = this.#max;
    if (limit === -Infinity) return;
    yield* this.#release(limit);
  }

  *drain(): Generator<PerfDataRecord> {
    yield* this.#release(Infinity);
  }

  *#release(limit: number): Generator<PerfDataRecord> {
    const items = this.#items;
    // Equal rounded times lie less than 2^12 apart: the low halves' difference, taken as a
    // 32-bit signed number, is then the exact difference.
    items.sort((a, b) => a.time - b.time || ((a.lo - b.lo) | 0) || a.seq - b.seq);
    let n = 0;
    while (n < items.length && items[n].time <= limit) n++;
    const out = items.splice(0, n);
    for (const it of out) yield it.rec;
  }
}
