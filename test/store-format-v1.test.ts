/**
 * Upgrade from flash format 1: an image written by the format-1 store (test/fixtures/store-v1.bin,
 * written by commit 866b039's store, see store-v1.json) mounts with every undelivered reading and
 * anchor; new readings go to format-2 sectors; and a power cut at any flash operation of the
 * first boots after the upgrade, in every failure mode, loses nothing acknowledged.
 */
import test from "ava";
import { readFileSync } from "node:fs";
import { NorFlash, flashPort } from "../src/host/sim/nor-flash.ts";
import { InspectStore } from "../src/host/store/inspect-store.ts";
import { FORMAT_V1, FORMAT_VERSION } from "../src/device/store/format.ts";
import {
  CRASH_DATASTREAMS,
  appendModelled,
  crashCheck,
  crc32,
  idOf,
  makeReading,
  newCrashModel,
  pendingOf,
  type CrashModel,
} from "./store-helpers.ts";
import { describeSweep, sweepPowerCuts } from "./helpers/power-cut.ts";
import type { Anchor, Reading } from "../src/device/types.ts";

const IMAGE = readFileSync(new URL("./fixtures/store-v1.bin", import.meta.url));
const FIXTURE = JSON.parse(readFileSync(new URL("./fixtures/store-v1.json", import.meta.url), "utf8")) as {
  region: { address: number; length: number; pageSize: number; writeAlignment: number };
  stats: { appended: number; bootId: number };
  anchors: Anchor[];
  pending: Array<{ pos: number; reading: Reading; type: string }>;
};
const PAGE = FIXTURE.region.pageSize;

function v1Flash(): NorFlash {
  const f = new NorFlash({ base: 0, size: FIXTURE.region.length, pageSize: PAGE, alignment: 4 });
  f.load(new Uint8Array(IMAGE));
  return f;
}

function mount(flash: NorFlash): InspectStore {
  const s = new InspectStore({ flash: flashPort(flash), crc32, region: FIXTURE.region, sectorPages: 1, datastreams: CRASH_DATASTREAMS });
  s.mount();
  return s;
}

const versionOf = (flash: NorFlash, sector: number) => flash.bytes[sector * PAGE + 3];

test("a format-1 image mounts with every undelivered reading and anchor; new readings go to a format-2 sector", (t) => {
  const flash = v1Flash();
  t.true(
    [...Array(8).keys()].every((s) => versionOf(flash, s) === FORMAT_V1),
    "the fixture is all format 1",
  );
  const s = mount(flash);
  t.deepEqual(JSON.parse(JSON.stringify(pendingOf(s))), FIXTURE.pending);
  t.deepEqual(s.anchors(), FIXTURE.anchors);
  t.is(s.stats().appended, FIXTURE.stats.appended);
  t.true(s.bootId > FIXTURE.stats.bootId);
  const v1Head = s.sectors().find((x) => x.head)!.index;
  const fresh = [makeReading(1000, s.bootId), makeReading(1001, s.bootId), makeReading(1002, s.bootId)];
  for (const r of fresh) s.append(r);
  const head = s.sectors().find((x) => x.head)!.index;
  t.not(head, v1Head, "the format-1 head is closed, not appended to");
  t.is(versionOf(flash, head), FORMAT_VERSION);
  const again = mount(flash);
  const all = pendingOf(again);
  t.deepEqual(JSON.parse(JSON.stringify(all.slice(0, FIXTURE.pending.length))), FIXTURE.pending);
  t.deepEqual(
    all.slice(FIXTURE.pending.length).map((r) => r.reading),
    fresh,
  );
  // delivering across both formats
  again.markDelivered({ pin: 1, from: 0, to: again.headPos() });
  t.deepEqual(
    pendingOf(mount(flash)).filter((r) => r.reading.pin === 1),
    [],
  );
  t.is(mount(flash).stats().pending, all.filter((r) => r.reading.pin !== 1).length);
});

/** The first boots after the upgrade: appends that turn the ring over the format-1 sectors, deliveries, a reboot. */
function upgradeWorkload(flash: NorFlash, m: CrashModel, appends: number, afterAppend?: (s: InspectStore) => void): void {
  let s = mount(flash);
  for (let k = 0; k < appends; k++) {
    appendModelled(s, m, 1000 + k);
    afterAppend?.(s);
    if (k % 50 === 49) {
      // an uplink delivers one pin's backlog, v1 readings first
      const pin = ((k / 50) % 5) + 1;
      const recs: Array<{ pos: number; id: number }> = [];
      s.scan({ from: 0, pin }, (rec) => void recs.push({ pos: rec.pos, id: idOf(rec.reading) }));
      if (recs.length) {
        for (const x of recs) m.delivering.add(x.id);
        s.markDelivered({ pin, from: recs[0].pos, to: recs[recs.length - 1].pos });
        for (const x of recs) {
          m.delivered.add(x.id);
          m.delivering.delete(x.id);
        }
      }
    }
    if (k === 120) s = mount(flash);
  }
}

function upgradeModel(): CrashModel {
  const m = newCrashModel();
  for (const p of FIXTURE.pending) {
    m.readings.set(idOf(p.reading), p.reading);
    m.returned.add(idOf(p.reading));
  }
  m.anchors.push(...FIXTURE.anchors);
  m.appendedBefore = FIXTURE.stats.appended - FIXTURE.pending.length;
  return m;
}

test("power cut at every flash operation of the upgrade, in every failure mode: nothing acknowledged lost, nothing corrupted delivered", async (t) => {
  const APPENDS = 400;
  const marks: Array<{ ops: number; overwritten: number }> = [];
  const dry = v1Flash();
  const dm = upgradeModel();
  upgradeWorkload(dry, dm, APPENDS, (s) => void marks.push({ ops: dry.ops, overwritten: s.stats().dropped.overwritten }));
  t.true(
    [...Array(8).keys()].every((s) => versionOf(dry, s) === FORMAT_VERSION),
    "the ring turned over every format-1 sector",
  );
  t.is(
    crashCheck(() => mount(dry), dm, "uncut"),
    undefined,
  );
  let torn = 0;
  const res = await sweepPowerCuts<{ flash: NorFlash; m: CrashModel }>(
    {
      prepare: () => ({ flash: v1Flash(), m: upgradeModel() }),
      flashes: (s) => [s.flash],
      act: (s) => upgradeWorkload(s.flash, s.m, APPENDS),
      recover: (s) => void mount(s.flash),
      check: (s, where, cut) => {
        if (cut.torn) torn++;
        const during = marks.find((x) => x.ops >= cut.op);
        return crashCheck(() => mount(s.flash), s.m, where, during ? during.overwritten : Infinity);
      },
    },
    { recoverySample: (k, op) => op.erase || k % 7 === 0, maxFailures: 20 },
  );
  t.log(`${describeSweep(res)}; ${torn} cuts left an operation torn`);
  t.deepEqual(res.failures, []);
  t.is(res.points, res.ops);
});
