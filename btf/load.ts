/**
 * Getting BTF bytes: from memory (a raw blob or an ELF object's `.BTF`
 * section) or from a file (the kernel's by default), read whole in one go.
 *
 * @module
 */

import { BtfError } from "./error.ts";
import { findElfSection, isElf } from "./elf.ts";
import { Btf } from "./parse.ts";

/**
 * Where the kernel exposes its own BTF.
 *
 * @example
 * ```ts
 * import { KERNEL_BTF_PATH, parseBtf } from "@bpfview/bpfview";
 * const btf = parseBtf(Deno.readFileSync(KERNEL_BTF_PATH)); // needs -A: it is under /sys
 * ```
 */
export const KERNEL_BTF_PATH = "/sys/kernel/btf/vmlinux";
/** Where the kernel exposes its modules' BTF (`<dir>/<module>`, split on vmlinux). */
const KERNEL_BTF_DIR = "/sys/kernel/btf";

/**
 * Options for {@link parseBtf} and {@link loadBtf}.
 *
 * @example
 * ```ts
 * import { loadBtf, type ParseOptions } from "@bpfview/bpfview";
 * const opts: ParseOptions = { base: loadBtf() };
 * ```
 */
export interface ParseOptions {
  /** The base BTF for split BTF (module BTF on top of vmlinux). */
  base?: Btf;
}

/**
 * Parses BTF from bytes: a raw BTF blob or an ELF object with a `.BTF`
 * section (detected from the bytes).
 *
 * @example
 * ```ts
 * import { parseBtf } from "@bpfview/bpfview";
 * const btf = parseBtf(Deno.readFileSync("/sys/kernel/btf/vmlinux"));
 * console.log(btf.find("task_struct")?.id);
 * ```
 */
export function parseBtf(bytes: Uint8Array, options: ParseOptions = {}): Btf {
  if (isElf(bytes)) {
    const sec = findElfSection(bytes, ".BTF");
    if (!sec) throw new BtfError("expected a .BTF section in the ELF object, found none");
    return new Btf(bytes.subarray(sec.offset, sec.offset + sec.size), options.base, sec.offset);
  }
  return new Btf(bytes, options.base, 0);
}

/**
 * Reads and parses a BTF file (raw BTF or ELF). Without a path, reads the
 * running kernel's BTF from `/sys/kernel/btf/vmlinux` (needs only
 * `--allow-read`). `base` may be a path or a parsed {@link Btf}.
 *
 * @example
 * ```ts
 * import { loadBtf } from "@bpfview/bpfview";
 * const vmlinux = loadBtf();
 * const mod = loadBtf("/sys/kernel/btf/nf_tables", { base: vmlinux });
 * ```
 */
export function loadBtf(
  path: string = KERNEL_BTF_PATH,
  options: { base?: Btf | string } = {},
): Btf {
  const base = typeof options.base === "string" ? loadBtf(options.base) : options.base;
  return parseBtf(readBtfFile(path), { base });
}

/**
 * The module BTF `/sys/kernel/btf/<name>` (split BTF) on top of `base`, the
 * kernel's BTF (loaded when not given): what `bpftool btf dump file
 * /sys/kernel/btf/<name>` reads. `name` is a module name, not a path.
 *
 * @example
 * ```ts
 * import { loadBtf, loadModuleBtf } from "@bpfview/bpfview";
 * const vmlinux = loadBtf();
 * const nft = loadModuleBtf("nf_tables", vmlinux);
 * console.log(nft.startId === vmlinux.count); // true
 * ```
 */
export function loadModuleBtf(name: string, base?: Btf): Btf {
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || name === "." || name === ".." || name === "vmlinux") {
    throw new BtfError(
      `expected a kernel module name (letters, digits, _ . -; not vmlinux), found ${
        JSON.stringify(name)
      }`,
    );
  }
  return loadBtf(`${KERNEL_BTF_DIR}/${name}`, { base: base ?? loadBtf() });
}

/**
 * The whole file at `path`, or a {@link BtfError} saying what is wrong with
 * it: missing, not a regular file (a directory, FIFO, device or socket,
 * refused before it is opened so that nothing blocks), unreadable, or a path
 * with a NUL byte.
 */
function readBtfFile(path: string): Uint8Array {
  const nul = String(path).indexOf("\0");
  if (nul >= 0) {
    throw new BtfError(`expected a path without NUL bytes, found one at character ${nul}`);
  }
  try {
    const st = Deno.statSync(path);
    if (!st.isFile) {
      throw new BtfError(`expected a BTF file at ${path}, found ${fileKind(st)}`);
    }
    return readWhole(path);
  } catch (e) {
    if (e instanceof BtfError) throw e;
    if (e instanceof Deno.errors.NotFound) {
      throw new BtfError(
        path === KERNEL_BTF_PATH
          ? `expected kernel BTF at ${path}, found no such file: the kernel needs CONFIG_DEBUG_INFO_BTF=y`
          : `expected a BTF file at ${path}, found no such file`,
      );
    }
    if (e instanceof Deno.errors.NotCapable) {
      // Deno asks for every permission before it opens anything under /sys,
      // /proc or /dev (denoland/deno#27564), --allow-read is not enough there.
      throw new BtfError(
        /Requires all access/.test(e.message)
          ? `expected to read ${path}, found it refused: Deno reads files under /sys only with --allow-all (-A)`
          : `expected to read ${path}, found it refused: run with --allow-read`,
      );
    }
    if (e instanceof Deno.errors.PermissionDenied) {
      throw new BtfError(`cannot read ${path}: permission denied (run as a user who can read it)`);
    }
    throw new BtfError(
      `expected to read a BTF file at ${path}, found an error: ${
        e instanceof Error ? e.message : String(e)
      }`,
    );
  }
}

/** What a path that is not a regular file is, in words. */
export function fileKind(st: Deno.FileInfo): string {
  if (st.isDirectory) return "a directory";
  if (st.isFifo) return "a FIFO";
  if (st.isCharDevice) return "a character device";
  if (st.isBlockDevice) return "a block device";
  if (st.isSocket) return "a socket";
  return st.isSymlink ? "a symbolic link" : "not a regular file";
}

/**
 * Reads a whole file into one buffer sized from fstat (one allocation, one
 * read for sysfs BTF files); files whose size fstat does not know (procfs)
 * fall back to Deno.readFileSync.
 */
function readWhole(path: string): Uint8Array {
  using file = Deno.openSync(path);
  const size = file.statSync().size;
  if (size === 0) return Deno.readFileSync(path);
  let buf = new Uint8Array(size);
  let n = 0;
  for (;;) {
    if (n === buf.length) {
      // The file grew (or fstat was short): keep reading into a bigger buffer.
      const probe = new Uint8Array(1);
      if (file.readSync(probe) === null) return buf;
      const bigger = new Uint8Array(buf.length * 2);
      bigger.set(buf);
      bigger[n++] = probe[0];
      buf = bigger;
    }
    const r = file.readSync(buf.subarray(n));
    if (r === null) return buf.subarray(0, n);
    n += r;
  }
}
