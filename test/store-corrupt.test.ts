/** Corrupted images: bit flips and garbage never crash recovery, and only what they hit is lost. */
import test from "ava";
import fc from "fast-check";
import { EPOCH0, makeFlash, openStore, pendingOf, regionOf } from "./store-helpers.ts";
import type { NorFlash } from "../src/host/sim/nor-flash.ts";

const SECTOR = 4096;

function filled(): { flash: NorFlash; appended: Map<number, string> } {
  const flash = makeFlash({ pages: 8, pageSize: SECTOR });
  const s = openStore(flash, regionOf(flash));
  const appended = new Map<number, string>();
  for (let i = 0; i < 4000; i++) {
    const r = {
      pin: i % 3,
      stamp: i % 5 === 0 ? { bootId: s.bootId, uptimeMs: i * 1000 } : { epochMs: EPOCH0 + i * 1000 },
      value: i % 3 === 2 ? "s" + i : i,
    };
    s.append(r);
    appended.set(i, JSON.stringify(r));
    if (i % 700 === 0) s.appendAnchor({ bootId: s.bootId, uptimeMs: i, epochMs: EPOCH0 + i });
    if (i % 500 === 499) s.markDelivered({ pin: 1, from: 0, to: s.headPos() });
  }
  return { flash, appended };
}

function idOf(r: any): number {
  return r.stamp.epochMs !== undefined ? (r.stamp.epochMs - EPOCH0) / 1000 : r.stamp.uptimeMs / 1000;
}

/** Mounts, reads everything, appends: must not throw. Returns readings that were never appended. */
function exercise(flash: NorFlash, appended: Map<number, string>): { strangers: number; pending: number; bad: number } {
  const s = openStore(flash, regionOf(flash));
  let strangers = 0;
  const all = pendingOf(s);
  for (const r of all) if (appended.get(idOf(r.reading)) !== JSON.stringify(r.reading)) strangers++;
  s.anchors();
  s.oldestPos();
  s.walk(() => {});
  const bad = s.stats().quarantinedSectors;
  if (all.length) s.markDelivered({ pin: all[0].reading.pin, from: all[0].pos, to: all[0].pos });
  for (let i = 0; i < 3000; i++) s.append({ pin: 9, stamp: { epochMs: EPOCH0 + i }, value: i });
  const again = openStore(flash, regionOf(flash));
  const tail = pendingOf(again, 9);
  if (tail.length === 0 || tail[tail.length - 1].reading.value !== 2999) throw new Error("appends after corruption were lost");
  return { strangers, pending: all.length, bad };
}

test("random bit flips anywhere never crash recovery; appends work afterwards", (t) => {
  const { flash, appended } = filled();
  const image = flash.bytes.slice();
  let strangers = 0;
  let runs = 0;
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(image.length - 1), fc.nat(7)), { minLength: 1, maxLength: 40 }), (flips) => {
      flash.bytes.set(image);
      for (const [at, bit] of flips) flash.bytes[at] ^= 1 << bit;
      const r = exercise(flash, appended);
      strangers += r.strangers;
      runs++;
      return true;
    }),
    { numRuns: 150 },
  );
  t.log(`${runs} corrupted images, ${strangers} corrupted readings passed their check`);
  t.pass();
});

test("a garbage sector is quarantined and counted, the others are kept, and the ring reuses it", (t) => {
  const { flash, appended } = filled();
  const before = pendingOf(openStore(flash, regionOf(flash)));
  // sector 2 gets random bytes (header included)
  let x = 12345;
  for (let i = 2 * SECTOR; i < 3 * SECTOR; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    flash.bytes[i] = x >>> 24;
  }
  const s = openStore(flash, regionOf(flash));
  t.is(s.stats().quarantinedSectors, 1);
  const after = pendingOf(s);
  const inSector2 = (p: number) => s.sectors().every((sec) => sec.index !== 2 || sec.seq !== Math.floor(p / 65536));
  const kept = before.filter((r) => after.some((a) => a.pos === r.pos));
  t.true(kept.length > 0);
  t.deepEqual(
    after.map((r) => JSON.stringify(r.reading)),
    kept.map((r) => JSON.stringify(r.reading)),
  );
  t.true(after.every((r) => appended.get(idOf(r.reading)) === JSON.stringify(r.reading) && inSector2(r.pos)));
  t.true(before.length - after.length < 700, "at most one sector of readings lost");
  // the ring turns over the bad sector: erased, reused, no longer quarantined
  for (let i = 0; i < 6000; i++) s.append({ pin: 9, stamp: { epochMs: EPOCH0 + i }, value: i });
  t.is(s.stats().quarantinedSectors, 0);
  t.is(openStore(flash, regionOf(flash)).stats().quarantinedSectors, 0);
});

test("a flipped header bit quarantines only that sector; an all-zero sector too", (t) => {
  const { flash } = filled();
  const s0 = openStore(flash, regionOf(flash));
  const total = s0.stats().pending;
  const victim = s0.sectors().find((x) => x.state === "data" && !x.head && x.pending > 0)!;
  flash.bytes[victim.index * SECTOR + 9] ^= 4; // inside seq
  const s1 = openStore(flash, regionOf(flash));
  t.is(s1.stats().quarantinedSectors, 1);
  t.is(s1.stats().pending, total - victim.pending);
  flash.bytes.fill(0, ((victim.index + 1) % 8) * SECTOR, ((victim.index + 1) % 8) * SECTOR + SECTOR);
  const s2 = openStore(flash, regionOf(flash));
  t.true(s2.stats().quarantinedSectors >= 1);
  s2.append({ pin: 1, stamp: { epochMs: EPOCH0 }, value: 1 });
});

test("an image of pure garbage mounts as empty-and-quarantined and accepts appends", (t) => {
  const flash = makeFlash({ pages: 8, pageSize: SECTOR });
  let x = 99;
  for (let i = 0; i < flash.bytes.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    flash.bytes[i] = x >>> 24;
  }
  const s = openStore(flash, regionOf(flash));
  t.is(s.stats().quarantinedSectors, 8);
  t.is(s.stats().pending, 0);
  s.append({ pin: 1, stamp: { epochMs: EPOCH0 }, value: 42 });
  t.deepEqual(
    pendingOf(openStore(flash, regionOf(flash))).map((r) => r.reading.value),
    [42],
  );
});
