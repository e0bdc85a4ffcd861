// `bpfview load` end to end on the real kernel: the counter object of
// tests/bpf/object_counter.bpf.c loaded by the CLI with its filter set to
// this test's pid (--set), triggered here, stopped with SIGINT (Ctrl-C),
// its maps printed as JSON lines.
import assert from "node:assert/strict";
import { bpfObject, callGetppid, cliSync, loadCli, targetThisThread } from "./tools.ts";

const COUNTER = bpfObject("object_counter");
const COMM = Deno.readTextFileSync("/proc/thread-self/comm").trim();

/** Runs `load` until it has attached, calls getppid() `calls` times, then sends SIGINT. */
function loadAndTrigger(args: string[], calls: number) {
  return loadAndTriggerObject(COUNTER, args, calls);
}

function loadAndTriggerObject(object: string, args: string[], calls: number) {
  return loadCli([object, ...args], ({ child }) => {
    callGetppid(calls);
    child.kill("SIGINT");
  });
}

const FILTER = [
  ...targetThisThread(),
  "--set",
  "enabled=true",
  "--set",
  "mode=MODE_COUNT",
  "--set",
  "big_value=0xffffffffffffffff",
  "--set",
  "small_signed=-32768",
  "--set",
  "label=cli",
];

Deno.test("load --map of a hash map keyed by a struct: JSON lines after Ctrl-C", async () => {
  const r = await loadAndTrigger([...FILTER, "--map", "counts", "--json"], 3);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines, [{
    map: "counts",
    key: { pid: Deno.pid, tag: 0xbeef, kind: 3, pad: 0 },
    value: { calls: 3, last_pid: Deno.pid, flags: 5, level: 1000, rest: 40000, comm: COMM },
  }]);
  assert.match(r.err, /attached 1 program of object_counter: on_getppid/);
  assert.match(r.err, /counts: 1 entries/);
});

Deno.test("load --map of globals and per-CPU maps: values as the BTF types say", async () => {
  const bss = await loadAndTrigger([...FILTER, "--map", ".bss", "--json"], 2);
  assert.equal(bss.code, 0, bss.err);
  assert.deepEqual(JSON.parse(bss.out), {
    map: ".bss",
    key: 0,
    value: {
      bss_hits: 2,
      bss_last_pid: Deno.pid,
      bss_big_echo: "18446744073709551615",
      bss_small_echo: -32768,
      bss_mode_echo: 1,
      bss_label_echo: "cli",
    },
  });
  const pc = await loadAndTrigger([...FILTER, "--map", "percpu_calls", "--json"], 4);
  assert.equal(pc.code, 0, pc.err);
  const rows = pc.out.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(rows.map((r) => r.key), [0, 1]);
  const perCpu = rows[0].value as number[];
  assert.ok(Array.isArray(perCpu) && perCpu.length >= 1);
  assert.equal(perCpu.reduce((a, b) => a + b, 0), 4);
  assert.deepEqual(rows[1].value, perCpu.map(() => 0));
});

Deno.test("load: text output, --count, --duration", () => {
  const r = cliSync("load", COUNTER, "--map", "slots", "--count", "2", "--duration", "0");
  assert.equal(r.code, 0, r.err);
  const zero = '{"calls":0,"last_pid":0,"flags":0,"level":0,"rest":0,"comm":""}';
  assert.equal(r.out, `slots 0 ${zero}\nslots 1 ${zero}\n`);
  assert.match(r.err, /slots: 2 entries/);
});

Deno.test("load: a value that does not fit, unknown names, misuse: one line, exit 1", () => {
  const cases: [string[], RegExp][] = [
    [["--set", "target_pid=-1"], /from 0 to 4294967295 for target_pid \(const volatile __u32\)/],
    [["--set", "small_signed=32768"], /for small_signed \(const volatile __s16\), found 32768/],
    [["--set", "label=0123456789"], /at most 8 bytes for label \(const volatile char\[8\]\)/],
    [["--set", "mode=MODE_NOPE"], /enumerator of mode/],
    [["--set", "enabled=maybe"], /true or false for enabled/],
    [["--set", "target_pid"], /expected --set NAME=VALUE/],
    [["--set", "nope=1"], /global variable 'nope'/],
    [["--map", "nope"], /map named 'nope'/],
    [["--program", "nope"], /program named 'nope'/],
    [["--map", "counts", "--type", "key"], /--type only with a ring buffer/],
    [["--type", "key"], /expected --map NAME with --type, found no --map/],
    [["--count", "2"], /expected --map NAME with --count, found no --map/],
  ];
  for (const [args, re] of cases) {
    const r = cliSync("load", COUNTER, "--duration", "0", ...args);
    assert.equal(r.code, 1, `${args.join(" ")}: ${r.err}`);
    assert.equal(r.out, "");
    assert.equal(r.err.trim().split("\n").length, 1, r.err);
    assert.match(r.err, re);
  }
  const missing = cliSync("load", "/nonexistent.bpf.o");
  assert.equal(missing.code, 1);
  assert.match(missing.err, /ENOENT/);
});

Deno.test("load --program attaches only the programs named", async () => {
  const obj = bpfObject("object_attach");
  const r = await loadAndTriggerObject(obj, [
    ...targetThisThread(),
    "--set",
    `nr_getppid=${{ x86_64: 110, aarch64: 173 }[Deno.build.arch]}`,
    "--program",
    "on_raw_tp",
    "--program",
    "on_tracepoint",
    "--map",
    ".bss",
    "--json",
  ], 3);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /attached 2 programs of object_attach: on_raw_tp, on_tracepoint/);
  assert.deepEqual(JSON.parse(r.out).value, { tracepoint_hits: 3, raw_tp_hits: 3, tp_btf_hits: 0 });
});
