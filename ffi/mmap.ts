/**
 * Read-only file mappings: the bytes of a file in place, without reading
 * it. Needs `--allow-read` for the file and `--allow-ffi` for mmap.
 *
 * @module
 */

import { FfiError } from "./error.ts";
import { cString, errno, errnoText, libc } from "./libc.ts";
import { keepMapped, unmapKeepingViews, unmapWhenCollected } from "./unmap.ts";

const PROT_READ = 1;
const MAP_PRIVATE = 2;
const O_RDONLY_CLOEXEC = 0o2000000;
/** A FIFO opened to map must not block the open (it is refused after). */
const O_NONBLOCK = 0o4000;
const MAP_FAILED = 0xffffffffffffffffn;
const SEEK_END = 2;

/**
 * Marks an ArrayBuffer over memory that must not be written (a read-only
 * mapping). A registered symbol, so the BTF views (which import nothing of
 * the FFI layer) find it too.
 */
const READ_ONLY_MEMORY = Symbol.for("bpfview.readOnlyMemory");

/**
 * A file mapped read-only into memory. `bytes` reads the file in place;
 * closing unmaps it: zero pages take its place until its buffer is
 * garbage collected, so a typed array or view kept over it reads zeros,
 * never freed memory (the buffer is not detached: the first detach in a
 * process slows every later typed array and DataView read of it). Reading
 * `bytes` after `close()` throws {@link FfiError}. A mapping whose
 * `close()` is forgotten is unmapped once its buffer is garbage collected. The mapping is read-only: views refuse to write into it, but
 * writing into `bytes` (or a typed array a view hands out) faults, so copy
 * (`bytes.slice()`) what you want to change. Map files that do not shrink
 * while mapped (kernel BTF, built objects): reading past the end of a file
 * truncated under the mapping faults.
 *
 * @example
 * ```ts
 * import { mapFile } from "@bpfview/bpfview";
 * using file = mapFile("/sys/kernel/btf/vmlinux");
 * console.log(file.bytes[0].toString(16)); // "9f"
 * ```
 */
export class MappedFile {
  readonly #bytes: Uint8Array;
  #mapping: { ptr: Deno.PointerObject; length: number } | null;
  #buffer: ArrayBuffer;
  readonly #path: string;

  /**
   * Use {@link mapFile}. Takes ownership of the mapping: if this throws,
   * the mapping is unmapped.
   */
  constructor(ptr: Deno.PointerObject, length: number, path = "(mapped memory)") {
    this.#path = path;
    try {
      this.#buffer = Deno.UnsafePointerView.getArrayBuffer(ptr, length);
      // The pages are read-only: a write would fault. Views check this mark
      // and refuse writes with an error (a plain typed array cannot).
      Object.defineProperty(this.#buffer, READ_ONLY_MEMORY, { value: true });
      this.#bytes = new Uint8Array(this.#buffer);
    } catch (e) {
      libc().munmap(ptr, BigInt(length));
      throw new FfiError(
        `expected to wrap ${length} mapped bytes of ${path} in an ArrayBuffer, found an error: ${
          e instanceof Error ? e.message : e
        }`,
      );
    }
    this.#mapping = { ptr, length };
    // The backstop for a forgotten close(): once nothing can reach the
    // buffer any more (not this, not a Btf or view over its bytes).
    unmapWhenCollected(this.#buffer, ptr, length, this);
  }

  /** The file's bytes, in place. Throws {@link FfiError} once closed. */
  get bytes(): Uint8Array {
    if (this.#mapping === null) {
      throw new FfiError(`expected an open mapping of ${this.#path}, found it closed`);
    }
    return this.#bytes;
  }

  /** Whether {@link close} has run. */
  get closed(): boolean {
    return this.#mapping === null;
  }

  /**
   * Unmaps the file once nothing can read its bytes any more (no object,
   * view or slice over them is reachable), for mappings handed out with no
   * owner to close them (`openBtf`). Every mapping is already registered
   * so (the backstop for a forgotten close); this says it is intended.
   * {@link close} still unmaps at once.
   */
  unmapWhenUnreachable(): void {
    // Registered in the constructor.
  }

  /**
   * Unmaps the file: views kept over its bytes read zeros from then on
   * (see {@link MappedFile}). Safe to call twice.
   */
  close(): void {
    const m = this.#mapping;
    if (m === null) return;
    this.#mapping = null;
    keepMapped(this); // the zero pages are unmapped when the buffer is collected instead
    unmapKeepingViews(m.ptr, m.length, this.#buffer);
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * What `path` is when it is not a regular file (`"a directory"`, `"a
 * FIFO"`, `"a character device"`...), or `undefined` for a regular file
 * or one that cannot be looked at (missing, or under /sys without
 * `--allow-all`: opening it says what is wrong). Check before opening: a
 * FIFO blocks its opener until a writer comes.
 */
export function notRegularFile(path: string): string | undefined {
  let st: Deno.FileInfo;
  try {
    st = Deno.statSync(path);
  } catch {
    // Under /sys Deno stats only with --allow-all, a missing file is open's
    // to report: the open, lseek and mmap below then say what is wrong.
    return undefined;
  }
  if (st.isFile) return undefined;
  if (st.isDirectory) return "a directory";
  if (st.isFifo) return "a FIFO";
  if (st.isCharDevice) return "a character device";
  if (st.isBlockDevice) return "a block device";
  if (st.isSocket) return "a socket";
  return "not a regular file";
}

/**
 * Maps a whole file read-only (`open` + `mmap(PROT_READ, MAP_PRIVATE)`).
 * Needs `--allow-ffi` and read permission for `path` (`--allow-read`
 * suffices, even under /sys where Deno's own file APIs ask for
 * `--allow-all`). Throws {@link FfiError} saying what failed, with its
 * errno: a path with a NUL byte, a directory, FIFO, device or socket, an
 * empty file, and files that cannot be mapped (older kernels'
 * `/sys/kernel/btf/*`: ENODEV, EINVAL or EACCES). Never blocks: a FIFO is
 * opened non-blocking and refused.
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
  // Checked before the permission: Deno would ask about the whole string,
  // libc would open the part before the NUL.
  const cpath = cString(String(path), "a path");
  // The file is opened by libc, not by Deno: ask Deno whether reading it is
  // allowed. (Unlike Deno's own file APIs, this also works under /sys with
  // just --allow-read, as for the kernel's BTF.)
  if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") {
    throw new FfiError(`expected permission to read ${path}, found none: run with --allow-read`);
  }
  const kind = notRegularFile(path);
  if (kind) throw new FfiError(`expected a regular file to map at ${path}, found ${kind}`);
  const c = libc();
  const fd = c.open(cpath, O_RDONLY_CLOEXEC | O_NONBLOCK);
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
    return new MappedFile(ptr, size, path);
  } finally {
    c.close(fd);
  }
}
