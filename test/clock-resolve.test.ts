import test from "ava";
import { DAY, HOUR, Rig, maxAbs } from "./helpers/clock-scenario.ts";
import { classify, clockStatus, resolve, unresolvedBoots } from "../src/device/clock/past-boots.ts";

const SYNC_PATH_MS = 50;

test("6 h offline at 10 s, then SNTP: every reading within 50 ms + the drift bound", (t) => {
  for (const driftPpm of [40, -25, 0]) {
    const rig = new Rig();
    rig.boot({ driftPpm });
    rig.sample(10000);
    rig.world.advance(6 * HOUR);
    rig.online();
    const anchorTrue = rig.world.trueMs - 1000;
    rig.world.advance(10 * 60000);
    const errs = rig.errors();
    t.is(errs.length, rig.readings.length);
    t.true(rig.readings.length >= 2160 + 60);
    let worstSlack = Infinity;
    rig.readings.forEach((r, i) => {
      const e = errs[i];
      t.not(e, undefined);
      const bound = SYNC_PATH_MS + Math.abs(driftPpm) * 1e-6 * Math.max(0, anchorTrue - r.trueMs);
      worstSlack = Math.min(worstSlack, bound - Math.abs(e!));
    });
    t.true(worstSlack >= 0, `drift ${driftPpm} ppm: a reading exceeded its bound by ${-worstSlack} ms`);
    t.log(`drift ${driftPpm} ppm, first boot ever: max error ${maxAbs(errs).toFixed(1)} ms`);
  }
});

test("6 h offline after a boot that learned the drift: every reading within 50 ms", (t) => {
  const rig = new Rig();
  rig.boot({ driftPpm: 40 });
  rig.online();
  rig.world.advance(12 * HOUR);
  t.true(Math.abs(clockStatus(rig.clock.keeper).driftPpm! - 40) < 2, "learned " + clockStatus(rig.clock.keeper).driftPpm);
  rig.powerCycle(2000);
  rig.boot({ driftPpm: 40 });
  rig.sample(10000);
  rig.world.advance(6 * HOUR);
  rig.online();
  const errs = rig.errors([2]);
  t.true(errs.every((e) => e !== undefined));
  t.true(maxAbs(errs) < SYNC_PATH_MS, "max " + maxAbs(errs));
  t.log(`drift 40 ppm known from the previous boot: max error ${maxAbs(errs).toFixed(1)} ms`);
});

test("two reboots offline, never synced before: the synced boot resolves, the others are reported", (t) => {
  const rig = new Rig();
  rig.boot({ driftPpm: 20 });
  rig.sample(10000);
  rig.world.advance(HOUR);
  rig.powerCycle(3000);
  rig.boot({ driftPpm: 20 });
  rig.sample(10000);
  rig.world.advance(HOUR);
  rig.powerCycle(3000);
  rig.boot({ driftPpm: 20 });
  rig.sample(10000);
  rig.world.advance(HOUR / 2);
  const keeper = rig.clock.keeper;
  rig.survey();
  t.is(clockStatus(keeper).pendingReadings, rig.readings.filter((r) => r.bootId === 3).length);
  rig.online();
  const errs3 = rig.errors([3]);
  t.true(errs3.every((e) => e !== undefined) && maxAbs(errs3) < SYNC_PATH_MS + 20e-6 * HOUR);
  const errs12 = rig.errors([1, 2]);
  t.true(
    errs12.every((e) => e === undefined),
    "no time for boots before any anchor",
  );
  const boots = unresolvedBoots(keeper);
  t.deepEqual(
    boots.map((b) => [b.bootId, b.readings, b.reason]),
    [
      [1, rig.readings.filter((r) => r.bootId === 1).length, "no earlier time known"],
      [2, rig.readings.filter((r) => r.bootId === 2).length, "no earlier time known"],
    ],
  );
  const st = clockStatus(keeper);
  t.is(st.unresolvedBoots, 2);
  t.is(st.unresolvedReadings, errs12.length);
  t.is(st.pendingReadings, 0);
});

function bracketed(policy: "wait" | "estimate" | "drop", maxEstimateWidthMs?: number) {
  const rig = new Rig();
  rig.boot({ driftPpm: 30, policy, maxEstimateWidthMs });
  rig.sample(10000);
  rig.online();
  rig.world.advance(2 * HOUR);
  rig.offline();
  // power fails between two readings: up to 10 s after the last one is never recorded
  rig.world.advance(HOUR + 7000);
  rig.powerCycle(3000);
  rig.boot({ driftPpm: 30, policy, maxEstimateWidthMs });
  rig.sample(10000);
  rig.world.advance(HOUR + 4000);
  rig.powerCycle(5000);
  rig.boot({ driftPpm: 30, policy, maxEstimateWidthMs });
  rig.sample(10000);
  rig.world.advance(40 * 60000 + 9000);
  rig.powerCycle(2000);
  rig.boot({ driftPpm: 30, policy, maxEstimateWidthMs });
  rig.sample(10000);
  rig.world.advance(20 * 60000);
  rig.online();
  rig.world.advance(60000);
  return rig;
}

test("two reboots offline between synced boots: policy estimate bounds them, order kept", (t) => {
  const rig = bracketed("estimate");
  const errs = rig.errors();
  t.true(
    errs.every((e) => e !== undefined),
    "every reading resolved",
  );
  const mid = rig.readings.map((r, i) => (r.bootId === 2 || r.bootId === 3 ? errs[i]! : 0));
  // width = the unrecorded time around the boots: < 10 s after each last reading + off time
  t.true(maxAbs(mid) <= 30000, "estimates within half the 60 s threshold: " + maxAbs(mid));
  const resolved = rig.readings.map((r) => resolve(rig.clock.keeper, r.stamp)!);
  for (let i = 1; i < resolved.length; i++) t.true(resolved[i] >= resolved[i - 1], "store order = time order at " + i);
  t.deepEqual(unresolvedBoots(rig.clock.keeper), []);
  t.log(`estimated boots: max error ${(maxAbs(mid) / 1000).toFixed(2)} s`);
  t.log(`anchored boots: max error ${maxAbs(errs.filter((_, i) => rig.readings[i].bootId % 3 === 1)).toFixed(1)} ms`);
});

/**
 * Three short boots offline between synced boots. Each reboot: about 100 ms after the last
 * reading, then 4 s until the firmware runs again (power off, the interpreter's start-up): time
 * no uptime counts.
 */
function threeShortBoots(maxEstimateWidthMs?: number): Rig {
  const rig = new Rig();
  rig.boot({ driftPpm: 20, maxEstimateWidthMs });
  rig.sample(200);
  rig.online();
  rig.world.advance(3000);
  for (let k = 0; k < 4; k++) {
    rig.offline();
    rig.world.advance(k === 0 ? 1100 : 2100);
    rig.powerCycle(4000);
    rig.boot({ driftPpm: 20, maxEstimateWidthMs });
    rig.sample(200);
  }
  rig.online();
  rig.world.advance(3000);
  return rig;
}

test("three short boots offline between synced boots, alike reboots: each placed by its share of the gaps", (t) => {
  // Splitting the unrecorded time equally between the four gaps places every boot; the midpoint
  // of each boot's own bounds would put the first one a gap early and the last one a gap late.
  const rig = threeShortBoots();
  const errs = rig.errors();
  t.true(
    errs.every((e) => e !== undefined),
    "every reading resolved",
  );
  const offline = rig.readings.map((r, i) => (r.bootId >= 2 && r.bootId <= 4 ? errs[i]! : 0));
  t.true(maxAbs(offline) <= 150, "boots 2-4 within 150 ms: " + maxAbs(offline).toFixed(0));
  t.log(`three boots between anchored ones, 4 s dark per reboot: max error ${maxAbs(offline).toFixed(0)} ms`);
});

test("the estimate width rule bounds the share's own error, not the midpoint's", (t) => {
  // Each of the three boots could have started anywhere in the same span (all the unrecorded
  // time before it or after it). The middle one's share is the midpoint: off by at most half the
  // span. The first one's is a quarter in: off by up to three quarters of it, so a width limit
  // 1.25 x the span places the middle boot only.
  const probe = threeShortBoots(0);
  probe.survey();
  const spans = unresolvedBoots(probe.clock.keeper).map((b) => Number(/in (\d+) s/.exec(b.reason)![1]));
  t.deepEqual(spans.length, 3);
  const span = spans[1] * 1000;
  t.true(span >= 16000 && span < 18000, `span ${span} ms: 4 reboots of 4 s dark and their short tails`);
  const rig = threeShortBoots(Math.round(span * 1.25));
  rig.survey();
  const kinds = [2, 3, 4].map((b) => classify(rig.clock.keeper, rig.readings.find((r) => r.bootId === b)!.stamp).kind);
  t.deepEqual(kinds, ["unresolved", "estimated", "unresolved"]);
  const why = unresolvedBoots(rig.clock.keeper).map((b) => [b.bootId, b.reason]);
  t.is(why.length, 2);
  t.regex(String(why[0][1]), /^could lie anywhere in \d+ s, the estimate up to \d+ s off$/);
  const errs = rig.errors([3]);
  t.true(
    errs.every((e) => e !== undefined && Math.abs(e) <= span * 0.625),
    "the middle boot within half the limit",
  );
});

test("a boot that recorded nothing lies in a run of offline boots: the learned reboot gap places the others", (t) => {
  // Boots 1 and 2 reach SNTP and teach how long a reboot takes (4 s dark here); 3 and 5 record
  // offline; 4 runs 15 s and records nothing (busy until the cut), so its length is in the slack.
  const rig = new Rig();
  const offlineBoot = (runMs: number, records: boolean) => {
    rig.offline();
    rig.world.advance(runMs);
    rig.powerCycle(4000);
    rig.boot({ driftPpm: 20 });
    if (records) rig.sample(200);
  };
  rig.boot({ driftPpm: 20 });
  rig.sample(200);
  rig.online();
  rig.world.advance(3000);
  rig.offline();
  rig.world.advance(1000);
  rig.powerCycle(4000);
  rig.boot({ driftPpm: 20 });
  rig.sample(200);
  rig.online();
  rig.world.advance(2000);
  offlineBoot(100, true); // -> boot 3
  offlineBoot(2100, false); // -> boot 4, silent
  rig.world.advance(15000);
  offlineBoot(0, true); // -> boot 5
  offlineBoot(2100, true); // -> boot 6, anchored below
  rig.online();
  rig.world.advance(3000);
  const errs = rig.errors();
  t.true(
    errs.every((e) => e !== undefined),
    "every reading resolved",
  );
  const offline = rig.readings.map((r, i) => (r.bootId === 3 || r.bootId === 5 ? errs[i]! : 0));
  t.true(maxAbs(offline) <= 300, "boots 3 and 5 within 300 ms: " + maxAbs(offline).toFixed(0));
  t.log(`a silent 15 s boot between two offline boots: max error ${maxAbs(offline).toFixed(0)} ms`);
});

test("two reboots offline between synced boots: too wide, wait and drop keep or drop them", (t) => {
  const narrow = bracketed("estimate", 20000);
  narrow.survey();
  const boots = unresolvedBoots(narrow.clock.keeper);
  t.deepEqual(
    boots.map((b) => b.bootId),
    [2, 3],
  );
  t.regex(boots[0].reason, /^could lie anywhere in \d+ s, the estimate up to \d+ s off$/);
  const width = Number(/(\d+) s/.exec(boots[0].reason)![1]);
  t.true(width > 20 && width < 45, "width " + width);
  t.is(clockStatus(narrow.clock.keeper).unresolvedReadings, boots[0].readings + boots[1].readings);

  const wait = bracketed("wait");
  wait.survey();
  const w = wait.readings.filter((r) => r.bootId === 2).map((r) => classify(wait.clock.keeper, r.stamp).kind);
  t.true(w.every((k) => k === "unresolved"));
  t.is(unresolvedBoots(wait.clock.keeper).length, 2);

  const drop = bracketed("drop");
  drop.survey();
  const d = drop.readings.map((r) => classify(drop.clock.keeper, r.stamp).kind);
  t.true(d.every((k, i) => (drop.readings[i].bootId === 2 || drop.readings[i].bootId === 3 ? k === "drop" : k !== "drop")));
});

test("100 ppm for 3 days offline: drift learned from syncs 6 h apart keeps errors under 1 s", (t) => {
  // (a) no reboot: readings carry the drift-corrected time
  const rig = new Rig();
  rig.boot({ driftPpm: 100 });
  rig.online();
  rig.world.advance(6 * HOUR);
  rig.offline();
  const learned = clockStatus(rig.clock.keeper).driftPpm!;
  t.true(Math.abs(learned - 100) < 2, "learned " + learned);
  rig.sample(60000);
  rig.world.advance(3 * DAY);
  rig.stopSampling();
  rig.online();
  const errs = rig.errors();
  const naive = rig.readings.map((r) => r.localMs - r.trueMs);
  t.true(maxAbs(errs) < 1000, "corrected max " + maxAbs(errs));
  t.true(maxAbs(naive) > 25000, "uncorrected clock max " + maxAbs(naive));
  t.log(`no reboot: max error ${maxAbs(errs).toFixed(0)} ms (uncorrected clock ${(maxAbs(naive) / 1000).toFixed(1)} s)`);

  // (b) reboot at the start of the outage: resolved backwards from the next anchor
  const rb = new Rig();
  rb.boot({ driftPpm: 100 });
  rb.online();
  rb.world.advance(6 * HOUR);
  rb.powerCycle(1000);
  rb.boot({ driftPpm: 100 });
  rb.sample(60000);
  rb.world.advance(3 * DAY);
  rb.online();
  const e2 = rb.errors([2]);
  t.true(e2.every((e) => e !== undefined) && maxAbs(e2) < 1000, "max " + maxAbs(e2));
  t.log(`reboot at outage start: max error ${maxAbs(e2).toFixed(0)} ms`);

  // (c) the same without a learned drift: the error the correction removes
  const rc = new Rig();
  rc.boot({ driftPpm: 100 });
  rc.sample(60000);
  rc.world.advance(3 * DAY);
  rc.online();
  const e3 = rc.errors();
  t.true(maxAbs(e3) > 25000);
  t.log(`no drift known: max error ${(maxAbs(e3) / 1000).toFixed(1)} s`);
});

test("clock steps back and forth never reorder or lose readings", (t) => {
  for (const steps of [
    [3000, 0, 2000],
    [0, -5000, 4000, -200],
    [-1500, 1500, -60000, 0],
  ]) {
    const rig = new Rig();
    rig.boot({ driftPpm: 50 });
    rig.sample(1000);
    rig.world.advance(10 * 60000);
    const server = rig.world.servers.ntp;
    server.errorMs = steps[0];
    rig.online();
    for (const s of steps.slice(1)) {
      rig.world.advance(10 * 60000);
      server.errorMs = s;
      rig.clock.syncNow();
      rig.world.advance(1000);
    }
    rig.world.advance(10 * 60000);
    rig.stopSampling();
    rig.survey();
    const resolved = rig.readings.map((r) => resolve(rig.clock.keeper, r.stamp));
    t.true(
      resolved.every((e) => e !== undefined),
      "nothing lost",
    );
    t.true(rig.readings.length > 40 * 60 - 5);
    let holds = 0;
    for (let i = 1; i < resolved.length; i++) {
      t.true(resolved[i]! >= resolved[i - 1]!, `steps ${steps}: order broken at ${i}`);
      if (resolved[i] === resolved[i - 1]) holds++;
    }
    const d = clockStatus(rig.clock.keeper).driftPpm;
    t.true(d === undefined || Math.abs(d - 50) < 5, "steps do not poison the drift: " + d);
    t.log(`steps ${steps.join(",")} ms: ${holds} readings held at the previous time`);
  }
});
