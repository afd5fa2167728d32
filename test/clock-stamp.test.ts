import test from "ava";
import { createClock } from "../src/device/clock/index.ts";
import { clockNow } from "../src/device/clock/timekeeper.ts";
import { directParts } from "./helpers/parts.ts";
import { Device, MemoryAnchorLog, World } from "./helpers/clock-env.ts";

const START = Date.UTC(2025, 5, 1, 12, 0, 0);

/**
 * Stamps every `stepMs` for `hours` with SNTP running (syncs at start, 11 min, then hourly) and
 * compares each with the book's own figure for that instant (clockNow: epochAt's search), the
 * stamp's floor and hold-back applied to it.
 */
function compare(driftPpm: number, hours: number, stepMs: number) {
  const world = new World(START);
  const dev = new Device(world, { driftPpm });
  world.addServer("a", { upMs: 10, downMs: 10 });
  const clock = createClock({ hal: dev.hal, log: new MemoryAnchorLog([], 1), parts: directParts, ntp: { servers: ["a"] } });
  const k = clock.keeper;
  clock.start();
  let last = 0;
  let worst = 0;
  let onLine = 0;
  let stamps = 0;
  let dropped = 0;
  for (let at = 0; at < hours * 3600000; at += stepMs) {
    world.advance(stepMs);
    const hadLine = k._linC !== undefined;
    const book = clockNow(k);
    const got = k.epochStamp();
    if (book === undefined) {
      if (got !== -1) return { error: "stamped " + got + " before the first sync" };
      continue;
    }
    let want = Math.floor(book);
    if (want < last) want = last;
    last = got;
    worst = Math.max(worst, Math.abs(got - want));
    stamps++;
    if (hadLine) onLine++;
    if (!hadLine && stamps > 1) dropped++;
  }
  clock.stop();
  return { worst, onLine, stamps, dropped, driftKnown: k._book._drift !== undefined };
}

test("epochStamp's cached line gives the book's own figure exactly while no drift is known (the first 10 min)", (t) => {
  const r = compare(40, 1 / 6, 1300);
  t.is(r.error, undefined);
  t.false(r.driftKnown, "one sync: no drift yet");
  t.is(r.worst, 0, "every stamp equal to the book's");
  t.true((r.onLine ?? 0) > 0.99 * (r.stamps ?? 0), `${r.onLine} of ${r.stamps} stamps on the line`);
});

test("epochStamp's cached line after a 40 ppm drift is learned: within 1 ms of the book's figure, dropped at every sync", (t) => {
  const r = compare(40, 3, 7300);
  t.is(r.error, undefined);
  t.true(r.driftKnown, "drift learned from the syncs");
  t.true((r.worst ?? 2) <= 1, "worst difference " + r.worst + " ms");
  t.true((r.onLine ?? 0) > 0.99 * (r.stamps ?? 0), `${r.onLine} of ${r.stamps} stamps on the line`);
  // Each sync adds an anchor and drops the line: at 11 min, then hourly.
  t.true((r.dropped ?? 0) >= 3, `the line dropped at ${r.dropped} syncs`);
});
