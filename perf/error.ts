/**
 * The error type of the perf side: records, samples, attrs, tracefs
 * format files, tracepoint payloads and perf rings.
 *
 * @module
 */

/**
 * Raised for perf data that cannot be read: a record whose size runs past
 * its buffer, a sample shorter than its `sample_type` needs, an attr of an
 * unknown size, a format file line that does not parse, a tracepoint that
 * does not exist. The message says what was expected, what was found and,
 * where it applies, at which byte of the input.
 *
 * @example
 * ```ts
 * import { decodeAttr, PerfError } from "@bpfview/bpfview";
 * try {
 *   decodeAttr(new Uint8Array(8));
 * } catch (e) {
 *   if (e instanceof PerfError) console.error(e.message, e.offset);
 * }
 * ```
 */
export class PerfError extends Error {
  /** Byte offset in the input where the problem was found, or -1 if none applies. */
  readonly offset: number;

  /**
   * Makes an error; the byte offset, if any, is appended to the message.
   *
   * @param message What was expected and what was found.
   * @param offset Byte offset in the input, or -1.
   */
  constructor(message: string, offset = -1) {
    super(offset >= 0 ? `${message} (at byte ${offset})` : message);
    this.name = "PerfError";
    this.offset = offset;
  }
}
