/**
 * One cold whole-process dump split into phases, for `btf_compare.ts`:
 * `deno run -A bench/dump_phases.ts c|json [PATH]` imports `mod.ts` (as the
 * CLI does), opens the BTF, dumps it to stdout in chunks and prints
 * `phases import=MS open=MS dump=MS` on stderr (`performance.now()` marks;
 * dump includes writing). `--empty` does nothing: the process start-up plus
 * the module graph (Deno finds and analyses every module the literal import
 * below names before running this, whatever the mode; `bench/empty.ts` is
 * the start-up alone); `--import` stops after the import.
 *
 * @module
 */

const what = Deno.args[0];
if (what !== "--empty") {
  const t0 = performance.now();
  const m = await import("../mod.ts");
  const t1 = performance.now();
  if (what !== "--import") {
    const btf = m.openBtf(Deno.args[1]);
    void btf.count; // the type index, built on first use
    const t2 = performance.now();
    const write = (c: Uint8Array) => m.writeAllSync(Deno.stdout, c);
    if (what === "c") m.dumpCBytes(btf, { write });
    else m.dumpJsonBytes(btf, { write });
    const t3 = performance.now();
    const f = (x: number) => x.toFixed(1);
    console.error(`phases import=${f(t1 - t0)} open=${f(t2 - t1)} dump=${f(t3 - t2)}`);
  }
}
