/**
 * The quota log on the real interpreter: Espruino's own `Storage.write(name, data, offset, size)`
 * fills the preallocated log in place (src/jsflash.c jsfWriteFile), a full log is rewritten into
 * the other file, a power cut (SIGKILL) keeps the count, and the bytes on flash decode with the
 * decoder written from docs/flash-format.md ("Quota log").
 * Runs only when ESPRUINO names the interpreter (npm run test:target).
 */
import test from "ava";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { rmSync } from "node:fs";
import { EspruinoProcess, espruinoBinary, targetSkipReason } from "../../src/host/target/espruino-process.ts";
import { linuxBundle, sleep } from "../../src/host/target/bundles.ts";
import { bootFirmware, startLocalCloud, until } from "../../src/host/target/scenarios.ts";
import { LOG_ENTRIES } from "../../src/device/uplink/quota.ts";
import { newestQuota } from "../helpers/quota-log.ts";

const BINARY = espruinoBinary();
const ENTRY = join(dirname(fileURLToPath(import.meta.url)), "entries", "quota-log.ts");
const reason = targetSkipReason();
if (reason) test.skip(`real interpreter: ${reason}`, () => undefined);
const run = BINARY ? test.serial : test.skip;

const DAY = 20600;

run("real interpreter: the quota log fills in place, is rewritten when full, survives SIGKILL and decodes as documented", async (t) => {
  t.timeout(10 * 60_000);
  const file = await linuxBundle(ENTRY);
  let dev = new EspruinoProcess({ binary: BINARY!, file });
  const cwd = dev.cwd;
  try {
    await dev.waitFor(/espruino\.com\/Donate/, 30_000);
    await dev.eval("(setInterval(function(){},3600000),0)", 30_000);
    // Saves (10 points each) up to 3 short of a full log, in lines of 20.
    let used = 0;
    const addSaves = async (n: number, day: number) => {
      for (let done = 0; done < n; done += 20) {
        const k = Math.min(20, n - done);
        used = await dev.eval<number>(`${JSON.stringify(Array(k).fill(10))}.map(function(p){return qlog.add(${day},p);}).pop()`, 30_000);
      }
    };
    await addSaves(LOG_ENTRIES - 3, DAY);
    const trashBefore = await dev.eval<number>("qlog.trash()");
    let files = (await dev.eval<(string | null)[]>("qlog.files()"))
      .filter((f): f is string => f !== null)
      .map((b) => Buffer.from(b, "base64"));
    t.is(files.length, 1);
    t.deepEqual(newestQuota(files), { day: DAY, used, req: 0 }, "the documented decoder reads what the device saved");
    t.is(trashBefore, 0, `${LOG_ENTRIES - 3} saves into one preallocated file leave no trash`);
    // Across the rewrite and a day change.
    await addSaves(5, DAY);
    await addSaves(2, DAY + 1);
    files = (await dev.eval<(string | null)[]>("qlog.files()")).filter((f): f is string => f !== null).map((b) => Buffer.from(b, "base64"));
    t.is(files.length, 1, "the full log was erased once the other held the count");
    t.deepEqual(newestQuota(files), { day: DAY + 1, used: 20, req: 0 });
    const trash = await dev.eval<number>("qlog.trash()");
    t.log(`${LOG_ENTRIES + 4} saves: ${trash} B of Storage trash (one rewrite of the ${LOG_ENTRIES * 12} B log)`);
    t.true(trash <= 32 + LOG_ENTRIES * 12);
    // A power cut, then a new boot reads the count.
    await dev.kill();
    dev = new EspruinoProcess({ binary: BINARY!, file, cwd });
    await dev.waitFor(/espruino\.com\/Donate/, 30_000);
    await dev.eval("(setInterval(function(){},3600000),0)", 30_000);
    t.deepEqual(await dev.eval("qlog.count()"), { day: DAY + 1, used: 20 });
    t.false(
      dev.lines.some((l) => /Uncaught|corrupt/.test(l)),
      dev.lines.join("\n"),
    );
  } finally {
    await dev.kill();
    rmSync(cwd, { recursive: true, force: true });
  }
});

run("real interpreter: the day's count carries from one uplink to the next, and the status between flushes says so", async (t) => {
  t.timeout(5 * 60_000);
  const cloud = await startLocalCloud();
  const dev = await bootFirmware(BINARY!);
  try {
    await dev.eval(`spool.setup(${JSON.stringify(cloud.config({ datastreams: [{ pin: 1, type: "integer" }] }))}),0`, 60_000);
    const rounds = 3;
    const each = 10;
    for (let r = 1; r <= rounds; r++) {
      await dev.eval(`(function(){for(var i=0;i<${each};i++)spool.record(1,i);})()`, 30_000);
      await until(`round ${r} delivered`, () => cloud.server.history(cloud.token, 1).length === r * each, 60_000);
      // Past the firmware's 500 ms check: the uplink has nothing left to do and is dropped.
      await sleep(1500);
    }
    const u = await dev.eval<{ quotaUsed: number; delivered: number; requestsToday: number; state: string }>(
      "spool.status().uplink",
      30_000,
    );
    t.is(u.state, "idle");
    t.is(u.delivered, rounds * each);
    // Each round's uplink was a new one; the quota file is written in steps of 1% of the quota
    // (10,000 points here), so only the count kept between uplinks can know all of them.
    t.is(u.quotaUsed, rounds * each, "every round counted against the daily quota");
    t.deepEqual(
      dev.lines.filter((l) => /Uncaught|OUT OF MEMORY/.test(l)),
      [],
    );
  } finally {
    await dev.kill();
    rmSync(dev.cwd, { recursive: true, force: true });
    await cloud.close();
  }
});
