import test from "ava";
import { makeRig, appendSeries, TOKEN, BASE_EPOCH } from "./uplink-harness.ts";

test("a backlog on two pins lands exactly once, in order, with exact Content-Length", async (t) => {
  const rig = await makeRig();
  try {
    for (let i = 0; i < 500; i++) {
      rig.store.append({ pin: 0, stamp: { epochMs: BASE_EPOCH - 3600_000 + i * 1000 }, value: Math.fround(20 + i / 100) });
      rig.store.append({ pin: 1, stamp: { epochMs: BASE_EPOCH - 3600_000 + i * 1000 + 1 }, value: i * 0.1 });
    }
    rig.uplink.start();
    t.true(await rig.drain());
    const h0 = rig.history(0);
    const h1 = rig.history(1);
    t.is(h0.length, 500);
    t.is(h1.length, 500);
    t.deepEqual(h0.map((p) => p[0]), Array.from({ length: 500 }, (_, i) => BASE_EPOCH - 3600_000 + i * 1000));
    t.true(h0.every((p, i) => Math.fround(p[1] as number) === Math.fround(20 + i / 100)));
    // Doubles travel with up to 15 significant digits (see docs/uplink.md).
    t.true(h1.every((p, i) => Math.abs((p[1] as number) - i * 0.1) <= 1e-15 * i * 0.1));
    t.is(rig.server.stats().duplicates, 0);
    t.is(rig.uplink.status().pointsDelivered, 1000);
    t.is(rig.uplink.status().requests, 2);
  } finally {
    await rig.close();
  }
});

const HOUR = 3600_000;
const T0 = BASE_EPOCH - HOUR;

test("308: the same POST is repeated at Location, and the region is remembered", async (t) => {
  const rig = await makeRig({ region: true, faults: { redirect: true }, config: { maxPointsPerRequest: 100 } });
  try {
    appendSeries(rig.store, 0, 250, T0, 1000);
    rig.uplink.start();
    t.true(await rig.drain());
    t.is(rig.history(0).length, 250);
    t.is(rig.server.stats().faults.redirect, 1, "only the first request was redirected");
    t.is(rig.uplink.status().host, "127.0.0.1");
    t.is(JSON.parse(rig.storage.read("spool.region")!).host, "127.0.0.1");
    t.is(rig.server.stats().duplicates, 0);
  } finally {
    await rig.close();
  }
});

test("lost 200: the batch is sent again once, duplicates bounded by one batch", async (t) => {
  const rig = await makeRig({ faults: { dropAfterRate: 1 }, config: { maxPointsPerRequest: 100 } });
  try {
    appendSeries(rig.store, 0, 350, T0, 1000);
    rig.uplink.start();
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
    appendSeries(rig.store, 0, 20, T0, 1000);
    rig.uplink.start();
    await rig.clock.advanceAsync(HOUR);
    const s = rig.uplink.status();
    t.is(s.state, "stopped-token");
    t.is(s.lastReply?.message, "Invalid token.");
    t.is(rig.http.requests, 1, "no request after the stop");
    t.is(rig.store.stats().pending, 20);
    t.false(JSON.stringify(s).includes("wrongTokenAbcdefghijklmnopqrstu1"));
    t.is(s.token, "wron...stu1");
    rig.uplink.setToken(TOKEN);
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
      for (let i = 0; i < 30; i++) {
        rig.store.append({ pin: 9, stamp: { epochMs: T0 + i * 1000 }, value: i });
        rig.store.append({ pin: 0, stamp: { epochMs: T0 + i * 1000 + 1 }, value: i });
      }
      rig.uplink.start();
      await rig.clock.advanceAsync(60_000);
      t.is(rig.history(0).length, 30);
      t.deepEqual(rig.uplink.status().badPins, [9]);
      t.is(rig.uplink.status().state, "idle");
      if (policy === "keep") {
        t.is(rig.store.stats().pending, 30);
        t.is(rig.store.stats().dropped["bad-pin"] ?? 0, 0);
      } else {
        t.is(rig.store.stats().pending, 0);
        t.is(rig.store.stats().dropped["bad-pin"], 30);
      }
      t.is(rig.server.stats().byStatus["400"], 1, "one request told us");
    } finally {
      await rig.close();
    }
  });
}

test("Too much data in batch: batches are halved until the server takes them", async (t) => {
  const rig = await makeRig({ limits: { maxBatch: 100 }, config: { maxPointsPerRequest: 1000 } });
  try {
    appendSeries(rig.store, 0, 1000, T0, 1000);
    rig.uplink.start();
    t.true(await rig.drain());
    t.is(rig.history(0).length, 1000);
    t.true(rig.uplink.status().maxPointsPerRequest <= 100);
    t.is(rig.server.stats().byStatus["400"], 4, "1000 -> 500 -> 250 -> 125 -> 62");
    t.is(rig.server.stats().duplicates, 0);
  } finally {
    await rig.close();
  }
});

test("a reading rejected for its content is isolated by bisection and set aside; the rest lands", async (t) => {
  const rig = await makeRig({ config: { maxPointsPerRequest: 1000 } });
  try {
    appendSeries(rig.store, 0, 200, T0, 1000, (i) => (i === 137 ? "not a number" : i));
    rig.uplink.start();
    t.true(await rig.drain());
    const h = rig.history(0);
    t.is(h.length, 199);
    t.false(h.some((p) => p[0] === T0 + 137 * 1000));
    t.is(rig.store.stats().dropped.rejected, 1);
    t.is(rig.uplink.status().dropped.rejected, 1);
    t.true(rig.server.stats().requests <= 2 * Math.ceil(Math.log2(200)) + 2, `requests: ${rig.server.stats().requests}`);
  } finally {
    await rig.close();
  }
});

test("5xx: full-jitter exponential backoff, reset after a success", async (t) => {
  const rig = await makeRig({ faults: { failNext: 6, failStatus: 503 }, config: { maxPointsPerRequest: 10 } });
  try {
    appendSeries(rig.store, 0, 30, T0, 1000);
    rig.uplink.start();
    const delays: number[] = [];
    for (let k = 0; k < 6; k++) {
      t.true(await rig.clock.runUntilAsync(() => rig.uplink.status().state === "backoff" && rig.http.requests === k + 1, 3600_000));
      const s = rig.uplink.status();
      delays.push(s.backoffMs);
      t.true(s.backoffMs >= 0 && s.backoffMs < 1000 * 2 ** k, `attempt ${k}: ${s.backoffMs}`);
      t.is(s.nextAttemptAt, rig.uptime() + s.backoffMs);
      t.is(s.lastReply?.status, 503);
    }
    t.true(delays.some((d, k) => k > 0 && d >= 1000), "the ceiling grew");
    t.true(await rig.drain());
    t.is(rig.uplink.status().backoffMs, 0);
    t.is(rig.history(0).length, 30);
  } finally {
    await rig.close();
  }
});

test("a request that hangs is abandoned by its own timer; the late reply is ignored", async (t) => {
  const rig = await makeRig({ faults: { hangRate: 1 }, config: { requestTimeoutMs: 5000 } });
  try {
    appendSeries(rig.store, 0, 10, T0, 1000);
    rig.uplink.start();
    await rig.clock.advanceAsync(4000);
    t.is(rig.uplink.status().state, "sending");
    await rig.clock.advanceAsync(1000);
    t.is(rig.uplink.status().state, "backoff");
    t.regex(rig.uplink.status().lastReply!.message, /timeout/);
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
    appendSeries(rig.store, 0, 500, T0, 1000);
    rig.uplink.start();
    await rig.clock.advanceAsync(60_000);
    const s = rig.uplink.status();
    t.is(s.state, "paused-quota");
    t.is(rig.history(0).length, 300);
    t.is(s.quotaUsed, 300);
    t.deepEqual(JSON.parse(rig.storage.read("spool.quota")!), { day: Math.floor(BASE_EPOCH / 86400_000), used: 300 });
    // A reboot (new uplink over the same Storage) still knows the day is used up.
    const { createUplink } = await import("../src/device/uplink/index.ts");
    const again = createUplink({
      hal: { http: rig.http, storage: rig.storage, uptime: rig.uptime, setTimeout: () => 0, clearTimeout: () => {}, random: () => 0.5, log: () => {} },
      store: rig.store,
      resolver: rig.resolver,
      config: { token: TOKEN, host: "blynk.test", scheme: "http", dailyQuota: 300 },
    });
    t.is(again.status().quotaUsed, 300);
    const requests = rig.http.requests;
    await rig.clock.advanceAsync(12 * HOUR);
    t.is(rig.http.requests, requests, "no request burnt while paused");
    t.true(await rig.drain(24 * HOUR));
    t.is(rig.history(0).length, 500);
    t.true(rig.clock.trueEpochMs() >= BASE_EPOCH + 24 * HOUR);
  } finally {
    await rig.close();
  }
});

test("the server's quota reply pauses uploads instead of retrying", async (t) => {
  const rig = await makeRig({ limits: { dailyQuota: 100 }, config: { maxPointsPerRequest: 60 } });
  try {
    appendSeries(rig.store, 0, 200, T0, 1000);
    rig.uplink.start();
    await rig.clock.advanceAsync(HOUR);
    t.is(rig.uplink.status().state, "paused-quota");
    t.is(rig.history(0).length, 60);
    t.is(rig.server.stats().quotaRejected, 1);
  } finally {
    await rig.close();
  }
});

test("readings past the maximum age are dropped and counted before sending", async (t) => {
  const rig = await makeRig();
  try {
    appendSeries(rig.store, 0, 40, BASE_EPOCH - 31 * 24 * HOUR, 1000);
    appendSeries(rig.store, 0, 10, T0, 1000);
    rig.uplink.start();
    t.true(await rig.drain());
    t.is(rig.history(0).length, 10);
    t.is(rig.store.stats().dropped["too-old"], 40);
    t.is(rig.server.stats().dropped.tooOld, 0, "none reached the server");
  } finally {
    await rig.close();
  }
});

test("readings whose time is not known yet wait without blocking the queue", async (t) => {
  const rig = await makeRig();
  try {
    for (let i = 0; i < 20; i++) {
      rig.store.append({ pin: 0, stamp: { bootId: 0, uptimeMs: i * 1000 }, value: i });
      rig.store.append({ pin: 0, stamp: { epochMs: T0 + i * 1000 }, value: 100 + i });
      rig.store.append({ pin: 1, stamp: { epochMs: T0 + i * 1000 }, value: 200 + i });
    }
    rig.uplink.start();
    await rig.clock.advanceAsync(60_000);
    t.is(rig.history(0).length, 20);
    t.is(rig.history(1).length, 20);
    t.is(rig.store.stats().pending, 20);
    t.is(rig.uplink.status().waitingForTime, 20);
    rig.resolver.offsets.set(0, T0 - 50_000);
    rig.uplink.notifyClockChanged();
    t.true(await rig.drain());
    t.is(rig.history(0).length, 40);
    t.is(rig.server.stats().duplicates, 0);
  } finally {
    await rig.close();
  }
});

test("offline: nothing is tried; when the link returns the backlog flushes; new readings follow within flushDelayMs", async (t) => {
  const rig = await makeRig({ config: { flushDelayMs: 10_000 } });
  try {
    rig.link.up = false;
    appendSeries(rig.store, 0, 10, T0, 1000);
    rig.uplink.start();
    await rig.clock.advanceAsync(HOUR);
    t.is(rig.uplink.status().state, "offline");
    t.is(rig.http.requests, 0);
    rig.link.set(true);
    t.true(await rig.drain(60_000));
    t.is(rig.history(0).length, 10);
    await rig.clock.advanceAsync(5000);
    rig.store.append({ pin: 0, stamp: { epochMs: rig.clock.trueEpochMs() }, value: 1 });
    rig.uplink.notifyAppended();
    const at = rig.clock.now;
    t.true(await rig.drain(60_000));
    t.true(rig.clock.now - at <= 10_000);
    t.is(rig.history(0).length, 11);
    t.false(rig.logs.join("\n").includes(TOKEN));
  } finally {
    await rig.close();
  }
});
