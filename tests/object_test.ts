// BPF objects through libbpf, on the real kernel: objects built with clang
// from tests/bpf/object_*.bpf.c, loaded and attached, triggered by this
// process (getppid), read back through maps and globals. Other tests load
// BPF programs at the same time: the program counts only this process.
import assert from "node:assert/strict";
import { BpfObject, FfiError, MapType } from "../mod.ts";
import { buildDir, denoRun, sh } from "./tools.ts";

const HERE = new URL(".", import.meta.url).pathname;
const BUILD = buildDir("object");

/** `clang -g -O2 -target bpf` of tests/bpf/NAME.bpf.c into tests/build/object/NAME.o. */
function buildBpf(name: string): string {
  const out = `${BUILD}${name}.o`;
  let arch = "x86_64-linux-gnu";
  try {
    arch = sh("cc", ["-print-multiarch"]).trim() || arch;
  } catch { /* keep the default */ }
  sh("clang", [
    "-g",
    "-O2",
    "-target",
    "bpf",
    `-I/usr/include/${arch}`,
    "-c",
    `${HERE}bpf/${name}.bpf.c`,
    "-o",
    out,
  ]);
  return out;
}

const COUNTER = buildBpf("object_counter");
const REJECT = buildBpf("object_reject");

/** Calls getppid() `n` times from this process (Deno.ppid is a getppid call each time). */
function trigger(n: number): void {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Deno.ppid;
  assert.ok(sum > 0);
}

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
  trigger(3);
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
      /not a proper ELF object/.test(e.message),
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
      /BEGIN PROG LOAD LOG/.test(e.log),
  );
  assert.equal(rej.loaded, false);
});

Deno.test("libbpf missing: the override points at a missing file, one install sentence", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: denoRun("-A", "--quiet", `${HERE}object_child.ts`, COUNTER),
    env: { BPFVIEW_LIBBPF: "/nonexistent/libbpf.so.1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout).trim();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.match(text, /^FfiError: expected libbpf 1.x, found none/);
  assert.match(text, /\/nonexistent\/libbpf\.so\.1/);
  assert.match(text, /apt-get install libbpf1/);
  assert.equal(text.split("\n").length, 1);
});
