/**
 * The linux firmware, put into Storage as `npm run flash` does (its parts, then the bundle as
 * `.bootcde`), boots on the real Espruino interpreter and prints the banner. Runs only when
 * ESPRUINO names the interpreter's binary (npm run test:target); otherwise it is skipped, saying why.
 */
import test from "ava";
import { join } from "node:path";
import { build } from "../../src/host/build/index.ts";
import { espruinoBinary, targetSkipReason } from "../../src/host/target/espruino-process.ts";
import { bootStorage, installStorage } from "../../src/host/target/storage-boot.ts";

const BINARY = espruinoBinary();
const reason = targetSkipReason();
if (reason) test.skip(`real interpreter: ${reason}`, () => undefined);

(BINARY ? test : test.skip)("the linux bundle boots on the real interpreter and prints its banner", async (t) => {
  const out = await build({ board: "linux", outDir: join(process.cwd(), "firmware/build") });
  const cwd = await installStorage({ binary: BINARY!, files: out.storageFiles });
  const dev = await bootStorage({ binary: BINARY!, cwd });
  try {
    const banner = await dev.waitFor(/^Spool \S+ on linux/, 15_000);
    t.regex(banner, /^Spool 0\.\d+\.\d+ on linux$/);
    t.false(
      dev.output().some((l) => /Uncaught|SyntaxError|ReferenceError|did not start/.test(l)),
      dev.output().join("\n"),
    );
    t.is(await dev.eval<string>("typeof spool"), "object");
    // A part loads from Storage: the configuration comes back through the setup part.
    t.is(await dev.eval<string>("spool.config().blynk.host"), "blynk.cloud");
  } finally {
    await dev.kill();
  }
});
