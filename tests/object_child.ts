// Child process of tests/object_test.ts: opens the object named by the
// first argument and prints the error (one line) or "ok".
import { BpfObject } from "../mod.ts";
try {
  BpfObject.open(Deno.args[0]).close();
  console.log("ok");
} catch (e) {
  console.log(String(e).replaceAll("\n", "\\n"));
}
