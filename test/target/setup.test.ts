/**
 * `spool.setup` on the real interpreter: the merge, the stored configuration and the boot cache
 * as Espruino's own string and Storage functions make them. Espruino 2v29's `String.indexOf`
 * finds a needle that only starts at the haystack's end (",a,b,".indexOf(",zz,") is 4), which
 * Node does not: an unknown field was accepted on the device, and the apply step took every
 * change for a change of the store's datastreams.
 *
 * Runs only when ESPRUINO names the interpreter (npm run test:target).
 */
import test from "ava";
import { espruinoBinary, targetSkipReason } from "../../src/host/target/espruino-process.ts";
import { bootFirmware } from "../../src/host/target/scenarios.ts";

const BINARY = espruinoBinary();
const reason = targetSkipReason();
if (reason) test.skip(`real interpreter: ${reason}`, () => undefined);
const run = BINARY ? test.serial : test.skip;

run("setup merges, stores and caches on the device; an unknown field is refused and changes nothing", async (t) => {
  const dev = await bootFirmware(BINARY!);
  try {
    await dev.eval(
      'spool.setup({limits: {dailyQuota: 5000}, flushDelayMs: 300, datastreams: [{pin: 1, type: "double"}, {pin: 2, type: "string"}], statusPin: "V2"})',
      30_000,
    );
    const cfg = await dev.eval<any>("spool.config()", 30_000);
    t.is(cfg.limits.dailyQuota, 5000);
    t.is(cfg.limits.maxAgeDays, 30, "a field the input left out keeps its value");
    t.is(cfg.flushDelayMs, 300);
    t.is(cfg.statusPin, 2);
    t.deepEqual(cfg.datastreams, [
      { pin: 1, type: "double", precision: "float32" },
      { pin: 2, type: "string" },
    ]);
    // The boot cache, written in two pieces: its first line is the CRC of the second (the head,
    // its newline included), whose `c` is the CRC of the third (the configuration's JSON).
    t.true(
      await dev.eval<boolean>(
        '(function(){var f=require("Storage").read("spool.cfgc");var n=f.indexOf("\\n"),m=f.indexOf("\\n",n+1),t=f.substr(m+1);return +f.substr(0,n)===(E.CRC32(E.toUint8Array(f.substring(n+1,m+1)))>>>0)&&JSON.parse(f.substring(n+1,m)).c===(E.CRC32(E.toUint8Array(t))>>>0)&&t===JSON.stringify(JSON.parse(t));})()',
        30_000,
      ),
    );
    const before = await dev.eval<string>("JSON.stringify(spool.config())", 30_000);
    await t.throwsAsync(dev.eval("spool.setup({wfi: {}})", 30_000), { message: /unknown field wfi \(valid: wifi, blynk,/ });
    await t.throwsAsync(dev.eval('spool.setup({wifi: {pass: "x"}})', 30_000), {
      message: /unknown field wifi\.pass \(valid: ssid, password\)/,
    });
    t.is(await dev.eval<string>("JSON.stringify(spool.config())", 30_000), before);
  } finally {
    await dev.kill();
  }
});
