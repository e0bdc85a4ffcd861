/**
 * BPF objects through libbpf: open a clang-built object, set its globals,
 * load it, attach its programs and reach its maps, all typed by the
 * object's own BTF.
 *
 * @module
 */

import { type Btf, parseBtf } from "../btf/parse.ts";
import type { View } from "../btf/view.ts";
import { FfiError } from "../ffi/error.ts";
import { notRegularFile } from "../ffi/mmap.ts";
import {
  capture,
  cString,
  errOf,
  errText,
  lastLines,
  libbpf,
  libbpfError,
  readCString,
  typeName,
} from "../ffi/libbpf.ts";
import {
  afterObjectClose,
  freeMemory,
  Globals,
  type GlobalVar,
  type NativeMemory,
  noMemory,
} from "./globals.ts";
import { BpfMap } from "./map.ts";
import { type BpfLink, BpfProgram, type Owner } from "./program.ts";

/**
 * Options of {@link BpfObject.open}.
 *
 * @example
 * ```ts
 * import type { BpfObjectOptions } from "@bpfview/bpfview";
 * const opts: BpfObjectOptions = { name: "myprog", kernelBtf: "/tmp/vmlinux.btf" };
 * ```
 */
export interface BpfObjectOptions {
  /** The object's name (default: the file's base name; `bpfview` for bytes). Prefixes internal map names. */
  name?: string;
  /** BTF to use for CO-RE relocations instead of the kernel's (`/sys/kernel/btf/vmlinux`). */
  kernelBtf?: string;
  /**
   * Let libbpf's own printer write its warnings to stderr while this object
   * is opened and loaded (libbpf is silent otherwise; errors carry errno and
   * the verifier's log either way).
   */
  debug?: boolean;
}

/**
 * The native state of an object, freed by close() or, as a backstop, by the
 * GC. It refers to no JavaScript object of the package (only pointers,
 * buffers and mappings): a reference back to the BpfObject would keep it
 * alive forever.
 */
interface State {
  ptr: Deno.PointerObject | null;
  /** libbpf's link pointers, in attach order. */
  links: Set<Deno.PointerObject>;
  memory: NativeMemory;
  /** Kept alive for `bpf_object__open_mem`: libbpf reads it until load. */
  mem: Uint8Array | undefined;
}

function freeState(s: State): void {
  for (const l of s.links) capture(() => libbpf().bpf_link__destroy(l));
  s.links.clear();
  freeMemory(s.memory);
  if (s.ptr !== null) {
    const p = s.ptr;
    s.ptr = null;
    capture(() => libbpf().bpf_object__close(p));
  }
  afterObjectClose(s.memory);
  s.mem = undefined;
}

const registry = new FinalizationRegistry<State>(freeState);

/**
 * A BPF object file, opened through libbpf. Open it, set its `const
 * volatile` globals through {@link BpfObject.rodata}, {@link BpfObject.load}
 * it, attach its programs, and read its maps and globals; `close()` (or
 * `using`) detaches every link and frees everything.
 *
 * Needs `--allow-ffi` (and `--allow-read` for a file); loading needs root
 * or CAP_BPF (plus CAP_PERFMON for tracing programs). Errors are
 * {@link FfiError}s; a program the verifier rejects carries the verifier
 * log in the message and in {@link FfiError.log}.
 *
 * @example
 * ```ts
 * import { BpfObject } from "@bpfview/bpfview";
 * using obj = BpfObject.open("counter.bpf.o");
 * obj.rodata.target_pid = Deno.pid; // a const volatile filter, set before load
 * obj.load();
 * obj.attachAll();
 * const counts = obj.map("counts");
 * console.log(counts.typeName, counts.fd, obj.bss.toObject());
 * ```
 */
export class BpfObject {
  /** The object's name. */
  readonly name: string;
  /**
   * The object's BTF as libbpf holds it after open: data sections laid out
   * (clang leaves their sizes and offsets 0). Undefined for an object
   * built without `-g`.
   */
  readonly btf: Btf | undefined;
  #state: State;
  #loaded = false;
  #debug: boolean;
  #programs = new Map<string, BpfProgram>();
  #maps = new Map<string, BpfMap>();
  #owner: Owner;
  #links = new Set<BpfLink>();
  #globals: Globals = new Globals(undefined, [], noMemory());

  private constructor(ptr: Deno.PointerObject, mem: Uint8Array | undefined, debug: boolean) {
    this.#debug = debug;
    const s = libbpf();
    this.#state = { ptr, links: new Set(), memory: noMemory(), mem };
    registry.register(this, this.#state, this);
    const name = (): string => this.name;
    const loaded = (): boolean => this.#loaded;
    this.#owner = {
      get name() {
        return name();
      },
      get loaded() {
        return loaded();
      },
      debug,
      pointer: (what) => this.#pointer(what),
      addLink: (l, p) => {
        this.#links.add(l);
        this.#state.links.add(p);
      },
      removeLink: (l, p) => {
        this.#links.delete(l);
        this.#state.links.delete(p);
      },
    };
    this.name = readCString(s.bpf_object__name(ptr));
    try {
      this.btf = objectBtf(ptr);
      for (
        let p = s.bpf_object__next_program(ptr, null);
        p;
        p = s.bpf_object__next_program(ptr, p)
      ) {
        const prog = new BpfProgram(this.#owner, p);
        this.#programs.set(prog.name, prog);
      }
      for (let p = s.bpf_object__next_map(ptr, null); p; p = s.bpf_object__next_map(ptr, p)) {
        const map = new BpfMap(this.#owner, p, this.btf, mapName(p, this.btf));
        this.#maps.set(map.name, map);
      }
      this.#globals = new Globals(this.btf, this.#maps.values(), this.#state.memory);
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /**
   * Opens an object: a path, or the object's bytes (e.g. embedded in a
   * package or a compiled binary; copied, so the caller may reuse them).
   * Nothing reaches the kernel until {@link BpfObject.load}.
   */
  static open(source: string | Uint8Array, options: BpfObjectOptions = {}): BpfObject {
    const s = libbpf();
    const opts = openOptions(options, source);
    let mem: Uint8Array | undefined;
    const where = typeof source === "string" ? source : `${source.length} bytes in memory`;
    const { value, log } = capture(() => {
      let p: Deno.PointerValue;
      if (typeof source === "string") {
        const path = cString(source, "an object path");
        if (Deno.permissions.querySync({ name: "read", path: source }).state !== "granted") {
          throw new FfiError(
            `expected permission to read ${source}, found none: run with --allow-read`,
          );
        }
        const kind = notRegularFile(source);
        if (kind) {
          throw new FfiError(`expected a BPF object file at ${source}, found ${kind}`);
        }
        p = s.bpf_object__open_file(path, opts.bytes);
      } else {
        if (!(source instanceof Uint8Array) || source.length === 0) {
          throw new FfiError(
            `expected an object file's bytes (a non-empty Uint8Array), found ${
              source instanceof Uint8Array ? "0 bytes" : typeof source
            }`,
          );
        }
        mem = source.slice();
        p = s.bpf_object__open_mem(mem, BigInt(mem.length), opts.bytes);
      }
      return p === null ? errOf() : p;
    }, options.debug);
    if (typeof value === "number") {
      const e = value;
      const hint = e === 2 /* ENOENT */ && typeof source === "string"
        ? "no such file"
        : "not a BPF ELF object built with clang -target bpf?";
      throw new FfiError(
        `expected a BPF object (ELF, clang -g -O2 -target bpf) at ${where}, found ${
          e ? errText(e) : "an error"
        } (${hint})${log ? `\nlibbpf: ${lastLines(log, 3)}` : ""}`,
        e,
        log,
      );
    }
    void opts.keep;
    return new BpfObject(value, mem, options.debug ?? false);
  }

  #pointer(what: string): Deno.PointerObject {
    const p = this.#state.ptr;
    if (p === null) {
      throw new FfiError(`expected object '${this.name}' open to read ${what}, found it closed`);
    }
    return p;
  }

  /** Whether {@link load} has succeeded. */
  get loaded(): boolean {
    return this.#loaded;
  }

  /** Whether {@link close} has run. */
  get closed(): boolean {
    return this.#state.ptr === null;
  }

  /**
   * Loads the object into the kernel: creates its maps (with the globals'
   * values as set), loads and verifies its programs. Returns the object.
   * Throws {@link FfiError}: the verifier's log for a rejected program, one
   * sentence for missing privileges or a kernel too old for a map or
   * program type.
   */
  load(): this {
    const ptr = this.#pointer("load");
    if (this.#loaded) return this;
    const s = libbpf();
    // One verifier log buffer per program: libbpf loads without a log and, for
    // the program the kernel rejects, loads again with log level 1 into its
    // buffer. Kernels since 6.4 keep the log's end when it does not fit.
    const progs: Deno.PointerObject[] = [];
    for (let p = s.bpf_object__next_program(ptr, null); p; p = s.bpf_object__next_program(ptr, p)) {
      progs.push(p);
    }
    const size = Math.max(64 << 10, Math.min(1 << 20, Math.floor((16 << 20) / progs.length)));
    const logs = progs.map((p) => {
      const buf = new Uint8Array(size);
      s.bpf_program__set_log_buf(p, buf, BigInt(size));
      return buf;
    });
    const { value: r } = capture(() => s.bpf_object__load(ptr), this.#debug);
    // libbpf never reads the buffers again once the object is loaded (or failed to).
    if (r < 0) throw loadError(this, -r, verifierLogs(progs, logs));
    this.#loaded = true;
    return this;
  }

  /** The object's programs, in ELF order. */
  get programs(): BpfProgram[] {
    this.#pointer("the programs");
    return [...this.#programs.values()];
  }

  /** The object's maps, in ELF order (data sections included: `.rodata`, `.bss`, ...). */
  get maps(): BpfMap[] {
    this.#pointer("the maps");
    return [...this.#maps.values()];
  }

  /** The program named `name` (its C function name). Throws {@link FfiError} if none. */
  program(name: string): BpfProgram {
    return this.#named(this.#programs, "program", name);
  }

  /**
   * The map named `name` (as in the C source, or `.rodata` style for data
   * sections). `K` and `V` type its keys and values (see `MapValue`):
   * the interfaces from `bpfview btf dump --format ts`, number types, or
   * `T[]` for a per-CPU map's values; they are not checked against the
   * map's BTF at run time, as {@link BpfObject.section}'s `T` is not.
   *
   * @example
   * ```ts
   * import { BpfObject } from "@bpfview/bpfview";
   * interface hist_value { readonly count: bigint; readonly min_ns: number }
   * using obj = BpfObject.open("prog.bpf.o").load();
   * const perCpu = obj.map<number, hist_value[]>("per_cpu");
   * console.log(perCpu.lookup(0)?.[0].count); // CPU 0's count, a bigint
   * ```
   */
  map<K = unknown, V = unknown>(name: string): BpfMap<K, V> {
    return this.#named(this.#maps, "map", name) as BpfMap<K, V>;
  }

  /** The program or map named `name` in `table`; an {@link FfiError} listing the others if none. */
  #named<T>(table: Map<string, T>, what: "program" | "map", name: string): T {
    this.#pointer(`${what} '${name}'`);
    const found = table.get(name);
    if (!found) {
      throw new FfiError(
        `expected a ${what} named '${name}' in object '${this.name}', found ${
          listOf([...table.keys()], `${what}s`)
        }`,
      );
    }
    return found;
  }

  /**
   * Attaches every loaded program whose section names where to attach
   * (programs libbpf cannot auto-attach, like `SEC("syscall")`, are
   * skipped). Returns the new links; they detach on close.
   */
  attachAll(): BpfLink[] {
    const links: BpfLink[] = [];
    try {
      for (const p of this.programs) {
        if (p.fd < 0) continue; // autoload off
        try {
          links.push(p.attach());
        } catch (e) {
          if (e instanceof FfiError && e.errno === 95 /* EOPNOTSUPP */) continue;
          throw e;
        }
      }
    } catch (e) {
      for (const l of links) l.close();
      throw e;
    }
    return links;
  }

  /** The data sections with views (`.rodata`, `.data`, `.bss`, `.data.custom`, ...). */
  get sections(): string[] {
    this.#pointer("the data sections");
    return this.#globals.names;
  }

  /**
   * The globals of a data section as a view of its DATASEC: before load,
   * the initial values the maps are created with (writable: assign a
   * member to set it, checked by its type); after load, the kernel's map
   * in place (`.data`, `.bss`: live and writable; `.rodata`: a read-only
   * copy, as the kernel froze it). `T` types the members, e.g. the
   * section's interface from `bpfview btf dump --format ts` (`.bss` is `bss`).
   */
  section<T = Record<string, unknown>>(name: string): View<T> {
    this.#pointer(`section '${name}'`);
    return this.#globals.view(name, this.#loaded, this.name) as View<T>;
  }

  /**
   * Where global variable `name` lies: searched in `.rodata`, `.data`,
   * `.bss`, then the other data sections; `SECTION:NAME` names the section.
   */
  global(name: string): GlobalVar {
    this.#pointer(`global '${name}'`);
    return this.#globals.find(name, this.name);
  }

  /**
   * Sets global variable `name` (as {@link global} finds it) to `value`,
   * checked against its BTF type: numbers, bigints, decimal strings,
   * enumerator names, booleans, strings for `char[N]`, plain objects for
   * structs. Before load it sets the value the kernel's map starts with
   * (`.rodata` included); after load it writes the live map (`.data`,
   * `.bss`; `.rodata` is read-only then).
   */
  setGlobal(name: string, value: unknown): void {
    this.#pointer(`global '${name}'`);
    this.#globals.set(name, value, this.#loaded, this.name);
  }

  /**
   * The `const volatile` globals (`.rodata`): writable before load
   * (`obj.rodata.target_pid = 42` sets the value the program sees),
   * read-only after.
   */
  get rodata(): View {
    return this.section(".rodata");
  }

  /** The initialized globals (`.data`). */
  get data(): View {
    return this.section(".data");
  }

  /** The zero-initialized globals (`.bss`). */
  get bss(): View {
    return this.section(".bss");
  }

  /**
   * Detaches every link, unmaps the globals (a view kept over them reads
   * zeros from then on, never freed memory), and closes the object with
   * its programs and maps. Safe to call twice.
   */
  close(): void {
    if (this.#state.ptr === null) return;
    registry.unregister(this);
    for (const l of this.#links) l.detached();
    this.#links.clear();
    this.#globals.close();
    freeState(this.#state);
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

function listOf(names: string[], what: string): string {
  return names.length ? `only ${names.map((n) => `'${n}'`).join(", ")}` : `no ${what}`;
}

/** `struct bpf_object_open_opts` (libbpf 1.1 layout, 80 bytes on 64-bit). */
function openOptions(
  o: BpfObjectOptions,
  source: string | Uint8Array,
): { bytes: Uint8Array; keep: unknown[] } {
  const bytes = new Uint8Array(80);
  const dv = new DataView(bytes.buffer);
  const keep: unknown[] = [];
  const ptrOf = (s: string, what: string) => {
    const c = cString(s, what);
    keep.push(c);
    return Deno.UnsafePointer.value(Deno.UnsafePointer.of(c));
  };
  dv.setBigUint64(0, 80n, true);
  const name = o.name ?? (typeof source === "string" ? undefined : "bpfview");
  if (name !== undefined) dv.setBigUint64(8, BigInt(ptrOf(name, "the object name")), true);
  if (o.kernelBtf !== undefined) {
    dv.setBigUint64(48, BigInt(ptrOf(o.kernelBtf, "the kernel BTF path")), true);
  }
  return { bytes, keep };
}

/** The object's BTF as libbpf fixed it up (copied: libbpf frees it on close). */
function objectBtf(ptr: Deno.PointerObject): Btf | undefined {
  const s = libbpf();
  const btf = s.bpf_object__btf(ptr);
  if (btf === null) return undefined;
  const size = new Uint32Array(1);
  const raw = s.btf__raw_data(btf, new Uint8Array(size.buffer));
  if (raw === null || size[0] === 0) return undefined;
  const bytes = new Uint8Array(size[0]);
  bytes.set(new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(raw, size[0])));
  return parseBtf(bytes);
}

/** A map's name: its C name, or its DATASEC's name for a data section. */
function mapName(p: Deno.PointerObject, btf: Btf | undefined): string {
  const s = libbpf();
  if (btf && s.bpf_map__is_internal(p)) {
    const id = s.bpf_map__btf_value_type_id(p);
    if (id !== 0) {
      try {
        const n = btf.nameOf(id);
        if (n) return n;
      } catch { /* fall back to libbpf's name */ }
    }
  }
  return readCString(s.bpf_map__name(p));
}

/** The non-empty verifier logs, in the text libbpf itself prints them as. */
function verifierLogs(progs: Deno.PointerObject[], logs: Uint8Array[]): string {
  const dec = new TextDecoder();
  let out = "";
  for (let i = 0; i < progs.length; i++) {
    const end = logs[i].indexOf(0);
    if (end === 0) continue;
    const text = dec.decode(logs[i].subarray(0, end < 0 ? logs[i].length : end));
    const name = readCString(libbpf().bpf_program__name(progs[i]));
    out += `prog '${name}': -- BEGIN PROG LOAD LOG --\n${text}${
      text.endsWith("\n") ? "" : "\n"
    }-- END PROG LOAD LOG --\n`;
  }
  return out;
}

const VERIFIER_LOG = /prog '([^']*)': -- BEGIN PROG LOAD LOG --\n([\s\S]*?)-- END PROG LOAD LOG --/;
/** At most this many lines of a verifier log go into an error message (all are in `log`). */
const LOG_LINES = 60;

function loadError(obj: BpfObject, err: number, log: string): FfiError {
  const v = VERIFIER_LOG.exec(log);
  if (v) {
    const lines = v[2].trimEnd().split("\n");
    const reason = lines.findLast((l) =>
      l.trim() !== "" && !/^(processed \d+ insns|verification time|stack depth)/.test(l)
    ) ?? "no reason given";
    const shown = lines.length > LOG_LINES
      ? ["...", ...lines.slice(-LOG_LINES)].join("\n")
      : lines.join("\n");
    return new FfiError(
      `expected the verifier to accept program '${
        v[1]
      }' of object '${obj.name}', found it rejected: ${reason} (${
        errText(err)
      }); verifier log:\n${shown}`,
      err,
      log,
    );
  }
  // What a kernel answers for a map or program type it does not know. Probes of
  // tracing, struct_ops, extension and LSM programs need an attach target: skipped.
  if (err === 22 || err === 7 || err === 95 || err === 524) {
    const s = libbpf();
    for (const m of obj.maps) {
      if (s.libbpf_probe_bpf_map_type(m.type, null) === 0) {
        return new FfiError(
          `expected a kernel supporting map type ${
            typeName("map", m.type)
          } (map '${m.name}'), found this kernel (${Deno.osRelease()}) without it: upgrade the kernel`,
          err,
          log,
        );
      }
    }
    for (const p of obj.programs) {
      if (p.type >= 26 && p.type <= 29) continue; // TRACING, STRUCT_OPS, EXT, LSM
      if (p.autoload && s.libbpf_probe_bpf_prog_type(p.type, null) === 0) {
        return new FfiError(
          `expected a kernel supporting program type ${p.typeName} (program '${p.name}'), found this kernel (${Deno.osRelease()}) without it: upgrade the kernel`,
          err,
          log,
        );
      }
    }
  }
  return libbpfError(`load object '${obj.name}'`, err, log);
}
