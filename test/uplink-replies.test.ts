// Reply classes of docs/uplink.md, with the store and uplink compiled for the board and run in
// the simulated Espruino, its `http` talking to the real local server.
import test from "ava";
import { binaryBytes } from "../src/host/sim/storage.ts";
import { newestQuota } from "./helpers/quota-log.ts";
import { makeRig, TOKEN, BASE_EPOCH, type Row } from "./uplink-harness.ts";

const HOUR = 3600_000;
const T0 = BASE_EPOCH - HOUR;
/** Settling for requests the server hangs on purpose: do not wait long for them. */
const HANGING = { idleMs: 50 };

test("a backlog on two pins lands exactly once, in order, with exact Content-Length", async (t) => {
  // Full batches from the first request (no slow start): one request per pin.
  const rig = await makeRig({ config: { initialWindow: 1000 } });
  try {
    const rows: Row[] = [];
    for (let i = 0; i < 500; i++) {
      rows.push([0, { epochMs: BASE_EPOCH - 3600_000 + i * 1000 }, Math.fround(20 + i / 100)]);
      rows.push([1, { epochMs: BASE_EPOCH - 3600_000 + i * 1000 + 1 }, i * 0.1]);
    }
    rig.append(rows);
    rig.start();
    t.true(await rig.drain());
    const h0 = rig.history(0);
    const h1 = rig.history(1);
    t.is(h0.length, 500);
    t.is(h1.length, 500);
    t.deepEqual(
      h0.map((p) => p[0]),
      Array.from({ length: 500 }, (_, i) => BASE_EPOCH - 3600_000 + i * 1000),
    );
    t.true(h0.every((p, i) => Math.fround(p[1] as number) === Math.fround(20 + i / 100)));
    // Doubles travel with up to 15 significant digits (see docs/uplink.md).
    t.true(h1.every((p, i) => Math.abs((p[1] as number) - i * 0.1) <= 1e-15 * i * 0.1));
    t.is(rig.server.stats().duplicates, 0);
    t.is(rig.status().pointsDelivered, 1000);
    t.is(rig.status().requests, 2);
    t.is(rig.requests(), 2);
  } finally {
    await rig.close();
  }
});

test("308 as the cloud sends it (empty body, https Location) to a board speaking http: the same POST at the Location's host, scheme and port kept, region remembered", async (t) => {
  const REGION = "fra1.blynk.test";
  const rig = await makeRig({
    region: true,
    cloud: { regionHost: REGION },
    faults: { redirect: true },
    config: { maxPointsPerRequest: 100 },
  });
  try {
    rig.route(REGION, new URL(rig.server.regionUrl!).port === "" ? 80 : Number(new URL(rig.server.regionUrl!).port));
    rig.series(0, 250, T0, 1000);
    rig.start();
    t.true(await rig.drain());
    t.is(rig.history(0).length, 250);
    t.is(rig.server.stats().faults.redirect, 1, "only the first request was redirected");
    const st = rig.status();
    t.deepEqual([st.scheme, st.host, st.port], ["http", REGION, 80], "http kept (no TLS on this board), the host taken");
    t.deepEqual(rig.eval('JSON.parse(require("Storage").read("spool.region"))'), {
      from: "blynk.test",
      scheme: "http",
      host: REGION,
      port: 80,
    });
    t.is(rig.server.stats().duplicates, 0);
  } finally {
    await rig.close();
  }
});

test("308 from the local server (JSON body, http Location with a port): followed as before", async (t) => {
  const rig = await makeRig({ region: true, cloud: false, faults: { redirect: true }, config: { maxPointsPerRequest: 100 } });
  try {
    rig.series(0, 250, T0, 1000);
    rig.start();
    t.true(await rig.drain());
    t.is(rig.history(0).length, 250);
    t.is(rig.status().host, "127.0.0.1");
    t.is(rig.eval<{ host: string }>('JSON.parse(require("Storage").read("spool.region"))').host, "127.0.0.1");
  } finally {
    await rig.close();
  }
});

test("lost 200: the batch is sent again once, duplicates bounded by one batch", async (t) => {
  const rig = await makeRig({ faults: { dropAfterRate: 1 }, config: { maxPointsPerRequest: 100, initialWindow: 100 } });
  try {
    rig.series(0, 350, T0, 1000);
    rig.start();
    t.true(await rig.clock.runUntilAsync(() => rig.server.stats().faults.dropAfter === 1, 60_000));
    rig.server.setFaults({});
    t.true(await rig.drain());
    const h = rig.history(0);
    t.is(new Set(h.map((p) => p[0])).size, 350, "every reading arrived");
    t.is(rig.server.stats().duplicates, 100, "exactly the lost batch again");
    t.is(h.length, 450);
  } finally {
    await rig.close();
  }
});

test("Invalid token.: stops uploading, keeps every reading, shows it; a new token resumes", async (t) => {
  const rig = await makeRig({ config: { token: "wrongTokenAbcdefghijklmnopqrstu1" } });
  try {
    rig.series(0, 20, T0, 1000);
    rig.start();
    await rig.clock.advanceAsync(HOUR);
    const s = rig.status();
    t.is(s.state, "stopped-token");
    t.is(s.lastReply?.message, "Invalid token.");
    t.is(rig.requests(), 1, "no request after the stop");
    t.is(rig.storeStats().pending, 20);
    t.false(JSON.stringify(s).includes("wrongTokenAbcdefghijklmnopqrstu1"));
    t.is(s.token, "wron...stu1");
    rig.sim.eval(`t.uplink.setToken(${JSON.stringify(TOKEN)})`);
    t.true(await rig.drain());
    t.is(rig.history(0).length, 20);
  } finally {
    await rig.close();
  }
});

for (const policy of ["keep", "drop"] as const) {
  test(`a pin the server does not know is set aside (policy ${policy}); other pins go on`, async (t) => {
    const rig = await makeRig({ config: { badPinPolicy: policy } });
    try {
      const rows: Row[] = [];
      for (let i = 0; i < 30; i++) {
        rows.push([9, { epochMs: T0 + i * 1000 }, i]);
        rows.push([0, { epochMs: T0 + i * 1000 + 1 }, i]);
      }
      rig.append(rows);
      rig.start();
      await rig.clock.advanceAsync(60_000);
      t.is(rig.history(0).length, 30);
      t.deepEqual(rig.status().badPins, [9]);
      t.is(rig.status().state, "idle");
      const st = rig.storeStats();
      if (policy === "keep") {
        t.is(st.pending, 30);
        t.is(st.dropped["bad-pin"] ?? 0, 0);
      } else {
        t.is(st.pending, 0);
        t.is(st.dropped["bad-pin"], 30);
      }
      t.is(rig.server.stats().byStatus["400"], 1, "one request told us");
    } finally {
      await rig.close();
    }
  });
}

test("Too much data in batch: batches are halved until the server takes them", async (t) => {
  const rig = await makeRig({ limits: { maxBatch: 100 }, config: { maxPointsPerRequest: 1000, initialWindow: 1000 } });
  try {
    rig.series(0, 1000, T0, 1000);
    rig.start();
    t.true(await rig.drain());
    t.is(rig.history(0).length, 1000);
    t.true(rig.status().maxPointsPerRequest <= 100);
    t.is(rig.server.stats().byStatus["400"], 4, "1000 -> 500 -> 250 -> 125 -> 62");
    t.is(rig.server.stats().duplicates, 0);
  } finally {
    await rig.close();
  }
});

test("a reading rejected for its content is isolated by bisection and set aside; the rest lands", async (t) => {
  const rig = await makeRig({ config: { maxPointsPerRequest: 1000 } });
  try {
    rig.append(Array.from({ length: 200 }, (_, i): Row => [0, { epochMs: T0 + i * 1000 }, i === 137 ? "not a number" : i]));
    rig.start();
    t.true(await rig.drain());
    const h = rig.history(0);
    t.is(h.length, 199);
    t.false(h.some((p) => p[0] === T0 + 137 * 1000));
    t.is(rig.storeStats().dropped.rejected, 1);
    t.is(rig.status().dropped.rejected, 1);
    t.true(rig.server.stats().requests <= 2 * Math.ceil(Math.log2(200)) + 2, `requests: ${rig.server.stats().requests}`);
  } finally {
    await rig.close();
  }
});

test("5xx: full-jitter exponential backoff, reset after a success", async (t) => {
  const rig = await makeRig({ faults: { failNext: 6, failStatus: 503 }, config: { maxPointsPerRequest: 10 } });
  try {
    rig.series(0, 30, T0, 1000);
    rig.start();
    const delays: number[] = [];
    for (let k = 0; k < 6; k++) {
      t.true(await rig.clock.runUntilAsync(() => rig.status().state === "backoff" && rig.requests() === k + 1, 3600_000));
      const s = rig.status();
      delays.push(s.backoffMs);
      t.true(s.backoffMs >= 0 && s.backoffMs < 1000 * 2 ** k, `attempt ${k}: ${s.backoffMs}`);
      t.true(Math.abs((s.nextAttemptAt ?? NaN) - (rig.sim.uptimeMs() + s.backoffMs)) < 1, `next attempt at ${s.nextAttemptAt}`);
      t.is(s.lastReply?.status, 503);
    }
    t.true(
      delays.some((d, k) => k > 0 && d >= 1000),
      "the ceiling grew",
    );
    t.true(await rig.drain());
    t.is(rig.status().backoffMs, 0);
    t.is(rig.history(0).length, 30);
  } finally {
    await rig.close();
  }
});

test("a request that hangs is abandoned by its own timer; the late reply is ignored", async (t) => {
  const rig = await makeRig({ faults: { hangRate: 1 }, config: { requestTimeoutMs: 5000 } });
  try {
    rig.series(0, 10, T0, 1000);
    rig.start();
    await rig.clock.advanceAsync(4000, HANGING);
    t.is(rig.status().state, "sending");
    // The request went out on a 0 ms timer: Espruino's shortest delay is 0.1 ms.
    await rig.clock.advanceAsync(1001, HANGING);
    t.is(rig.status().state, "backoff");
    t.regex(rig.status().lastReply!.message, /timeout/);
    rig.server.setFaults({});
    t.true(await rig.drain());
    t.is(rig.history(0).length, 10);
  } finally {
    await rig.close();
  }
});

test("daily quota: uploads pause until the next UTC day, and the count survives a reboot", async (t) => {
  const rig = await makeRig({ config: { dailyQuota: 300, maxPointsPerRequest: 200 } });
  try {
    rig.series(0, 500, T0, 1000);
    rig.start();
    await rig.clock.advanceAsync(60_000);
    const s = rig.status();
    t.is(s.state, "paused-quota");
    t.is(rig.history(0).length, 300);
    t.is(s.quotaUsed, 300);
    // One quota log at rest (a full one is erased once the other holds the count), decoded as docs/flash-format.md says.
    const logs: string[] = rig.eval('require("Storage").list(/^spool\\.quota/).map(function(n){return require("Storage").read(n);})');
    t.is(logs.length, 1);
    t.deepEqual(newestQuota(logs.map(binaryBytes)), { day: Math.floor(BASE_EPOCH / 86400_000), used: 300, req: s.requestsToday });
    // A power cycle: the new boot still knows the day is used up.
    rig.reboot();
    t.is(rig.status().quotaUsed, 300);
    const requests = rig.requests();
    await rig.clock.advanceAsync(12 * HOUR);
    t.is(rig.requests(), requests, "no request burnt while paused");
    t.is(rig.status().state, "paused-quota");
    t.true(await rig.drain(24 * HOUR));
    t.is(rig.history(0).length, 500);
    t.true(rig.clock.trueEpochMs() >= BASE_EPOCH + 24 * HOUR);
  } finally {
    await rig.close();
  }
});

test('a quota reply that says "quota" (the local server\'s wording) pauses uploads instead of retrying', async (t) => {
  const rig = await makeRig({ cloud: false, limits: { dailyQuota: 100 }, config: { maxPointsPerRequest: 60, initialWindow: 60 } });
  try {
    rig.series(0, 200, T0, 1000);
    rig.start();
    await rig.clock.advanceAsync(HOUR);
    t.is(rig.status().state, "paused-quota");
    t.is(rig.history(0).length, 60);
    t.is(rig.server.stats().quotaRejected, 1);
  } finally {
    await rig.close();
  }
});

test("readings past the maximum age are dropped and counted before sending", async (t) => {
  const rig = await makeRig();
  try {
    rig.series(0, 40, BASE_EPOCH - 31 * 24 * HOUR, 1000);
    rig.series(0, 10, T0, 1000);
    rig.start();
    t.true(await rig.drain());
    t.is(rig.history(0).length, 10);
    t.is(rig.storeStats().dropped["too-old"], 40);
    t.is(rig.server.stats().dropped.tooOld, 0, "none reached the server");
  } finally {
    await rig.close();
  }
});

test("readings whose time is not known yet wait without blocking the queue", async (t) => {
  const rig = await makeRig();
  try {
    const bootId = rig.storeStats().bootId;
    const earlier = bootId - 1; // a boot before this one, whose clock was never known
    t.true(earlier >= 0);
    const rows: Row[] = [];
    for (let i = 0; i < 20; i++) {
      rows.push([0, { bootId: earlier, uptimeMs: i * 1000 }, i]);
      rows.push([0, { epochMs: T0 + i * 1000 }, 100 + i]);
      rows.push([1, { epochMs: T0 + i * 1000 }, 200 + i]);
    }
    rig.append(rows);
    rig.start();
    await rig.clock.advanceAsync(60_000);
    t.is(rig.history(0).length, 20);
    t.is(rig.history(1).length, 20);
    t.is(rig.storeStats().pending, 20);
    t.is(rig.status().waitingForTime, 20);
    rig.sim.eval(`t.setOffset(${earlier}, ${T0 - 50_000})`);
    t.true(await rig.drain());
    t.is(rig.history(0).length, 40);
    t.is(rig.server.stats().duplicates, 0);
  } finally {
    await rig.close();
  }
});

test("offline: nothing is tried; when the link returns the backlog flushes; new readings follow within flushDelayMs", async (t) => {
  const rig = await makeRig({ linkUp: false, config: { flushDelayMs: 10_000 } });
  try {
    rig.series(0, 10, T0, 1000);
    rig.start();
    await rig.clock.advanceAsync(HOUR);
    t.is(rig.status().state, "offline");
    t.is(rig.requests(), 0);
    rig.setLink(true);
    t.true(await rig.drain(60_000));
    t.is(rig.history(0).length, 10);
    await rig.clock.advanceAsync(5000);
    rig.append([[0, { epochMs: rig.clock.trueEpochMs() }, 1]]);
    // Sent within flushDelayMs, and the exchange's own tasks (the first piece and the reply's
    // handling each run in a task of their own, src/device/uplink/stream.ts).
    await rig.clock.advanceAsync(10_100);
    t.is(rig.history(0).length, 11);
    t.true(await rig.drain(60_000));
    t.false(rig.sim.output().join("\n").includes(TOKEN));
  } finally {
    await rig.close();
  }
});
