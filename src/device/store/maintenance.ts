/**
 * The store's rarely run code: mount (boot recovery), rotation to the next sector (once per
 * sector filled), anchors, erase and reconfiguration. It works on a {@link Store}'s state and
 * reaches it through `StoreOptions.maintenance`: on the device a Storage part loaded for each
 * call (src/device/parts/store.ts), in Node this module itself ({@link createStore}). Every
 * function a script defines costs JsVars for as long as it exists, so these exist only while
 * they run (docs/memory.md).
 *
 * Power-loss ordering is the store's (docs/flash-format.md, "Power-safety ordering"): loading
 * the part only reads Storage, before any flash write of the operation.
 */
import type { Anchor } from "../types.ts";
import type { DatastreamSettings } from "../codec/value.ts";
import type { DropReason, FullPolicy, LogPos } from "./contract.ts";
import {
  BAD,
  DATA,
  FREE,
  HOT_F32,
  HOT_INT,
  SEQ_AT,
  Store,
  checkInt,
  checkMs,
  storeFullError,
  type StoreCode,
  type StoreOptions,
} from "./store.ts";
import { READ, addr, clearBits, readBitmap, ringNext, writeClears } from "./read.ts";
import {
  DROP_CORRUPT,
  DROP_ERASED,
  DROP_OVERWRITTEN,
  DROP_COUNT,
  dropReasons,
  FLAG_CARRY_DONE,
  FLAG_HAS_ANCHOR,
  FORMAT_V1,
  FORMAT_VERSION,
  HEADER_BYTES,
  M_ANCHOR,
  M_ANCHOR_COARSE,
  M_BOOT,
  M_COUNT,
  POS_SPAN,
  OFF_FLAGS,
  OFF_SEAL,
  RECORDS_START,
  bitmapByte,
  pendingBit,
  decodeHeader,
  encodeHeader,
  encodeSeal,
  recordLimit,
  seqNewer,
  zeroBits,
  type SectorHeader,
} from "./format.ts";
import {
  MAX_FIXED_RECORD,
  ROTATION_MARK,
  ROTATION_RESERVE,
  R_BAD,
  R_END,
  R_META,
  R_READING,
  encodeMeta,
  metaV1,
  type SectorCursor,
} from "./record.ts";

/** Most anchors copied forward at one rotation, and returned by anchors(). */
const MAX_CARRY = 12;
const MAX_ANCHORS = 32;

function popcount8(x: number): number {
  let n = 0;
  while (x) {
    n += x & 1;
    x >>= 1;
  }
  return n;
}

function checkDatastreams(ds: { [pin: string]: DatastreamSettings }): void {
  for (const k in ds) {
    const pin = Number(k);
    checkInt(pin, 0, 255, "datastreams key (pin)");
    const c = ds[k];
    if (!c || typeof c !== "object") throw new Error("datastreams[" + k + "] must be {type, precision?}");
    if (["integer", "double", "boolean", "enum", "string", "location"].indexOf(c.type) < 0) {
      throw new Error(
        "datastream type of pin V" + pin + " must be one of integer, double, boolean, enum, string, location; got " + String(c.type),
      );
    }
    if (c.precision !== undefined && c.precision !== "float32" && c.precision !== "float64") {
      throw new Error("datastreams[" + k + '].precision must be "float32" or "float64"');
    }
  }
}

/**
 * Changes the full policy and/or the datastream table of a mounted store (no remount).
 * @throws Error on a bad policy or datastream entry.
 */
function configure(store: Store, options: { policy?: FullPolicy; datastreams?: { [pin: string]: DatastreamSettings } }): void {
  if (options.policy !== undefined) {
    if (options.policy !== "overwrite-oldest" && options.policy !== "refuse")
      throw new Error('policy must be "overwrite-oldest" or "refuse"');
    store.refuse = options.policy === "refuse" ? 1 : 0;
  }
  if (options.datastreams !== undefined) setDatastreams(store, options.datastreams);
}

function setDatastreams(store: Store, ds: { [pin: string]: DatastreamSettings }): void {
  checkDatastreams(ds);
  store.ds = ds;
  store.hot = [];
  for (const k in ds) {
    const c = ds[k];
    if (c.type === "integer") store.hot[Number(k)] = HOT_INT;
    else if (c.type === "double" && c.precision !== "float64") store.hot[Number(k)] = HOT_F32;
  }
}

/**
 * Boot recovery: reads every sector header (and seal and bitmap), scans only the newest
 * sector, finds the write head, the oldest undelivered reading and the counters, then
 * persists the new boot id. Time is proportional to the number of sectors. The steps are
 * those of docs/flash-format.md, "What mount finds".
 * @throws Error when the region was formatted with another sector size.
 */
function mount(store: Store): void {
  store.gen++;
  const hdr = readHeaders(store);
  // The head's writer starts at the first record until the scan finds where it stopped. The
  // same lines as writeHeader's: these two run in different parts, and a function shared by
  // both would be one more in each part while it is loaded (the bundle does not keep it, so
  // linking cannot share it; kept resident it would cost JsVars at rest: docs/memory.md).
  store.headOff = RECORDS_START;
  store.headFull = 0;
  store.headTorn = 0;
  store.headMark = -1;
  store.markCounted = 0;
  store.table.n = 0;
  scanSectors(store);
  const carryDone = restoreCounters(store, hdr);
  // store.bootId held the highest boot id found: this boot is the next.
  store.bootId = store.bootId + 1 > 0xffffffff ? 1 : store.bootId + 1;
  store.bootPersisted = 0;
  store.bytesSinceMount = 0;
  // Whole ms, by Math.round: Espruino's Math.floor gives a float, and a float property costs
  // one JsVar more than an integer one (docs/memory.md).
  store.mountedAt = store.uptime ? Math.round(store.uptime()) : 0;
  store.mounted = 1;
  if (store.readOnly) return;
  store.carryPending = store.head >= 0 && !carryDone ? 1 : 0;
  persistBoot(store);
}

/**
 * Mount, reading the headers: every sector's header and seal (72 B) fill the sector table;
 * the newest data sector is the head, `store.bootId` the highest boot id of a header.
 * @returns the head's header, or undefined when no sector holds data.
 * @throws Error when the region was formatted with another sector size.
 */
function readHeaders(store: Store): SectorHeader | undefined {
  const n = store.n;
  let head = -1;
  let maxEr = 0;
  let headHdr: SectorHeader | undefined;
  store.bootId = 0;
  for (let s = 0; s < n; s++) {
    const h = decodeHeader(store.flash.read(RECORDS_START, addr(store, s)), store.crc);
    store.counts[s] = 0;
    store.counts[store.n + s] = 0;
    store.sectorSealed[s] = 0;
    store.sectorAnchored[s] = 0;
    store.sectorMinBoot[s] = -1;
    store.wdv.setUint32(SEQ_AT + 4 * (store.n + s), 0);
    store.wdv.setUint32(SEQ_AT + 4 * s, 0);
    if (h === "blank") store.sectorState[s] = FREE;
    else if (h === "bad") store.sectorState[s] = isBlank(store, s, HEADER_BYTES, store.sectorBytes) ? FREE : BAD;
    else {
      if (h.sectorPages !== store.sectorBytes >> store.pageLog2 || h.pageLog2 !== store.pageLog2) {
        throw new Error(
          "the flash region was formatted with " +
            h.sectorPages +
            " page(s) of " +
            (1 << h.pageLog2) +
            " B per sector; pass sectorPages/pageSize to match (or eraseAll with the old geometry)",
        );
      }
      store.sectorState[s] = DATA;
      store.sectorVersion[s] = h.version;
      store.wdv.setUint32(SEQ_AT + 4 * s, h.seq);
      store.wdv.setUint32(SEQ_AT + 4 * (store.n + s), h.erases);
      if (h.erases > maxEr) maxEr = h.erases;
      if (h.bootId > store.bootId) store.bootId = h.bootId;
      if (!(h.flags & FLAG_HAS_ANCHOR)) store.sectorAnchored[s] = 1;
      if (h.sealCount >= 0) {
        store.sectorSealed[s] = 1;
        store.counts[s] = h.sealCount;
        store.sectorMinBoot[s] = h.sealMinBoot;
      }
      if (head < 0 || seqNewer(h.seq, store.wdv.getUint32(SEQ_AT + 4 * head))) {
        head = s;
        headHdr = h;
      }
    }
  }
  // Erase counts lost to a cut between erase and header write: the max seen is an upper bound
  // of theirs (rotation is sequential), so wear is never under-estimated.
  for (let s = 0; s < n; s++) if (store.sectorState[s] !== DATA) store.wdv.setUint32(SEQ_AT + 4 * (store.n + s), maxEr);
  store.head = head;
  store.drops.fill(0);
  store.appendedTotal = 0;
  return headHdr;
}

/**
 * Mount, scanning: the head and any unsealed sector (only a cut seal leaves one) are read
 * record by record for their count and smallest boot id; the head also gives its boot and
 * count records, its rotation mark, where its writer continues and whether it is closed.
 * Every data sector's undelivered readings are counted from its bitmap.
 */
function scanSectors(store: Store): void {
  const head = store.head;
  for (let s = 0; s < store.n; s++) {
    if (store.sectorState[s] !== DATA) continue;
    if (s === head || !store.sectorSealed[s]) {
      const c = store.reader().sectorCursor(store, s, true);
      let minB = -1;
      let r = c.next();
      while (r !== R_END && r !== R_BAD) {
        if (r === R_READING && c.dom >= 0 && (minB < 0 || c.dom < minB)) minB = c.dom;
        if (s === head && r === R_META) {
          if (c.sub === M_BOOT && c.a > store.bootId) store.bootId = c.a;
          else if (c.sub === M_COUNT && c.a < DROP_COUNT) store.drops[c.a] += c.b;
          else if (c.sub === M_COUNT && c.a === ROTATION_MARK) store.headMark = c.b;
        }
        r = c.next();
      }
      if (!store.sectorSealed[s]) {
        store.counts[s] = c.count;
        store.sectorMinBoot[s] = minB;
      }
      if (s === head) {
        // The cursor's pin table is where the head's writer continues from.
        store.table = c.table;
        store.headOff = c.off;
        // A torn record at the end: its bytes cannot be rewritten, so the sector is closed.
        // So is a record area whose first free byte is blank but later ones are not: a cut
        // program that left the tag unprogrammed and some bits after it programmed.
        store.headTorn =
          r === R_BAD || (!store.sectorSealed[s] && !isBlank(store, s, c.off, recordLimit(store.sectorBytes, c.count))) ? 1 : 0;
        // A head of earlier firmware (format 1) is closed too: new records go to a format-2 sector.
        store.headFull = store.headTorn || store.sectorSealed[s] === 1 || store.sectorVersion[s] === FORMAT_V1 ? 1 : 0;
      }
    }
    store.counts[store.n + s] = countPending(store, s, store.counts[s]);
  }
}

/**
 * Mount, the counters: the head header's drop counters and appended count plus what the head
 * holds; a rotation mark counts once the sector it announces is no longer data.
 * @returns whether the head's copy-forward of anchors completed (true when there is no head).
 */
function restoreCounters(store: Store, hdr: SectorHeader | undefined): boolean {
  const head = store.head;
  if (!hdr) return true;
  for (let i = 0; i < DROP_COUNT; i++) store.drops[i] += hdr.drops[i];
  store.appendedTotal = hdr.appended + store.counts[head];
  // A rotation mark counts once the sector it announces is erased (free, or bad from a torn
  // erase) and the next header, which would carry the count, is missing.
  if (store.headMark > 0 && store.sectorState[(head + 1) % store.n] !== DATA) {
    store.drops[DROP_OVERWRITTEN] += store.headMark;
    store.markCounted = 1;
  }
  return !(hdr.flags & FLAG_CARRY_DONE);
}

/**
 * Mount, the writes (step 5 of the power-safety ordering): finishes a copy-forward a cut left
 * undone, then writes the boot record when the head has room (else the next header persists
 * the boot id).
 */
function persistBoot(store: Store): void {
  const head = store.head;
  // The rotation's code finishes a cut copy-forward (the boot part does not carry it: rare).
  if (store.carryPending && !store.headFull) store.code.load("store").carry(store, head);
  const boot = encodeMeta(M_BOOT, store.bootId, 0, 0, store.zeros);
  if (head >= 0 && fits(store, boot.length)) {
    store.writeRecord(boot);
    store.bootPersisted = 1;
  }
}

/** Whether bytes [from, to) of sector s are all 0xFF. */
function isBlank(store: Store, s: number, from: number, to: number): boolean {
  const a = addr(store, s);
  for (let o = from; o < to; o += 256) {
    const b = store.flash.read(Math.min(256, to - o), a + o);
    for (let i = 0; i < b.length; i++) if (b[i] !== 255) return false;
  }
  return true;
}

/** Undelivered readings among the first `c` of sector s (bits still set in its bitmap). */
function countPending(store: Store, s: number, c: number): number {
  if (c === 0) return 0;
  const bm = readBitmap(store, s, c);
  let p = 0;
  for (let i = 0; i < c; i += 8) {
    let byte = bm[bitmapByte(c, i)];
    if (c - i < 8) byte &= (1 << (c - i)) - 1;
    p += popcount8(byte);
  }
  return p;
}

function setFlag(store: Store, s: number, flag: number): void {
  const m = new Uint8Array(4);
  m[0] = flag;
  clearBits(store, addr(store, s) + OFF_FLAGS, m);
}

/**
 * Opens the next sector as the head: seal the old head, erase, write the header with the
 * counters, copy forward the anchors the sector after it still needs.
 * @throws Error named STORE_FULL under policy "refuse" when the next sector holds undelivered readings.
 */
function rotate(store: Store): void {
  const n = store.n;
  const t = store.head < 0 ? 0 : (store.head + 1) % n;
  if (store.sectorState[t] === DATA && store.counts[store.n + t] > 0 && store.refuse) {
    throw storeFullError();
  }
  const lost = store.sectorState[t] === DATA ? store.counts[store.n + t] : 0;
  // A counted mark already covers the readings left in t by a torn erase: count them once.
  const corrupt = store.sectorState[t] === BAD && !store.markCounted ? salvageCount(store, t) : 0;
  writeRotationMark(store, t, lost);
  // Anchors of t that the old head should have received (its carry was cut short).
  const rescue = store.carryPending ? neededAnchors(store, t) : [];
  sealHead(store);
  let maxSeq = 0;
  let any = false;
  for (let s = 0; s < n; s++) {
    if (store.sectorState[s] === DATA && (!any || seqNewer(store.wdv.getUint32(SEQ_AT + 4 * s), maxSeq))) {
      maxSeq = store.wdv.getUint32(SEQ_AT + 4 * s);
      any = true;
    }
  }
  // For a sector without a header, its erase count holds mount's estimate (the highest seen).
  const erases = store.wdv.getUint32(SEQ_AT + 4 * (store.n + t)) + 1;
  store.drops[DROP_OVERWRITTEN] += lost;
  store.drops[DROP_CORRUPT] += corrupt;
  eraseSector(store, t);
  writeHeader(store, t, any ? (maxSeq + 1) >>> 0 : 1, erases);
  store.carryPending = 1;
  writeAnchors(store, rescue);
  carry(store, t);
}

/**
 * Opening a sector, step 1: the rotation mark (n = the readings the erase of t will drop) into
 * the old head's reserve, when t holds data and the head does not already hold that mark.
 * It goes first: a cut between the erase and the new header then still leaves the count in
 * flash (mount adds it when t is no longer a data sector). A mark left by an earlier attempt
 * with another n is superseded by a new one (the last counts).
 */
function writeRotationMark(store: Store, t: number, lost: number): void {
  const old = store.head;
  if (old < 0 || store.sectorState[t] !== DATA || lost === (store.headMark < 0 ? 0 : store.headMark) || store.headTorn) return;
  let mark = encodeMeta(M_COUNT, ROTATION_MARK, lost, 0, store.zeros);
  if (store.sectorVersion[old] === FORMAT_V1) mark = metaV1(mark, store.crc);
  if (store.headOff + mark.length <= recordLimit(store.sectorBytes, store.counts[old])) {
    store.writeRecord(mark);
    store.headMark = lost;
  }
}

/** Opening a sector, step 2: the old head's seal (its count and smallest boot id; the self-checking count last). */
function sealHead(store: Store): void {
  const old = store.head;
  if (old >= 0 && !store.sectorSealed[old]) {
    store.flash.write(encodeSeal(store.counts[old], store.sectorMinBoot[old]), addr(store, old) + OFF_SEAL);
    store.sectorSealed[old] = 1;
  }
}

/**
 * Opening a sector, step 3: a data sector's header is zeroed before its erase: an erase cut
 * part way can leave any bits of the sector back at 1 and others not, header included, and a
 * partly erased sector must never read as data (its records could pass their 8-bit checks).
 * Only the exact 60 bytes and their CRC-32 read as a header, and from all zeros no partial
 * erase rebuilds them; mount sees the sector as bad, the head's rotation mark counts its
 * readings. Then every page is erased.
 */
function eraseSector(store: Store, t: number): void {
  const a = addr(store, t);
  if (store.sectorState[t] === DATA) store.flash.write(new Uint8Array(HEADER_BYTES), a);
  for (let p = 0; p < store.sectorBytes; p += 1 << store.pageLog2) store.flash.erasePage(a + p);
  store.sectorState[t] = FREE;
}

/**
 * Opening a sector, step 4: the header right after the erase keeps the erase count and
 * persists the counters (the boot id, appended, every drop counter); t becomes the empty head.
 */
function writeHeader(store: Store, t: number, seq: number, erases: number): void {
  store.flash.write(
    encodeHeader(
      {
        sectorPages: store.sectorBytes >> store.pageLog2,
        pageLog2: store.pageLog2,
        seq,
        erases,
        bootId: store.bootId,
        appended: store.appendedTotal,
        drops: store.drops,
      },
      store.crc,
    ),
    addr(store, t),
  );
  store.sectorState[t] = DATA;
  store.sectorVersion[t] = FORMAT_VERSION;
  store.wdv.setUint32(SEQ_AT + 4 * t, seq);
  store.wdv.setUint32(SEQ_AT + 4 * (store.n + t), erases);
  store.counts[t] = 0;
  store.counts[store.n + t] = 0;
  store.sectorSealed[t] = 0;
  store.sectorAnchored[t] = 0;
  store.sectorMinBoot[t] = -1;
  store.head = t;
  store.headOff = RECORDS_START;
  store.headFull = 0;
  store.headTorn = 0;
  store.headMark = -1;
  store.markCounted = 0;
  store.table.n = 0;
  store.gen++;
  store.bootPersisted = 1;
}

/**
 * The anchors of sector `src` that readings elsewhere may still need: the first and last of
 * each kind (SNTP, coarse) of the current boot, of every boot from the oldest one a sector
 * with undelivered readings refers to, and of the anchored boot just before it (the clock
 * bounds unanchored boots by their neighbours).
 */
function neededAnchors(store: Store, src: number): Anchor[] {
  const keep: Anchor[] = [];
  if (store.sectorState[src] !== DATA || !store.sectorAnchored[src]) return keep;
  let minRef = -1;
  for (let s = 0; s < store.n; s++) {
    if (
      s !== src &&
      store.sectorState[s] === DATA &&
      store.counts[store.n + s] > 0 &&
      store.sectorMinBoot[s] >= 0 &&
      (minRef < 0 || store.sectorMinBoot[s] < minRef)
    ) {
      minRef = store.sectorMinBoot[s];
    }
  }
  const all: Anchor[] = [];
  collectAnchors(store, src, all, MAX_ANCHORS);
  let before = -1;
  for (let i = 0; i < all.length; i++) if (minRef >= 0 && all[i].bootId < minRef) before = all[i].bootId;
  for (let i = 0; i < all.length; i++) {
    const k = all[i];
    const needed = k.bootId === store.bootId || (minRef >= 0 && k.bootId >= minRef) || k.bootId === before;
    if (needed && !isMiddle(all, i) && keep.length < MAX_CARRY) keep.push(k);
  }
  return keep;
}

/** Writes anchor records at the head (the sector's "has anchor" flag first, so none is missed). */
function writeAnchors(store: Store, list: Anchor[]): void {
  const h = store.head;
  for (let i = 0; i < list.length; i++) {
    const k = list[i];
    const rec = encodeMeta(k.coarse ? M_ANCHOR_COARSE : M_ANCHOR, k.bootId, k.uptimeMs, k.epochMs, store.zeros);
    if (!fits(store, rec.length)) return;
    if (!store.sectorAnchored[h]) {
      setFlag(store, h, FLAG_HAS_ANCHOR);
      store.sectorAnchored[h] = 1;
    }
    store.writeRecord(rec);
  }
}

/**
 * Opening a sector, step 5: copies into the head the anchors the sector after it (the next to
 * be erased) still needs, then flags the copy done.
 */
function carry(store: Store, h: number): void {
  writeAnchors(store, neededAnchors(store, (h + 1) % store.n));
  setFlag(store, h, FLAG_CARRY_DONE);
  store.carryPending = 0;
}

/** Adds the anchors of sector s to `into`, keeping only the latest per boot and at most `max`. */
function collectAnchors(store: Store, s: number, into: Anchor[], max: number): void {
  const c = store.reader().sectorCursor(store, s);
  let r = c.next();
  while (r !== R_END && r !== R_BAD) {
    if (r === R_META && (c.sub === M_ANCHOR || c.sub === M_ANCHOR_COARSE)) addAnchor(into, anchorOf(c), max);
    r = c.next();
  }
}

/** Readings of a quarantined sector that still pass their check and were undelivered. */
function salvageCount(store: Store, s: number): number {
  // The readings that pass their check are the first ones of the sector, up to the first
  // record that fails: count them, then test their bits.
  const c = store.reader().sectorCursor(store, s, true);
  let k = 0;
  let r = c.next();
  while (r !== R_END && r !== R_BAD) {
    if (r === R_READING) k++;
    r = c.next();
  }
  const bm = k ? readBitmap(store, s, k) : undefined;
  let p = 0;
  for (let i = 0; i < k; i++) if (pendingBit(bm!, k, i)) p++;
  return p;
}

/** Room at the head for a record of `len` bytes (not a reading), leaving ROTATION_RESERVE free for the rotation mark. */
function fits(store: Store, len: number): boolean {
  if (store.head < 0 || store.headFull) return false;
  return store.headOff + len + ROTATION_RESERVE <= recordLimit(store.sectorBytes, store.counts[store.head]);
}

/** Writes this boot's id at the head unless persisted; false when the head has no room for it and a reading. */
function bootAtHead(store: Store): boolean {
  if (store.bootPersisted) return true;
  const boot = encodeMeta(M_BOOT, store.bootId, 0, 0, store.zeros);
  if (!fits(store, boot.length + MAX_FIXED_RECORD)) return false;
  store.writeRecord(boot);
  store.bootPersisted = 1;
  return true;
}

/** Writes this boot's id unless persisted: at the head when it has room for it and a reading, else by a rotation. */
function ensureBoot(store: Store): void {
  if (!bootAtHead(store)) rotate(store);
}

/**
 * The record of a clock anchor, checked.
 * @throws Error on an invalid anchor, or when the store is read-only or not mounted.
 */
function anchorRecord(store: Store, anchor: Anchor): Uint8Array {
  store.requireMounted();
  if (store.readOnly) throw new Error("store is read-only");
  if (!anchor || typeof anchor !== "object") throw new Error("anchor must be {bootId, uptimeMs, epochMs}");
  const bootId = checkInt(anchor.bootId, 0, 0xffffffff, "anchor.bootId");
  const up = checkMs(anchor.uptimeMs, "anchor.uptimeMs");
  const epoch = checkMs(anchor.epochMs, "anchor.epochMs");
  return encodeMeta(anchor.coarse ? M_ANCHOR_COARSE : M_ANCHOR, bootId, up, epoch, store.zeros);
}

/** Writes an anchor record at the head, the sector flagged as holding anchors before the record is. */
function writeAnchorRecord(store: Store, rec: Uint8Array): void {
  const h = store.head;
  if (!store.sectorAnchored[h]) {
    setFlag(store, h, FLAG_HAS_ANCHOR);
    store.sectorAnchored[h] = 1;
  }
  store.writeRecord(rec);
}

/**
 * Persists a clock anchor (durable on return).
 * @throws Error named STORE_FULL when no sector can take it under policy "refuse".
 * @throws Error on an invalid anchor.
 */
function appendAnchor(store: Store, anchor: Anchor): void {
  const rec = anchorRecord(store, anchor);
  ensureBoot(store);
  if (!fits(store, rec.length)) rotate(store);
  writeAnchorRecord(store, rec);
}

/**
 * The anchor part's {@link appendAnchor}: at the head when this boot's id (written first if
 * need be) and the record fit there (the common case, an SNTP round's anchor); false, with
 * nothing written, when it needs a rotation: the caller then uses the store part's. Apart because an anchor is written while an SNTP round is alive:
 * on the 1,600-JsVar build the round and the whole store part do not fit at once (docs/memory.md).
 * @throws Error as appendAnchor.
 */
function appendAnchorAtHead(store: Store, anchor: Anchor): boolean {
  const rec = anchorRecord(store, anchor);
  if (!bootAtHead(store) || !fits(store, rec.length)) return false;
  writeAnchorRecord(store, rec);
  return true;
}

/**
 * Every anchor still in the log, sorted by (boot, uptime) (at most 32: past that, anchors
 * between the first and last of their boot and kind are left out). Reads only the sectors
 * flagged as holding anchors.
 */
function anchors(store: Store): Anchor[] {
  store.requireMounted();
  const list: Anchor[] = [];
  for (let s = ringNext(store, -1, true); s >= 0; s = ringNext(store, s, true)) {
    if (store.sectorAnchored[s]) collectAnchors(store, s, list, MAX_ANCHORS);
  }
  return list;
}

/**
 * Erases every sector (undelivered readings are counted as "erased"), keeping the boot id and
 * each sector's erase count. @returns how many undelivered readings were erased.
 */
function eraseAll(store: Store): number {
  store.gen++;
  store.requireMounted();
  if (store.readOnly) throw new Error("store is read-only");
  let lost = 0;
  for (let s = 0; s < store.n; s++) {
    lost += store.counts[store.n + s];
    store.counts[store.n + s] = 0;
  }
  store.drops[DROP_ERASED] += lost;
  // Each rotation erases the next sector and writes its header: after n of them every
  // sector is empty and erase counts are kept, whatever a power cut interrupts.
  for (let k = 0; k < store.n; k++) {
    if (store.head >= 0 && !store.sectorSealed[store.head]) store.sectorSealed[store.head] = 1;
    rotate(store);
  }
  ensureBoot(store);
  return lost;
}

/** The anchor a cursor just decoded. */
export function anchorOf(c: SectorCursor): Anchor {
  const a: Anchor = { bootId: c.a, uptimeMs: c.b, epochMs: c.c };
  if (c.sub === M_ANCHOR_COARSE) a.coarse = true;
  return a;
}

function sameKind(x: Anchor, y: Anchor): boolean {
  return x.bootId === y.bootId && !x.coarse === !y.coarse;
}

/** True when list[i] has an anchor of the same boot and kind on each side (neither first nor last). */
function isMiddle(list: Anchor[], i: number): boolean {
  let before = false;
  let after = false;
  for (let j = 0; j < list.length; j++) {
    if (j === i || !sameKind(list[j], list[i])) continue;
    if (j < i) before = true;
    else after = true;
  }
  return before && after;
}

/**
 * Adds an anchor to a list sorted by (boot, uptime) without duplicates. Past `max`, drops an
 * anchor between the first and last of its boot and kind, else the oldest.
 */
function addAnchor(list: Anchor[], a: Anchor, max: number): void {
  let i = 0;
  while (i < list.length && (list[i].bootId < a.bootId || (list[i].bootId === a.bootId && list[i].uptimeMs <= a.uptimeMs))) {
    const x = list[i];
    if (x.bootId === a.bootId && x.uptimeMs === a.uptimeMs && x.epochMs === a.epochMs && !x.coarse === !a.coarse) return;
    i++;
  }
  list.splice(i, 0, a);
  if (list.length <= max) return;
  for (let j = 0; j < list.length; j++) {
    if (isMiddle(list, j)) {
      list.splice(j, 1);
      return;
    }
  }
  list.splice(0, 1);
}

/** What the store calls for its rarely run operations (`StoreOptions.maintenance`). */
/** The index of `reason` in the drop counters. @throws Error when it is not a drop reason. */
function reasonIndex(reason: DropReason): number {
  const reasons: readonly string[] = dropReasons();
  const i = reasons.indexOf(reason);
  if (i < 0) throw new Error("drop reason must be one of " + reasons.join(", ") + "; got " + String(reason));
  return i;
}

/**
 * Adds `n` to the drop counter of `reason` (readings never stored or dropped outside the log).
 * Persisted as a small record when the head sector has room, else in the next sector header.
 * @throws Error when `st` is not mounted, `reason` is not a drop reason or `n` not a count.
 */
function countDrop(st: Store, reason: DropReason, n: number): void {
  st.requireMounted();
  const i = reasonIndex(reason);
  checkInt(n, 0, 0xffffffff, "countDrop n");
  if (n === 0) return;
  st.drops[i] += n;
  if (st.readOnly) return;
  const rec = encodeMeta(M_COUNT, i, n, 0, st.zeros);
  if (st.bootPersisted && fits(st, rec.length)) st.writeRecord(rec);
}

/**
 * {@link Store.drop} of a mounted store. Here, not in the read part: it counts the drop with this
 * part's code, and the read part is held at every phase of a flush (one function fewer there).
 */
function drop(st: Store, pos: LogPos, reason: DropReason): void {
  reasonIndex(reason);
  const seq = Math.floor(pos / POS_SPAN);
  const i = pos - seq * POS_SPAN;
  for (let s = 0; s < st.n; s++) {
    if (st.sectorState[s] !== DATA || st.wdv.getUint32(SEQ_AT + 4 * s) !== seq || i >= st.counts[s]) continue;
    const count = st.counts[s];
    const bm = readBitmap(st, s, count);
    const bit = pendingBit(bm, count, i);
    if (!bit) return;
    const clear = new Uint8Array(bm.length);
    clear[bitmapByte(count, i)] = bit;
    writeClears(st, s, clear);
    st.counts[st.n + s]--;
    countDrop(st, reason, 1);
    return;
  }
}

export const MAINTENANCE = {
  drop: drop,
  rotate: rotate,
  carry: carry,
  appendAnchor: appendAnchor,
  anchors: anchors,
  eraseAll: eraseAll,
  ensureBoot: ensureBoot,
  reasonIndex: reasonIndex,
  countDrop: countDrop,
};

/** The anchor part: an anchor written at the head when no rotation is needed. */
export const ANCHOR = { appendAnchor: appendAnchorAtHead };

/**
 * `configure` alone, for `spool.setup`'s apply part (src/device/api/config-apply.ts): a part that
 * imports it carries these few functions rather than loading the mount part (about 147 JsVars).
 */
export { configure as configureStore };

/** What the store calls at boot and to reconfigure (`StoreOptions.boot`): apart, so that a rotation does not load mount's code. */
export const BOOT = { configure: configure, mount: mount };

export type StoreMaintenance = typeof MAINTENANCE;
export type StoreBoot = typeof BOOT;
export type StoreAnchor = typeof ANCHOR;

/** Store options where the code may be left out: this module is then used. */
export type LocalStoreOptions = Omit<StoreOptions, "code"> & { code?: StoreCode };

/** This module as the store's code. */
const LOCAL_CODE = {
  load: (name: string) => (name === "store" ? MAINTENANCE : name === "read" ? READ : name === "anchor" ? ANCHOR : BOOT),
} as StoreCode;

/**
 * Creates and mounts a store whose code is this module unless given (Node, tests, the host
 * tools); the firmware gives its Storage parts instead (src/device/api/store-open.ts).
 * @throws Error on bad options (the message names the option).
 */
export function createStore(options: LocalStoreOptions): Store {
  const s = new Store(withMaintenance(options));
  BOOT.mount(s);
  return s;
}

/** `options` with this module as the store's code, and format.ts zeroBits, where none is given. */
export function withMaintenance(options: LocalStoreOptions): StoreOptions {
  const o = {} as StoreOptions;
  for (const k in options) (o as any)[k] = (options as any)[k];
  if (!o.code) o.code = LOCAL_CODE;
  if (!o.zeroBits && !(o.hal && o.hal.zeroBits)) o.zeroBits = zeroBits;
  return o;
}
