/**
 * Crash-point sweep on the power-loss harness (test/helpers/power-cut.ts): a scripted workload
 * (appends of every type, anchors, markDelivered, reboots) turns the ring of a small region more
 * than twice. Power is cut at every flash operation in every NOR failure mode (torn writes,
 * partly programmed bits, erases not started / half done / partly done anywhere); each time a
 * new store is mounted on what survived and checked against what the workload was told, and on
 * a sample of cuts the first mount is cut again at each of its own writes.
 */
import test from "ava";
import { NorFlash, flashPort } from "../src/host/sim/nor-flash.ts";
import { Store } from "../src/device/store/store.ts";
import { BOOT, withMaintenance } from "../src/device/store/maintenance.ts";
import {
  CRASH_DATASTREAMS,
  crashCheck,
  crashWorkload,
  crc32,
  newCrashModel,
  recordWrites,
  tornRecordReport,
  type CrashModel,
} from "./store-helpers.ts";
import { describeSweep, sweepPowerCuts } from "./helpers/power-cut.ts";
import type { CutOperation } from "../src/host/sim/nor-flash.ts";
import { RECORDS_START } from "../src/device/store/format.ts";

const PAGE = 512;
const PAGES = 8;
const REGION = { address: 0, length: PAGE * PAGES, pageSize: PAGE, writeAlignment: 4, eraseCycles: 100000 };
const APPENDS = 1000;
/** Recovery is cut again after every erase cut, and after one write cut in RECOVERY_EVERY. */
const RECOVERY_EVERY = 5;

function mount(flash: NorFlash): Store {
  const s = new Store(withMaintenance({ flash: flashPort(flash), crc32, region: REGION, sectorPages: 1, datastreams: CRASH_DATASTREAMS }));
  BOOT.mount(s);
  return s;
}

interface Subject {
  flash: NorFlash;
  m: CrashModel;
}

test("crash-point sweep: a power cut at every flash operation in every failure mode, and again during recovery", async (t) => {
  // The uncut run, checked; and the overwritten counter after each append, against flash operations.
  const marks: Array<{ ops: number; overwritten: number }> = [];
  const dry = new NorFlash({ base: 0, size: PAGE * PAGES, pageSize: PAGE, alignment: 4 });
  const dm = newCrashModel();
  dry.rail.log = [];
  const end = crashWorkload(
    () => mount(dry),
    dm,
    APPENDS,
    (st) => void marks.push({ ops: dry.ops, overwritten: st.stats().dropped.overwritten }),
  );
  t.true(
    end.stats().dropped.overwritten > 50,
    `the outage made the ring overwrite undelivered readings (${end.stats().dropped.overwritten})`,
  );
  t.true(dry.erases >= 2 * PAGES + 2, `the ring turned at least twice (${dry.erases} erases)`);
  t.is(
    crashCheck(() => mount(dry), dm, "uncut"),
    undefined,
  );
  const records = recordWrites(dry.rail.log!, PAGE);
  dry.rail.log = undefined;
  // Cuts that left a record's bytes torn (neither blank nor whole), by failure mode; recovery
  // writes at or past RECORDS_START are records (the boot record, anchors carried).
  const torn: Record<string, number> = {};
  const isRecord = (op: number, o: CutOperation, recovery: boolean) =>
    recovery ? !o.erase && o.offset % PAGE >= RECORDS_START : records.has(op);

  const res = await sweepPowerCuts<Subject>(
    {
      prepare: () => ({ flash: new NorFlash({ base: 0, size: PAGE * PAGES, pageSize: PAGE, alignment: 4 }), m: newCrashModel() }),
      flashes: (s) => [s.flash],
      act: (s) => void crashWorkload(() => mount(s.flash), s.m, APPENDS),
      recover: (s) => void mount(s.flash),
      check: (s, where, cut) => {
        const v = cut.recoveryVariant ?? cut.variant;
        if (cut.torn && isRecord(cut.recoveryOp ?? cut.op, cut.operation, cut.recoveryOp !== undefined)) torn[v] = (torn[v] ?? 0) + 1;
        const during = marks.find((x) => x.ops >= cut.op);
        return crashCheck(() => mount(s.flash), s.m, where, during ? during.overwritten : Infinity);
      },
    },
    { recoverySample: (k, op) => op.erase || k % RECOVERY_EVERY === 0, maxFailures: 100 },
  );
  t.log(describeSweep(res));
  const report = tornRecordReport(torn, res.failures);
  t.log(report.text);
  t.true(report.tried > 1000, `enough torn records tried (${report.tried})`);
  // Format 2: a torn record never passes its check (docs/flash-format.md), so no reading that
  // was never appended, or altered, is ever delivered.
  t.deepEqual(res.failures, []);
  t.is(res.points, res.ops, "every operation cut");
});
