// putNum, the dumpers' decimal writer: every digit count and the int32 and 2^53 edges.
import { strictEqual } from "node:assert/strict";
import { putNum } from "../btf/byte_out.ts";

Deno.test("putNum writes what String() does, from 0 to 2^53 - 1", () => {
  const o = new Uint8Array(32), dec = new TextDecoder();
  const vals = [0, 2 ** 30 - 1, 2 ** 30, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32];
  vals.push(2 ** 53 - 1, 2 ** 53 - 2, 2 ** 53 - 10);
  for (let e = 1; e <= 15; e++) vals.push(10 ** e - 1, 10 ** e, 10 ** e + 1);
  for (let x = 1; x < 2 ** 53; x = Math.floor(x * 1.37) + 1) vals.push(x);
  for (const v of vals) strictEqual(dec.decode(o.subarray(0, putNum(o, 0, v))), String(v));
});
