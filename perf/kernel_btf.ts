/**
 * BTF read in place from a mapped file: the kernel's BTF (mappable since
 * Linux 6.16) or any BTF or ELF file, without copying it. Falls back to
 * reading the file where it cannot be mapped. It lives in `perf/`, the layer
 * that composes the native side (`ffi/`: mmap) with the BTF reader (`btf/`).
 *
 * @module
 */

import { type Btf, KERNEL_BTF_PATH, loadBtf, parseBtf } from "../btf/parse.ts";
import { FfiError } from "../ffi/error.ts";
import { mapFile } from "../ffi/mmap.ts";

/**
 * A {@link Btf} over a mapped file. Keep it open while the Btf (or anything
 * that reads its bytes) is in use; `close()` unmaps the file.
 *
 * @example
 * ```ts
 * import { Kind, mapBtf } from "@bpfview/bpfview";
 * using mapped = mapBtf();
 * console.log(mapped.btf.findIds("task_struct", Kind.STRUCT));
 * ```
 */
export interface MappedBtf {
  /** The parsed BTF. Its bytes are detached once closed. */
  readonly btf: Btf;
  /** Whether the file is mapped (false: it was read, mapping being unsupported). */
  readonly mapped: boolean;
  /**
   * Unmaps the file (for a file that was read: detaches its bytes). Any use
   * of {@link MappedBtf.btf} after that throws `BtfError` saying it was
   * closed.
   */
  close(): void;
  /** Same as {@link MappedBtf.close}, for `using`. */
  [Symbol.dispose](): void;
}

/**
 * Opens BTF by mapping the file (the kernel's by default) rather than
 * reading it: no copy and no read calls, so opening the kernel's BTF costs
 * next to nothing. Where the file cannot be mapped (kernels before 6.16
 * refuse mmap on `/sys/kernel/btf/*`), reads it like {@link loadBtf}. Needs
 * `--allow-read` and `--allow-ffi`; without `--allow-ffi` it reads the file,
 * and Deno reads files under /sys only with `--allow-all`.
 *
 * @example
 * ```ts
 * import { mapBtf } from "@bpfview/bpfview";
 * using vmlinux = mapBtf();
 * console.log(vmlinux.mapped, vmlinux.btf.count);
 * ```
 */
export function mapBtf(path: string = KERNEL_BTF_PATH, options: { base?: Btf } = {}): MappedBtf {
  let file;
  try {
    file = mapFile(path);
  } catch (e) {
    // Not mappable here (or no FFI): the read path gives the same Btf, or
    // the reader's own error (a missing file, a missing --allow-read).
    if (!(e instanceof FfiError)) throw e;
    const btf = loadBtf(path, options);
    // Closing detaches the bytes as unmapping does, so a closed Btf says so
    // either way.
    const close = () => {
      const buffer = btf.bytes.buffer as ArrayBuffer;
      if (!buffer.detached) buffer.transfer(0);
    };
    return { btf, mapped: false, close, [Symbol.dispose]: close };
  }
  try {
    const btf = parseBtf(file.bytes, options);
    return { btf, mapped: true, close: () => file.close(), [Symbol.dispose]: () => file.close() };
  } catch (e) {
    file.close();
    throw e;
  }
}
