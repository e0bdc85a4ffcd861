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
 * One thing differs from bpftool, on purpose: an unnamed member whose type
 * is a named struct (`struct ns_tree;`, which only `-fms-extensions` C
 * accepts) is written as an anonymous struct with that struct's members, so
 * the header keeps every size and offset with plain clang too (and one of an
 * incomplete struct type makes the header fail to compile, not compile to a
 * wrong layout).
 *
 * The dump is split by concept: `dump_c_state.ts` (state, names, sizes and
 * alignment), `dump_c_order.ts` (ordering), `dump_c_emit.ts` (definitions)
 * and `dump_c_decl.ts` (declarations); `dump_c_prime.ts` is the small BTF a
 * whole dump of a large one first runs through, to warm the engine up. It
 * works on the type section's words and writes bytes: nothing is decoded
 * into objects, no string is built per declaration. Kinds (and states) are
 * written as numbers, each with its name in a comment, not as `Kind.STRUCT`:
 * before V8 optimizes the dump, its interpreter runs a switch of number
 * cases as one jump and compares with a number without a property read (a
 * cold whole-process dump: about 5% less time and CPU).
 *
 * @module
 */

import { ascii, ByteOut, type ByteSink } from "./byte_out.ts";
import { BtfError } from "./error.ts";
import { Btf } from "./parse.ts";
import { primeBlob } from "./dump_c_prime.ts";
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

/**
 * Options for {@link dumpCBytes}: those of {@link dumpC}, and where to
 * stream the output.
 *
 * @example
 * ```ts
 * import { type DumpCBytesOptions, writeAllSync } from "@bpfview/bpfview";
 * const opts: DumpCBytesOptions = { write: (chunk) => writeAllSync(Deno.stdout, chunk) };
 * ```
 */
export interface DumpCBytesOptions extends DumpCOptions {
  /**
   * Hand the output over in chunks of about a megabyte as it is written,
   * instead of returning it (the result is then empty): the whole header is
   * never in memory. A chunk is reused once `write` returns.
   */
  write?: ByteSink;
}

/** Orders type `id` and what it needs, then emits the queue. */
function dumpType(d: CDumpState, id: number): void {
  // Already ordered (as a dependency of an earlier type): nothing to do.
  if (d.order[id] === DONE) return;
  if (d.kinds[id] === 12 /* FUNC */) {
    // What orderType would do, without reading the function.
    d.order[id] = DONE;
    return;
  }
  const queue = d.queue;
  d.queued = 0;
  d.depth = 0;
  orderType(d, id, false);
  // emitType never orders, so the queue stays as it is while we go through it.
  for (let i = 0, end = d.queued; i < end; i++) {
    d.depth = 0;
    emitType(d, queue[i], 0);
  }
}

const HEADER = ascii(
  "#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n\n" +
    "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n" +
    "#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n" +
    "#endif\n\n",
);

const FOOTER = ascii(
  "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n" +
    "#pragma clang attribute pop\n" +
    "#endif\n\n" +
    "#endif /* __VMLINUX_H__ */\n",
);

/**
 * Output buffer size when streaming. 256 KiB: a buffer's pages are fresh
 * memory the first time they are written (about 2.5 µs each to fault in
 * here), and a 1 MiB one cost 190 more of them for 8 fewer writes of the
 * kernel's 2.8 MB header.
 */
const CHUNK = 1 << 18;

/** Dumps every type, in id order. */
function dumpAll(d: CDumpState): void {
  // dumpType's first steps inline: most ids are functions or done already.
  const order = d.order, kinds = d.kinds, n = d.n;
  for (let id = 1; id < n; id++) {
    if (kinds[id] === 12 /* FUNC */) order[id] = DONE;
    else if (order[id] !== DONE) dumpType(d, id);
  }
}

/** Whether this process has primed the engine for the C dump (see dump_c_prime.ts). */
let primed = false;
/** Types of the BTF from which a whole dump primes the engine first (vmlinux has over 100k). */
const PRIME_ABOVE = 20_000;
/** Dumps of the priming blob: enough that the hottest functions are compiled by the end. */
const PRIME_PASSES = 8;

/**
 * Dumps the priming blob a few times into nothing, so that the engine has
 * seen every path of the dump before it compiles it (see dump_c_prime.ts).
 * A cold dump of vmlinux then throws optimized code away 0-1 times instead
 * of about 15, and runs in code compiled by Maglev from its first types.
 * The 8 passes take about 9 ms (the first, about 5, is mostly the engine
 * compiling the dump's functions to bytecode and running them in its
 * slowest tiers, which the dump would otherwise do on the kernel's types);
 * without them the dump of vmlinux took about 12% more main-thread CPU.
 */
function prime(): void {
  primed = true;
  try {
    const btf = new Btf(primeBlob());
    const sink: ByteSink = () => {};
    for (let i = 0; i < PRIME_PASSES; i++) {
      // Small chunks of a different size each time: every writer's
      // out-of-room path runs too.
      const out = new ByteOut(512 + 40 * i, sink);
      out.lit(HEADER);
      dumpAll(new CDumpState(btf, out));
      out.lit(FOOTER);
      out.flush();
    }
  } catch {
    // Only a warm-up: the dump itself does not depend on it (the tests
    // check that the blob dumps without error).
  }
}

/**
 * The C header of {@link dumpC} as bytes: names are copied from the string
 * section as they are (so names that are not UTF-8 come out as bpftool
 * writes them), and with `write` the header is streamed in chunks instead
 * of returned. Prefer it for writing a `vmlinux.h`.
 *
 * @example
 * ```ts
 * import { dumpCBytes, loadBtf, writeAllSync } from "@bpfview/bpfview";
 * const btf = loadBtf();
 * Deno.writeFileSync("vmlinux.h", dumpCBytes(btf));
 * dumpCBytes(btf, { ids: btf.findIds("sk_buff"), write: (c) => writeAllSync(Deno.stdout, c) });
 * ```
 */
export function dumpCBytes(btf: Btf, options: DumpCBytesOptions = {}): Uint8Array {
  const ids = options.ids;
  const out = new ByteOut(
    options.write ? CHUNK : ids === undefined ? btf.typesLength + (btf.typesLength >>> 2) : 4096,
    options.write,
  );
  if (ids === undefined && !primed && btf.count >= PRIME_ABOVE) prime();
  const d = new CDumpState(btf, out);
  const n = d.n;
  out.lit(HEADER);
  try {
    if (ids === undefined) {
      dumpAll(d);
    } else {
      for (const id of ids) {
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
  out.lit(FOOTER);
  out.flush();
  return out.bytes();
}

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
  return new TextDecoder().decode(dumpCBytes(btf, { ids: options.ids }));
}
