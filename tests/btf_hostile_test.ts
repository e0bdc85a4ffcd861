// Hostile BTF: a generated, deterministic corpus (truncations, byte
// mutations, header corruptions, unknown kinds, huge counts, dangling ids and
// name offsets, cycles, deep nesting, broken ELF) thrown at the whole API.
// Nothing may escape but a BtfError that says what was expected and found:
// no RangeError/TypeError, no hang, no stack overflow, no huge allocation.
//
// The corpus runs in Workers (tests/btf_hostile_worker.ts) under a watchdog,
// so a hang fails the test and names the blob instead of stalling the run.

import assert from "node:assert/strict";
import { BtfBuilder, everyKind } from "./btf_builder.ts";
import { corpus, elfWith, type Problem } from "./btf_hostile_worker.ts";
import { parseBtf } from "../btf/parse.ts";
import { BtfError } from "../btf/error.ts";
import { Kind } from "../btf/kinds.ts";
import { declaration, fieldsOf, resolveType, sizeOf } from "../btf/layout.ts";

const WORKERS = Math.max(1, Math.min(4, navigator.hardwareConcurrency || 2));
/**
 * A blob that takes longer than this is a hang. Generous: the slowest blob
 * takes ~2.6 s alone and over 30 s when the whole suite shares the two
 * cores; a real hang never ends.
 */
const STALL_MS = 120_000;
/** Time a worker may take to start and build the corpus. */
const STARTUP_MS = 60_000;

/** What the corpus run found. */
interface Tally {
  total: number;
  parsed: number;
  rejected: number;
  problems: Problem[];
  notes: string[];
  slowest: number;
  slowestName: string;
  memory: string[];
}

const tally = (): Tally => ({
  total: 0,
  parsed: 0,
  rejected: 0,
  problems: [],
  notes: [],
  slowest: 0,
  slowestName: "",
  memory: [],
});

/**
 * Runs blobs [from, to) in one worker, adding each blob's outcome to `acc`.
 * Resolves with the index of the blob that hung or crashed the worker, or -1.
 */
function runWorker(from: number, to: number, acc: Tally): Promise<number> {
  const w = new Worker(new URL("./btf_hostile_worker.ts", import.meta.url), { type: "module" });
  return new Promise((resolve) => {
    let current = -1, name = "(loading the corpus)";
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stop = (why: string) => {
      clearTimeout(timer);
      w.terminate();
      if (current < 0) {
        acc.problems.push({ blob: "(none yet)", call: "(worker start)", error: why });
        return resolve(-1);
      }
      acc.problems.push({ blob: name, call: "(whole blob)", error: `hang or crash: ${why}` });
      acc.rejected++;
      resolve(current);
    };
    const arm = (ms = STALL_MS) => {
      clearTimeout(timer);
      timer = setTimeout(() => stop(`no progress for ${ms} ms`), ms);
    };
    // Starting a worker type-checks and loads modules and builds the corpus.
    arm(STARTUP_MS);
    w.onmessage = (ev) => {
      const m = ev.data;
      if (m.ready) {
        acc.total = m.total;
        w.postMessage({ from, to: Math.min(to, m.total) });
      } else if (m.progress !== undefined) {
        [current, name] = [m.progress, m.name];
        arm();
      } else if (m.result !== undefined) {
        if (m.outcome === "parsed") acc.parsed++;
        else acc.rejected++;
        acc.problems.push(...m.problems);
        if (m.memory) acc.memory.push(m.memory);
        if (m.ms > acc.slowest) [acc.slowest, acc.slowestName] = [m.ms, m.name];
      } else if (m.done) {
        clearTimeout(timer);
        w.terminate();
        acc.notes = m.notes;
        resolve(-1);
      }
    };
    w.onerror = (e) => {
      e.preventDefault();
      stop(`worker died: ${e.message}`);
    };
  });
}

/** Runs blobs [from, to), restarting after each hang (reported as a problem). */
async function runRange(from: number, to: number): Promise<Tally> {
  const acc = tally();
  for (;;) {
    const stalled = await runWorker(from, to, acc);
    if (stalled < 0) return acc;
    from = stalled + 1;
  }
}

Deno.test("hostile corpus: only BtfErrors that say what was expected and found", async () => {
  const total = corpus().length;
  const per = Math.ceil(total / WORKERS);
  const t0 = performance.now();
  const results = await Promise.all(
    Array.from({ length: WORKERS }, (_, k) => runRange(k * per, Math.min(total, (k + 1) * per))),
  );
  const ms = performance.now() - t0;
  const problems = results.flatMap((r) => r.problems).filter((p) => !p.known);
  const known = new Map<string, Set<string>>();
  for (const p of results.flatMap((r) => r.problems)) {
    if (p.known) known.set(p.known, (known.get(p.known) ?? new Set()).add(p.blob));
  }
  for (const [why, blobs] of known) {
    console.log(`known issue, calls skipped on ${[...blobs].join(", ")}: ${why}`);
  }
  const parsed = results.reduce((n, r) => n + r.parsed, 0);
  const rejected = results.reduce((n, r) => n + r.rejected, 0);
  const slow = results.reduce((a, r) => r.slowest > a.slowest ? r : a);
  const memory = results.flatMap((r) => r.memory);
  for (const note of results[0].notes) console.log(`note: ${note}`);
  console.log(
    `${total} blobs: ${parsed} parsed, ${rejected} rejected, ${problems.length} problems, ` +
      `${ms.toFixed(0)} ms; slowest ${slow.slowest.toFixed(0)} ms (${slow.slowestName})`,
  );
  // The corpus must reach past the header checks, not just bounce off them.
  assert.ok(parsed > total / 4, `only ${parsed} of ${total} blobs parsed`);
  assert.deepEqual(memory, [], "huge allocations");
  if (problems.length) {
    // Group by call kind and error text so one bug shows once.
    const groups = new Map<string, Problem[]>();
    for (const p of problems) {
      const key = `${p.call.replace(/\(.*\)/, "()")} :: ${p.error.replace(/\d+/g, "N")}`;
      groups.set(key, [...(groups.get(key) ?? []), p]);
    }
    const lines = [...groups].map(([k, ps]) =>
      `${ps.length}x ${k}\n` +
      ps.slice(0, 4).map((p) => `    e.g. ${p.blob} / ${p.call}: ${p.error}`).join("\n")
    );
    assert.fail(`${problems.length} problems in ${groups.size} groups:\n${lines.join("\n")}`);
  }
  assert.equal(parsed + rejected, total);
});

// Targeted checks: parse-time errors carry the byte offset that caused them.

function throwsAt(f: () => unknown, re: RegExp, offset?: number): BtfError {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof BtfError, `expected a BtfError, got ${err}`);
  assert.match(err.message, re);
  assert.match(err.message, /expected/);
  assert.match(err.message, /found/);
  if (offset !== undefined) assert.equal(err.offset, offset, err.message);
  return err;
}

Deno.test("hostile: header errors name the header byte", () => {
  const b = new BtfBuilder();
  everyKind(b);
  throwsAt(() => parseBtf(b.build().slice(0, 10)), /header of 24 bytes/, 0);
  throwsAt(() => parseBtf(b.build({ header: { magic: 0x1234 } })), /magic/, 0);
  throwsAt(() => parseBtf(b.build({ header: { version: 2 } })), /version 1, found 2/, 2);
  throwsAt(() => parseBtf(b.build({ header: { hdrLen: 8 } })), /header length/, 4);
  throwsAt(() => parseBtf(b.build({ header: { typeLen: 0xfffffff0 } })), /type section/, 12);
  throwsAt(() => parseBtf(b.build({ header: { strLen: 0xfffffff0 } })), /string section/, 20);
  throwsAt(
    () => parseBtf(b.build({ header: { typeOff: 0xfffffff0, typeLen: 0x20 } })),
    /type section/,
  );
});

Deno.test("hostile: type-section errors name the record's byte", () => {
  const b = new BtfBuilder();
  const int = b.int("int", 4);
  b.raw([b.str("bad"), (25 << 24) >>> 0, 0]);
  // Record 2 starts at 24 (header) + 16 (the INT) ; its info word is 4 further.
  throwsAt(() => parseBtf(b.build()).count, /kind between 1 and 19.*found 25/, 24 + 16 + 4);

  const v = new BtfBuilder();
  v.int("int", 4);
  v.raw([v.str("big"), ((Kind.STRUCT << 24) | 0xffff) >>> 0, 8]);
  throwsAt(() => parseBtf(v.build()).count, /vlen 65535/, 24 + 16);

  // A dangling reference is reported where it is stored.
  const d = new BtfBuilder();
  d.int("int", 4);
  const s = d.struct("s", 8, [{ name: "a", type: int, bitOffset: 0 }, {
    name: "b",
    type: 999,
    bitOffset: 32,
  }]);
  const btf = parseBtf(d.build());
  // Struct record at 24 + 16; member 1 at +12 +12, its type word at +4.
  const e = throwsAt(() => btf.type(s), /type id.*found 999/, 24 + 16 + 12 + 12 + 4);
  assert.match(e.message, /member/);
  throwsAt(() => fieldsOf(btf, s), /found 999/);

  // A name offset past the string table, likewise.
  const n = new BtfBuilder();
  n.raw([0x10000, (Kind.INT << 24) >>> 0, 4, 32]);
  const nb = parseBtf(n.build());
  throwsAt(() => nb.type(1), /name offset.*found 65536/, 24);
  throwsAt(() => nb.nameOf(1), /found 65536/, 24);
});

Deno.test("hostile: cycles and self-containment are BtfErrors, not stack overflows", () => {
  const b = new BtfBuilder();
  const a = b.nextId;
  b.typedef("A", a + 1);
  b.typedef("B", a);
  const c = b.const(b.nextId + 1);
  b.volatile(c);
  const self = b.nextId;
  b.struct("self", 8, [{ name: "me", type: self, bitOffset: 0 }]);
  const arr = b.nextId;
  b.array(arr, a, 2);
  const btf = parseBtf(b.build());
  throwsAt(() => resolveType(btf, a), /cycle/);
  throwsAt(() => sizeOf(btf, a), /cycle/);
  throwsAt(() => declaration(btf, c, "x"), /cycle|deep|longer/);
  throwsAt(() => sizeOf(btf, arr), /cycle|longer|2\^32/);
  // A struct that contains itself has a declared size; its fields are finite.
  assert.equal(sizeOf(btf, self), 8);
  assert.deepEqual(fieldsOf(btf, self).map((f) => f.name), ["me"]);
});

Deno.test("hostile: ELF section header errors name the header's byte", () => {
  const b = new BtfBuilder();
  everyKind(b);
  const elf = elfWith(b.build());
  const ok = parseBtf(elf);
  assert.ok(ok.fileOffset > 0);
  const shoff = Number(new DataView(elf.buffer).getBigUint64(0x28, true));
  const bad = elf.slice();
  new DataView(bad.buffer).setBigUint64(shoff + 2 * 64 + 0x20, 0xffffffffn, true);
  throwsAt(() => parseBtf(bad), /\.BTF/, shoff + 2 * 64);
  // Errors inside the .BTF section are reported at file offsets.
  const inner = elf.slice();
  inner[ok.fileOffset + 2] = 7;
  throwsAt(() => parseBtf(inner), /version 1, found 7/, ok.fileOffset + 2);
});
