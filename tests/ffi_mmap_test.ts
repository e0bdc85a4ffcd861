// BTF read in place from mapped files, checked against the read path and
// bpftool; closing detaches every view before the unmap.
import assert from "node:assert/strict";
import {
  dumpRawBytes,
  FfiError,
  KERNEL_BTF_PATH,
  Kind,
  loadBtf,
  mapBtf,
  mapFile,
  parseBtf,
} from "../mod.ts";
import { buildDir, clangBpf, denoRun, isZeroPages, mappingAt, sh, shBytes } from "./tools.ts";

const BUILD = buildDir("ffi_mmap");

Deno.test("mapBtf: the kernel's BTF mapped in place equals the read one and bpftool", () => {
  using mapped = mapBtf();
  assert.equal(mapped.mapped, true, "this kernel (6.16+) maps /sys/kernel/btf/vmlinux");
  const read = loadBtf();
  assert.equal(mapped.btf.count, read.count);
  assert.deepEqual(
    mapped.btf.findIds("task_struct", Kind.STRUCT),
    read.findIds("task_struct", Kind.STRUCT),
  );
  const ours = dumpRawBytes(mapped.btf);
  const ref = shBytes("bpftool", ["btf", "dump", "file", KERNEL_BTF_PATH]);
  assert.ok(ours.length === ref.length && ours.every((b, i) => b === ref[i]), "raw dump differs");
});

Deno.test("mapFile: close unmaps the file; views kept over its bytes read zeros, not freed memory", () => {
  const file = mapFile(KERNEL_BTF_PATH);
  const bytes = file.bytes;
  const view = new DataView(file.bytes.buffer);
  assert.equal(file.bytes[0], 0x9f);
  assert.equal(view.getUint16(0, true), 0xeb9f);
  assert.ok(mappingAt(bytes)!.endsWith(KERNEL_BTF_PATH));
  file.close();
  assert.equal(file.closed, true);
  // Not detached (that would slow every later typed array read of the process): zero pages.
  assert.equal((bytes.buffer as ArrayBuffer).detached, false);
  assert.equal(bytes.length, view.byteLength);
  assert.equal(bytes[0], 0);
  assert.equal(view.getUint16(0, true), 0);
  assert.equal(bytes.at(-1), 0);
  assert.ok(isZeroPages(mappingAt(bytes)), mappingAt(bytes));
  assert.throws(() => file.bytes, (e) => e instanceof FfiError && /closed/.test(e.message));
  file.close(); // twice is fine
});

Deno.test("mapFile: an ELF object's .BTF parses in place (unaligned section)", () => {
  const obj = `${BUILD}btf_kinds.o`;
  clangBpf(new URL("./bpf/btf_kinds.bpf.c", import.meta.url).pathname, obj);
  using file = mapFile(obj);
  const btf = parseBtf(file.bytes);
  assert.deepEqual(
    [...btf.types()].map((t) => t.name),
    [...loadBtf(obj).types()].map((t) => t.name),
  );
});

Deno.test("mapFile/mapBtf: missing files and missing permissions say what to do", () => {
  assert.throws(
    () => mapFile("/nonexistent/btf"),
    (e: unknown) =>
      e instanceof FfiError && e.errno === 2 &&
      /expected to open \/nonexistent\/btf, found ENOENT/.test(e.message),
  );
  // Without --allow-ffi, mapBtf reads the file instead. (A copy: Deno opens
  // files under /sys only with --allow-all, which includes FFI.)
  const copy = `${BUILD}vmlinux.btf`;
  Deno.copyFileSync(KERNEL_BTF_PATH, copy);
  const script = `${BUILD}no_ffi.ts`;
  Deno.writeTextFileSync(
    script,
    `import { mapBtf } from "${new URL("../mod.ts", import.meta.url).href}";\n` +
      `using m = mapBtf(${
        JSON.stringify(copy)
      });\nconsole.log(JSON.stringify([m.mapped, m.btf.count]));\n`,
  );
  const [mapped, count] = JSON.parse(sh(Deno.execPath(), denoRun("--allow-read", script)));
  assert.equal(mapped, false);
  assert.equal(count, loadBtf().count);
  // Reading the kernel's own file with only --allow-read: one sentence naming the flag.
  Deno.writeTextFileSync(
    script,
    `import { loadBtf } from "${new URL("../mod.ts", import.meta.url).href}";\n` +
      `try { loadBtf(); } catch (e) { console.log(JSON.stringify(e.message)); }\n`,
  );
  const message = JSON.parse(sh(Deno.execPath(), denoRun("--allow-read", script)));
  assert.match(message, /--allow-all/);
  // With --allow-ffi as well, mapping needs no more than --allow-read.
  Deno.writeTextFileSync(
    script,
    `import { mapBtf } from "${new URL("../mod.ts", import.meta.url).href}";\n` +
      `using m = mapBtf();\nconsole.log(JSON.stringify([m.mapped, m.btf.count]));\n`,
  );
  const [kernelMapped, kernelCount] = JSON.parse(
    sh(Deno.execPath(), denoRun("--allow-read", "--allow-ffi", script)),
  );
  assert.deepEqual([kernelMapped, kernelCount], [true, loadBtf().count]);
});
