/**
 * The error type of the native side (libc and libbpf through FFI).
 *
 * @module
 */

/**
 * Raised when a native call fails or cannot be made: a missing library, a
 * missing `--allow-ffi`, or a libc call that returned an error. The
 * message says what was expected and what was found (with the errno name).
 *
 * @example
 * ```ts
 * import { FfiError, mapFile } from "@bpfview/bpfview";
 * try {
 *   mapFile("/nonexistent");
 * } catch (e) {
 *   if (e instanceof FfiError) console.error(e.message, e.errno);
 * }
 * ```
 */
export class FfiError extends Error {
  /** The errno of the failed call, or 0 if none applies. */
  readonly errno: number;
  /**
   * What the native library said while the call ran (libbpf's messages,
   * with the verifier log of a rejected program), or "" if nothing.
   */
  readonly log: string;

  /**
   * Makes an error.
   *
   * @param message What was expected and what was found.
   * @param errno The errno of the failed call, or 0.
   * @param log The native library's messages during the call, or "".
   */
  constructor(message: string, errno = 0, log = "") {
    super(message);
    this.name = "FfiError";
    this.errno = errno;
    this.log = log;
  }
}
