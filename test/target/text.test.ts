/**
 * Text end to end on the real interpreter (issue 14): strings typed at the REPL as a terminal
 * sends them (UTF-8) and recorded on a String datastream reach the local server intact, through
 * the flash store and the JSON batch. Espruino's String.fromCharCode keeps only the low byte,
 * so a store that rebuilt text char by char delivered "café ¬5" for "café €5".
 *
 * Runs only when ESPRUINO names the interpreter (npm run test:target).
 */
import test from "ava";
import { espruinoBinary, targetSkipReason } from "../../src/host/target/espruino-process.ts";
import { bootFirmware, startLocalCloud, until } from "../../src/host/target/scenarios.ts";

const BINARY = espruinoBinary();
const reason = targetSkipReason();
if (reason) test.skip(`real interpreter: ${reason}`, () => undefined);
const run = BINARY ? test.serial : test.skip;

const TEXTS = ["café €5", "Ωx", "日本語", "emoji 😀 ok", "plain ascii", 'tab\there "quoted" back\\slash \\\\ end'];
const DATASTREAMS = [
  { pin: 1, type: "double" as const },
  { pin: 2, type: "string" as const },
];

/** A string literal as a user types it: the text itself (UTF-8 on the wire), with `\t` for the tab the REPL would complete on. */
function typed(s: string): string {
  return '"' + s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\t/g, "\\t") + '"';
}

run("strings typed at the REPL reach the server intact on a String datastream", async (t) => {
  const cloud = await startLocalCloud({ device: { name: "text", token: "SpoolTextTest_0123456789abcdefgh", datastreams: DATASTREAMS } });
  const dev = await bootFirmware(BINARY!);
  try {
    await dev.eval(`spool.setup(${JSON.stringify(cloud.config({ datastreams: DATASTREAMS }))})`);
    for (const s of TEXTS) await dev.eval(`spool.record(2, ${typed(s)})`);
    await dev.eval("spool.flush()");
    await until("the device to deliver every string", () => cloud.server.history(cloud.token, 2).length >= TEXTS.length, 60_000, 250);
    t.deepEqual(
      cloud.server.history(cloud.token, 2).map(([, v]) => v),
      TEXTS,
    );
    t.deepEqual(
      dev.lines.filter((l) => /Uncaught|ASSERT/.test(l)),
      [],
    );
  } finally {
    await dev.kill();
    await cloud.close();
  }
});
