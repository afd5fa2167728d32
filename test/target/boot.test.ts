/**
 * The linux bundle boots on the real Espruino interpreter and prints the banner. Runs only when
 * ESPRUINO names the interpreter's binary (npm run test:target); otherwise it is skipped, saying why.
 */
import test from "ava";
import { join } from "node:path";
import { build } from "../../src/host/build/index.ts";
import { EspruinoProcess, espruinoBinary, targetSkipReason } from "../../src/host/target/espruino-process.ts";

const BINARY = espruinoBinary();
const reason = targetSkipReason();
if (reason) test.skip(`real interpreter: ${reason}`, () => undefined);

(BINARY ? test : test.skip)("the linux bundle boots on the real interpreter and prints its banner", async (t) => {
  const out = await build({ board: "linux", outDir: join(process.cwd(), "firmware/build") });
  const dev = new EspruinoProcess({ binary: BINARY!, file: out.file });
  try {
    const banner = await dev.waitFor(/^Spool \S+ on linux/, 15_000);
    t.regex(banner, /^Spool 0\.\d+\.\d+ on linux$/);
    t.false(dev.output().some((l) => /Uncaught|SyntaxError|ReferenceError/.test(l)), dev.output().join("\n"));
    t.is(await dev.eval<string>("typeof spool"), "object");
  } finally {
    await dev.kill();
  }
});
