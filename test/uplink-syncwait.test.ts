// The first flush after the link comes up waits for the clock's SNTP round: the round it starts,
// or beside a round already under way the clock change that round brings, at most syncWaitMs;
// spool.flush() does not cut that wait short (flushing beside the round overlapped the parts that
// write its anchor: docs/memory.md "Inside a flush"). The uplink runs in the simulated Espruino.
import test from "ava";
import { bootUplinkEntry, TOKEN } from "./uplink-harness.ts";

/** The uplink's default syncWaitMs (src/device/uplink/uplink.ts). */
const SYNC_WAIT_MS = 3000;

/** ms from the link coming up to the uplink's first request. */
async function firstRequestAt(sync: Record<string, unknown>, duringWait: string[] = []): Promise<number> {
  const { world, server, sim, close } = await bootUplinkEntry({ wifi: true });
  try {
    const blynk = { token: TOKEN, host: "blynk.test", scheme: "http", port: 80 };
    sim.eval(`t.start(${JSON.stringify({ wifi: { ssid: "home", password: "secret" }, blynk, ...sync })})`);
    sim.eval("t.append(0, 10, 1000)");
    // The wait starts when the link comes up (the WiFi join takes the simulation about 2 s).
    if (!(await world.clock.runUntilAsync(() => sim.eval("t.net.isUp()") === true, 60_000))) throw new Error("the link did not come up");
    const t0 = world.clock.trueEpochMs();
    // Each line 1 s after the last.
    for (const line of duringWait) {
      await world.clock.advanceAsync(1000);
      if (sim.net.requests === 0) sim.eval(line);
    }
    if (!(await world.clock.runUntilAsync(() => sim.net.requests > 0, 60_000))) throw new Error("no request within a minute");
    const at = world.clock.trueEpochMs() - t0;
    if (!(await world.clock.runUntilAsync(() => server.history(TOKEN, "V0").length === 10, 60_000)))
      throw new Error("the readings did not land");
    return at;
  } finally {
    await close();
  }
}

test("beside a round under way the first request waits for the clock change, and spool.flush() does not cut that short", async (t) => {
  const at = await firstRequestAt({ roundUnderWay: true }, ["t.flush()", "t.clockChanged()"]);
  t.true(at >= 2000 && at < 2500, `first request after ${at} ms`);
});

test("beside a round under way that brings no clock change the first request goes after syncWaitMs", async (t) => {
  const at = await firstRequestAt({ roundUnderWay: true }, ["t.flush()"]);
  t.true(at >= SYNC_WAIT_MS && at < SYNC_WAIT_MS + 500, `first request after ${at} ms`);
});

test("a round the flush starts is waited for only until it answers", async (t) => {
  const at = await firstRequestAt({ roundMs: 500 });
  t.true(at >= 500 && at < SYNC_WAIT_MS, `first request after ${at} ms`);
});

test("without a clock to sync the first request goes at once", async (t) => {
  const at = await firstRequestAt({});
  t.true(at < 500, `first request after ${at} ms`);
});

/** ms from the link coming up to the time probe of a boot without time, with no reading to send. */
async function probeAt(sync: Record<string, unknown>, syncFirst: boolean): Promise<{ at: number }> {
  const { world, sim, close } = await bootUplinkEntry({ wifi: true });
  try {
    const blynk = { token: TOKEN, host: "blynk.test", scheme: "http", port: 80, syncFirst: syncFirst };
    sim.eval(`t.start(${JSON.stringify({ wifi: { ssid: "home", password: "secret" }, blynk, noTime: true, ...sync })})`);
    if (!(await world.clock.runUntilAsync(() => sim.eval("t.net.isUp()") === true, 60_000))) throw new Error("the link did not come up");
    const t0 = world.clock.trueEpochMs();
    // Nothing is buffered: the one request there is to make is the probe.
    if (!(await world.clock.runUntilAsync(() => sim.net.requests > 0, 60_000))) throw new Error("no request within a minute");
    return { at: world.clock.trueEpochMs() - t0 };
  } finally {
    await close();
  }
}

test("a boot without time probes at once beside the SNTP round, or after it with syncFirst (a board whose memory holds one of the two)", async (t) => {
  const now = await probeAt({ roundMs: 1500 }, false);
  t.true(now.at < 500, `probe after ${now.at} ms`);
  const after = await probeAt({ roundMs: 1500 }, true);
  t.true(after.at >= 1500 && after.at < SYNC_WAIT_MS, `probe after ${after.at} ms`);
});
