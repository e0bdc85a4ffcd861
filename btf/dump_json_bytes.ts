/**
 * The JSON dump written as bytes: one line per type, each exactly
 * `JSON.stringify` of the object {@link dumpJson} gives for it, but written
 * straight from the type section's words into one buffer (no objects, no
 * strings per type), so dumping the kernel's BTF costs about what the raw
 * dump does.
 *
 * @module
 */

import { ascii, ByteOut, type ByteSink, putNum, putWords, type Words, words } from "./byte_out.ts";
import { nameOwner, type RawBlob, rawBlob, resolveDumpIds } from "./dump_raw.ts";
import type { DumpJsonOptions } from "./dump_json.ts";
import { infoKind, infoVlen, Kind, KIND_NAMES, kindName, MAX_VLEN } from "./kinds.ts";
import type { Btf } from "./parse.ts";

const KINDS = KIND_NAMES.map((k) => words(`,"kind":"${k}","name":`));
const S_ID = words('{"id":');
const S_ANON = words('"(anon)"');
const S_SIZE = words(',"size":');
const S_BITS_OFFSET = words(',"bits_offset":');
const S_NR_BITS = words(',"nr_bits":');
const INT_ENCODINGS: Record<number, Words> = {
  0: words(',"encoding":"(none)"'),
  1: words(',"encoding":"SIGNED"'),
  2: words(',"encoding":"CHAR"'),
  4: words(',"encoding":"BOOL"'),
};
const S_ENC_UNKN = words(',"encoding":"UNKN"');
const S_TYPE_ID = words(',"type_id":');
const S_INDEX_TYPE_ID = words(',"index_type_id":');
const S_NR_ELEMS = words(',"nr_elems":');
const S_VLEN = words(',"vlen":');
const S_MEMBERS = words(',"members":[');
const S_NAME = words('{"name":');
const S_NEXT_NAME = words(',{"name":');
const S_BITFIELD_SIZE = words(',"bitfield_size":');
const S_OFFSET = words(',"offset":');
const S_BIT_OFFSET = words(',"bit_offset":');
const S_ENC_SIGNED = words(',"encoding":"SIGNED","size":');
const S_ENC_UNSIGNED = words(',"encoding":"UNSIGNED","size":');
const S_VALUES = words(',"values":[');
const S_VAL = words(',"val":');
const S_FWD_STRUCT = words(',"fwd_kind":"struct"');
const S_FWD_UNION = words(',"fwd_kind":"union"');
const LINKAGES = ["static", "global", "extern"].map((l) => words(`,"linkage":"${l}"`));
const S_LINKAGE_UNKN = words(',"linkage":"(unknown)"');
const S_RET_TYPE_ID = words(',"ret_type_id":');
const S_PARAMS = words(',"params":[');
const S_VARS = words(',"vars":[');
const S_VAR_TYPE_ID = words('{"type_id":');
const S_COMPONENT_IDX = words(',"component_idx":');
const S_VOID = ascii('{"id":0,"kind":"UNKNOWN","name":"(anon)"}');

/** 1 for the bytes a JSON string holds as they are: printable ASCII other than '"' and '\'. */
const PLAIN = new Uint8Array(256);
for (let c = 0x20; c <= 0x7e; c++) PLAIN[c] = c === 0x22 || c === 0x5c ? 0 : 1;

/** Room for the fixed text and numbers written after a name. */
const LINE = 192;
/** Room a line needs from its start: its fixed text, a name (see writeName) and a line of fields. */
const NAME_LINE = 3 * LINE;

/**
 * Writes the name whose string offset is word `wi` of `b` as a JSON string
 * (`"(anon)"` for offset 0), as `JSON.stringify` of the decoded name would,
 * and leaves room for one more line of fixed text and numbers after it.
 * The caller made room for {@link NAME_LINE} bytes at the start of the line
 * (one check per line rather than per call).
 */
function writeName(out: ByteOut, b: RawBlob, wi: number): void {
  const off = b.words[wi];
  if (off === 0) {
    out.pos = putWords(out.dv, out.pos, S_ANON);
    return;
  }
  const s = nameOwner(b, wi, off);
  const bytes = s.bytes, from = s.strAbs + off - s.startStr;
  // One pass for the common case: printable ASCII other than '"' and '\',
  // copied as it is while it fits in the room a line is given.
  const o = out.buf, room = out.pos + LINE;
  let pos = out.pos, i = from, c = bytes[i];
  o[pos++] = 0x22;
  while (PLAIN[c] === 1 && pos < room) {
    o[pos++] = c;
    c = bytes[++i];
  }
  if (c === 0) {
    o[pos++] = 0x22;
    out.pos = pos;
    return;
  }
  writeLongName(out, b, off, bytes, from);
}

/** {@link writeName} for names that need escapes or are longer than a line. */
function writeLongName(out: ByteOut, b: RawBlob, off: number, bytes: Uint8Array, from: number) {
  let end = from, plain = true;
  for (let c; (c = bytes[end]) !== 0; end++) {
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) plain = false;
  }
  if (!plain) {
    out.text(JSON.stringify(b.btf.str(off)));
    out.ensure(LINE);
    return;
  }
  out.ensure(end - from + LINE);
  const o = out.buf;
  let pos = out.pos;
  o[pos++] = 0x22;
  for (let i = from; i < end; i++) o[pos++] = bytes[i];
  o[pos++] = 0x22;
  out.pos = pos;
}

/** `,"type_id":N` and the like: a literal and a number (room checked by the caller). */
function field(o: Uint8Array, dv: DataView, pos: number, a: Words, v: number): number {
  pos = putWords(dv, pos, a);
  if (v < 0) {
    o[pos++] = 45;
    v = -v;
  }
  return putNum(o, pos, v);
}

/** No field. */
const NONE: Words = words("");
/** What follows a type's fields. */
const NO_LIST = 0, MEMBERS = 1, VALUES = 2, VALUES64 = 3, PARAMS = 4, VARS = 5;

/** Starts a list: `,"members":[` and the like. */
function listStart(out: ByteOut, head: Words): void {
  out.ensure(LINE);
  out.pos = putWords(out.dv, out.pos, head);
}

/** Starts item `k` of a list with its name: `{"name":"..."` (`,{` after the first). */
function itemName(out: ByteOut, b: RawBlob, m: number, k: number): void {
  out.ensure(NAME_LINE);
  out.pos = putWords(out.dv, out.pos, k ? S_NEXT_NAME : S_NAME);
  writeName(out, b, m);
}

/** Writes a struct's or union's `"members":[...]`. */
function writeMembers(out: ByteOut, b: RawBlob, p: number, offsets: boolean): void {
  const w = b.words, info = w[p + 1];
  const vlen = info & MAX_VLEN, kflag = info >>> 31 === 1;
  listStart(out, S_MEMBERS);
  for (let k = 0, m = p + 3; k < vlen; k++, m += 3) {
    itemName(out, b, m, k);
    const o = out.buf, dv = out.dv;
    let pos = field(o, dv, out.pos, S_TYPE_ID, w[m + 1]);
    const off = w[m + 2];
    const bits = kflag ? off & 0xffffff : off;
    pos = field(o, dv, pos, S_BITS_OFFSET, bits);
    if (kflag && off >>> 24) pos = field(o, dv, pos, S_BITFIELD_SIZE, off >>> 24);
    if (offsets) {
      pos = field(o, dv, pos, S_OFFSET, Math.floor(bits / 8));
      pos = field(o, dv, pos, S_BIT_OFFSET, bits % 8);
    }
    o[pos++] = 0x7d;
    out.pos = pos;
  }
  out.byte(0x5d);
}

/** Writes a prototype's `"params":[...]`. */
function writeParams(out: ByteOut, b: RawBlob, p: number): void {
  const w = b.words, vlen = w[p + 1] & MAX_VLEN;
  listStart(out, S_PARAMS);
  for (let k = 0, m = p + 3; k < vlen; k++, m += 2) {
    itemName(out, b, m, k);
    const o = out.buf, dv = out.dv;
    const pos = field(o, dv, out.pos, S_TYPE_ID, w[m + 1]);
    o[pos] = 0x7d;
    out.pos = pos + 1;
  }
  out.byte(0x5d);
}

/** Writes an enum's `"values":[...]`. */
function writeValues(out: ByteOut, b: RawBlob, p: number, is64: boolean): void {
  const w = b.words, info = w[p + 1];
  const vlen = info & MAX_VLEN, signed = info >>> 31 === 1;
  listStart(out, S_VALUES);
  for (let k = 0, m = p + 3; k < vlen; k++, m += is64 ? 3 : 2) {
    itemName(out, b, m, k);
    out.pos = putWords(out.dv, out.pos, S_VAL);
    if (!is64) {
      if (signed) out.int(w[m + 1] | 0);
      else out.num(w[m + 1]);
    } else if (w[m + 2] === 0) out.num(w[m + 1]);
    else {
      const u = (BigInt(w[m + 2]) << 32n) | BigInt(w[m + 1]);
      const v = signed ? BigInt.asIntN(64, u) : u;
      const n = Number(v);
      // Beyond 2^53 the value is a decimal string, as in dumpJson.
      out.text(Number.isSafeInteger(n) ? String(n) : `"${v}"`);
    }
    out.byte(0x7d);
  }
  out.byte(0x5d);
}

/** Writes a data section's `"vars":[...]`. */
function writeVars(out: ByteOut, b: RawBlob, p: number): void {
  const w = b.words, vlen = w[p + 1] & MAX_VLEN;
  listStart(out, S_VARS);
  for (let k = 0, m = p + 3; k < vlen; k++, m += 3) {
    out.ensure(LINE);
    const o = out.buf, dv = out.dv;
    let pos = out.pos;
    if (k) o[pos++] = 0x2c;
    pos = field(o, dv, pos, S_VAR_TYPE_ID, w[m]);
    pos = field(o, dv, pos, S_OFFSET, w[m + 1]);
    pos = field(o, dv, pos, S_SIZE, w[m + 2]);
    o[pos] = 0x7d;
    out.pos = pos + 1;
  }
  out.byte(0x5d);
}

/** Writes the JSON object of type `id` (defined by blob `b`) and a newline. */
function writeType(out: ByteOut, b: RawBlob, id: number, offsets: boolean): void {
  const w = b.words;
  const p = b.offsets[id - b.startId];
  const info = w[p + 1], st = w[p + 2];
  const kind = infoKind(info);
  const vlen = infoVlen(info);
  const kflag = info >>> 31 === 1;
  if (kind === 0 || kind >= KIND_NAMES.length) {
    // A kind this reader does not know (stepped over by the layout section):
    // its name and vlen, as dumpJson gives them.
    out.text(`{"id":${id},"kind":${JSON.stringify(kindName(kind))},"name":`);
    out.ensure(NAME_LINE);
    writeName(out, b, p);
    out.text(`,"vlen":${vlen}}`);
    return;
  }
  out.ensure(NAME_LINE);
  out.pos = putWords(out.dv, field(out.buf, out.dv, out.pos, S_ID, id), KINDS[kind]);
  writeName(out, b, p); // leaves room for the fields below
  // Up to three `,"key":N` fields and a literal: chosen by kind, written by
  // one call each, so the engine compiles the number writer four times
  // here rather than once per field of every kind.
  // Read for every kind, so that the few kinds that only show up late in
  // vmlinux (functions, variables, decl tags) run no code the engine has
  // not seen yet: an unseen load or operation deoptimized the whole loop.
  const x3 = w[p + 3];
  const linkage = LINKAGES[kind === Kind.VAR ? x3 : vlen] ?? S_LINKAGE_UNKN;
  const signed3 = x3 | 0;
  let k1: Words = S_TYPE_ID,
    v1 = st,
    k2 = NONE,
    v2 = 0,
    k3 = NONE,
    v3 = 0,
    tail = NONE,
    list = NO_LIST;
  switch (kind) {
    case Kind.INT: {
      const v = x3;
      k1 = S_SIZE;
      k2 = S_BITS_OFFSET, v2 = (v >>> 16) & 0xff;
      k3 = S_NR_BITS, v3 = v & 0xff;
      tail = INT_ENCODINGS[(v >>> 24) & 0x0f] ?? S_ENC_UNKN;
      break;
    }
    case Kind.ARRAY:
      v1 = w[p + 3];
      k2 = S_INDEX_TYPE_ID, v2 = w[p + 4];
      k3 = S_NR_ELEMS, v3 = w[p + 5];
      break;
    case Kind.STRUCT:
    case Kind.UNION:
      k1 = S_SIZE;
      k2 = S_VLEN, v2 = vlen;
      list = MEMBERS;
      break;
    case Kind.ENUM:
    case Kind.ENUM64:
      k1 = kflag ? S_ENC_SIGNED : S_ENC_UNSIGNED;
      k2 = S_VLEN, v2 = vlen;
      list = kind === Kind.ENUM64 ? VALUES64 : VALUES;
      break;
    case Kind.FWD:
      k1 = kflag ? S_FWD_UNION : S_FWD_STRUCT, v1 = -1;
      break;
    case Kind.FUNC:
      tail = linkage;
      break;
    case Kind.FUNC_PROTO:
      k1 = S_RET_TYPE_ID;
      k2 = S_VLEN, v2 = vlen;
      list = PARAMS;
      break;
    case Kind.VAR:
      tail = linkage;
      break;
    case Kind.DATASEC:
      k1 = S_SIZE;
      k2 = S_VLEN, v2 = vlen;
      list = VARS;
      break;
    case Kind.FLOAT:
      k1 = S_SIZE;
      break;
    case Kind.DECL_TAG:
      k2 = S_COMPONENT_IDX, v2 = signed3;
      break;
      // PTR, CONST, VOLATILE, RESTRICT, TYPEDEF, TYPE_TAG: the type id alone.
  }
  const o = out.buf, dv = out.dv;
  let pos = v1 < 0 ? putWords(dv, out.pos, k1) : field(o, dv, out.pos, k1, v1);
  if (k2 !== NONE) pos = field(o, dv, pos, k2, v2);
  if (k3 !== NONE) pos = field(o, dv, pos, k3, v3);
  out.pos = tail === NONE ? pos : putWords(dv, pos, tail);
  if (list !== NO_LIST) {
    if (list === MEMBERS) writeMembers(out, b, p, offsets);
    else if (list === PARAMS) writeParams(out, b, p);
    else if (list === VARS) writeVars(out, b, p);
    else writeValues(out, b, p, list === VALUES64);
    out.ensure(2);
  }
  out.buf[out.pos++] = 0x7d;
  out.buf[out.pos++] = 10;
}

/**
 * Options for {@link dumpJsonBytes}: those of {@link dumpJson}, and where to
 * stream the output.
 *
 * @example
 * ```ts
 * import { type DumpJsonBytesOptions, writeAllSync } from "@bpfview/bpfview";
 * const opts: DumpJsonBytesOptions = { write: (chunk) => writeAllSync(Deno.stdout, chunk) };
 * ```
 */
export interface DumpJsonBytesOptions extends DumpJsonOptions {
  /**
   * Hand the output over in chunks of about a megabyte as it is written,
   * instead of returning it (the result is then empty): the whole dump
   * (17 MB for a kernel's BTF) is never in memory. A chunk is reused once
   * `write` returns.
   */
  write?: ByteSink;
}

/** Output buffer size when streaming. */
const CHUNK = 1 << 20;

/**
 * The JSON dump as bytes, one type per line (each line ending in a
 * newline): exactly `dumpJson(btf, options).map((t) => JSON.stringify(t))`
 * joined by newlines, written without building the objects. This is what
 * `bpfview btf dump --format json` prints; prefer it for writing to a file
 * or stdout.
 *
 * @example
 * ```ts
 * import { dumpJsonBytes, loadBtf, writeAllSync } from "@bpfview/bpfview";
 * const btf = loadBtf();
 * console.log(dumpJsonBytes(btf, { ids: [1] }).length);
 * dumpJsonBytes(btf, { write: (chunk) => writeAllSync(Deno.stdout, chunk) });
 * ```
 */
export function dumpJsonBytes(btf: Btf, options: DumpJsonBytesOptions = {}): Uint8Array {
  const root = rawBlob(btf);
  const offsets = options.offsets === true;
  const list = options.ids === undefined ? undefined : resolveDumpIds(btf, options.ids);
  const out = new ByteOut(
    options.write ? CHUNK : list ? 4096 : 2 * btf.typesLength + btf.stringsLength,
    options.write,
  );
  if (list === undefined) {
    const end = root.startId + root.n;
    for (let id = root.startId; id < end; id++) writeType(out, root, id, offsets);
  } else {
    for (const id of list) {
      if (id === 0) {
        out.lit(S_VOID);
        out.byte(10);
      } else {
        let b = root;
        while (id < b.startId && b.base) b = b.base;
        writeType(out, b, id, offsets);
      }
    }
  }
  out.flush();
  return out.bytes();
}
