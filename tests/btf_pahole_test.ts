// paholeLayout / formatPahole against pahole 1.24 itself, on every struct and
// union of the clang-built test objects (pahole reads their BTF with -F btf),
// and the summary arithmetic on every struct of the kernel's BTF.
import assert from "node:assert/strict";
import {
  dumpRaw,
  formatPahole,
  Kind,
  loadBtf,
  mapBtf,
  type PaholeLayout,
  paholeLayout,
  paholeLayouts,
  type PaholeMember,
} from "../mod.ts";
import { buildDir, cliSync, sh } from "./tools.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const BUILD = buildDir("pahole");
const dec = new TextDecoder();

/** Builds the test objects: each BPF source, and the vmlinux.h user against bpftool's header. */
function objects(): string[] {
  Deno.writeTextFileSync(
    `${BUILD}vmlinux.h`,
    sh("bpftool", ["btf", "dump", "file", "/sys/kernel/btf/vmlinux", "format", "c"]),
  );
  const out: string[] = [];
  for (const name of ["btf_kinds", "dump_c_tricky", "view_types", "vmlinux_user"]) {
    const obj = `${BUILD}${name}.o`;
    sh("clang", [
      "-g",
      "-O2",
      "-target",
      "bpf",
      `-I${BUILD}`,
      "-c",
      `${ROOT}tests/bpf/${name}.bpf.c`,
      "-o",
      obj,
    ]);
    out.push(obj);
  }
  return out;
}

/** pahole's output split into top-level blocks by their first line (`struct NAME {`). */
function paholeBlocks(obj: string, extra: string[] = []): Map<string, string[]> {
  // pahole 1.24 warns about kinds it does not know (type tags) and carries on.
  const r = new Deno.Command("pahole", {
    args: [...extra, "-F", "btf", obj],
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  assert.ok(r.success, dec.decode(r.stderr));
  const blocks = new Map<string, string[]>();
  let cur: string[] | undefined;
  for (const line of dec.decode(r.stdout).split("\n")) {
    if (/^(struct|union) \S+ \{$/.test(line)) {
      cur = [line];
      if (!blocks.has(line)) blocks.set(line, cur);
      continue;
    }
    if (!cur) continue;
    cur.push(line);
    if (line.startsWith("}")) cur = undefined;
  }
  return blocks;
}

/** The parts of a pahole block that carry figures, by category. */
function facts(lines: readonly string[], kind: string) {
  const offsets: string[] = [], notes: string[] = [], marks: string[] = [], summary: string[] = [];
  for (const l of lines) {
    const m = /\/\*\s+(\d+)(?::\s*(\d+))?\s+(\d+) \*\/$/.exec(l);
    if (m) offsets.push(`${m[1]}${m[2] !== undefined ? ":" + m[2] : ""} ${m[3]}`);
    else if (/\/\* XXX .* \*\/$/.test(l)) notes.push(l.trim());
    else if (/\/\* --- cacheline .* --- \*\/$/.test(l)) marks.push(l.trim());
    else if (
      kind === "struct" &&
      /^\t\/\* (size|sum members|sum bitfield|padding|paddings|bit_padding|forced|last cacheline)/
        .test(l)
    ) summary.push(l.trim());
  }
  const packed = lines[lines.length - 1].includes("__packed__");
  const aligned = lines.flatMap((l) => [...l.matchAll(/__aligned__\((\d+)\)/g)].map((m) => m[1]));
  return { offsets, notes, marks, summary, packed, aligned };
}

Deno.test("pahole: offsets, bitfields, holes, padding, cachelines and summaries agree with pahole 1.24 on every struct of the test objects", () => {
  const totals = {
    types: 0,
    offsets: 0,
    notes: 0,
    marks: 0,
    summary: 0,
    lines: 0,
    sameLines: 0,
    sameText: 0,
    expanded: 0,
  };
  for (const obj of objects()) {
    const btf = mapBtf(obj).btf;
    const blocks = paholeBlocks(obj);
    const expandedBlocks = paholeBlocks(obj, ["-E"]);
    assert.ok(blocks.size > 0, obj);
    for (const [head, ref] of blocks) {
      const [, kind, name] = /^(struct|union) (\S+) \{$/.exec(head)!;
      const id = btf.findIds(name).find((i) =>
        btf.kindOf(i) === (kind === "struct" ? Kind.STRUCT : Kind.UNION)
      );
      assert.ok(id !== undefined, `${head} in ${obj}`);
      const ours = formatPahole(paholeLayout(btf, id)).trimEnd().split("\n");
      const want = facts(ref, kind), got = facts(ours, kind);
      const what = `${kind} ${name} in ${obj.slice(BUILD.length)}`;
      assert.deepEqual(got.offsets, want.offsets, `${what}: member offsets`);
      assert.deepEqual(got.notes, want.notes, `${what}: holes and padding notes`);
      assert.deepEqual(got.marks, want.marks, `${what}: cacheline boundaries`);
      assert.deepEqual(got.summary, want.summary, `${what}: summary`);
      assert.equal(got.packed, want.packed, `${what}: packed`);
      assert.deepEqual(got.aligned, want.aligned, `${what}: inferred alignments`);
      // --expand: named struct and union members shown in place, as pahole -E shows them.
      const expanded = formatPahole(paholeLayout(btf, id, { expand: true })).split("\n");
      assert.deepEqual(
        facts(expanded, kind).offsets,
        facts(expandedBlocks.get(head)!, kind).offsets,
        `${what}: member offsets with --expand (pahole -E)`,
      );
      totals.expanded += facts(expanded, kind).offsets.length;
      totals.types++;
      totals.offsets += want.offsets.length;
      totals.notes += want.notes.length;
      totals.marks += want.marks.length;
      totals.summary += want.summary.length;
      const refText = ref;
      const same = refText.filter((l, i) => ours[i] === l).length;
      totals.lines += refText.length;
      totals.sameLines += same;
      if (same === refText.length && ours.length === refText.length) totals.sameText++;
    }
  }
  console.log(
    `  pahole 1.24 agreement: ${totals.types} structs/unions; ${totals.offsets} member offsets, ` +
      `${totals.notes} hole/padding notes, ${totals.marks} cacheline markers, ${totals.summary} ` +
      `summary lines all equal, ${totals.expanded} member offsets with --expand equal pahole -E's; ` +
      `text: ${totals.sameText}/${totals.types} types and ` +
      `${totals.sameLines}/${totals.lines} lines identical`,
  );
});

Deno.test("pahole: paholeLayouts and btf layout --with-dependencies give the named structs and unions of the raw dump's closure, each as pahole shows it", () => {
  // Known closures: kitchen_sink holds a point array, struct bits and union number by value,
  // and anonymous struct/unions (shown in place). outer reaches later (by pointer; later holds
  // an outer), inner_named behind an anonymous struct pointer, an anonymous struct through the
  // point_t typedef (no name: pahole lists it nowhere) and forward-declared opaque types.
  const cases = [
    ["btf_kinds", ["kitchen_sink"], ["kitchen_sink", "point", "bits", "number"]],
    ["dump_c_tricky", ["outer"], ["outer", "later", "inner_named"]],
    ["dump_c_tricky", ["b_s", "struct a_s", "b_s"], ["b_s", "a_s"]],
  ] as const;
  for (const [name, types, known] of cases) {
    const obj = `${BUILD}${name}.o`;
    const btf = mapBtf(obj).btf;
    const layouts = paholeLayouts(btf, types, { withDependencies: true });
    assert.deepEqual(layouts.map((l) => l.name).sort(), [...known].sort(), `${types} in ${name}`);
    assert.equal(layouts[0].name, types[0]);
    // The same set as the named STRUCT/UNION lines of the raw dump with withDependencies.
    const roots = types.map((t) => paholeLayout(btf, t).id);
    const fromDump = [
      ...dumpRaw(btf, { ids: roots, withDependencies: true })
        .matchAll(/^\[(\d+)\] (?:STRUCT|UNION) '([^']+)'/gm),
    ]
      .filter((m) => m[2] !== "(anon)").map((m) => Number(m[1]));
    assert.deepEqual(layouts.map((l) => l.id).sort((a, b) => a - b), fromDump);
    // Without withDependencies: the types given, each once.
    const given = new Set(types.map((t) => t.replace(/^struct /, "")));
    assert.deepEqual(paholeLayouts(btf, types).map((l) => l.name), [...given]);
    // Each layout as pahole 1.24 shows that type.
    const blocks = paholeBlocks(obj);
    for (const l of layouts) {
      const ref = blocks.get(`${l.kind} ${l.name} {`);
      assert.ok(ref, `pahole shows ${l.kind} ${l.name}`);
      const got = facts(formatPahole(l).trimEnd().split("\n"), l.kind);
      assert.deepEqual(got, facts(ref, l.kind), `${l.kind} ${l.name} in ${name}`);
    }
    // The CLI prints the same, blocks a blank line apart; --json one object per line.
    const text = cliSync("btf", "layout", "--file", obj, ...types, "--with-dependencies");
    assert.equal(text.code, 0, text.err);
    assert.equal(text.out, layouts.map(formatPahole).join("\n"));
    const json = cliSync("btf", "layout", "--json", "--with-dependencies", "--file", obj, ...types);
    const lines = json.out.trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.id), layouts.map((l) => l.id));
    assert.equal(lines[0].type, types[0]);
    assert.equal(lines.at(-1).type, `${layouts.at(-1)!.kind} ${layouts.at(-1)!.name}`);
  }
});

Deno.test("pahole: a bitfield's position is unit_offset:bit within its storage unit", () => {
  const btf = mapBtf(`${BUILD}view_types.o`).btf;
  const l = paholeLayout(btf, "tricky");
  const f = l.members.find((m) => m.name === "bf_f")!;
  // s64 bf_f:23 starts at bit 424: the 8-byte unit at 48, bit 40.
  assert.deepEqual([f.offset, f.bitOffset, f.size, f.bits], [48, 40, 8, 23]);
  const text = formatPahole(l);
  assert.match(text, / bf_f:23; +\/\* +48:40 +8 \*\/\n/);
});

/** Every member of `l`, expanded ones included, depth first. */
function* walk(l: PaholeLayout): Generator<PaholeMember> {
  for (const m of l.members) {
    yield m;
    if (m.expanded) yield* walk(m.expanded);
  }
}

Deno.test("pahole: every kernel struct's members, holes, bit holes and padding add up to its size", () => {
  const btf = loadBtf();
  let structs = 0, withHoles = 0, unions = 0;
  for (let id = 1; id < btf.count; id++) {
    const kind = btf.kindOf(id);
    if (kind !== Kind.STRUCT && kind !== Kind.UNION) continue;
    const l = paholeLayout(btf, id);
    if (kind === Kind.UNION) {
      unions++;
      assert.deepEqual([l.holes.length, l.bitHoles.length, l.padding], [0, 0, 0]);
      continue;
    }
    structs++;
    const bits = 8 * (l.sumMembers + l.sumHoles + l.padding) + l.sumBitfieldMembers +
      l.sumBitHoles + l.bitPadding;
    assert.equal(bits, 8 * l.size, `struct ${l.name || id}: ${bits} bits for ${l.size} bytes`);
    assert.equal(l.cachelines, Math.ceil(l.size / 64));
    assert.equal(l.lastCacheline, l.size % 64);
    // Holes lie inside the struct and between members, in order.
    let prev = -1;
    for (const h of l.holes) {
      assert.ok(h.size > 0 && h.offset > prev && h.offset + h.size <= l.size, `${l.name}`);
      prev = h.offset;
    }
    if (l.holes.length) withHoles++;
    for (const m of l.members) {
      if (!m.bits) assert.ok(m.offset + m.size <= l.size, `${l.name}.${m.name}`);
    }
  }
  console.log(
    `  ${structs} kernel structs add up (${withHoles} with holes); ${unions} unions have no holes`,
  );
});

Deno.test("pahole: --cacheline moves the boundaries, --expand shows named members' members", () => {
  const btf = loadBtf();
  const l32 = paholeLayout(btf, "task_struct", { cacheline: 32 });
  assert.equal(l32.cachelines, Math.ceil(l32.size / 32));
  const text = formatPahole(l32);
  const marks = [...text.matchAll(/cacheline (\d+) boundary \((\d+) bytes\)/g)];
  assert.ok(marks.length > 0);
  for (const [, n, at] of marks) assert.equal(Number(at), Number(n) * 32);
  const plain = paholeLayout(btf, "sk_buff");
  const expanded = paholeLayout(btf, "sk_buff", { expand: true });
  const named = (l: PaholeLayout) => [...walk(l)].filter((m) => m.expanded && m.name).length;
  assert.ok(named(expanded) > named(plain));
  // Expanded members keep absolute offsets.
  for (const m of expanded.members) {
    if (!m.expanded) continue;
    for (const k of m.expanded.members) assert.ok(k.offset >= m.offset, `${m.name}.${k.name}`);
  }
  assert.throws(() => paholeLayout(btf, "task_struct", { cacheline: 0 }), /cacheline/);
  assert.throws(() => paholeLayout(btf, "pid_t"), /struct or union/);
});
