// openBtf, the one way to open BTF files: it maps where it can (the kernel's BTF, objects) and
// reads where it must (no --allow-ffi), gives the same types either way, takes a base as a path
// or a Btf, keeps the mapping while the Btf is reachable (through garbage collections), and
// says which flag is missing when it can do neither.
import assert from "node:assert/strict";
import { dumpRawBytes, KERNEL_BTF_PATH, Kind, loadBtf, openBtf, parseBtf } from "../mod.ts";
import { BtfBuilder } from "./btf_builder.ts";
import { buildDir, denoRun, ROOT } from "./tools.ts";

const BUILD = buildDir("btf_open");

/** Runs `code` as a module in a child Deno with `flags`; returns its exit code, stdout, stderr. */
function child(flags: string[], code: string): { code: number; out: string; err: string } {
  const file = `${BUILD}child_${crypto.randomUUID()}.ts`;
  Deno.writeTextFileSync(file, code.replaceAll("MOD", `${ROOT}mod.ts`));
  const r = new Deno.Command(Deno.execPath(), {
    args: denoRun(...flags, file),
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  Deno.removeSync(file);
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

Deno.test("openBtf: the kernel's BTF, mapped, with the types loadBtf reads", () => {
  const mapped = openBtf();
  const read = loadBtf(KERNEL_BTF_PATH);
  assert.equal(mapped.count, read.count);
  const id = mapped.findIds("task_struct", Kind.STRUCT)[0];
  assert.equal(id, read.findIds("task_struct", Kind.STRUCT)[0]);
  assert.deepEqual(mapped.type(id), read.type(id));
  assert.deepEqual(dumpRawBytes(mapped), dumpRawBytes(read));
});

Deno.test("openBtf: split BTF on a base given as a path or as a Btf", () => {
  const base = openBtf();
  const b = new BtfBuilder({ base });
  b.struct("split_only", 8, [{ name: "x", type: base.get("u64").id, bitOffset: 0 }]);
  const file = `${BUILD}split.btf`;
  Deno.writeFileSync(file, b.build());
  for (const split of [openBtf(file, { base: KERNEL_BTF_PATH }), openBtf(file, { base })]) {
    const t = split.get("split_only", Kind.STRUCT);
    assert.equal(t.kind === Kind.STRUCT && t.members[0].type, base.get("u64").id);
    assert.equal(split.startId, base.count);
  }
});

Deno.test("openBtf: reads where it cannot map, and names the flag it lacks", () => {
  const b = new BtfBuilder();
  b.int("int", 4, { signed: true });
  const file = `${BUILD}plain.btf`;
  Deno.writeFileSync(file, b.build());
  // No --allow-ffi: a file outside /sys is read.
  const read = child(
    [`--allow-read=${BUILD},${ROOT}`],
    `import { openBtf } from "MOD"; console.log(openBtf(${JSON.stringify(file)}).nameOf(1));`,
  );
  assert.equal(read.code, 0, read.err);
  assert.equal(read.out.trim(), "int");
  // No --allow-ffi and the kernel's BTF: Deno reads /sys only with -A; the error says so.
  const sys = child(
    ["--allow-read"],
    `import { BtfError, openBtf } from "MOD";
     try { openBtf(); console.log("opened"); } catch (e) { console.log(e instanceof BtfError, e.message); }`,
  );
  assert.equal(sys.code, 0, sys.err);
  assert.match(sys.out, /^true expected to map or read .*--allow-ffi.*--allow-all/m);
  // --allow-read --allow-ffi is enough for /sys: mapped.
  const ffi = child(
    ["--allow-read", "--allow-ffi"],
    `import { Kind, openBtf } from "MOD"; console.log(openBtf().findIds("task_struct", Kind.STRUCT).length);`,
  );
  assert.equal(ffi.code, 0, ffi.err);
  assert.equal(ffi.out.trim(), "1");
});

Deno.test("openBtf: the mapping outlives garbage collections while the Btf is reachable", () => {
  const r = child(
    ["-A", "--v8-flags=--expose-gc"],
    `import { dumpRawBytes, openBtf } from "MOD";
     const gc = (globalThis as unknown as { gc: () => void }).gc;
     const btfs = [];
     for (let i = 0; i < 20; i++) { btfs.push(openBtf()); openBtf(); gc(); }
     let n = 0;
     for (const btf of btfs) n += dumpRawBytes(btf, { ids: [1, btf.count - 1] }).length;
     const bytes = openBtf().bytes; // only the bytes kept
     gc(); gc();
     console.log(n > 0, bytes[0] === 0x9f);`,
  );
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out.trim(), "true true");
});

Deno.test("openBtf: mappings nothing can read any more are unmapped", () => {
  const r = child(
    ["-A", "--v8-flags=--expose-gc"],
    `import { openBtf } from "MOD";
     const gc = (globalThis as unknown as { gc: () => void }).gc;
     const count = () => Deno.readTextFileSync("/proc/self/maps").split("\\n")
       .filter((l) => l.endsWith("/sys/kernel/btf/vmlinux")).length;
     const kept = openBtf();
     for (let i = 0; i < 20; i++) openBtf().findIds("task_struct");
     const most = count();
     let now = most;
     for (let i = 0; i < 100 && now > 1; i++) {
       gc();
       await new Promise((r) => setTimeout(r, 10));
       now = count();
     }
     console.log(most, now, kept.findIds("task_struct").length);`,
  );
  assert.equal(r.code, 0, r.err);
  const [most, now, found] = r.out.trim().split(" ").map(Number);
  assert.ok(most >= 21, `expected 21 mappings before collection, found ${most}`);
  assert.equal(now, 1, "only the Btf still reachable stays mapped");
  assert.equal(found, 1);
});

Deno.test("openBtf: a BPF object's BTF, as parseBtf of its bytes", () => {
  const obj = `${BUILD}kinds.o`;
  const src = new URL("./bpf/btf_kinds.bpf.c", import.meta.url).pathname;
  new Deno.Command("clang", { args: ["-g", "-O2", "-target", "bpf", "-c", src, "-o", obj] })
    .outputSync();
  assert.deepEqual(dumpRawBytes(openBtf(obj)), dumpRawBytes(parseBtf(Deno.readFileSync(obj))));
});
