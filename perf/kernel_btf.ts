/**
 * Opening BTF files: {@link openBtf}, the one way to open the kernel's BTF
 * (or any BTF or ELF file) that maps the file where it can and reads it
 * where it must; {@link mapBtf} for the mapping with an explicit `close()`.
 * It lives in `perf/`, the layer that composes the native side (`ffi/`:
 * mmap) with the BTF reader (`btf/`).
 *
 * @module
 */

import { BtfError } from "../btf/error.ts";
import { type Btf, KERNEL_BTF_PATH, loadBtf, parseBtf } from "../btf/parse.ts";
import { FfiError } from "../ffi/error.ts";
import { mapFile, type MappedFile } from "../ffi/mmap.ts";

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
  /** The parsed BTF. Once closed, any use of it throws `BtfError` saying so. */
  readonly btf: Btf;
  /** Whether the file is mapped (false: it was read, mapping being unsupported). */
  readonly mapped: boolean;
  /**
   * Closes {@link MappedBtf.btf} (any use of it from then on throws
   * `BtfError` saying it was closed) and unmaps the file: a view kept over
   * its bytes reads zeros from then on, never freed memory.
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
  const { btf, file } = mapOrRead(path, options.base);
  // Nothing is detached (the first detach in a process slows every later typed array read).
  const close = () => {
    btf._close();
    file?.close();
  };
  return { btf, mapped: file !== undefined, close, [Symbol.dispose]: close };
}

/**
 * Opens BTF: the running kernel's (`/sys/kernel/btf/vmlinux`) by default, or
 * any raw BTF file (`/sys/kernel/btf/MODULE` with `base`) or ELF object with
 * a `.BTF` section. This is the one to use: it maps the file where it can
 * (no copy, no read calls: opening the kernel's BTF costs about what
 * libbpf's `btf__parse` does), and reads it where it must (kernels before
 * 6.16 cannot map `/sys/kernel/btf/*`; without `--allow-ffi`).
 *
 * Permissions: `--allow-read` and `--allow-ffi` (then any file, /sys
 * included); without `--allow-ffi` the file is read, which Deno allows under
 * /sys only with `--allow-all`. The errors say which flag is missing.
 *
 * The file is unmapped once nothing can read it any more (the Btf and
 * every view or slice over its bytes unreachable); use {@link mapBtf} to
 * unmap it at a point of your choosing.
 * `base` may be a path (opened the same way) or a Btf.
 *
 * @example
 * ```ts
 * import { Kind, openBtf } from "@bpfview/bpfview";
 * const btf = openBtf();
 * const task = btf.get("task_struct", Kind.STRUCT);
 * const mod = openBtf("/sys/kernel/btf/nf_tables", { base: btf });
 * ```
 */
export function openBtf(
  path: string = KERNEL_BTF_PATH,
  options: { base?: Btf | string } = {},
): Btf {
  const base = typeof options.base === "string" ? openBtf(options.base) : options.base;
  const { btf, file } = mapOrRead(path, base);
  file?.unmapWhenUnreachable();
  return btf;
}

/**
 * Parses the file mapped, or read where it cannot be mapped (not mappable
 * here, or no FFI): `file` is the mapping, if any.
 */
function mapOrRead(path: string, base: Btf | undefined): { btf: Btf; file?: MappedFile } {
  let file;
  try {
    file = mapFile(path);
  } catch (e) {
    if (!(e instanceof FfiError)) throw e;
    return { btf: readBtf(path, base) };
  }
  try {
    return { btf: parseBtf(file.bytes, { base }), file };
  } catch (e) {
    file.close();
    throw e;
  }
}

/** {@link loadBtf}, with the error for a file neither mapped nor read saying both flags. */
function readBtf(path: string, base: Btf | undefined): Btf {
  try {
    return loadBtf(path, { base });
  } catch (e) {
    // Not mapped for want of --allow-ffi, and not read for want of -A (/sys).
    if (
      e instanceof BtfError && /--allow-all/.test(e.message) &&
      Deno.permissions.querySync({ name: "ffi" }).state !== "granted"
    ) {
      throw new BtfError(
        `expected to map or read ${path}, found both refused: add --allow-ffi to map it (with --allow-read), or run with --allow-all (-A)`,
      );
    }
    throw e;
  }
}
