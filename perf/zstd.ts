/**
 * The one place bpfview uses a third-party library: a streaming Zstandard
 * decoder for `perf record -z` files (PERF_RECORD_COMPRESSED). perf
 * compresses everything it writes with ONE zstd stream that it flushes after
 * each record but never ends, so the decoder keeps its state from one
 * compressed record to the next. The decoder is `fzstd` (pure JavaScript,
 * synchronous, no wasm to instantiate); `bench/zstd_compare.ts` measures it
 * against a wasm build of libzstd.
 *
 * @module
 */

import { Decompress } from "fzstd";
import { PerfError } from "./error.ts";

/**
 * A zstd stream decoded piece by piece: each {@link push} returns every byte
 * that the compressed bytes pushed so far make available (perf flushes its
 * stream after every record, so that is the whole record's contents).
 *
 * @example
 * ```ts
 * import { ZstdStream } from "@bpfview/bpfview";
 * const z = new ZstdStream();
 * // for each PERF_RECORD_COMPRESSED payload, in file order:
 * const out = z.push(new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58, 0x01, 0x00, 0x00]));
 * console.log(out.length); // 0
 * ```
 */
export class ZstdStream {
  #d: Decompress;
  #out: Uint8Array[] = [];
  #outLen = 0;

  constructor() {
    this.#d = new Decompress((chunk: Uint8Array) => {
      if (chunk.length === 0) return;
      this.#out.push(chunk);
      this.#outLen += chunk.length;
    });
  }

  /**
   * Decodes the next piece of the stream; returns the bytes it completes
   * (possibly none). The returned array is new and owned by the caller.
   * Throws {@link PerfError} if the bytes are not valid zstd.
   */
  push(compressed: Uint8Array): Uint8Array {
    try {
      // fzstd keeps a reference to pushed bytes it cannot decode yet: give it a copy
      // when the caller's buffer is reused.
      this.#d.push(compressed.slice(), false);
    } catch (e) {
      throw new PerfError(
        `expected zstd-compressed perf records, found bytes the decoder rejects (${
          e instanceof Error ? e.message : String(e)
        })`,
      );
    }
    const parts = this.#out;
    const n = this.#outLen;
    this.#out = [];
    this.#outLen = 0;
    if (parts.length === 1) return parts[0];
    const joined = new Uint8Array(n);
    let at = 0;
    for (const p of parts) {
      joined.set(p, at);
      at += p.length;
    }
    return joined;
  }
}
