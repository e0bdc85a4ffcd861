// The CLI's help: every command, option and argument described, an example per command that
// parses, and the top-level help listing the commands one line each. The parsers are walked
// in-process (so a new command is covered as soon as cli/main.ts composes it); `--help` is
// also run as a user runs it, which must print nothing but the help.
import assert from "node:assert/strict";
import { type DocPage, getDocPage, type Message, parse } from "@optique/core";
import { parser } from "../cli/main.ts";
import { cliSync } from "./tools.ts";

/** A help message as plain text. */
function plain(m: Message | undefined): string {
  return (m ?? []).map((t) => {
    switch (t.type) {
      case "text":
        return t.text;
      case "lineBreak":
        return "\n";
      case "optionName":
        return t.optionName;
      case "metavar":
        return t.metavar;
      case "value":
        return t.value;
      case "commandLine":
        return t.commandLine;
      default:
        return JSON.stringify(t);
    }
  }).join("");
}

interface Page {
  path: string[];
  page: DocPage;
}

/** Every command's help page, depth first; `[]` is the top level. */
function pages(path: string[] = []): Page[] {
  const page = getDocPage(parser, path);
  assert.ok(page, `no help page for "${path.join(" ")}"`);
  const out: Page[] = [{ path, page }];
  for (const s of page.sections) {
    for (const e of s.entries) {
      if (e.term.type === "command") out.push(...pages([...path, e.term.name]));
    }
  }
  return out;
}

const all = pages();
const leaves = all.filter((p) =>
  !p.page.sections.some((s) => s.entries.some((e) => e.term.type === "command"))
);

/** Splits an example command line as a shell would (quotes, no expansion), up to `>` or `|`. */
function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) {
    const w = m[1] ?? m[2] ?? m[3];
    if (m[3] !== undefined && /^[|>]/.test(w)) break;
    out.push(w);
  }
  return out;
}

Deno.test("help: every command has a brief line, a description and its own examples", () => {
  assert.ok(leaves.length >= 3, `commands found: ${leaves.map((p) => p.path.join(" "))}`);
  for (const { path, page } of all.slice(1)) {
    const name = path.join(" ");
    assert.ok(plain(page.brief).trim().length > 10, `${name}: no brief`);
    assert.ok(plain(page.description).trim().length > 10, `${name}: no description`);
  }
  for (const { path, page } of leaves) {
    const name = path.join(" ");
    const footer = plain(page.footer);
    assert.match(footer, /^Examples:\n/, `${name}: no examples footer`);
    const lines = footer.split("\n").slice(1).map((l) => l.trim());
    assert.ok(lines.length > 0, `${name}: no example`);
    for (const line of lines) {
      // The example names this command (after `... |`, if it reads a pipe) and parses.
      const cmd = line.slice(line.lastIndexOf("| ") + 1).trim();
      const w = words(cmd);
      assert.equal(w[0], "bpfview", `${name}: example "${line}" does not run bpfview`);
      assert.deepEqual(w.slice(1, 1 + path.length), path, `${name}: example "${line}"`);
      const r = parse(parser, w.slice(1));
      assert.ok(r.success, `${name}: example "${line}" does not parse: ${JSON.stringify(r)}`);
    }
  }
});

Deno.test("help: every option and argument of every command is described", () => {
  for (const { path, page } of leaves) {
    const entries = page.sections.flatMap((s) => s.entries);
    assert.ok(entries.length > 0, `${path.join(" ")}: no options or arguments`);
    for (const e of entries) {
      const t = e.term;
      const what = t.type === "option"
        ? t.names.join(", ")
        : t.type === "argument"
        ? t.metavar
        : t.type;
      assert.ok(
        plain(e.description).trim().length >= 15,
        `${path.join(" ")}: ${what} has no description (or a too short one)`,
      );
    }
  }
});

Deno.test("help: --help prints only the help, every option with its description", () => {
  for (const { path, page } of leaves) {
    const r = cliSync(...path, "--help");
    const name = path.join(" ");
    assert.equal(r.err, "", `${name} --help wrote to stderr`);
    assert.equal(r.code, 0);
    assert.ok(r.out.startsWith(plain(page.brief)), `${name} --help starts with its brief`);
    const flat = r.out.replace(/\s+/g, " ");
    for (const e of page.sections.flatMap((s) => s.entries)) {
      const words = plain(e.description).split(/\s+/).slice(0, 4).join(" ");
      assert.ok(flat.includes(words), `${name} --help lacks "${words}"`);
    }
    assert.match(r.out, /\nExamples:\n {2}bpfview /);
  }
});

Deno.test("help: top-level help lists each command on one line with its brief", () => {
  const r = cliSync("--help");
  assert.equal(r.err, "");
  assert.equal(r.code, 0);
  const top = all[0].page.sections.flatMap((s) => s.entries)
    .filter((e) => e.term.type === "command");
  assert.ok(top.length >= 1);
  for (const e of top) {
    const name = e.term.type === "command" ? e.term.name : "";
    const first = plain(e.description).split(/\s+/).slice(0, 3).join(" ");
    assert.match(
      r.out,
      new RegExp(`\\n {2}${name} +${first.replace(/[()[\]{}.*+?^$|\\]/g, "\\$&")}`),
    );
  }
  assert.match(r.out, /\nExamples:\n {2}bpfview /);
});

Deno.test("cli child: a run prints its output only, nothing on stderr (no download notice)", () => {
  const r = cliSync("btf", "dump", "--format", "c", "pid_t");
  assert.equal(r.err, "");
  assert.equal(r.code, 0);
  assert.match(r.out, /^#ifndef __VMLINUX_H__\n/);
  assert.match(r.out, /\ntypedef __kernel_pid_t pid_t;\n/);
});
