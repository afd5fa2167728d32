// Issue 18: what one lost reply costs. The compiled store and uplink in the simulated Espruino
// under a seeded schedule of power cuts (test/helpers/cut-schedule.ts); a cut landing after the
// server stored a body and before the device saw the 200 makes that batch go again. Slow start
// keeps that batch small after a boot; the status shows the limit growing with every 200.
import test from "ava";
import { makeRig, BASE_EPOCH } from "./uplink-harness.ts";
import { playCuts } from "./helpers/cut-schedule.ts";

test("30 seeded power cuts while recording every 20 ms and flushing: nothing lost, duplicates <= 0.1 per reading, no more than without slow start", async (t) => {
  const slow = await playCuts({ seed: 20261130, boots: 30 });
  const full = await playCuts({ seed: 20261130, boots: 30, initialWindow: 1000 });
  t.is(slow.missing, 0, "every recorded reading on the server");
  t.is(full.missing, 0);
  t.true(slow.cutsAfterStore > 0, "some cuts landed after the server stored a body");
  t.true(slow.duplicates / slow.recorded <= 0.1, `${slow.duplicates} duplicates for ${slow.recorded} readings`);
  t.true(slow.duplicates <= full.duplicates, `slow start ${slow.duplicates} vs full batches ${full.duplicates}`);
  t.log(
    `slow start: ${slow.recorded} readings, ${slow.duplicates} duplicates (${slow.cutsAfterStore} of ${slow.cuts} cuts after a store), ${slow.requests} requests`,
  );
  t.log(
    `full batches from the first request: ${full.recorded} readings, ${full.duplicates} duplicates (${full.cutsAfterStore} cuts after a store), ${full.requests} requests`,
  );
});

test("the batch limit starts small after a boot, grows x4 per full 200 to the board's maximum, and falls back after a lost reply", async (t) => {
  const rig = await makeRig({ config: { maxPointsPerRequest: 1000 }, faults: {} });
  try {
    rig.series(0, 3000, BASE_EPOCH - 3_600_000, 1000);
    t.is(rig.status().batchLimit, 32);
    rig.start();
    t.true(await rig.drain());
    t.is(rig.status().batchLimit, 1000, "a steady link reaches full batches");
    t.is(rig.requests(), 6, "32 + 128 + 512 + 1000 + 1000 + 328: 3,000 points in 6 requests");
    // A reply lost after the server stored: the next request risks little again.
    rig.server.setFaults({ dropAfterRate: 1 });
    rig.series(0, 500, BASE_EPOCH - 500_000, 1000);
    await rig.clock.runUntilAsync(() => rig.server.stats().faults.dropAfter >= 1, 60_000);
    rig.server.setFaults({});
    await rig.clock.advanceAsync(1);
    t.is(rig.status().batchLimit, 32, "back to the start after the lost reply");
    t.true(await rig.drain());
    t.is(rig.server.stats().duplicates, 500, "the lost batch (all 500: the limit was 1,000) went again once");
  } finally {
    await rig.close();
  }
});

/** A brown-out loop: every boot dies as the reply to its first request arrives, after the server stored it. */
async function brownOut(initialWindow: number | undefined): Promise<{ duplicates: number; stored: number }> {
  const rig = await makeRig({ config: { maxPointsPerRequest: 10_000, ...(initialWindow ? { initialWindow } : {}) } });
  try {
    for (let boot = 0; boot < 10; boot++) {
      if (boot > 0) rig.reboot({ start: false });
      rig.series(0, 100, BASE_EPOCH - 3_600_000 + boot * 100_000, 1000);
      rig.cutDuringHttp((n, point) => n === 1 && point === "before-reply");
      rig.start();
      await rig.clock.runUntilAsync(() => !rig.isAlive(), 60_000, { idleMs: 50 });
    }
    rig.reboot();
    if (!(await rig.drain())) throw new Error("brown-out: did not drain");
    return { duplicates: rig.server.stats().duplicates, stored: rig.history(0).length };
  } finally {
    await rig.close();
  }
}

test("a brown-out loop (each boot dies as its first reply arrives): slow start resends 32 points a boot, full batches resend the whole backlog", async (t) => {
  const slow = await brownOut(undefined);
  const full = await brownOut(10_000);
  t.is(slow.stored - slow.duplicates, 1000, "every reading delivered");
  t.is(full.stored - full.duplicates, 1000);
  t.is(slow.duplicates, 10 * 32, "one first request of 32 points per cut");
  t.is(full.duplicates, 100 + 200 + 300 + 400 + 500 + 600 + 700 + 800 + 900 + 1000, "the whole backlog per cut");
  t.log(`duplicates: ${slow.duplicates} with slow start, ${full.duplicates} with full batches from the first request`);
});
