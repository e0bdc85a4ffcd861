/**
 * The JSON dump written as bytes: one line per type, each exactly
 * `JSON.stringify` of the object {@link dumpJson} gives for it, but written
 * straight from the type section's words into one buffer (no objects, no
 * strings per type), so dumping the kernel's BTF costs about what the raw
 * dump does.
 *
 * @module
 */

import { ascii, ByteOut, type ByteSink } from "./byte_out.ts";
import { badName, type RawBlob, rawBlob, resolveDumpIds } from "./dump_raw.ts";
import type { DumpJsonOptions } from "./dump_json.ts";
import { BtfError } from "./error.ts";
import { infoKind, infoVlen, Kind, KIND_NAMES, kindName } from "./kinds.ts";
import type { Btf } from "./parse.ts";

const KINDS = KIND_NAMES.map((k) => ascii(`,"kind":"${k}","name":`));
const S_ID = ascii('{"id":');
const S_ANON = ascii('"(anon)"');
const S_SIZE = ascii(',"size":');
const S_BITS_OFFSET = ascii(',"bits_offset":');
const S_NR_BITS = ascii(',"nr_bits":');
const INT_ENCODINGS: Record<number, Uint8Array> = {
  0: ascii(',"encoding":"(none)"'),
  1: ascii(',"encoding":"SIGNED"'),
  2: ascii(',"encoding":"CHAR"'),
  4: ascii(',"encoding":"BOOL"'),
};
const S_ENC_UNKN = ascii(',"encoding":"UNKN"');
const S_TYPE_ID = ascii(',"type_id":');
const S_INDEX_TYPE_ID = ascii(',"index_type_id":');
const S_NR_ELEMS = ascii(',"nr_elems":');
const S_VLEN = ascii(',"vlen":');
const S_MEMBERS = ascii(',"members":[');
const S_NAME = ascii('{"name":');
const S_BITFIELD_SIZE = ascii(',"bitfield_size":');
const S_OFFSET = ascii(',"offset":');
const S_BIT_OFFSET = ascii(',"bit_offset":');
const S_ENC_SIGNED = ascii(',"encoding":"SIGNED","size":');
const S_ENC_UNSIGNED = ascii(',"encoding":"UNSIGNED","size":');
const S_VALUES = ascii(',"values":[');
const S_VAL = ascii(',"val":');
const S_FWD_STRUCT = ascii(',"fwd_kind":"struct"');
const S_FWD_UNION = ascii(',"fwd_kind":"union"');
const LINKAGES = ["static", "global", "extern"].map((l) => ascii(`,"linkage":"${l}"`));
const S_LINKAGE_UNKN = ascii(',"linkage":"(unknown)"');
const S_RET_TYPE_ID = ascii(',"ret_type_id":');
const S_PARAMS = ascii(',"params":[');
const S_VARS = ascii(',"vars":[');
const S_VAR_TYPE_ID = ascii('{"type_id":');
const S_COMPONENT_IDX = ascii(',"component_idx":');
const S_VOID = ascii('{"id":0,"kind":"UNKNOWN","name":"(anon)"}');

/**
 * Writes the name whose string offset is word `wi` of `b` as a JSON string
 * (`"(anon)"` for offset 0), as `JSON.stringify` of the decoded name would.
 */
function writeName(out: ByteOut, b: RawBlob, wi: number): void {
  const off = b.words[wi];
  if (off === 0) return out.lit(S_ANON);
  let s = b;
  while (off < s.startStr && s.base) s = s.base;
  const local = off - s.startStr;
  if (!(local >= 0 && local < s.strLen)) throw badName(b, wi);
  const bytes = s.bytes, from = s.strAbs + local;
  let end = from, plain = true;
  for (let c; (c = bytes[end]) !== 0; end++) {
    // Printable ASCII other than '"' and '\' is written as it is.
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) plain = false;
  }
  if (plain) {
    out.byte(0x22);
    out.copy(bytes, from, end);
    out.byte(0x22);
  } else out.text(JSON.stringify(b.btf.str(off)));
}

/** Writes the JSON object of type `id` (defined by blob `b`), without a newline. */
function writeType(out: ByteOut, b: RawBlob, id: number, offsets: boolean): void {
  const w = b.words;
  const p = b.offsets[id - b.startId];
  const info = w[p + 1], st = w[p + 2];
  const kind = infoKind(info);
  const vlen = infoVlen(info);
  const kflag = info >>> 31 === 1;
  out.lit(S_ID);
  out.num(id);
  if (kind === 0 || kind >= KIND_NAMES.length) {
    // A kind this reader does not know (stepped over by the layout section):
    // its name and vlen, as dumpJson gives them.
    out.text(`,"kind":${JSON.stringify(kindName(kind))},"name":`);
    writeName(out, b, p);
    out.text(`,"vlen":${vlen}}`);
    return;
  }
  out.lit(KINDS[kind]);
  writeName(out, b, p);
  switch (kind) {
    case Kind.INT: {
      const v = w[p + 3];
      out.lit(S_SIZE);
      out.num(st);
      out.lit(S_BITS_OFFSET);
      out.num((v >>> 16) & 0xff);
      out.lit(S_NR_BITS);
      out.num(v & 0xff);
      out.lit(INT_ENCODINGS[(v >>> 24) & 0x0f] ?? S_ENC_UNKN);
      break;
    }
    case Kind.PTR:
    case Kind.CONST:
    case Kind.VOLATILE:
    case Kind.RESTRICT:
    case Kind.TYPEDEF:
    case Kind.TYPE_TAG:
      out.lit(S_TYPE_ID);
      out.num(st);
      break;
    case Kind.ARRAY:
      out.lit(S_TYPE_ID);
      out.num(w[p + 3]);
      out.lit(S_INDEX_TYPE_ID);
      out.num(w[p + 4]);
      out.lit(S_NR_ELEMS);
      out.num(w[p + 5]);
      break;
    case Kind.STRUCT:
    case Kind.UNION:
      out.lit(S_SIZE);
      out.num(st);
      out.lit(S_VLEN);
      out.num(vlen);
      out.lit(S_MEMBERS);
      for (let k = 0, m = p + 3; k < vlen; k++, m += 3) {
        if (k) out.byte(0x2c);
        out.lit(S_NAME);
        writeName(out, b, m);
        out.lit(S_TYPE_ID);
        out.num(w[m + 1]);
        const off = w[m + 2];
        const bits = kflag ? off & 0xffffff : off;
        out.lit(S_BITS_OFFSET);
        out.num(bits);
        if (kflag && off >>> 24) {
          out.lit(S_BITFIELD_SIZE);
          out.num(off >>> 24);
        }
        if (offsets) {
          out.lit(S_OFFSET);
          out.num(Math.floor(bits / 8));
          out.lit(S_BIT_OFFSET);
          out.num(bits % 8);
        }
        out.byte(0x7d);
      }
      out.byte(0x5d);
      break;
    case Kind.ENUM:
    case Kind.ENUM64: {
      out.lit(kflag ? S_ENC_SIGNED : S_ENC_UNSIGNED);
      out.num(st);
      out.lit(S_VLEN);
      out.num(vlen);
      out.lit(S_VALUES);
      const step = kind === Kind.ENUM ? 2 : 3;
      for (let k = 0, m = p + 3; k < vlen; k++, m += step) {
        if (k) out.byte(0x2c);
        out.lit(S_NAME);
        writeName(out, b, m);
        out.lit(S_VAL);
        if (kind === Kind.ENUM) {
          if (kflag) out.int(w[m + 1] | 0);
          else out.num(w[m + 1]);
        } else {
          const lo = w[m + 1], hi = w[m + 2];
          if (hi === 0) out.num(lo);
          else {
            const u = (BigInt(hi) << 32n) | BigInt(lo);
            const v = kflag ? BigInt.asIntN(64, u) : u;
            const n = Number(v);
            // Beyond 2^53 the value is a decimal string, as in dumpJson.
            out.text(Number.isSafeInteger(n) ? String(n) : `"${v}"`);
          }
        }
        out.byte(0x7d);
      }
      out.byte(0x5d);
      break;
    }
    case Kind.FWD:
      out.lit(kflag ? S_FWD_UNION : S_FWD_STRUCT);
      break;
    case Kind.FUNC:
      out.lit(S_TYPE_ID);
      out.num(st);
      out.lit(LINKAGES[vlen] ?? S_LINKAGE_UNKN);
      break;
    case Kind.FUNC_PROTO:
      out.lit(S_RET_TYPE_ID);
      out.num(st);
      out.lit(S_VLEN);
      out.num(vlen);
      out.lit(S_PARAMS);
      for (let k = 0, m = p + 3; k < vlen; k++, m += 2) {
        if (k) out.byte(0x2c);
        out.lit(S_NAME);
        writeName(out, b, m);
        out.lit(S_TYPE_ID);
        out.num(w[m + 1]);
        out.byte(0x7d);
      }
      out.byte(0x5d);
      break;
    case Kind.VAR:
      out.lit(S_TYPE_ID);
      out.num(st);
      out.lit(LINKAGES[w[p + 3]] ?? S_LINKAGE_UNKN);
      break;
    case Kind.DATASEC:
      out.lit(S_SIZE);
      out.num(st);
      out.lit(S_VLEN);
      out.num(vlen);
      out.lit(S_VARS);
      for (let k = 0, m = p + 3; k < vlen; k++, m += 3) {
        if (k) out.byte(0x2c);
        out.lit(S_VAR_TYPE_ID);
        out.num(w[m]);
        out.lit(S_OFFSET);
        out.num(w[m + 1]);
        out.lit(S_SIZE);
        out.num(w[m + 2]);
        out.byte(0x7d);
      }
      out.byte(0x5d);
      break;
    case Kind.FLOAT:
      out.lit(S_SIZE);
      out.num(st);
      break;
    case Kind.DECL_TAG:
      out.lit(S_TYPE_ID);
      out.num(st);
      out.lit(S_COMPONENT_IDX);
      out.int(w[p + 3] | 0);
      break;
    default:
      throw new BtfError(`expected a known kind for type ${id}, found ${kind}`);
  }
  out.byte(0x7d);
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
    for (let id = root.startId; id < end; id++) {
      writeType(out, root, id, offsets);
      out.byte(10);
    }
  } else {
    for (const id of list) {
      if (id === 0) out.lit(S_VOID);
      else {
        let b = root;
        while (id < b.startId && b.base) b = b.base;
        writeType(out, b, id, offsets);
      }
      out.byte(10);
    }
  }
  out.flush();
  return out.bytes();
}
