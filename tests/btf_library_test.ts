// The library can do what the CLI does: records decoded from byte streams (the decode command's
// loop, chunking and partial-record rule), "these types and everything they need" for the raw and
// JSON dumps, lookups narrowed by kind, memberOffset with array indices, module BTF by name.

import assert from "node:assert/strict";
import {
  type CompositeType,
  decodeRecords,
  dumpJson,
  dumpRaw,
  Kind,
  loadBtf,
  loadModuleBtf,
  memberOffset,
  type RefType,
} from "../mod.ts";
import { BtfError } from "../btf/error.ts";
import { cliSync } from "./tools.ts";

const btf = loadBtf();

Deno.test("library: decodeRecords joins records split across chunks and refuses a partial tail", async () => {
  const V = btf.view<{ next: bigint; prev: bigint }>("list_head");
  const n = 7, size = V.size;
  const bytes = new Uint8Array(n * size);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < n; i++) dv.setBigUint64(i * size, BigInt(i + 1), true);
  // Chunks of 5 bytes: every record is split; a buffer of 2 records forces carry-over.
  const chunks: Uint8Array[] = [];
  for (let p = 0; p < bytes.length; p += 5) chunks.push(bytes.slice(p, p + 5));
  const seen: bigint[] = [];
  for await (const v of decodeRecords(V, chunks, { bufferSize: 2 * size })) seen.push(v.next);
  assert.deepEqual(seen, [1n, 2n, 3n, 4n, 5n, 6n, 7n]);
  // The same from a ReadableStream, then with 3 trailing bytes: the records, then the error.
  const stream = ReadableStream.from([bytes, new Uint8Array(3)]);
  const got: bigint[] = [];
  await assert.rejects(
    async () => {
      for await (const v of decodeRecords(V, stream)) got.push(v.next);
    },
    (e) =>
      e instanceof BtfError &&
      e.message.startsWith(`expected ${size} bytes for record 7 (struct list_head), found 3`) &&
      e.offset === 7 * size,
  );
  assert.equal(got.length, 7);
  // Empty input: no records, no error.
  let count = 0;
  for await (const _ of decodeRecords(V, [])) count++;
  assert.equal(count, 0);
});

Deno.test("library: raw and JSON dumps of types with everything they need, as the CLI prints", () => {
  const ids = btf.findIds("list_head", Kind.STRUCT);
  const raw = dumpRaw(btf, { ids, withDependencies: true });
  assert.equal(raw, cliSync("btf", "dump", "list_head").out);
  assert.match(raw, /STRUCT 'list_head'/);
  assert.match(raw, /PTR '\(anon\)' type_id=\d+/);
  const json = dumpJson(btf, { ids, withDependencies: true });
  assert.deepEqual(json.map((t) => t.kind).sort(), ["PTR", "STRUCT"]);
  const cliJson = cliSync("btf", "dump", "--format", "json", "list_head").out.trim().split("\n");
  assert.deepEqual(json.map((t) => JSON.stringify(t)), cliJson);
});

Deno.test("library: get() and find() with a kind are typed as that kind", () => {
  // These assignments type-check only with the kind-narrowed overloads.
  const task: CompositeType = btf.get("task_struct", Kind.STRUCT);
  const pid: RefType | undefined = btf.find("pid_t", Kind.TYPEDEF);
  assert.ok(task.members.length > 10);
  assert.equal(pid?.name, "pid_t");
});

Deno.test("library: memberOffset takes array indices as offsetof does", () => {
  const id = btf.get("task_struct", Kind.STRUCT).id;
  const comm = memberOffset(btf, id, "comm");
  assert.equal(memberOffset(btf, id, "comm[3]").bitOffset, comm.bitOffset + 3 * 8);
  const tp = btf.get("trace_event_raw_sched_switch", Kind.STRUCT).id;
  const prev = memberOffset(btf, tp, "prev_comm[15]");
  assert.equal(prev.bitOffset / 8, memberOffset(btf, tp, "prev_comm").bitOffset / 8 + 15);
  assert.throws(() => memberOffset(btf, id, "comm[16]"), /index below 16/);
  assert.throws(() => memberOffset(btf, id, "comm[x]"), BtfError);
  assert.throws(() => memberOffset(btf, id, "pid[0]"), /expected an array to index/);
});

Deno.test("library: loadModuleBtf reads /sys/kernel/btf/<module> on vmlinux, names only", () => {
  const modules = [...Deno.readDirSync("/sys/kernel/btf")].map((e) => e.name)
    .filter((n) => n !== "vmlinux");
  if (modules.length) {
    const mod = loadModuleBtf(modules[0], btf);
    assert.equal(mod.startId, btf.count);
    assert.equal(mod.base, btf);
  } else {
    // This kernel has no module BTF (everything built in): a missing module says where it looked.
    assert.throws(
      () => loadModuleBtf("no_such_module_here", btf),
      (e) => e instanceof BtfError && /\/sys\/kernel\/btf\/no_such_module_here/.test(e.message),
    );
  }
  for (const bad of ["", "..", "a/b", "vmlinux", "x\0y"]) {
    assert.throws(() => loadModuleBtf(bad, btf), /expected a kernel module name/);
  }
});
