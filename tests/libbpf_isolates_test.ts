// libbpf's print hook is one per process: several isolates (Workers, or `deno test --parallel`,
// which runs test files as isolates of one process) loading objects at once must not crash it.
import assert from "node:assert/strict";
import { bpfObject, ROOT } from "./tools.ts";

Deno.test("libbpf in several isolates at once: loads and verifier rejections, no crash", async () => {
  const reject = bpfObject("object_reject");
  const counter = bpfObject("object_counter");
  // Outside the project: deno.json excludes tests/build/ from test discovery.
  const dir = `${Deno.makeTempDirSync({ prefix: "bpfview-isolates-" })}/`;
  const mod = new URL("mod.ts", `file://${ROOT}`).href;
  for (let i = 0; i < 3; i++) {
    Deno.writeTextFileSync(
      `${dir}iso${i}_test.ts`,
      `import { BpfObject } from ${JSON.stringify(mod)};
Deno.test("isolate ${i}", () => {
  for (let k = 0; k < 40; k++) {
    using ok = BpfObject.open(${JSON.stringify(counter)});
    ok.load();
    const bad = BpfObject.open(${JSON.stringify(reject)});
    let log = "";
    try { bad.load(); } catch (e) { log = String((e as Error).message); }
    bad.close();
    if (!/verifier/.test(log)) throw new Error("expected a verifier rejection, found: " + log);
  }
});
`,
    );
  }
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "test",
      "--frozen",
      "--cached-only",
      "--no-prompt",
      "-A",
      "--parallel",
      "--no-check",
      dir,
    ],
    env: { DENO_JOBS: "3" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.signal, null, `the test process died of ${out.signal}:\n${text.slice(-2000)}`);
  assert.equal(out.code, 0, text.slice(-2000));
  assert.match(text, /3 passed/);
  Deno.removeSync(dir, { recursive: true });
});
