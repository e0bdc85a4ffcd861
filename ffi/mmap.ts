/**
 * Read-only file mappings: the bytes of a file in place, without reading
 * it. Needs `--allow-read` for the file and `--allow-ffi` for mmap.
 *
 * @module
 */

import { FfiError } from "./error.ts";
import { errno, errnoText, libc } from "./libc.ts";

const PROT_READ = 1;
const MAP_PRIVATE = 2;
const O_RDONLY_CLOEXEC = 0o2000000;
const MAP_FAILED = 0xffffffffffffffffn;
const SEEK_END = 2;

/** Mappings handed to the garbage collector ({@link MappedFile.unmapWhenUnreachable}). */
const unreachable = new FinalizationRegistry<{ ptr: Deno.PointerObject; length: bigint }>(
  ({ ptr, length }) => libc().munmap(ptr, length),
);

/**
 * A file mapped read-only into memory. `bytes` reads the file in place;
 * closing unmaps it, after detaching `bytes` (and every view over it), so a
 * stale view reads nothing rather than freed memory. Map files that do not
 * shrink while mapped (kernel BTF, built objects): reading past the end of a
 * file truncated under the mapping faults.
 *
 * @example
 * ```ts
 * import { mapFile } from "@bpfview/bpfview";
 * using file = mapFile("/sys/kernel/btf/vmlinux");
 * console.log(file.bytes[0].toString(16)); // "9f"
 * ```
 */
export class MappedFile {
  /** The file's bytes, in place. Detached (length 0) once closed. */
  readonly bytes: Uint8Array;
  #ptr: Deno.PointerObject | null;
  #buffer: ArrayBuffer;
  #length: bigint;

  /** Use {@link mapFile}. */
  constructor(ptr: Deno.PointerObject, length: number) {
    this.#ptr = ptr;
    this.#length = BigInt(length);
    this.#buffer = Deno.UnsafePointerView.getArrayBuffer(ptr, length);
    this.bytes = new Uint8Array(this.#buffer);
  }

  /** Whether {@link close} has run. */
  get closed(): boolean {
    return this.#ptr === null;
  }

  /**
   * Unmaps the file once nothing can read its bytes any more (no object,
   * view or slice over them is reachable), for mappings handed out with no
   * owner to close them (`openBtf`). {@link close} still unmaps at once.
   */
  unmapWhenUnreachable(): void {
    if (this.#ptr === null) return;
    unreachable.register(this.#buffer, { ptr: this.#ptr, length: this.#length }, this);
  }

  /** Detaches the bytes and unmaps the file. Safe to call twice. */
  close(): void {
    if (this.#ptr === null) return;
    unreachable.unregister(this);
    this.#buffer.transfer(0); // detach: every view over it now has length 0
    libc().munmap(this.#ptr, this.#length);
    this.#ptr = null;
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Maps a whole file read-only (`open` + `mmap(PROT_READ, MAP_PRIVATE)`).
 * Needs `--allow-ffi` and read permission for `path` (`--allow-read`
 * suffices, even under /sys where Deno's own file APIs ask for
 * `--allow-all`). Throws {@link FfiError} saying what failed, with its errno: files that
 * cannot be mapped (older kernels' `/sys/kernel/btf/*`, pipes) fail with
 * ENODEV, EINVAL or EACCES.
 *
 * @example
 * ```ts
 * import { mapFile } from "@bpfview/bpfview";
 * const file = mapFile("prog.bpf.o");
 * try {
 *   console.log(file.bytes.length);
 * } finally {
 *   file.close();
 * }
 * ```
 */
export function mapFile(path: string): MappedFile {
  // The file is opened by libc, not by Deno: ask Deno whether reading it is
  // allowed. (Unlike Deno's own file APIs, this also works under /sys with
  // just --allow-read, as for the kernel's BTF.)
  if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") {
    throw new FfiError(`expected permission to read ${path}, found none: run with --allow-read`);
  }
  const c = libc();
  const fd = c.open(new TextEncoder().encode(path + "\0"), O_RDONLY_CLOEXEC);
  if (fd < 0) {
    const e = errno();
    throw new FfiError(`expected to open ${path}, found ${errnoText(e)}`, e);
  }
  try {
    const end = c.lseek(fd, 0n, SEEK_END);
    if (end <= 0n) {
      const e = end < 0n ? errno() : 0;
      throw new FfiError(
        `expected a file with bytes to map at ${path}, found ${e ? errnoText(e) : "0 bytes"}`,
        e,
      );
    }
    const size = Number(end);
    const ptr = c.mmap(null, BigInt(size), PROT_READ, MAP_PRIVATE, fd, 0n);
    if (ptr === null || Deno.UnsafePointer.value(ptr) === MAP_FAILED) {
      const e = errno();
      throw new FfiError(`expected to mmap ${size} bytes of ${path}, found ${errnoText(e)}`, e);
    }
    return new MappedFile(ptr, size);
  } finally {
    c.close(fd);
  }
}
