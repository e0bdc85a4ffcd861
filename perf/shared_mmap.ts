/**
 * Mapping a kernel object's fd shared (`mmap(MAP_SHARED)`): BPF ring
 * buffers, perf rings and global-variable sections, with one typed error.
 * Closing them is `unmapKeepingViews` (`ffi/unmap.ts`).
 *
 * @module
 */

import { FfiError } from "../ffi/error.ts";
import { errno, errnoText, libc } from "../ffi/libc.ts";

const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 1;
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
