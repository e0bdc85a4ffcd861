// BTF as Linux 7.1 writes it (UAPI linux/btf.h, 2026): a 32-byte header with layout_off and
// layout_len, the kind layout section between the types and the strings, vlen in bits 0-23 and
// kind in bits 24-30 of info, kind_flag on DECL_TAG and TYPE_TAG. Blobs come from
// tests/btf_builder.ts in both byte orders; split BTF on a base with a layout too.
//
// bpftool here is 7.1 with libbpf 1.1, which refuses a header with non-zero bytes past its 24:
// blobs with a layout section are checked against what the format says, and against bpftool
// only through the same types written without a layout (which it reads).

import assert from "node:assert/strict";
import { assertMatchesBpftool, BtfBuilder, everyKind, STANDARD_LAYOUT } from "./btf_builder.ts";
import { parseBtf } from "../btf/parse.ts";
import { Kind } from "../btf/kinds.ts";
import { BtfError } from "../btf/error.ts";
import { dumpC } from "../btf/dump_c.ts";
import { dumpRaw } from "../btf/dump_raw.ts";
import { dumpJson } from "../btf/dump_json.ts";
import { sizeOf } from "../btf/layout.ts";
import { cliSync } from "./tools.ts";

const BUILD = new URL("./build/", import.meta.url).pathname;
Deno.mkdirSync(BUILD, { recursive: true });

/** The standard layout plus kind 20 (4 bytes of info, 8 per vlen) and kind 100 (none). */
const LAYOUT = [
  ...STANDARD_LAYOUT,
  { infoSize: 4, elemSize: 8 },
  ...Array.from({ length: 80 }, () => ({ infoSize: 0, elemSize: 0 })),
];

function withUnknownKinds(b: BtfBuilder) {
  const ids = everyKind(b);
  const k20 = b.unknownKind(20, "future_thing", 2, ids.int, [7, 1, 2, 3, 4]);
  const k100 = b.unknownKind(100, "far_future", 0, 0);
  const after = b.struct("after_unknown", 4, [{ name: "x", type: ids.int, bitOffset: 0 }]);
  const user = b.struct("uses_unknown", 4, [{ name: "u", type: k20, bitOffset: 0 }]);
  return { ...ids, k20, k100, after, user };
}

function tryParse(blob: Uint8Array): BtfError {
  try {
    parseBtf(blob);
  } catch (e) {
    assert.ok(e instanceof BtfError, `BtfError expected, got ${e}`);
    return e;
  }
  assert.fail("expected a BtfError");
}

for (const littleEndian of [true, false]) {
  const order = littleEndian ? "little-endian" : "big-endian";

  Deno.test(`new format (${order}): a 32-byte header and a layout section read like the old format`, () => {
    const b = new BtfBuilder({ littleEndian });
    everyKind(b);
    const blob = b.build({ layout: STANDARD_LAYOUT });
    const dv = new DataView(blob.buffer);
    assert.equal(dv.getUint32(4, littleEndian), 32, "hdr_len");
    assert.equal(dv.getUint32(28, littleEndian), 80, "layout_len: 20 kinds");
    const btf = parseBtf(blob);
    assert.equal(btf.kindLayout?.length, 20);
    assert.deepEqual(btf.kindLayout?.[Kind.STRUCT], { infoSize: 0, elemSize: 12, flags: 0 });
    // Same types, same dumps as the old format, which bpftool 7.1 reads and agrees with.
    const old = b.build();
    const path = `${BUILD}new_format_old_${order}.btf`;
    Deno.writeFileSync(path, old);
    const o = parseBtf(old);
    assert.deepEqual([...btf.types()], [...o.types()]);
    assert.equal(dumpRaw(btf), dumpRaw(o));
    assert.equal(dumpC(btf), dumpC(o));
    assertMatchesBpftool(o, path);
    // bpftool 7.1 (libbpf 1.1) reads a 32-byte header in the host's byte order (it ignores
    // the layout section), and refuses one in the other order: compare where it reads.
    const newPath = `${BUILD}new_format_${order}.btf`;
    Deno.writeFileSync(newPath, blob);
    if (littleEndian) assertMatchesBpftool(btf, newPath);
    else {
      const r = new Deno.Command("bpftool", {
        args: ["btf", "dump", "file", newPath],
        stderr: "null",
        stdout: "null",
      }).outputSync();
      assert.notEqual(
        r.code,
        0,
        "bpftool 7.1 refuses a non-native 32-byte header (if not, compare)",
      );
    }
  });

  Deno.test(`new format (${order}): unknown kinds are stepped over by the layout and named`, () => {
    const b = new BtfBuilder({ littleEndian });
    const ids = withUnknownKinds(b);
    const btf = parseBtf(b.build({ layout: LAYOUT }));
    assert.equal(btf.count, b.nextId);
    const u = btf.type(ids.k20);
    assert.ok(u.kind === Kind.UNKN);
    assert.equal(u.rawKind, 20);
    assert.equal(u.name, "future_thing");
    assert.equal(u.vlen, 2);
    assert.equal(u.extraBytes, 4 + 2 * 8);
    assert.equal(btf.kindOf(ids.k100), Kind.UNKN);
    const after = btf.type(ids.after);
    assert.ok(after.kind === Kind.STRUCT && after.members[0].type === ids.int);
    assert.match(
      dumpRaw(btf),
      /\n\[\d+\] KIND_20 'future_thing' vlen=2\n\[\d+\] KIND_100 'far_future' vlen=0\n/,
    );
    const json = dumpJson(btf, { ids: [ids.k20] });
    assert.deepEqual(json, [{ id: ids.k20, kind: "KIND_20", name: "future_thing", vlen: 2 }]);
    // The C dump writes everything else; a struct using the unknown kind by value is named.
    assert.throws(
      () => dumpC(btf),
      (e) => e instanceof BtfError && /KIND_20 'future_thing'/.test(e.message),
    );
    assert.match(dumpC(btf, { ids: [ids.after] }), /struct after_unknown \{\n\tint x;\n\};/);
    assert.throws(
      () => sizeOf(btf, ids.k20),
      (e) => e instanceof BtfError && /KIND_20/.test(e.message),
    );
  });

  Deno.test(`new format (${order}): 24-bit vlen, 7-bit kind, kind_flag on DECL_TAG and TYPE_TAG`, () => {
    const b = new BtfBuilder({ littleEndian });
    const int = b.int("int", 4, { signed: true });
    const n = 70_000; // more members than 16 bits of vlen hold
    const big = b.struct(
      "wide",
      4 * n,
      Array.from({ length: n }, (_, i) => ({
        name: `m${i}`,
        type: int,
        bitOffset: 32 * i,
      })),
    );
    const tag = b.typeTag("noderef", int, true);
    const ptr = b.ptr(tag);
    const holder = b.struct("holder", 8, [{ name: "p", type: ptr, bitOffset: 0 }]);
    const decl = b.declTag("aligned(8)", holder, -1, true);
    const btf = parseBtf(b.build({ layout: STANDARD_LAYOUT }));
    const w = btf.type(big);
    assert.ok(w.kind === Kind.STRUCT && w.members.length === n);
    assert.equal(w.members[n - 1].name, `m${n - 1}`);
    assert.equal(btf.vlenOf(big), n);
    assert.equal(btf.type(tag).kindFlag, true);
    assert.equal(btf.type(decl).kindFlag, true);
    assert.match(dumpC(btf, { ids: [holder] }), /int __attribute__\(\(noderef\)\) \*p;/);
  });

  Deno.test(`new format (${order}): split BTF shares its base's layout`, () => {
    const base = new BtfBuilder({ littleEndian });
    const int = base.int("int", 4, { signed: true });
    const baseBtf = parseBtf(base.build({ layout: LAYOUT }));
    const split = new BtfBuilder({ base: baseBtf });
    const k20 = split.unknownKind(20, "mod_thing", 1, int, [0, 5, 6]);
    const s = split.struct("mod_struct", 4, [{ name: "v", type: int, bitOffset: 0 }]);
    const blob = split.build(); // 24-byte header, no layout of its own
    const btf = parseBtf(blob, { base: baseBtf });
    assert.equal(btf.kindLayout, baseBtf.kindLayout);
    assert.equal(btf.type(k20).kind, Kind.UNKN);
    assert.equal(btf.type(s).name, "mod_struct");
    // Without the base's layout the unknown kind cannot be stepped over.
    const plainBase = parseBtf(base.build());
    const e = tryParseSplit(blob, plainBase);
    assert.match(
      e.message,
      /kind between 1 and 19 .* found 20 \(the BTF has no kind layout section\)/,
    );
    // Its own layout works too.
    const own = split.build({ layout: LAYOUT });
    assert.equal(parseBtf(own, { base: plainBase }).type(k20).kind, Kind.UNKN);
  });
}

function tryParseSplit(blob: Uint8Array, base: ReturnType<typeof parseBtf>): BtfError {
  try {
    parseBtf(blob, { base }).count;
  } catch (e) {
    assert.ok(e instanceof BtfError, `BtfError expected, got ${e}`);
    return e;
  }
  assert.fail("expected a BtfError");
}

Deno.test("new format: an unknown kind without a layout section names the kind and the byte", () => {
  const b = new BtfBuilder();
  b.int("int", 4);
  b.unknownKind(20, "x", 0, 0);
  const e = (() => {
    try {
      parseBtf(b.build()).count;
    } catch (e) {
      return e as BtfError;
    }
    assert.fail("expected an error");
  })();
  assert.ok(e instanceof BtfError);
  assert.match(e.message, /found 20 \(the BTF has no kind layout section\)/);
  assert.equal(e.offset, 24 + 16 + 4);
  // A kind past the layout's entries, and an entry not in whole words.
  const c = new BtfBuilder();
  c.unknownKind(30, "y", 0, 0);
  assert.match(
    (() => {
      try {
        parseBtf(c.build({ layout: LAYOUT.slice(0, 21) })).count;
      } catch (e) {
        return (e as Error).message;
      }
      return "";
    })(),
    /layout section describes kinds 0 to 20/,
  );
  const d = new BtfBuilder();
  d.unknownKind(20, "z", 1, 0, [0, 0]);
  const odd = [...STANDARD_LAYOUT, { infoSize: 2, elemSize: 6 }];
  assert.throws(
    () => parseBtf(d.build({ layout: odd })).count,
    (e) => e instanceof BtfError && /in whole words, found info_sz 2 and elem_sz 6/.test(e.message),
  );
});

Deno.test("new format: the layout section is checked as libbpf checks it", () => {
  const b = new BtfBuilder();
  everyKind(b);
  const good = b.build({ layout: STANDARD_LAYOUT });
  const dv = new DataView(good.buffer);
  const typeLen = dv.getUint32(12, true), strOff = dv.getUint32(16, true);
  const cases: [string, Record<string, number>, RegExp, number][] = [
    ["misaligned", { layoutOff: typeLen + 2 }, /4-aligned layout_off, found/, 24],
    ["partial entry", { layoutLen: 78 }, /multiple of 4 \(struct btf_layout\), found 78/, 28],
    [
      "inside the types",
      { layoutOff: typeLen - 4 },
      /after the type section .* found it before its end/,
      24,
    ],
    [
      "into the strings",
      { layoutLen: 84 },
      /before the string section at \d+, found it past that/,
      24,
    ],
    ["past the strings", { layoutOff: strOff + 4, layoutLen: 4 }, /before the string section/, 24],
  ];
  for (const [what, header, re, at] of cases) {
    const e = tryParse(b.build({ layout: STANDARD_LAYOUT, header }));
    assert.match(e.message, re, what);
    assert.equal(e.offset, at, what);
  }
  // Header bytes past the 32 known ones must be zero; a zero tail is fine.
  const long = b.build({ layout: STANDARD_LAYOUT, header: { hdrLen: 40 } });
  assert.equal(parseBtf(long).count, b.nextId);
  long[36] = 1;
  const e = tryParse(long);
  assert.match(e.message, /expected zero in the unknown header tail, found 1/);
  assert.equal(e.offset, 36);
});

Deno.test("new format: split BTF parsed without its base says so and names --base", () => {
  const base = new BtfBuilder();
  const int = base.int("int", 4, { signed: true });
  const baseBtf = parseBtf(base.build());
  const split = new BtfBuilder({ base: baseBtf });
  split.struct("module_thing", 4, [{ name: "a_new_name", type: int, bitOffset: 0 }]);
  const blob = split.build();
  const e = tryParse(blob);
  assert.match(e.message, /looks like split BTF .* needs its base BTF \(--base/);
  const path = `${BUILD}new_format_split_no_base.btf`;
  Deno.writeFileSync(path, blob);
  const r = cliSync("btf", "dump", "--file", path);
  assert.equal(r.code, 1);
  assert.match(r.err, /looks like split BTF .*--base/);
});
