/**
 * `bpfview perf-data FILE`: the samples of a perf.data file (what
 * `perf record` wrote, file or pipe mode, compressed or not) as JSON lines
 * in the shape of `trace`, or one readable line each; offline, without root
 * or the perf tool. The runner is in `perf_data_run.ts`, apart from the
 * parser, so that the fast start (`fast.ts`) runs it without loading Optique.
 *
 * @module
 */

import {
  argument,
  command,
  flag,
  map,
  multiple,
  object,
  option,
  string,
  withDefault,
} from "@optique/core";
import { runPerfData } from "./perf_data_run.ts";
import { type CommandParser, doc, examples, jsonFlag, type Run } from "./command.ts";

/** The options of `perf-data` (exported for the test that checks `fast.ts` against it). */
export const perfDataOptions = object({
  file: argument(string({ metavar: "FILE" }), {
    description: doc`a perf.data file, or - for a pipe-mode stream on standard input`,
  }),
  json: jsonFlag("event, cpu, pid, tid, time, fields per sample"),
  ordered: withDefault(
    flag("--ordered", {
      description: doc`order samples by time across CPUs as perf script does (default: file
      order)`,
    }),
    false,
  ),
  event: multiple(
    option("--event", string({ metavar: "NAME" }), {
      description: doc`only samples of this event (sched:sched_switch, cpu-clock); repeat for
        more`,
    }),
  ),
  header: withDefault(
    flag("--header", {
      description: doc`print the file's header first (host, OS, CPUs, command line, events)`,
    }),
    false,
  ),
  verbose: withDefault(
    flag("--verbose", {
      description: doc`say on stderr what was skipped (unknown features, attr bytes of a newer
      perf) and count the records by type`,
    }),
    false,
  ),
});

/** The `perf-data` command's parser; its value prints the file's samples. */
export const perfDataCommand: CommandParser = command(
  "perf-data",
  map(
    perfDataOptions,
    (o): Run => () => runPerfData(o),
  ),
  {
    brief: doc`decode a perf.data file's samples (file or pipe mode, -z compressed)`,
    description: doc`Reads what perf record wrote, offline and without root: each sample's event,
      cpu, pid, tid, time (ns) and tracepoint fields (from the format files the file embeds).
      Bad input prints the samples before it, then one line naming the byte; exit code 1.`,
    footer: examples(
      "bpfview perf-data perf.data --json",
      "bpfview perf-data perf.data --ordered --event sched:sched_switch",
      "perf record -e sched:sched_switch -o - -- sleep 1 | bpfview perf-data - --json",
    ),
  },
);
