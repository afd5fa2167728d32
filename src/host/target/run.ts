/**
 * `npm run test:target`: the real-interpreter suite (test/target/*.test.ts). Runs when ESPRUINO
 * names Espruino's Linux build; otherwise says that it skipped and why.
 */
import { spawnSync } from "node:child_process";
import { targetSkipReason } from "./espruino-process.ts";

const reason = targetSkipReason();
if (reason) {
  console.log(`test:target skipped: ${reason}`);
} else {
  // One file at a time: each drives CPU-bound interpreters, and their timeouts assume a quiet machine.
  const r = spawnSync("npx", ["ava", "--verbose", "--concurrency=1", "--timeout=5m", "test/target/"], { stdio: "inherit", env: process.env });
  process.exitCode = r.status ?? 1;
}
