/** Shared set-up of the store tests: simulated NOR flash and a store over it. */
import { crc32 as zcrc32 } from "node:zlib";
import { NorFlash, flashPort, type CutOperation } from "../src/host/sim/nor-flash.ts";
import { RECORDS_START } from "../src/device/store/format.ts";
import type { Store, StoreOptions } from "../src/device/store/store.ts";
import { InspectStore } from "../src/host/store/inspect-store.ts";
import type { FlashPort } from "../src/device/hal.ts";
import type { Anchor, Reading } from "../src/device/types.ts";

export const crc32 = (d: Uint8Array): number => zcrc32(d);

export const EPOCH0 = 1795771674422;

export interface Geometry {
  base?: number;
  pages: number;
  pageSize: number;
  alignment?: number;
}

export function makeFlash(g: Geometry): NorFlash {
  return new NorFlash({ base: g.base ?? 0x310000, size: g.pages * g.pageSize, pageSize: g.pageSize, alignment: g.alignment ?? 4 });
}

export function regionOf(flash: NorFlash): StoreOptions["region"] {
  return { address: flash.base, length: flash.size, pageSize: flash.pageSize, writeAlignment: flash.alignment, eraseCycles: 100000 };
}

/** A FlashPort that counts calls and bytes read (to check boot recovery reads per sector, not per reading). */
export class CountingFlash implements FlashPort {
  reads = 0;
  bytesRead = 0;
  constructor(readonly inner: FlashPort) {}
  read(length: number, addr: number): Uint8Array {
    this.reads++;
    this.bytesRead += length;
    return this.inner.read(length, addr);
  }
  write(data: Uint8Array, addr: number): void {
    this.inner.write(data, addr);
  }
  erasePage(addr: number): void {
    this.inner.erasePage(addr);
  }
}

export function openStore(flash: NorFlash | FlashPort, region: StoreOptions["region"], extra: Partial<StoreOptions> = {}): InspectStore {
  const s = new InspectStore({ flash: flash instanceof NorFlash ? flashPort(flash) : flash, crc32, region, ...extra });
  s.mount();
  return s;
}

/** Every undelivered record, oldest first. */
export function pendingOf(store: Store, pin?: number): Array<{ pos: number; reading: any; type?: string }> {
  const out: Array<{ pos: number; reading: any; type?: string }> = [];
  store.scan({ from: 0, pin }, (r) => {
    out.push(r);
  });
  return out;
}

// ---------------------------------------------------------------- crash-point sweep

/** What the crash sweep needs of a mounted store: the Node one, or the compiled one in the simulation. */
export type CrashStore = Pick<Store, "bootId" | "append" | "appendAnchor" | "markDelivered" | "scan" | "oldestPos" | "stats" | "anchors">;

/** Pin types of the crash-sweep workload. */
export const CRASH_DATASTREAMS = {
  "1": { type: "double" as const },
  "2": { type: "integer" as const },
  "3": { type: "string" as const },
  "4": { type: "boolean" as const },
  "5": { type: "location" as const },
};

/** What the workload was told, shared with the checker. */
export interface CrashModel {
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
  /** Appends counted by the store before the model began (an image written earlier), not in `returned`. */
  appendedBefore?: number;
}

export function idOf(r: Reading): number {
  const st = r.stamp as any;
  return st.epochMs !== undefined ? (st.epochMs - EPOCH0) / 1000 : st.uptimeMs / 1000;
}

export function makeReading(id: number, bootId: number): Reading {
  const pin = (id % 5) + 1;
  const stamp = id % 7 === 3 ? { bootId, uptimeMs: id * 1000 } : { epochMs: EPOCH0 + id * 1000 };
  const value =
    pin === 1
      ? (id % 1000) + 0.25
      : pin === 2
        ? -id * 1000
        : pin === 3
          ? "r" + id + (id % 11 === 0 ? " ünïcødé 😀".repeat(3) : "")
          : pin === 4
            ? id % 2 === 0
            : ([(id - 300) / 100, (45000 - id) / 1000] as [number, number]);
  return { pin, stamp, value };
}

/** Appends reading `id` (see {@link makeReading}), noting in `m` that it started, then that it returned. */
export function appendModelled(s: CrashStore, m: CrashModel, id: number): void {
  const r = makeReading(id, s.bootId);
  m.readings.set(id, r);
  m.inflight = id;
  s.append(r);
  m.inflight = undefined;
  m.returned.add(id);
}

/**
 * The crash-sweep workload: `appends` readings of every type (some boot-relative), an anchor
 * every 60, one pin's backlog delivered every 8 except during an uplink outage (the middle 60%
 * of the appends, long enough for the ring to overwrite undelivered readings), a remount
 * (reboot) every 150. Records what the store was told in `m`; runs until it ends or the flash
 * throws PowerCutError.
 */
export function crashWorkload(mount: () => CrashStore, m: CrashModel, appends: number, afterAppend?: (s: CrashStore) => void): CrashStore {
  let s = mount();
  m.bootIds.push(s.bootId);
  for (let id = 0; id < appends; id++) {
    appendModelled(s, m, id);
    afterAppend?.(s);
    if (id % 60 === 20) {
      const a = { bootId: s.bootId, uptimeMs: id * 1000 + 1, epochMs: EPOCH0 + id * 999, coarse: id % 120 === 20 };
      m.inflightAnchor = a;
      s.appendAnchor(a);
      m.inflightAnchor = undefined;
      m.anchors.push(a);
    }
    const outage = id >= appends * 0.2 && id < appends * 0.8;
    if (id % 8 === 7 && !outage) {
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
      s = mount();
      m.bootIds.push(s.bootId);
    }
  }
  return s;
}

/** A sweep failure saying a torn record was delivered: a reading never appended, or altered. */
const FALSE_ACCEPT = /(never appended|changed): /;

/**
 * The operations (1-based) of a logged run that write records into a sector: each sector's
 * records grow up from RECORDS_START, one write starting at or before where the last ended;
 * its other writes (header at 0, flags, seal, bitmap words from the end down) do not.
 */
export function recordWrites(log: CutOperation[], sectorBytes: number): Set<number> {
  const frontier = new Map<number, number>();
  const out = new Set<number>();
  log.forEach((op, i) => {
    if (op.erase) return;
    const sector = Math.floor(op.offset / sectorBytes);
    const o = op.offset % sectorBytes;
    if (o === 0) frontier.set(sector, RECORDS_START);
    else if (o >= RECORDS_START && o <= (frontier.get(sector) ?? RECORDS_START)) {
      out.add(i + 1);
      frontier.set(sector, o + op.data.length);
    }
  });
  return out;
}

/** Torn records tried per failure mode against the sweep failures that delivered one (false accepts). */
export function tornRecordReport(torn: Record<string, number>, failures: string[]): { tried: number; accepted: number; text: string } {
  let tried = 0;
  let accepted = 0;
  const parts: string[] = [];
  for (const [mode, n] of Object.entries(torn)) {
    const a = failures.filter((f) => f.includes(`, ${mode}: `) && FALSE_ACCEPT.test(f)).length;
    tried += n;
    accepted += a;
    parts.push(`${mode} ${a}/${n}`);
  }
  return { tried, accepted, text: `torn records delivered / tried: ${accepted}/${tried} (${parts.join(", ")})` };
}

export function newCrashModel(): CrashModel {
  return {
    readings: new Map(),
    returned: new Set(),
    inflight: undefined,
    delivered: new Set(),
    delivering: new Set(),
    anchors: [],
    inflightAnchor: undefined,
    bootIds: [],
  };
}

/**
 * Mounts what survived (`mount` = a reboot) and checks it against what the workload was told:
 * no phantom (a reading never appended), nothing delivered back, nothing changed or reordered,
 * nothing returned lost but the oldest readings the ring overwrote - at most `maxOverwritten`
 * (what the uncut run had overwritten by the end of the append in progress at the cut) - boot
 * ids not reused, anchors of pending boots kept, and appends working across another reboot.
 * Returns the first problem, or undefined.
 */
export function crashCheck(mount: () => CrashStore, m: CrashModel, where: string, maxOverwritten = Infinity): string | undefined {
  const s = mount();
  const seen = new Set<number>();
  let last = -1;
  let bad: string | undefined;
  const pendingBoots = new Set<number>();
  s.scan({ from: s.oldestPos() }, (rec) => {
    const id = idOf(rec.reading);
    if (!m.readings.has(id) || (!m.returned.has(id) && m.inflight !== id)) bad = `never appended: ${JSON.stringify(rec.reading)}`;
    else if (JSON.stringify(m.readings.get(id)) !== JSON.stringify(rec.reading))
      bad = `changed: ${JSON.stringify(rec.reading)} vs ${JSON.stringify(m.readings.get(id))}`;
    else if (m.delivered.has(id)) bad = `delivered reading came back: ${id}`;
    else if (id <= last) bad = `out of order: ${id} after ${last}`;
    if ("bootId" in rec.reading.stamp) pendingBoots.add(rec.reading.stamp.bootId);
    last = id;
    seen.add(id);
    return bad === undefined;
  });
  if (bad) return `${where}: ${bad}`;
  // Undelivered returned readings not found may only be ones the ring overwrote: the oldest,
  // older than every reading still there, and each counted once as "overwritten" (a sector left
  // half-erased by the cut included: its readings are gone for good).
  let overwritten = 0;
  let firstSeen = Infinity;
  for (const id of seen) firstSeen = Math.min(firstSeen, id);
  for (const id of m.returned) {
    if (m.delivered.has(id) || m.delivering.has(id) || seen.has(id)) continue;
    if (id > firstSeen) return `${where}: returned append ${id} lost (${firstSeen} is still there)`;
    overwritten++;
  }
  if (overwritten > maxOverwritten)
    return `${where}: ${overwritten} returned readings lost, the uncut run had overwritten ${maxOverwritten}`;
  const st = s.stats();
  const before = m.appendedBefore ?? 0;
  const appended = before + m.returned.size + (m.inflight !== undefined && seen.has(m.inflight) ? 1 : 0);
  if (st.appended !== appended && st.appended !== before + m.returned.size + 1)
    return `${where}: appended counter ${st.appended}, expected ${appended}`;
  if (st.dropped.overwritten !== overwritten) return `${where}: overwritten counter ${st.dropped.overwritten}, expected ${overwritten}`;
  if (st.dropped.corrupt !== 0) return `${where}: corrupt counter ${st.dropped.corrupt}, expected 0`;
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
  const s2 = mount();
  const tail: Reading[] = [];
  const seen2 = new Set<number>();
  s2.scan({ from: s2.oldestPos() }, (rec) => {
    seen2.add(idOf(rec.reading));
    if (idOf(rec.reading) >= 100000) tail.push(rec.reading);
  });
  if (JSON.stringify(tail) !== JSON.stringify(extra)) return `${where}: appends after recovery: ${JSON.stringify(tail)}`;
  // The recovery appends may turn the ring once more (recycling a half-erased sector, whose
  // readings were counted above and must not be counted again as "corrupt").
  let more = 0;
  for (const id of seen) if (!seen2.has(id)) more++;
  const st2 = s2.stats();
  if (st2.dropped.overwritten !== overwritten + more)
    return `${where}: after recovery, overwritten counter ${st2.dropped.overwritten}, expected ${overwritten + more}`;
  if (st2.dropped.corrupt !== 0) return `${where}: after recovery, corrupt counter ${st2.dropped.corrupt}, expected 0`;
  return undefined;
}
