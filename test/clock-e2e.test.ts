/**
 * The clock end to end: the compiled ESP32 firmware in SimEspruino (virtual time, a crystal
 * running DRIFT_PPM fast, the real store in simulated flash), a WiFi access point that comes and
 * goes on a schedule, an SNTP responder answering with the true time, and the local Blynk server
 * storing what the device uploads. Every reading's true time is logged by the sensor the device
 * samples (src/host/demo/sensors.ts), and each timestamp the SERVER stored is compared with it.
 *
 * Error bound for a reading resolved from an SNTP anchor: SNTP_ERR_MS + drift x |t_anchor - t|.
 * - SNTP_ERR_MS: the sync itself (symmetric 12 ms path here: ~0), whole-ms stamps and anchors,
 *   and the ~0.05 ms server processing time; 50 ms is the figure.
 * - drift x |t_anchor - t|: a first boot has no drift learned (that needs two anchors 10 min
 *   apart, docs/clock.md "Drift"), so uptime stamps are extrapolated back from the first anchor
 *   at rate 1: a reading taken t before it is placed drift x t early (40 ppm x 6 h = 864 ms).
 *   Epoch stamps taken after the anchor carry the same error forward until drift is learned.
 * The check uses the real drift, not the one the device believes, so a wrong correction fails.
 */
import test from "ava";
import { build } from "../src/host/build/index.ts";
import { loadBoard } from "../src/host/boards.ts";
import { DEMO_PINS } from "../src/host/demo/sensors.ts";
import { HOUR, MIN, DRIFT_PPM, START_EPOCH_MS, anchored, checkDelivered, play as playOn, type Play } from "./helpers/firmware-play.ts";

const board = loadBoard("esp32");
const firmware = build({ board: "esp32", write: false });

function play(p: Omit<Play, "board" | "firmware">) {
  return playOn({ board, firmware, ...p });
}

test("boot offline, record every 10 s for 6 h, then WiFi and SNTP: every uploaded timestamp within 50 ms + drift x age", async (t) => {
  const r = await play({
    wifiAtStart: false,
    wifi: [{ at: 6 * HOUR, up: true }],
    powerCutsMs: [],
    endMs: 6 * HOUR + 10 * MIN,
    drain: true,
  });
  try {
    t.deepEqual(r.deviceErrors, []);
    t.is(r.status.queue.pending, 0);
    t.deepEqual(r.status.drops, {});
    t.is(r.status.clock.unresolved, 0);
    const anchor = r.syncAt.get(1);
    t.truthy(anchor, "the first boot synced once the network came up");
    const offline = r.log.filter((x) => x.trueMs < START_EPOCH_MS + 6 * HOUR);
    t.true(offline.length >= 2 * 2150, `readings taken offline: ${offline.length}`);
    const maxErr = checkDelivered(t, r, r.log, anchored(anchor!));
    const oldest = r.log[0];
    t.log(
      `${r.log.length} readings; max |error| ${maxErr} ms; the oldest (${((anchor! - oldest.trueMs) / HOUR).toFixed(2)} h before the anchor) may be off ${anchored(anchor!)(oldest).toFixed(0)} ms`,
    );
    // The drift is really there and really uncorrected on a first boot: the oldest readings are
    // off by most of drift x 6 h, so the bound above is not loose by design.
    t.true(maxErr > 0.8 * DRIFT_PPM * 1e-6 * 6 * HOUR, `max error ${maxErr} ms`);
  } finally {
    await r.server.close();
  }
});

/** Offline from power-on, power cuts at 1 h and 2 h, WiFi at 3 h. */
const TWO_REBOOTS = {
  wifiAtStart: false,
  wifi: [{ at: 3 * HOUR, up: true }],
  powerCutsMs: [HOUR, 2 * HOUR],
  endMs: 3 * HOUR + 10 * MIN,
  drain: false,
};

test("reboot twice offline, then sync: the synced boot is delivered on time; the two boots before it are kept and reported, never sent as 1970", async (t) => {
  const r = await play(TWO_REBOOTS);
  try {
    t.deepEqual(r.deviceErrors, []);
    const early = r.log.filter((x) => x.boot < 3);
    const last = r.log.filter((x) => x.boot === 3);
    t.true(early.length > 2 * 700 && last.length > 2 * 350, `${early.length} + ${last.length} readings`);
    t.is(r.syncAt.size, 1, "only the third boot saw the network");
    const maxErr = checkDelivered(t, r, last, anchored(r.syncAt.get(3)!));
    // Nothing bounds the first two boots from below (no time was ever known before them).
    t.is(r.status.queue.pending, early.length, "their readings stay in flash");
    t.is(r.status.clock.unresolved, early.length, "and are counted as waiting for their time");
    t.deepEqual(r.status.drops, {});
    t.log(`delivered ${last.length}, max |error| ${maxErr} ms; unresolved ${r.status.clock.unresolved}`);
  } finally {
    await r.server.close();
  }
});

test('the same with clock.unanchored "drop": those readings are dropped as unresolved-time, the rest delivered on time', async (t) => {
  const r = await play({ ...TWO_REBOOTS, config: { clock: { unanchored: "drop" } } });
  try {
    t.deepEqual(r.deviceErrors, []);
    const early = r.log.filter((x) => x.boot < 3);
    const last = r.log.filter((x) => x.boot === 3);
    const maxErr = checkDelivered(t, r, last, anchored(r.syncAt.get(3)!));
    t.is(r.status.queue.pending, 0);
    t.deepEqual(r.status.drops, { "unresolved-time": early.length });
    t.is(r.status.clock.unresolved, 0, "no longer counted as waiting once dropped");
    t.log(`delivered ${last.length}, max |error| ${maxErr} ms; dropped ${early.length}`);
  } finally {
    await r.server.close();
  }
});

test("synced, then offline with two reboots, then sync: the boots in between are estimated within half the 60 s window, in order", async (t) => {
  const r = await play({
    wifiAtStart: true,
    wifi: [
      { at: 30 * MIN, up: false },
      { at: 3 * HOUR, up: true },
    ],
    powerCutsMs: [HOUR, 2 * HOUR],
    endMs: 3 * HOUR + 10 * MIN,
    drain: true,
  });
  try {
    t.deepEqual(r.deviceErrors, []);
    t.is(r.status.queue.pending, 0);
    t.deepEqual(r.status.drops, {});
    const first = anchored(r.syncAt.get(1)!);
    const third = anchored(r.syncAt.get(3)!);
    const ESTIMATE_BOUND_MS = 60_000 / 2;
    const maxErr = checkDelivered(t, r, r.log, (x) => (x.boot === 1 ? first(x) : x.boot === 3 ? third(x) : ESTIMATE_BOUND_MS));
    let maxEstimated = 0;
    for (const pin of DEMO_PINS) {
      const want = r.log.filter((x) => x.pin === pin).sort((a, b) => a.trueMs - b.trueMs);
      const got = (r.server.history(r.token, pin) as [number, unknown][]).slice().sort((a, b) => a[0] - b[0]);
      want.forEach((x, i) => {
        if (x.boot === 2 && got[i]) maxEstimated = Math.max(maxEstimated, Math.abs(got[i][0] - x.trueMs));
      });
    }
    t.log(`max |error|: ${maxErr} ms overall, ${maxEstimated} ms for the estimated boot`);
  } finally {
    await r.server.close();
  }
});

test('uplink.badPin: readings of a pin the server does not know are kept ("keep") or dropped as bad-pin ("drop")', async (t) => {
  const UNKNOWN_PIN = 200;
  for (const badPin of ["keep", "drop"]) {
    const r = await play({
      wifiAtStart: true,
      wifi: [],
      powerCutsMs: [],
      endMs: 10 * MIN,
      drain: false,
      config: { datastreams: [...DEMO_PINS, UNKNOWN_PIN].map((pin) => ({ pin, type: "double" })), uplink: { badPin } },
      actions: [{ at: 2 * MIN, run: (d) => d.sim.eval(`spool.record(${UNKNOWN_PIN}, 1.5); spool.record(${UNKNOWN_PIN}, 2.5)`) }],
    });
    try {
      t.deepEqual(r.deviceErrors, [], badPin);
      checkDelivered(t, r, r.log, anchored(r.syncAt.get(1)!));
      if (badPin === "keep") {
        t.is(r.status.queue.pending, 2, "keep: both readings wait in flash");
        t.deepEqual(r.status.drops, {});
      } else {
        t.is(r.status.queue.pending, 0);
        t.deepEqual(r.status.drops, { "bad-pin": 2 }, "drop: counted as bad-pin");
      }
    } finally {
      await r.server.close();
    }
  }
});
