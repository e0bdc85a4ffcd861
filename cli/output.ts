/**
 * Writing CLI output: whole buffers to stdout, one-line diagnostics to
 * stderr.
 *
 * @module
 */

import { writeAllSync } from "../mod.ts";

const encoder = new TextEncoder();

/** Writes all of `text` to stdout, looping over partial writes. */
export function writeOut(text: string | Uint8Array): void {
  writeAllSync(Deno.stdout, typeof text === "string" ? encoder.encode(text) : text);
}

/** Prints one diagnostic line to stderr, prefixed with the program name. */
export function warn(message: string): void {
  writeAllSync(Deno.stderr, encoder.encode(`bpfview: ${message.replaceAll("\n", " ")}\n`));
}

/** `NAME: 3 records, 0 lost`: a reader's counts in one line (for {@link warn}). */
export function countsLine(name: string, counts: Readonly<Record<string, number>>): string {
  return `${name}: ${Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(", ")}`;
}

/** A record as one text line: `prefix`, then `name=value` per top-level field (values as JSON). */
export function fieldsLine(prefix: string, fields: Record<string, unknown>): string {
  let line = prefix;
  for (const k in fields) line += ` ${k}=${JSON.stringify(fields[k])}`;
  return line;
}
