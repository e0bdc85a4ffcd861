/**
 * Writing CLI output: whole buffers to stdout, one-line diagnostics to
 * stderr.
 *
 * @module
 */

const encoder = new TextEncoder();

/** Writes all of `text` to stdout, looping over partial writes. */
export function writeOut(text: string | Uint8Array): void {
  const bytes = typeof text === "string" ? encoder.encode(text) : text;
  let done = 0;
  while (done < bytes.length) done += Deno.stdout.writeSync(bytes.subarray(done));
}

/** Prints one diagnostic line to stderr, prefixed with the program name. */
export function warn(message: string): void {
  const bytes = encoder.encode(`bpfview: ${message.replaceAll("\n", " ")}\n`);
  let done = 0;
  while (done < bytes.length) done += Deno.stderr.writeSync(bytes.subarray(done));
}
