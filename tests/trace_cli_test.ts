// `bpfview trace` as a user runs it, on the real kernel: JSON lines and readable lines of a
// tracepoint with a __data_loc string, --filter handed to the kernel, --count, --list against
// the format file, Ctrl-C, and one-line errors. Processes of other engineers run on the same
// kernel: the kernel filter keeps only our marker program's events.
import assert from "node:assert/strict";
import { readFormat, tracefsRoot } from "../mod.ts";
import { buildDir, CLI_MAIN, cliSync, denoRun } from "./tools.ts";

const dec = new TextDecoder();

/**
 * A copy of /bin/true under a name no one else runs: `name`, this process's pid and a random
 * suffix, so that the runs of other worktrees (and other test files) at the same time, with
 * markers of their own, never match this one's filter. Removed on dispose.
 */
function marker(name = "bpfview-trace-marker"): { path: string; glob: string } & Disposable {
  const base = `${name}-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const path = buildDir("perf") + base;
  Deno.copyFileSync("/bin/true", path);
  Deno.chmodSync(path, 0o755);
  return {
    path,
    glob: `*/${base}`,
    [Symbol.dispose]: () => Deno.removeSync(path),
  };
}

/** Runs the CLI with `args`, executing `exe` every 50 ms until the CLI exits. */
async function traceWhileRunning(args: string[], exe: string) {
  const p = new Deno.Command(Deno.execPath(), {
    args: denoRun("-A", CLI_MAIN, ...args),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out = p.output();
  let done = false;
  out.finally(() => done = true);
  const deadline = Date.now() + 30000;
  while (!done && Date.now() < deadline) {
    await new Deno.Command(exe).output();
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!done) p.kill();
  const r = await out;
  return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

Deno.test("trace --json: one line per event, __data_loc filename decoded, --filter and --count applied by the kernel", async () => {
  using m = marker();
  const exe = m.path;
  const r = await traceWhileRunning([
    "trace",
    "sched:sched_process_exec",
    "--json",
    "--count",
    "2",
    "--filter",
    `filename ~ "${m.glob}"`,
  ], exe);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.length, 2);
  for (const l of lines) {
    assert.deepEqual(Object.keys(l), ["event", "cpu", "pid", "tid", "time", "fields"]);
    assert.equal(l.event, "sched:sched_process_exec");
    assert.equal(l.fields.filename, exe);
    assert.equal(l.fields.pid, l.pid);
    assert.equal(typeof l.time, "number");
  }
  assert.match(
    r.err,
    /^bpfview: 2 events printed; \d+ read \(sched:sched_process_exec \d+\), 0 lost\n$/,
  );
});

Deno.test("trace: readable lines in the manner of perf script", async () => {
  using m = marker();
  const exe = m.path;
  const r = await traceWhileRunning([
    "trace",
    "sched:sched_process_exec",
    "--count=1",
    "--schema",
    "tracefs",
    `--filter=filename ~ "${m.glob}"`,
  ], exe);
  assert.equal(r.code, 0, r.err);
  assert.match(
    r.out,
    new RegExp(
      `^ *(\\d+)/\\1 +\\[\\d{3}\\] \\d+\\.\\d{6}: sched:sched_process_exec: filename=${exe} pid=\\1 old_pid=\\1\\n$`,
    ),
  );
});

Deno.test("trace --list: fields as the format file gives them, and the schema each event would use", () => {
  const r = cliSync("trace", "--list", "--json", "sched:sched_switch,syscalls:sys_enter_openat");
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, "");
  const [sw, op] = r.out.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(sw.event, "sched:sched_switch");
  assert.equal(sw.schema, "btf");
  assert.equal(sw.struct, "trace_event_raw_sched_switch");
  const f = readFormat("sched", "sched_switch");
  assert.deepEqual(
    sw.fields.map((x: { name: string; offset: number }) => [x.name, x.offset]),
    f.fields.filter((x) => !x.isCommon).map((x) => [x.name, x.offset]),
  );
  assert.equal(op.schema, "tracefs");
  // Globs as perf takes them: every event of tracefs whose name matches, in order.
  const glob = cliSync("trace", "--list", "--json", "syscalls:sys_enter_getp*");
  assert.equal(glob.code, 0, glob.err);
  const want = [...Deno.readDirSync(`${tracefsRoot()}/events/syscalls`)]
    .map((e) => e.name).filter((n) => n.startsWith("sys_enter_getp")).sort()
    .map((n) => `syscalls:${n}`);
  assert.ok(want.length >= 3, want.join()); // getpid, getppid, getpgid, getpgrp, getpriority
  assert.deepEqual(glob.out.trim().split("\n").map((l) => JSON.parse(l).event), want);
  const text = cliSync("trace", "--list", "sched:sched_sw*");
  assert.match(
    text.out,
    /^sched:sched_switch \[btf trace_event_raw_sched_switch\]\n {4}char prev_comm\[16\]; offset 8, size 16\n/m,
  );
});

Deno.test("trace: Ctrl-C closes the events and prints the counts", async () => {
  const p = new Deno.Command(Deno.execPath(), {
    args: denoRun("-A", CLI_MAIN, "trace", "sched:sched_switch", "--json"),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = p.stdout.getReader();
  const first = await reader.read(); // events are flowing: the trace is running
  assert.ok(!first.done);
  p.kill("SIGINT");
  while (!(await reader.read()).done) { /* rest of the output */ }
  const status = await p.status;
  const err = dec.decode(await new Response(p.stderr).arrayBuffer());
  assert.equal(status.code, 0, err);
  assert.match(
    err,
    /^bpfview: \d+ events printed; \d+ read \(sched:sched_switch \d+\), \d+ lost\n$/,
  );
});

Deno.test("trace: errors are one line: unknown event, rejected filter, no event, no BTF struct, no such CPU, --list with tracing options", () => {
  const none = cliSync("trace", "nosuch:event");
  assert.equal(none.code, 1);
  assert.match(none.err, /^bpfview: expected tracepoints matching "nosuch:event".*found none.*\n$/);
  const bad = cliSync("trace", "sched:sched_switch", "--filter", "no_such_field == 1");
  assert.equal(bad.code, 1);
  assert.match(
    bad.err,
    /^bpfview: expected the kernel to accept the filter "no_such_field == 1".*\n$/,
  );
  const empty = cliSync("trace");
  assert.equal(empty.code, 1);
  assert.equal(empty.err.split("\n").length, 2);
  // Syscall tracepoints have no BTF struct: --schema btf says so and names the way out.
  const schema = cliSync("trace", "syscalls:sys_enter_getpid", "--schema", "btf");
  assert.equal(schema.code, 1);
  assert.match(
    schema.err,
    /^bpfview: expected a BTF struct trace_event_raw_sys_enter_getpid .*found none: use --schema tracefs\n$/,
  );
  const list = cliSync("trace", "--list", "sched:sched_switch", "--count", "3");
  assert.equal(list.code, 1);
  assert.equal(list.out, "");
  assert.equal(
    list.err,
    "bpfview: expected --list with globs, --schema and --json only, found --count\n",
  );
  const cpu = cliSync("trace", "sched:sched_switch", "--cpu", "99999");
  assert.equal(cpu.code, 1);
  assert.match(cpu.err, /^bpfview: expected an online CPU \([0-9,-]+\), found 99999\n$/);
});

Deno.test("trace --cpu N: only that CPU's events; --duration S ends the trace by itself", () => {
  const r = cliSync("trace", "sched:sched_switch", "--cpu", "0", "--count", "5", "--json");
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.length, 5);
  for (const l of lines) assert.equal(l.cpu, 0);
  const d = cliSync("trace", "sched:sched_switch", "--duration", "0.2", "--json");
  assert.equal(d.code, 0, d.err);
  const n = d.out.split("\n").length - 1;
  assert.match(d.err, new RegExp(`^bpfview: ${n} events printed; ${n} read .*, \\d+ lost\\n$`));
});

Deno.test("trace --pid PID, events by glob: the events of that process and of children it starts later, no others", async () => {
  using m = marker(), o = marker("bpfview-trace-other");
  const ours = m.path, other = o.path;
  // The traced process: a shell running the marker again and again (each run a new child).
  const shell = new Deno.Command("/bin/sh", {
    args: ["-c", `while :; do ${ours}; sleep 0.05; done`],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    // Meanwhile this process runs the other marker: the kernel must not trace it.
    const r = await traceWhileRunning([
      "trace",
      "sched:sched_process_ex*", // sched_process_exec and sched_process_exit
      "--pid",
      String(shell.pid),
      "--count",
      "6",
      "--json",
    ], other);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(lines.length, 6);
    assert.deepEqual(
      [...new Set(lines.map((l) => l.event))].sort(),
      ["sched:sched_process_exec", "sched:sched_process_exit"],
    );
    // Its children run the marker and sleep by turns; the other marker never shows.
    const execs = lines.filter((l) => l.event === "sched:sched_process_exec");
    for (const l of execs) {
      assert.ok(
        l.fields.filename === ours || /\/sleep$/.test(l.fields.filename),
        l.fields.filename,
      );
    }
    for (const l of lines) assert.notEqual(l.pid, shell.pid); // children, started after the trace
    assert.ok(execs.some((l) => l.fields.filename === ours));
  } finally {
    shell.kill();
    await shell.status;
  }
});

const hasCapsh = (() => {
  try {
    return new Deno.Command("capsh", { args: ["--print"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false; // libcap2-bin not installed
  }
})();

Deno.test({
  name: "trace without CAP_PERFMON: one sentence naming CAP_PERFMON and kernel.perf_event_paranoid",
  ignore: !hasCapsh,
}, () => {
  // Root without CAP_PERFMON and CAP_SYS_ADMIN (capsh drops them from the bounding set).
  const r = new Deno.Command("capsh", {
    args: [
      "--drop=cap_perfmon,cap_sys_admin",
      "--",
      "-c",
      [Deno.execPath(), ...denoRun("-A", CLI_MAIN, "trace", "sched:sched_switch", "--count", "1")]
        .map((a) => `'${a}'`).join(" "),
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  const err = dec.decode(r.stderr);
  assert.equal(r.code, 1, err);
  assert.equal(dec.decode(r.stdout), "");
  assert.equal(err.split("\n").length, 2, err);
  assert.match(err, /EACCES.*CAP_PERFMON.*kernel\.perf_event_paranoid/);
});
