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
 * The dump is split by concept: `dump_c_state.ts` (state, names, sizes and
 * alignment), `dump_c_order.ts` (ordering), `dump_c_emit.ts` (definitions)
 * and `dump_c_decl.ts` (declarations).
 *
 * @module
 */

import { BtfError } from "./error.ts";
import { Kind } from "./kinds.ts";
import type { Btf } from "./parse.ts";
import { CDumpState, DONE } from "./dump_c_state.ts";
import { orderType } from "./dump_c_order.ts";
import { emitType } from "./dump_c_emit.ts";

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

export function dumpType(d: CDumpState, id: number): void {
  if (d.kinds[id] === Kind.FUNC) {
    // What orderType would do, without decoding the function.
    d.order[id] = DONE;
    return;
  }
  const queue = d.queue;
  queue.length = 0;
  d.depth = 0;
  orderType(d, id, false);
  // emitType never orders, so the queue stays as it is while we go through it.
  for (let i = 0; i < queue.length; i++) {
    d.depth = 0;
    emitType(d, queue[i], 0);
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
  const d = new CDumpState(btf);
  const n = d.n;
  try {
    if (options.ids === undefined) {
      for (let id = 1; id < n; id++) dumpType(d, id);
    } else {
      for (const id of options.ids) {
        if (!(Number.isInteger(id) && id >= 0 && id < n)) {
          throw new BtfError(`expected a type id between 0 and ${n - 1}, found ${id}`);
        }
        dumpType(d, id);
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
