// Child process of tests/unmap_test.ts (run with --v8-flags=--expose-gc): closes a mapped file
// (keeping a typed array over its bytes) and a BPF ring buffer (the object file is the first
// argument), checks that zero pages took their place, drops every reference, and collects
// garbage until the zero pages are unmapped. Prints one JSON line: what was seen.
import { BpfObject, KERNEL_BTF_PATH, mapFile, RingBuffer } from "../mod.ts";

type Range = [bigint, bigint];

function maps(): { from: bigint; to: bigint; line: string }[] {
  return Deno.readTextFileSync("/proc/self/maps").trim().split("\n").map((line) => {
    const [from, to] = line.split(" ")[0].split("-").map((x) => BigInt(`0x${x}`));
    return { from, to, line };
  });
}

/** Whether private anonymous read-write mappings (zero pages) cover all of `[from, to)`. */
function zeroPages([from, to]: Range): boolean {
  let at = from;
  for (const m of maps()) {
    if (m.from <= at && at < m.to) {
      if (!/^\S+ rw-p 00000000 00:00 0\s*$/.test(m.line)) return false;
      at = m.to;
      if (at >= to) return true;
    }
  }
  return false;
}

const address = (b: ArrayBufferLike | ArrayBufferView) =>
  BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(b as ArrayBuffer)));

/** Maps, reads, closes; returns the file's range and what a kept view read after the close. */
function closeFile(): { range: Range; read: number; detached: boolean } {
  const file = mapFile(KERNEL_BTF_PATH);
  const bytes = file.bytes;
  const at = address(bytes);
  if (bytes[0] !== 0x9f) throw new Error("not BTF");
  file.close();
  return {
    range: [at, at + BigInt(bytes.length)],
    read: bytes[0] + bytes[bytes.length - 1],
    detached: (bytes.buffer as ArrayBuffer).detached,
  };
}

/** Opens a ring over the object's map "events", closes it; its data mapping's range. */
function closeRing(obj: BpfObject): Range {
  const before = new Set(maps().map((m) => m.line));
  const ring = RingBuffer.fromObject(obj, "events", { type: "event" });
  // The producer page and the data area mapped twice: the ring's largest new mapping.
  const added = maps().filter((m) => !before.has(m.line) && /bpf/.test(m.line));
  const prod = added.sort((a, b) => Number((b.to - b.from) - (a.to - a.from)))[0];
  ring.close();
  return [prod.from, prod.to];
}

const gc = (globalThis as unknown as { gc: () => void }).gc;
const obj = BpfObject.open(Deno.args[0]);
obj.load();
const file = closeFile();
const ring = closeRing(obj);
const closed = { file: zeroPages(file.range), ring: zeroPages(ring) };
let rounds = 0;
for (; rounds < 50 && (zeroPages(file.range) || zeroPages(ring)); rounds++) {
  gc();
  await new Promise((r) => setTimeout(r, 0)); // finalizers run after a turn of the event loop
}
obj.close();
console.log(JSON.stringify({
  closed,
  read: file.read,
  detached: file.detached,
  collected: { file: !zeroPages(file.range), ring: !zeroPages(ring) },
  rounds,
}));
