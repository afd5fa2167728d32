/**
 * The quota log (src/device/uplink/quota.ts, docs/flash-format.md "Quota log") under power
 * cuts on the power-loss harness, and the Storage trash it leaves per day.
 */
import test from "ava";
import { loadBoard } from "../src/host/boards.ts";
import { createQuota, LOG_ENTRIES, QUOTA_FILES, type Quota } from "../src/device/uplink/quota.ts";
import { bootHal, newDevice, type Device } from "./api-hal.ts";
import { describeSweep, sweepPowerCuts } from "./helpers/power-cut.ts";
import { newestQuota } from "./helpers/quota-log.ts";

const T0 = Date.UTC(2026, 4, 1);
const DAY_MS = 86_400_000;
const DAY = Math.floor(T0 / DAY_MS);
const board = loadBoard("linux");
const quotaOf = (dev: Device): Quota => createQuota({ storage: bootHal(dev, { epochMs: T0 }).storage, daily: 100000, persistStep: 10 });

/** The count a reboot reads (day, points), by the device code and by the document's decoder. */
function reboot(dev: Device, at: number): { day: number; used: number; doc: string } {
  const q = quotaOf(dev);
  const day = q.day();
  const used = q.used();
  q.remaining(at);
  const files = QUOTA_FILES.map((n) => dev.storage.read(n)).filter((b) => b !== undefined);
  const d = newestQuota(files);
  return { day, used, doc: d ? `${d.day}/${d.used}` : "none" };
}

/** Saves before the act: the log 3 entries short of full, so the act crosses a rewrite. */
const BEFORE = LOG_ENTRIES - 3;

test("quota log: a cut at every flash operation of appends, a rewrite and a day change (every failure mode) keeps the count within the contract", async (t) => {
  const prepare = () => {
    const dev = newDevice(board);
    const q = quotaOf(dev);
    for (let i = 0; i < BEFORE; i++) q.add(T0, 10);
    return { dev, q };
  };
  // The uncut act: after each save, the flash operations so far and the count saved.
  const probe = prepare();
  const ops0 = probe.dev.raw.rail.ops;
  const saves: { ops: number; day: number; used: number }[] = [{ ops: 0, day: DAY, used: 10 * BEFORE }];
  const act = (s: { q: Quota }, log?: typeof saves, dev?: Device) => {
    for (let i = 0; i < 8; i++) {
      const day = i < 6 ? DAY : DAY + 1;
      s.q.add(day * DAY_MS + 1000, 10);
      if (log && dev) log.push({ ops: dev.raw.rail.ops - ops0, day, used: s.q.used() });
    }
  };
  act(probe, saves, probe.dev);
  t.true(
    saves.some((v, i) => i > 0 && v.ops - saves[i - 1].ops >= 3),
    `the act rewrites the log (flash operations per save: ${saves.map((v) => v.ops).join(", ")})`,
  );
  let storageErased = 0;
  const res = await sweepPowerCuts(
    {
      prepare,
      flashes: (s) => [s.dev.raw, s.dev.storageFlash],
      act: (s) => act(s),
      recover: (s) => void reboot(s.dev, T0),
      check: (s, where, cut) => {
        // Espruino's start-up check: a torn file header where Storage ends reads as corrupt and the bank is erased.
        if (!s.dev.storage.isValidAtBoot()) {
          storageErased++;
          return cut.operation.erase || cut.operation.data.length === 32 ? undefined : `${where}: Storage left corrupt by a quota entry`;
        }
        const r = reboot(s.dev, T0);
        // The last save that completed before the cut, and the one it interrupted.
        let done = saves[0];
        for (const v of saves) if (v.ops < cut.op) done = v;
        const next = saves[saves.indexOf(done) + 1];
        if (`${r.day}/${r.used}` !== r.doc) return `${where}: the device reads ${r.day}/${r.used}, the documented decoder ${r.doc}`;
        if (r.day < done.day) return `${where}: the count went back to day ${r.day} (day ${done.day} was saved)`;
        if (r.day === done.day && r.used < done.used) return `${where}: ${r.used} points read, ${done.used} were saved`;
        const most = next ?? done;
        if (r.day > most.day || (r.day === most.day && r.used > most.used)) return `${where}: ${r.day}/${r.used} read, never written`;
        return undefined;
      },
    },
    { maxFailures: 20 },
  );
  t.log(describeSweep(res));
  t.log(`${storageErased} cuts (of a Storage file header) left Storage that the start-up check erases`);
  t.deepEqual(res.failures, []);
});

test("quota log: Storage trash per day at a realistic rate (a reading every 10 s, sent in the 2,000 requests a day allow)", (t) => {
  const dev = newDevice(loadBoard("esp8266"));
  const st = bootHal(dev, { epochMs: T0 }).storage;
  let saves = 0;
  const write = st.write;
  st.write = (name, data, offset, size) => {
    saves++;
    return write(name, data, offset, size);
  };
  const q = createQuota({ storage: st, daily: 10000, requestsDaily: 2000 });
  const DAYS = 7;
  for (let d = 0; d < DAYS; d++)
    for (let r = 0; r < 2000; r++) {
      const at = T0 + d * DAY_MS + r * 43200;
      q.addRequest(at);
      q.add(at, r % 25 < 8 ? 5 : 4);
    }
  t.is(q.used(), 8640);
  const s = st.getStats();
  const perDay = s.trashBytes / DAYS;
  // One file per save (the earlier JSON scheme) would leave at least a header and 36 B of JSON per save.
  const oneFilePerSave = ((saves / DAYS) * (32 + 36)) | 0;
  t.log(
    `${saves / DAYS} saves a day: ${Math.round(perDay)} B of trash a day (one file per save: >= ${oneFilePerSave} B), log files ${s.fileBytes} B`,
  );
  t.true(perDay < oneFilePerSave / 4);
  const r = quotaOf(dev);
  r.remaining(T0 + (DAYS - 1) * DAY_MS);
  t.true(r.used() > 8640 - 100 && r.used() <= 8640, `a reboot reads the last day's count, less at most persistStep - 1 (${r.used()})`);
});

test("quota log: an earlier firmware's JSON file is read, then replaced by a log", (t) => {
  const dev = newDevice(board);
  bootHal(dev).storage.write(QUOTA_FILES[0], JSON.stringify({ day: DAY, used: 120, req: 7 }));
  const q = quotaOf(dev);
  t.is(q.remaining(T0), 100000 - 120);
  t.is(q.requests(), 7);
  q.add(T0, 10);
  t.deepEqual(newestQuota(QUOTA_FILES.map((n) => dev.storage.read(n)).filter((b) => b !== undefined)), { day: DAY, used: 130, req: 7 });
  t.is(quotaOf(dev).used(), 130);
});
