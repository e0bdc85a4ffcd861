// `bpfview load --map NAME --type TYPE` on a ring buffer, end to end: the
// tracepoint program of tests/bpf/ringbuf.bpf.c loaded by the CLI with its
// filter set to this test's pid and thread, triggered here by getpgid(),
// its records printed as they come; --count stops it, Ctrl-C (SIGINT)
// stops it cleanly.
import assert from "node:assert/strict";
import { libc } from "../ffi/libc.ts";
import { bpfObject, cliSync, loadCli, targetThisThread } from "./tools.ts";

const OBJ = bpfObject("ringbuf");

/** Runs `load` on the ring object; calls getpgid() once attached until `stop` says so. */
function loadAndTrigger(args: string[], stop: (out: string) => boolean, sigint: boolean) {
  return loadCli([
    OBJ,
    ...targetThisThread(),
    "--map",
    "events",
    ...args,
  ], async (p) => {
    // Trigger until the CLI has what the test wants (it stops by itself with --count).
    while (!p.exited && !stop(p.out)) {
      for (let i = 0; i < 5; i++) libc().getpgid(0);
      await new Promise((r) => setTimeout(r, 5));
    }
    if (sigint && !p.exited) p.child.kill("SIGINT");
  });
}

Deno.test("load --map of a ring buffer --json: records as JSON lines, --count stops it", async () => {
  const r = await loadAndTrigger(["--type", "event", "--json", "--count", "7"], () => false, false);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.length, 7);
  lines.forEach((l, i) => {
    assert.equal(l.map, "events");
    assert.equal(l.fields.pid, Deno.pid);
    assert.equal(l.fields.seq, i);
    assert.equal(l.fields.kind, 1);
    assert.equal(l.fields.extra, 0);
    assert.deepEqual(l.fields.data, []);
    assert.equal(typeof l.fields.comm, "string");
    assert.equal(BigInt(l.fields.value) >> 32n, BigInt(Deno.pid));
  });
  assert.match(r.err, /events: 7 records, 0 discarded, 0 lost/);
});

Deno.test("load --map of a ring buffer: readable lines; Ctrl-C detaches and prints the stats", async () => {
  const r = await loadAndTrigger(
    ["--type", "struct event"],
    (out) => out.split("\n").length > 3,
    true,
  );
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trim().split("\n");
  assert.ok(lines.length >= 3);
  assert.match(
    lines[0],
    new RegExp(`^events pid=${Deno.pid} seq=0 value="?\\d+"? comm="[^"]*" kind=1`),
  );
  const m = /events: (\d+) records, 0 discarded, (\d+) lost/.exec(r.err);
  assert.ok(m, r.err);
  assert.equal(Number(m[1]), lines.length);
});

Deno.test("load --map of a ring buffer: a missing --type or type is one clear line", () => {
  const none = cliSync("load", OBJ, "--map", "events");
  assert.equal(none.code, 1);
  assert.match(none.err, /expected --type naming the record type of ring buffer map 'events'/);
  const missing = cliSync("load", OBJ, "--map", "events", "--type", "nope");
  assert.equal(missing.code, 1);
  assert.match(missing.err, /struct nope \*unused_nope __attribute__\(\(unused\)\);/);
  assert.equal(missing.err.trim().split("\n").filter((l) => !/attached/.test(l)).length, 1);
});

Deno.test("load --map of a ring buffer: a too-short record prints the records before it, the counts, then one error line", async () => {
  // Every third record of the program is an 8-byte struct short_rec, too short for struct event.
  const r = await loadAndTrigger(
    ["--set", "short_every=3", "--type", "event", "--json"],
    () => false,
    false,
  );
  assert.equal(r.code, 1, r.err);
  const lines = r.out.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => [l.fields.pid, l.fields.seq]), [[Deno.pid, 0], [Deno.pid, 1]]);
  const err = r.err.trim().split("\n");
  assert.match(err.at(-2)!, /^bpfview: events: 2 records, 0 discarded, 0 lost$/);
  assert.match(
    err.at(-1)!,
    /^bpfview: expected .*at least 40 bytes \(struct event\).*found 8 bytes/,
  );
});

Deno.test("load --map of a ring buffer --duration S: ends by itself and prints the stats", () => {
  // The program filters by this test's thread, which makes no getpgid() call meanwhile.
  const r = cliSync(
    "load",
    OBJ,
    ...targetThisThread(),
    "--map",
    "events",
    "--type",
    "event",
    "--duration",
    "0.1",
  );
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, "");
  assert.match(r.err, /\nbpfview: events: 0 records, 0 discarded, 0 lost\n$/);
});
