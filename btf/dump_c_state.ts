/**
 * The state a C dump works on (see `dump_c.ts`), with the queries shared by
 * ordering (`dump_c_order.ts`) and emission (`dump_c_emit.ts`,
 * `dump_c_decl.ts`): names with `___N` suffixes, libbpf's sizes and
 * alignment, nesting and work bounds.
 *
 * The dump reads the type section's words directly (no type is decoded into
 * an object) and writes bytes (names are copied from the string section):
 * dumping the kernel's BTF allocates little more than its output.
 *
 * @module
 */

import { scalarAlign } from "./align.ts";
import { ascii, type ByteOut, SLACK } from "./byte_out.ts";
import { IDENTS, NameCounts, TAGS } from "./dump_c_names.ts";
import { rawBlob } from "./dump_raw.ts";
import { AT_BY_ID } from "./type_index.ts";
import { BtfError } from "./error.ts";
import { Kind, kindName, LAST_KNOWN_KIND, MAX_KIND, MAX_VLEN } from "./kinds.ts";
import type { Btf } from "./parse.ts";

/** How deeply the dumper nests before it calls the type graph cyclic or hostile. */
export const MAX_DEPTH = 512;
/** Longest chain of pointers, qualifiers and arrays in one declaration. */
export const MAX_CHAIN = 1024;
/** Largest hole (in bits) filled with padding members: 8 MiB, a million `long: 64;` lines. */
export const MAX_PAD_BITS = 64 * 1024 * 1024;
/** libbpf's bound on typedef/qualifier/array chains when sizing a member. */
export const MAX_RESOLVE_DEPTH = 32;
/**
 * Work allowed per type of the input, on top of {@link WORK_BASE}: one unit
 * per type visited while ordering or emitting, per declaration and per output
 * line. Anonymous types and function prototypes are written out at every use,
 * so BTF that nests them and uses each twice doubles the output per level; a
 * budget proportional to the input stops it. The kernel's vmlinux needs about
 * 2.2 units per type.
 */
const WORK_PER_TYPE = 16;
/** Work allowed whatever the size of the input. */
const WORK_BASE = 1_000_000;

export const NOT_DONE = 0;
export const IN_PROGRESS = 1;
export const DONE = 2;

/** Bits of a type's info word: the kind, and vlen (members, values, parameters). */
export const KIND_SHIFT = 24;
export const KIND_MASK = MAX_KIND;
export const VLEN_MASK = MAX_VLEN;

const S_STRUCT = ascii("struct");
const S_UNION = ascii("union");
const S_STRUCT_SP = ascii("struct ");
const S_UNION_SP = ascii("union ");
const S_DUP = ascii("___");
const B_BUILTIN_VA_LIST = ascii("__builtin_va_list");

/** {@link CDumpState.scan}'s tables, by kind: the word after a record's start holding a type id it checks (0: none). */
const SCAN_REF = new Uint8Array(32);
/** 1 if that type counts as referenced (a prototype's return type does not), else 0. */
const SCAN_MARK = new Uint8Array(32);
/** A second referenced type id's word (arrays' index type), 0: none. */
const SCAN_REF2 = new Uint8Array(32);
/** Words per member, parameter, value or variable (0: none). */
const SCAN_STRIDE = new Uint8Array(32);
/** Word of an item's type id within it, -1: none. */
const SCAN_ITEM_TYPE = new Int8Array(32).fill(-1);
/** Word of an item's name within it, -1: none. */
const SCAN_ITEM_NAME = new Int8Array(32).fill(-1);
/** 1 if each item's name is one the dump counts (enumerators), else 0. */
const SCAN_ITEM_NAMES = new Uint8Array(32);
for (const k of [2, 8, 9, 10, 11, 18, 14, 17]) {
  // PTR, TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG, VAR, DECL_TAG: one type id.
  SCAN_REF[k] = 2, SCAN_MARK[k] = 1;
}
SCAN_REF[3] = 3, SCAN_MARK[3] = 1, SCAN_REF2[3] = 4; // ARRAY: element and index types
SCAN_REF[13] = 2; // FUNC_PROTO: return type, checked only
for (const [k, stride, type, name] of [[4, 3, 1, 0], [5, 3, 1, 0], [13, 2, 1, 0], [15, 3, 0, -1]]) {
  // STRUCT, UNION (members), FUNC_PROTO (parameters), DATASEC (variables).
  SCAN_STRIDE[k] = stride, SCAN_ITEM_TYPE[k] = type, SCAN_ITEM_NAME[k] = name;
}
for (const [k, stride] of [[6, 2], [19, 3]]) {
  // ENUM, ENUM64: enumerator names, counted.
  SCAN_STRIDE[k] = stride, SCAN_ITEM_NAME[k] = 0, SCAN_ITEM_NAMES[k] = 1;
}

/**
 * The types of a BTF blob and its bases as one array of words and one of
 * strings (copied together only for split BTF).
 */
interface Flat {
  /** Type section words, host order. */
  w: Uint32Array;
  /** Word index of each type id's record (index 0 unused). */
  at: Uint32Array;
  /** The string sections (string offset 0 at the start). */
  s: Uint8Array;
  /** First string offset past the last section. */
  strEnd: number;
}

function flatten(btf: Btf): Flat {
  const chain = [];
  for (let b: ReturnType<typeof rawBlob> | undefined = rawBlob(btf); b; b = b.base) {
    chain.unshift(b);
  }
  if (chain.length === 1) {
    const b = chain[0], o = b.offsets;
    // By id without a copy (see AT_BY_ID): 126k entries of vmlinux, 124
    // fresh pages fewer to fault in.
    const at = o.byteOffset === 4 * AT_BY_ID
      ? new Uint32Array(o.buffer, 0, btf.count)
      : new Uint32Array(btf.count);
    if (at.buffer !== o.buffer) at.set(o.subarray(0, b.n), 1);
    return { w: b.words, at, s: b.bytes.subarray(b.strAbs, b.strAbs + b.strLen), strEnd: b.strLen };
  }
  const at = new Uint32Array(btf.count);
  let nw = 0, ns = 0;
  for (const b of chain) nw += b.words.length, ns += b.strLen;
  const w = new Uint32Array(nw), s = new Uint8Array(ns);
  nw = ns = 0;
  for (const b of chain) {
    w.set(b.words, nw);
    at.set(b.offsets.subarray(0, b.n), b.startId);
    for (let i = b.startId; i < b.startId + b.n; i++) at[i] += nw;
    nw += b.words.length;
    s.set(b.bytes.subarray(b.strAbs, b.strAbs + b.strLen), ns);
    ns += b.strLen;
  }
  return { w, at, s, strEnd: ns };
}

/**
 * The state of one C dump: the type words, the ordering and emission marks,
 * resolved names, memoized alignments, the declaration chain stack, the
 * output and the work budget; and the queries on them (names, sizes,
 * alignment) that ordering and emission share.
 */
export class CDumpState {
  declare readonly btf: Btf;
  declare readonly n: number;
  declare readonly ptrSz: number;
  declare readonly out: ByteOut;
  /** Type section words (host order) and each id's record position in them. */
  declare readonly w: Uint32Array;
  declare readonly at: Uint32Array;
  /** The string sections, string offset 0 at the start (a view for one blob). */
  declare readonly s: Uint8Array;
  declare readonly strEnd: number;
  /** Kinds by id. */
  declare readonly kinds: Uint8Array;
  /** Topological sort state: NOT_DONE, IN_PROGRESS (ORDERING) or DONE (ORDERED). */
  declare readonly order: Uint8Array;
  /** Emission state: NOT_DONE, IN_PROGRESS (EMITTING) or DONE (EMITTED). */
  declare readonly emit: Uint8Array;
  declare readonly fwdEmitted: Uint8Array;
  declare readonly referenced: Uint8Array;
  /** Resolved name of each id: 0 not yet, 1 as it is, N > 1 with a `___N` suffix. */
  declare readonly dups: Int32Array;
  declare readonly names: NameCounts;
  /**
   * Memoized alignments: 0 not computed, -1 in progress, else align + 1
   * (alignments are at most the pointer size, 4 or 8: a byte each).
   */
  declare readonly aligns: Int8Array;
  /** Memoized {@link isStructPacked}: 0 not computed, 1 no, 2 yes. */
  declare readonly packed: Uint8Array;
  /**
   * Types ordered and waiting to be emitted: `queue[0..queued)` (each type
   * is queued once at most, so `n` slots always do).
   */
  declare readonly queue: Int32Array;
  queued = 0;
  /** Declaration chains being written, innermost declaration on top (see `dump_c_decl.ts`). */
  readonly chain: number[] = [];
  /** First free slot of {@link chain}. */
  top = 0;
  depth = 0;
  /** Work done so far (see {@link WORK_PER_TYPE}) and the most allowed. */
  work = 0;
  declare readonly maxWork: number;
  /** Padding types (`long`, `int`, `short`, `char`), widest first, and their widths in bits. */
  declare readonly padNames: readonly Uint8Array[];
  declare readonly padBits: readonly number[];

  constructor(btf: Btf, out: ByteOut) {
    this.btf = btf;
    this.out = out;
    const f = flatten(btf);
    this.w = f.w;
    this.at = f.at;
    this.s = f.s;
    this.strEnd = f.strEnd;
    const n = this.n = btf.count;
    this.ptrSz = btf.pointerSize;
    this.kinds = new Uint8Array(n);
    this.order = new Uint8Array(n);
    this.emit = new Uint8Array(n);
    this.fwdEmitted = new Uint8Array(n);
    this.referenced = new Uint8Array(n);
    this.dups = new Int32Array(n);
    this.aligns = new Int8Array(n);
    this.packed = new Uint8Array(n);
    this.queue = new Int32Array(n);
    this.padNames = ["long", "int", "short", "char"].map(ascii);
    this.padBits = [this.ptrSz * 8, 32, 16, 8];
    this.maxWork = WORK_PER_TYPE * n + WORK_BASE;
    this.order[0] = DONE;
    this.emit[0] = DONE;
    this.names = new NameCounts(this.s, this.scan());
  }

  /**
   * Fills {@link kinds}, marks every type referenced by another (so
   * unreferenced anonymous enums stand alone), and checks every reference
   * and name offset the dump may follow. Returns the most names the dump
   * may count: named types other than functions, and enumerators.
   */
  scan(): number {
    const { w, at, kinds, referenced: ref, n, strEnd } = this;
    let names = 0;
    for (let id = 1; id < n; id++) {
      const p = at[id];
      const info = w[p + 1];
      const raw = (info >>> KIND_SHIFT) & KIND_MASK;
      // Kinds this reader does not know (stepped over by the layout section)
      // are UNKN here: nothing C can say about them.
      const kind = raw > LAST_KNOWN_KIND ? Kind.UNKN : raw;
      kinds[id] = kind;
      // Functions only reference prototypes, and a C dump writes neither.
      if (kind === 12 /* FUNC */) continue;
      if (w[p] !== 0) names++;
      let bad = w[p] >= strEnd;
      // The same few steps for every kind, told apart by the tables (one
      // code path: the engine has seen all of it after the first types).
      const r1 = SCAN_REF[kind], r2 = SCAN_REF2[kind], stride = SCAN_STRIDE[kind];
      if (r1 !== 0) {
        const t = w[p + r1];
        if (t >= n) bad = true;
        else ref[t] |= SCAN_MARK[kind];
      }
      if (r2 !== 0) {
        const t = w[p + r2];
        if (t >= n) bad = true;
        else ref[t] = 1;
      }
      if (stride !== 0) {
        const vlen = info & VLEN_MASK, ti = SCAN_ITEM_TYPE[kind], ni = SCAN_ITEM_NAME[kind];
        names += SCAN_ITEM_NAMES[kind] * vlen;
        for (let m = p + 3, end = m + vlen * stride; m < end; m += stride) {
          if (ti >= 0) {
            const t = w[m + ti];
            if (t >= n) bad = true;
            else ref[t] = 1;
          }
          if (ni >= 0 && w[m + ni] >= strEnd) bad = true;
        }
      }
      if (bad) {
        // The decoder names the bad field and its byte.
        this.btf.type(id);
        throw new BtfError(`expected valid references and names in ${this.describe(id)}`);
      }
    }
    return names;
  }

  describe(id: number): string {
    const name = this.btf.nameOf(id);
    const kind = id === 0
      ? "UNKNOWN"
      : kindName((this.w[this.at[id] + 1] >>> KIND_SHIFT) & KIND_MASK);
    return `type [${id}] ${kind} '${name || "(anon)"}'`;
  }

  /**
   * Counts a visit of type `id` against the work budget and one level of
   * nesting against {@link MAX_DEPTH}. (The hottest callers do the same
   * inline: `++d.work > d.maxWork`, `++d.depth > MAX_DEPTH`.)
   */
  enter(id: number, what: string): void {
    if (++this.work > this.maxWork) this.tooMuch(id);
    if (++this.depth > MAX_DEPTH) this.tooDeep(id, what);
  }

  /** The error for nesting past {@link MAX_DEPTH} at type `id`. */
  tooDeep(id: number, what: string): never {
    throw new BtfError(
      `expected ${what} to nest fewer than ${MAX_DEPTH} levels deep, found deeper nesting or a cycle at ${
        this.describe(id)
      }`,
    );
  }

  /** Counts `units` lines of output against the work budget. */
  spend(units: number, id: number): void {
    if ((this.work += units) > this.maxWork) this.tooMuch(id);
  }

  tooMuch(id: number): never {
    throw new BtfError(
      `expected C output within ${this.maxWork} lines, found more: anonymous types or function prototypes nested and reused too deeply, at ${
        this.describe(id)
      }`,
    );
  }

  // ---- names ----------------------------------------------------------

  /** Whether the string at offset `off` is not empty. */
  named(off: number): boolean {
    return off !== 0 && this.s[off] !== 0;
  }

  /** Whether the string at `off` is `want`. */
  nameIs(off: number, want: Uint8Array): boolean {
    const s = this.s, p = off;
    for (let i = 0; i < want.length; i++) if (s[p + i] !== want[i]) return false;
    return s[p + want.length] === 0;
  }

  /** Writes the string at offset `off` and, for `dup` > 1, its `___dup` suffix. */
  writeName(off: number, dup: number): void {
    const s = this.s, out = this.out;
    let i = off, p = out.pos, o = out.buf, room = o.length - SLACK;
    for (let c = s[i]; c !== 0; c = s[++i]) {
      if (p >= room) {
        out.pos = p;
        out.ensure(SLACK);
        o = out.buf, p = out.pos, room = o.length - SLACK;
      }
      o[p++] = c;
    }
    out.pos = p;
    if (dup > 1) {
      this.out.lit(S_DUP);
      this.out.num(dup);
    }
  }

  /**
   * Resolves type `id`'s name in a name space (tags, or typedef names and
   * enumerators) on first use: a name seen before in that space gets the
   * next `___N` suffix. Returns N (1 for no suffix).
   */
  resolve(id: number, idents: boolean): number {
    const d = this.dups[id];
    if (d !== 0) return d;
    const p = this.at[id], off = this.w[p];
    let dup = 1;
    const kind = this.kinds[id];
    if (
      this.named(off) && kind !== 7 /* FWD */ &&
      !(kind === 6 /* ENUM */ && (this.w[p + 1] & VLEN_MASK) === 0)
    ) {
      dup = this.names.bump(off, idents ? IDENTS : TAGS);
    }
    return this.dups[id] = dup;
  }

  /** Writes the tag of struct, union, enum or forward declaration `id`. */
  writeTag(id: number): void {
    this.writeName(this.w[this.at[id]], this.resolve(id, false));
  }

  /** Writes the name of typedef `id` (typedef names share C's ordinary identifier space with enum values). */
  writeIdent(id: number): void {
    this.writeName(this.w[this.at[id]], this.resolve(id, true));
  }

  isBlacklisted(id: number): boolean {
    return this.nameIs(this.w[this.at[id]], B_BUILTIN_VA_LIST);
  }

  /** `struct NAME` / `union NAME` (`struct` alone for an anonymous one). */
  structFwd(id: number): void {
    const out = this.out;
    out.lit(this.kinds[id] === 4 /* STRUCT */ ? S_STRUCT : S_UNION);
    if (this.named(this.w[this.at[id]])) out.byte(32);
    this.writeTag(id);
  }

  /** `struct NAME` / `union NAME` for a forward declaration. */
  fwdDef(id: number): void {
    this.out.lit(this.w[this.at[id] + 1] >>> 31 ? S_UNION_SP : S_STRUCT_SP);
    this.writeTag(id);
  }

  // ---- sizes and alignment (libbpf's rules, see align.ts) -------------

  /** btf__resolve_size: bytes, or -1 if unknown. */
  resolveSize(id: number): number {
    const w = this.w;
    let nelems = 1;
    for (let i = 0; i < MAX_RESOLVE_DEPTH && id !== 0; i++) {
      const p = this.at[id];
      switch (this.kinds[id]) {
        case 1 /* INT */:
        case 4 /* STRUCT */:
        case 5 /* UNION */:
        case 6 /* ENUM */:
        case 19 /* ENUM64 */:
        case 15 /* DATASEC */:
        case 16 /* FLOAT */:
          return nelems * w[p + 2] > 0xffffffff ? -1 : nelems * w[p + 2];
        case 2 /* PTR */:
          return nelems * this.ptrSz > 0xffffffff ? -1 : nelems * this.ptrSz;
        case 8 /* TYPEDEF */:
        case 9 /* VOLATILE */:
        case 10 /* CONST */:
        case 11 /* RESTRICT */:
        case 14 /* VAR */:
        case 17 /* DECL_TAG */:
        case 18 /* TYPE_TAG */:
          id = w[p + 2];
          break;
        case 3 /* ARRAY */:
          nelems *= w[p + 5];
          if (nelems > 0xffffffff) return -1;
          id = w[p + 3];
          break;
        default:
          return -1;
      }
    }
    return -1;
  }

  /** btf__align_of: alignment in bytes, 0 if the type has none (functions, forward declarations). */
  alignOf(id: number): number {
    const memo = this.aligns[id];
    if (memo > 0) return memo - 1;
    if (memo < 0) {
      throw new BtfError(
        `expected a type graph C can express, found ${
          this.describe(id)
        } containing itself by value`,
      );
    }
    const w = this.w, p = this.at[id], kind = this.kinds[id];
    let align: number;
    switch (kind) {
      case 1 /* INT */:
      case 6 /* ENUM */:
      case 19 /* ENUM64 */:
      case 16 /* FLOAT */:
        align = scalarAlign(w[p + 2], this.ptrSz, "libbpf");
        break;
      case 2 /* PTR */:
        align = this.ptrSz;
        break;
      case 8 /* TYPEDEF */:
      case 9 /* VOLATILE */:
      case 10 /* CONST */:
      case 11 /* RESTRICT */:
      case 18 /* TYPE_TAG */:
      case 3 /* ARRAY */:
        this.aligns[id] = -1;
        this.enter(id, "type references");
        align = this.alignOf(kind === 3 /* ARRAY */ ? w[p + 3] : w[p + 2]);
        this.depth--;
        break;
      case 4 /* STRUCT */:
      case 5 /* UNION */:
        this.aligns[id] = -1;
        this.enter(id, "struct members");
        align = this.#membersAlign(p);
        this.depth--;
        break;
      default:
        align = 0;
    }
    this.aligns[id] = align + 1;
    return align;
  }

  /**
   * Alignment of the struct or union at word `p` by libbpf's rule (align.ts's
   * `membersAlign`, the same steps over the members' words): the largest of
   * its members', 1 when packed, 0 when a member has none. Member
   * alignments known already are read from the memo, without a call.
   */
  #membersAlign(p: number): number {
    const w = this.w, aligns = this.aligns;
    const info = w[p + 1], vlen = info & VLEN_MASK, kflag = info >>> 31;
    let max = 1;
    for (let k = 0, m = p + 3; k < vlen; k++, m += 3) {
      const t = w[m + 1], memo = aligns[t];
      const a = memo > 0 ? memo - 1 : this.alignOf(t);
      if (a <= 0) return 0;
      if (a > max) max = a;
      // A member off its natural alignment means the struct is packed.
      const off = w[m + 2];
      if (
        kflag === 0 ? off % (8 * a) !== 0 : off >>> 24 === 0 && (off & 0xffffff) % (8 * a) !== 0
      ) {
        return 1;
      }
    }
    return w[p + 2] % max !== 0 ? 1 : max;
  }

  /**
   * Whether struct `id` needs `__attribute__((packed))` to get its BTF
   * layout (libbpf's `btf_is_struct_packed`): a member off its natural
   * alignment, or a size that is not a multiple of the largest alignment.
   * Members with no alignment are ignored here, as libbpf does.
   */
  isStructPacked(id: number): boolean {
    const memo = this.packed[id];
    if (memo !== 0) return memo === 2;
    const w = this.w, aligns = this.aligns, p = this.at[id];
    const info = w[p + 1], vlen = info & VLEN_MASK, kflag = info >>> 31;
    let max = 1, packed = false;
    for (let k = 0, m = p + 3; k < vlen; k++, m += 3) {
      const t = w[m + 1], am = aligns[t];
      const a = am > 0 ? am - 1 : this.alignOf(t);
      const off = w[m + 2];
      if (
        a !== 0 &&
        (kflag === 0 ? off % (8 * a) !== 0 : off >>> 24 === 0 && (off & 0xffffff) % (8 * a) !== 0)
      ) {
        packed = true;
        break;
      }
      if (a > max) max = a;
    }
    if (!packed) packed = w[p + 2] % max !== 0;
    this.packed[id] = packed ? 2 : 1;
    return packed;
  }
}
