import test from "ava";
import fc from "fast-check";
import { parseHttpDate } from "../src/device/clock/http-date.ts";
import { TimeKeeper, applyHttpDate } from "../src/device/clock/timekeeper.ts";
import type { Anchor } from "../src/device/types.ts";
import { Device, MemoryAnchorLog, World } from "./helpers/clock-env.ts";
import { HOUR, Rig, START, maxAbs } from "./helpers/clock-scenario.ts";
import { clockStatus, resolve } from "../src/device/clock/past-boots.ts";

/** What a server puts in its Date header when it answers at `trueMs`. */
function dateHeader(trueMs: number): string {
  return new Date(trueMs).toUTCString();
}

test("parses every IMF-fixdate of 2024..2099 to the second", (t) => {
  fc.assert(
    fc.property(fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2100, 0, 1) - 1 }), (ms) => {
      return parseHttpDate(dateHeader(ms)) === Math.floor(ms / 1000) * 1000;
    }),
    { numRuns: 2000 },
  );
  t.is(parseHttpDate("  Thu, 29 Feb 2024 23:59:59 GMT "), Date.UTC(2024, 1, 29, 23, 59, 59));
});

test("refuses other forms with a reason that names the part", (t) => {
  const cases: [string, RegExp][] = [
    ["Sun, 06 Nov 1994 08:49:37 GMT", /year 1994 is out of range/],
    ["Sunday, 06-Nov-94 08:49:37 GMT", /expected 'Www, DD Mon YYYY hh:mm:ss GMT'/],
    ["Sun Nov  6 08:49:37 2025", /expected/],
    ["Mon, 06 Nov 2025 08:49:37 GMT", /weekday Mon, does not match/],
    ["Sat, 30 Feb 2025 08:49:37 GMT", /day 30 does not exist in Feb 2025/],
    ["Thu, 06 Foo 2025 08:49:37 GMT", /unknown month 'Foo'/],
    ["Thu, 06 Nov 2025 24:00:00 GMT", /hour 24 is out of range/],
    ["Thu, 06 Nov 2025 08:4x:37 GMT", /minute '4x' is not a number/],
    ["Thu, 06 Nov 2025 08:49:37 UTC", /expected/],
    ["", /expected/],
  ];
  for (const [header, message] of cases) t.throws(() => parseHttpDate(header), { message }, header);
});

test("HTTP Date is used only before the first SNTP reply, coarse, then superseded", (t) => {
  const rig = new Rig();
  // No hold-off: coarse anchors place this boot's readings at once (what is measured here).
  const clock = rig.boot({ driftPpm: 35, coarseHoldOffMs: 0 });
  const keeper = clock.keeper;
  rig.sample(10000);
  rig.world.advance(30 * 60000);
  const latency = 120;
  t.true(applyHttpDate(keeper, dateHeader(rig.world.trueMs - latency), parseHttpDate));
  let st = clockStatus(keeper);
  t.is(st.source, "http-date");
  t.false(st.synced);
  t.deepEqual(
    rig.anchors.map((a) => a.coarse),
    [true],
  );
  t.true(Math.abs(rig.dev.hal.now() - rig.world.trueMs) <= 1000 + latency, "clock set roughly");
  rig.world.advance(10 * 60000);
  t.true(applyHttpDate(keeper, dateHeader(rig.world.trueMs - latency), parseHttpDate));
  t.is(rig.anchors.length, 1, "at most one coarse anchor an hour");
  t.true(
    rig.readings.every((r) => "bootId" in r.stamp),
    "stamps stay (boot, uptime) while coarse",
  );
  const coarse = rig.errors();
  t.true(coarse.every((e) => e !== undefined));
  t.true(maxAbs(coarse) <= 1000 + latency + 35e-6 * HOUR, "coarse max " + maxAbs(coarse));
  t.log(`coarse: max error ${maxAbs(coarse).toFixed(0)} ms`);

  rig.online();
  st = clockStatus(keeper);
  t.is(st.source, "sntp");
  t.true(st.synced);
  t.false(applyHttpDate(keeper, dateHeader(rig.world.trueMs + 5000), parseHttpDate), "ignored after SNTP");
  t.is(rig.anchors.length, 2);
  rig.world.advance(60000);
  const fine = rig.errors();
  t.true(maxAbs(fine) < 50 + 35e-6 * 41 * 60000, "SNTP supersedes the coarse anchor: max " + maxAbs(fine));
  t.log(`after SNTP: max error ${maxAbs(fine).toFixed(0)} ms`);
});

test("with UDP blocked, coarse anchors still resolve readings after a reboot", (t) => {
  const rig = new Rig();
  rig.world.servers.ntp.behavior = "silent";
  for (let boot = 0; boot < 2; boot++) {
    const clock = rig.boot({ driftPpm: -20 });
    rig.sample(10000);
    rig.world.advance(20 * 60000);
    clock.start();
    rig.world.advance(60000);
    t.true(applyHttpDate(clock.keeper, dateHeader(rig.world.trueMs - 80), parseHttpDate));
    rig.world.advance(20 * 60000);
    t.regex(clockStatus(clock.keeper).lastError ?? "", /timeout/);
    rig.powerCycle(4000);
  }
  rig.boot({ driftPpm: -20 });
  const errs = rig.errors();
  t.true(errs.every((e) => e !== undefined));
  t.true(maxAbs(errs) <= 1100, "max " + maxAbs(errs));
  t.is(clockStatus(rig.clock.keeper).driftPpm, undefined, "no drift from coarse anchors");
});

test("a precise anchor of a boot wins over its coarse one after reboot; garbage headers are reported", (t) => {
  const world = new World(START);
  const dev = new Device(world, { driftPpm: 0 });
  const anchors: Anchor[] = [
    { bootId: 1, uptimeMs: 1000, epochMs: START + 1900, coarse: true },
    { bootId: 1, uptimeMs: 3600000, epochMs: START + 3600000 },
    { bootId: 1, uptimeMs: 7200000, epochMs: START + 7200000, coarse: true },
  ];
  const keeper = new TimeKeeper({ hal: dev.hal, log: new MemoryAnchorLog(anchors, 2) });
  t.is(resolve(keeper, { bootId: 1, uptimeMs: 1000 }), START + 1000);
  t.is(resolve(keeper, { bootId: 1, uptimeMs: 7200000 }), START + 7200000);
  t.is(clockStatus(keeper).source, "none");
  t.false(applyHttpDate(keeper, "yesterday", parseHttpDate));
  t.regex(clockStatus(keeper).lastError ?? "", /HTTP Date: expected/);
  t.is(anchors.length, 3);
});
