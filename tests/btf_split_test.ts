// Split BTF (module BTF on top of a base). This kernel has no module BTF, so
// the tests build module-style blobs with BtfBuilder on top of a small base
// and on top of the real /sys/kernel/btf/vmlinux, and compare with bpftool.

import assert from "node:assert/strict";
import { assertMatchesBpftool, BtfBuilder } from "./btf_builder.ts";
import { bpftoolRaw } from "./tools.ts";
import { dumpRaw } from "../btf/dump_raw.ts";
import { KERNEL_BTF_PATH, loadBtf, parseBtf } from "../btf/parse.ts";
import { BtfError } from "../btf/error.ts";
import { Kind } from "../btf/kinds.ts";
import {
  alignOf,
  closure,
  declaration,
  fieldsOf,
  layoutOf,
  memberOffset,
  resolveType,
  sizeOf,
} from "../btf/layout.ts";

const BUILD = new URL("./build/", import.meta.url).pathname;
Deno.mkdirSync(BUILD, { recursive: true });

/** A small base: the types a module would refer to. */
function smallBase() {
  const b = new BtfBuilder();
  const int = b.int("int", 4, { signed: true });
  const u64 = b.int("long long unsigned int", 8);
  const long = b.int("long int", 8, { signed: true });
  const u64t = b.typedef("u64", u64);
  const listHead = b.fwd("list_head"); // full definition below, after its pointer
  const lhPtr = b.ptr(listHead);
  const lh = b.struct("list_head", 16, [
    { name: "next", type: lhPtr, bitOffset: 0 },
    { name: "prev", type: lhPtr, bitOffset: 64 },
  ]);
  const opaque = b.fwd("opaque"); // completed only in the split
  const flags = b.enum("base_flags", 4, [["BF_A", 1], ["BF_B", 2]]);
  const blob = b.build();
  const path = BUILD + "btf_split_small_base.btf";
  Deno.writeFileSync(path, blob);
  return { blob, path, ids: { int, u64, long, u64t, listHead, lhPtr, lh, opaque, flags } };
}

Deno.test("split on a small base: ids, strings, lookups across base and split", () => {
  const base = smallBase();
  const baseBtf = parseBtf(base.blob);
  const b = new BtfBuilder({ base: baseBtf });
  assert.equal(b.nextId, baseBtf.count);
  // Names the base already has reuse the base's string offsets.
  assert.equal(b.str("int"), baseBtf.type(base.ids.int).nameOff);
  assert.equal(b.str("list_head"), baseBtf.type(base.ids.lh).nameOff);
  assert.ok(b.str("opaque_body") >= baseBtf.startStr + baseBtf.stringsLength);
  const { int, u64t, lh, opaque, flags } = base.ids;
  const opaqueFull = b.struct("opaque", 24, [
    { name: "head", type: lh, bitOffset: 0 },
    { name: "count", type: u64t, bitOffset: 128 },
  ]);
  const ptrOpaque = b.ptr(opaque);
  const anon = b.union("", 8, [
    { name: "as_int", type: int, bitOffset: 0 },
    { name: "as_u64", type: u64t, bitOffset: 0 },
  ]);
  const state = b.struct("mod_state", 56, [
    { name: "o", type: ptrOpaque, bitOffset: 0 },
    { name: "list", type: lh, bitOffset: 64 },
    { name: "", type: anon, bitOffset: 192 },
    { name: "flags", type: flags, bitOffset: 256, bitfieldSize: 3 },
    { name: "mode", type: int, bitOffset: 259, bitfieldSize: 5 },
    { name: "arr", type: b.array(int, int, 4), bitOffset: 288 },
  ]);
  const cstate = b.const(state);
  const stateT = b.typedef("mod_state_t", cstate);
  const proto = b.funcProto(int, [{ name: "s", type: b.ptr(stateT) }, { name: "n", type: u64t }]);
  const fn = b.func("mod_init", proto, 1);
  const blob = b.build();
  const path = BUILD + "btf_split_small.btf";
  Deno.writeFileSync(path, blob);

  const split = parseBtf(blob, { base: baseBtf });
  assert.equal(split.base, baseBtf);
  assert.equal(split.startId, baseBtf.count);
  assert.equal(split.startStr, baseBtf.stringsLength);
  assert.equal(split.count, b.nextId);
  assert.equal(opaqueFull, split.startId);
  // Base ids answer through the split object, with the base's own objects.
  for (let id = 1; id < baseBtf.count; id++) {
    assert.equal(split.kindOf(id), baseBtf.kindOf(id));
    assert.equal(split.nameOf(id), baseBtf.nameOf(id));
    assert.equal(split.type(id), baseBtf.type(id));
  }
  assert.equal(split.kindOf(0), 0);
  assert.equal(split.nameOf(state), "mod_state");
  assert.equal(split.nameOf(fn), "mod_init");
  // Types of the split carry base string offsets for base names.
  const st = split.type(state);
  assert.ok(st.kind === Kind.STRUCT);
  assert.equal(st.members[1].nameOff, b.str("list"));
  assert.equal(split.str(baseBtf.type(int).nameOff), "int");
  // find/findIds/get search the base first, then the split.
  assert.deepEqual(split.findIds("opaque"), [opaque, opaqueFull]);
  assert.equal(split.find("opaque")?.id, opaqueFull, "find prefers the full struct, as get does");
  assert.equal(split.get("opaque").id, opaqueFull, "get prefers the full struct");
  assert.equal(split.find("opaque", Kind.FWD)?.id, opaque);
  assert.deepEqual(split.findIds("int", Kind.INT), [int]);
  assert.equal(split.get("mod_state_t").id, stateT);
  assert.deepEqual(split.findIds("list_head"), [base.ids.listHead, lh]);
  assert.equal(split.find("no_such_type"), undefined);
  assert.throws(() => split.get("no_such_type"), BtfError);
  assert.deepEqual([...split.types()].map((t) => t.id)[0], split.startId);
  // The base alone knows nothing of the split.
  assert.equal(baseBtf.find("mod_state"), undefined);
  assert.throws(() => baseBtf.type(state), BtfError);
  assert.throws(() => split.type(split.count), BtfError);
  // Layout through the split.
  assert.equal(sizeOf(split, state), 56);
  assert.equal(sizeOf(split, stateT), 56);
  assert.equal(alignOf(split, state), 8);
  assert.equal(resolveType(split, stateT), state);
  assert.deepEqual(
    fieldsOf(split, stateT).map((f) => [f.name, f.offset, f.bitfieldSize]),
    [["o", 0, 0], ["list", 8, 0], ["as_int", 24, 0], ["as_u64", 24, 0], ["flags", 32, 3], [
      "mode",
      32,
      5,
    ], ["arr", 36, 0]],
  );
  assert.equal(memberOffset(split, state, "list.prev").bitOffset, 128);
  assert.equal(sizeOf(split, opaqueFull), 24);
  assert.equal(declaration(split, ptrOpaque, "o"), "struct opaque *o");
  assert.equal(declaration(split, proto, "fn"), "int fn(mod_state_t *, u64)");
  const rows = layoutOf(split, state);
  assert.equal(rows.find((r) => r.member === "list")?.type, "struct list_head");
  assert.equal(rows.find((r) => r.member === "arr")?.size, 16);
  const cl = closure(split, [fn]);
  assert.ok(cl.includes(fn) && cl.includes(state) && cl.includes(lh) && cl.includes(int));
  assert.ok(cl.includes(base.ids.lhPtr) && cl.includes(base.ids.listHead));

  // bpftool agrees, type by type (JSON) and line by line (raw text).
  assertMatchesBpftool(split, path, base.path);
  assert.equal(dumpRaw(split), bpftoolRaw(path, base.path));
});

Deno.test("split of a split: ids and strings continue through the chain", () => {
  const base = parseBtf(smallBase().blob);
  const b1 = new BtfBuilder({ base });
  const a = b1.struct("first", 8, [{ name: "x", type: base.get("u64").id, bitOffset: 0 }]);
  const s1 = parseBtf(b1.build(), { base });
  const b2 = new BtfBuilder({ base: s1 });
  assert.equal(b2.nextId, s1.count);
  assert.equal(b2.str("first"), s1.type(a).nameOff, "strings of the middle blob are reused");
  const c = b2.struct("second", 16, [
    { name: "f", type: a, bitOffset: 0 },
    { name: "y", type: base.get("int").id, bitOffset: 64 },
  ]);
  const s2 = parseBtf(b2.build(), { base: s1 });
  assert.equal(s2.startId, s1.count);
  assert.equal(s2.startStr, s1.startStr + s1.stringsLength);
  assert.equal(s2.nameOf(a), "first");
  assert.equal(s2.get("second").id, c);
  assert.equal(sizeOf(s2, c), 16);
  assert.deepEqual(fieldsOf(s2, c).map((f) => f.name), ["f", "y"]);
  assert.equal(memberOffset(s2, c, "f.x").bitOffset, 0);
});

Deno.test("split BTF must match its base's byte order and need not start with an empty string", () => {
  const base = parseBtf(smallBase().blob);
  const be = new BtfBuilder({ base, littleEndian: false });
  be.typedef("t", 1);
  assert.throws(() => parseBtf(be.build(), { base }), BtfError);
  // No types, no strings: an empty split is valid.
  const empty = parseBtf(new BtfBuilder({ base }).build(), { base });
  assert.equal(empty.count, base.count);
  assert.equal(empty.stringsLength, 0);
});

Deno.test({
  name: "split on the kernel's vmlinux: a module-style struct, layout and bpftool -B",
  ignore: (() => {
    try {
      Deno.statSync(KERNEL_BTF_PATH);
      return false;
    } catch {
      return true;
    }
  })(),
  fn: () => {
    const vmlinux = loadBtf();
    const task = vmlinux.get("task_struct", Kind.STRUCT).id;
    const listHead = vmlinux.get("list_head", Kind.STRUCT).id;
    const u64 = vmlinux.get("u64", Kind.TYPEDEF).id;
    const int = vmlinux.find("int", Kind.INT)!.id;
    const spinlock = vmlinux.get("spinlock_t", Kind.TYPEDEF).id;

    const b = new BtfBuilder({ base: vmlinux });
    assert.equal(b.nextId, vmlinux.count);
    // "task_struct" exists in the base string table: no new bytes needed.
    const before = b.stringsLength;
    b.str("task_struct");
    assert.equal(b.stringsLength, before);
    const taskPtr = b.ptr(task);
    const state = b.struct("my_mod_state", 32, [
      { name: "t", type: taskPtr, bitOffset: 0 },
      { name: "l", type: listHead, bitOffset: 64 },
      { name: "x", type: u64, bitOffset: 192 },
    ]);
    const spinSize = sizeOf(vmlinux, spinlock);
    const locked = b.struct("my_mod_locked", 32 + Math.ceil(spinSize / 8) * 8, [
      { name: "s", type: state, bitOffset: 0 },
      { name: "lock", type: spinlock, bitOffset: 256 },
    ]);
    const proto = b.funcProto(int, [{ name: "st", type: b.ptr(state) }]);
    const fn = b.func("my_mod_handler", proto, 1);
    const v = b.var("my_mod_counter", u64, 1);
    b.datasec(".data..percpu", 8, [{ type: v, offset: 0, size: 8 }]);
    const blob = b.build();
    const path = BUILD + "btf_split_vmlinux.btf";
    Deno.writeFileSync(path, blob);

    const split = parseBtf(blob, { base: vmlinux });
    assert.equal(split.startId, vmlinux.count);
    assert.equal(split.count, vmlinux.count + 8);
    assert.equal(taskPtr, vmlinux.count);
    assert.equal(split.startStr, vmlinux.stringsLength);
    assert.equal(split.nameOf(state), "my_mod_state");
    assert.equal(split.get("my_mod_state").id, state);
    assert.equal(split.get("task_struct").id, task);
    assert.equal(split.kindOf(task), Kind.STRUCT);
    assert.equal(split.type(task), vmlinux.type(task));
    assert.equal(split.nameOf(listHead), "list_head");
    assert.equal(split.pointerSize, 8);
    assert.deepEqual(split.findIds("my_mod_handler", Kind.FUNC), [fn]);

    assert.equal(sizeOf(split, state), 32);
    assert.equal(alignOf(split, state), 8);
    assert.deepEqual(
      fieldsOf(split, state).map((f) => [f.name, f.offset]),
      [["t", 0], ["l", 8], ["x", 24]],
    );
    assert.equal(memberOffset(split, state, "l.prev").bitOffset, 128);
    assert.equal(declaration(split, taskPtr, "t"), "struct task_struct *t");
    assert.equal(
      layoutOf(split, locked).map((r) => r.member).join(","),
      "s,lock",
    );
    assert.equal(sizeOf(split, locked), 32 + Math.ceil(spinSize / 8) * 8);
    const cl = closure(split, [state]);
    assert.ok(cl.includes(task) && cl.includes(listHead) && cl.includes(state));

    assertMatchesBpftool(split, path, KERNEL_BTF_PATH);
    assert.equal(dumpRaw(split), bpftoolRaw(path, KERNEL_BTF_PATH));
  },
});
