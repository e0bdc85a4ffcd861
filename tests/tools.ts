// Running the reference tools (bpftool, clang, cc) from tests.

const dec = new TextDecoder();

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
