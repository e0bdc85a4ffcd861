/**
 * Ordering for the C dump (libbpf's `btf_dump_order_type`): a depth-first
 * topological sort that queues each named type after what it needs by
 * value, and lets pointers to named structs make do with a forward
 * declaration.
 *
 * @module
 */

import { BtfError } from "./error.ts";
import { type CDumpState, MAX_DEPTH, VLEN_MASK } from "./dump_c_state.ts";

/**
 * Depth-first topological sort (libbpf's btf_dump_order_type). Returns 1
 * when the link to `id` is strong (it must be fully defined first), 0 when
 * a forward declaration is enough.
 */
export function orderType(d: CDumpState, id: number, throughPtr: boolean): number {
  const state = d.order[id];
  if (state === 2 /* DONE */) return 1;
  const w = d.w, p = d.at[id], kind = d.kinds[id];
  if (state === 1 /* IN_PROGRESS */) {
    if ((kind === 4 /* STRUCT */ || kind === 5 /* UNION */) && throughPtr && d.named(w[p])) {
      return 0;
    }
    throw cycleError(d, id);
  }
  switch (kind) {
    case 1 /* INT */:
    case 16 /* FLOAT */:
      d.order[id] = 2 /* DONE */;
      return 0;
    case 4 /* STRUCT */:
    case 5 /* UNION */: {
      const named = d.named(w[p]);
      if (throughPtr && named) return 0;
      d.order[id] = 1 /* IN_PROGRESS */;
      if (++d.work > d.maxWork) d.tooMuch(id);
      if (++d.depth > MAX_DEPTH) d.tooDeep(id, "struct members");
      const vlen = w[p + 1] & VLEN_MASK, order = d.order;
      // (A type already ordered needs nothing: skipped here, without a call.)
      for (let k = 0, m = p + 4; k < vlen; k++, m += 3) {
        if (order[w[m]] !== 2 /* DONE */) orderType(d, w[m], false);
      }
      d.depth--;
      if (named) d.queue[d.queued++] = id;
      d.order[id] = 2 /* DONE */;
      return 1;
    }
    case 6 /* ENUM */:
    case 19 /* ENUM64 */:
    case 7 /* FWD */:
      if (d.named(w[p]) || !d.referenced[id]) d.queue[d.queued++] = id;
      d.order[id] = 2 /* DONE */;
      return 1;
    case 12 /* FUNC */:
    case 14 /* VAR */:
    case 15 /* DATASEC */:
    case 17 /* DECL_TAG */:
    case 0 /* UNKN */: // kinds this reader does not know: nothing C can say
      d.order[id] = 2 /* DONE */;
      return 0;
  }
  // Pointers, arrays, typedefs, qualifiers and prototypes only lead to
  // definitions; a loop made of them alone is caught by the depth bound.
  if (++d.work > d.maxWork) d.tooMuch(id);
  if (++d.depth > MAX_DEPTH) d.tooDeep(id, "type references");
  // orderType of a type already ordered is 1: such calls are left out.
  const order = d.order;
  let res: number;
  switch (kind) {
    case 2 /* PTR */:
      res = order[w[p + 2]] === 2 /* DONE */ ? 1 : orderType(d, w[p + 2], true);
      d.order[id] = 2 /* DONE */;
      break;
    case 3 /* ARRAY */:
      res = order[w[p + 3]] === 2 /* DONE */ ? 1 : orderType(d, w[p + 3], false);
      break;
    case 8 /* TYPEDEF */: {
      const strong = order[w[p + 2]] === 2 /* DONE */ ? 1 : orderType(d, w[p + 2], throughPtr);
      if (throughPtr && !strong) {
        res = 0;
      } else {
        d.queue[d.queued++] = id;
        d.order[id] = 2 /* DONE */;
        res = 1;
      }
      break;
    }
    case 9 /* VOLATILE */:
    case 10 /* CONST */:
    case 11 /* RESTRICT */:
    case 18 /* TYPE_TAG */:
      res = order[w[p + 2]] === 2 /* DONE */ ? 1 : orderType(d, w[p + 2], throughPtr);
      break;
    case 13 /* FUNC_PROTO */: {
      res = order[w[p + 2]] === 2 /* DONE */ ? 1 : orderType(d, w[p + 2], throughPtr);
      const vlen = w[p + 1] & VLEN_MASK;
      for (let k = 0, m = p + 4; k < vlen; k++, m += 2) {
        if (order[w[m]] === 2 /* DONE */ || orderType(d, w[m], throughPtr) > 0) res = 1;
      }
      break;
    }
    default:
      throw unknownKind(d, id);
  }
  d.depth--;
  return res;
}

/*
 * The errors of orderType, kept out of it: the engine compiles a function
 * whole, and building their messages made orderType slower to compile.
 */

/** The error for a type reached again while it is being ordered, not through a pointer. */
function cycleError(d: CDumpState, id: number): BtfError {
  return new BtfError(
    `expected a type graph C can express, found a cycle through ${
      d.describe(id)
    } that no forward declaration can break (a type containing itself by value)`,
  );
}

/** The error for a kind orderType does not know. */
function unknownKind(d: CDumpState, id: number): BtfError {
  return new BtfError(`expected a known BTF kind, found another at ${d.describe(id)}`);
}
