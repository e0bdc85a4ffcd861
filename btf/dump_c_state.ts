/**
 * The state a C dump works on (see `dump_c.ts`), with the queries shared by
 * ordering (`dump_c_order.ts`) and emission (`dump_c_emit.ts`,
 * `dump_c_decl.ts`): names with `___N` suffixes, libbpf's sizes and
 * alignment, nesting and work bounds.
 *
 * @module
 */

import { compositeAlign, isPacked, scalarAlign } from "./align.ts";
import { BtfError } from "./error.ts";
import { Kind, typeKindName } from "./kinds.ts";
import type { Btf } from "./parse.ts";
import type { CompositeType, FwdType, Type } from "./types.ts";

/** How deeply the dumper nests before it calls the type graph cyclic or hostile. */
export const MAX_DEPTH = 512;
/** Longest chain of pointers, qualifiers and arrays in one declaration. */
export const MAX_CHAIN = 1024;
/** Largest hole (in bits) filled with padding members: 8 MiB, a million `long: 64;` lines. */
export const MAX_PAD_BITS = 64 * 1024 * 1024;
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

export const NOT_DONE = 0;
export const IN_PROGRESS = 1;
export const DONE = 2;

/**
 * The state of one C dump: decoded types, the ordering and emission marks,
 * resolved names, memoized alignments, the declaration chain stack, the
 * output pieces and the work budget; and the queries on it (names, sizes,
 * alignment) that ordering and emission share.
 */
export class CDumpState {
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
  /** Declaration chains being written, innermost declaration on top (see `DeclStack` in dump_c_decl.ts). */
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
    const kind = id === 0 ? "UNKNOWN" : typeKindName(this.t(id));
    return `type [${id}] ${kind} '${name || "(anon)"}'`;
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

  // ---- sizes and alignment (libbpf's rules, see align.ts) -------------

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
        align = scalarAlign(t.size, this.ptrSz, "libbpf");
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
        align = compositeAlign(t, (type) => this.alignOf(type));
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
    return isPacked(t, (type) => this.alignOf(type));
  }

  structFwd(id: number, t: CompositeType): string {
    const name = this.typeName(id);
    return `${t.kind === Kind.STRUCT ? "struct" : "union"}${t.name ? " " : ""}${name}`;
  }

  fwdDef(id: number, t: FwdType): string {
    return `${t.union ? "union" : "struct"} ${this.typeName(id)}`;
  }
}
