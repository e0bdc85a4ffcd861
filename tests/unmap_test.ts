// Closing mapped memory without detaching its ArrayBuffer (ffi/unmap.ts): zero pages take the
// mapping's place, a view kept over it reads zeros, and the zero pages are unmapped once the
// buffer is garbage collected. The closes of each kind (ring buffer, perf ring, globals, mapped
// file) are tested with their kind; here, the collection, and a Btf over a closed file's bytes.
import assert from "node:assert/strict";
import { BtfError, KERNEL_BTF_PATH, mapBtf, mapFile, parseBtf } from "../mod.ts";
import { buildDir, clangBpf, denoRun } from "./tools.ts";

Deno.test("close: the zero pages left for kept views are unmapped once the buffer is collected", () => {
  // A 1 MiB ring: its zero pages are not mistaken for other anonymous memory.
  const obj = `${buildDir("unmap")}ringbuf_1m.o`;
  clangBpf(new URL("./bpf/ringbuf.bpf.c", import.meta.url).pathname, obj, [
    `-DRING_SIZE=${1 << 20}`,
    `-I/usr/include/${Deno.build.arch}-linux-gnu`,
  ]);
  const child = new URL("./unmap_gc_child.ts", import.meta.url).pathname;
  const r = new Deno.Command(Deno.execPath(), {
    args: denoRun("-A", "--quiet", "--v8-flags=--expose-gc", child, obj),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  const err = new TextDecoder().decode(r.stderr);
  assert.equal(r.code, 0, err);
  const got = JSON.parse(new TextDecoder().decode(r.stdout));
  assert.deepEqual(got.closed, { file: true, ring: true }, "zero pages after the close");
  assert.equal(got.read, 0, "a kept view read zeros");
  assert.equal(got.detached, false);
  assert.deepEqual(got.collected, { file: true, ring: true }, `after ${got.rounds} collections`);
});

Deno.test("close: a Btf parsed over a mapped file's bytes reads zeros after the file closes: typed errors, no crash", () => {
  const file = mapFile(KERNEL_BTF_PATH);
  const btf = parseBtf(file.bytes);
  const id = btf.findIds("task_struct")[0];
  file.close();
  for (const use of [() => btf.type(id), () => btf.view(id), () => btf.nameOf(id)]) {
    try {
      use();
    } catch (e) {
      assert.ok(e instanceof BtfError, String(e));
    }
  }
  // mapBtf's close closes its Btf too: every use says so.
  const m = mapBtf();
  m.close();
  assert.throws(() => m.btf.type(1), (e) => e instanceof BtfError && /closed/.test(e.message));
  assert.equal((m.btf.bytes.buffer as ArrayBuffer).detached, false);
});
