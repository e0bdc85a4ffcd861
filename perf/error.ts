/**
 * The error type of the event sources (rings, records, waiting).
 *
 * @module
 */

/**
 * Raised when an event source is used wrongly or its data is not what it
 * should be: a map that is not a ring buffer, a record shorter than its
 * type, a wait on a closed waiter. The message says what was expected, what
 * was found and where (`offset`: the byte position in the ring or stream,
 * or -1 when no position applies).
 *
 * @example
 * ```ts
 * import { PerfError } from "@bpfview/bpfview";
 * try {
 *   throw new PerfError("expected a record of 24 bytes, found 16", 4096);
 * } catch (e) {
 *   if (e instanceof PerfError) console.error(e.message, e.offset);
 * }
 * ```
 */
export class PerfError extends Error {
  /** Byte position the error refers to, or -1. */
  readonly offset: number;

  /**
   * Makes an error.
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
