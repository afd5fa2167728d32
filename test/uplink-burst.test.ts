// Issue 11, case 1: a reading may be marked delivered only when it was in the body of a request
// answered 200. Recording at full speed while the uplink streams batches (flushDelayMs 0), the
// compiled store and uplink in the simulated Espruino: the set the device marked delivered must
// be exactly the set the server stored.
import test from "ava";
import { makeRig } from "./uplink-harness.ts";

const TOTAL = 600;

for (const piece of [64, 256]) {
  test(`recording 20 readings per 5 ms tick during flushes: delivered = stored, byte for byte (pieces of ${piece} B)`, async (t) => {
    const rig = await makeRig({ config: { flushDelayMs: 0, pieceBytes: piece, maxPointsPerRequest: 1000 } });
    try {
      rig.start();
      rig.eval(`t.burst(1, 20, 5, ${TOTAL})`);
      await rig.clock.advanceAsync((TOTAL / 20) * 5 + 5);
      t.true(await rig.drain(600_000), "the device drained its queue");
      const stored = rig.history(1).map(([, v]) => v as number);
      const st = rig.status();
      t.is(rig.storeStats().pending, 0);
      t.is(st.pointsDelivered, stored.length, "points marked delivered = points the server stored");
      const seen = new Set(stored);
      const missing: number[] = [];
      for (let k = 0; k < TOTAL; k++) if (!seen.has(k + 0.5)) missing.push(k);
      t.deepEqual(missing, [], "every recorded reading is on the server");
      t.is(stored.length, TOTAL, "and none twice");
      t.true(st.requests > 1, `the burst was sent while it was recorded (${st.requests} requests)`);
    } finally {
      await rig.close();
    }
  });
}
