// Running the reference tools (bpftool, clang, cc), Deno scripts and the CLI from tests.
//
// Child processes never download anything: `deno task test` fetches every dependency once, up
// front (`deno install --frozen`, lockfile honoured), then runs `deno test --frozen --cached-only`.
// Start every Deno child through the helpers below, which add the same `--frozen --cached-only`
// (a missing package then fails at once instead of printing a `Download ...` notice on stderr):
//   const r = cliSync("btf", "dump", "pid_t");       // { code, out, err }, CLI as a user runs it
//   const r = await cli(["btf", "decode", ...], bytes); // same, async, with optional stdin
//   sh(Deno.execPath(), denoRun("--allow-read", script)); // any other Deno script
// A successful command's stderr is "": assert it (a notice or a warning would show there).

// The CLI's module graph (npm packages included) is part of every test file that uses these
// helpers, so `deno test` has it cached before any child starts, even when run without the task.
export { parser as cliParser } from "../cli/main.ts";
import assert from "node:assert/strict";
import { KERNEL_BTF_PATH } from "../mod.ts";
import { DV } from "../btf/view_runtime.ts"; // a view's DataView, for mappingAt

const dec = new TextDecoder();

/** The project root (ends with `/`). */
export const ROOT = new URL("../", import.meta.url).pathname;

/** `cli/start.ts`, the CLI's entry point (fast start, then `cli/main.ts`). */
export const CLI_MAIN = `${ROOT}cli/start.ts`;

/**
 * `deno run` arguments for a child process that never downloads: `--frozen --cached-only`,
 * then `args` (permission flags, the script and its arguments).
 */
export function denoRun(...args: string[]): string[] {
  return ["run", "--frozen", "--cached-only", "--no-prompt", ...args];
}

/** What a CLI run printed and returned. */
export interface CliResult {
  /** Exit code. */
  code: number;
  /** Standard output as text. */
  out: string;
  /** Standard error as text. */
  err: string;
}

/** Runs the CLI (`deno run -A cli/start.ts ...args`) without downloads; waits for it. */
export function cliSync(...args: string[]): CliResult {
  const r = new Deno.Command(Deno.execPath(), {
    args: denoRun("-A", CLI_MAIN, ...args),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

/** Runs the CLI without downloads, writing `stdin` (if given) to its standard input. */
export async function cli(args: string[], stdin?: Uint8Array): Promise<CliResult> {
  const p = new Deno.Command(Deno.execPath(), {
    args: denoRun("-A", CLI_MAIN, ...args),
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Read stdout while writing stdin, or a big input deadlocks on full pipes.
  const output = p.output();
  if (stdin) {
    const w = p.stdin.getWriter();
    await w.write(stdin);
    await w.close();
  }
  const r = await output;
  return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

/** Runs `cmd args` and returns its stdout as bytes; throws with stderr if it fails. */
export function shBytes(cmd: string, args: string[]): Uint8Array {
  const out = new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped" })
    .outputSync();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${dec.decode(out.stderr).slice(0, 4000)}`);
  }
  return out.stdout;
}

/** Runs `cmd args` and returns its stdout as text; throws with stderr if it fails. */
export function sh(cmd: string, args: string[]): string {
  return dec.decode(shBytes(cmd, args));
}

/** `tests/build/NAME/`, created if missing (test artifacts, gitignored). */
export function buildDir(name: string): string {
  const dir = new URL(`./build/${name}/`, import.meta.url).pathname;
  Deno.mkdirSync(dir, { recursive: true });
  return dir;
}

/** `bpftool [-B base] btf dump file PATH` as text. */
export function bpftoolRaw(path: string, base?: string): string {
  return sh("bpftool", [...(base ? ["-B", base] : []), "btf", "dump", "file", path]);
}

/**
 * `tests/bpf/NAME.bpf.c` built with `clang -g -O2 -target bpf` (the system's UAPI headers and
 * libbpf's `bpf/bpf_helpers.h` on the include path) into `tests/build/bpf/NAME.o`; its path.
 */
export function bpfObject(name: string): string {
  const out = `${buildDir("bpf")}${name}.o`;
  let arch = "x86_64-linux-gnu";
  try {
    arch = sh("cc", ["-print-multiarch"]).trim() || arch;
  } catch { /* keep the default */ }
  const src = new URL(`./bpf/${name}.bpf.c`, import.meta.url).pathname;
  return clangBpf(src, out, [`-I/usr/include/${arch}`]);
}

/** `clang -g -O2 -target bpf FLAGS -c SRC -o OUT` (throws with clang's message on error); `out`. */
export function clangBpf(src: string, out: string, flags: string[] = []): string {
  sh("clang", ["-g", "-O2", "-target", "bpf", ...flags, "-c", src, "-o", out]);
  return out;
}

/** Calls getppid() `n` times from this thread (each `Deno.ppid` is one call). */
export function callGetppid(n: number): void {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Deno.ppid;
  assert.ok(sum > 0);
}

/**
 * This thread's id (`gettid`). Test files of one `deno test --parallel` run share a process (and
 * its pid) on threads of their own: BPF programs that count a test's own calls filter by it.
 */
export function threadId(): number {
  return Number(Deno.readLinkSync("/proc/thread-self").split("/").pop());
}

/**
 * `--set target_pid=PID --set target_tid=TID` for `bpfview load`: the filter of the test BPF
 * objects set to this process and thread (see {@link threadId}).
 */
export function targetThisThread(): string[] {
  return ["--set", `target_pid=${Deno.pid}`, "--set", `target_tid=${threadId()}`];
}

/** A running `bpfview load` as {@link loadCli}'s `drive` sees it. */
export interface LoadChild {
  /** The process (send it SIGINT to stop it as Ctrl-C would). */
  readonly child: Deno.ChildProcess;
  /** Whether it has exited. */
  readonly exited: boolean;
  /** Its standard output so far. */
  readonly out: string;
}

/**
 * Runs `bpfview load ...args`, reads its stderr up to the "attached" line (the programs are in
 * place from then on), awaits `drive` (which triggers them, and stops the CLI unless it stops by
 * itself), then waits for the CLI to exit.
 */
export async function loadCli(
  args: string[],
  drive: (p: LoadChild) => void | Promise<void>,
): Promise<CliResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: denoRun("-A", CLI_MAIN, "load", ...args),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const p = { child, exited: false, out: "" };
  const status = child.status.then((s) => (p.exited = true, s));
  const outDone = (async () => {
    const d = new TextDecoder();
    for await (const chunk of child.stdout) p.out += d.decode(chunk, { stream: true });
  })();
  const reader = child.stderr.getReader();
  let err = "";
  while (!err.includes("attached")) {
    const { value, done } = await reader.read();
    if (done) break;
    err += dec.decode(value);
  }
  await drive(p);
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    err += dec.decode(value);
  }
  const { code } = await status;
  await outDone;
  return { code, out: p.out, err };
}

/** Whether the running kernel has BTF (`/sys/kernel/btf/vmlinux`): tests of it are ignored if not. */
export const hasKernelBtf: boolean = (() => {
  try {
    return Deno.statSync(KERNEL_BTF_PATH).isFile;
  } catch {
    return false;
  }
})();

/** Asserts two dumps are equal, reporting the first differing line rather than a huge diff. */
export function assertSameText(
  got: Uint8Array | string,
  want: Uint8Array | string,
  what: string,
): void {
  const g = typeof got === "string" ? got : dec.decode(got);
  const w = typeof want === "string" ? want : dec.decode(want);
  if (g === w) return;
  const gl = g.split("\n"), wl = w.split("\n");
  let i = 0;
  while (i < gl.length && i < wl.length && gl[i] === wl[i]) i++;
  assert.fail(
    `${what}: first difference at line ${i + 1} (of ${wl.length} expected, ${gl.length} got)\n` +
      `  expected: ${JSON.stringify(wl[i]?.slice(0, 300))}\n` +
      `  got:      ${JSON.stringify(gl[i]?.slice(0, 300))}`,
  );
}

/**
 * The /proc/self/maps line of the mapping holding byte 0 of `target`'s buffer (a view, a typed
 * array or DataView, or an ArrayBuffer), or undefined where nothing is mapped.
 */
export function mappingAt(target: object): string | undefined {
  const dv = (target as Record<symbol, DataView>)[DV];
  const buffer = dv ? dv.buffer : ArrayBuffer.isView(target) ? target.buffer : target;
  const ptr = Deno.UnsafePointer.of(buffer as ArrayBuffer);
  const at = BigInt(Deno.UnsafePointer.value(ptr));
  return Deno.readTextFileSync("/proc/self/maps").split("\n").find((l) => {
    const [from, to] = l.split(" ")[0].split("-").map((x) => BigInt(`0x${x || 0}`));
    return from <= at && at < to;
  });
}

/** Whether a /proc/self/maps line is private anonymous read-write memory (zero pages left by a close). */
export function isZeroPages(line: string | undefined): boolean {
  return line !== undefined && /^\S+ rw-p 00000000 00:00 0\s*$/.test(line);
}
