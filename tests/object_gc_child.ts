// Child process of tests/object_test.ts (run with --v8-flags=--expose-gc):
// opens, loads and attaches the object named by the first argument, reads
// its globals, then drops it without close(); prints how many BPF fds and
// mappings were open while it lived and after the GC freed it.
import { BpfObject } from "../mod.ts";

function bpfFds(): number {
  let n = 0;
  for (const e of Deno.readDirSync("/proc/self/fd")) {
    try {
      if (/bpf/.test(Deno.readLinkSync(`/proc/self/fd/${e.name}`))) n++;
    } catch { /* the listing's own fd */ }
  }
  return n;
}

const bpfMappings = () =>
  Deno.readTextFileSync("/proc/self/maps").split("\n").filter((l) => /anon_inode:bpf/.test(l))
    .length;

function forget(): [number, number] {
  const obj = BpfObject.open(Deno.args[0]);
  obj.load();
  obj.attachAll();
  void obj.bss.bss_hits; // maps .bss
  return [bpfFds(), bpfMappings()];
}

const during = forget();
const gc = (globalThis as unknown as { gc: () => void }).gc;
for (let i = 0; i < 20 && bpfFds() > 0; i++) {
  gc();
  await new Promise((r) => setTimeout(r, 10)); // finalizers run between tasks
}
console.log(JSON.stringify({ during, after: [bpfFds(), bpfMappings()] }));
