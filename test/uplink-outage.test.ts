// A long outage with the store and uplink compiled for the board and run in the simulated
// Espruino: a sampling timer fills the ring while the link is down, then the backlog flushes.
import test from "ava";
import { makeRig } from "./uplink-harness.ts";

const DAY = 86_400_000;
const EVERY = 10_000;

test("a 3-day outage on two pins: what the ring kept lands exactly once and in order; the rest is counted", async (t) => {
  const rig = await makeRig({ linkUp: false, config: { maxPointsPerRequest: 1000 } });
  try {
    rig.start();
    const start = Math.floor(rig.sim.deviceNowMs());
    const ticks = (3 * DAY) / EVERY;
    // One reading per 10 s on V0 and V1 while offline, from the device's own timer.
    rig.sim.eval(`t.sample(${EVERY}, ${ticks})`);
    rig.clock.advance(3 * DAY);
    const recorded = 2 * ticks;
    t.is(rig.storeStats().appended, recorded);
    t.is(rig.requests(), 0);
    t.is(rig.status().state, "offline");
    rig.setLink(true);
    t.true(await rig.drain(2 * 3600_000));
    const h0 = rig.history(0);
    const h1 = rig.history(1);
    const overwritten = rig.storeStats().dropped.overwritten ?? 0;
    t.true(overwritten > 0, "the ring turned over");
    t.is(h0.length + h1.length + overwritten, recorded, "recorded = delivered + counted drops");
    t.is(rig.server.stats().duplicates, 0);
    for (const h of [h0, h1]) {
      // In order, no gap: the newest readings, consecutive to the last one taken.
      for (let i = 1; i < h.length; i++) if (h[i][0] - h[i - 1][0] !== EVERY) t.fail(`gap at ${i}: ${h[i][0] - h[i - 1][0]} ms`);
      t.is(h[h.length - 1][0], start + 3 * DAY - EVERY);
    }
    t.true(h1.every((p) => p[1] === (p[0] - start) / EVERY));
    t.true(h0.every((p) => Math.abs((p[1] as number) - (20 + (p[0] - start) / EVERY / 100)) < 1e-3));
    t.log(`${recorded} recorded, ${h0.length + h1.length} delivered, ${overwritten} overwritten, ${rig.requests()} requests`);
  } finally {
    await rig.close();
  }
});
