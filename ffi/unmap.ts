/**
 * Unmapping memory that ArrayBuffers cover without detaching them: zero
 * pages take the mapping's place at the same address, and are unmapped
 * once the buffer is garbage collected. A view kept after the close reads
 * zeros, never freed memory (nor whatever is mapped there next).
 *
 * Why not detach (`buffer.transfer(0)`, then `munmap`)? The first detach
 * of any ArrayBuffer in a process makes V8 compile every typed array and
 * DataView access from then on with a "was it detached?" check (about
 * 3 ns per ring record measured): one closed mapping would slow every
 * later read of the process.
 *
 * @module
 */

import { libc } from "./libc.ts";

const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_PRIVATE = 2;
const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;
const MAP_FIXED_NOREPLACE = 0x100000;

/** What to unmap once a buffer is collected. */
interface Pages {
  ptr: Deno.PointerObject;
  length: bigint;
}

const registry = new FinalizationRegistry<Pages>((m) => {
  try {
    libc().munmap(m.ptr, m.length);
  } catch {
    // Nothing to report to at collection time.
  }
});

/**
 * Unmaps `length` bytes at `ptr` once `buffer` (an ArrayBuffer over them)
 * is garbage collected; `token` cancels it ({@link keepMapped}).
 */
export function unmapWhenCollected(
  buffer: ArrayBuffer,
  ptr: Deno.PointerObject,
  length: number,
  token?: object,
): void {
  registry.register(buffer, { ptr, length: BigInt(length) }, token);
}

/** Cancels {@link unmapWhenCollected} registered with `token`. */
export function keepMapped(token: object): void {
  registry.unregister(token);
}

/**
 * Maps private zero pages (read-write: a stale write goes nowhere) at
 * `ptr` with `flags`; whether they landed there. A mapping put elsewhere
 * (a kernel that ignores MAP_FIXED_NOREPLACE) is undone.
 */
function zeroPagesAt(ptr: Deno.PointerObject, length: bigint, flags: number): boolean {
  const c = libc();
  const p = c.mmap(
    ptr,
    length,
    PROT_READ | PROT_WRITE,
    MAP_PRIVATE | MAP_ANONYMOUS | flags,
    -1,
    0n,
  );
  const at = p === null ? 0n : BigInt(Deno.UnsafePointer.value(p));
  if (at === BigInt(Deno.UnsafePointer.value(ptr))) return true;
  if (p !== null && at !== 0xffffffffffffffffn) c.munmap(p, length);
  return false;
}

/**
 * Unmaps the mapping of `length` bytes at `ptr` (one of ours) without
 * detaching `buffer`, the ArrayBuffer over it: zero pages replace it at
 * the same address in one `mmap(MAP_FIXED)` (no moment without a mapping
 * there), unmapped once `buffer` is collected. Where the kernel refuses
 * the replacement, detaches `buffer` and unmaps.
 */
export function unmapKeepingViews(
  ptr: Deno.PointerObject,
  length: number,
  buffer: ArrayBuffer,
): void {
  const n = BigInt(length);
  if (zeroPagesAt(ptr, n, MAP_FIXED)) return unmapWhenCollected(buffer, ptr, length);
  buffer.transfer(0);
  libc().munmap(ptr, n);
}

/**
 * For a mapping someone else (libbpf) has just unmapped under `buffer`:
 * zero pages where it was, if the range is still free
 * (`MAP_FIXED_NOREPLACE`: nothing mapped there meanwhile is replaced),
 * unmapped once `buffer` is collected; else detaches `buffer`. Call it
 * right after the unmap, before any JavaScript can read the buffer.
 */
export function zeroPagesWhereUnmapped(
  ptr: Deno.PointerObject,
  length: number,
  buffer: ArrayBuffer,
): void {
  if (zeroPagesAt(ptr, BigInt(length), MAP_FIXED_NOREPLACE)) {
    return unmapWhenCollected(buffer, ptr, length);
  }
  buffer.transfer(0);
}
