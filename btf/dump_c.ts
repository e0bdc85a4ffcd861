/**
 * BTF to C: the header `bpftool btf dump file F format c` writes (the
 * `vmlinux.h` a BPF program includes), from a parsed {@link Btf}.
 *
 * The output follows libbpf's `btf_dump` rules so that it compiles and gives
 * every struct the layout its BTF describes:
 *
 * - types are emitted in an order C accepts: a type used by value is defined
 *   before its user, a named struct only used through pointers gets a
 *   forward declaration (`struct foo;`), anonymous types are written inline;
 * - struct, union and enum tags that occur more than once get `___2`, `___3`
 *   suffixes in the order they are first written (typedef names and enum
 *   values share another namespace, as in C);
 * - holes are filled with unnamed bitfields (`long: 64;`, `int: 0;`), and a
 *   struct whose members are not naturally aligned gets
 *   `__attribute__((packed))`;
 * - FUNC, VAR, DATASEC and DECL_TAG types are skipped, as bpftool does.
 *
 * Every walk of the type graph is bounded: BTF that no C can express (a
 * struct containing itself by value, typedef or pointer cycles) gives a
 * {@link BtfError}, never a hang or a stack overflow. Anonymous types and
 * function prototypes are written out at every use, so the output may be
 * larger than the input (BTF dedup shares one anonymous type among all its
 * users), but only up to a budget proportional to the input: 16 lines per
 * type plus a million, where the kernel's vmlinux needs about 2 per type.
 *
 * @module
 */

import { BtfError } from "./error.ts";
import { Kind, KIND_NAMES } from "./kinds.ts";
import type { Btf } from "./parse.ts";
import type {
  ArrayType,
  CompositeType,
  EnumType,
  FuncProtoType,
  FwdType,
  RefType,
  Type,
} from "./types.ts";

/**
 * Options for {@link dumpC}.
 *
 * @example
 * ```ts
 * import { dumpC, type DumpCOptions, loadBtf } from "@bpfview/bpfview";
 * const btf = loadBtf();
 * const opts: DumpCOptions = { ids: btf.findIds("task_struct") };
 * const header = dumpC(btf, opts);
 * ```
 */
export interface DumpCOptions {
  /**
   * Emit only these types and the types they need (in this order, each
   * preceded by its dependencies). Default: every type, in id order, like
   * bpftool.
   */
  ids?: Iterable<number>;
}

/** How deeply the dumper nests before it calls the type graph cyclic or hostile. */
const MAX_DEPTH = 512;
/** Longest chain of pointers, qualifiers and arrays in one declaration. */
const MAX_CHAIN = 1024;
/** Largest hole (in bits) filled with padding members: 8 MiB, a million `long: 64;` lines. */
const MAX_PAD_BITS = 64 * 1024 * 1024;
/** libbpf's bound on typedef/qualifier/array chains when sizing a member. */
const MAX_RESOLVE_DEPTH = 32;
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

const NOT_DONE = 0;
const IN_PROGRESS = 1;
const DONE = 2;

const TABS = "\t".repeat(13);

/** Indentation for nesting level `lvl` (libbpf caps it at 13 tabs). */
function pfx(lvl: number): string {
  return lvl >= 13 ? TABS : TABS.slice(0, lvl);
}

/** A new line indented for level 0..13: one piece of output instead of two. */
const NEWLINES = Array.from({ length: 14 }, (_, i) => "\n" + TABS.slice(0, i));

/** A new line, then the indentation for nesting level `lvl`. */
function nl(lvl: number): string {
  return NEWLINES[lvl >= 13 ? 13 : lvl];
}

/** Rounds `x` up to a multiple of `y`. */
function roundUp(x: number, y: number): number {
  return Math.ceil(x / y) * y;
}

/**
 * A declaration chain: `chain[lo..]` (outermost type first) in the dumper's
 * shared chain stack, with a cursor `cnt` just past the innermost type not
 * yet written.
 */
interface DeclStack {
  lo: number;
  cnt: number;
}

/** GCC's internal `__PolyN_t` base types, aliased to standard C types. */
const MISSING_ALIASES: Record<string, string> = {
  __Poly8_t: "unsigned char",
  __Poly16_t: "unsigned short",
  __Poly64_t: "unsigned long long",
  __Poly128_t: "unsigned __int128",
};

class CDumper {
  readonly btf: Btf;
  readonly n: number;
  readonly ptrSz: number;
  readonly out: string[] = [];
  /** Decoded types by id (filled once; a miss asks the Btf, which checks the id). */
  readonly types: Type[] = [];
  /** Topological sort state: NOT_DONE, IN_PROGRESS (ORDERING) or DONE (ORDERED). */
  readonly order: Uint8Array;
  /** Emission state: NOT_DONE, IN_PROGRESS (EMITTING) or DONE (EMITTED). */
  readonly emit: Uint8Array;
  readonly fwdEmitted: Uint8Array;
  readonly referenced: Uint8Array;
  /** Resolved (deduplicated) names; undefined until first written. */
  readonly names: (string | undefined)[] = [];
  readonly typeNames = new Map<string, number>();
  readonly identNames = new Map<string, number>();
  /** Memoized alignments: 0 not computed, -1 in progress, else align + 1. */
  readonly aligns: Int32Array;
  readonly queue: number[] = [];
  /** Declaration chains being written, innermost declaration on top (see {@link DeclStack}). */
  readonly chain: number[] = [];
  /** First free slot of {@link chain}. */
  top = 0;
  /** Kinds by id, for the hot paths. */
  readonly kinds: Uint8Array;
  depth = 0;
  /** Work done so far (see {@link WORK_PER_TYPE}) and the most allowed. */
  work = 0;
  readonly maxWork: number;
  /** Padding types, widest first, with their widths in bits. */
  readonly pads: readonly (readonly [string, number])[];

  constructor(btf: Btf) {
    this.btf = btf;
    this.n = btf.count;
    this.ptrSz = btf.pointerSize;
    this.order = new Uint8Array(this.n);
    this.emit = new Uint8Array(this.n);
    this.fwdEmitted = new Uint8Array(this.n);
    this.referenced = new Uint8Array(this.n);
    this.kinds = new Uint8Array(this.n);
    this.aligns = new Int32Array(this.n);
    this.pads = [["long", this.ptrSz * 8], ["int", 32], ["short", 16], ["char", 8]];
    this.maxWork = WORK_PER_TYPE * this.n + WORK_BASE;
    this.order[0] = DONE;
    this.emit[0] = DONE;
    this.markReferenced();
  }

  t(id: number): Type {
    return this.types[id] ?? this.btf.type(id);
  }

  describe(id: number): string {
    const name = this.btf.nameOf(id);
    return `type [${id}] ${KIND_NAMES[this.btf.kindOf(id)]} '${name || "(anon)"}'`;
  }

  enter(id: number, what: string): void {
    if (++this.work > this.maxWork) this.tooMuch(id);
    if (++this.depth > MAX_DEPTH) {
      throw new BtfError(
        `expected ${what} to nest fewer than ${MAX_DEPTH} levels deep, found deeper nesting or a cycle at ${
          this.describe(id)
        }`,
      );
    }
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

  /** Marks every type referenced by another, so unreferenced anonymous enums stand alone. */
  markReferenced(): void {
    const ref = this.referenced;
    const n = this.n;
    const btf = this.btf, kinds = this.kinds;
    for (let id = 1; id < n; id++) {
      // Functions only reference prototypes, and a C dump writes neither:
      // leaving them undecoded spares half of a kernel's types.
      if ((kinds[id] = btf.kindOf(id)) === Kind.FUNC) continue;
      const t = this.types[id] = btf.type(id);
      switch (t.kind) {
        case Kind.PTR:
        case Kind.TYPEDEF:
        case Kind.VOLATILE:
        case Kind.CONST:
        case Kind.RESTRICT:
        case Kind.TYPE_TAG:
        case Kind.VAR:
        case Kind.DECL_TAG:
          ref[t.type] = 1;
          break;
        case Kind.ARRAY:
          ref[t.type] = 1;
          ref[t.indexType] = 1;
          break;
        case Kind.STRUCT:
        case Kind.UNION:
          for (const m of t.members) ref[m.type] = 1;
          break;
        case Kind.FUNC_PROTO:
          for (const p of t.params) ref[p.type] = 1;
          break;
        case Kind.DATASEC:
          for (const v of t.vars) ref[v.type] = 1;
          break;
      }
    }
  }

  dumpType(id: number): void {
    if (this.kinds[id] === Kind.FUNC) {
      // What orderType would do, without decoding the function.
      this.order[id] = DONE;
      return;
    }
    const queue = this.queue;
    queue.length = 0;
    this.depth = 0;
    this.orderType(id, false);
    // emitType never orders, so the queue stays as it is while we go through it.
    for (let i = 0; i < queue.length; i++) {
      this.depth = 0;
      this.emitType(queue[i], 0);
    }
  }

  // ---- ordering -------------------------------------------------------

  /**
   * Depth-first topological sort (libbpf's btf_dump_order_type). Returns 1
   * when the link to `id` is strong (it must be fully defined first), 0 when
   * a forward declaration is enough.
   */
  orderType(id: number, throughPtr: boolean): number {
    const state = this.order[id];
    if (state === DONE) return 1;
    const t = this.t(id);
    if (state === IN_PROGRESS) {
      if ((t.kind === Kind.STRUCT || t.kind === Kind.UNION) && throughPtr && t.name !== "") {
        return 0;
      }
      throw new BtfError(
        `expected a type graph C can express, found a cycle through ${
          this.describe(id)
        } that no forward declaration can break (a type containing itself by value)`,
      );
    }
    switch (t.kind) {
      case Kind.INT:
      case Kind.FLOAT:
        this.order[id] = DONE;
        return 0;
      case Kind.STRUCT:
      case Kind.UNION: {
        if (throughPtr && t.name !== "") return 0;
        this.order[id] = IN_PROGRESS;
        this.enter(id, "struct members");
        for (const m of t.members) this.orderType(m.type, false);
        this.depth--;
        if (t.name !== "") this.queue.push(id);
        this.order[id] = DONE;
        return 1;
      }
      case Kind.ENUM:
      case Kind.ENUM64:
      case Kind.FWD:
        if (t.name !== "" || !this.referenced[id]) this.queue.push(id);
        this.order[id] = DONE;
        return 1;
      case Kind.FUNC:
      case Kind.VAR:
      case Kind.DATASEC:
      case Kind.DECL_TAG:
        this.order[id] = DONE;
        return 0;
    }
    // Pointers, arrays, typedefs, qualifiers and prototypes only lead to
    // definitions; a loop made of them alone is caught by the depth bound.
    this.enter(id, "type references");
    let res: number;
    switch (t.kind) {
      case Kind.PTR:
        res = this.orderType(t.type, true);
        this.order[id] = DONE;
        break;
      case Kind.ARRAY:
        res = this.orderType(t.type, false);
        break;
      case Kind.TYPEDEF: {
        const strong = this.orderType(t.type, throughPtr);
        if (throughPtr && !strong) {
          res = 0;
        } else {
          this.queue.push(id);
          this.order[id] = DONE;
          res = 1;
        }
        break;
      }
      case Kind.VOLATILE:
      case Kind.CONST:
      case Kind.RESTRICT:
      case Kind.TYPE_TAG:
        res = this.orderType(t.type, throughPtr);
        break;
      case Kind.FUNC_PROTO: {
        res = this.orderType(t.type, throughPtr);
        for (const p of t.params) if (this.orderType(p.type, throughPtr) > 0) res = 1;
        break;
      }
      default:
        throw new BtfError(`expected a known BTF kind, found another at ${this.describe(id)}`);
    }
    this.depth--;
    return res;
  }

  // ---- emission -------------------------------------------------------

  /** libbpf's btf_dump_emit_type: definitions and forward declarations. */
  emitType(id: number, contId: number): void {
    const state = this.emit[id];
    if (state === DONE) return;
    const t = this.t(id);
    const topLevel = contId === 0;
    if (state === IN_PROGRESS) {
      if (this.fwdEmitted[id]) return;
      if (t.kind === Kind.STRUCT || t.kind === Kind.UNION) {
        // A reference to the struct we are inside of needs nothing.
        if (id === contId) return;
        if (t.name === "") return; // anonymous loop: nothing C can say
        this.out.push(this.structFwd(id, t), ";\n\n");
        this.fwdEmitted[id] = 1;
      } else if (t.kind === Kind.TYPEDEF) {
        if (!this.isBlacklisted(t)) {
          this.emitTypedefDef(id, t, 0);
          this.out.push(";\n\n");
        }
        this.fwdEmitted[id] = 1;
      }
      return;
    }
    this.enter(id, "type definitions");
    switch (t.kind) {
      case Kind.INT: {
        // Like libbpf, this claims the int's name among the tags.
        const name = this.typeName(id);
        if (Object.hasOwn(MISSING_ALIASES, name)) {
          this.out.push(`typedef ${MISSING_ALIASES[name]} ${name};\n\n`);
        }
        this.emit[id] = DONE;
        break;
      }
      case Kind.ENUM:
      case Kind.ENUM64:
        if (topLevel) {
          this.emitEnumDef(id, t, 0);
          this.out.push(";\n\n");
        }
        this.emit[id] = DONE;
        break;
      case Kind.PTR:
      case Kind.VOLATILE:
      case Kind.CONST:
      case Kind.RESTRICT:
      case Kind.TYPE_TAG:
      case Kind.ARRAY:
        this.emitType(t.type, contId);
        break;
      case Kind.FWD:
        this.out.push(this.fwdDef(id, t), ";\n\n");
        this.emit[id] = DONE;
        break;
      case Kind.TYPEDEF:
        this.emit[id] = IN_PROGRESS;
        this.emitType(t.type, id);
        // Someone may have needed the typedef through a pointer meanwhile,
        // which already wrote it.
        if (!this.fwdEmitted[id] && !this.isBlacklisted(t)) {
          this.emitTypedefDef(id, t, 0);
          this.out.push(";\n\n");
        }
        this.emit[id] = DONE;
        break;
      case Kind.STRUCT:
      case Kind.UNION:
        this.emit[id] = IN_PROGRESS;
        if (topLevel || t.name === "") {
          // Members are written out here: their types need declarations first.
          const newCont = t.name === "" ? contId : id;
          for (const m of t.members) this.emitType(m.type, newCont);
        } else if (!this.fwdEmitted[id] && id !== contId) {
          this.out.push(this.structFwd(id, t), ";\n\n");
          this.fwdEmitted[id] = 1;
        }
        if (topLevel) {
          this.emitStructDef(id, t, 0);
          this.out.push(";\n\n");
          this.emit[id] = DONE;
        } else {
          this.emit[id] = NOT_DONE;
        }
        break;
      case Kind.FUNC_PROTO:
        this.emitType(t.type, contId);
        for (const p of t.params) this.emitType(p.type, contId);
        break;
      default:
        break;
    }
    this.depth--;
  }

  isBlacklisted(t: Type): boolean {
    return t.name === "__builtin_va_list";
  }

  // ---- names ----------------------------------------------------------

  resolveName(id: number, map: Map<string, number>): string {
    const cached = this.names[id];
    if (cached !== undefined) return cached;
    const t = this.t(id);
    let name = t.name;
    if (name !== "" && t.kind !== Kind.FWD && !(t.kind === Kind.ENUM && t.values.length === 0)) {
      const dups = (map.get(name) ?? 0) + 1;
      map.set(name, dups);
      if (dups > 1) name = `${name}___${dups}`;
    }
    this.names[id] = name;
    return name;
  }

  /** Struct, union and enum tags. */
  typeName(id: number): string {
    return this.resolveName(id, this.typeNames);
  }

  /** Typedef names (they share C's ordinary identifier space with enum values). */
  identName(id: number): string {
    return this.resolveName(id, this.identNames);
  }

  /** Counts one more occurrence of an enumerator name; returns the count. */
  identDups(name: string): number {
    const dups = (this.identNames.get(name) ?? 0) + 1;
    this.identNames.set(name, dups);
    return dups;
  }

  // ---- sizes and alignment (libbpf's rules) ---------------------------

  /** btf__resolve_size: bytes, or -1 if unknown. */
  resolveSize(id: number): number {
    let nelems = 1;
    for (let i = 0; i < MAX_RESOLVE_DEPTH && id !== 0; i++) {
      const t = this.t(id);
      switch (t.kind) {
        case Kind.INT:
        case Kind.STRUCT:
        case Kind.UNION:
        case Kind.ENUM:
        case Kind.ENUM64:
        case Kind.DATASEC:
        case Kind.FLOAT:
          return nelems * t.size > 0xffffffff ? -1 : nelems * t.size;
        case Kind.PTR:
          return nelems * this.ptrSz > 0xffffffff ? -1 : nelems * this.ptrSz;
        case Kind.TYPEDEF:
        case Kind.VOLATILE:
        case Kind.CONST:
        case Kind.RESTRICT:
        case Kind.VAR:
        case Kind.DECL_TAG:
        case Kind.TYPE_TAG:
          id = t.type;
          break;
        case Kind.ARRAY:
          nelems *= t.nelems;
          if (nelems > 0xffffffff) return -1;
          id = t.type;
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
    const t = this.t(id);
    let align: number;
    switch (t.kind) {
      case Kind.INT:
      case Kind.ENUM:
      case Kind.ENUM64:
      case Kind.FLOAT:
        align = Math.min(this.ptrSz, t.size);
        break;
      case Kind.PTR:
        align = this.ptrSz;
        break;
      case Kind.TYPEDEF:
      case Kind.VOLATILE:
      case Kind.CONST:
      case Kind.RESTRICT:
      case Kind.TYPE_TAG:
      case Kind.ARRAY:
        this.aligns[id] = -1;
        this.enter(id, "type references");
        align = this.alignOf(t.type);
        this.depth--;
        break;
      case Kind.STRUCT:
      case Kind.UNION: {
        this.aligns[id] = -1;
        this.enter(id, "struct members");
        let max = 1, found = -1;
        for (const m of t.members) {
          const a = this.alignOf(m.type);
          if (a <= 0) {
            found = 0;
            break;
          }
          if (a > max) max = a;
          // A member off its natural alignment means the struct is packed.
          if (m.bitfieldSize === 0 && m.bitOffset % (8 * a) !== 0) {
            found = 1;
            break;
          }
        }
        align = found >= 0 ? found : t.size % max !== 0 ? 1 : max;
        this.depth--;
        break;
      }
      default:
        align = 0;
    }
    this.aligns[id] = align + 1;
    return align;
  }

  /** Whether a struct needs `__attribute__((packed))` to get its BTF layout. */
  isStructPacked(t: CompositeType): boolean {
    let max = 1;
    for (const m of t.members) {
      const a = this.alignOf(m.type);
      if (a && m.bitfieldSize === 0 && m.bitOffset % (8 * a) !== 0) return true;
      if (a > max) max = a;
    }
    return t.size % max !== 0;
  }

  // ---- definitions ----------------------------------------------------

  structFwd(id: number, t: CompositeType): string {
    const name = this.typeName(id);
    return `${t.kind === Kind.STRUCT ? "struct" : "union"}${t.name ? " " : ""}${name}`;
  }

  fwdDef(id: number, t: FwdType): string {
    return `${t.union ? "union" : "struct"} ${this.typeName(id)}`;
  }

  /** Fills the gap between bit offsets `cur` and `next` with unnamed bitfields. */
  emitBitPadding(
    id: number,
    cur: number,
    next: number,
    nextAlign: number,
    inBitfield: boolean,
    lvl: number,
  ) {
    if (cur >= next) return;
    if (next - cur > MAX_PAD_BITS) {
      throw new BtfError(
        `expected holes in a struct smaller than ${MAX_PAD_BITS / 8} bytes, found one of ${
          Math.ceil((next - cur) / 8)
        } bytes`,
      );
    }
    const pads = this.pads;
    let newOff = 0, padBits = 0, padType = "";
    for (const [name, bits] of pads) {
      padBits = bits;
      padType = name;
      newOff = roundUp(cur, bits);
      if (newOff <= next) break;
    }
    const out = this.out;
    if (newOff > cur && newOff <= next) {
      // An explicit `<type>: 0` is needed when the compiler would not align
      // the next member to newOff by itself, or when a `<type>: N` would fit
      // into the remaining hole and so be laid out differently.
      const align8 = (nextAlign || 1) * 8;
      if (
        inBitfield ||
        (newOff === next && roundUp(cur, align8) !== newOff) ||
        (newOff !== next && next - newOff <= newOff - cur)
      ) {
        out.push(`\n${pfx(lvl)}${padType}: ${inBitfield ? newOff - cur : 0};`);
      }
      cur = newOff;
    }
    // One line per piece: at most this many.
    this.spend(Math.ceil((next - cur) / padBits) + 1, id);
    while (cur !== next) {
      const bits = Math.min(next - cur, padBits);
      if (bits === padBits) {
        out.push(`\n${pfx(lvl)}${padType}: ${padBits};`);
        cur += bits;
        continue;
      }
      // The last piece: the smallest type that holds it.
      for (let i = pads.length - 1; i >= 0; i--) {
        padType = pads[i][0];
        padBits = pads[i][1];
        if (padBits < bits) continue;
        out.push(`\n${pfx(lvl)}${padType}: ${bits};`);
        cur += bits;
        break;
      }
    }
  }

  emitStructDef(id: number, t: CompositeType, lvl: number): void {
    const isStruct = t.kind === Kind.STRUCT;
    const align = this.alignOf(id);
    const packed = isStruct ? this.isStructPacked(t) : false;
    const out = this.out;
    out.push(this.structFwd(id, t), " {");
    let off = 0, prevBitfield = false;
    for (const m of t.members) {
      const bits = m.bitfieldSize;
      if (m.bitOffset + bits > t.size * 8) {
        throw new BtfError(
          `expected member '${m.name}' of ${
            this.describe(id)
          } within its ${t.size} bytes, found it at bit ${m.bitOffset}`,
        );
      }
      const mAlign = packed ? 1 : this.alignOf(m.type);
      this.emitBitPadding(id, off, m.bitOffset, mAlign, prevBitfield && bits !== 0, lvl + 1);
      out.push(nl(lvl + 1));
      this.emitTypeDecl(m.type, m.name, lvl + 1);
      if (bits) {
        out.push(`: ${bits}`);
        off = m.bitOffset + bits;
        prevBitfield = true;
      } else {
        off = m.bitOffset + Math.max(0, this.resolveSize(m.type)) * 8;
        prevBitfield = false;
      }
      out.push(";");
    }
    if (isStruct) this.emitBitPadding(id, off, t.size * 8, align, false, lvl + 1);
    if (t.members.length || t.size) out.push(nl(lvl), "}");
    else out.push("}");
    if (packed) out.push(" __attribute__((packed))");
  }

  emitEnumDef(id: number, t: EnumType, lvl: number): void {
    const out = this.out;
    out.push("enum", t.name ? " " : "", this.typeName(id));
    const vals = t.values;
    if (!vals.length) return;
    this.spend(vals.length, id);
    out.push(" {");
    const ind = pfx(lvl + 1);
    const is64 = t.kind === Kind.ENUM64;
    const suffix = is64 ? (t.signed ? "LL" : "ULL") : "";
    for (const v of vals) {
      const dups = this.identDups(v.name);
      const name = dups > 1 ? `${v.name}___${dups}` : v.name;
      // libbpf prints INT64_MIN as -9223372036854775808LL, which C reads as
      // the negation of an unsigned literal (a positive value): spell it so
      // that it stays negative.
      const val = is64 && t.signed && v.value === -(1n << 63n)
        ? "(-9223372036854775807LL - 1)"
        : `${v.value}${suffix}`;
      out.push(`\n${ind}${name} = ${val},`);
    }
    out.push(nl(lvl), "}");
    if (t.size === 1) {
      out.push(" __attribute__((mode(byte)))");
    } else if (t.size === 8 && this.ptrSz === 8) {
      // A 32-bit ENUM of size 8, or an ENUM64 whose values all fit in 32
      // bits, only gets 8 bytes from mode(word).
      let word = true;
      if (is64) {
        for (const v of vals) {
          const u = BigInt.asUintN(64, BigInt(v.value));
          if (u >> 32n !== 0n) {
            word = false;
            break;
          }
        }
      }
      if (word) out.push(" __attribute__((mode(word)))");
    }
  }

  emitTypedefDef(id: number, t: RefType, lvl: number): void {
    const name = this.identName(id);
    if (t.type === 0 && name === "__gnuc_va_list") {
      this.out.push("typedef __builtin_va_list __gnuc_va_list");
      return;
    }
    this.out.push("typedef ");
    this.emitTypeDecl(t.type, name, lvl);
  }

  // ---- declarations ---------------------------------------------------

  /** Writes a declaration of `fname` with type `id` (libbpf's btf_dump_emit_type_decl). */
  emitTypeDecl(id: number, fname: string, lvl: number): void {
    const chain = this.chain, lo = this.top;
    let top = lo;
    for (;;) {
      if (top - lo >= MAX_CHAIN) {
        throw new BtfError(
          `expected a declaration chain of fewer than ${MAX_CHAIN} pointers, qualifiers and arrays, found a longer one or a cycle at ${
            this.describe(id)
          }`,
        );
      }
      chain[top++] = id;
      if (id === 0) break;
      const t = this.t(id);
      let done = false;
      switch (t.kind) {
        case Kind.PTR:
        case Kind.VOLATILE:
        case Kind.CONST:
        case Kind.RESTRICT:
        case Kind.FUNC_PROTO:
        case Kind.TYPE_TAG:
        case Kind.ARRAY:
          id = t.type;
          break;
        case Kind.INT:
        case Kind.ENUM:
        case Kind.ENUM64:
        case Kind.FWD:
        case Kind.STRUCT:
        case Kind.UNION:
        case Kind.TYPEDEF:
        case Kind.FLOAT:
          done = true;
          break;
        default:
          throw new BtfError(
            `expected a type usable in a C declaration, found ${this.describe(id)}`,
          );
      }
      if (done) break;
    }
    this.enter(chain[lo], "declarations");
    // Declarations nested in this one (members of an anonymous struct,
    // parameters of a prototype) go above it.
    this.top = top;
    this.emitTypeChain({ lo, cnt: top }, fname, lvl);
    this.top = lo;
    this.depth--;
  }

  /** Writes leading `const `/`volatile `/`restrict ` for the qualifiers just outside the cursor. */
  emitMods(decls: DeclStack): void {
    while (decls.cnt > decls.lo) {
      const k = this.kinds[this.chain[decls.cnt - 1]];
      if (k === Kind.VOLATILE) this.out.push("volatile ");
      else if (k === Kind.CONST) this.out.push("const ");
      else if (k === Kind.RESTRICT) this.out.push("restrict ");
      else return;
      decls.cnt--;
    }
  }

  /** Drops qualifiers and type tags on arrays and function prototypes (C has no place for them). */
  dropMods(decls: DeclStack): void {
    while (decls.cnt > decls.lo) {
      const k = this.kinds[this.chain[decls.cnt - 1]];
      if (
        k !== Kind.VOLATILE && k !== Kind.CONST && k !== Kind.RESTRICT && k !== Kind.TYPE_TAG
      ) return;
      decls.cnt--;
    }
  }

  emitName(name: string, lastWasPtr: boolean): void {
    if (name !== "" && !lastWasPtr) this.out.push(" ");
    this.out.push(name);
  }

  /** Writes the chain from its innermost (terminal) type outwards. */
  emitTypeChain(decls: DeclStack, fname: string, lvl: number): void {
    const out = this.out;
    let lastWasPtr = true;
    while (decls.cnt > decls.lo) {
      const id = this.chain[--decls.cnt];
      if (id === 0) {
        this.emitMods(decls);
        out.push("void");
        lastWasPtr = false;
        continue;
      }
      const t = this.t(id);
      switch (t.kind) {
        case Kind.INT:
        case Kind.FLOAT:
          this.emitMods(decls);
          out.push(t.name);
          break;
        case Kind.STRUCT:
        case Kind.UNION:
          this.emitMods(decls);
          if (t.name === "") this.emitStructDef(id, t, lvl);
          else out.push(this.structFwd(id, t));
          break;
        case Kind.ENUM:
        case Kind.ENUM64:
          this.emitMods(decls);
          if (t.name === "") this.emitEnumDef(id, t, lvl);
          else out.push("enum ", this.typeName(id));
          break;
        case Kind.FWD:
          this.emitMods(decls);
          out.push(this.fwdDef(id, t));
          break;
        case Kind.TYPEDEF:
          this.emitMods(decls);
          out.push(this.identName(id));
          break;
        case Kind.PTR:
          out.push(lastWasPtr ? "*" : " *");
          break;
        case Kind.VOLATILE:
          out.push(" volatile");
          break;
        case Kind.CONST:
          out.push(" const");
          break;
        case Kind.RESTRICT:
          out.push(" restrict");
          break;
        case Kind.TYPE_TAG:
          this.emitMods(decls);
          out.push(
            t.kindFlag
              ? ` __attribute__((${t.name}))`
              : ` __attribute__((btf_type_tag("${t.name}")))`,
          );
          break;
        case Kind.ARRAY: {
          this.dropMods(decls);
          const a = t as ArrayType;
          if (decls.cnt === decls.lo) {
            this.emitName(fname, lastWasPtr);
            out.push(`[${a.nelems}]`);
            return;
          }
          const multidim = this.kinds[this.chain[decls.cnt - 1]] === Kind.ARRAY;
          if (fname !== "" && !lastWasPtr) out.push(" ");
          if (!multidim) out.push("(");
          this.emitTypeChain(decls, fname, lvl);
          if (!multidim) out.push(")");
          out.push(`[${a.nelems}]`);
          return;
        }
        case Kind.FUNC_PROTO: {
          this.dropMods(decls);
          const fp = t as FuncProtoType;
          if (decls.cnt > decls.lo) {
            out.push(" (");
            this.emitTypeChain(decls, fname, lvl);
            out.push(")");
          } else {
            this.emitName(fname, lastWasPtr);
          }
          out.push("(");
          const ps = fp.params;
          if (ps.length === 0 || (ps.length === 1 && ps[0].type === 0)) {
            out.push("void)");
            return;
          }
          for (let i = 0; i < ps.length; i++) {
            if (i > 0) out.push(", ");
            if (i === ps.length - 1 && ps[i].type === 0) {
              out.push("...");
              break;
            }
            this.emitTypeDecl(ps[i].type, ps[i].name, lvl);
          }
          out.push(")");
          return;
        }
        default:
          throw new BtfError(
            `expected a type usable in a C declaration, found ${this.describe(id)}`,
          );
      }
      lastWasPtr = t.kind === Kind.PTR;
    }
    this.emitName(fname, lastWasPtr);
  }
}

const HEADER = "#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n\n" +
  "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n" +
  "#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n" +
  "#endif\n\n";

const FOOTER = "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n" +
  "#pragma clang attribute pop\n" +
  "#endif\n\n" +
  "#endif /* __VMLINUX_H__ */\n";

/**
 * Dumps BTF as a compilable C header, like `bpftool btf dump file F format
 * c`: an include guard, the `preserve_access_index` pragma block for CO-RE,
 * then every struct, union, enum and typedef in an order that compiles
 * (forward declarations where pointers allow them, name clashes resolved
 * with `___N` suffixes, explicit padding and `__attribute__((packed))` where
 * the natural layout would differ from the BTF offsets).
 *
 * With `ids`, only those types and what they need are written, each after
 * its dependencies.
 *
 * Throws {@link BtfError} for BTF that no C can express, such as a struct
 * that contains itself by value or a cycle of typedefs, and for output that
 * would exceed 16 lines per input type plus a million (anonymous types
 * nested and reused at every level double the output per level).
 *
 * @example
 * ```ts
 * import { dumpC, loadBtf } from "@bpfview/bpfview";
 * const btf = loadBtf();
 * Deno.writeTextFileSync("vmlinux.h", dumpC(btf));
 * // Just one struct and its dependencies:
 * console.log(dumpC(btf, { ids: btf.findIds("sk_buff") }));
 * ```
 */
export function dumpC(btf: Btf, options: DumpCOptions = {}): string {
  const d = new CDumper(btf);
  const n = d.n;
  try {
    if (options.ids === undefined) {
      for (let id = 1; id < n; id++) d.dumpType(id);
    } else {
      for (const id of options.ids) {
        if (!(Number.isInteger(id) && id >= 0 && id < n)) {
          throw new BtfError(`expected a type id between 0 and ${n - 1}, found ${id}`);
        }
        d.dumpType(id);
      }
    }
  } catch (e) {
    // The depth bounds keep recursion far from the engine's limit; this is
    // a last guard so hostile input can never surface as a RangeError.
    if (e instanceof RangeError) {
      throw new BtfError(`expected BTF whose type graph can be walked, found one too deep: ${e}`);
    }
    throw e;
  }
  return HEADER + d.out.join("") + FOOTER;
}
