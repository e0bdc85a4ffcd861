// `prog list` / `map list` (library and CLI) against bpftool, for the
// program and maps of an object this test loads (others load and unload
// their own meanwhile: only ours are compared).
import assert from "node:assert/strict";
import { BpfObject, listMaps, listPrograms } from "../mod.ts";
import { bpfObject, cliSync, sh } from "./tools.ts";

const COUNTER = bpfObject("object_counter");

/** bpftool's JSON for one program or map, with only the keys we give. */
function bpftool(kind: "prog" | "map", id: number, keys: string[]): Record<string, unknown> {
  const all = JSON.parse(sh("bpftool", [kind, "show", "id", String(id), "-j"]));
  return Object.fromEntries(keys.map((k) => [k, all[k] ?? 0]));
}

Deno.test("listPrograms and listMaps give what bpftool shows", () => {
  using obj = BpfObject.open(COUNTER).load();
  obj.attachAll();
  const prog = obj.program("on_getppid");
  const p = listPrograms().find((x) => x.id === prog.id);
  assert.ok(p, "our program is listed");
  assert.deepEqual(p, bpftool("prog", prog.id, Object.keys(p)));
  assert.deepEqual(new Set(p.map_ids), new Set(obj.maps.map((m) => m.id)));
  const maps = listMaps();
  for (const m of obj.maps) {
    const info = maps.find((x) => x.id === m.id);
    assert.ok(info, `map ${m.name} is listed`);
    assert.deepEqual(info, bpftool("map", m.id, Object.keys(info)));
    assert.equal(info.bytes_value, m.valueSize);
  }
});

Deno.test("prog list / map list: JSON lines and text", () => {
  using obj = BpfObject.open(COUNTER).load();
  const id = obj.program("on_getppid").id;
  const progs = cliSync("prog", "list", "--json");
  assert.equal(progs.code, 0, progs.err);
  const ours = progs.out.trim().split("\n").map((l) => JSON.parse(l)).find((x) => x.id === id);
  assert.equal(ours?.name, "on_getppid");
  assert.equal(ours?.type, "tracepoint");
  const text = cliSync("prog", "list");
  assert.match(text.out, new RegExp(`^${id}: tracepoint  name on_getppid  tag [0-9a-f]{16}$`, "m"));
  const countsId = obj.map("counts").id;
  const maps = cliSync("map", "list", "--json");
  assert.equal(maps.code, 0, maps.err);
  const counts = maps.out.trim().split("\n").map((l) => JSON.parse(l)).find((x) =>
    x.id === countsId
  );
  assert.deepEqual(
    [counts?.type, counts?.name, counts?.bytes_key, counts?.bytes_value, counts?.max_entries],
    ["hash", "counts", 8, 32, 64],
  );
});
