// BPF_MAP_TYPE_PERF_EVENT_ARRAY on the real kernel: tests/bpf/object_perf.bpf.c
// outputs one struct event per getppid() of this process (its pid set through
// .rodata); read through PerfBuffer and through `load --map events --type event`.
import assert from "node:assert/strict";
import {
  BpfObject,
  FdWaiter,
  FfiError,
  follow,
  onlineCpus,
  PerfBuffer,
  type View,
} from "../mod.ts";
import {
  bpfObject,
  buildDir,
  callGetppid as trigger,
  cli,
  loadCli,
  sh,
  targetThisThread,
  threadId,
} from "./tools.ts";

const OBJ = bpfObject("object_perf");
const COMM = Deno.readTextFileSync("/proc/thread-self/comm").trim();

/** A BpfObject of object_perf.bpf.c loaded and attached for this thread's getppid() calls. */
function perfObject(): BpfObject {
  const obj = BpfObject.open(OBJ);
  (obj.rodata as Record<string, unknown>).target_pid = Deno.pid;
  (obj.rodata as Record<string, unknown>).target_tid = threadId();
  obj.load();
  obj.attachAll();
  return obj;
}

Deno.test("PerfBuffer: every record of this process, in order, decoded by the object's BTF", async () => {
  using obj = perfObject();
  using buf = new PerfBuffer(obj.map("events"), { pages: 2 });
  const Event = obj.btf!.view("event");
  trigger(50);
  const got: Record<string, unknown>[] = [];
  using waiter = new FdWaiter(buf.fds);
  const done = new AbortController();
  await follow(waiter, () =>
    buf.drain((dv, offset, size) => {
      got.push((new Event(dv, offset, size) as View).toObject());
      if (got.length === 50) done.abort();
    }), { signal: done.signal });
  assert.equal(got.length, 50);
  got.sort((a, b) => (a.seq as number) - (b.seq as number)); // CPUs drain one after another
  got.forEach((e, i) =>
    assert.deepEqual(e, { pid: Deno.pid, seq: i, value: 0x1000000000 + i, comm: COMM })
  );
  assert.deepEqual(buf.stats, { records: 50, lost: 0 });
  assert.throws(
    () => new PerfBuffer(obj.map(".rodata")),
    (e) =>
      e instanceof FfiError &&
      /expected a perf_event_array map, found array map '.rodata'/.test(e.message),
  );
});

Deno.test("PerfBuffer: records below the watermark wake no one, yet follow's idle drain delivers them", async () => {
  using obj = perfObject();
  using buf = new PerfBuffer(obj.map("events")); // 8 pages a ring: a watermark of 8 KiB
  assert.equal(buf.idle, 50);
  // Five 48-byte samples: far below the watermark, so no ring is readable (no wakeup came) ...
  trigger(5);
  using probe = new FdWaiter(buf.fds);
  assert.equal(probe.poll(), 0);
  // ... and they are there to drain.
  assert.equal(buf.drain(() => {}), 5);
  // follow waits first (its first drain finds nothing), then five more come: the idle drain
  // delivers them long before the generous abort.
  const done = new AbortController();
  const generous = AbortSignal.timeout(30_000);
  const seqs: number[] = [];
  const following = buf.follow((dv, offset) => {
    seqs.push(dv.getUint32(offset + 4, true));
    if (seqs.length === 5) done.abort();
  }, { signal: AbortSignal.any([done.signal, generous]) });
  trigger(5);
  assert.equal(await following, 5);
  assert.ok(!generous.aborted, "the records came only with the generous abort");
  assert.deepEqual(seqs.sort((a, b) => a - b), [5, 6, 7, 8, 9]);
  assert.deepEqual(buf.stats, { records: 10, lost: 0 });
  // A bad watermark is a typed error.
  assert.throws(
    () => new PerfBuffer(obj.map("events"), { watermark: 0 }),
    (e) => e instanceof FfiError && /expected watermark to be a whole number/.test(e.message),
  );
});

Deno.test("PerfBuffer: wakeupEvents: 1 wakes the reader per record, with no idle drain", async () => {
  using obj = perfObject();
  using buf = new PerfBuffer(obj.map("events"), { wakeupEvents: 1 });
  assert.equal(buf.idle, -1);
  const done = new AbortController();
  const generous = AbortSignal.timeout(30_000);
  let n = 0;
  const following = buf.follow(() => {
    if (++n === 3) done.abort();
  }, { signal: AbortSignal.any([done.signal, generous]) });
  trigger(3);
  assert.equal(await following, 3);
  assert.ok(!generous.aborted, "the records came only with the generous abort");
});

Deno.test("load --map of a perf event array: one JSON line per record, --count stops", async () => {
  const { code, out, err } = await loadCli([
    OBJ,
    ...targetThisThread(),
    "--map",
    "events",
    "--type",
    "event",
    "--count",
    "3",
    "--json",
  ], async (p) => {
    // The rings are set up right after the "attached" line: call until 3 records came out.
    while (!p.exited) {
      trigger(1);
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  assert.equal(code, 0, err);
  const lines = out.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.length, 3);
  for (const l of lines) {
    assert.equal(l.map, "events");
    assert.equal(typeof l.cpu, "number");
    assert.equal(l.fields.pid, Deno.pid);
    assert.equal(l.fields.comm, COMM);
  }
  assert.match(err, /events: 3 records, 0 lost/);
});

/** Whether process `pid` has an epoll set holding at least `n` of its perf event fds. */
function waitingOnPerfEvents(pid: number, n: number): boolean {
  const perf = new Set<string>(), polls: string[] = [];
  try {
    for (const e of Deno.readDirSync(`/proc/${pid}/fd`)) {
      try {
        const link = Deno.readLinkSync(`/proc/${pid}/fd/${e.name}`);
        if (link === "anon_inode:[perf_event]") perf.add(e.name);
        else if (link === "anon_inode:[eventpoll]") polls.push(e.name);
      } catch { /* closed meanwhile */ }
    }
    return polls.some((fd) => {
      const info = Deno.readTextFileSync(`/proc/${pid}/fdinfo/${fd}`);
      return [...info.matchAll(/^tfd:\s+(\d+)/gm)].filter((m) => perf.has(m[1])).length >= n;
    });
  } catch {
    return false; // the process exited meanwhile
  }
}

/** Whether /usr/bin/taskset is there (to move this test's thread between CPUs). */
const hasTaskset = (() => {
  try {
    return Deno.statSync("/usr/bin/taskset").isFile;
  } catch {
    return false;
  }
})();

/** Sets this thread's CPU affinity (a taskset CPU list). */
function pinThisThread(list: string): void {
  sh("/usr/bin/taskset", ["-pc", list, String(threadId())]);
}

Deno.test("load --map of a perf event array: text lines; a record too short for --type prints the records before it, the counts, then one error line", async () => {
  // Every third record of the program is only 8 bytes, too short for struct event.
  const allowed = Deno.readTextFileSync("/proc/thread-self/status")
    .match(/^Cpus_allowed_list:\s*(\S+)$/m)![1];
  // Where taskset can move this thread, each record is made on another CPU than the last.
  const cpus = hasTaskset ? onlineCpus() : [];
  const { code, out, err } = await loadCli([
    OBJ,
    ...targetThisThread(),
    "--set",
    "short_every=3",
    "--map",
    "events",
    "--type",
    "event",
  ], async (p) => {
    // Records output before the CLI's rings are in the map are dropped by the kernel: wait
    // until it waits on them (an epoll set holding a perf event per CPU), so that the first
    // record read is seq 0.
    while (!p.exited && !waitingOnPerfEvents(p.child.pid, onlineCpus().length)) {
      await new Promise((r) => setTimeout(r, 5));
    }
    // One record at a time, the next only once the CLI printed the last: records waiting in two
    // CPUs' rings at once are drained ring by ring, not in sequence (seq 1 and the short seq 2 on
    // CPU 0 ahead of seq 0 on CPU 1 print seq 1 alone), and this thread may move between CPUs.
    const printed = () => p.out.split("\n").length - 1;
    try {
      for (let n = 0; !p.exited; n = printed()) {
        if (cpus.length > 1) pinThisThread(String(cpus[n % cpus.length]));
        trigger(1);
        // The idle drain prints it within ~50 ms; a record never printed fails the test, not
        // hangs it.
        for (let i = 0; !p.exited && printed() === n; i++) {
          if (i === 2000) return p.child.kill("SIGINT");
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    } finally {
      if (cpus.length > 1) pinThisThread(allowed);
    }
  });
  assert.equal(code, 1, err);
  const lines = out.trim().split("\n");
  assert.equal(lines.length, 2, out);
  const comm = JSON.stringify(COMM).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  lines.forEach((l, i) =>
    assert.match(
      l,
      new RegExp(
        `^events cpu=${
          cpus.length > 1 ? cpus[i % cpus.length] : "\\d+"
        } pid=${Deno.pid} seq=${i} value=${0x1000000000 + i} comm=${comm}$`,
      ),
    )
  );
  const errs = err.trim().split("\n");
  assert.equal(errs.at(-2), "bpfview: events: 2 records, 0 lost");
  assert.match(
    errs.at(-1)!,
    /^bpfview: expected 32 bytes for struct event, found \d+ \(at byte \d+\)$/,
  );
});

Deno.test("load --map of a perf event array without --type: one line", async () => {
  const r = await cli(["load", OBJ, "--map", "events", "--duration", "0"]);
  assert.equal(r.code, 1);
  assert.match(r.err, /expected --type TYPE .* for perf_event_array map 'events'/);
});

Deno.test({
  name: "PerfBuffer: a full ring drops samples, and the kernel's LOST count makes the total exact",
  ignore: !hasTaskset,
  fn: async () => {
    const loop = `${buildDir("perf_buffer")}getppid_loop`;
    sh("cc", ["-O1", "-Wall", "-o", loop, new URL("./c/getppid_loop.c", import.meta.url).pathname]);
    const cpu = onlineCpus()[0];
    // The producer runs pinned to one CPU: its samples all go to that CPU's ring.
    const child = new Deno.Command("/usr/bin/taskset", {
      args: ["-c", String(cpu), loop, "2000"],
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const stdin = child.stdin.getWriter();
    const stdout = child.stdout.getReader();
    try {
      using obj = BpfObject.open(OBJ);
      (obj.rodata as Record<string, unknown>).target_pid = child.pid;
      obj.load();
      obj.attachAll();
      using buf = new PerfBuffer(obj.map("events"), { pages: 1, cpus: [cpu] });
      const seqs: number[] = [];
      const take = () =>
        buf.drain((dv, offset) => {
          seqs.push(dv.getUint32(offset + 4, true)); // struct event: pid, seq, ...
        });
      await stdin.write(new TextEncoder().encode("go\n"));
      const { value } = await stdout.read(); // "done": 2000 calls made, the ring long full
      assert.match(new TextDecoder().decode(value), /done/);
      const first = take();
      assert.ok(first > 0 && first < 2000, `${first} records from a one-page ring`);
      await stdin.write(new TextEncoder().encode("more\n")); // one more: the LOST record first
      await child.status;
      take();
      const { records, lost } = buf.stats;
      assert.equal(records, first + 1);
      assert.equal(records + lost, 2001, JSON.stringify(buf.stats));
      assert.deepEqual(seqs.slice(0, first), Array.from({ length: first }, (_, i) => i));
      assert.equal(seqs.at(-1), 2000);
    } finally {
      await stdin.close().catch(() => {});
      stdout.releaseLock();
      await child.stdout.cancel().catch(() => {});
      try {
        child.kill();
      } catch { /* exited */ }
      await child.status;
    }
  },
});
