// Writes perf records the way the kernel lays them out, for decoder tests.
import { ReadFormat, SampleType as S } from "../mod.ts";

/** A growable little-endian byte writer. */
export class Writer {
  #b = new Uint8Array(256);
  #dv = new DataView(this.#b.buffer);
  n = 0;
  #room(k: number): void {
    if (this.n + k <= this.#b.length) return;
    const b = new Uint8Array(Math.max(this.#b.length * 2, this.n + k));
    b.set(this.#b);
    this.#b = b;
    this.#dv = new DataView(b.buffer);
  }
  u8(v: number): this {
    this.#room(1);
    this.#dv.setUint8(this.n, v), this.n += 1;
    return this;
  }
  u16(v: number): this {
    this.#room(2);
    this.#dv.setUint16(this.n, v, true), this.n += 2;
    return this;
  }
  u32(v: number): this {
    this.#room(4);
    this.#dv.setUint32(this.n, v >>> 0, true), this.n += 4;
    return this;
  }
  u64(v: number | bigint): this {
    this.#room(8);
    this.#dv.setBigUint64(this.n, BigInt.asUintN(64, BigInt(v)), true), this.n += 8;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.#room(b.length);
    this.#b.set(b, this.n), this.n += b.length;
    return this;
  }
  /** A NUL-terminated string padded to 8 bytes. */
  str(s: string): this {
    const e = new TextEncoder().encode(s);
    const padded = new Uint8Array((e.length + 8) & ~7);
    padded.set(e);
    return this.bytes(padded);
  }
  done(): Uint8Array {
    return this.#b.slice(0, this.n);
  }
}

/** Everything a sample may hold; fields the sample_type lacks are not written. */
export interface SampleValues {
  identifier: bigint;
  ip: bigint;
  pid: number;
  tid: number;
  time: bigint;
  addr: bigint;
  id: bigint;
  stream_id: bigint;
  cpu: number;
  period: bigint;
  read: {
    time_enabled: bigint;
    time_running: bigint;
    values: { value: bigint; id: bigint; lost: bigint }[];
  };
  callchain: bigint[];
  raw: Uint8Array;
  branches: { from: bigint; to: bigint; flags: bigint }[];
  hw_idx: bigint;
  regs_user: bigint[];
  stack: Uint8Array;
  weight: bigint;
  data_src: bigint;
  transaction: bigint;
  regs_intr: bigint[];
  phys_addr: bigint;
  cgroup: bigint;
  data_page_size: bigint;
  code_page_size: bigint;
  aux: Uint8Array;
}

/** Writes one PERF_RECORD_SAMPLE (header included) in the kernel's order. */
export function writeSample(
  t: number,
  readFormat: number,
  v: SampleValues,
  opts: { hwIndex?: boolean } = {},
): Uint8Array {
  const w = new Writer();
  w.u32(9).u16(0).u16(0);
  if (t & S.IDENTIFIER) w.u64(v.identifier);
  if (t & S.IP) w.u64(v.ip);
  if (t & S.TID) w.u32(v.pid).u32(v.tid);
  if (t & S.TIME) w.u64(v.time);
  if (t & S.ADDR) w.u64(v.addr);
  if (t & S.ID) w.u64(v.id);
  if (t & S.STREAM_ID) w.u64(v.stream_id);
  if (t & S.CPU) w.u32(v.cpu).u32(0);
  if (t & S.PERIOD) w.u64(v.period);
  if (t & S.READ) {
    const r = v.read;
    if (readFormat & ReadFormat.GROUP) {
      w.u64(r.values.length);
      if (readFormat & ReadFormat.TOTAL_TIME_ENABLED) w.u64(r.time_enabled);
      if (readFormat & ReadFormat.TOTAL_TIME_RUNNING) w.u64(r.time_running);
      for (const x of r.values) {
        w.u64(x.value);
        if (readFormat & ReadFormat.ID) w.u64(x.id);
        if (readFormat & ReadFormat.LOST) w.u64(x.lost);
      }
    } else {
      w.u64(r.values[0].value);
      if (readFormat & ReadFormat.TOTAL_TIME_ENABLED) w.u64(r.time_enabled);
      if (readFormat & ReadFormat.TOTAL_TIME_RUNNING) w.u64(r.time_running);
      if (readFormat & ReadFormat.ID) w.u64(r.values[0].id);
      if (readFormat & ReadFormat.LOST) w.u64(r.values[0].lost);
    }
  }
  if (t & S.CALLCHAIN) {
    w.u64(v.callchain.length);
    for (const x of v.callchain) w.u64(x);
  }
  if (t & S.RAW) {
    const padded = ((v.raw.length + 4 + 7) & ~7) - 4;
    w.u32(padded).bytes(v.raw).bytes(new Uint8Array(padded - v.raw.length));
  }
  if (t & S.BRANCH_STACK) {
    w.u64(v.branches.length);
    if (opts.hwIndex) w.u64(v.hw_idx);
    for (const b of v.branches) w.u64(b.from).u64(b.to).u64(b.flags);
  }
  if (t & S.REGS_USER) {
    w.u64(v.regs_user.length ? 2 : 0);
    for (const r of v.regs_user) w.u64(r);
  }
  if (t & S.STACK_USER) {
    w.u64(v.stack.length);
    if (v.stack.length) w.bytes(v.stack).u64(v.stack.length - 3);
  }
  if (t & (S.WEIGHT | S.WEIGHT_STRUCT)) w.u64(v.weight);
  if (t & S.DATA_SRC) w.u64(v.data_src);
  if (t & S.TRANSACTION) w.u64(v.transaction);
  if (t & S.REGS_INTR) {
    w.u64(v.regs_intr.length ? 2 : 0);
    for (const r of v.regs_intr) w.u64(r);
  }
  if (t & S.PHYS_ADDR) w.u64(v.phys_addr);
  if (t & S.CGROUP) w.u64(v.cgroup);
  if (t & S.DATA_PAGE_SIZE) w.u64(v.data_page_size);
  if (t & S.CODE_PAGE_SIZE) w.u64(v.code_page_size);
  if (t & S.AUX) w.u64(v.aux.length).bytes(v.aux);
  const out = w.done();
  new DataView(out.buffer).setUint16(6, out.length, true);
  return out;
}
