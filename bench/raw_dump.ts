/**
 * The library's full raw dump as a process of its own, for the whole-process
 * comparison with bpftool in `btf_compare.ts`: open (map) the BTF, dump it,
 * write it to stdout. Usage: `deno run -A bench/raw_dump.ts [PATH]`.
 *
 * @module
 */

import { dumpRawBytes, mapBtf, writeAllSync } from "../mod.ts";

using btf = mapBtf(Deno.args[0]);
writeAllSync(Deno.stdout, dumpRawBytes(btf.btf));
