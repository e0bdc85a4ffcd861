/**
 * What every command module provides, and the helpers for its help text.
 *
 * How to add a command `foo` (copy `cli/btf_layout.ts`):
 * 1. `cli/foo.ts` holds the parser and the runner side by side:
 *    ```ts
 *    export const fooCommand = command(
 *      "foo",
 *      map(object({ name: argument(string({ metavar: "NAME" }), { description: message`...` }) }),
 *        (o): Run => () => runFoo(o)),
 *      { brief: message`one line for the command list`, description: message`...`,
 *        footer: examples("bpfview foo bar") },
 *    );
 *    export function runFoo(o: { name: string }): number { ...; return 0; }
 *    ```
 *    Every option and argument has a `description` naming its accepted values (use `choice()`
 *    for a closed set: help then lists the choices; `withDefault()`: help shows the default),
 *    and the command has a `brief`, a `description` and `examples(...)`.
 *    `tests/cli_help_test.ts` fails when one of them is missing.
 * 2. `cli/main.ts`: import `fooCommand` and add it to the `or(...)` list. Nothing else.
 * A group of subcommands (like `btf`) is `command("btf", or(aCommand, bCommand), {...})` in
 * `cli/btf.ts`. Runners print with `writeOut`/`warn` (`cli/output.ts`); typed errors thrown by
 * the library (`BtfError`, `FfiError`, ...) are printed as one line by `main.ts`.
 *
 * @module
 */

import {
  flag,
  lineBreak,
  type Message,
  message,
  type Parser,
  text,
  withDefault,
} from "@optique/core";

/** What a parsed command line becomes: the command's runner bound to its options. */
export type Run = () => number | Promise<number>;

/** A command's parser (what `cli/<command>.ts` exports): its value is the runner. */
export type CommandParser = Parser<"sync", Run, unknown>;

/**
 * A help text from a template literal, its line breaks and indentation folded
 * into single spaces (so long descriptions can be written over several lines).
 */
export function doc(strings: TemplateStringsArray, ...values: unknown[]): Message {
  return [text(String.raw(strings, ...values).replace(/\s+/g, " ").trim())];
}

/** Example command lines, one per line (the top-level help's `examples`). */
export function exampleLines(...lines: string[]): Message {
  return lines.flatMap((l, i) => i ? [lineBreak(), text(l)] : [text(l)]);
}

/** A command's help footer: `Examples:` and the command lines, one per line. */
export function examples(...lines: string[]): Message {
  return message`Examples:${lines.flatMap((l) => [lineBreak(), text(`  ${l}`)])}`;
}

/** `--json`: JSON lines on stdout instead of text; `what` says what each line holds. */
export function jsonFlag(what: string): Parser<"sync", boolean, unknown> {
  return withDefault(
    flag("--json", { description: doc`print JSON lines (${what}) on stdout instead of text` }),
    false,
  );
}
