/**
 * Programs of a BPF object and the links that attach them.
 *
 * @module
 */

import { FfiError } from "../ffi/error.ts";
import { idOfFd } from "./kernel_objects.ts";
import { capture, errOf, libbpf, libbpfError, readCString, typeName } from "../ffi/libbpf.ts";

/** What programs, maps and links need from the object that owns them. @internal */
export interface Owner {
  /** The object's name, for messages. */
  readonly name: string;
  /** Whether `load()` has succeeded. */
  readonly loaded: boolean;
  /** Whether libbpf prints its own messages during calls (BpfObjectOptions.debug). */
  readonly debug: boolean;
  /** libbpf's object pointer; throws FfiError once closed. */
  pointer(what: string): Deno.PointerObject;
  /** Registers a link (and libbpf's pointer) to destroy on close. */
  addLink(link: BpfLink, ptr: Deno.PointerObject): void;
  /** Forgets a link destroyed by the user. */
  removeLink(link: BpfLink, ptr: Deno.PointerObject): void;
}

/**
 * A link: a program attached to its hook. `close()` (or `using`, or closing
 * the object) detaches it.
 *
 * @example
 * ```ts
 * import { BpfObject } from "@bpfview/bpfview";
 * using obj = BpfObject.open("prog.bpf.o").load();
 * using link = obj.program("handle_exec").attach();
 * console.log(link.program, link.fd);
 * ```
 */
export class BpfLink {
  /** The attached program's name. */
  readonly program: string;
  #ptr: Deno.PointerObject | null;
  #owner: Owner;

  /** @internal Made by {@link BpfProgram.attach}. */
  constructor(owner: Owner, program: string, ptr: Deno.PointerObject) {
    this.#owner = owner;
    this.program = program;
    this.#ptr = ptr;
  }

  /** The link's file descriptor (-1 once detached). */
  get fd(): number {
    return this.#ptr === null ? -1 : libbpf().bpf_link__fd(this.#ptr);
  }

  /** Whether the link was detached. */
  get closed(): boolean {
    return this.#ptr === null;
  }

  /** Detaches the program. Safe to call twice. */
  close(): void {
    if (this.#ptr === null) return;
    const p = this.#ptr;
    this.#ptr = null;
    this.#owner.removeLink(this, p);
    capture(() => libbpf().bpf_link__destroy(p));
  }

  /** @internal Marks the link detached: its object is closing and destroys it. */
  detached(): void {
    this.#ptr = null;
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * One program of a {@link BpfObject}, by name. Its section name (`SEC()`)
 * tells libbpf where {@link BpfProgram.attach} attaches it.
 *
 * @example
 * ```ts
 * import { BpfObject } from "@bpfview/bpfview";
 * using obj = BpfObject.open("prog.bpf.o");
 * const prog = obj.program("handle_exec");
 * console.log(prog.section, prog.typeName); // "tracepoint/sched/sched_process_exec" "tracepoint"
 * obj.load();
 * prog.attach();
 * ```
 */
export class BpfProgram {
  /** The program's name (its C function name). */
  readonly name: string;
  /** Its ELF section (`SEC()`), e.g. `tracepoint/syscalls/sys_enter_getppid`. */
  readonly section: string;
  #ptr: Deno.PointerObject;
  #owner: Owner;

  /** @internal Made by {@link BpfObject}. */
  constructor(owner: Owner, ptr: Deno.PointerObject) {
    this.#owner = owner;
    this.#ptr = ptr;
    const s = libbpf();
    this.name = readCString(s.bpf_program__name(ptr));
    this.section = readCString(s.bpf_program__section_name(ptr));
  }

  #p(what: string): Deno.PointerObject {
    this.#owner.pointer(`${what} of program '${this.name}'`);
    return this.#ptr;
  }

  /** The program type (`BPF_PROG_TYPE_*`). */
  get type(): number {
    return libbpf().bpf_program__type(this.#p("the type"));
  }

  /** The program type as libbpf names it (`tracepoint`, `kprobe`, `tracing`). */
  get typeName(): string {
    return typeName("prog", this.type);
  }

  /** The program's file descriptor once loaded (-1 before). */
  get fd(): number {
    const fd = libbpf().bpf_program__fd(this.#p("the fd"));
    return fd < 0 ? -1 : fd;
  }

  /** The program's id in the kernel once loaded (as `bpftool prog list` shows it). */
  get id(): number {
    const fd = this.fd;
    if (fd < 0) {
      throw new FfiError(
        `expected program '${this.name}' loaded to have an id, found it not loaded`,
      );
    }
    return idOfFd(fd);
  }

  /** Whether `load()` loads this program (default true). Settable before load. */
  get autoload(): boolean {
    return libbpf().bpf_program__autoload(this.#p("autoload"));
  }

  set autoload(on: boolean) {
    const r = libbpf().bpf_program__set_autoload(this.#p("autoload"), !!on);
    if (r < 0) {
      throw new FfiError(
        `expected to set autoload of program '${this.name}' before load, found ${
          this.#owner.loaded ? "the object loaded" : `error ${-r}`
        }`,
        -r,
      );
    }
  }

  /**
   * Attaches the program where its section says (libbpf auto-attach:
   * tracepoint, raw_tp, tp_btf, kprobe/kretprobe, fentry/fexit, uprobe,
   * ...). The link is detached by its `close()` or by closing the object.
   * Throws {@link FfiError} before load, for a section that names no
   * attach point, or when the kernel refuses.
   */
  attach(): BpfLink {
    const ptr = this.#p("attach");
    if (!this.#owner.loaded) {
      throw new FfiError(
        `expected object '${this.#owner.name}' loaded before attaching program '${this.name}', found it not loaded: call load() first`,
      );
    }
    if (this.fd < 0) {
      throw new FfiError(
        `expected program '${this.name}' loaded before attaching it, found it not loaded (autoload off)`,
      );
    }
    const { value: link, log } = capture(() => {
      const l = libbpf().bpf_program__attach(ptr);
      return l === null ? errOf() : l;
    }, this.#owner.debug);
    if (typeof link === "number") {
      if (link === 95 /* EOPNOTSUPP */) {
        throw new FfiError(
          `expected a section naming where to attach program '${this.name}', found SEC("${this.section}"), which libbpf cannot auto-attach`,
          link,
          log,
        );
      }
      throw libbpfError(`attach program '${this.name}' (SEC("${this.section}"))`, link, log);
    }
    const l = new BpfLink(this.#owner, this.name, link);
    this.#owner.addLink(l, link);
    return l;
  }
}
