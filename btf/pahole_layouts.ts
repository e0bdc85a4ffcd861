/**
 * pahole's view of several structs and unions at once: the types asked
 * for and, if asked, every named struct and union they need (what
 * `bpfview btf layout --with-dependencies TYPE...` prints), as the raw and
 * JSON dumps' `withDependencies` give every type a type needs.
 *
 * @module
 */

import { Kind } from "./kinds.ts";
import { closure } from "./layout.ts";
import type { Btf } from "./parse.ts";
import { type PaholeLayout, paholeLayout, type PaholeOptions } from "./pahole.ts";

/**
 * Options of {@link paholeLayouts}.
 *
 * @example
 * ```ts
 * import type { PaholeLayoutsOptions } from "@bpfview/bpfview";
 * const opts: PaholeLayoutsOptions = { withDependencies: true, expand: true };
 * ```
 */
export interface PaholeLayoutsOptions extends PaholeOptions {
  /**
   * Also every named struct and union the types need, transitively: the
   * structs and unions among the types {@link closure} gives (through
   * members, pointers, arrays, typedefs and function prototypes), after the
   * types themselves, in id order. Anonymous ones are not listed apart:
   * they are shown in place in the layouts that hold them, as pahole shows
   * them.
   */
  withDependencies?: boolean;
}

/**
 * The pahole layouts of several structs or unions (each as
 * {@link paholeLayout} takes it: a name, `"struct NAME"`, a typedef name or
 * an id), in the order given, each type once; with `withDependencies`,
 * followed by those of every named struct and union they need.
 *
 * @example
 * ```ts
 * import { formatPahole, loadBtf, paholeLayouts } from "@bpfview/bpfview";
 * const layouts = paholeLayouts(loadBtf(), ["list_head", "hlist_node"], { withDependencies: true });
 * console.log(layouts.map(formatPahole).join("\n"));
 * ```
 */
export function paholeLayouts(
  btf: Btf,
  types: Iterable<string | number>,
  options: PaholeLayoutsOptions = {},
): PaholeLayout[] {
  const opts: PaholeOptions = { cacheline: options.cacheline, expand: options.expand };
  const out: PaholeLayout[] = [];
  const seen = new Set<number>();
  for (const t of types) {
    const l = paholeLayout(btf, t, opts); // l.id: typedefs and qualifiers resolved
    if (!seen.has(l.id)) seen.add(l.id), out.push(l);
  }
  if (options.withDependencies) {
    for (const id of closure(btf, out.map((l) => l.id))) {
      const kind = btf.kindOf(id);
      if ((kind === Kind.STRUCT || kind === Kind.UNION) && btf.nameOf(id) !== "" && !seen.has(id)) {
        seen.add(id);
        out.push(paholeLayout(btf, id, opts));
      }
    }
  }
  return out;
}
