/**
 * Declarations for the C dump (libbpf's `btf_dump_emit_type_decl`): a chain
 * of pointers, qualifiers, arrays and prototypes written inside out around
 * a name, anonymous structs and enums inline.
 *
 * @module
 */

import { BtfError } from "./error.ts";
import { Kind } from "./kinds.ts";
import type { ArrayType, FuncProtoType } from "./types.ts";
import { emitEnumDef, emitStructDef } from "./dump_c_emit.ts";
import { type CDumpState, MAX_CHAIN } from "./dump_c_state.ts";

/**
 * A declaration chain: `chain[lo..]` (outermost type first) in the dumper's
 * shared chain stack, with a cursor `cnt` just past the innermost type not
 * yet written.
 */
export interface DeclStack {
  lo: number;
  cnt: number;
}

/** Writes a declaration of `fname` with type `id` (libbpf's btf_dump_emit_type_decl). */
export function emitTypeDecl(d: CDumpState, id: number, fname: string, lvl: number): void {
  const chain = d.chain, lo = d.top;
  let top = lo;
  for (;;) {
    if (top - lo >= MAX_CHAIN) {
      throw new BtfError(
        `expected a declaration chain of fewer than ${MAX_CHAIN} pointers, qualifiers and arrays, found a longer one or a cycle at ${
          d.describe(id)
        }`,
      );
    }
    chain[top++] = id;
    if (id === 0) break;
    const t = d.t(id);
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
          `expected a type usable in a C declaration, found ${d.describe(id)}`,
        );
    }
    if (done) break;
  }
  d.enter(chain[lo], "declarations");
  // Declarations nested in this one (members of an anonymous struct,
  // parameters of a prototype) go above it.
  d.top = top;
  emitTypeChain(d, { lo, cnt: top }, fname, lvl);
  d.top = lo;
  d.depth--;
}

/** Writes leading `const `/`volatile `/`restrict ` for the qualifiers just outside the cursor. */
export function emitMods(d: CDumpState, decls: DeclStack): void {
  while (decls.cnt > decls.lo) {
    const k = d.kinds[d.chain[decls.cnt - 1]];
    if (k === Kind.VOLATILE) d.out.push("volatile ");
    else if (k === Kind.CONST) d.out.push("const ");
    else if (k === Kind.RESTRICT) d.out.push("restrict ");
    else return;
    decls.cnt--;
  }
}

/** Drops qualifiers and type tags on arrays and function prototypes (C has no place for them). */
export function dropMods(d: CDumpState, decls: DeclStack): void {
  while (decls.cnt > decls.lo) {
    const k = d.kinds[d.chain[decls.cnt - 1]];
    if (
      k !== Kind.VOLATILE && k !== Kind.CONST && k !== Kind.RESTRICT && k !== Kind.TYPE_TAG
    ) return;
    decls.cnt--;
  }
}

export function emitName(d: CDumpState, name: string, lastWasPtr: boolean): void {
  if (name !== "" && !lastWasPtr) d.out.push(" ");
  d.out.push(name);
}

/** Writes the chain from its innermost (terminal) type outwards. */
export function emitTypeChain(d: CDumpState, decls: DeclStack, fname: string, lvl: number): void {
  const out = d.out;
  let lastWasPtr = true;
  while (decls.cnt > decls.lo) {
    const id = d.chain[--decls.cnt];
    if (id === 0) {
      emitMods(d, decls);
      out.push("void");
      lastWasPtr = false;
      continue;
    }
    const t = d.t(id);
    switch (t.kind) {
      case Kind.INT:
      case Kind.FLOAT:
        emitMods(d, decls);
        out.push(t.name);
        break;
      case Kind.STRUCT:
      case Kind.UNION:
        emitMods(d, decls);
        if (t.name === "") emitStructDef(d, id, t, lvl);
        else out.push(d.structFwd(id, t));
        break;
      case Kind.ENUM:
      case Kind.ENUM64:
        emitMods(d, decls);
        if (t.name === "") emitEnumDef(d, id, t, lvl);
        else out.push("enum ", d.typeName(id));
        break;
      case Kind.FWD:
        emitMods(d, decls);
        out.push(d.fwdDef(id, t));
        break;
      case Kind.TYPEDEF:
        emitMods(d, decls);
        out.push(d.identName(id));
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
        emitMods(d, decls);
        out.push(
          t.kindFlag
            ? ` __attribute__((${t.name}))`
            : ` __attribute__((btf_type_tag("${t.name}")))`,
        );
        break;
      case Kind.ARRAY: {
        dropMods(d, decls);
        const a = t as ArrayType;
        if (decls.cnt === decls.lo) {
          emitName(d, fname, lastWasPtr);
          out.push(`[${a.nelems}]`);
          return;
        }
        const multidim = d.kinds[d.chain[decls.cnt - 1]] === Kind.ARRAY;
        if (fname !== "" && !lastWasPtr) out.push(" ");
        if (!multidim) out.push("(");
        emitTypeChain(d, decls, fname, lvl);
        if (!multidim) out.push(")");
        out.push(`[${a.nelems}]`);
        return;
      }
      case Kind.FUNC_PROTO: {
        dropMods(d, decls);
        const fp = t as FuncProtoType;
        if (decls.cnt > decls.lo) {
          out.push(" (");
          emitTypeChain(d, decls, fname, lvl);
          out.push(")");
        } else {
          emitName(d, fname, lastWasPtr);
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
          emitTypeDecl(d, ps[i].type, ps[i].name, lvl);
        }
        out.push(")");
        return;
      }
      default:
        throw new BtfError(
          `expected a type usable in a C declaration, found ${d.describe(id)}`,
        );
    }
    lastWasPtr = t.kind === Kind.PTR;
  }
  emitName(d, fname, lastWasPtr);
}
