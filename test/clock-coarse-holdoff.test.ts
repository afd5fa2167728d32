/**
 * The coarse hold-off: readings that only an HTTP Date of this boot can place wait while SNTP
 * may still answer; with NTP blocked they go out with the coarse time once SNTP has been
 * failing for the hold-off.
 */
import test from "ava";
import { HOUR, Rig, maxAbs } from "./helpers/clock-scenario.ts";
import { classify, clockStatus } from "../src/device/clock/past-boots.ts";
import { parseHttpDate } from "../src/device/clock/http-date.ts";
import { applyHttpDate, coarseAllowed } from "../src/device/clock/timekeeper.ts";

const HOLD_OFF_MS = 600000;

function dateHeader(trueMs: number): string {
  return new Date(trueMs).toUTCString();
}

/** A boot offline for 30 min with a reading every 10 s, then the network: an HTTP reply first. */
function rebootedWithoutTime(rig: Rig): void {
  rig.boot({ driftPpm: 30 });
  rig.sample(10000);
  rig.world.advance(30 * 60000);
}

test("SNTP answers soon after the HTTP Date: readings wait for it and go with SNTP precision", (t) => {
  const rig = new Rig();
  rebootedWithoutTime(rig);
  const keeper = rig.clock.keeper;
  // The first HTTP reply arrives before SNTP's: a coarse anchor, but the readings wait.
  t.true(applyHttpDate(keeper, dateHeader(rig.world.trueMs - 100), parseHttpDate));
  t.deepEqual(
    rig.anchors.map((a) => a.coarse),
    [true],
  );
  const held = rig.errors();
  t.true(held.length > 100);
  t.true(
    held.every((e) => e === undefined),
    "nothing resolves through the coarse anchor yet",
  );
  const r = classify(keeper, rig.readings[0].stamp);
  t.is(r.kind, "pending");
  t.regex(r.kind === "pending" ? r.reason : "", /waiting for SNTP/);
  t.false(coarseAllowed(keeper));
  // SNTP answers a moment later.
  rig.online();
  t.true(coarseAllowed(keeper), "not needed any more");
  const errs = rig.errors();
  t.true(errs.every((e) => e !== undefined));
  const bound = 50 + 30e-6 * 31 * 60000;
  t.true(maxAbs(errs) < bound, `max ${maxAbs(errs)} ms, bound ${bound}`);
  t.log(`held through the HTTP Date, then SNTP: max error ${maxAbs(errs).toFixed(1)} ms`);
});

test("NTP blocked: readings wait for the hold-off after SNTP's first failure, then go with the coarse time", (t) => {
  const rig = new Rig();
  rig.world.servers.ntp.behavior = "silent";
  rebootedWithoutTime(rig);
  const keeper = rig.clock.keeper;
  t.true(applyHttpDate(keeper, dateHeader(rig.world.trueMs - 100), parseHttpDate));
  rig.clock.start();
  rig.world.advance(5000);
  t.regex(clockStatus(rig.clock.keeper).lastError ?? "", /timeout/, "SNTP failed once");
  t.true(
    rig.errors().every((e) => e === undefined),
    "held right after the first failure",
  );
  rig.world.advance(HOLD_OFF_MS - 30000);
  t.false(coarseAllowed(keeper), "still held just before the hold-off ends");
  t.true(rig.errors().every((e) => e === undefined));
  // The SNTP retries keep failing (every 15 s, doubling to 15 min): the next one after the
  // hold-off ends it.
  rig.world.advance(20 * 60000);
  t.true(coarseAllowed(keeper));
  const errs = rig.errors();
  t.true(
    errs.every((e) => e !== undefined),
    "every reading resolves with the coarse time",
  );
  t.true(maxAbs(errs) <= 1000 + 100 + 30e-6 * HOUR, "coarse max " + maxAbs(errs));
  t.log(`NTP blocked, after the hold-off: max error ${maxAbs(errs).toFixed(0)} ms`);
});

test("the hold-off end is reported once, on the SNTP failure after it; no SNTP failure keeps the readings waiting", (t) => {
  const rig = new Rig();
  rig.world.servers.ntp.behavior = "silent";
  const calls: number[] = [];
  rig.boot({ driftPpm: 0, onChange: () => calls.push(rig.dev.hal.uptime()) });
  rig.sample(10000);
  rig.world.advance(60000);
  const keeper = rig.clock.keeper;
  t.true(applyHttpDate(keeper, dateHeader(rig.world.trueMs), parseHttpDate));
  rig.world.advance(HOUR);
  t.false(coarseAllowed(keeper), "SNTP never tried: it may still answer");
  t.true(rig.errors().every((e) => e === undefined));
  rig.clock.start();
  const started = rig.dev.hal.uptime();
  rig.world.advance(HOUR);
  t.is(calls.length, 1);
  t.true(calls[0] - started >= HOLD_OFF_MS, `reported ${calls[0] - started} ms after SNTP started`);
  t.true(calls[0] - started < HOLD_OFF_MS + 15 * 60000, "on the first retry after the hold-off");
  t.true(rig.errors().every((e) => e !== undefined));
});

test("a past boot's coarse anchor resolves at once; an unanchored past boot bounded by this boot's coarse anchor waits", (t) => {
  const rig = new Rig();
  // Boot 1: synced by SNTP; then NTP gets blocked.
  rig.boot({ driftPpm: 10 });
  rig.online();
  rig.sample(10000);
  rig.world.advance(20 * 60000);
  rig.powerCycle(3000);
  // Boot 2: never anchored.
  rig.world.servers.ntp.behavior = "silent";
  rig.boot({ driftPpm: 10 });
  rig.sample(10000);
  rig.world.advance(5 * 60000);
  rig.powerCycle(3000);
  // Boot 3: an HTTP Date only, so far.
  const clock = rig.boot({ driftPpm: 10 });
  rig.sample(10000);
  rig.world.advance(60000);
  t.true(applyHttpDate(clock.keeper, dateHeader(rig.world.trueMs), parseHttpDate));
  const b1 = rig.errors([1]);
  t.true(
    b1.every((e) => e !== undefined && Math.abs(e) < 100),
    "boot 1 has its own SNTP anchors",
  );
  t.true(
    rig.errors([2]).every((e) => e === undefined),
    "boot 2's estimate would lean on boot 3's coarse anchor: waits",
  );
  t.true(
    rig.errors([3]).every((e) => e === undefined),
    "boot 3 waits",
  );
  clock.start();
  rig.world.advance(HOUR);
  const b2 = rig.errors([2]);
  t.true(
    b2.every((e) => e !== undefined),
    "after the hold-off boot 2 is estimated",
  );
  t.true(rig.errors([3]).every((e) => e !== undefined && Math.abs(e) <= 1100));
  // A fourth boot: boot 3's coarse anchor is a past boot's now and places its readings at once.
  rig.powerCycle(3000);
  rig.boot({ driftPpm: 10 });
  t.true(rig.errors([3]).every((e) => e !== undefined && Math.abs(e) <= 1100));
});

test("coarseHoldOffMs 0 uses the coarse anchor at once; a negative one is refused", (t) => {
  const rig = new Rig();
  rig.boot({ driftPpm: 0, coarseHoldOffMs: 0 });
  rig.sample(10000);
  rig.world.advance(60000);
  t.true(applyHttpDate(rig.clock.keeper, dateHeader(rig.world.trueMs), parseHttpDate));
  t.true(rig.errors().every((e) => e !== undefined));
  t.throws(() => rig.boot({ driftPpm: 0, coarseHoldOffMs: -1 }), { message: /coarseHoldOffMs must be >= 0/ });
});
