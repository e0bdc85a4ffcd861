// The BPF ring buffer reader against real producers on this kernel:
// tests/bpf/ringbuf.bpf.c, built with clang, loaded through BpfObject for
// each test (so every test has its own maps, whatever else runs on the
// machine; the tracepoint program filters by this test's pid and thread,
// and fires on getpgid, which no other test counts).
import assert from "node:assert/strict";
import {
  bpfMapInfo,
  BpfObject,
  bpfObjGet,
  bpfObjPin,
  bpfProgTestRun,
  type Btf,
  BtfError,
  FfiError,
  followRings,
  loadBtf,
  PerfError,
  RingBuffer,
  type View,
} from "../mod.ts";
import { libc } from "../ffi/libc.ts";
import { buildDir, clangBpf, isZeroPages, mappingAt } from "./tools.ts";

const BUILD = buildDir("ringbuf");
const SRC = new URL("./bpf/ringbuf.bpf.c", import.meta.url).pathname;

type Event = {
  pid: number;
  seq: number;
  value: bigint;
  comm: string;
  kind: number;
  extra: number;
  data: Uint8Array;
};

const built = new Map<number, string>();
function objectFile(ringSize: number): string {
  let path = built.get(ringSize);
  if (!path) {
    path = `${BUILD}ringbuf_${ringSize}.o`;
    clangBpf(SRC, path, [
      `-DRING_SIZE=${ringSize}`,
      `-I/usr/include/${Deno.build.arch}-linux-gnu`,
    ]);
    built.set(ringSize, path);
  }
  return path;
}

/** The test object opened and loaded through BpfObject (its tracepoint filter set to this process, and thread `tid`). */
class Loaded {
  readonly obj: BpfObject;
  readonly btf: Btf;
  constructor(ringSize = 4096, tid = 0) {
    this.obj = BpfObject.open(objectFile(ringSize));
    this.obj.rodata.target_pid = Deno.pid;
    this.obj.rodata.target_tid = tid;
    this.obj.load();
    this.btf = this.obj.btf!;
  }
  fd(name: string): number {
    return this.obj.map(name).fd;
  }
  ring(): RingBuffer<Event> {
    return RingBuffer.fromObject<Event>(this.obj, "events", { type: "event" });
  }
  close(): void {
    this.obj.close();
  }
  [Symbol.dispose](): void {
    this.close();
  }
}

/** Runs the syscall producer once; returns what it reports. */
function produce(
  o: Loaded,
  count: number,
  opts: { seq?: number; discardEvery?: number; mode?: number } = {},
): { written: number; discarded: number; failed: number } {
  const a = new Uint32Array(8);
  a[0] = count;
  a[1] = opts.seq ?? 0;
  a[2] = opts.discardEvery ?? 0;
  a[3] = opts.mode ?? 0;
  assert.equal(bpfProgTestRun(o.obj.program("produce").fd, new Uint8Array(a.buffer)), 0);
  return { written: a[4], discarded: a[5], failed: a[6] };
}

/** A 1 ms interval that `using` clears when the test ends, failed or not. */
function interval(fn: () => void): Disposable {
  const id = setInterval(fn, 1);
  return { [Symbol.dispose]: () => clearInterval(id) };
}

/** Checks one record of the syscall producer, field by field. */
function checkRecord(e: View<Event>, seq: number, extra: number): void {
  assert.equal(e.seq, seq);
  assert.equal(e.pid, Deno.pid);
  assert.equal(e.value, BigInt(seq) * 1000003n + 17n);
  assert.equal(e.comm, "rb");
  assert.equal(e.kind, 2);
  assert.equal(e.extra, extra);
  assert.equal(e.data.length, extra, "the flexible array is bounded by the record");
  for (let j = 0; j < extra; j++) assert.equal(e.data[j], (seq + j) & 0xff);
}

const modeExtra = (i: number) => [0, 16, 48][i % 3];

Deno.test("ringbuf: a tracepoint program's records, field by field, for getpgid() calls", async () => {
  const tid = libc().gettid(); // this test file's thread (deno test runs files as threads)
  using o = new Loaded(1 << 16, tid);
  using link = o.obj.program("on_getpgid").attach();
  using ring = o.ring();
  const calls = 25;
  for (let i = 0; i < calls; i++) libc().getpgid(0);
  const comm = Deno.readTextFileSync(`/proc/self/task/${tid}/comm`).trim();
  const seen: Event[] = [];
  const stop = new AbortController();
  const safety = setTimeout(() => stop.abort(), 10_000); // fails below rather than hang
  using _safety = { [Symbol.dispose]: () => clearTimeout(safety) };
  await ring.follow((e) => {
    assert.equal(e.pid, Deno.pid);
    assert.equal(e.seq, seen.length);
    assert.equal(e.value, (BigInt(Deno.pid) << 32n) | BigInt(tid)); // bpf_get_current_pid_tgid()
    assert.equal(e.comm, comm);
    assert.equal(e.kind, 1);
    assert.equal(e.extra, 0);
    assert.equal(e.data.length, 0);
    seen.push(e.toObject() as unknown as Event);
    if (seen.length === calls) stop.abort();
  }, { signal: stop.signal });
  assert.equal(seen.length, calls);
  assert.equal(o.obj.bss.hits, calls);
  assert.deepEqual(ring.stats, { records: calls, bytes: calls * 40, discarded: 0, lost: 0 });
  link.close();
  libc().getpgid(0);
  assert.equal(ring.drain(() => {}), 0, "detached: no more records");
});

Deno.test("ringbuf: records of a syscall producer, field by field, sizes 40/56/88", () => {
  using o = new Loaded(1 << 16);
  using ring = o.ring();
  assert.equal(ring.name, "events");
  assert.equal(ring.size, 1 << 16);
  assert.equal(ring.type.size, 40);
  const p = produce(o, 300, { seq: 1000, mode: 1 });
  assert.deepEqual(p, { written: 300, discarded: 0, failed: 0 });
  let i = 0;
  const n = ring.drain((e) => {
    checkRecord(e, 1000 + i, modeExtra(1000 + i));
    i++;
  });
  assert.equal(n, 300);
  assert.equal(ring.drain(() => assert.fail("empty")), 0);
  const bytes = 300 * 40 + 100 * (16 + 48);
  assert.deepEqual(ring.stats, { records: 300, bytes, discarded: 0, lost: 0 });
});

Deno.test("ringbuf: discarded records are skipped and counted", () => {
  using o = new Loaded(1 << 16);
  using ring = o.ring();
  const p = produce(o, 90, { discardEvery: 3, mode: 1 });
  assert.deepEqual(p, { written: 60, discarded: 30, failed: 0 });
  const seqs: number[] = [];
  ring.drain((e) => {
    checkRecord(e, e.seq, modeExtra(e.seq));
    seqs.push(e.seq);
  });
  assert.deepEqual(seqs, Array.from({ length: 90 }, (_, i) => i).filter((i) => i % 3 !== 2));
  assert.equal(ring.stats.discarded, 30);
  assert.equal(ring.stats.records, 60);
});

Deno.test("ringbuf: a one-page ring wraps thousands of times, records straddle its end", () => {
  using o = new Loaded(4096);
  using ring = o.ring();
  let seq = 0, pos = 0, straddles = 0, read = 0;
  for (let round = 0; round < 6000; round++) {
    const want = 1 + (round * 7) % 50; // up to 50 records (~3.5 KiB with the mixed sizes)
    const p = produce(o, want, { seq, mode: 1 });
    assert.deepEqual(p, { written: want, discarded: 0, failed: 0 });
    let i = 0;
    ring.drain((e) => {
      const extra = modeExtra(seq + i);
      checkRecord(e, seq + i, extra);
      const slot = (40 + extra + 8 + 7) & ~7;
      if ((pos % 4096) + slot > 4096) straddles++;
      pos += slot;
      i++;
    });
    assert.equal(i, want);
    seq += want;
    read += want;
  }
  assert.ok(pos / 4096 > 2000, `wrapped ${Math.floor(pos / 4096)} times`);
  assert.ok(straddles > 1000, `${straddles} records straddled the end`);
  assert.equal(ring.stats.records, read);
  assert.equal(ring.stats.lost, 0);
});

Deno.test("ringbuf: positions past 2^31 and 2^32 bytes (seconds of a fast producer)", () => {
  using o = new Loaded(1 << 20);
  using ring = o.ring();
  const slot = 4096 + 8; // mode 3: 4096-byte records
  const perRun = Math.floor((1 << 20) / slot);
  let seq = 0, next = 0;
  while (seq * slot < 2 ** 32 + (1 << 21)) {
    assert.equal(produce(o, perRun, { seq, mode: 3 }).written, perRun);
    seq += perRun;
    ring.drain((e) => {
      if (e.seq !== next || e.data.length !== 4056) {
        assert.deepEqual([e.seq, e.data.length], [next, 4056]);
      }
      next++;
    });
    assert.equal(next, seq);
  }
  produce(o, 1, { seq, mode: 1 });
  assert.equal(ring.drain((e) => checkRecord(e, seq, modeExtra(seq))), 1);
  assert.deepEqual(ring.stats.records, seq + 1);
  assert.equal(ring.stats.lost, 0);
});

Deno.test("ringbuf: a full ring loses records, and perf/ringbuf.h counts exactly how many", () => {
  using o = new Loaded(4096);
  using ring = o.ring();
  const p = produce(o, 500);
  // 48-byte slots (40 + 8-byte header): 85 fit in 4096 bytes.
  assert.equal(p.written, 85);
  assert.equal(p.failed, 415);
  assert.equal(ring.pending, 85 * 48);
  let next = 0;
  assert.equal(ring.drain((e) => checkRecord(e, next++, 0)), 85);
  assert.deepEqual(ring.stats, { records: 85, bytes: 85 * 40, discarded: 0, lost: 415 });
  produce(o, 100, { seq: 500 });
  assert.equal(ring.drain(() => {}), 85);
  assert.equal(ring.stats.lost, 415 + 15);
});

Deno.test("ringbuf: a slow consumer reads in order and records + lost = produced", () => {
  using o = new Loaded(4096);
  using ring = o.ring();
  let seq = 0, last = -1, produced = 0;
  for (let round = 0; round < 200; round++) {
    produced += produce(o, 40, { seq }).written + 0;
    seq += 40;
    // Ten records per round where forty arrive: the ring fills, the rest is lost.
    ring.drain((e) => {
      assert.ok(e.seq > last, `seq ${e.seq} after ${last}`);
      checkRecord(e, e.seq, 0);
      last = e.seq;
    }, 10);
  }
  ring.drain(() => {});
  const s = ring.stats;
  assert.equal(s.records, produced);
  assert.equal(s.records + (s.lost ?? NaN), seq);
  assert.ok(s.lost! > 0);
});

Deno.test("ringbuf: follow waits without blocking the event loop, then abort ends it", async () => {
  using o = new Loaded(1 << 16);
  using ring = o.ring();
  const stop = new AbortController();
  let ticks = 0, got = 0, produced = 0, producedAt = -1;
  using _timer = interval(() => {
    ticks++;
    // The producer runs from timers: they fire while follow() waits.
    if (ticks % 5 === 0 && produced < 100) {
      produce(o, 20, { seq: produced });
      produced += 20;
      producedAt = ticks;
    }
    if (ticks > 20000) stop.abort(); // a broken reader fails below instead of hanging
  });
  const n = await ring.follow((e) => {
    checkRecord(e, got, 0);
    if (++got === 100) stop.abort();
  }, { signal: stop.signal });
  assert.equal(n, 100);
  assert.ok(ticks >= 25 && producedAt >= 25, `${ticks} ticks while following`);
});

Deno.test("ringbuf: follow on a one-page ring refilled as soon as it is drained loses nothing", async () => {
  using o = new Loaded(4096);
  using ring = o.ring();
  const stop = new AbortController();
  // 60 records of 48 bytes fill 70% of the ring: every drain finds it over
  // half full, so follow pauses only for the loop's turn (or a short thread
  // sleep), and waits on epoll whenever the producer has not refilled yet.
  // The producer writes only into an empty ring: a reader that skipped,
  // repeated or lost a record fails below; one that stopped yielding to
  // the event loop would stop the producer (and the test would hang).
  const BURST = 60, BURSTS = 100;
  let seq = 0, next = 0, ticks = 0, fills = 0;
  using _timer = interval(() => {
    ticks++;
    if (seq < BURST * BURSTS && ring.pending === 0) {
      assert.equal(produce(o, BURST, { seq }).written, BURST);
      fills += ring.fill >= 0.5 ? 1 : 0;
      seq += BURST;
    }
    if (ticks > 20000) stop.abort(); // a broken reader fails below instead of hanging
  });
  const n = await ring.follow((e) => {
    checkRecord(e, next++, 0);
    if (next === BURST * BURSTS) stop.abort();
  }, { signal: stop.signal });
  assert.equal(n, BURST * BURSTS);
  assert.equal(fills, BURSTS);
  assert.deepEqual(ring.stats, { records: n, bytes: n * 40, discarded: 0, lost: 0 });
  assert.equal(ring.fill, 0);
});

Deno.test("ringbuf: follow stays responsive to a producer exactly as fast as the reader", async () => {
  using o = new Loaded(1 << 16);
  using ring = o.ring();
  // Every record read writes one more: a drain that took what arrived
  // while it ran would never return, and the interval below never fire.
  produce(o, 100);
  let seq = 100, ticks = 0;
  const stop = new AbortController();
  using _timer = interval(() => ++ticks === 5 && stop.abort());
  const n = await ring.follow(() => {
    produce(o, 1, { seq: seq++ });
  }, { signal: stop.signal });
  // The interval may tick again between the abort and follow's return.
  assert.ok(ticks >= 5, `${ticks} ticks`);
  assert.ok(n >= 100, `${n} records`);
  // One pass reads what was there when it started, and no more.
  const before = ring.pending / 48;
  let more = 0;
  assert.equal(ring._drainOnce(() => more++ < 10 && produce(o, 1, { seq: seq++ })), before);
  assert.equal(ring.drain(() => {}), 10);
});

Deno.test("ringbuf: followRings waits on two rings with one epoll set", async () => {
  using a = new Loaded(1 << 16), b = new Loaded(1 << 16);
  using ra = a.ring(), rb = b.ring();
  const stop = new AbortController();
  const got = { a: [] as number[], b: [] as number[] };
  const done = () => got.a.length === 30 && got.b.length === 20 && stop.abort();
  let ticks = 0;
  using _timer = interval(() => {
    ticks++;
    if (ticks === 3) produce(a, 30, { seq: 100 });
    if (ticks === 6) produce(b, 20, { seq: 200, mode: 1 });
    if (ticks > 20000) stop.abort(); // a broken reader fails below instead of hanging
  });
  const n = await followRings([
    [ra, (e) => (checkRecord(e, e.seq, 0), got.a.push(e.seq), done())],
    [rb, (e) => (checkRecord(e, e.seq, modeExtra(e.seq)), got.b.push(e.seq), done())],
  ], { signal: stop.signal });
  assert.equal(n, 50);
  assert.deepEqual(got.a, Array.from({ length: 30 }, (_, i) => 100 + i));
  assert.deepEqual(got.b, Array.from({ length: 20 }, (_, i) => 200 + i));
});

Deno.test("ringbuf: closing a ring ends a follow() and a batches() in flight", async () => {
  using o = new Loaded(1 << 16);
  const ring = o.ring();
  let ticks = 0;
  using _timer = interval(() => ticks++ === 3 && ring.close());
  const n = await ring.follow(() => assert.fail("no records were written"));
  assert.equal(n, 0);
  assert.equal(ring.closed, true);
  const again = o.ring();
  setTimeout(() => again.close(), 5);
  for await (const _ of again.batches()) assert.fail("no records were written");
});

Deno.test("ringbuf: batches iterate the records there, commit them, and end on abort", async () => {
  using o = new Loaded(1 << 16);
  using ring = o.ring();
  const stop = new AbortController();
  produce(o, 50, { mode: 1 });
  const seen: number[] = [];
  let batches = 0;
  setTimeout(() => o.obj.closed || produce(o, 25, { seq: 50, mode: 1 }), 5);
  for await (const batch of ring.batches({ signal: stop.signal })) {
    batches++;
    for (const e of batch) {
      checkRecord(e, e.seq, modeExtra(e.seq));
      seen.push(e.seq);
    }
    if (seen.length === 75) stop.abort();
  }
  assert.deepEqual(seen, Array.from({ length: 75 }, (_, i) => i));
  assert.ok(batches >= 2);
  assert.equal(ring.pending, 0);
  // Breaking out of a batch commits what was read.
  produce(o, 10, { seq: 75 });
  for await (const batch of ring.batches()) {
    for (const e of batch) if (e.seq === 79) break;
    break;
  }
  assert.equal(ring.drain((e) => assert.equal(e.seq >= 80, true)), 5);
});

Deno.test("ringbuf: 100 open/close cycles leave fds and mappings as they were", () => {
  // deno test runs the test files as threads of one process, and others open
  // BPF objects meanwhile: count only what is this ring's. Its fds are those
  // whose fdinfo names its map id; its data mapping is the only bpf-map
  // mapping of its size (a ring size no other test uses).
  const SIZE = 1 << 18;
  using o = new Loaded(SIZE);
  const id = bpfMapInfo(o.fd("events")).id;
  const pin = `/sys/fs/bpf/bpfview_ringbuf_test_${Deno.pid}_${libc().gettid()}`;
  bpfObjPin(o.fd("events"), pin);
  const ours = () => {
    let fds = 0;
    for (const e of Deno.readDirSync("/proc/self/fdinfo")) {
      try {
        const info = Deno.readTextFileSync(`/proc/self/fdinfo/${e.name}`);
        if (new RegExp(`^map_id:\\s+${id}$`, "m").test(info)) fds++;
      } catch { /* closed meanwhile */ }
    }
    let maps = 0;
    for (const line of Deno.readTextFileSync("/proc/self/maps").split("\n")) {
      const m = /^([0-9a-f]+)-([0-9a-f]+) .*anon_inode:bpf-map/.exec(line);
      if (m && parseInt(m[2], 16) - parseInt(m[1], 16) === 4096 + 2 * SIZE) maps++;
    }
    return { fds, maps };
  };
  try {
    const before = ours();
    assert.deepEqual(before, { fds: 1, maps: 0 }); // the object's own fd
    for (let i = 0; i < 100; i++) {
      const ring = RingBuffer.open(bpfObjGet(pin), { btf: o.btf, type: "event", ownFd: true });
      ring.drain(() => {});
      if (i === 50) assert.deepEqual(ours(), { fds: 2, maps: 1 }, "seen while open");
      ring.close();
    }
    assert.deepEqual(ours(), before);
  } finally {
    Deno.removeSync(pin);
  }
});

Deno.test("ringbuf: a closed ring refuses to drain and its views read zeros", () => {
  using o = new Loaded(1 << 16);
  const ring = o.ring();
  produce(o, 1);
  let kept: View<Event> | undefined;
  ring.drain((e) => kept = e);
  assert.equal(kept!.pid, Deno.pid);
  assert.match(mappingAt(kept!)!, /anon_inode:bpf-map$/);
  ring.close();
  ring.close();
  assert.throws(() => ring.drain(() => {}), PerfError);
  // Zero pages where the ring was (until the buffer is collected), not freed memory, and the
  // buffer not detached (a detach slows every later typed array read of the process).
  assert.equal(kept!.pid, 0);
  assert.equal(kept!.seq, 0);
  assert.ok(isZeroPages(mappingAt(kept!)), mappingAt(kept!));
});

Deno.test("ringbuf: a missing type, a wrong map and a too-short record give clear errors", () => {
  using o = new Loaded(4096);
  const fd = o.fd("events");
  assert.throws(
    () => RingBuffer.open(fd, { btf: o.btf, type: "nope" }),
    (e: Error) =>
      e instanceof PerfError && /"nope"/.test(e.message) &&
      /struct nope \*unused_nope __attribute__\(\(unused\)\);/.test(e.message),
  );
  assert.throws(() => RingBuffer.open(fd, { type: "event" }), /expected BTF/);
  assert.throws(
    () => RingBuffer.open(o.fd("not_a_ring"), { btf: o.btf, type: "event" }),
    (e: Error) =>
      e instanceof PerfError && /BPF_MAP_TYPE_RINGBUF/.test(e.message) &&
      /"not_a_ring" of type 2/.test(e.message),
  );
  assert.throws(() => RingBuffer.open(9999, { btf: o.btf, type: "event" }), FfiError);
  assert.throws(() => RingBuffer.open(o.btf as never, { type: "event" }), PerfError);
  assert.throws(() => RingBuffer.open(fd, { btf: o.btf, type: "unused_event" }), BtfError);
  assert.throws(
    () => RingBuffer.open(fd, { btf: loadBtf(), type: "pglist_data" }),
    /expected a record type that fits ring "events" \(4088 bytes at most\), found struct pglist_data/,
  );

  using ring = o.ring();
  produce(o, 2, { mode: 2 }); // 8-byte records
  produce(o, 1, { seq: 7 });
  assert.throws(
    () => ring.drain(() => assert.fail("a short record reached the callback")),
    (e: Error) =>
      e instanceof PerfError && /at least 40 bytes \(struct event\)/.test(e.message) &&
      /found 8 bytes/.test(e.message) && e.message.includes("at byte 0"),
  );
  assert.throws(() => ring.drain(() => {}), /found 8 bytes \(at byte 16\)/);
  // The short records were consumed: the reader goes on with the next one.
  assert.equal(ring.drain((e) => checkRecord(e, 7, 0)), 1);
});
