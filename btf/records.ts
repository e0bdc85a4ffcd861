/**
 * Records from a byte stream: consecutive records of one view class read
 * from chunks of any size (a file, stdin, a socket, a `ReadableStream`),
 * carrying a record split across chunks over to the next, and refusing a
 * trailing partial record with a {@link BtfError} after the whole records
 * before it.
 *
 * @module
 */

import { BtfError } from "./error.ts";
import { fileKind } from "./load.ts";
import type { View, ViewClass } from "./view_types.ts";

/**
 * Where bytes come from: a `ReadableStream` of byte chunks (`Deno.stdin.readable`,
 * a fetch body, a file's `readable`), or any (async) iterable of chunks.
 *
 * @example
 * ```ts
 * import type { ByteSource } from "@bpfview/bpfview";
 * const chunks: ByteSource = [new Uint8Array(8), new Uint8Array(8)];
 * ```
 */
export type ByteSource =
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>
  | Iterable<Uint8Array>;

/**
 * Options of {@link decodeRecords}.
 *
 * @example
 * ```ts
 * import type { DecodeRecordsOptions } from "@bpfview/bpfview";
 * const o: DecodeRecordsOptions = { bufferSize: 1 << 16 };
 * ```
 */
export interface DecodeRecordsOptions {
  /** Bytes buffered at once, rounded down to whole records (at least one); default 1 MiB. */
  bufferSize?: number;
}

/**
 * Decodes a byte stream as consecutive records of `V` (each `V.size`
 * bytes), yielding one view per record. The view is the same object each
 * time, rebound to the next record (nothing is allocated per record): read
 * it, or copy what you need with `toObject()`, before asking for the next
 * one. A record split across chunks is joined; a trailing partial record
 * throws {@link BtfError} (expected and found byte counts, at its byte
 * offset) once every whole record before it was yielded.
 *
 * @example
 * ```ts
 * import { decodeRecords, loadBtf } from "@bpfview/bpfview";
 * const V = loadBtf().view("list_head");
 * const chunks = [new Uint8Array(V.size * 2), new Uint8Array(V.size)];
 * for await (const v of decodeRecords(V, chunks)) console.log(JSON.stringify(v));
 * ```
 */
export async function* decodeRecords<T = Record<string, unknown>>(
  V: ViewClass<T>,
  source: ByteSource,
  options: DecodeRecordsOptions = {},
): AsyncGenerator<View<T>, void, undefined> {
  const size = V.size;
  if (!(size > 0)) {
    throw new BtfError(`expected a type with a size above 0 to decode, found ${V.typeName}`);
  }
  const want = options.bufferSize ?? 1 << 20;
  if (!(Number.isSafeInteger(want) && want > 0)) {
    throw new BtfError(`expected a positive integer bufferSize, found ${String(want)}`);
  }
  const cap = Math.max(size, Math.floor(want / size) * size);
  const buf = new Uint8Array(cap);
  const v = new V(buf, 0);
  let have = 0, record = 0;
  for await (const chunk of chunks(source)) {
    if (!(chunk instanceof Uint8Array)) {
      throw new BtfError(
        `expected byte chunks (Uint8Array) to decode, found ${
          chunk === null ? "null" : typeof chunk
        }`,
      );
    }
    let from = 0;
    while (from < chunk.length) {
      const n = Math.min(cap - have, chunk.length - from);
      buf.set(chunk.subarray(from, from + n), have);
      have += n;
      from += n;
      if (have < cap) break;
      for (let off = 0; off < cap; off += size) {
        yield v.rebind(off);
        record++;
      }
      have = 0;
    }
  }
  const whole = have - (have % size);
  for (let off = 0; off < whole; off += size) {
    yield v.rebind(off);
    record++;
  }
  if (have > whole) {
    throw new BtfError(
      `expected ${size} bytes for record ${record} (${V.typeName}), found ${have - whole}`,
      record * size,
    );
  }
}

/** The chunks of any byte source, as an async iterable. */
function chunks(source: ByteSource): AsyncIterable<Uint8Array> | Iterable<Uint8Array> {
  if (typeof ReadableStream !== "undefined" && source instanceof ReadableStream) {
    return (async function* () {
      const reader = source.getReader();
      try {
        for (;;) {
          const r = await reader.read();
          if (r.done) return;
          yield r.value;
        }
      } finally {
        reader.releaseLock();
      }
    })();
  }
  if (
    source !== null && typeof source === "object" &&
    (Symbol.asyncIterator in source || Symbol.iterator in source)
  ) return source as AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  throw new BtfError(
    `expected a ReadableStream or an iterable of byte chunks, found ${
      source === null ? "null" : typeof source
    }`,
  );
}

/**
 * Opens a regular file's bytes as a stream for {@link decodeRecords}. A
 * path that is missing, not a regular file (a directory, FIFO, device or
 * socket: refused before it is opened, so nothing blocks), unreadable or
 * has a NUL byte gives {@link BtfError}.
 *
 * @example
 * ```ts
 * import { decodeRecords, loadBtf, openRecordFile } from "@bpfview/bpfview";
 * const V = loadBtf().view("list_head");
 * for await (const v of decodeRecords(V, await openRecordFile("events.bin"))) console.log(v.next);
 * ```
 */
export async function openRecordFile(path: string): Promise<ReadableStream<Uint8Array>> {
  const nul = String(path).indexOf("\0");
  if (nul >= 0) {
    throw new BtfError(`expected a path without NUL bytes, found one at character ${nul}`);
  }
  try {
    const st = await Deno.stat(path);
    if (!st.isFile) {
      throw new BtfError(`expected a file of records at ${path}, found ${fileKind(st)}`);
    }
    return (await Deno.open(path)).readable;
  } catch (e) {
    if (e instanceof BtfError) throw e;
    if (e instanceof Deno.errors.NotFound) {
      throw new BtfError(`expected a file of records at ${path}, found no such file`);
    }
    throw new BtfError(
      `expected to read a file of records at ${path}, found an error: ${
        e instanceof Error ? e.message : String(e)
      }`,
    );
  }
}
