// FdWaiter and follow over real eventfds: waits run off the event loop's
// thread, abort and close wake them, nothing leaks.
import assert from "node:assert/strict";
import { FdWaiter, follow, Pacer, PerfError } from "../mod.ts";
import { libc } from "../ffi/libc.ts";

function eventfd(): number {
  const fd = libc().eventfd(0, 0o4000 | 0o2000000);
  assert.ok(fd >= 0);
  return fd;
}
function post(fd: number): void {
  libc().write(fd, new Uint8Array(new BigUint64Array([1n]).buffer), 8n);
}
function take(fd: number): void {
  libc().read(fd, new Uint8Array(8), 8n);
}
/**
 * Open epoll fds and eventfds. deno test runs test files as threads of one
 * process, and others make and close such fds meanwhile: a leak shows as
 * two per cycle, far above what they change.
 */
function waitFds(): number {
  let n = 0;
  for (const e of Deno.readDirSync("/proc/self/fd")) {
    try {
      if (/\[(eventpoll|eventfd)\]/.test(Deno.readLinkSync(`/proc/self/fd/${e.name}`))) n++;
    } catch { /* closed meanwhile */ }
  }
  return n;
}

Deno.test("FdWaiter: a wait returns the ready fd while timers keep running", async () => {
  const a = eventfd(), b = eventfd();
  try {
    using waiter = new FdWaiter([a, b]);
    assert.equal(waiter.size, 2);
    assert.equal(waiter.poll(), 0);
    let ticks = 0;
    const wait = waiter.wait();
    // The event loop runs while the wait blocks another thread: ticks advance,
    // and the fifth tick makes b readable.
    await new Promise<void>((resolve) => {
      const id = setInterval(() => {
        if (++ticks === 5) {
          clearInterval(id);
          post(b);
          resolve();
        }
      }, 1);
    });
    assert.equal(await wait, 1);
    assert.equal(waiter.readyFd(0), b);
    assert.equal(waiter.readyFd(1), -1);
    assert.equal(ticks, 5);
    // Level-triggered: still ready until read.
    assert.equal(waiter.poll(), 1);
    take(b);
    assert.equal(waiter.poll(), 0);
    assert.equal(await waiter.wait({ timeout: 0 }), 0);
  } finally {
    libc().close(a);
    libc().close(b);
  }
});

Deno.test("FdWaiter: abort and close end a wait in flight; one wait at a time", async () => {
  const a = eventfd();
  try {
    const waiter = new FdWaiter([a]);
    const stop = new AbortController();
    const wait = waiter.wait({ signal: stop.signal });
    await assert.rejects(() => waiter.wait(), PerfError);
    setTimeout(() => stop.abort(), 5);
    assert.equal(await wait, 0);
    assert.equal(await waiter.wait({ signal: stop.signal }), 0); // aborted already

    const second = waiter.wait();
    waiter.close();
    assert.equal(await second, 0);
    assert.equal(waiter.closed, true);
    await assert.rejects(() => waiter.wait(), PerfError);
    assert.throws(() => waiter.add(a), PerfError);
    waiter.close();
  } finally {
    libc().close(a);
  }
});

Deno.test("FdWaiter: bad descriptors give typed errors; 100 open/close cycles leak nothing", async () => {
  const before = waitFds();
  for (let i = 0; i < 100; i++) {
    using w = new FdWaiter();
    assert.throws(() => w.add(-1), PerfError);
    assert.throws(() => w.add(987654), /EBADF/);
    if (i % 2) {
      const wait = w.wait();
      w.close(); // closed while a wait is in flight: released when it returns
      assert.equal(await wait, 0);
    }
  }
  assert.ok(Math.abs(waitFds() - before) < 50, `${before} -> ${waitFds()} epoll/event fds`);
});

Deno.test("follow: drains while data flows, waits when idle, stops on abort", async () => {
  const a = eventfd();
  try {
    using waiter = new FdWaiter([a]);
    const stop = new AbortController();
    let pending = 0, drained = 0, drains = 0;
    const drain = () => {
      drains++;
      const n = pending;
      pending = 0;
      if (n) take(a);
      drained += n;
      if (drained === 30) stop.abort();
      return n;
    };
    // A producer on timers: ten bursts of three.
    let bursts = 0;
    const id = setInterval(() => {
      pending += 3;
      post(a);
      if (++bursts === 10) clearInterval(id);
    }, 2);
    const total = await follow(waiter, drain, { signal: stop.signal });
    clearInterval(id);
    assert.equal(total, 30);
    assert.equal(drained, 30);
    assert.ok(drains >= 2); // bursts merge into fewer drains on a busy machine
  } finally {
    libc().close(a);
  }
});

Deno.test("Pacer: a timer, a thread sleep or the loop's turn, from the rate the source fills", async () => {
  let t = 0; // the pacer's clock, in ms: no real time in this test
  const p = new Pacer(1, () => t);
  assert.equal(p.micros(0, 5), -1, "nothing arrived: a timer");
  assert.equal(p.micros(0.01, 2), -1, "a quarter in 50 ms: a timer");
  assert.equal(p.micros(0.3, 1), 416, "a quarter in 0.83 ms: half that on a thread");
  assert.equal(p.micros(0.05, 0.001), 0, "a quarter in 5 us: the loop's next turn");
  assert.equal(p.micros(0.6, 100), 0, "half full: at once, whatever the rate");
  assert.equal(p.micros(0.1, 2), 1000, "a quarter in 5 ms: at most `sleep` on a thread");
  assert.equal(p.micros(0.1, 100), -1);
  // A fast pause is remembered, and decays by half each pause.
  p.start();
  t = 0.01;
  await p.pause(0.05); // 5 per ms: a quarter in 0.05 ms
  assert.equal(p.turns, 1);
  assert.ok(p.micros(0, 1) >= 0, "one quiet pause does not bring back the timer");
  t = 10;
  p.start();
  t = 10.05;
  await p.pause(0); // the rate halves
  assert.ok(p.micros(0, 1) >= 0);
  p.idle(); // an idle wait forgets it
  assert.equal(p.micros(0, 1), -1);
  assert.throws(() => new Pacer(-1), PerfError);
  assert.throws(() => new Pacer(NaN), PerfError);
});

Deno.test("follow: short pauses while the source fills fast keep timers running", async () => {
  const a = eventfd();
  try {
    using waiter = new FdWaiter([a]);
    const stop = new AbortController();
    let drains = 0, ticks = 0;
    // Always data, always over half full: every pause is the loop's next
    // turn; the interval ending the loop only fires if the loop yields.
    const id = setInterval(() => ++ticks === 5 && stop.abort(), 1);
    const total = await follow(waiter, () => (drains++, 3), {
      signal: stop.signal,
      fill: () => 0.9,
    });
    clearInterval(id);
    assert.equal(ticks, 5);
    assert.equal(total, drains * 3);
    assert.ok(drains > 0);
  } finally {
    libc().close(a);
  }
});
