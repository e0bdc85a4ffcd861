/**
 * Mapping a kernel object's fd shared (`mmap(MAP_SHARED)`): BPF ring
 * buffers, perf rings and global-variable sections, with one typed error.
 *
 * @module
 */

import { FfiError } from "../ffi/error.ts";
import { errno, errnoText, libc } from "../ffi/libc.ts";

const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 1;
const MAP_PRIVATE = 2;
const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;
const MAP_FAILED = 0xffffffffffffffffn;

/**
 * Maps `length` bytes of `fd` from `offset`, readable (and writable when
 * `writable`). Throws {@link FfiError} "expected to mmap `what`, found
 * <errno>" followed by `hint(errno)`, when mmap fails.
 */
export function mmapShared(
  fd: number,
  length: number,
  writable: boolean,
  offset: number,
  what: string,
  hint: (e: number) => string = () => "",
): Deno.PointerObject {
  const prot = writable ? PROT_READ | PROT_WRITE : PROT_READ;
  const p = libc().mmap(null, BigInt(length), prot, MAP_SHARED, fd, BigInt(offset));
  if (p === null || Deno.UnsafePointer.value(p) === MAP_FAILED) {
    const e = errno();
    throw new FfiError(`expected to mmap ${what}, found ${errnoText(e)}${hint(e)}`, e);
  }
  return p;
}

/** Zero pages left where a mapping was, unmapped once the ArrayBuffer over them is collected. */
const zeroPages = new FinalizationRegistry<{ ptr: Deno.PointerObject; length: bigint }>((m) => {
  try {
    libc().munmap(m.ptr, m.length);
  } catch {
    // Nothing to report to at collection time.
  }
});

/**
 * Unmaps the kernel object mapped at `ptr` without detaching `buffer`
 * (the ArrayBuffer over it): zero pages (private, anonymous, read-write)
 * replace it at the same address in one `mmap(MAP_FIXED)`, so a stale view
 * reads zeros (and writes go nowhere) instead of freed memory, and those
 * pages are unmapped once `buffer` is collected. Not detaching matters for
 * speed: V8 compiles every typed array and DataView access of the process
 * with a "was it detached?" check from the first detach on. Falls back to
 * detaching and unmapping when the kernel refuses the replacement.
 */
export function unmapKeepingViews(
  ptr: Deno.PointerObject,
  length: number,
  buffer: ArrayBuffer,
): void {
  const c = libc(), n = BigInt(length);
  const p = c.mmap(ptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0n);
  if (p === null || Deno.UnsafePointer.value(p) !== Deno.UnsafePointer.value(ptr)) {
    buffer.transfer(0);
    c.munmap(ptr, n);
    return;
  }
  zeroPages.register(buffer, { ptr, length: n });
}
