import test from "ava";
import { makeRig, BASE_EPOCH } from "./uplink-harness.ts";

const DAY = 86_400_000;
const EVERY = 10_000;

test("a 3-day outage on two pins: what the ring kept lands exactly once and in order; the rest is counted", async (t) => {
  const rig = await makeRig({ config: { maxPointsPerRequest: 1000 } });
  try {
    rig.link.up = false;
    rig.uplink.start();
    const start = rig.clock.trueEpochMs();
    let recorded = 0;
    // One reading per 10 s on V0 and V1 while offline, appended as the sampler would.
    for (let at = 0; at < 3 * DAY; at += EVERY) {
      rig.clock.advanceTo(at);
      rig.store.append({ pin: 0, stamp: { epochMs: start + at }, value: Math.fround(20 + (at / EVERY) * 0.01) });
      rig.store.append({ pin: 1, stamp: { epochMs: start + at }, value: at / EVERY });
      recorded += 2;
      rig.uplink.notifyAppended();
    }
    t.is(rig.http.requests, 0);
    t.is(rig.uplink.status().state, "offline");
    rig.link.set(true);
    t.true(await rig.drain(2 * 3600_000));
    const h0 = rig.history(0);
    const h1 = rig.history(1);
    const overwritten = rig.store.stats().dropped.overwritten ?? 0;
    t.true(overwritten > 0, "the ring turned over");
    t.is(h0.length + h1.length + overwritten, recorded, "recorded = delivered + counted drops");
    t.is(rig.server.stats().duplicates, 0);
    for (const h of [h0, h1]) {
      // In order, no gap: the newest readings, consecutive to the last one taken.
      for (let i = 1; i < h.length; i++) t.is(h[i][0] - h[i - 1][0], EVERY);
      t.is(h[h.length - 1][0], start + 3 * DAY - EVERY);
    }
    t.true(h1.every((p) => p[1] === (p[0] - start) / EVERY));
  } finally {
    await rig.close();
  }
});
