/**
 * Ordering for the C dump (libbpf's `btf_dump_order_type`): a depth-first
 * topological sort that queues each named type after what it needs by
 * value, and lets pointers to named structs make do with a forward
 * declaration.
 *
 * @module
 */

import { BtfError } from "./error.ts";
import { type CDumpState, DONE, IN_PROGRESS, MAX_DEPTH, VLEN_MASK } from "./dump_c_state.ts";

/**
 * Depth-first topological sort (libbpf's btf_dump_order_type). Returns 1
 * when the link to `id` is strong (it must be fully defined first), 0 when
 * a forward declaration is enough.
 */
export function orderType(d: CDumpState, id: number, throughPtr: boolean): number {
  const state = d.order[id];
  if (state === DONE) return 1;
  const w = d.w, p = d.at[id], kind = d.kinds[id];
  if (state === IN_PROGRESS) {
    if ((kind === 4 /* STRUCT */ || kind === 5 /* UNION */) && throughPtr && d.named(w[p])) {
      return 0;
    }
    throw new BtfError(
      `expected a type graph C can express, found a cycle through ${
        d.describe(id)
      } that no forward declaration can break (a type containing itself by value)`,
    );
  }
  switch (kind) {
    case 1 /* INT */:
    case 16 /* FLOAT */:
      d.order[id] = DONE;
      return 0;
    case 4 /* STRUCT */:
    case 5 /* UNION */: {
      const named = d.named(w[p]);
      if (throughPtr && named) return 0;
      d.order[id] = IN_PROGRESS;
      if (++d.work > d.maxWork) d.tooMuch(id);
      if (++d.depth > MAX_DEPTH) d.tooDeep(id, "struct members");
      const vlen = w[p + 1] & VLEN_MASK, order = d.order;
      // (A type already ordered needs nothing: skipped here, without a call.)
      for (let k = 0, m = p + 4; k < vlen; k++, m += 3) {
        if (order[w[m]] !== DONE) orderType(d, w[m], false);
      }
      d.depth--;
      if (named) d.queue.push(id);
      d.order[id] = DONE;
      return 1;
    }
    case 6 /* ENUM */:
    case 19 /* ENUM64 */:
    case 7 /* FWD */:
      if (d.named(w[p]) || !d.referenced[id]) d.queue.push(id);
      d.order[id] = DONE;
      return 1;
    case 12 /* FUNC */:
    case 14 /* VAR */:
    case 15 /* DATASEC */:
    case 17 /* DECL_TAG */:
    case 0 /* UNKN */: // kinds this reader does not know: nothing C can say
      d.order[id] = DONE;
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
      res = order[w[p + 2]] === DONE ? 1 : orderType(d, w[p + 2], true);
      d.order[id] = DONE;
      break;
    case 3 /* ARRAY */:
      res = order[w[p + 3]] === DONE ? 1 : orderType(d, w[p + 3], false);
      break;
    case 8 /* TYPEDEF */: {
      const strong = order[w[p + 2]] === DONE ? 1 : orderType(d, w[p + 2], throughPtr);
      if (throughPtr && !strong) {
        res = 0;
      } else {
        d.queue.push(id);
        d.order[id] = DONE;
        res = 1;
      }
      break;
    }
    case 9 /* VOLATILE */:
    case 10 /* CONST */:
    case 11 /* RESTRICT */:
    case 18 /* TYPE_TAG */:
      res = order[w[p + 2]] === DONE ? 1 : orderType(d, w[p + 2], throughPtr);
      break;
    case 13 /* FUNC_PROTO */: {
      res = order[w[p + 2]] === DONE ? 1 : orderType(d, w[p + 2], throughPtr);
      const vlen = w[p + 1] & VLEN_MASK;
      for (let k = 0, m = p + 4; k < vlen; k++, m += 2) {
        if (order[w[m]] === DONE || orderType(d, w[m], throughPtr) > 0) res = 1;
      }
      break;
    }
    default:
      throw new BtfError(`expected a known BTF kind, found another at ${d.describe(id)}`);
  }
  d.depth--;
  return res;
}
