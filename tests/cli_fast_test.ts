// The CLI's fast start (cli/fast.ts) against the full parser: every command line the fast start
// accepts gives the options Optique gives for it, and the ones it declines still work through
// cli/main.ts (help, --opt=value, errors).
import assert from "node:assert/strict";
import { command, parse } from "@optique/core";
import { dumpOptions } from "../cli/btf_dump.ts";
import { fastDumpOptions } from "../cli/fast.ts";
import { cliSync } from "./tools.ts";

const full = command("btf", command("dump", dumpOptions));

/** Optique's options for `args`, or undefined if it rejects them; undefined fields dropped. */
function optique(args: string[]): unknown {
  const r = parse(full, args);
  return r.success ? JSON.parse(JSON.stringify(r.value)) : undefined;
}

Deno.test("fast start: the same options as the full parser wherever it answers", () => {
  const lines = [
    ["btf", "dump"],
    ["btf", "dump", "--format", "c"],
    ["btf", "dump", "--format", "json", "task_struct", "pid_t"],
    ["btf", "dump", "task_struct", "--format", "raw", "--file", "x.o"],
    ["btf", "dump", "--file", "a.btf", "--base", "/sys/kernel/btf/vmlinux", "t"],
    ["btf", "dump", "struct sk_buff"],
  ];
  for (const args of lines) {
    const fast = fastDumpOptions(args);
    assert.ok(fast, `fast start declined ${args.join(" ")}`);
    assert.deepEqual(JSON.parse(JSON.stringify(fast)), optique(args), args.join(" "));
  }
  // Declined: left to the full parser (which accepts some and rejects others).
  const declined = [
    ["btf", "dump", "--format=c"],
    ["btf", "dump", "--format", "xml"],
    ["btf", "dump", "--format", "c", "--format", "raw"],
    ["btf", "dump", "--file"],
    ["btf", "dump", "--file", "--format"],
    ["btf", "dump", "--help"],
    ["btf", "dump", "-h"],
    ["btf", "dump", "--"],
    ["btf", "dump", "help"],
    ["btf", "dump", ""],
    ["btf", "layout", "task_struct"],
    ["help", "btf", "dump"],
    ["dump", "btf"],
    [],
  ];
  for (const args of declined) {
    assert.equal(fastDumpOptions(args), undefined, args.join(" "));
  }
});

Deno.test("fast start: declined lines still run through the full CLI", () => {
  const c = cliSync("btf", "dump", "--format=c", "pid_t");
  assert.equal(c.code, 0, c.err);
  assert.match(c.out, /typedef __kernel_pid_t pid_t;/);
  const help = cliSync("btf", "dump", "--help");
  assert.equal(help.code, 0, help.err);
  assert.match(help.out, /Usage: bpfview btf dump/);
  const bad = cliSync("btf", "dump", "--format", "xml");
  assert.notEqual(bad.code, 0);
  const missing = cliSync("btf", "dump", "--format", "c", "no_such_type_anywhere");
  assert.equal(missing.code, 1);
  assert.match(missing.err, /^bpfview: expected a type named "no_such_type_anywhere"/);
});
