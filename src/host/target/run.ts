/**
 * `npm run test:target`: the real-interpreter suite (test/target/*.test.ts). Runs when ESPRUINO
 * names Espruino's Linux build, the small-memory tests (the linux-small part of test/target/memory.test.ts) when
 * ESPRUINO_SMALL names its 1,600-JsVar build, and the fixed-memory flush when ESPRUINO_FIXED names
 * one with 2,100 to 4,000; says what it skipped and why.
 */
import { spawnSync } from "node:child_process";
import { fixedSkipReason, smallSkipReason, targetSkipReason } from "./espruino-process.ts";

const reason = targetSkipReason();
const smallReason = smallSkipReason();
const fixedReason = fixedSkipReason();
if (reason) console.log(`test:target: the real-interpreter suite is skipped: ${reason}`);
if (smallReason) console.log(`test:target: the small-memory suite is skipped: ${smallReason}`);
if (fixedReason) console.log(`test:target: the fixed-memory flush is skipped: ${fixedReason}`);
if (!reason || !smallReason || !fixedReason) {
  // One file at a time: each drives CPU-bound interpreters, and their timeouts assume a quiet machine.
  // ava's timeout is its wait for the next test to end: the seeded power-cut run takes about 11 min.
  const r = spawnSync("npx", ["ava", "--verbose", "--concurrency=1", "--timeout=20m", "test/target/"], {
    stdio: "inherit",
    env: process.env,
  });
  process.exitCode = r.status ?? 1;
}
