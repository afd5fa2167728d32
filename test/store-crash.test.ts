/**
 * Crash-point sweep: a scripted workload (appends of every type, anchors, markDelivered,
 * reboots) turns the ring of a small region more than twice. Power is cut at EVERY flash
 * operation, torn after several byte counts; each time a new store is mounted on what survived
 * and checked against what the workload was told.
 */
import test from "ava";
import { NorFlash, PowerCutError } from "../src/host/sim/nor-flash.ts";
import type { FlashPort } from "../src/device/hal.ts";
import type { Anchor, Reading } from "../src/device/types.ts";
import { Store } from "../src/device/store/store.ts";
import { EPOCH0, crc32 } from "./store-helpers.ts";

const PAGE = 512;
const PAGES = 8;
const REGION = { address: 0, length: PAGE * PAGES, pageSize: PAGE, writeAlignment: 4, eraseCycles: 100000 };
const DATASTREAMS = { "1": { type: "double" as const }, "2": { type: "integer" as const }, "3": { type: "string" as const }, "4": { type: "boolean" as const }, "5": { type: "location" as const } };
const APPENDS = 1000;

/** What the workload was told, shared with the checker. */
interface Model {
  readings: Map<number, Reading>;
  /** Appends that returned. */
  returned: Set<number>;
  /** Started but not returned when power went. */
  inflight: number | undefined;
  delivered: Set<number>;
  /** Part of a markDelivered that did not return. */
  delivering: Set<number>;
  anchors: Anchor[];
  inflightAnchor: Anchor | undefined;
  bootIds: number[];
}

function idOf(r: Reading): number {
  const st = r.stamp as any;
  return st.epochMs !== undefined ? (st.epochMs - EPOCH0) / 1000 : st.uptimeMs / 1000;
}

function makeReading(id: number, bootId: number): Reading {
  const pin = (id % 5) + 1;
  const stamp = id % 7 === 3 ? { bootId, uptimeMs: id * 1000 } : { epochMs: EPOCH0 + id * 1000 };
  const value =
    pin === 1 ? (id % 1000) + 0.25 : pin === 2 ? -id * 1000 : pin === 3 ? "r" + id + (id % 11 === 0 ? " ünïcødé 😀".repeat(3) : "") : pin === 4 ? id % 2 === 0 : ([(id - 300) / 100, (45000 - id) / 1000] as [number, number]);
  return { pin, stamp, value };
}

function mount(flash: FlashPort): Store {
  const s = new Store({ flash, crc32, region: REGION, sectorPages: 1, datastreams: DATASTREAMS });
  s.mount();
  return s;
}

/** Runs the workload until it ends or the flash throws PowerCutError. */
function workload(flash: NorFlash, m: Model): Store {
  let s = mount(flash);
  m.bootIds.push(s.bootId);
  for (let id = 0; id < APPENDS; id++) {
    const r = makeReading(id, s.bootId);
    m.readings.set(id, r);
    m.inflight = id;
    s.append(r);
    m.inflight = undefined;
    m.returned.add(id);
    if (id % 60 === 20) {
      const a = { bootId: s.bootId, uptimeMs: id * 1000 + 1, epochMs: EPOCH0 + id * 999, coarse: id % 120 === 20 };
      m.inflightAnchor = a;
      s.appendAnchor(a);
      m.inflightAnchor = undefined;
      m.anchors.push(a);
    }
    if (id % 8 === 7) {
      // deliver one pin's backlog except the newest few, as an uplink would after a 200
      const pin = ((id >> 3) % 5) + 1;
      const recs: Array<{ pos: number; id: number }> = [];
      s.scan({ from: s.oldestPos(), pin }, (rec) => {
        recs.push({ pos: rec.pos, id: idOf(rec.reading) });
      });
      if (recs.length > 3) {
        const upto = recs.length - 3;
        for (let k = 0; k < upto; k++) m.delivering.add(recs[k].id);
        s.markDelivered({ pin, from: recs[0].pos, to: recs[upto - 1].pos });
        for (let k = 0; k < upto; k++) {
          m.delivered.add(recs[k].id);
          m.delivering.delete(recs[k].id);
        }
      }
    }
    if (id % 150 === 149) {
      s = mount(flash);
      m.bootIds.push(s.bootId);
    }
  }
  return s;
}

function newModel(): Model {
  return { readings: new Map(), returned: new Set(), inflight: undefined, delivered: new Set(), delivering: new Set(), anchors: [], inflightAnchor: undefined, bootIds: [] };
}

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

function check(flash: NorFlash, m: Model, where: string): string | undefined {
  const s = mount(flash);
  const seen = new Set<number>();
  let last = -1;
  let bad: string | undefined;
  const pendingBoots = new Set<number>();
  s.scan({ from: s.oldestPos() }, (rec) => {
    const id = idOf(rec.reading);
    if (!m.readings.has(id) || (!m.returned.has(id) && m.inflight !== id)) bad = `never appended: ${JSON.stringify(rec.reading)}`;
    else if (JSON.stringify(m.readings.get(id)) !== JSON.stringify(rec.reading)) bad = `changed: ${JSON.stringify(rec.reading)} vs ${JSON.stringify(m.readings.get(id))}`;
    else if (m.delivered.has(id)) bad = `delivered reading came back: ${id}`;
    else if (id <= last) bad = `out of order: ${id} after ${last}`;
    if ("bootId" in rec.reading.stamp) pendingBoots.add(rec.reading.stamp.bootId);
    last = id;
    seen.add(id);
    return bad === undefined;
  });
  if (bad) return `${where}: ${bad}`;
  for (const id of m.returned) {
    if (!m.delivered.has(id) && !m.delivering.has(id) && !seen.has(id)) return `${where}: returned append ${id} lost`;
  }
  const st = s.stats();
  const appended = m.returned.size + (m.inflight !== undefined && seen.has(m.inflight) ? 1 : 0);
  if (st.appended !== appended && st.appended !== m.returned.size + 1) return `${where}: appended counter ${st.appended}, expected ${appended}`;
  if (st.dropped.overwritten !== 0) return `${where}: overwritten ${st.dropped.overwritten}`;
  // a boot id may be reused only if nothing durable refers to it
  let maxRef = 0;
  for (const id of m.returned) {
    const st = m.readings.get(id)!.stamp;
    if ("bootId" in st) maxRef = Math.max(maxRef, st.bootId);
  }
  for (const a of m.anchors) maxRef = Math.max(maxRef, a.bootId);
  for (const b of pendingBoots) maxRef = Math.max(maxRef, b);
  if (s.bootId <= maxRef) return `${where}: boot id ${s.bootId} reused (boot ${maxRef} is referenced)`;
  // the last anchor of each boot with pending boot-relative readings can still be found
  const anchors = s.anchors();
  for (const b of pendingBoots) {
    const mine = m.anchors.filter((a) => a.bootId === b);
    if (!mine.length) continue;
    const latest = mine[mine.length - 1];
    const found = anchors.some((a) => a.bootId === b && a.uptimeMs >= latest.uptimeMs);
    if (!found) return `${where}: anchor ${JSON.stringify(latest)} of pending boot ${b} lost`;
  }
  // appends work again, and survive another reboot
  const extra = [makeReading(100000, s.bootId), makeReading(100001, s.bootId)];
  for (const r of extra) s.append(r);
  const s2 = mount(flash);
  const tail: Reading[] = [];
  s2.scan({ from: s2.oldestPos() }, (rec) => {
    if (idOf(rec.reading) >= 100000) tail.push(rec.reading);
  });
  if (JSON.stringify(tail) !== JSON.stringify(extra)) return `${where}: appends after recovery: ${JSON.stringify(tail)}`;
  return undefined;
}

test("crash-point sweep: a power cut at every flash operation, torn at several bytes", (t) => {
  const flashForDry = new NorFlash({ base: 0, size: PAGE * PAGES, pageSize: PAGE, alignment: 4 });
  const rec = new OpLog(flashForDry);
  const dm = newModel();
  // the uncut run, with the sizes of its operations recorded
  const s = workloadOver(rec, flashForDry, dm);
  const total = rec.ops.length;
  const st = s.stats();
  t.is(st.dropped.overwritten, 0);
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
  t.log(`${total} flash operations (${flashForDry.erases} erases, ${flashForDry.writes} writes), ${cuts} power cuts tried`);
  t.deepEqual(failures, []);
  t.true(cuts > 3 * total);
});

/** The workload with its flash operations going through `port` (for recording), on `flash`. */
function workloadOver(port: OpLog, flash: NorFlash, m: Model): Store {
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
