// Child process of tests/object_test.ts: opens the object named by the
// first argument (and loads it when the second is "load"), then prints the
// error (one line) or "ok".
import { BpfObject } from "../mod.ts";
try {
  const obj = BpfObject.open(Deno.args[0]);
  if (Deno.args[1] === "load") obj.load();
  obj.close();
  console.log("ok");
} catch (e) {
  console.log(String(e).replaceAll("\n", "\\n"));
}
