// Anonymous members of a named struct type (`struct ns_tree;`, which C accepts only with
// -fms-extensions): bpftool writes them as they are, and plain clang drops them with a warning
// and gets the layout wrong. dumpC writes the named struct's members as an anonymous struct
// instead, so the header gives every struct its BTF size and offsets with or without
// -fms-extensions. Checked with a clang-built object (tests/bpf/ms_ext.bpf.c) and static
// asserts of every size and offset, compiled by clang.
import assert from "node:assert/strict";
import { type Btf, dumpC, Kind, loadBtf, parseBtf } from "../mod.ts";
import { BtfBuilder } from "./btf_builder.ts";
import { buildDir, clangBpf, sh } from "./tools.ts";

const BUILD = buildDir("dump_c_ms");
const SRC = new URL("./bpf/ms_ext.bpf.c", import.meta.url).pathname;
const STRUCTS = ["ns_common", "holder", "with_union"];

/** Static asserts of the size of each struct and the offset of each (nested anonymous) member. */
function layoutAsserts(btf: Btf): string {
  const lines: string[] = [];
  const members = (s: string, id: number, base: number) => {
    const t = btf.type(id);
    if (t.kind !== Kind.STRUCT && t.kind !== Kind.UNION) return;
    for (const m of t.members) {
      if (m.name === "") members(s, m.type, base + m.bitOffset);
      else {
        lines.push(
          `_Static_assert(__builtin_offsetof(struct ${s}, ${m.name}) == ${
            (base + m.bitOffset) / 8
          }, "${s}.${m.name}");`,
        );
      }
    }
  };
  for (const s of STRUCTS) {
    const t = btf.get(s, Kind.STRUCT);
    if (t.kind !== Kind.STRUCT) throw new Error(`${s} is not a struct`);
    lines.push(`_Static_assert(sizeof(struct ${s}) == ${t.size}, "sizeof ${s}");`);
    members(s, t.id, 0);
  }
  return lines.join("\n") + "\n";
}

/** Compiles `header` plus the asserts with clang for BPF; returns clang's stderr, throws on failure. */
function compile(name: string, header: string, asserts: string, extra: string[]): string {
  Deno.writeTextFileSync(`${BUILD}${name}.h`, header);
  Deno.writeTextFileSync(`${BUILD}${name}.c`, `#include "${name}.h"\n${asserts}`);
  const r = new Deno.Command("clang", {
    args: ["-target", "bpf", "-O2", "-c", ...extra, `${BUILD}${name}.c`, "-o", `${BUILD}${name}.o`],
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  const err = new TextDecoder().decode(r.stderr);
  if (!r.success) throw new Error(`clang failed on ${name}.c:\n${err}`);
  return err;
}

Deno.test("dumpC: anonymous members of a named struct keep their layout in plain C", () => {
  const obj = `${BUILD}ms_ext.o`;
  clangBpf(SRC, obj, ["-fms-extensions", "-Wno-microsoft-anon-tag"]);
  const btf = loadBtf(obj);
  const asserts = layoutAsserts(btf);
  const header = dumpC(btf);
  // The named struct's members, written as an anonymous struct (and union).
  assert.match(
    header,
    /struct ns_common \{\n\tint count;\n\tstruct \{\n\t\tlong long unsigned int id;|struct ns_common \{\n\tint count;\n\tstruct \{\n\t\tunsigned long long id;/,
  );
  assert.match(header, /\tunion \{\n\t\tint i;\n\t\tchar bytes\[6\];\n\t\};/);
  assert.doesNotMatch(header, /^\t(struct|union) \w+;$/m);
  // Plain clang, warnings as errors: every size and offset as in the BTF.
  assert.equal(compile("ours_plain", header, asserts, ["-Werror"]), "");
  // With -fms-extensions too.
  compile("ours_ms", header, asserts, ["-fms-extensions", "-Wno-microsoft-anon-tag"]);

  // bpftool 7.1 writes `struct ns_tree;`: plain clang drops the member and the layout is wrong.
  const theirs = sh("bpftool", ["btf", "dump", "file", obj, "format", "c"]);
  if (/^\tstruct ns_tree;$/m.test(theirs)) {
    assert.throws(
      () => compile("bpftool_plain", theirs, asserts, []),
      /static assert|static_assert/,
    );
  }
});

Deno.test("dumpC: an unnamed member of an incomplete struct makes the header refuse to compile", () => {
  const b = new BtfBuilder();
  const int = b.int("int", 4, { signed: true });
  const opaque = b.fwd("opaque");
  b.struct("outer", 12, [
    { name: "a", type: int, bitOffset: 0 },
    { name: "", type: opaque, bitOffset: 32 },
    { name: "b", type: int, bitOffset: 64 },
  ]);
  const header = dumpC(parseBtf(b.build()));
  assert.match(header, /\tstruct opaque;\n\t_Static_assert\(0, "[^"]*"\);\n/);
  assert.throws(() => compile("incomplete", header, "", []), /static assert|static_assert/);
});
