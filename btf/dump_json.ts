/**
 * The JSON BTF dump: plain objects shaped like the entries of
 * `bpftool -j btf dump file F` (`{"types": [...]}`), with the same field
 * names, in the same order, so `JSON.stringify({ types: dumpJson(btf) })`
 * reproduces bpftool's output. Two deliberate differences: a 64-bit
 * enumerator value beyond 2^53 is a decimal string, so it survives JSON;
 * and an unsigned 32-bit ENUM value of 2^31 or more is that value
 * (bpftool 7.1 sign-extends it: 1 << 31 prints as 18446744071562067968).
 *
 * @module
 */

import type { Btf } from "./parse.ts";
import { infoKind, infoVlen, Kind, KIND_NAMES, kindName } from "./kinds.ts";
import { nameOwner, type RawBlob, rawBlob, resolveDumpIds } from "./dump_raw.ts";

/**
 * One member of a struct or union in {@link dumpJson} output.
 *
 * @example
 * ```ts
 * import type { BtfJsonMember } from "@bpfview/bpfview";
 * const byteOf = (m: BtfJsonMember) => Math.floor(m.bits_offset / 8);
 * ```
 */
export interface BtfJsonMember {
  /** Member name, `"(anon)"` for an anonymous member (as bpftool). */
  name: string;
  /** Member type id. */
  type_id: number;
  /** Offset from the start of the struct, in bits. */
  bits_offset: number;
  /** Bitfield width in bits; present only for bitfields. */
  bitfield_size?: number;
  /** With `offsets: true`: byte offset, `floor(bits_offset / 8)`. */
  offset?: number;
  /** With `offsets: true`: bit offset within that byte, `bits_offset % 8`. */
  bit_offset?: number;
}

/**
 * One enumerator in {@link dumpJson} output. `val` is signed for signed
 * enums; a 64-bit value beyond `Number.MAX_SAFE_INTEGER` is a decimal string.
 *
 * @example
 * ```ts
 * import type { BtfJsonEnumValue } from "@bpfview/bpfview";
 * const asBigInt = (v: BtfJsonEnumValue) => BigInt(v.val);
 * ```
 */
export interface BtfJsonEnumValue {
  /** Enumerator name. */
  name: string;
  /** Value: a number, or a decimal string when it is not a safe integer. */
  val: number | string;
}

/**
 * One function prototype parameter in {@link dumpJson} output. A last
 * parameter named `"(anon)"` with `type_id` 0 marks varargs.
 *
 * @example
 * ```ts
 * import type { BtfJsonParam } from "@bpfview/bpfview";
 * const isVarargs = (p: BtfJsonParam) => p.type_id === 0;
 * ```
 */
export interface BtfJsonParam {
  /** Parameter name, `"(anon)"` when unnamed. */
  name: string;
  /** Parameter type id (0 for the varargs marker). */
  type_id: number;
}

/**
 * One variable of a DATASEC in {@link dumpJson} output.
 *
 * @example
 * ```ts
 * import type { BtfJsonVar } from "@bpfview/bpfview";
 * const end = (v: BtfJsonVar) => v.offset + v.size;
 * ```
 */
export interface BtfJsonVar {
  /** The VAR (or FUNC) type id. */
  type_id: number;
  /** Byte offset in the section. */
  offset: number;
  /** Size in bytes. */
  size: number;
}

/**
 * One type in {@link dumpJson} output. `id`, `kind` and `name` are always
 * present; the other fields depend on the kind, exactly as in bpftool:
 *
 * | kind | fields |
 * | --- | --- |
 * | INT | `size`, `bits_offset`, `nr_bits`, `encoding` (`"(none)"`, `"SIGNED"`, `"CHAR"`, `"BOOL"`, `"UNKN"`) |
 * | PTR, TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG | `type_id` |
 * | ARRAY | `type_id`, `index_type_id`, `nr_elems` |
 * | STRUCT, UNION | `size`, `vlen`, `members` |
 * | ENUM, ENUM64 | `encoding` (`"SIGNED"`/`"UNSIGNED"`), `size`, `vlen`, `values` |
 * | FWD | `fwd_kind` (`"struct"`/`"union"`) |
 * | FUNC | `type_id`, `linkage` (`"static"`, `"global"`, `"extern"`) |
 * | FUNC_PROTO | `ret_type_id`, `vlen`, `params` |
 * | VAR | `type_id`, `linkage` |
 * | DATASEC | `size`, `vlen`, `vars` |
 * | FLOAT | `size` |
 * | DECL_TAG | `type_id`, `component_idx` (-1 for the whole declaration) |
 *
 * @example
 * ```ts
 * import { type BtfJsonType, dumpJson, loadBtf } from "@bpfview/bpfview";
 * const structs: BtfJsonType[] = dumpJson(loadBtf()).filter((t) => t.kind === "STRUCT");
 * ```
 */
export interface BtfJsonType {
  /** Type id. */
  id: number;
  /** Kind name, as {@link KIND_NAMES}: `"STRUCT"`, `"INT"`, ... */
  kind: string;
  /** Name, `"(anon)"` for anonymous types (as bpftool). */
  name: string;
  /** Size in bytes (INT, STRUCT, UNION, ENUM, ENUM64, DATASEC, FLOAT). */
  size?: number;
  /** INT: bit offset of the value (BTF_INT_OFFSET). */
  bits_offset?: number;
  /** INT: number of value bits. */
  nr_bits?: number;
  /** INT encoding, or ENUM signedness. */
  encoding?: string;
  /** The referenced type (ARRAY: element type; FUNC: its FUNC_PROTO; DECL_TAG: tagged type). */
  type_id?: number;
  /** ARRAY: index type. */
  index_type_id?: number;
  /** ARRAY: element count. */
  nr_elems?: number;
  /** Number of members, enumerators, parameters or variables. */
  vlen?: number;
  /** STRUCT, UNION members. */
  members?: BtfJsonMember[];
  /** ENUM, ENUM64 enumerators. */
  values?: BtfJsonEnumValue[];
  /** FWD: `"struct"` or `"union"`. */
  fwd_kind?: string;
  /** FUNC, VAR: `"static"`, `"global"`, `"extern"` or `"(unknown)"`. */
  linkage?: string;
  /** FUNC_PROTO: return type (0 for void). */
  ret_type_id?: number;
  /** FUNC_PROTO parameters. */
  params?: BtfJsonParam[];
  /** DATASEC variables. */
  vars?: BtfJsonVar[];
  /** DECL_TAG: -1, or the index of the tagged member or parameter. */
  component_idx?: number;
}

/**
 * Options for {@link dumpJson}.
 *
 * @example
 * ```ts
 * import type { DumpJsonOptions } from "@bpfview/bpfview";
 * const opts: DumpJsonOptions = { ids: [1], offsets: true };
 * ```
 */
export interface DumpJsonOptions {
  /**
   * Dump only these type ids, in this order (base ids too, for split BTF).
   * Without it, all of the blob's own types in id order.
   */
  ids?: Iterable<number>;
  /**
   * With `ids`: also every type they refer to, transitively (the blob's own
   * types, in id order), as `bpfview btf dump --format json TYPE` prints them.
   */
  withDependencies?: boolean;
  /**
   * Add `offset` (bytes) and `bit_offset` (bits within that byte) to every
   * struct and union member. Off by default, to match bpftool.
   */
  offsets?: boolean;
}

const INT_ENCODINGS: Record<number, string> = { 0: "(none)", 1: "SIGNED", 2: "CHAR", 4: "BOOL" };
const LINKAGES = ["static", "global", "extern"];

/** The name whose string offset is word `wi` of `b`, `"(anon)"` for offset 0. */
function nameOf(b: RawBlob, wi: number): string {
  const off = b.words[wi];
  if (off === 0) return "(anon)";
  nameOwner(b, wi, off); // checks it
  return b.btf.str(off);
}

function enum64(lo: number, hi: number, signed: boolean): number | string {
  const u = (BigInt(hi) << 32n) | BigInt(lo);
  const v = signed ? BigInt.asIntN(64, u) : u;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v.toString();
}

function jsonType(b: RawBlob, id: number, offsets: boolean): BtfJsonType {
  const w = b.words;
  const p = b.offsets[id - b.startId];
  const info = w[p + 1], st = w[p + 2];
  const kind = infoKind(info);
  const vlen = infoVlen(info);
  const kflag = info >>> 31 === 1;
  const t: BtfJsonType = { id, kind: kindName(kind), name: nameOf(b, p) };
  switch (kind) {
    case Kind.INT: {
      const v = w[p + 3];
      t.size = st;
      t.bits_offset = (v >>> 16) & 0xff;
      t.nr_bits = v & 0xff;
      t.encoding = INT_ENCODINGS[(v >>> 24) & 0x0f] ?? "UNKN";
      break;
    }
    case Kind.PTR:
    case Kind.CONST:
    case Kind.VOLATILE:
    case Kind.RESTRICT:
    case Kind.TYPEDEF:
    case Kind.TYPE_TAG:
      t.type_id = st;
      break;
    case Kind.ARRAY:
      t.type_id = w[p + 3];
      t.index_type_id = w[p + 4];
      t.nr_elems = w[p + 5];
      break;
    case Kind.STRUCT:
    case Kind.UNION: {
      t.size = st;
      t.vlen = vlen;
      const members: BtfJsonMember[] = new Array(vlen);
      for (let k = 0, m = p + 3; k < vlen; k++, m += 3) {
        const off = w[m + 2];
        const bits = kflag ? off & 0xffffff : off;
        const mem: BtfJsonMember = { name: nameOf(b, m), type_id: w[m + 1], bits_offset: bits };
        if (kflag && off >>> 24) mem.bitfield_size = off >>> 24;
        if (offsets) {
          mem.offset = Math.floor(bits / 8);
          mem.bit_offset = bits % 8;
        }
        members[k] = mem;
      }
      t.members = members;
      break;
    }
    case Kind.ENUM:
    case Kind.ENUM64: {
      t.encoding = kflag ? "SIGNED" : "UNSIGNED";
      t.size = st;
      t.vlen = vlen;
      const values: BtfJsonEnumValue[] = new Array(vlen);
      if (kind === Kind.ENUM) {
        for (let k = 0, m = p + 3; k < vlen; k++, m += 2) {
          values[k] = { name: nameOf(b, m), val: kflag ? w[m + 1] | 0 : w[m + 1] };
        }
      } else {
        for (let k = 0, m = p + 3; k < vlen; k++, m += 3) {
          values[k] = { name: nameOf(b, m), val: enum64(w[m + 1], w[m + 2], kflag) };
        }
      }
      t.values = values;
      break;
    }
    case Kind.FWD:
      t.fwd_kind = kflag ? "union" : "struct";
      break;
    case Kind.FUNC:
      t.type_id = st;
      t.linkage = LINKAGES[vlen] ?? "(unknown)";
      break;
    case Kind.FUNC_PROTO: {
      t.ret_type_id = st;
      t.vlen = vlen;
      const params: BtfJsonParam[] = new Array(vlen);
      for (let k = 0, m = p + 3; k < vlen; k++, m += 2) {
        params[k] = { name: nameOf(b, m), type_id: w[m + 1] };
      }
      t.params = params;
      break;
    }
    case Kind.VAR:
      t.type_id = st;
      t.linkage = LINKAGES[w[p + 3]] ?? "(unknown)";
      break;
    case Kind.DATASEC: {
      t.size = st;
      t.vlen = vlen;
      const vars: BtfJsonVar[] = new Array(vlen);
      for (let k = 0, m = p + 3; k < vlen; k++, m += 3) {
        vars[k] = { type_id: w[m], offset: w[m + 1], size: w[m + 2] };
      }
      t.vars = vars;
      break;
    }
    case Kind.FLOAT:
      t.size = st;
      break;
    case Kind.DECL_TAG:
      t.type_id = st;
      t.component_idx = w[p + 3] | 0;
      break;
    default:
      // A kind this reader does not know (stepped over by the layout section).
      t.vlen = vlen;
      break;
  }
  return t;
}

/**
 * The types of `btf` as plain JSON-ready objects, one per type, shaped like
 * the `types` array of `bpftool -j btf dump file F` (same field names and
 * order; names of anonymous types and members are `"(anon)"`). Without
 * `ids`, all of the blob's own types in id order (for split BTF, not the
 * base's). Id 0 (asked for explicitly) gives bpftool's
 * `{ id: 0, kind: "UNKNOWN", name: "(anon)" }`.
 *
 * @example
 * ```ts
 * import { dumpJson, Kind, loadBtf } from "@bpfview/bpfview";
 * const btf = loadBtf();
 * const [task] = dumpJson(btf, { ids: btf.findIds("task_struct", Kind.STRUCT) });
 * console.log(task.members?.map((m) => m.name));
 * console.log(JSON.stringify({ types: dumpJson(btf) })); // as `bpftool -j btf dump`
 * ```
 */
export function dumpJson(btf: Btf, options: DumpJsonOptions = {}): BtfJsonType[] {
  const root = rawBlob(btf);
  const offsets = options.offsets === true;
  if (options.ids === undefined) {
    const out: BtfJsonType[] = new Array(root.n);
    for (let i = 0; i < root.n; i++) out[i] = jsonType(root, root.startId + i, offsets);
    return out;
  }
  return resolveDumpIds(btf, options.ids, options.withDependencies).map((id) => {
    if (id === 0) return { id: 0, kind: KIND_NAMES[0], name: "(anon)" };
    let b = root;
    while (id < b.startId && b.base) b = b.base;
    return jsonType(b, id, offsets);
  });
}
