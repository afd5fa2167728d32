// Issue 11 against the server's cloud-like mode: replies whose wordings Blynk never documented
// (the daily points quota, the monthly message limit, a device not activated) and the wrong
// region answered with `Invalid token.`. The compiled store and uplink in the simulated
// Espruino; nothing may be dropped, and the status must say what the server said.
import test from "ava";
import { makeRig, BASE_EPOCH } from "./uplink-harness.ts";

const HOUR = 3600_000;
const T0 = BASE_EPOCH - HOUR;

test("the daily points quota in words the device does not know: waited out with backoff, nothing dropped, delivered the next day", async (t) => {
  const rig = await makeRig({ limits: { dailyQuota: 100 }, config: { maxPointsPerRequest: 60, dailyQuota: 100_000 } });
  try {
    rig.series(0, 300, T0, 1000);
    rig.start();
    await rig.clock.advanceAsync(2 * HOUR);
    const st = rig.status();
    t.true(rig.history(0).length <= 100);
    t.is(rig.storeStats().pending, 300 - rig.history(0).length, "the rest kept in flash");
    t.deepEqual(st.dropped, { tooOld: 0, rejected: 0, badPin: 0, unresolvedTime: 0 });
    t.regex(st.lastReply!.message, /limit of data points/, "the server's own words in the status");
    const during = rig.requests();
    // Full jitter from 1 s doubling to a 10 min cap: about 20 the first hour, 12 an hour after.
    t.true(during <= 60, `${during} requests in two hours of refusals`);
    t.true(await rig.drain(3 * 24 * HOUR), "delivered once the quota allowed it again");
    t.is(rig.history(0).length, 300);
    t.is(rig.storeStats().pending, 0);
  } finally {
    await rig.close();
  }
});

test("the monthly message limit (429): backoff, readings kept, delivered when the plan allows again", async (t) => {
  const rig = await makeRig({ cloud: { monthlyMessages: 2 } });
  try {
    rig.series(0, 200, T0, 1000);
    rig.start();
    await rig.clock.advanceAsync(HOUR);
    t.is(rig.status().lastReply?.status, 429);
    t.regex(rig.status().lastReply!.message, /Message limit/);
    t.true(rig.storeStats().pending > 0);
    t.is(
      Object.values(rig.storeStats().dropped).reduce((a, b) => a + b, 0),
      0,
      "nothing dropped",
    );
    rig.server.setCloud({ monthlyMessages: 0 });
    t.true(await rig.drain(2 * HOUR));
    t.is(rig.history(0).length, 200);
  } finally {
    await rig.close();
  }
});

test("a device not activated yet: its 400 is the server's state; everything goes once it is activated", async (t) => {
  const rig = await makeRig({ cloud: { notActivated: ["uplink"] } });
  try {
    rig.series(0, 120, T0, 1000);
    rig.start();
    await rig.clock.advanceAsync(HOUR);
    t.deepEqual(rig.status().lastReply, { status: 400, message: "Device is not active." });
    t.is(rig.storeStats().pending, 120);
    t.is(rig.status().dropped.rejected, 0);
    rig.server.setCloud({ notActivated: [] });
    t.true(await rig.drain(2 * HOUR));
    t.is(rig.history(0).length, 120);
  } finally {
    await rig.close();
  }
});

test("the wrong region answered with Invalid token. (GeoDNS): stopped, readings kept, the status names the region as a likely cause", async (t) => {
  const rig = await makeRig({ cloud: { wrongRegion: "invalidToken" }, faults: { redirect: true } });
  try {
    rig.series(0, 50, T0, 1000);
    rig.start();
    await rig.clock.advanceAsync(HOUR);
    const st = rig.status();
    t.is(st.state, "stopped-token");
    t.is(rig.requests(), 1, "no retry with a token the server refuses");
    t.regex(st.hint ?? "", /another region: set blynk\.host/);
    t.is(rig.storeStats().pending, 50);
  } finally {
    await rig.close();
  }
});

test("no body over Blynk's 2 MB request limit: long strings that escape to twice their size split across requests", async (t) => {
  const rig = await makeRig({
    config: { maxPointsPerRequest: 10_000, initialWindow: 10_000, pieceBytes: 1024, dailyQuota: 1_000_000 },
    limits: { dailyQuota: 1_000_000 },
    flashBytes: 2 * 1024 * 1024,
  });
  try {
    // 1,024 quotes: 1 KB in flash, 2 KB escaped on the wire; 1,200 of them pass 2 MB.
    const s = '"'.repeat(1024);
    for (let i = 0; i < 1200; i += 100)
      rig.append(Array.from({ length: 100 }, (_, k) => [5, { epochMs: T0 + (i + k) * 1000 }, s] as [number, { epochMs: number }, string]));
    rig.start();
    const drained = await rig.drain(HOUR);
    if (!drained) t.log(JSON.stringify(rig.status()), JSON.stringify(rig.server.stats()));
    t.true(drained);
    t.is(rig.history(5).length, 1200);
    t.is(rig.server.stats().byStatus["413"] ?? 0, 0, "never refused for its size");
    t.is(rig.requests(), 2, "split in two requests");
    t.true(rig.status().bytesSent > 2 * 1024 * 1024, `${rig.status().bytesSent} bytes sent`);
  } finally {
    await rig.close();
  }
});

test("requests are a budget: limits.requestsPerDay caps every request, more readings go in each, the status counts them", async (t) => {
  // 240 a day = 10 an hour; 2 pins every 30 s for 3 hours want 720 requests at flushDelayMs 10 s.
  const rig = await makeRig({ config: { requestsPerDay: 240 } });
  try {
    rig.start();
    rig.eval(`t.sample(30000, ${(3 * HOUR) / 30000})`);
    await rig.clock.advanceAsync(3 * HOUR, { idleMs: 50 });
    const st = rig.status();
    // The bucket's 30 for a burst, then what is left of the day's 240 spread over what is left of it.
    t.true(rig.requests() <= 30 + 31, `${rig.requests()} requests in 3 hours`);
    t.is(st.requestsToday, rig.requests());
    t.is(st.requestsPerDay, 240);
    t.true(rig.history(0).length + rig.history(1).length >= 720 - 2 * 30, "most readings already delivered, many per request");
    t.true(await rig.drain(HOUR));
    t.is(rig.history(0).length, 360);
    t.is(rig.history(1).length, 360);
  } finally {
    await rig.close();
  }
});
