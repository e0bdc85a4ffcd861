/**
 * The error type of the event sources and the perf side: rings, records,
 * samples, attrs, waiting, tracefs format files and tracepoint payloads.
 *
 * @module
 */

/**
 * Raised when an event source is used wrongly or its data is not what it
 * should be: a map that is not a ring buffer, a record whose size runs past
 * its buffer, a sample shorter than its `sample_type` needs, an attr of an
 * unknown size, a format file line that does not parse, a tracepoint that
 * does not exist, a wait on a closed waiter. The message says what was
 * expected, what was found and where (`offset`: the byte position in the
 * ring, stream or input, or -1 when no position applies).
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
  /** Byte position the error refers to, or -1. */
  readonly offset: number;

  /**
   * Makes an error; the byte offset, if any, is appended to the message.
   *
   * @param message What was expected and what was found.
   * @param offset Byte position the error refers to, or -1.
   */
  constructor(message: string, offset = -1) {
    super(offset >= 0 ? `${message} (at byte ${offset})` : message);
    this.name = "PerfError";
    this.offset = offset;
  }
}
