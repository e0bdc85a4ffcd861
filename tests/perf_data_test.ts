// perf.data files (file mode, pipe mode, -z compressed) recorded with the real `perf record` at
// test time, read by PerfData and compared with `perf script -D` (every record), `perf report
// --header-only` (features) and `perf script` (sample order); bad input gives only PerfError.

import assert from "node:assert/strict";
import { command, parse } from "@optique/core";
import { fastPerfDataOptions } from "../cli/fast.ts";
import { perfDataOptions } from "../cli/perf_data.ts";
import { PerfData, type PerfDataSample, perfDataSamples, sampleJson, ZstdStream } from "../mod.ts";

const SAMPLE = 9;
const DIR = fixtureDir("main");
import { fixtureDir, perfDumpCounts, perfScriptSamples, recordPerf } from "./perf_data_fixtures.ts";
import { cli, cliSync, sh } from "./tools.ts";

function counts(data: PerfData, ordered = false): Map<number, number> {
  const c = new Map<number, number>();
  for (const r of data.records({ ordered })) c.set(r.type, (c.get(r.type) ?? 0) + 1);
  return c;
}

const sorted = (m: Map<number, number>) => [...m].sort((a, b) => a[0] - b[0]);

Deno.test("file mode: every record perf script -D sees, header features as perf report shows them", () => {
  const path = recordPerf("file", []);
  using data = PerfData.open(path);
  assert.equal(data.pipe, false);
  assert.deepEqual(sorted(counts(data)), sorted(perfDumpCounts(path)));
  const head = sh("perf", ["report", "--header-only", "-i", path]);
  const f = data.features;
  assert.match(head, new RegExp(`# hostname : ${f.hostname}\n`));
  assert.match(head, new RegExp(`# os release : ${f.osRelease}\n`));
  assert.match(head, new RegExp(`# perf version : ${f.perfVersion}\n`));
  assert.match(head, new RegExp(`# arch : ${f.arch}\n`));
  assert.match(head, new RegExp(`# nrcpus online : ${f.nrCpus?.online}\n`));
  assert.match(head, new RegExp(`# nrcpus avail : ${f.nrCpus?.available}\n`));
  // perf prints the words joined by spaces, single quotes escaped.
  const cmdline = f.cmdline!.join(" ").replaceAll("'", "\\'");
  assert.ok(head.includes(`# cmdline : ${cmdline} \n`), "cmdline");
  assert.ok(head.includes(`# total memory : ${f.totalMemKb} kB\n`), "total memory");
  assert.deepEqual(data.events.map((e) => e.name), [
    "sched:sched_switch",
    "sched:sched_process_exec",
    "syscalls:sys_enter_getppid",
  ]);
  for (const ev of data.events) {
    // perf prints "# event : name = N, , id = { 1, 2 }, type = 2, ..."
    const line = head.split("\n").find((l) => l.startsWith(`# event : name = ${ev.name},`));
    assert.ok(line, ev.name);
    assert.ok(line.includes(`id = { ${ev.ids.join(", ")} }`), line);
    assert.ok(line.includes(`config = 0x${ev.attr.config.toString(16)}`), line);
  }
  const names = f.tracingData!.events.map((e) => `${e.system}:${e.name}`).sort();
  assert.deepEqual(names, data.events.map((e) => e.name).sort());
  assert.ok(f.sampleTime && f.sampleTime.first <= f.sampleTime.last);
});

Deno.test("pipe mode: from bytes and streamed through a small window, the same records as perf -D", () => {
  const path = recordPerf("pipe", [], { pipe: true });
  const want = sorted(perfDumpCounts(path));
  const bytes = Deno.readFileSync(path);
  const a = PerfData.fromBytes(bytes);
  assert.equal(a.pipe, true);
  assert.deepEqual(sorted(counts(a)), want);
  let at = 0;
  const b = PerfData.fromReader((buf) => {
    const n = Math.min(buf.length, 1000, bytes.length - at); // short reads, as a pipe gives them
    buf.set(bytes.subarray(at, at + n));
    at += n;
    return n;
  }, { windowSize: 4096 });
  assert.deepEqual(sorted(counts(b)), want);
  assert.deepEqual(b.events.map((e) => e.name), a.events.map((e) => e.name));
  assert.equal(b.features.hostname, a.features.hostname);
  assert.equal(b.features.tracingData?.events.length, 3);
  assert.deepEqual(b.events.map((e) => e.name), [
    "sched:sched_switch",
    "sched:sched_process_exec",
    "syscalls:sys_enter_getppid",
  ]);
});

Deno.test("compressed (-z), file and pipe mode: records spanning two compressed chunks", () => {
  const workload = ["perl", "-e", "getppid() for 1..40000"];
  for (const pipe of [false, true]) {
    const path = recordPerf(pipe ? "z_pipe" : "z_file", ["-z"], {
      pipe,
      events: ["syscalls:sys_enter_getppid"],
      workload,
    });
    const want = sorted(perfDumpCounts(path));
    using data = PerfData.open(path, { windowSize: 8192 });
    const got = counts(data);
    assert.deepEqual(sorted(got), want);
    assert.ok((got.get(SAMPLE) ?? 0) > 1000); // pipe mode may lose some under load
    assert.equal(data.features.compressed?.type ?? 1, 1);
    // The file does have records cut between two compressed chunks: decompress chunk by chunk.
    const bytes = Deno.readFileSync(path);
    const dv = new DataView(bytes.buffer);
    const z = new ZstdStream();
    let cut = 0, carry = 0;
    for (let p = pipe ? 16 : Number(dv.getBigUint64(40, true)); p < bytes.length;) {
      const size = dv.getUint16(p + 6, true), type = dv.getUint32(p, true);
      if (type === 81) {
        const out = z.push(bytes.subarray(p + 8, p + size));
        let q = carry;
        const odv = new DataView(out.buffer, out.byteOffset, out.byteLength);
        while (q + 8 <= out.length) q += odv.getUint16(q + 6, true);
        carry = q - out.length;
        if (q !== out.length) cut++;
      }
      if (type === 66) p += (dv.getUint32(p + 8, true) + 7) & ~7;
      p += size;
      if (!pipe && p >= Number(dv.getBigUint64(40, true) + dv.getBigUint64(48, true))) break;
    }
    assert.ok(cut > 0, "some record spans two compressed records");
  }
});

Deno.test("mapped, read through a window, or from bytes: the same samples", () => {
  const path = recordPerf("z_small", ["-z"]);
  const all = (d: PerfData) => [...perfDataSamples(d, { ordered: true })].map(sampleJson);
  using mapped = PerfData.map(path);
  using opened = PerfData.open(path, { windowSize: 1000 });
  const want = all(PerfData.fromBytes(Deno.readFileSync(path)));
  assert.ok(want.length > 0);
  assert.deepEqual(all(mapped), want);
  assert.deepEqual(all(opened), want);
});

Deno.test("ordered: samples come out in perf script's order", () => {
  const path = recordPerf("file", []);
  const want = perfScriptSamples(path).map((s) => s.time);
  using data = PerfData.open(path);
  const got: number[] = [];
  for (const r of data.records({ ordered: true })) if (r.type === SAMPLE) got.push(r.time);
  assert.deepEqual(got, want);
  // File order has the same samples.
  const fileOrder: number[] = [];
  for (const r of data.records()) if (r.type === SAMPLE) fileOrder.push(r.time);
  assert.deepEqual([...fileOrder].sort((a, b) => a - b), [...want].sort((a, b) => a - b));
});

/** perf's Python event name (`sched__sched_switch`) as bpfview names it. */
const perfName = (e: string) => e.replace("__", ":");

function compareSamples(path: string, got: PerfDataSample[]): void {
  const want = perfScriptSamples(path);
  assert.equal(got.length, want.length, `${path}: sample count`);
  for (let i = 0; i < want.length; i++) {
    const w = want[i], g = got[i];
    const where = `${path} sample ${i}`;
    assert.equal(g.event, perfName(w.event), where);
    assert.equal(g.tid, w.tid, where);
    assert.equal(g.pid, w.pid, where);
    assert.equal(g.cpu, w.cpu === 4294967295 ? -1 : w.cpu, where);
    assert.equal(g.time, w.time, where);
    for (const [k, v] of Object.entries(w.fields ?? {})) {
      assert.deepEqual(g.fields[k], v, `${where} field ${k}`);
    }
    if (w.callchain) {
      const ours = (g.callchain ?? []).filter((ip) => ip < 0xfffffffffffff000n).map(Number);
      assert.deepEqual(ours, w.callchain, `${where} callchain`);
    }
  }
}

Deno.test("every sample (tid, pid, cpu, time in ns, each tracepoint field) equals perf script's", () => {
  for (const [name, extra, pipe] of [["file", [], false], ["pipe", [], true]] as const) {
    const path = recordPerf(name, [...extra], { pipe });
    using data = PerfData.open(path);
    const got = [...perfDataSamples(data, { ordered: true })];
    assert.ok(got.some((s) => s.event === "sched:sched_process_exec"), "a __data_loc event");
    assert.ok(got.some((s) => typeof s.fields.filename === "string" && s.fields.filename !== ""));
    compareSamples(path, got);
  }
  for (const pipe of [false, true]) {
    const z = recordPerf(pipe ? "z_small_pipe" : "z_small", ["-z"], { pipe });
    using zdata = PerfData.open(z);
    assert.ok((zdata.counts.get(81) ?? 0) === 0); // nothing read yet
    compareSamples(z, [...perfDataSamples(zdata, { ordered: true })]);
    assert.ok((zdata.counts.get(81) ?? 0) > 0, "PERF_RECORD_COMPRESSED records were read");
  }
});

Deno.test("a software event with callchains: ips as perf script resolves them", () => {
  const path = recordPerf("callchain", ["-c", "200000", "-g"], {
    events: ["cpu-clock"],
    workload: ["perl", "-e", "$x = 0; $x += $_ for 1..2000000"],
  });
  using data = PerfData.open(path);
  const got = [...perfDataSamples(data, { ordered: true })];
  assert.ok(got.length > 5 && got.every((s) => s.event === "cpu-clock" && s.callchain));
  compareSamples(path, got);
});

Deno.test("CLI perf-data: JSON lines equal the library's, --event filters, pipe on stdin", async () => {
  const path = recordPerf("file", []);
  using data = PerfData.open(path);
  const want = [...perfDataSamples(data, { ordered: true })].map((s) => JSON.parse(sampleJson(s)));
  const r = cliSync("perf-data", path, "--json", "--ordered");
  assert.equal(r.err, "");
  assert.equal(r.code, 0);
  assert.deepEqual(r.out.trim().split("\n").map((l) => JSON.parse(l)), want);
  const only = cliSync("perf-data", path, "--json", "--event", "sched:sched_process_exec");
  const lines = only.out.trim().split("\n").map((l) => JSON.parse(l));
  assert.ok(lines.length > 0 && lines.every((l) => l.event === "sched:sched_process_exec"));
  const fileOrder = [...perfDataSamples(data)].map((s) => JSON.parse(sampleJson(s)));
  assert.deepEqual(lines, fileOrder.filter((w) => w.event === "sched:sched_process_exec"));
  const pipe = recordPerf("pipe", [], { pipe: true });
  const viaStdin = await cli(["perf-data", "-", "--json"], Deno.readFileSync(pipe));
  assert.equal(viaStdin.code, 0, viaStdin.err);
  using pdata = PerfData.open(pipe);
  assert.deepEqual(
    viaStdin.out.trim().split("\n").map((l) => JSON.parse(l)),
    [...perfDataSamples(pdata)].map((s) => JSON.parse(sampleJson(s))),
  );
  const pipeHead = await cli(["perf-data", "-", "--header", "--json"], Deno.readFileSync(pipe));
  const first = JSON.parse(pipeHead.out.split("\n")[0]);
  assert.equal(first.header.pipe, true); // printed before the samples
  assert.equal(first.header.hostname, pdata.features.hostname);
  const head = cliSync("perf-data", path, "--header", "--json", "--event", "none:none");
  assert.equal(head.code, 0);
  const h = JSON.parse(head.out).header;
  assert.equal(h.hostname, data.features.hostname);
  assert.deepEqual(h.events.map((e: { name: string }) => e.name), data.events.map((e) => e.name));
});

Deno.test("CLI perf-data --json: odd strings (quotes, backslashes, control bytes, UTF-8) as the library writes them", () => {
  const odd = `${DIR}q"b\\s\tü\x01-${"x".repeat(20)}`;
  try {
    Deno.removeSync(odd);
  } catch {
    // not there
  }
  Deno.symlinkSync("/bin/true", odd);
  const path = recordPerf("odd", [], {
    events: ["sched:sched_process_exec", "sched:sched_switch"],
    workload: [odd],
  });
  using data = PerfData.open(path);
  const want = [...perfDataSamples(data)].map((s) => sampleJson(s));
  assert.ok(want.some((l) => l.includes("\\u0001")), "an escaped control byte");
  const r = cliSync("perf-data", path, "--json");
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(r.out.trim().split("\n"), want);
  const exec = want.map((l) => JSON.parse(l)).find((s) => s.event === "sched:sched_process_exec");
  assert.equal(exec.fields.filename, odd);
});

Deno.test("clock features (perf record -k): clockid, resolution, reference point, sample times", () => {
  const before = BigInt(Date.now()) * 1000000n;
  const path = recordPerf("clock", ["-k", "mono"], {
    events: ["sched:sched_switch"],
    workload: ["sleep", "0.01"],
  });
  const after = BigInt(Date.now()) * 1000000n;
  using data = PerfData.open(path);
  const f = data.features;
  const head = sh("perf", ["report", "--header-only", "-i", path]);
  assert.equal(f.clockData?.clockid, 1);
  assert.match(head, /# clockid: monotonic \(1\)\n/);
  assert.match(head, new RegExp(`# clockid frequency: ${1000 / f.clockResNs!} MHz\\n`));
  assert.equal(data.events[0].attr.use_clockid, true);
  assert.equal(data.events[0].attr.clockid, 1);
  const secs = (t: bigint) =>
    `${t / 1000000000n}.${String(t % 1000000000n / 1000n).padStart(6, "0")}`;
  assert.match(head, new RegExp(`# time of first sample : ${secs(f.sampleTime!.first)}\\n`));
  assert.match(head, new RegExp(`# time of last sample : ${secs(f.sampleTime!.last)}\\n`));
  const wall = data.wallClockNs(f.sampleTime!.first)!;
  assert.ok(
    wall >= before - 2000000000n && wall <= after + 2000000000n,
    `${before} ${wall} ${after}`,
  );
});

Deno.test("fast start: perf-data lines give the options the full parser gives", () => {
  const full = command("perf-data", perfDataOptions);
  const optique = (args: string[]) => {
    const r = parse(full, args);
    return r.success ? JSON.parse(JSON.stringify(r.value)) : undefined;
  };
  for (
    const args of [
      ["perf-data", "x.data"],
      ["perf-data", "-", "--json"],
      ["perf-data", "--json", "--ordered", "x.data", "--header", "--verbose"],
      ["perf-data", "x.data", "--event", "sched:sched_switch", "--event", "cpu-clock", "--json"],
    ]
  ) {
    const fast = fastPerfDataOptions(args);
    assert.ok(fast, `declined ${args.join(" ")}`);
    assert.deepEqual(fast, optique(args), args.join(" "));
  }
  for (
    const args of [
      ["perf-data"],
      ["perf-data", "a", "b"],
      ["perf-data", "x", "--json", "--json"],
      ["perf-data", "x", "--event"],
      ["perf-data", "x", "--event=y"],
      ["perf-data", "x", "--help"],
      ["perf-data", "help"],
      ["perf-data", "x", "--what"],
    ]
  ) assert.equal(fastPerfDataOptions(args), undefined, args.join(" "));
  // A declined line still runs through the full CLI.
  const help = cliSync("perf-data", "--help");
  assert.equal(help.code, 0, help.err);
  assert.match(help.out, /bpfview perf-data/);
});
