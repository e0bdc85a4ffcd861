// Live perf events on the real kernel: tracepoints through Tracer (sched_switch,
// a syscall tracepoint of this process, a __data_loc string), both schemas on
// the same raw bytes, a tiny ring that wraps and loses, and a cpu-clock event
// with many sample_type bits and read_format. Other engineers trace on the same
// kernel: every check filters by a pid of ours.
import assert from "node:assert/strict";
import {
  CallchainContext,
  loadBtf,
  onlineCpus,
  PerfError,
  PerfEvent,
  PerfRing,
  PerfSample,
  PerfSwConfig,
  PerfType,
  ReadFormat,
  readFormat,
  RecordType,
  SampleLayout,
  SampleType as S,
  TracepointDecoder,
  Tracer,
} from "../mod.ts";
import { buildDir, sh } from "./tools.ts";

const btf = loadBtf();
const X86 = Deno.build.arch === "x86_64";
const NR_OPENAT = X86 ? 257 : 56;
const NR_GETPID = X86 ? 39 : 172;

Deno.test("live: sched_switch system-wide; prev_pid is the switching task; BTF and tracefs agree on the real bytes", async () => {
  using t = Tracer.open(["sched:sched_switch"], { btf });
  assert.equal(t.events[0].decoder.schema, "btf");
  const byFormat = new TracepointDecoder(readFormat("sched", "sched_switch"), {
    schema: "tracefs",
  });
  const cpus = new Set(onlineCpus());
  let n = 0;
  const ours = new Set<number>();
  const stop = new AbortController();
  const switching = (async () => {
    // Sleep a few times: each sleep switches this thread out.
    for (let i = 0; i < 20 && !stop.signal.aborted; i++) {
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  await t.follow((ev, s) => {
    const f = ev.decode(s);
    // In the context of prev; a task already dead (prev_state EXIT_DEAD) has no tid: -1.
    if (s.tid !== -1) assert.equal(f.prev_pid, s.tid, "sched_switch runs in the context of prev");
    assert.equal(typeof f.next_comm, "string");
    assert.ok(cpus.has(s.cpu));
    assert.deepEqual(byFormat.decode(s.dv, s.rawOffset, s.rawSize), f);
    if (s.pid === Deno.pid) ours.add(s.tid);
    if (++n >= 200 && ours.size) stop.abort();
  }, { signal: AbortSignal.any([stop.signal, AbortSignal.timeout(20000)]) });
  await switching;
  assert.ok(n >= 1, "no sched_switch seen");
  assert.ok(ours.size > 0, "no thread of ours was ever switched out");
  assert.equal(t.stats().unknown, 0);
});

Deno.test("live: a syscall tracepoint triggered by this process carries its pid and syscall number", async () => {
  const file = Deno.makeTempFileSync();
  try {
    using t = Tracer.open(["syscalls:sys_enter_openat"], { btf, pid: Deno.pid });
    assert.equal(t.events[0].decoder.schema, "tracefs"); // no per-syscall struct in BTF
    for (let i = 0; i < 25; i++) Deno.readTextFileSync(file);
    // A child started after the events were opened is traced too (inherit).
    const child = new Deno.Command("/bin/cat", { args: [file], stdout: "null" }).spawn();
    await child.status;
    let ours = 0, child_ = 0;
    t.drain((ev, s) => {
      const f = ev.decode(s);
      assert.equal(f.__syscall_nr, NR_OPENAT);
      if (s.pid === Deno.pid) ours++;
      else if (s.pid === child.pid) child_++;
      else assert.fail(`openat of pid ${s.pid}, not ours`);
    });
    assert.ok(ours >= 25, `${ours} openat from this process`);
    assert.ok(child_ >= 1, `${child_} openat from the child`);
  } finally {
    Deno.removeSync(file);
  }
});

Deno.test("live: __data_loc string (sched_process_exec filename) of a child we start", async () => {
  using t = Tracer.open(["sched:sched_process_exec"], { btf });
  assert.equal(t.events[0].decoder.schema, "btf");
  const byFormat = new TracepointDecoder(readFormat("sched", "sched_process_exec"), {
    schema: "tracefs",
  });
  const child = new Deno.Command("/bin/true").spawn();
  await child.status;
  const seen: Record<string, unknown>[] = [];
  t.drain((ev, s) => {
    const f = ev.decode(s);
    assert.deepEqual(byFormat.decode(s.dv, s.rawOffset, s.rawSize), f);
    if (s.pid === child.pid) seen.push(f);
  });
  assert.deepEqual(seen, [{ filename: "/bin/true", pid: child.pid, old_pid: child.pid }]);
});

/** The getpid spinner (tests/c/perf_spin.c): one line in, N syscalls, "done N" out. */
class Spinner {
  readonly child: Deno.ChildProcess;
  readonly #w: WritableStreamDefaultWriter<Uint8Array>;
  readonly #lines: AsyncIterator<string>;
  /** With `cpu`, the child runs pinned to it (through taskset). */
  constructor(cpu?: number) {
    const bin = buildDir("perf") + "perf_spin";
    sh("cc", ["-O2", "-Wall", "-o", bin, new URL("./c/perf_spin.c", import.meta.url).pathname]);
    const [cmd, args] = cpu === undefined ? [bin, []] : [TASKSET, ["-c", String(cpu), bin]];
    this.child = new Deno.Command(cmd, { args, stdin: "piped", stdout: "piped" }).spawn();
    this.#w = this.child.stdin.getWriter();
    this.#lines = this.child.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(
      new TransformStream<string, string>(
        {
          buf: "",
          transform(chunk, c) {
            // deno-lint-ignore no-explicit-any
            const self = this as any;
            self.buf += chunk;
            let i;
            while ((i = self.buf.indexOf("\n")) >= 0) {
              c.enqueue(self.buf.slice(0, i));
              self.buf = self.buf.slice(i + 1);
            }
          },
        } as Transformer<string, string> & { buf: string },
      ),
    )[Symbol.asyncIterator]();
  }
  async line(): Promise<string> {
    const r = await this.#lines.next();
    return r.done ? "" : r.value;
  }
  async spin(n: number): Promise<void> {
    await this.#w.write(new TextEncoder().encode(`${n}\n`));
    assert.equal(await this.line(), `done ${n}`);
  }
  async close(): Promise<void> {
    await this.#w.close();
    await this.child.status;
  }
}

/** sys_enter_getpid of thread `pid`, every call sampled, disabled until enable(). */
function openGetpid(pid: number, sampleType: number): PerfEvent {
  return PerfEvent.open({
    type: PerfType.TRACEPOINT,
    config: readFormat("syscalls", "sys_enter_getpid").id,
    sample_period: 1,
    sample_type: sampleType,
    disabled: true,
  }, { pid });
}

/** taskset, to pin a child to one CPU. */
const TASKSET = "/usr/bin/taskset";
const haveTaskset = (() => {
  try {
    return Deno.statSync(TASKSET).isFile;
  } catch {
    return false;
  }
})();

Deno.test({
  name:
    "live: a one-page ring wraps (records joined) and overflows; samples + lost = syscalls made",
  // Pinned: each CPU's ring keeps its own count of samples lost, written out (as a LOST record)
  // only before that ring's next sample; a child that moved to another CPU mid-round would leave
  // that round's count unwritten.
  ignore: !haveTaskset,
  fn: async () => {
    const cpu = onlineCpus()[0];
    const spin = new Spinner(cpu);
    try {
      assert.match(await spin.line(), /^ready \d+$/);
      using t = Tracer.open(["syscalls:sys_enter_getpid"], {
        btf,
        pid: spin.child.pid,
        pages: 1,
        cpus: [cpu],
      });
      let samples = 0;
      const check = () =>
        t.drain((ev, s) => {
          assert.equal(s.pid, spin.child.pid);
          assert.equal(ev.decode(s).__syscall_nr, NR_GETPID);
          samples++;
        });
      let made = 0;
      for (let round = 0; round < 6; round++) {
        await spin.spin(1000); // far more than one page holds: the kernel drops the rest
        made += 1000;
        check();
      }
      // The kernel writes the pending LOST record before the next sample: one more call flushes it.
      await spin.spin(1);
      made += 1;
      check();
      const st = t.stats();
      assert.ok(st.lost > 0, "nothing lost");
      assert.ok(st.joined > 0, "no record wrapped");
      assert.equal(samples + st.lost, made);
      assert.equal(st.samples, samples);
    } finally {
      await spin.close();
    }
  },
});

Deno.test("live: the same ring read with small drains joins every wrapping record exactly once", async () => {
  const spin = new Spinner();
  try {
    await spin.line();
    using ev = openGetpid(spin.child.pid, S.TID | S.TIME | S.RAW);
    using ring = new PerfRing(ev.fd, 2);
    ev.enable();
    const layout = new SampleLayout({ sample_type: S.TID | S.TIME | S.RAW });
    const s = new PerfSample();
    let samples = 0, lastTime = 0;
    for (let round = 0; round < 20; round++) {
      await spin.spin(100); // 100 x 48 bytes < 8 KiB: nothing lost
      while (
        ring.drain((dv, off, _size, type) => {
          assert.equal(type, RecordType.SAMPLE);
          layout.decode(dv, off, s);
          assert.equal(s.pid, spin.child.pid);
          assert.ok(Number(s.time) >= lastTime);
          lastTime = Number(s.time);
          samples++;
        }, 7)
      ) { /* seven records per drain */ }
    }
    assert.equal(samples, 2000);
    assert.equal(ring.stats.lost, 0);
    assert.ok(ring.stats.joined > 0);
  } finally {
    await spin.close();
  }
});

function burn(ms: number): number {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) for (let i = 0; i < 10000; i++) x += Math.sqrt(i);
  return x;
}

Deno.test("live: cpu-clock with many sample_type bits and read_format (ids, times, lost)", () => {
  const sampleType = S.IDENTIFIER | S.IP | S.TID | S.TIME | S.ADDR | S.ID | S.STREAM_ID | S.CPU |
    S.PERIOD | S.READ | S.CALLCHAIN | S.REGS_USER | S.STACK_USER | S.DATA_SRC | S.TRANSACTION |
    S.REGS_INTR | S.PHYS_ADDR | S.CGROUP | S.DATA_PAGE_SIZE | S.CODE_PAGE_SIZE;
  const readFormat = ReadFormat.TOTAL_TIME_ENABLED | ReadFormat.TOTAL_TIME_RUNNING | ReadFormat.ID |
    ReadFormat.LOST;
  const regs = X86 ? (1n << 7n) | (1n << 8n) : (1n << 31n) | (1n << 32n); // sp, ip
  const attr = {
    type: PerfType.SOFTWARE,
    config: PerfSwConfig.CPU_CLOCK,
    sample_period: 100000,
    sample_type: sampleType,
    read_format: readFormat,
    sample_regs_user: regs,
    sample_regs_intr: regs,
    sample_stack_user: 512,
    disabled: true,
  };
  using ev = PerfEvent.open(attr, { pid: 0 });
  using ring = new PerfRing(ev.fd, 16);
  const layout = new SampleLayout(attr);
  const id = ev.id();
  ev.enable();
  burn(60);
  ev.disable();
  const s = new PerfSample();
  let n = 0, lastValue = -1, lastTime = 0, tid = 0, lastLost = 0;
  const cpus = new Set(onlineCpus());
  ring.drain((dv, off, _size, type) => {
    if (type !== RecordType.SAMPLE) return;
    layout.decode(dv, off, s);
    n++;
    assert.equal(s.pid, Deno.pid);
    if (n === 1) tid = s.tid; // the thread running JS (not always the process's first)
    assert.equal(s.tid, tid);
    assert.equal(s.identifier, id);
    assert.equal(s.id, id);
    assert.equal(s.stream_id, id);
    assert.equal(s.period, 100000);
    assert.ok(cpus.has(s.cpu));
    assert.ok(Number(s.time) > lastTime);
    lastTime = Number(s.time);
    const r = s.readValues();
    assert.equal(r.values.length, 1);
    assert.equal(r.values[0].id, id);
    // read_format LOST: samples of this event the ring had no room for, so far (a busy
    // machine may fill the ring before it is drained): it never goes back.
    assert.ok(Number(r.values[0].lost) >= lastLost);
    lastLost = Number(r.values[0].lost);
    assert.ok(Number(r.time_enabled) >= Number(r.time_running) && Number(r.time_running) > 0);
    assert.ok(Number(r.values[0].value) > lastValue);
    lastValue = Number(r.values[0].value);
    const chain = s.callchain();
    assert.ok(chain.length >= 2);
    assert.ok(chain[0] === CallchainContext.KERNEL || chain[0] === CallchainContext.USER);
    if (s.regsUserAbi) assert.equal(s.regsUser().length, 2);
    assert.equal(s.regsIntr().length, 2);
    assert.ok(s.stackUserSize === 0 || s.stackUserSize === 512);
    assert.ok(s.stackUserDynSize <= s.stackUserSize);
    assert.notEqual(s.cgroup, 0);
    assert.ok([4096, 2097152, 1073741824].includes(Number(s.code_page_size)));
  });
  assert.ok(n >= 5, `${n} samples in 60 ms of cpu at 100 us`);
});

Deno.test("live: read_format GROUP with a leader and a sibling: both values and ids", () => {
  const rf = ReadFormat.GROUP | ReadFormat.ID | ReadFormat.TOTAL_TIME_ENABLED;
  const attr = {
    type: PerfType.SOFTWARE,
    config: PerfSwConfig.CPU_CLOCK,
    sample_period: 200000,
    sample_type: S.TID | S.READ,
    read_format: rf,
    disabled: true,
  };
  using leader = PerfEvent.open(attr, { pid: 0 });
  using sibling = PerfEvent.open({
    type: PerfType.SOFTWARE,
    config: PerfSwConfig.TASK_CLOCK,
    read_format: rf,
  }, { pid: 0, groupFd: leader.fd });
  using ring = new PerfRing(leader.fd, 8);
  const layout = new SampleLayout(attr);
  const ids = [leader.id(), sibling.id()];
  leader.enable();
  burn(30);
  leader.disable();
  const s = new PerfSample();
  let n = 0;
  ring.drain((dv, off, _size, type) => {
    if (type !== RecordType.SAMPLE) return;
    layout.decode(dv, off, s);
    const r = s.readValues();
    assert.deepEqual(r.values.map((v) => v.id), ids);
    assert.ok(Number(r.values[1].value) > 0);
    n++;
  });
  assert.ok(n >= 2, `${n} samples`);
});

Deno.test("live: the ring cursor (next or after, rewind, commit) reads records in place, counts them once", async () => {
  const spin = new Spinner();
  try {
    await spin.line();
    using ev = openGetpid(spin.child.pid, S.TID | S.TIME | S.CPU | S.RAW);
    using ring = new PerfRing(ev.fd, 1);
    ev.enable();
    const layout = new SampleLayout({ sample_type: S.TID | S.TIME | S.CPU | S.RAW });
    const s = new PerfSample();
    let endsAtEnd = 0; // records that end exactly at the data area's end (not wrapped)
    const inPlace = ring.view; // the ring's own view (a joined record comes in another)
    // One walk: the records' [offset, size, type, pid, joined?], with next() or with after().
    const walk = (useAfter: boolean) => {
      const seen: number[][] = [];
      for (let off = ring.next(); off >= 0; off = useAfter ? ring.after(off) : ring.next()) {
        if (ring.type !== RecordType.SAMPLE) continue;
        layout.decode(ring.view, off, s);
        assert.equal(s.pid, spin.child.pid);
        assert.equal(s.rawOffset, off + layout.rawAt + 4);
        if (off - ring.dataOffset + ring.size === ring.dataSize) {
          endsAtEnd++;
        }
        seen.push([off, ring.size, ring.type, s.pid, ring.view === inPlace ? 0 : 1]);
      }
      return seen;
    };
    let total = 0;
    // 600 x 56 bytes through one 4 KiB page: record 512 ends exactly at the page's end.
    for (let round = 0; round < 12; round++) {
      await spin.spin(50); // 50 x 56 bytes < 4 KiB
      const first = walk(round % 2 === 0);
      ring.rewind();
      assert.deepEqual(walk(round % 2 === 1), first); // the same records again, the other way
      assert.equal(ring.commit(), first.length * 56);
      assert.equal(walk(true).length, 0); // freed
      assert.equal(walk(false).length, 0);
      total += first.length;
    }
    assert.equal(total, 600);
    assert.equal(ring.stats.records, 600);
    assert.ok(ring.stats.joined > 0);
    assert.ok(endsAtEnd > 0, "no record ended at the data area's end");

    // after() with an offset other than the last one returned is a PerfError; after a commit
    // it goes on from the first record not read, as next() does.
    await spin.spin(3);
    const a = ring.next();
    const b = ring.after(a);
    assert.ok(a >= 0 && b >= 0);
    assert.throws(() => ring.after(a), PerfError);
    ring.commit(); // frees the first two
    const c = ring.after(b);
    assert.ok(c >= 0);
    assert.equal(ring.after(c), -1);
    assert.equal(ring.commit(), 3 * 56 - 2 * 56);
  } finally {
    await spin.close();
  }
});

Deno.test("live: closing a ring unmaps it; a view kept over it reads zeros, not freed memory", async () => {
  const spin = new Spinner();
  try {
    await spin.line();
    using ev = openGetpid(spin.child.pid, S.TID | S.RAW);
    const perfMaps = () =>
      Deno.readTextFileSync("/proc/self/maps").split("\n").filter((l) => l.includes("perf_event"))
        .length;
    const before = perfMaps();
    const ring = new PerfRing(ev.fd, 1);
    assert.equal(perfMaps(), before + 1);
    ev.enable();
    await spin.spin(3);
    const off = ring.next();
    assert.ok(off >= 0);
    const dv = ring.view;
    assert.equal(dv.getUint32(off, true), RecordType.SAMPLE);
    ring.close();
    assert.equal(perfMaps(), before, "the perf mapping is gone");
    assert.equal(dv.getUint32(off, true), 0, "the kept view reads zeros");
    assert.equal(ring.next(), -1);
    assert.equal(ring.after(off), -1);
    ring.rewind();
    assert.equal(ring.next(), -1);
    assert.equal(ring.drain(() => assert.fail("a record after close")), 0);
    assert.equal(ring.commit(), 0);
    ring.close(); // twice is fine
  } finally {
    await spin.close();
  }
});
