/**
 * The error type of the BTF reader.
 *
 * @module
 */

/**
 * Raised for BTF that cannot be read: truncated or corrupted blobs, ids out
 * of range, name offsets past the string table, cycles, and lookups that find
 * nothing. The message says what was expected, what was found and, where it
 * applies, at which byte of the input.
 *
 * @example
 * ```ts
 * import { BtfError, parseBtf } from "@bpfview/bpfview";
 * try {
 *   parseBtf(new Uint8Array([1, 2, 3]));
 * } catch (e) {
 *   if (e instanceof BtfError) console.error(e.message, e.offset);
 * }
 * ```
 */
export class BtfError extends Error {
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
    this.name = "BtfError";
    this.offset = offset;
  }
}
