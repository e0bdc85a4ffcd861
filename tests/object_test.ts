// BPF objects through libbpf, on the real kernel: objects built with clang
// from tests/bpf/object_*.bpf.c, loaded and attached, triggered by this
// process (getppid), read back through maps and globals. Other tests load
// BPF programs at the same time: the program counts only this process.
import assert from "node:assert/strict";
import {
  BpfObject,
  BtfError,
  dumpRaw,
  encode,
  FfiError,
  jsonValue,
  Kind,
  MapType,
  objectBtf,
  parseBtf,
  type View,
} from "../mod.ts";
import {
  bpfObject,
  buildDir,
  callGetppid,
  denoRun,
  isZeroPages,
  mappingAt,
  threadId,
} from "./tools.ts";

const HERE = new URL(".", import.meta.url).pathname;
const BUILD = buildDir("object");

const COUNTER = bpfObject("object_counter");
const REJECT = bpfObject("object_reject");

/** This thread's name: what bpf_get_current_comm() gives for the calls below. */
const COMM = Deno.readTextFileSync("/proc/thread-self/comm").trim();

Deno.test("open: programs, maps with types, sizes and BTF ids, data sections", () => {
  using obj = BpfObject.open(COUNTER);
  assert.equal(obj.name, "object_counter");
  assert.equal(obj.loaded, false);
  const prog = obj.program("on_getppid");
  assert.equal(prog.section, "tracepoint/syscalls/sys_enter_getppid");
  assert.equal(prog.typeName, "tracepoint");
  assert.equal(prog.fd, -1);
  const btf = obj.btf!;
  const counts = obj.map("counts");
  assert.equal(counts.type, MapType.HASH);
  assert.equal(counts.typeName, "hash");
  assert.equal(counts.keySize, 8);
  assert.equal(counts.valueSize, 32);
  assert.equal(counts.maxEntries, 64);
  assert.equal(btf.nameOf(counts.keyType), "key");
  assert.equal(btf.nameOf(counts.valueType), "stats");
  const slots = obj.map("slots");
  assert.equal(slots.type, MapType.ARRAY);
  assert.equal(obj.map("percpu_calls").perCpu, true);
  assert.equal(obj.map("percpu_stats").type, MapType.PERCPU_HASH);
  assert.deepEqual(obj.sections.sort(), [".bss", ".data", ".data.custom", ".rodata"]);
  assert.equal(obj.map(".rodata").internal, true);
  assert.throws(() => counts.fd, /not loaded: call load\(\) first/);
  assert.throws(() => prog.attach(), /call load\(\) first/);
});

Deno.test("open from bytes: the same object, named by the option", () => {
  const bytes = Deno.readFileSync(COUNTER);
  using obj = BpfObject.open(bytes, { name: "from_mem" });
  bytes.fill(0); // the object keeps its own copy
  assert.equal(obj.name, "from_mem");
  obj.load();
  assert.ok(obj.map("counts").fd > 0);
});

Deno.test("load and attach: fds, links, detach on close", () => {
  const obj = BpfObject.open(COUNTER);
  obj.load();
  assert.equal(obj.loaded, true);
  const prog = obj.program("on_getppid");
  assert.ok(prog.fd > 0);
  const counts = obj.map("counts");
  const fd = counts.fd;
  assert.ok(fd > 0);
  assert.ok(Deno.readLinkSync(`/proc/self/fd/${fd}`).includes("bpf-map"));
  const links = obj.attachAll();
  assert.equal(links.length, 1);
  assert.equal(links[0].program, "on_getppid");
  const linkFd = links[0].fd;
  assert.ok(linkFd > 0);
  callGetppid(3);
  obj.close();
  assert.equal(obj.closed, true);
  assert.equal(links[0].closed, true);
  assert.throws(() => Deno.readLinkSync(`/proc/self/fd/${linkFd}`));
  assert.throws(() => obj.map("counts"), /closed/);
  assert.throws(() => counts.fd, /closed/);
  assert.throws(() => prog.type, /closed/);
  obj.close(); // twice is fine
});

Deno.test("errors: bad object, missing file, missing map and program, verifier rejection", () => {
  const bad = `${BUILD}not_an_object.o`;
  Deno.writeTextFileSync(bad, "this is not ELF\n");
  assert.throws(
    () => BpfObject.open(bad),
    (e) =>
      e instanceof FfiError && /expected a BPF object/.test(e.message) &&
      /BPF object format invalid/.test(e.message),
  );
  assert.throws(
    () => BpfObject.open(`${BUILD}missing.o`),
    (e) => e instanceof FfiError && e.errno === 2 && /ENOENT/.test(e.message),
  );
  assert.throws(
    () => BpfObject.open("a\0b"),
    (e) => e instanceof FfiError && /NUL/.test(e.message),
  );
  assert.throws(() => BpfObject.open(new Uint8Array(0)), FfiError);
  using obj = BpfObject.open(COUNTER);
  assert.throws(
    () => obj.map("nope"),
    (e) =>
      e instanceof FfiError && /map named 'nope'/.test(e.message) && /'counts'/.test(e.message),
  );
  assert.throws(
    () => obj.program("nope"),
    (e) => e instanceof FfiError && /program named 'nope'/.test(e.message),
  );
  assert.throws(() => obj.section(".nope"), /data section '.nope'/);
  using rej = BpfObject.open(REJECT);
  assert.throws(
    () => rej.load(),
    (e) =>
      e instanceof FfiError && e.errno === 13 &&
      /verifier to accept program 'unchecked'/.test(e.message) &&
      /invalid mem access 'map_value_or_null'/.test(e.message.split("\n")[0]) &&
      /^0: R1=ctx\(\) R10=fp0$/m.test(e.message) && /map_value_or_null/.test(e.log),
  );
  assert.equal(rej.loaded, false);
});

Deno.test("libbpf missing: the override points at a missing file, one install sentence", async () => {
  const text = await child([], ["-A", "--quiet"], [COUNTER], {
    BPFVIEW_LIBBPF: "/nonexistent/libbpf.so.1",
  });
  assert.match(text, /^FfiError: expected libbpf 1.x, found none/);
  assert.match(text, /\/nonexistent\/libbpf\.so\.1/);
  assert.match(text, /apt-get install libbpf1/);
  assert.equal(text.split("\n").length, 1);
});

/** The counter object, opened with its filter on this process, loaded and attached. */
function counterRun(calls: number): BpfObject {
  const obj = BpfObject.open(COUNTER);
  try {
    // The usual way to set a const volatile filter: through the writable .rodata view.
    const ro = obj.rodata as View & Record<string, unknown>;
    ro.target_pid = Deno.pid;
    ro.target_tid = threadId();
    ro.enabled = true;
    ro.mode = "MODE_COUNT";
    ro.big_value = 2n ** 63n + 5n;
    obj.setGlobal("small_signed", -300); // or by name
    obj.setGlobal("label", "hello");
    obj.load();
    obj.attachAll();
    callGetppid(calls);
    return obj;
  } catch (e) {
    obj.close();
    throw e;
  }
}

Deno.test("globals: .rodata set before load filters by this pid; .bss, .data, custom read after the run", () => {
  using obj = counterRun(5);
  assert.deepEqual(obj.rodata.toObject(), {
    target_pid: Deno.pid,
    target_tid: threadId(),
    big_value: "9223372036854775813",
    small_signed: -300,
    mode: 1,
    label: "hello",
    enabled: true,
  });
  // Only this process's calls count, whatever else runs getppid meanwhile.
  assert.deepEqual(obj.bss.toObject(), {
    bss_hits: 5,
    bss_last_pid: Deno.pid,
    bss_big_echo: "9223372036854775813",
    bss_small_echo: -300,
    bss_mode_echo: 1,
    bss_label_echo: "hello",
  });
  assert.equal(obj.data.data_magic, 0x1122334455667788n);
  assert.equal(obj.data.data_neg, -5);
  assert.equal(obj.data.data_seen, 0x55667788);
  assert.equal(obj.section(".data.custom").custom_counter, 12);
  // The DATASECs are laid out (clang leaves offsets 0; libbpf fixed them on open).
  const offsets = obj.btf!.view(".rodata").fields.map((f) => f.bitOffset / 8);
  assert.deepEqual(offsets, [0, 4, 8, 16, 20, 24, 32]);
  assert.deepEqual(obj.global("custom_counter"), {
    section: ".data.custom",
    type: obj.global(".data.custom:custom_counter").type,
    offset: 0,
    size: 4,
  });
  // After load: .bss is live and writable, .rodata read-only.
  obj.setGlobal("bss_hits", 1000);
  callGetppid(1);
  assert.equal(obj.bss.bss_hits, 1001n);
  (obj.bss as Record<string, unknown>).bss_hits = 5;
  callGetppid(1);
  assert.equal(obj.bss.bss_hits, 6n);
  assert.throws(() => obj.setGlobal("target_pid", 1), /\.rodata is read-only/);
  assert.throws(() => {
    (obj.rodata as Record<string, unknown>).target_pid = 1;
  }, (e) => e instanceof BtfError && /read-only/.test(e.message));
  assert.equal(obj.rodata.target_pid, Deno.pid);
  // After close the live views' memory is unmapped: zero pages take its place (until the
  // buffer is collected), so a view kept over it reads zeros, never freed memory.
  const bss = obj.bss as Record<string, unknown>;
  assert.match(mappingAt(obj.bss)!, /anon_inode:bpf-map$/);
  obj.close();
  assert.equal(bss.bss_hits, 0n);
  assert.equal(bss.bss_last_pid, 0);
  assert.ok(isZeroPages(mappingAt(bss)), mappingAt(bss));
});

Deno.test("globals: a view of an initial value kept after close reads zeros (libbpf unmapped it)", () => {
  const obj = BpfObject.open(COUNTER);
  const rodata = obj.rodata as Record<string, unknown>;
  rodata.target_pid = 1234;
  assert.equal(rodata.target_pid, 1234);
  assert.match(mappingAt(rodata)!, /\/dev\/zero \(deleted\)$/); // libbpf's shared copy
  obj.close();
  assert.equal(rodata.target_pid, 0);
  assert.ok(isZeroPages(mappingAt(rodata)), mappingAt(rodata));
  assert.equal(JSON.parse(JSON.stringify(rodata)).target_pid, 0);
});

Deno.test("globals: values that do not fit name the variable and its type", () => {
  using obj = BpfObject.open(COUNTER);
  const cases: [string, unknown, RegExp][] = [
    ["target_pid", -1, /from 0 to 4294967295 for target_pid \(const volatile __u32\), found -1/],
    ["target_pid", 2 ** 32, /found 4294967296/],
    ["target_pid", 1.5, /expected an integer for target_pid/],
    ["small_signed", 40000, /from -32768 to 32767 for small_signed/],
    ["big_value", 2n ** 64n, /from 0 to 18446744073709551615 for big_value/],
    ["mode", "NOPE", /enumerator of mode .*MODE_OFF, MODE_COUNT, MODE_BIG/],
    ["label", "123456789", /at most 8 bytes for label \(const volatile char\[8\]\)/],
    ["enabled", 2, /true or false for enabled/],
  ];
  for (const [name, value, re] of cases) {
    assert.throws(
      () => obj.setGlobal(name, value),
      (e) => e instanceof BtfError && re.test(e.message),
    );
  }
  assert.throws(() => obj.setGlobal("nope", 1), /global variable 'nope'.*target_pid/);
  obj.setGlobal("big_value", "0xffffffffffffffff");
  obj.setGlobal("mode", 0x7fffffff);
  obj.setGlobal("small_signed", "-32768");
  assert.equal(obj.rodata.big_value, 2n ** 64n - 1n);
  assert.equal(obj.rodata.mode, 0x7fffffff);
  assert.equal(obj.rodata.small_signed, -32768);
});

Deno.test("maps: hash keyed by a struct, array of structs, per-CPU maps, through views, objects and bytes", () => {
  using obj = counterRun(4);
  const me = { pid: Deno.pid, tag: 0xbeef, kind: 3, pad: 0 };
  const stats = { calls: 4, last_pid: Deno.pid, flags: 5, level: 1000, rest: 40000, comm: COMM };
  const counts = obj.map("counts");
  const entries = counts.entries();
  assert.equal(entries.length, 1);
  const [k, v] = entries[0] as [View, View];
  assert.deepEqual(k.toObject(), me);
  assert.deepEqual(jsonValue(v), stats);
  assert.equal(v.calls, 4n);
  // Lookup by view, by plain object, by bytes.
  assert.deepEqual(jsonValue(counts.lookup(k)), stats);
  assert.deepEqual(jsonValue(counts.lookup(me)), stats);
  const keyBytes = encode(obj.btf!, counts.keyType, me);
  assert.deepEqual(jsonValue(counts.lookup(keyBytes)), stats);
  assert.equal(counts.lookup({ ...me, pid: 1 }), undefined);
  assert.deepEqual([...counts.keys()].map(jsonValue), [me]);
  // Update, then delete.
  counts.update({ pid: 1, tag: 2, kind: 3 }, { calls: 7, comm: "x" }, "noexist");
  assert.throws(() => counts.update({ pid: 1, tag: 2, kind: 3 }, {}, "noexist"), /EEXIST/);
  assert.equal((counts.lookup({ pid: 1, tag: 2, kind: 3 }) as View).calls, 7n);
  assert.equal(counts.delete({ pid: 1, tag: 2, kind: 3 }), true);
  assert.equal(counts.delete({ pid: 1, tag: 2, kind: 3 }), false);
  assert.throws(() => counts.update(me, { nope: 1 }), /expected a member of counts value/);
  assert.throws(() => counts.lookup(new Uint8Array(3)), /expected 8 bytes for a key/);

  // An array of structs: all its slots, slot 2 written by the program.
  const slots = obj.map("slots");
  const all = slots.entries().map(([i, s]) => [i, jsonValue(s)]);
  assert.deepEqual(all.map(([i]) => i), [0, 1, 2, 3]);
  assert.deepEqual(all[2][1], {
    calls: 4,
    last_pid: -Deno.pid,
    flags: 0,
    level: 7,
    rest: 0,
    comm: "",
  });
  slots.update(1, { calls: 99, flags: 15, level: 4095, rest: 65535, comm: "abc" });
  assert.deepEqual(jsonValue(slots.lookup(1)), {
    calls: 99,
    last_pid: 0,
    flags: 15,
    level: 4095,
    rest: 65535,
    comm: "abc",
  });
  assert.throws(() => slots.update(1, { level: 4096 }), /from 0 to 4095 for slots value\.level/);

  // Per-CPU: one value per possible CPU, the calls summed over CPUs.
  const percpu = obj.map("percpu_calls");
  const perCpuValues = percpu.lookup(0) as bigint[];
  assert.equal(perCpuValues.length, percpu.valuesPerEntry);
  assert.equal(perCpuValues.reduce((a, b) => a + b, 0n), 4n);
  percpu.update(1, 9n);
  assert.deepEqual(percpu.lookup(1), new Array(percpu.valuesPerEntry).fill(9n));
  const ps = obj.map("percpu_stats");
  const [[psKey, psValues]] = ps.entries() as [[View, View[]]];
  assert.deepEqual(psKey.toObject(), me);
  assert.equal(psValues.reduce((a, v) => a + (v.calls as bigint), 0n), 4n);
});

/**
 * The open fds of this process that BPF objects make (maps, programs, links, perf events,
 * BTF, object files), by number and target. (The runtime opens pipes of its own now and then.)
 */
function fds(): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync("/proc/self/fd")) {
    try {
      const target = Deno.readLinkSync(`/proc/self/fd/${e.name}`);
      // BPF objects, maps, programs, links, BTF and perf events, and files libbpf opened (not,
      // say, a log file named "...btf..." that stdout is redirected to).
      if (/^anon_inode:.*(bpf|perf|btf)|^\/sys\/kernel\/btf\/|\.o$/.test(target)) {
        out.push(`${e.name} -> ${target}`);
      }
    } catch { /* the fd of the listing itself */ }
  }
  return out.sort();
}

/** The mappings of this process that are not the JS heap's: files, BPF maps and libbpf's own. */
function mappings(): string[] {
  return Deno.readTextFileSync("/proc/self/maps").trim().split("\n").map((l) => {
    const [range, perms, , , , path = ""] = l.split(/\s+/);
    return `${range} ${perms} ${path}`;
  }).filter((l) => /bpf|libbpf|\.o$/.test(l));
}

Deno.test("100 open/load/attach/close cycles leave /proc/self/fd and /proc/self/maps as they were", () => {
  let check = true;
  const cycle = () => {
    using obj = counterRun(1);
    assert.equal(obj.bss.bss_hits, 1n);
    assert.equal(obj.rodata.target_pid, Deno.pid);
    obj.map("counts").entries();
    if (check) assert.ok(fds().length >= 10, fds().join("\n")); // 8 maps, a program, a link
  };
  cycle(); // libbpf and its callback opened once for good
  check = false;
  const fdsBefore = fds(), mapsBefore = mappings();
  assert.deepEqual(fdsBefore, []);
  const anonBefore = Deno.readTextFileSync("/proc/self/maps").split("\n").length;
  for (let i = 0; i < 100; i++) cycle();
  assert.deepEqual(fds(), fdsBefore);
  assert.deepEqual(mappings(), mapsBefore);
  // libbpf's anonymous mappings (one per data section per object: three a cycle) are gone too.
  // They look like the JS heap's own, which grows by tens of mappings when other tests ran
  // before; a leak of even one mapping a cycle adds at least 100.
  const anonAfter = Deno.readTextFileSync("/proc/self/maps").split("\n").length;
  assert.ok(anonAfter - anonBefore < 100, `${anonBefore} mappings before, ${anonAfter} after`);
});

/** Runs tests/object_child.ts with `prefix` before deno (e.g. setpriv) and deno flags `flags`. */
async function child(
  prefix: string[],
  flags: string[],
  args: string[],
  env?: Record<string, string>,
  script = "object_child.ts",
): Promise<string> {
  const argv = [...prefix, Deno.execPath(), ...denoRun(...flags, `${HERE}${script}`, ...args)];
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test("without --allow-ffi: one sentence naming the flag", async () => {
  const text = await child([], ["--allow-read", "--quiet"], [COUNTER]);
  assert.equal(
    text,
    "FfiError: expected permission to call libbpf, found none: run with --allow-ffi",
  );
});

const hasSetpriv = (() => {
  try {
    return Deno.uid() === 0 && Deno.statSync("/usr/bin/setpriv").isFile;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "without CAP_BPF: loading says to run as root or grant CAP_BPF",
  ignore: !hasSetpriv,
  fn: async () => {
    // Root with every capability dropped: the bpf() syscall answers EPERM.
    const text = await child(
      ["/usr/bin/setpriv", "--inh-caps=-all", "--bounding-set=-all", "--"],
      ["-A", "--quiet"],
      [COUNTER, "load"],
    );
    assert.match(text, /^FfiError: expected to load object 'object_counter', found EPERM \(1\)/);
    assert.match(text, /run as root, or grant CAP_BPF/);
  },
});

Deno.test("attachAll: tracepoint, raw_tp and tp_btf programs attach, a syscall program is skipped", () => {
  using obj = BpfObject.open(bpfObject("object_attach"));
  const ro = obj.rodata as Record<string, unknown>;
  ro.target_pid = Deno.pid;
  ro.target_tid = threadId();
  ro.nr_getppid = { x86_64: 110, aarch64: 173 }[Deno.build.arch];
  obj.load();
  const links = obj.attachAll();
  assert.deepEqual(links.map((l) => l.program), ["on_tracepoint", "on_raw_tp", "on_tp_btf"]);
  callGetppid(7);
  assert.deepEqual(obj.bss.toObject(), { tracepoint_hits: 7, raw_tp_hits: 7, tp_btf_hits: 7 });
  assert.throws(
    () => obj.program("not_attachable").attach(),
    (e) =>
      e instanceof FfiError && /SEC\("syscall"\), which libbpf cannot auto-attach/.test(e.message),
  );
  links[1].close(); // detach one: the others keep counting
  callGetppid(2);
  assert.deepEqual(obj.bss.toObject(), { tracepoint_hits: 9, raw_tp_hits: 7, tp_btf_hits: 9 });
});

Deno.test("forEach: one batch into reused buffers, cursors rebound per entry; key by key where the kernel cannot batch", () => {
  using obj = BpfObject.open(bpfObject("object_maps")).load();
  const hist = obj.map("hist");
  for (let i = 0; i < 1000; i++) {
    hist.update({ slot: i, cpu: i % 3 }, {
      count: i,
      sum_ns: 2n ** 40n + BigInt(i),
      min_ns: i,
      max_ns: 2 * i,
    });
  }
  const seen = new Map<number, Record<string, unknown>>();
  let lastKey: unknown;
  const n = hist.forEach((k, v, i) => {
    const key = k as View, value = v as View;
    if (i > 0) assert.equal(key, lastKey); // one cursor, rebound
    lastKey = key;
    assert.equal(value.count, BigInt(key.slot as number));
    seen.set(key.slot as number, value.toObject());
  });
  assert.equal(n, 1000);
  assert.equal(seen.size, 1000);
  assert.deepEqual(seen.get(999), { count: 999, sum_ns: 2 ** 40 + 999, min_ns: 999, max_ns: 1998 });
  // Same entries as entries() gives, in the same order; a second read reuses the buffers.
  const slots: number[] = [];
  hist.forEach((k) => slots.push((k as View).slot as number));
  assert.deepEqual(slots, hist.entries().map(([k]) => (k as View).slot));

  const perCpu = obj.map("per_cpu");
  perCpu.update(5, { count: 7 });
  let cpus = 0;
  perCpu.forEach((k, v) => {
    if (k !== 5) return;
    const values = v as View[];
    cpus = values.length;
    assert.ok(values.every((x) => x.count === 7n));
  });
  assert.equal(cpus, perCpu.valuesPerEntry);

  const routes = obj.map("routes"); // LPM tries have no batch lookup
  routes.update({ prefixlen: 24, addr: [10, 0, 0, 0] }, 1);
  routes.update({ prefixlen: 16, addr: [192, 168, 0, 0] }, 2);
  const got: [unknown, unknown][] = [];
  assert.equal(routes.forEach((k, v) => got.push([(k as View).toObject(), v])), 2);
  const byValue = (a: [unknown, unknown], b: [unknown, unknown]) =>
    (a[1] as number) - (b[1] as number);
  const expected = [
    [{ prefixlen: 24, addr: [10, 0, 0, 0] }, 1],
    [{ prefixlen: 16, addr: [192, 168, 0, 0] }, 2],
  ];
  assert.deepEqual(got.sort(byValue), expected);
  assert.deepEqual(
    routes.entries().map(([k, v]): [unknown, unknown] => [(k as View).toObject(), v]).sort(byValue),
    expected,
  );
});

Deno.test("objectBtf lays out the data sections from the symbol table as libbpf does on open", () => {
  for (const name of ["object_counter", "object_attach", "object_perf", "object_maps"]) {
    const path = bpfObject(name);
    using obj = BpfObject.open(path);
    const bytes = Deno.readFileSync(path);
    const ours = objectBtf(bytes);
    assert.equal(dumpRaw(ours), dumpRaw(obj.btf!), name);
    // clang's own BTF has them all at 0: the trap this avoids.
    const raw = parseBtf(bytes);
    if (name === "object_counter") {
      const rodata = raw.type(raw.get(".rodata").id);
      assert.ok(rodata.kind === Kind.DATASEC && rodata.size === 0);
      assert.deepEqual(rodata.vars.map((v) => v.offset), [0, 0, 0, 0, 0, 0, 0]);
      assert.throws(() => raw.view(".rodata"), BtfError); // a view of it would read nothing right
      const offsets = ours.view(".rodata").fields.map((f) => f.bitOffset / 8);
      assert.deepEqual(offsets, [0, 4, 8, 16, 20, 24, 32]);
      assert.equal(ours.view(".bss").size, 40);
    }
  }
});

Deno.test("a forgotten close(): the GC frees links, mappings and the object", async () => {
  const text = await child(
    [],
    ["-A", "--quiet", "--v8-flags=--expose-gc"],
    [COUNTER],
    undefined,
    "object_gc_child.ts",
  );
  const { during, after } = JSON.parse(text);
  assert.ok(during[0] >= 10 && during[1] >= 1, text); // maps, program, link; .bss mapped
  assert.deepEqual(after, [0, 0], text);
});
