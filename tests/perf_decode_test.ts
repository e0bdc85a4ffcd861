// perf decoders over plain bytes: attr layout (checked against the C header
// through cc), samples of every sample_type bit, every record type, the
// sample_id trailer, tracefs format files, and tracepoint payloads decoded
// by BTF and by tracefs to the same values. Random and mutated record
// streams give only PerfError.
import assert from "node:assert/strict";
import {
  ATTR_SIZES,
  decodeAttr,
  decodeRecord,
  encodeAttr,
  listEvents,
  loadBtf,
  parseFormat,
  PerfError,
  PerfSample,
  ReadFormat,
  readFormat,
  readRecords,
  RecordType,
  SAMPLE_KNOWN_BITS,
  SampleLayout,
  SampleType as S,
  TracepointDecoder,
} from "../mod.ts";
import { buildDir, sh } from "./tools.ts";
import { type SampleValues, Writer, writeSample } from "./perf_fixtures.ts";

const cAttr = (() => {
  let out: string | undefined;
  return () => {
    if (out) return out;
    const bin = buildDir("perf") + "perf_attr";
    sh("cc", ["-Wall", "-o", bin, new URL("./c/perf_attr.c", import.meta.url).pathname]);
    return out = sh(bin, []);
  };
})();

Deno.test("attr: field offsets and the bytes of a full attr equal the C header's", () => {
  const lines = cAttr().trim().split("\n");
  const offsets = new Map(
    lines.filter((l) => !l.startsWith("bytes")).map((l) => {
      const [k, v] = l.split(" ");
      return [k, Number(v)];
    }),
  );
  const size = offsets.get("sizeof")!;
  assert.ok(ATTR_SIZES.includes(size), `sizeof ${size}`);
  const bytes = Uint8Array.from(
    lines.find((l) => l.startsWith("bytes"))!.split(" ").slice(1),
    Number,
  );
  const mine = encodeAttr({
    type: 2,
    config: 0x1122334455667788n,
    sample_period: 12345,
    sample_type: 0x1ffffff,
    read_format: 0x1f,
    disabled: true,
    pinned: true,
    exclude_kernel: true,
    mmap: true,
    watermark: true,
    precise_ip: 2,
    sample_id_all: true,
    exclude_guest: true,
    mmap2: true,
    use_clockid: true,
    write_backward: true,
    bpf_event: true,
    cgroup: true,
    build_id: true,
    remove_on_exec: true,
    sigtrap: true,
    wakeup_watermark: 4096,
    bp_type: 3,
    config1: 0xdeadbeefcafen,
    config2: 77,
    branch_sample_type: 0x20003,
    sample_regs_user: 0xff0fn,
    sample_stack_user: 8192,
    clockid: -7,
    sample_regs_intr: 3n,
    aux_watermark: 99,
    sample_max_stack: 127,
    aux_sample_size: 4242,
    sig_data: 0xfedcba9876543210n,
  }, size);
  assert.deepEqual(mine, bytes);
  const back = decodeAttr(bytes);
  assert.equal(back.size, size);
  assert.equal(back.config, 0x1122334455667788n);
  assert.equal(back.precise_ip, 2);
  assert.equal(back.clockid, -7);
  assert.equal(back.wakeup_watermark, 4096);
  assert.equal(back.sigtrap, true);
  assert.equal(back.inherit, false);
  assert.equal(back.sig_data, 0xfedcba9876543210n);
  assert.equal(back.config3, 0n);
  // Round trip at every published size, and a larger attr from a newer kernel.
  for (const n of [...ATTR_SIZES, 144]) {
    const a = decodeAttr(encodeAttr({ type: 1, config: 3, sample_type: 7, disabled: true }, n));
    assert.equal(a.size, n);
    assert.equal(a.sample_type, 7);
    assert.equal(a.disabled, true);
  }
  assert.throws(() => encodeAttr({ sig_data: 1n }, 64), PerfError);
  assert.throws(() => decodeAttr(new Uint8Array(40)), PerfError);
  assert.throws(() => decodeAttr(encodeAttr({}, 128).subarray(0, 100)), PerfError);
});

function values(): SampleValues {
  return {
    identifier: 0x1111n,
    ip: 0xffffffff81000010n,
    pid: 4242,
    tid: 4243,
    time: 123456789012345n,
    addr: 0x7ffd0000n,
    id: 77n,
    stream_id: 78n,
    cpu: 1,
    period: 10000n,
    read: {
      time_enabled: 500n,
      time_running: 400n,
      values: [{ value: 9n, id: 77n, lost: 0n }, { value: 10n, id: 79n, lost: 2n }],
    },
    callchain: [0xffffffffffffff80n, 0xffffffff81000010n, 0xfffffffffffffe00n, 0x401000n],
    raw: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
    branches: [{ from: 1n, to: 2n, flags: 3n }, { from: 4n, to: 5n, flags: 6n }],
    hw_idx: 5n,
    regs_user: [1n, 2n, 3n],
    stack: new Uint8Array([9, 8, 7, 6, 5, 4, 3, 2]),
    weight: 0x0003000200000001n,
    data_src: 0x1234n,
    transaction: 5n,
    regs_intr: [7n, 8n],
    phys_addr: 0x1000n,
    cgroup: 99n,
    data_page_size: 4096n,
    code_page_size: 2097152n,
    aux: new Uint8Array([0xaa, 0xbb, 0xcc, 0xdd, 0, 0, 0, 0]),
  };
}

const num = (v: bigint) => v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;

Deno.test("sample: every sample_type bit, read_format with and without GROUP, in the kernel's order", () => {
  const v = values();
  const rng = mulberry(7);
  const types = [SAMPLE_KNOWN_BITS & ~S.WEIGHT, SAMPLE_KNOWN_BITS & ~S.WEIGHT_STRUCT];
  for (let i = 0; i < 300; i++) types.push(Math.floor(rng() * (SAMPLE_KNOWN_BITS + 1)));
  for (const t of types) {
    for (const rf of [0, 0x1f, 0x1f & ~ReadFormat.GROUP, ReadFormat.ID]) {
      const group = (rf & ReadFormat.GROUP) !== 0;
      const vv = { ...v, read: group ? v.read : { ...v.read, values: [v.read.values[0]] } };
      const hwIndex = (t & 1) === 1;
      const bytes = writeSample(t, rf, vv, { hwIndex });
      const layout = new SampleLayout({
        sample_type: t,
        read_format: rf,
        branch_sample_type: hwIndex ? 1 << 17 : 0,
        sample_regs_user: 0b10101n,
        sample_regs_intr: 0b11n,
      });
      // At an unaligned offset inside a larger buffer, too.
      const buf = new Uint8Array(bytes.length + 11);
      buf.set(bytes, 3);
      const s = layout.decode(new DataView(buf.buffer), 3, new PerfSample());
      assert.equal(s.size, bytes.length);
      if (t & S.IDENTIFIER) assert.equal(s.identifier, 0x1111);
      if (t & S.IP) assert.equal(s.ip, v.ip);
      if (t & S.TID) assert.deepEqual([s.pid, s.tid], [4242, 4243]);
      if (t & S.TIME) assert.equal(s.time, 123456789012345);
      if (t & S.ADDR) assert.equal(s.addr, 0x7ffd0000);
      if (t & S.ID) assert.equal(s.id, 77);
      if (t & S.STREAM_ID) assert.equal(s.stream_id, 78);
      if (t & S.CPU) assert.equal(s.cpu, 1);
      if (t & S.PERIOD) assert.equal(s.period, 10000);
      if (t & S.READ) {
        const r = s.readValues();
        assert.deepEqual(
          r.values.map((x) => x.value),
          vv.read.values.map((x) => num(x.value)),
        );
        if (rf & ReadFormat.TOTAL_TIME_RUNNING) assert.equal(r.time_running, 400);
        if (rf & ReadFormat.ID) {
          assert.deepEqual(
            r.values.map((x) => x.id),
            vv.read.values.map((x) => num(x.id)),
          );
        }
        if (rf & ReadFormat.LOST) {
          assert.equal(r.values.at(-1)!.lost, num(vv.read.values.at(-1)!.lost));
        }
      }
      if (t & S.CALLCHAIN) assert.deepEqual(s.callchain(), v.callchain);
      if (t & S.RAW) assert.deepEqual(s.raw().subarray(0, 12), v.raw);
      if (t & S.BRANCH_STACK) {
        assert.deepEqual(s.branches().map((b) => [b.from, b.to, b.flags]), [[1, 2, 3n], [
          4,
          5,
          6n,
        ]]);
        if (hwIndex) assert.equal(s.branchHwIndex, 5);
      }
      if (t & S.REGS_USER) assert.deepEqual(s.regsUser(), [1n, 2n, 3n]);
      if (t & S.STACK_USER) assert.deepEqual(s.stackUser(), v.stack.subarray(0, 5));
      if (t & (S.WEIGHT | S.WEIGHT_STRUCT)) {
        assert.deepEqual([s.weightVar1, s.weightVar2, s.weightVar3], [1, 2, 3]);
      }
      if (t & S.DATA_SRC) assert.equal(s.data_src, 0x1234);
      if (t & S.TRANSACTION) assert.equal(s.transaction, 5);
      if (t & S.REGS_INTR) assert.deepEqual(s.regsIntr(), [7n, 8n]);
      if (t & S.PHYS_ADDR) assert.equal(s.phys_addr, 0x1000);
      if (t & S.CGROUP) assert.equal(s.cgroup, 99);
      if (t & S.DATA_PAGE_SIZE) assert.equal(s.data_page_size, 4096);
      if (t & S.CODE_PAGE_SIZE) assert.equal(s.code_page_size, 2097152);
      if (t & S.AUX) assert.deepEqual(s.aux(), v.aux);
      JSON.stringify(s.toObject(), (_k, x) => typeof x === "bigint" ? x.toString() : x);
      // Every truncation is a PerfError.
      for (let cut = 8; cut < bytes.length; cut += 8) {
        const short = bytes.slice(0, cut);
        new DataView(short.buffer).setUint16(6, cut, true);
        assert.throws(
          () => layout.decode(new DataView(short.buffer), 0, new PerfSample()),
          PerfError,
          `type 0x${t.toString(16)} cut ${cut}`,
        );
      }
    }
  }
  assert.throws(() => new SampleLayout({ sample_type: 1 << 25 }), PerfError);
});

Deno.test("sample: RAW at a fixed offset when every field before it is fixed", () => {
  const l = new SampleLayout({ sample_type: S.TID | S.TIME | S.CPU | S.PERIOD | S.RAW });
  assert.equal(l.rawAt, 40);
  assert.equal(new SampleLayout({ sample_type: S.CALLCHAIN | S.RAW }).rawAt, -1);
});

Deno.test("sample: the same record decodes the same at any alignment, from any DataView", () => {
  const t = S.IDENTIFIER | S.IP | S.TID | S.TIME | S.ADDR | S.ID | S.STREAM_ID | S.CPU |
    S.PERIOD | S.RAW;
  const l = new SampleLayout({ sample_type: t });
  const rec = new DataView(new ArrayBuffer(128));
  rec.setUint32(0, RecordType.SAMPLE, true);
  rec.setUint16(6, 88, true);
  for (let k = 8; k < 80; k += 4) rec.setUint32(k, 0x01020304 * k, true);
  rec.setUint32(20, 0x1fffff, true); // ip: the largest high word that stays a number
  rec.setInt32(24, -5, true); // pid: negative
  rec.setUint32(44, 0xffffffff, true); // addr: a bigint
  rec.setUint32(80, 4, true); // raw size, then 4 raw bytes
  const want = l.decode(rec, 0, new PerfSample()).toObject();
  assert.equal(typeof want.ip, "number");
  assert.equal(typeof want.addr, "bigint");
  const s = new PerfSample();
  // Big buffers (read as u32s when aligned) and small ones (a record's copy: through the DataView).
  const big = Array.from({ length: 12 }, (_, shift) => new DataView(new ArrayBuffer(65664), shift));
  for (let i = 0; i < 3000; i++) { // optimized code meets every alignment too
    const shift = i % 12, at = i % 16;
    const dv = i % 3 ? big[shift] : new DataView(new ArrayBuffer(256), shift);
    new Uint8Array(dv.buffer, dv.byteOffset + at, 88).set(new Uint8Array(rec.buffer, 0, 88));
    if (i % 7 === 0) s.dv = new DataView(new ArrayBuffer(8)); // a user's own store is harmless
    const got = l.decode(dv, at, s);
    assert.equal(got.dv, dv);
    assert.equal(got.offset, at);
    assert.equal(got.rawOffset, at + 84);
    assert.deepEqual(got.toObject(), want, `shift ${shift} at ${at}`);
  }
});

Deno.test("sample: a record too short for its raw size word or raw data is a PerfError naming it", () => {
  const l = new SampleLayout({ sample_type: S.TID | S.TIME | S.CPU | S.RAW });
  const s = new PerfSample();
  const at = (size: number, raw: number) => {
    const dv = new DataView(new ArrayBuffer(64));
    dv.setUint32(0, RecordType.SAMPLE, true);
    dv.setUint16(6, size, true);
    dv.setInt32(8, 7, true);
    if (size >= 36) dv.setUint32(32, raw, true);
    return dv;
  };
  // Decoded many times, so the fast path (optimized) meets the bad records too.
  for (let i = 0; i < 20000; i++) {
    assert.equal(l.decode(at(40, 4), 0, s).rawSize, 4);
    if (i % 1000) continue;
    for (const size of [32, 33, 35]) {
      assert.throws(() => l.decode(at(size, 0), 0, s), (e) => {
        return e instanceof PerfError && /a raw data size/.test(e.message) && e.offset === 32;
      });
    }
    assert.throws(() => l.decode(at(40, 5), 0, s), (e) => {
      return e instanceof PerfError && /raw data of 5 bytes, found 4/.test(e.message);
    });
    assert.throws(() => l.decode(at(24, 0), 0, s), (e) => {
      return e instanceof PerfError && /fixed fields/.test(e.message);
    });
    assert.throws(() => l.decode(at(40, 0), 40, s), PerfError);
    assert.throws(() => l.decode(at(40, 0), -8, s), PerfError);
  }
});

Deno.test("sample: in a big buffer (read as u32s), offsets and sizes that do not fit are PerfErrors", () => {
  const l = new SampleLayout({ sample_type: S.TID | S.TIME | S.CPU | S.RAW });
  const dv = new DataView(new ArrayBuffer(65536));
  const put = (at: number, size: number) => {
    dv.setUint32(at, RecordType.SAMPLE, true);
    dv.setUint16(at + 6, size, true);
    if (at + 36 <= dv.byteLength) dv.setUint32(at + 32, 4, true);
  };
  put(0, 40);
  put(65536 - 40, 48); // runs 8 bytes past the end
  put(65536 - 8, 40); // a header whose record runs past the end
  const s = new PerfSample();
  // Decoded many times, so the fast path (optimized) meets the bad offsets too.
  for (let i = 0; i < 20000; i++) {
    assert.equal(l.decode(dv, 0, s).rawSize, 4);
    if (i % 1000) continue;
    for (const at of [-4, -8, -(2 ** 32) + 8, 2 ** 32, NaN, 65532, 65536, 65536 - 40, 65536 - 8]) {
      assert.throws(() => l.decode(dv, at, s), PerfError, `offset ${at}`);
    }
  }
});

function record(
  type: number,
  misc: number,
  body: (w: Writer) => void,
  trailer?: Writer,
): Uint8Array {
  const w = new Writer();
  w.u32(type).u16(misc).u16(0);
  body(w);
  if (trailer) w.bytes(trailer.done());
  const b = w.done();
  new DataView(b.buffer).setUint16(6, b.length, true);
  return b;
}

function stream(): { bytes: Uint8Array; layout: SampleLayout } {
  const t = S.TID | S.TIME | S.ID | S.CPU | S.IDENTIFIER | S.RAW | S.CALLCHAIN;
  const layout = new SampleLayout({ sample_type: t, read_format: 0x1f, sample_id_all: true });
  const trailer = () => new Writer().u32(10).u32(11).u64(12).u64(13).u32(2).u32(0).u64(14);
  const parts = [
    record(
      RecordType.MMAP,
      0,
      (w) => w.u32(10).u32(11).u64(0x400000).u64(4096).u64(0).str("/bin/true"),
      trailer(),
    ),
    record(RecordType.LOST, 0, (w) => w.u64(13).u64(5), trailer()),
    record(RecordType.COMM, 1 << 13, (w) => w.u32(10).u32(11).str("true"), trailer()),
    record(RecordType.EXIT, 0, (w) => w.u32(10).u32(1).u32(11).u32(1).u64(99), trailer()),
    record(RecordType.THROTTLE, 0, (w) => w.u64(1).u64(2).u64(3), trailer()),
    record(RecordType.UNTHROTTLE, 0, (w) => w.u64(1).u64(2).u64(3), trailer()),
    record(RecordType.FORK, 0, (w) => w.u32(12).u32(10).u32(12).u32(11).u64(98), trailer()),
    record(
      RecordType.READ,
      0,
      (w) => w.u32(10).u32(11).u64(1).u64(2).u64(3).u64(4).u64(5).u64(6).u64(7),
      trailer(),
    ),
    writeSample(t, 0x1f, values()),
    record(
      RecordType.MMAP2,
      0,
      (w) =>
        w.u32(10).u32(11).u64(1).u64(2).u64(3).u32(8).u32(1).u64(555).u64(1).u32(5).u32(2).str(
          "/lib/x.so",
        ),
      trailer(),
    ),
    record(
      RecordType.MMAP2,
      1 << 14,
      (w) =>
        w.u32(10).u32(11).u64(1).u64(2).u64(3).u8(4).u8(0).u16(0).bytes(
          new Uint8Array(20).fill(0xab),
        ).u32(5).u32(2).str("/lib/y.so"),
      trailer(),
    ),
    record(RecordType.AUX, 0, (w) => w.u64(1).u64(2).u64(1), trailer()),
    record(RecordType.ITRACE_START, 0, (w) => w.u32(10).u32(11), trailer()),
    record(RecordType.LOST_SAMPLES, 0, (w) => w.u64(3), trailer()),
    record(RecordType.SWITCH, 1 << 13, () => {}, trailer()),
    record(RecordType.SWITCH_CPU_WIDE, 0, (w) => w.u32(20).u32(21), trailer()),
    record(
      RecordType.NAMESPACES,
      0,
      (w) => w.u32(10).u32(11).u64(2).u64(1).u64(2).u64(3).u64(4),
      trailer(),
    ),
    record(
      RecordType.KSYMBOL,
      0,
      (w) => w.u64(0xffffffffc0000000n).u32(64).u16(1).u16(0).str("bpf_prog_x"),
      trailer(),
    ),
    record(
      RecordType.BPF_EVENT,
      0,
      (w) => w.u16(1).u16(0).u32(42).bytes(new Uint8Array(8).fill(7)),
      trailer(),
    ),
    record(RecordType.CGROUP, 0, (w) => w.u64(5).str("/sys/fs/cgroup/a"), trailer()),
    record(
      RecordType.TEXT_POKE,
      0,
      (w) => w.u64(0x1000).u16(2).u16(3).bytes(new Uint8Array([1, 2, 3, 4, 5, 0, 0, 0])),
      trailer(),
    ),
    record(RecordType.AUX_OUTPUT_HW_ID, 0, (w) => w.u64(6), trailer()),
    record(77, 0, (w) => w.u64(1).u64(2)),
  ];
  const w = new Writer();
  for (const p of parts) w.bytes(p);
  return { bytes: w.done(), layout };
}

Deno.test("records: every PERF_RECORD type with sample_id trailers; unknown types skipped and counted", () => {
  const { bytes, layout } = stream();
  const got: Record<string, unknown>[] = [];
  const counts = readRecords(bytes, (r) => got.push({ ...r }), layout);
  assert.equal(counts.unknown, 1);
  assert.equal(counts.lost, 8);
  assert.equal(got.length, 23);
  const by = (name: string, i = 0) => got.filter((r) => r.name === name)[i];
  assert.equal(by("MMAP").filename, "/bin/true");
  assert.deepEqual(by("MMAP").sample_id, {
    pid: 10,
    tid: 11,
    time: 12,
    id: 13,
    cpu: 2,
    identifier: 14,
  });
  assert.equal(by("COMM").comm, "true");
  assert.equal(by("EXIT").time, 99);
  assert.equal(by("FORK").ppid, 10);
  assert.deepEqual((by("READ").values as { values: unknown[] }).values, [
    { value: 4, id: 5, lost: 6 },
  ]);
  assert.equal(by("MMAP2").ino, 555);
  assert.equal(by("MMAP2").filename, "/lib/x.so");
  assert.deepEqual(by("MMAP2", 1).build_id, new Uint8Array(4).fill(0xab));
  assert.equal(by("MMAP2", 1).filename, "/lib/y.so");
  assert.equal(by("SWITCH").out, true);
  assert.equal(by("SWITCH_CPU_WIDE").next_prev_tid, 21);
  assert.deepEqual(by("NAMESPACES").namespaces, [{ dev: 1, inode: 2 }, { dev: 3, inode: 4 }]);
  assert.equal(by("KSYMBOL").ksym_name, "bpf_prog_x");
  assert.equal(by("BPF_EVENT").id, 42);
  assert.equal(by("CGROUP").path, "/sys/fs/cgroup/a");
  assert.deepEqual(by("TEXT_POKE").new_bytes, new Uint8Array([3, 4, 5]));
  assert.equal(by("AUX_OUTPUT_HW_ID").hw_id, 6);
  assert.equal(by("UNKNOWN").type, 77);
  assert.equal((by("SAMPLE").sample as PerfSample).pid, 4242);
});

function mulberry(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("records: random and mutated streams give only PerfError", () => {
  const { bytes, layout } = stream();
  const rng = mulberry(1234);
  let errors = 0;
  for (let i = 0; i < 3000; i++) {
    let b: Uint8Array;
    if (i % 3 === 0) {
      b = new Uint8Array(Math.floor(rng() * 300));
      for (let k = 0; k < b.length; k++) b[k] = rng() * 256;
    } else {
      b = bytes.slice(0, i % 7 === 0 ? Math.floor(rng() * bytes.length) : bytes.length);
      for (let k = 0, n = 1 + Math.floor(rng() * 8); k < n && b.length; k++) {
        b[Math.floor(rng() * b.length)] = rng() < 0.5 ? rng() * 256 : 0xff;
      }
    }
    try {
      readRecords(b, (r) => {
        if (r.sample) {
          r.sample.callchain();
          r.sample.raw();
          r.sample.toObject();
        }
      }, layout);
    } catch (e) {
      if (!(e instanceof PerfError)) throw e;
      errors++;
    }
  }
  assert.ok(errors > 100, `${errors} errors`);
  const dv = new DataView(bytes.buffer);
  assert.throws(() => decodeRecord(dv, bytes.length - 4), PerfError);
  assert.throws(() => decodeRecord(dv, -1), PerfError);
});

Deno.test("tracefs: every event's format file parses; fields fit and do not overlap", () => {
  const events = listEvents();
  assert.ok(events.length > 100);
  for (const e of events) {
    const f = readFormat(e.system, e.name);
    assert.equal(f.name, e.name);
    assert.deepEqual(f.fields.slice(0, 4).map((x) => [x.name, x.offset, x.size]), [
      ["common_type", 0, 2],
      ["common_flags", 2, 1],
      ["common_preempt_count", 3, 1],
      ["common_pid", 4, 4],
    ]);
    let end = 0;
    for (const x of f.fields) {
      assert.ok(x.offset >= end, `${e.system}:${e.name} ${x.name} overlaps`);
      end = x.offset + x.size;
      if (x.kind === "data_loc" || x.kind === "rel_loc") assert.equal(x.size, 4);
      if (x.kind === "array") assert.equal(x.length * x.elementSize, x.size);
    }
  }
  const sw = readFormat("sched", "sched_switch");
  const nf = sw.fields.find((x) => x.name === "next_comm")!;
  assert.deepEqual([nf.offset, nf.size, nf.kind, nf.isString], [40, 16, "array", true]);
  const pid = sw.fields.find((x) => x.name === "next_pid")!;
  assert.deepEqual([pid.offset, pid.signed, pid.type], [56, true, "pid_t"]);
  assert.throws(() => parseFormat("name: x\nID: 3\nformat:\n\tfield:int;\toffset:x;\n"), PerfError);
  assert.throws(() => readFormat("nosuch", "event"), PerfError);
});

Deno.test("tracepoint: BTF and tracefs decode the same bytes to the same values, for every event BTF describes", () => {
  const btf = loadBtf();
  const rng = mulberry(99);
  let compared = 0, dynamic = 0;
  for (const e of listEvents()) {
    const format = readFormat(e.system, e.name);
    const byBtf = new TracepointDecoder(format, { btf });
    if (byBtf.schema !== "btf") continue;
    const byFormat = new TracepointDecoder(format, { schema: "tracefs" });
    const end = Math.max(...format.fields.map((f) => f.offset + f.size), byBtf.view!.size);
    const size = end + 64;
    const bytes = new Uint8Array(size + 16);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < bytes.length; i++) bytes[i] = rng() < 0.3 ? 0 : rng() * 256;
      const dv = new DataView(bytes.buffer);
      const base = 8;
      for (const f of format.fields) {
        if (f.kind === "data_loc" || f.kind === "rel_loc") {
          dynamic++;
          const len = Math.floor(rng() * 40);
          const at = end + Math.floor(rng() * (64 - len));
          const off = f.kind === "rel_loc" ? at - (f.offset + 4) : at;
          dv.setUint32(base + f.offset, (len << 16) | off, true);
        }
        if (f.type === "bool" && f.kind === "scalar") bytes[base + f.offset] &= 1;
      }
      const a = byBtf.decode(dv, base, size), b = byFormat.decode(dv, base, size);
      assert.deepEqual(a, b, `${e.system}:${e.name}`);
      compared++;
    }
  }
  assert.ok(compared > 1000, `${compared} compared`);
  assert.ok(dynamic > 50, `${dynamic} dynamic fields`);
  const sw = new TracepointDecoder(readFormat("syscalls", "sys_enter_openat"), { btf });
  assert.equal(sw.schema, "tracefs");
  assert.throws(
    () => new TracepointDecoder(readFormat("syscalls", "sys_enter_openat"), { btf, schema: "btf" }),
    PerfError,
  );
  const wake = new TracepointDecoder(readFormat("sched", "sched_wakeup"), { btf });
  assert.equal(wake.structName, "trace_event_raw_sched_wakeup_template");
});

Deno.test("tracepoint: __data_loc and __rel_loc strings and arrays from a format file", () => {
  const format = parseFormat(
    [
      "name: synthetic",
      "ID: 4242",
      "format:",
      "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;",
      "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;",
      "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;",
      "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;",
      "",
      "\tfield:__data_loc char[] name;\toffset:8;\tsize:4;\tsigned:0;",
      "\tfield:__rel_loc char[] rel;\toffset:12;\tsize:4;\tsigned:0;",
      "\tfield:__data_loc u32[] ids;\toffset:16;\tsize:4;\tsigned:0;",
      "\tfield:s16 temps[2];\toffset:20;\tsize:4;\tsigned:1;",
      "\tfield:bool on;\toffset:24;\tsize:1;\tsigned:0;",
      "",
      'print fmt: "%s", __get_str(name)',
    ].join("\n"),
    "test",
  );
  assert.deepEqual(format.fields.slice(4).map((f) => [f.name, f.kind, f.isString]), [
    ["name", "data_loc", true],
    ["rel", "rel_loc", true],
    ["ids", "data_loc", false],
    ["temps", "array", false],
    ["on", "scalar", false],
  ]);
  const b = new Uint8Array(64);
  const dv = new DataView(b.buffer);
  const enc = new TextEncoder();
  b.set(enc.encode("hello\0"), 32);
  dv.setUint32(8, (6 << 16) | 32, true); // name: 6 bytes at 32
  b.set(enc.encode("rel!\0"), 40);
  dv.setUint32(12, (5 << 16) | (40 - 16), true); // rel: from the end of its own word (16)
  dv.setUint32(48, 7, true);
  dv.setUint32(52, 0xffffffff, true);
  dv.setUint32(16, (8 << 16) | 48, true); // ids: two u32 at 48
  dv.setInt16(20, -5, true);
  dv.setInt16(22, 300, true);
  b[24] = 1;
  const dec = new TracepointDecoder(format);
  assert.equal(dec.schema, "tracefs");
  assert.deepEqual(dec.decode(dv, 0, 64), {
    name: "hello",
    rel: "rel!",
    ids: [7, 4294967295],
    temps: [-5, 300],
    on: true,
  });
  assert.equal(dec.reader("temps")(dv, 0)?.toString(), "-5,300");
  dv.setUint32(8, (60 << 16) | 32, true); // past the payload
  assert.throws(() => dec.decode(dv, 0, 64), PerfError);
  assert.throws(() => dec.reader("nosuch"), PerfError);
});
