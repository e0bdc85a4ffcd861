/**
 * The library's full raw dump as a process of its own, for the whole-process
 * comparison with bpftool in `btf_compare.ts`: open the BTF, dump it, write
 * it to stdout. Usage: `deno run -A bench/raw_dump.ts [PATH]`.
 *
 * @module
 */

import { dumpRawBytes, loadBtf, writeAllSync } from "../mod.ts";

writeAllSync(Deno.stdout, dumpRawBytes(loadBtf(Deno.args[0])));
