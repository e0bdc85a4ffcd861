// Typed map keys and values: `obj.map<K, V>(name)` with the interfaces `dumpTs` writes for the
// object's own BTF. One generated program is type-checked (right uses compile, wrong uses are
// refused: `@ts-expect-error` lines that did not fail would fail the check), then run on the
// real kernel against tests/bpf/object_maps.bpf.c's maps (a hash of structs, a per-CPU array,
// an LPM trie), printing what it read.
import assert from "node:assert/strict";
import { dumpTs, mapBtf } from "../mod.ts";
import { bpfObject, buildDir, ROOT } from "./tools.ts";

const BUILD = buildDir("map_types");
const dec = new TextDecoder();

/** The typed program: its live part runs at top level; wrong uses sit in a function never called. */
function program(obj: string, decls: string): string {
  return `import { BpfObject } from ${JSON.stringify(`${ROOT}perf/object.ts`)};
import type { View } from ${JSON.stringify(`${ROOT}btf/view.ts`)};
import type * as T from ${JSON.stringify(decls)};

using obj = BpfObject.open(${JSON.stringify(obj)}).load();
const out: Record<string, unknown> = {};

const hist = obj.map<T.bucket, T.hist_value>("hist");
hist.update({ slot: 1, cpu: 2 }, { count: 3n, sum_ns: 40n, min_ns: 5, max_ns: 6 });
hist.update({ slot: 7 }, { count: 1n }); // members not given are zero
const v = hist.lookup({ slot: 1, cpu: 2 });
if (v) {
  const count: bigint = v.count;
  const min: number = v.min_ns;
  out.lookup = { count: String(count), min, max: v.max_ns, sum: String(v.sum_ns) };
}
out.missing = hist.lookup({ slot: 99, cpu: 0 }) === undefined;
const entries: string[] = [];
for (const [k, val] of hist.entries()) {
  const slot: number = k.slot;
  const c: bigint = val.count;
  entries.push(\`\${slot}/\${k.cpu}=\${c}\`);
}
out.entries = entries.sort();
let sum = 0n;
hist.forEach((k, val) => {
  const cpu: number = k.cpu;
  sum += val.count + BigInt(cpu);
});
out.forEach = String(sum);
const slots: number[] = [];
for (const k of hist.keys()) slots.push(k.slot);
out.keys = slots.sort((a, b) => a - b);
out.deleted = hist.delete({ slot: 7, cpu: 0 });

const perCpu = obj.map<number, T.hist_value[]>("per_cpu");
perCpu.update(3, { count: 9n }); // one value for every CPU
const all = perCpu.lookup(3);
out.perCpu = all ? [...new Set(all.map((x) => String(x.count)))] : null;
out.cpus = all?.length;

const routes = obj.map<T.v4_prefix, number>("routes");
routes.update({ prefixlen: 24, addr: [10, 0, 0, 0] }, 42);
const route: number | undefined = routes.lookup({ prefixlen: 32, addr: new Uint8Array([10, 0, 0, 5]) });
out.route = route;

// Untyped maps and explicit result types work as before.
const untyped = obj.map("hist");
const u: unknown = untyped.lookup(new Uint8Array(8));
const asView = untyped.lookup<View>({ slot: 1, cpu: 2 });
out.untyped = [u === undefined, String(asView?.count)];

console.log(JSON.stringify(out));

export function wrongUses(): void {
  // @ts-expect-error no such member in the value
  v?.nope;
  // @ts-expect-error a bigint member is no string
  const s: string = hist.lookup({ slot: 1 })!.count;
  // @ts-expect-error no such member in the key
  hist.lookup({ slot: 1, nope: 2 });
  // @ts-expect-error a number member takes no string
  hist.lookup({ slot: "1" });
  // @ts-expect-error the value is typed too
  hist.update({ slot: 1 }, { count: "3" });
  // @ts-expect-error keys are buckets
  for (const [k] of hist.entries()) k.count;
  // @ts-expect-error forEach's value is a hist_value
  hist.forEach((_k, val) => val.slot);
  // @ts-expect-error a per-CPU map's value is an array
  perCpu.lookup(0)!.count;
  // @ts-expect-error an array index key is a number
  perCpu.lookup({ slot: 1 });
  // @ts-expect-error a route's value is a number
  routes.update({ prefixlen: 1 }, { count: 1n });
  // @ts-expect-error a route's value is a number
  const r: string | undefined = routes.lookup({ prefixlen: 1 });
  // @ts-expect-error the expected type does not choose the result's
  for (const k of hist.keys()) k.count;
  // @ts-expect-error a callback's parameter types are checked
  hist.forEach((k: { nope: string }) => k.nope);
  // @ts-expect-error entries are buckets and hist_values
  const e: [string, string][] = hist.entries();
  console.log(s, r, e);
}
`;
}

Deno.test("maps typed by the generated interfaces: right uses compile and run on the kernel, wrong uses fail deno check", () => {
  const obj = bpfObject("object_maps");
  const decls = `${BUILD}object_maps_types.ts`;
  Deno.writeTextFileSync(decls, dumpTs(mapBtf(obj).btf));
  const prog = `${BUILD}object_maps_use.ts`;
  Deno.writeTextFileSync(prog, program(obj, decls));
  const check = new Deno.Command(Deno.execPath(), {
    args: ["check", "--no-config", "--quiet", prog],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).outputSync();
  assert.ok(check.success, dec.decode(check.stdout) + dec.decode(check.stderr));
  const run = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-config", "--no-check", "--no-prompt", prog],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).outputSync();
  assert.equal(dec.decode(run.stderr), "");
  assert.ok(run.success);
  const out = JSON.parse(dec.decode(run.stdout));
  const cpus = out.cpus;
  assert.ok(Number.isInteger(cpus) && cpus >= 1);
  assert.deepEqual(out, {
    lookup: { count: "3", min: 5, max: 6, sum: "40" },
    missing: true,
    entries: ["1/2=3", "7/0=1"],
    forEach: "6",
    keys: [1, 7],
    deleted: true,
    perCpu: ["9"],
    cpus,
    route: 42,
    untyped: [true, "3"],
  });
});
