// The raw and JSON BTF dumps against bpftool: the kernel's BTF, a BPF object
// built here with clang from tests/bpf/btf_kinds.bpf.c, and blobs written
// with BtfBuilder for what clang 14 cannot emit (signed and 64-bit enums,
// odd encodings and linkages, big-endian, split BTF).

import assert from "node:assert/strict";
import { BtfBuilder, everyKind } from "./btf_builder.ts";
import { assertSameText, clangBpf, hasKernelBtf, shBytes } from "./tools.ts";
import { type Btf, KERNEL_BTF_PATH, loadBtf, parseBtf } from "../btf/parse.ts";
import { BtfError } from "../btf/error.ts";
import { Kind } from "../btf/kinds.ts";
import { dumpRaw, dumpRawBytes, formatRawType, writeAllSync } from "../btf/dump_raw.ts";
import { type BtfJsonType, dumpJson } from "../btf/dump_json.ts";

const BUILD = new URL("./build/", import.meta.url).pathname;
const SRC = new URL("./bpf/btf_kinds.bpf.c", import.meta.url).pathname;
Deno.mkdirSync(BUILD, { recursive: true });

/** stdout of `bpftool <args>`, as bytes. */
const bpftool = (args: string[]): Uint8Array => shBytes("bpftool", args);

/** `bpftool [-B base] btf dump file F` as bytes. */
function bpftoolRaw(path: string, base?: string): Uint8Array {
  return bpftool([...(base ? ["-B", base] : []), "btf", "dump", "file", path]);
}

/** The bytes of two arrays are equal (a fast check before the line-level report). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The test object, compiled once per test process. */
let objPath: string | undefined;
function testObject(): string {
  if (objPath) return objPath;
  const out = `${BUILD}btf_dump_raw_kinds.o`;
  clangBpf(SRC, out);
  return objPath = out;
}

/** A blob with every kind plus oddities bpftool still prints (unknown encodings and linkages). */
function oddBlob(littleEndian = true): Uint8Array {
  const b = new BtfBuilder({ littleEndian });
  const ids = everyKind(b);
  const info = (kind: number, vlen: number, kflag = 0) =>
    ((kflag << 31) | (kind << 24) | vlen) >>> 0;
  b.raw([b.str("weird_int"), info(Kind.INT, 0), 4, (3 << 24) | (2 << 16) | 5]);
  b.int("plain_char", 1, { char: true });
  b.raw([b.str("weird_int8"), info(Kind.INT, 0), 4, (8 << 24) | 32]);
  b.raw([b.str("odd_func"), info(Kind.FUNC, 3), ids.proto]);
  b.raw([b.str("odd_var"), info(Kind.VAR, 0), ids.int, 7]);
  // A section naming void and an id past the end: bpftool names only the first.
  b.raw([b.str("odd_sec"), info(Kind.DATASEC, 2), 8, 0, 0, 4, 99999, 4, 4]);
  b.raw([0, info(Kind.STRUCT, 1), 4, 0, ids.int, 0]);
  b.raw([0, info(Kind.UNION, 2, 1), 4, b.str("x"), ids.uint, (31 << 24) | 1, 0, ids.int, 0]);
  // Names beyond ASCII are copied as bytes.
  b.struct("größe_π", 4, [{ name: "ключ", type: ids.int, bitOffset: 0 }]);
  b.raw([
    b.str("UNSIGNED_NEG"),
    info(Kind.ENUM, 2),
    4,
    b.str("A"),
    0xfffffffe,
    b.str("B"),
    0x80000000,
  ]);
  return b.build();
}

function writeTemp(name: string, bytes: Uint8Array): string {
  const path = `${BUILD}btf_dump_raw_${name}`;
  Deno.writeFileSync(path, bytes);
  return path;
}

// ---------------------------------------------------------------------------
// Raw text

Deno.test({
  name: "raw dump of the kernel's BTF equals bpftool btf dump, byte for byte",
  ignore: !hasKernelBtf,
  fn() {
    const btf = loadBtf();
    const want = bpftoolRaw(KERNEL_BTF_PATH);
    const got = dumpRawBytes(btf);
    if (!sameBytes(got, want)) assertSameText(got, want, "vmlinux raw dump");
    // The string form decodes the same bytes.
    assert.equal(dumpRaw(btf).length, want.length);
    // All ids through the ids option (a buffer that starts small and grows).
    const all = Array.from({ length: btf.count - 1 }, (_, i) => i + 1);
    const again = dumpRawBytes(btf, { ids: all });
    if (!sameBytes(again, want)) assertSameText(again, want, "vmlinux raw dump by ids");
  },
});

Deno.test("raw dump of a clang-built BPF object equals bpftool btf dump", () => {
  const path = testObject();
  const btf = loadBtf(path);
  const want = new TextDecoder().decode(bpftoolRaw(path));
  assertSameText(dumpRaw(btf), want, "btf_kinds.o raw dump");
  // The object really covers the kinds the test is about.
  for (
    const needle of [
      "bitfield_size=11",
      "UNION 'number'",
      "ENUM 'sign'",
      "FWD 'fwd_union' fwd_kind=union",
      "TYPEDEF 'u32_alias2'",
      "CONST '(anon)'",
      "VOLATILE '(anon)'",
      "RESTRICT '(anon)'",
      "'(anon)' type_id=0", // varargs
      "FLOAT 'double' size=8",
      "DECL_TAG 'member_tag'",
      "DECL_TAG 'param_tag' type_id=",
      "DECL_TAG 'struct_tag'",
      "TYPE_TAG 'user'",
      "linkage=static",
      "linkage=extern",
      ", linkage=global",
      "DATASEC '.rodata'",
      "DATASEC '.bss'",
      "DATASEC '.data'",
    ]
  ) assert.ok(want.includes(needle), `object BTF should contain ${needle}`);
});

Deno.test("ids: only those types, in the given order; formatRawType is one type's text", () => {
  const path = testObject();
  const btf = loadBtf(path);
  const full = dumpRaw(btf);
  // Split the full dump into per-type blocks.
  const blocks = new Map<number, string>();
  for (const block of full.split(/\n(?=\[)/)) {
    blocks.set(Number(block.slice(1, block.indexOf("]"))), block.replace(/\n$/, ""));
  }
  const n = btf.count;
  const order = [n - 1, 1, btf.get("kitchen_sink").id, btf.get("bits").id, 2];
  assert.equal(
    dumpRaw(btf, { ids: order }),
    order.map((id) => blocks.get(id) + "\n").join(""),
  );
  for (let id = 1; id < n; id++) assert.equal(formatRawType(btf, id), blocks.get(id));
  assert.equal(dumpRaw(btf, { ids: [] }), "");
  assert.equal(dumpRaw(btf, { ids: [0] }), "[0] UNKNOWN '(anon)'\n");
  assert.equal(
    dumpRaw(btf, { ids: new Set([3, 3, 1]) }),
    blocks.get(3) + "\n" + blocks.get(1) + "\n",
  );
  for (const bad of [-1, n, 1.5, NaN]) {
    assert.throws(() => dumpRaw(btf, { ids: [bad] }), BtfError);
    assert.throws(() => formatRawType(btf, bad), BtfError);
  }
});

Deno.test("raw dump of built blobs (signed and 64-bit enums, odd encodings, both byte orders)", () => {
  for (const le of [true, false]) {
    const blob = oddBlob(le);
    const path = writeTemp(le ? "odd_le.btf" : "odd_be.btf", blob);
    const want = new TextDecoder().decode(bpftoolRaw(path));
    const got = dumpRaw(parseBtf(blob));
    assertSameText(got, want, `odd blob (${le ? "little" : "big"}-endian)`);
    for (
      const needle of [
        "'NEG' val=-1\n",
        "'ALL' val=18446744073709551615ULL",
        "'M1' val=-1LL",
        "'MIN' val=-9223372036854775808LL",
        "'BIG' val=1099511627776ULL",
        "encoding=UNKN",
        "encoding=CHAR",
        "linkage=(unknown)",
        "type_id=0 offset=0 size=4 (UNKNOWN '(anon)')",
        "type_id=99999 offset=4 size=4\n",
        "'A' val=4294967294",
        "bitfield_size=31",
        "STRUCT 'größe_π' size=4 vlen=1\n\t'ключ' type_id=",
      ]
    ) assert.ok(got.includes(needle), `dump should contain ${JSON.stringify(needle)}`);
  }
});

Deno.test("split BTF: own types only, base ids on request, names from both string tables", () => {
  const basePath = testObject();
  const base = loadBtf(basePath);
  const b = new BtfBuilder({ base });
  const sinkPtr = b.ptr(base.get("kitchen_sink").id);
  const mod = b.struct("mod_state", 24, [
    { name: "sink", type: sinkPtr, bitOffset: 0 }, // base name reused
    { name: "count", type: base.get("u32").id, bitOffset: 64 },
    { name: "mod_only", type: base.get("u64").id, bitOffset: 128 },
  ]);
  const v = b.var("mod_var", mod, 1);
  b.datasec(".data.mod", 28, [
    { type: v, offset: 0, size: 24 },
    { type: base.get("global_counter").id, offset: 24, size: 4 }, // a VAR of the base
  ]);
  const blob = b.build();
  const path = writeTemp("split.btf", blob);
  const split = parseBtf(blob, { base });
  const want = bpftoolRaw(path, basePath);
  assertSameText(dumpRawBytes(split), want, "split raw dump");
  // The same with bpftool's other spelling of the option.
  assertSameText(
    dumpRaw(split),
    bpftool(["btf", "dump", "file", path, "--base-btf", basePath]),
    "split --base-btf",
  );
  const baseLine = formatRawType(base, 1);
  assert.equal(dumpRaw(split, { ids: [1, mod] }), `${baseLine}\n${formatRawType(split, mod)}\n`);
  assert.ok(formatRawType(split, mod).includes("\n\t'sink' type_id="));
  assert.ok(new TextDecoder().decode(want).includes("offset=24 size=4 (VAR 'global_counter')"));
  assert.deepEqual(
    dumpJson(split, { ids: [1, mod] }).map((t) => [t.id, t.kind, t.name, t.members?.[2]?.name]),
    [[1, "PTR", "(anon)", undefined], [
      mod,
      "STRUCT",
      "mod_state",
      "mod_only",
    ]],
  );
});

Deno.test("raw dump rejects a name offset past the string table with a BtfError", () => {
  const b = new BtfBuilder();
  const int = b.int("int", 4, { signed: true });
  b.raw([0x7fff0000, (Kind.TYPEDEF << 24) >>> 0, int]);
  const btf = parseBtf(b.build());
  assert.equal(
    formatRawType(btf, int),
    "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
  );
  // The TYPEDEF record starts at 24 (header) + 16 (the INT); its name word is first.
  for (const dump of [() => dumpRaw(btf), () => dumpJson(btf)]) {
    assert.throws(
      dump,
      (e) =>
        e instanceof BtfError &&
        /expected a name offset below \d+, found 2147418112/.test(e.message) &&
        e.offset === 24 + 16,
    );
  }
});

Deno.test("writeAllSync writes everything through short writes", () => {
  const data = new Uint8Array(1000).map((_, i) => i & 0xff);
  const got: number[] = [];
  writeAllSync({
    writeSync(p: Uint8Array) {
      const n = Math.min(p.length, 7);
      got.push(...p.subarray(0, n));
      return n;
    },
  }, data);
  assert.deepEqual(got, [...data]);
  assert.throws(() => writeAllSync({ writeSync: () => 0 }, data));
});

// ---------------------------------------------------------------------------
// JSON

/**
 * bpftool's `-j` text with two known differences normalised away: 64-bit
 * values beyond 2^53 become strings (as dumpJson gives them), and unsigned
 * 32-bit ENUM values, which bpftool sign-extends to 64 bits, are cut back
 * to 32 bits (dumpJson gives the real value).
 */
function normalizeBpftoolJson(text: string): string {
  let kind = "";
  return text.replace(/"kind":"([A-Z0-9_]+)"|"val":(-?\d+)/g, (m, k, v) => {
    if (k !== undefined) {
      kind = k;
      return m;
    }
    let x = BigInt(v);
    if (kind === "ENUM" && x > 0xffffffffn) x = BigInt.asUintN(32, x);
    return Number.isSafeInteger(Number(x)) ? `"val":${x}` : `"val":"${x}"`;
  });
}

function assertJsonMatchesBpftool(btf: Btf, path: string, what: string, base?: string): void {
  const want = normalizeBpftoolJson(
    new TextDecoder().decode(
      bpftool(["-j", ...(base ? ["-B", base] : []), "btf", "dump", "file", path]),
    ),
  ).trimEnd();
  assertSameText(
    JSON.stringify({ types: dumpJson(btf) }).replaceAll("},{", "},\n{"),
    want.replaceAll("},{", "},\n{"),
    what,
  );
}

Deno.test({
  name: "JSON dump of the kernel's BTF equals bpftool -j btf dump",
  ignore: !hasKernelBtf,
  fn() {
    assertJsonMatchesBpftool(loadBtf(), KERNEL_BTF_PATH, "vmlinux JSON");
  },
});

Deno.test("JSON dump of the BPF object, built blobs and split BTF equals bpftool -j", () => {
  const path = testObject();
  assertJsonMatchesBpftool(loadBtf(path), path, "btf_kinds.o JSON");
  for (const le of [true, false]) {
    const blob = oddBlob(le);
    const p = writeTemp(le ? "odd_le_json.btf" : "odd_be_json.btf", blob);
    assertJsonMatchesBpftool(parseBtf(blob), p, `odd blob JSON (${le ? "LE" : "BE"})`);
  }
  const base = loadBtf(path);
  const b = new BtfBuilder({ base });
  b.struct("split_s", 8, [{ name: "x", type: base.get("u64").id, bitOffset: 0 }]);
  const blob = b.build();
  const sp = writeTemp("split_json.btf", blob);
  assertJsonMatchesBpftool(parseBtf(blob, { base }), sp, "split JSON", path);
});

Deno.test("JSON shape: members and offsets agree with the raw dump; enum values", () => {
  const btf = loadBtf(testObject());
  const bitsId = btf.get("bits", Kind.STRUCT).id;
  const [bits] = dumpJson(btf, { ids: [bitsId], offsets: true });
  assert.equal(bits.kind, "STRUCT");
  assert.equal(bits.name, "bits");
  assert.equal(bits.size, 16);
  assert.equal(bits.vlen, 7);
  const byName = Object.fromEntries(bits.members!.map((m) => [m.name, m]));
  // d: a signed 11-bit field at bits 15..25, straddling bytes 1, 2 and 3.
  assert.deepEqual(
    { ...byName.d, type_id: undefined },
    { name: "d", type_id: undefined, bits_offset: 15, bitfield_size: 11, offset: 1, bit_offset: 7 },
  );
  assert.equal(btf.nameOf(byName.d.type_id), "int");
  assert.equal(byName.e.offset, 8);
  assert.equal(byName.e.bitfield_size, 40);
  assert.equal(byName.g.bitfield_size, undefined, "plain members carry no bitfield_size");
  assert.equal(byName.g.offset, 14);
  // Every member agrees with its raw line.
  const raw = formatRawType(btf, bitsId).split("\n").slice(1);
  assert.deepEqual(
    raw,
    bits.members!.map((m) =>
      `\t'${m.name}' type_id=${m.type_id} bits_offset=${m.bits_offset}` +
      (m.bitfield_size ? ` bitfield_size=${m.bitfield_size}` : "")
    ),
  );
  // Without offsets: exactly bpftool's member fields.
  const [plain] = dumpJson(btf, { ids: [bitsId] });
  assert.deepEqual(Object.keys(plain.members![0]), [
    "name",
    "type_id",
    "bits_offset",
    "bitfield_size",
  ]);
  assert.deepEqual(Object.keys(plain), ["id", "kind", "name", "size", "vlen", "members"]);

  // Anonymous members and types are "(anon)", as in bpftool.
  const [sink] = dumpJson(btf, { ids: [btf.get("kitchen_sink").id] });
  assert.equal(sink.members![1].name, "(anon)");

  // Enum values: signed 32-bit, and 64-bit beyond 2^53 as strings.
  const eb = new BtfBuilder();
  everyKind(eb);
  const blob = parseBtf(eb.build());
  const vals = (name: string) =>
    Object.fromEntries(
      (dumpJson(blob, { ids: [blob.get(name).id] })[0] as BtfJsonType).values!.map((
        v,
      ) => [v.name, v.val]),
    );
  assert.deepEqual(vals("sgn"), { NEG: -1, POS: 1 });
  assert.deepEqual(vals("big"), { BIG: 2 ** 40, ALL: "18446744073709551615" });
  assert.deepEqual(vals("bigs"), { M1: -1, MIN: "-9223372036854775808" });
  assert.deepEqual(dumpJson(blob, { ids: [0] }), [{ id: 0, kind: "UNKNOWN", name: "(anon)" }]);
  assert.throws(() => dumpJson(blob, { ids: [blob.count] }), BtfError);
});
