/**
 * Crash-point sweep: a scripted workload (appends of every type, anchors, markDelivered,
 * reboots) turns the ring of a small region more than twice. Power is cut at EVERY flash
 * operation, torn after several byte counts; each time a new store is mounted on what survived
 * and checked against what the workload was told.
 */
import test from "ava";
import { NorFlash, PowerCutError } from "../src/host/sim/nor-flash.ts";
import type { FlashPort } from "../src/device/hal.ts";
import { Store } from "../src/device/store/store.ts";
import { CRASH_DATASTREAMS, crashCheck, crashWorkload, crc32, newCrashModel, type CrashModel, type CrashStore } from "./store-helpers.ts";

const PAGE = 512;
const PAGES = 8;
const REGION = { address: 0, length: PAGE * PAGES, pageSize: PAGE, writeAlignment: 4, eraseCycles: 100000 };
const APPENDS = 1000;

function mount(flash: FlashPort): Store {
  const s = new Store({ flash, crc32, region: REGION, sectorPages: 1, datastreams: CRASH_DATASTREAMS });
  s.mount();
  return s;
}

const workload = (flash: NorFlash, m: CrashModel): CrashStore => crashWorkload(() => mount(flash), m, APPENDS);
const check = (flash: NorFlash, m: CrashModel, where: string): string | undefined => crashCheck(() => mount(flash), m, where);
const newModel = newCrashModel;

/** Records the length of every operation of the uncut run. */
class OpLog implements FlashPort {
  ops: Array<{ erase: boolean; len: number }> = [];
  constructor(private readonly f: NorFlash) {}
  read(a: number, n: number) {
    return this.f.read(a, n);
  }
  write(a: number, d: Uint8Array) {
    this.ops.push({ erase: false, len: d.length });
    this.f.write(a, d);
  }
  erasePage(a: number) {
    this.ops.push({ erase: true, len: PAGE });
    this.f.erasePage(a);
  }
}

test("crash-point sweep: a power cut at every flash operation, torn at several bytes", (t) => {
  const flashForDry = new NorFlash({ base: 0, size: PAGE * PAGES, pageSize: PAGE, alignment: 4 });
  const rec = new OpLog(flashForDry);
  const dm = newModel();
  // the uncut run, with the sizes of its operations recorded
  const s = workloadOver(rec, flashForDry, dm);
  const total = rec.ops.length;
  const st = s.stats();
  t.true(st.dropped.overwritten > 50, `the outage made the ring overwrite undelivered readings (${st.dropped.overwritten})`);
  t.true(flashForDry.erases >= 2 * PAGES + 2, `the ring turned at least twice (${flashForDry.erases} erases)`);
  t.is(check(flashForDry, dm, "uncut"), undefined);

  let cuts = 0;
  const failures: string[] = [];
  for (let op = 1; op <= total; op++) {
    const o = rec.ops[op - 1];
    const torn = o.erase ? [0, 1, 40, PAGE / 2, PAGE - 1] : [0, 1, 2, 3, Math.floor(o.len / 2), o.len - 1];
    for (const tb of [...new Set(torn.filter((x) => x >= 0 && x < o.len))]) {
      const flash = new NorFlash({ base: 0, size: PAGE * PAGES, pageSize: PAGE, alignment: 4 });
      const m = newModel();
      flash.armPowerCut({ atOp: op, tornBytes: tb });
      try {
        workload(flash, m);
        failures.push(`op ${op}: no power cut happened`);
        continue;
      } catch (e) {
        if (!(e instanceof PowerCutError)) {
          failures.push(`op ${op} torn ${tb}: workload threw ${String(e)}`);
          continue;
        }
      }
      flash.powerOn();
      cuts++;
      try {
        const f = check(flash, m, `op ${op} (${o.erase ? "erase" : "write " + o.len + " B"}) torn ${tb}`);
        if (f) failures.push(f);
      } catch (e) {
        failures.push(`op ${op} torn ${tb}: recovery threw ${(e as Error).stack}`);
      }
      if (failures.length > 5) break;
    }
    if (failures.length > 5) break;
  }
  t.log(`${total} flash operations (${flashForDry.erases} erases, ${flashForDry.writes} writes), ${cuts} power cuts tried, ${st.dropped.overwritten} readings overwritten uncut`);
  t.deepEqual(failures, []);
  t.true(cuts > 3 * total);
});

/** The workload with its flash operations going through `port` (for recording), on `flash`. */
function workloadOver(port: OpLog, flash: NorFlash, m: CrashModel): CrashStore {
  const f = flash as any;
  const realWrite = f.write.bind(flash);
  const realErase = f.erasePage.bind(flash);
  f.write = (a: number, d: Uint8Array) => {
    port.ops.push({ erase: false, len: d.length });
    realWrite(a, d);
  };
  f.erasePage = (a: number) => {
    port.ops.push({ erase: true, len: PAGE });
    realErase(a);
  };
  return workload(flash, m);
}
