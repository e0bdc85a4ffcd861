// The `btf dump` and `btf layout` commands, run as a user would run them,
// against bpftool's output for the same files.
import assert from "node:assert/strict";
import { BtfBuilder } from "./btf_builder.ts";
import { loadBtf } from "../mod.ts";
import { cliSync as cli } from "./tools.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const BUILD = `${ROOT}tests/build/cli/`;
Deno.mkdirSync(BUILD, { recursive: true });
const dec = new TextDecoder();

function run(cmd: string, args: string[]) {
  const r = new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped" })
    .outputSync();
  return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

function bpfObject(): string {
  const obj = `${BUILD}btf_kinds.o`;
  const r = run("clang", [
    "-g",
    "-O2",
    "-target",
    "bpf",
    "-c",
    `${ROOT}tests/bpf/btf_kinds.bpf.c`,
    "-o",
    obj,
  ]);
  assert.equal(r.code, 0, r.err);
  return obj;
}

Deno.test("cli: btf dump (raw, default file) is bpftool's text", () => {
  const ours = cli("btf", "dump");
  assert.equal(ours.code, 0, ours.err);
  const ref = run("bpftool", ["btf", "dump", "file", "/sys/kernel/btf/vmlinux"]);
  assert.ok(ours.out === ref.out, "raw dump differs from bpftool");
});

Deno.test("cli: btf dump --file OBJ (raw and json) follows bpftool", () => {
  const obj = bpfObject();
  const raw = cli("btf", "dump", "--file", obj, "--format", "raw");
  assert.equal(raw.code, 0, raw.err);
  assert.equal(raw.out, run("bpftool", ["btf", "dump", "file", obj]).out);
  const json = cli("btf", "dump", "--file", obj, "--format", "json");
  assert.equal(json.code, 0, json.err);
  const lines = json.out.trimEnd().split("\n").map((l) => JSON.parse(l));
  const ref = JSON.parse(run("bpftool", ["-j", "btf", "dump", "file", obj]).out).types;
  assert.equal(lines.length, ref.length);
  assert.deepEqual(
    lines.map((t) => [t.id, t.kind, t.name]),
    ref.map((t: { id: number; kind: string; name: string }) => [t.id, t.kind, t.name]),
  );
});

Deno.test("cli: btf dump TYPE gives that type and what it needs, in C that compiles", () => {
  const c = cli("btf", "dump", "--format", "c", "trace_event_raw_sched_switch");
  assert.equal(c.code, 0, c.err);
  assert.match(c.out, /struct trace_event_raw_sched_switch \{/);
  assert.match(c.out, /struct trace_entry \{/);
  assert.ok(c.out.length < 10_000, "only the named type's closure");
  const h = `${BUILD}sched_switch.h`;
  Deno.writeTextFileSync(h, c.out);
  const src = `${BUILD}use_sched_switch.c`;
  Deno.writeTextFileSync(
    src,
    `#include "sched_switch.h"\n_Static_assert(__builtin_offsetof(struct trace_event_raw_sched_switch, next_pid) == 56, "next_pid");\n`,
  );
  const r = run("clang", ["-target", "bpf", "-fsyntax-only", "-I", BUILD, src]);
  assert.equal(r.code, 0, r.err);
  const raw = cli("btf", "dump", "pid_t");
  assert.equal(raw.code, 0, raw.err);
  assert.deepEqual(
    raw.out.trimEnd().split("\n").map((l) => l.split(" ").slice(1, 3).join(" ")),
    ["INT 'int'", "TYPEDEF '__kernel_pid_t'", "TYPEDEF 'pid_t'"],
  );
});

Deno.test("cli: btf layout prints offsets bpftool agrees with; --json too", () => {
  const table = cli("btf", "layout", "trace_event_raw_sched_switch");
  assert.equal(table.code, 0, table.err);
  assert.match(table.out, /^struct trace_event_raw_sched_switch \{\n/);
  assert.match(table.out, /\n\tpid_t +next_pid; +\/\* +56 +4 \*\/\n/);
  assert.match(table.out, /\n\t\/\* size: 64, cachelines: 1, members: 9 \*\/\n/);
  const json = cli("btf", "layout", "trace_event_raw_sched_switch", "--json");
  const lay = JSON.parse(json.out);
  const ref = JSON.parse(
    run("bpftool", ["-j", "btf", "dump", "file", "/sys/kernel/btf/vmlinux"]).out,
  )
    .types.find((t: { name: string; kind: string }) =>
      t.name === "trace_event_raw_sched_switch" && t.kind === "STRUCT"
    );
  assert.equal(lay.size, ref.size);
  assert.deepEqual(
    lay.members.map((m: { name: string; offset: number }) => [m.name, m.offset * 8]),
    ref.members.map((m: { name: string; bits_offset: number }) => [m.name, m.bits_offset]),
  );
  assert.equal(lay.cachelines, 1);
  assert.deepEqual([lay.padding, lay.holes], [0, []]);
  // Bitfields show their bit position and width.
  const obj = bpfObject();
  const bits = JSON.parse(cli("btf", "layout", "--file", obj, "bits", "--json").out);
  assert.ok(bits.members.some((m: { bits: number }) => m.bits > 0));
});

Deno.test("cli: split BTF with --base", () => {
  const vmlinux = loadBtf();
  const b = new BtfBuilder({ base: vmlinux });
  const task = vmlinux.get("task_struct").id;
  const ptr = b.ptr(task);
  b.struct("cli_mod_state", 16, [
    { name: "t", type: ptr, bitOffset: 0 },
    { name: "x", type: vmlinux.get("u64").id, bitOffset: 64 },
  ]);
  const file = `${BUILD}cli_split.btf`;
  Deno.writeFileSync(file, b.build());
  const ours = cli("btf", "dump", "--file", file, "--base", "/sys/kernel/btf/vmlinux");
  assert.equal(ours.code, 0, ours.err);
  const ref = run("bpftool", ["-B", "/sys/kernel/btf/vmlinux", "btf", "dump", "file", file]);
  assert.equal(ours.out, ref.out);
  const lay = cli(
    "btf",
    "layout",
    "cli_mod_state",
    "--file",
    file,
    "--base",
    "/sys/kernel/btf/vmlinux",
  );
  assert.match(lay.out, /\n\tu64 +x; +\/\* +8 +8 \*\/\n/);
});

Deno.test("cli: bad input prints one line and exits 1", () => {
  const junk = `${BUILD}junk.btf`;
  Deno.writeFileSync(
    junk,
    new Uint8Array([0x9f, 0xeb, 1, 0, 24, 0, 0, 0, 0, 0, 0, 0, 99, 0, 0, 0]),
  );
  for (
    const args of [
      ["btf", "dump", "--file", junk],
      ["btf", "dump", "--file", "/nonexistent.btf"],
      ["btf", "layout", "no_such_type_anywhere"],
      ["btf", "layout", "pid_t"],
      ["btf", "dump", "--format", "c", "no_such_type_anywhere"],
      ["btf", "dump", "--format", "c", "--int64", "safe", "pid_t"],
      ["btf", "dump", "--enums", "name", "pid_t"],
    ]
  ) {
    const r = cli(...args);
    assert.equal(r.code, 1, `${args.join(" ")}: exit ${r.code}`);
    assert.equal(r.out, "");
    assert.equal(r.err.trimEnd().split("\n").length, 1, r.err);
    assert.match(r.err, /^bpfview: expected /);
  }
  assert.match(
    cli("btf", "dump", "--enums", "const", "pid_t").err,
    /^bpfview: expected --enums only with --format ts, found --format raw\n$/,
  );
});

Deno.test("cli: btf dump --format ts TYPE --file OBJ --int64 safe: the declarations of that type", () => {
  const obj = bpfObject();
  const r = cli("btf", "dump", "--format", "ts", "--file", obj, "--int64", "safe", "kitchen_sink");
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, "");
  assert.match(r.out, /^\/\/ .*\(int64: "safe"\): do not edit\.\n/);
  assert.match(r.out, /\nexport interface kitchen_sink \{\n/);
  assert.match(r.out, /\n {2}readonly [a-z0-9_]+: number \| bigint;\n/); // a 64-bit member
  assert.doesNotMatch(r.out, /: bigint;/);
});

Deno.test("cli: btf dump --format c of clashing, forward-only and typedef names compiles", () => {
  const b = new BtfBuilder();
  const int = b.int("int", 4, { signed: true });
  const char = b.int("char", 1, { signed: true });
  const foo = b.struct("foo", 8, [
    { name: "a", type: int, bitOffset: 0 },
    { name: "b", type: int, bitOffset: 32 },
  ]);
  b.typedef("foo", b.ptr(foo)); // typedef struct foo *foo;
  const bar = b.fwd("bar");
  b.typedef("cb_t", b.ptr(b.funcProto(int, [{ name: "p", type: b.ptr(bar) }])));
  b.typedef("handler_t", b.funcProto(0, [{ name: "", type: int }, { name: "", type: 0 }]));
  b.struct("dup", 4, [{ name: "x", type: int, bitOffset: 0 }]);
  b.struct("dup", 2, [{ name: "c", type: char, bitOffset: 8 }]);
  const file = `${BUILD}cli_clash.btf`;
  Deno.writeFileSync(file, b.build());
  const names = ["foo", "bar", "cb_t", "handler_t", "dup"];
  for (const set of [...names.map((n) => [n]), names]) {
    const c = cli("btf", "dump", "--file", file, "--format", "c", ...set);
    assert.equal(c.code, 0, c.err);
    const h = `${BUILD}cli_clash.h`;
    Deno.writeTextFileSync(h, c.out);
    const r = run("clang", [
      "-target",
      "bpf",
      "-fsyntax-only",
      "-Werror",
      "-Wno-pragma-clang-attribute",
      "-include",
      h,
      "-x",
      "c",
      "/dev/null",
    ]);
    assert.equal(r.code, 0, `${set.join(" ")}:\n${c.out}\n${r.err}`);
  }
  const all = cli("btf", "dump", "--file", file, "--format", "c", ...names).out;
  assert.match(all, /^typedef struct foo \*foo;$/m);
  assert.match(all, /^struct bar;$/m);
  assert.match(all, /^struct dup___2 \{$/m);
});

Deno.test("cli: btf dump --format json TYPE prints one parseable type per line, as bpftool", () => {
  const c = cli("btf", "dump", "--format", "json", "trace_event_raw_sched_switch", "pid_t");
  assert.equal(c.code, 0, c.err);
  assert.ok(c.out.endsWith("}\n"));
  const lines = c.out.trimEnd().split("\n").map((l) => JSON.parse(l));
  const ref = new Map(
    (JSON.parse(run("bpftool", ["-j", "btf", "dump", "file", "/sys/kernel/btf/vmlinux"]).out)
      .types as { id: number }[]).map((t) => [t.id, t]),
  );
  assert.ok(lines.length >= 5);
  const ids = lines.map((t) => t.id);
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
  for (const t of lines) assert.deepEqual(t, ref.get(t.id));
  const names = lines.map((t) => `${t.kind} ${t.name}`);
  for (
    const want of ["STRUCT trace_event_raw_sched_switch", "TYPEDEF pid_t", "STRUCT trace_entry"]
  ) {
    assert.ok(names.includes(want), want);
  }
});

Deno.test("cli: btf layout of bitfields and anonymous unions agrees with bpftool's bits_offset", () => {
  const obj = `${BUILD}cli_tricky.o`;
  const cc = run("clang", [
    "-g",
    "-O2",
    "-target",
    "bpf",
    "-c",
    `${ROOT}tests/bpf/dump_c_tricky.bpf.c`,
    "-o",
    obj,
  ]);
  assert.equal(cc.code, 0, cc.err);
  const types = JSON.parse(run("bpftool", ["-j", "btf", "dump", "file", obj]).out).types as {
    id: number;
    kind: string;
    name: string;
    size: number;
    members?: { name: string; type_id: number; bits_offset: number; bitfield_size?: number }[];
  }[];
  const byId = new Map(types.map((t) => [t.id, t]));
  /** bpftool's members of `id`, anonymous ones flattened: [name, bits_offset, bitfield_size]. */
  const flat = (id: number, base = 0): [string, number, number][] =>
    byId.get(id)!.members!.flatMap((m) =>
      m.name === "(anon)"
        ? flat(m.type_id, base + m.bits_offset)
        : [[m.name, base + m.bits_offset, m.bitfield_size ?? 0] as [string, number, number]]
    );
  for (const name of ["bits", "bits_gap", "pk_bits", "bool_bits", "outer", "anon_arr"]) {
    const ref = types.find((t) => t.name === name && t.kind === "STRUCT")!;
    const r = cli("btf", "layout", "--file", obj, name, "--json");
    assert.equal(r.code, 0, r.err);
    const lay = JSON.parse(r.out);
    assert.equal(lay.size, ref.size);
    type M = { name: string; offset: number; bitOffset: number; bits: number; expanded?: L };
    type L = { members: M[] };
    // Members of anonymous members flattened, as bpftool's are above; a bitfield's bit
    // is within its storage unit, which starts at `offset`.
    const ours = (l: L): [string, number, number][] =>
      l.members.flatMap((m) =>
        m.name === "" && m.expanded
          ? ours(m.expanded)
          : [[m.name, m.offset * 8 + m.bitOffset, m.bits] as [string, number, number]]
      );
    assert.deepEqual(ours(lay), flat(ref.id), name);
  }
  const table = cli("btf", "layout", "--file", obj, "bits").out;
  // pahole's unit_offset:bit for bitfields: int d:11 at bit 15 of the int at 0.
  assert.match(table, /\n\tint +d:11; +\/\* +0:15 +4 \*\/\n/);
  assert.match(table, /\n\tunsigned long long +e:40; +\/\* +8: 0 +8 \*\/\n/);
  assert.match(table, /\n\t\/\* XXX 4 bytes hole, try to pack \*\/\n/);
  // "union NAME" and "struct NAME" name the kind; a union shows its members only, as pahole.
  const attr = cli("btf", "layout", "union bpf_attr");
  assert.equal(attr.code, 0, attr.err);
  assert.match(attr.out, /^union bpf_attr \{\n/);
  assert.doesNotMatch(attr.out, /size:/);
  const outer = cli("btf", "layout", "--file", obj, "outer").out;
  // The anonymous union's members, indented one level, both at offset 0.
  assert.match(
    outer,
    /\n\tunion \{\n\t\tint +i; +\/\* +0 +4 \*\/\n\t\tfloat +f; +\/\* +0 +4 \*\/\n/,
  );
});

Deno.test('cli: btf dump "struct NAME", "union NAME", "enum NAME" pick that kind of a shared name', () => {
  const b = new BtfBuilder();
  const int = b.int("int", 4, { signed: true });
  b.struct("x", 4, [{ name: "s", type: int, bitOffset: 0 }]);
  b.union("x", 4, [{ name: "u", type: int, bitOffset: 0 }]);
  b.typedef("x", int);
  b.fwd("y", true); // union y;
  b.fwd("z"); // struct z;
  const file = `${BUILD}cli_tagged.btf`;
  Deno.writeFileSync(file, b.build());
  const kinds = (...types: string[]) => {
    const r = cli("btf", "dump", "--file", file, ...types);
    assert.equal(r.code, 0, r.err);
    return [...r.out.matchAll(/^\[\d+\] (\w+) '(\w+)'/gm)].map((m) => `${m[1]} ${m[2]}`)
      .filter((k) => !k.startsWith("INT"));
  };
  assert.deepEqual(kinds("x"), ["STRUCT x", "UNION x", "TYPEDEF x"]);
  assert.deepEqual(kinds("struct x"), ["STRUCT x"]);
  assert.deepEqual(kinds(" union  x "), ["UNION x"]);
  assert.deepEqual(kinds("union y", "struct z"), ["FWD y", "FWD z"]);
  const ts = cli("btf", "dump", "--file", file, "--format", "ts", "union x");
  assert.match(ts.out, /\nexport interface union_x \{\n {2}\/\*\* `int u` at byte 0 \*\/\n/);
  assert.doesNotMatch(ts.out, /interface x /);
  for (
    const [type, found] of [["enum x", "STRUCT, UNION, TYPEDEF"], ["struct y", "FWD"]]
  ) {
    const r = cli("btf", "dump", "--file", file, type);
    assert.equal(r.code, 1);
    assert.equal(
      r.err,
      `bpfview: expected a ${type.split(" ")[0]} named "${
        type.split(" ")[1]
      }", found only ${found} of that name\n`,
    );
  }
  // The kernel's: the C dump of "struct list_head" is that of list_head.
  assert.equal(
    cli("btf", "dump", "--format", "c", "struct list_head").out,
    cli("btf", "dump", "--format", "c", "list_head").out,
  );
});
