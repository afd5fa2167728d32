/**
 * The store's read side: scans and cursors over the undelivered readings, marking them
 * delivered or dropped, the oldest position. Only the uplink reads this way while it sends, so
 * on the device this code lives in the uplink's part (src/device/parts/uplink.ts) and exists
 * while an uplink does: the uplink calls it directly, and the Store's own read methods reach it
 * through `StoreOptions.reader` (on the device, the uplink part loaded for that call; in Node
 * this module, maintenance.ts createStore). Every function takes the Store whose state it reads (its fields are shared with
 * this module as with maintenance.ts).
 */
import type { Reading } from "../types.ts";
import type { DropReason, LogCursor, LogPos, LogRecord, ScanOptions } from "./contract.ts";
import { POS_SPAN, bitmapWordOffset, recordLimit } from "./format.ts";
import { EPOCH, R_BAD, R_END, R_READING, type SectorCursor } from "./record.ts";
import { DATA, type Store } from "./store.ts";

/** The same, for a bitmap read when the sector held `count` readings. */
function bitByteOf(store: Store, count: number, i: number): number {
  return bitmapWordOffset(store.sectorBytes, i) - recordLimit(store.sectorBytes, count) + ((i % 32) >> 3);
}

/** Position of the oldest undelivered reading (or the write head when none). */
function oldestPos(store: Store): LogPos {
  store.requireMounted();
  for (let k = 0; k < store.n; k++) {
    const s = store.ringAt(k);
    if (store.st[s] !== DATA || store.pend[s] === 0) continue;
    const bm = store.readBitmap(s);
    for (let i = 0; i < store.cnt[s]; i++) {
      if (bm[store.bitByte(s, i)] & (1 << (i % 8))) return store.seq[s] * POS_SPAN + i;
    }
  }
  return store.headPos();
}

/**
 * Calls `fn` for each undelivered reading from `from` on, oldest first, until it returns
 * false. Do not append from inside `fn`; marking delivered what was already visited is fine.
 */
function scan(store: Store, options: ScanOptions, fn: (rec: LogRecord) => boolean | void): void {
  const cur = openCursor(store, options);
  let rec = cur.next();
  while (rec !== undefined && fn(rec) !== false) rec = cur.next();
}

/**
 * A resumable {@link scan}: each `next()` decodes on from where the last one stopped, so a
 * batch streamed piece by piece reads each sector once instead of once per piece.
 */
function openCursor(store: Store, options: ScanOptions): LogCursor {
  store.requireMounted();
  const pin = options.pin;
  const all = !!options.delivered;
  let from = options.from || 0;
  let gen = -1;
  let k = 0;
  let s = -1;
  let first = 0;
  let bm: Uint8Array | undefined;
  /** Readings the sector held when `bm` was read: the bitmap grows down as the head sector fills. */
  let bmCount = 0;
  let c: SectorCursor | undefined;
  function seek(): void {
    // Ring order starts after the head; a rotation shifts it, so start over from `from`.
    gen = store.gen;
    k = 0;
    c = undefined;
  }
  function next(): LogRecord | undefined {
    if (gen !== store.gen) seek();
    for (;;) {
      if (!c) {
        if (k >= store.n) return undefined;
        s = store.ringAt(k++);
        if (store.st[s] !== DATA || (store.pend[s] === 0 && !all)) continue;
        first = store.seq[s] * POS_SPAN;
        if (first + store.cnt[s] <= from) continue;
        bm = undefined;
        c = store.cursor(s);
      }
      const r = c.next();
      if (r === R_END || r === R_BAD) {
        c = undefined;
        continue;
      }
      if (r !== R_READING) continue;
      const i = c.index;
      if (i >= store.cnt[s]) {
        c = undefined;
        continue;
      }
      const pos = first + i;
      if (pos < from || (pin !== undefined && c.pin !== pin)) continue;
      // Between two next() calls readings may have been appended to this sector: a bitmap
      // read before then is laid out for fewer readings and lacks their bits.
      if (!bm || i >= bmCount) {
        bmCount = store.cnt[s];
        bm = store.readBitmap(s);
      }
      const pending = (bm[bitByteOf(store, bmCount, i)] & (1 << (i % 8))) !== 0;
      if (pending || all) {
        from = pos + 1;
        const rec: LogRecord = { pos: pos, reading: readingOf(c), type: c.type };
        if (!pending) rec.delivered = true;
        return rec;
      }
    }
  }
  return { next: next };
}

export function readingOf(c: SectorCursor): Reading {
  return {
    pin: c.pin,
    stamp: c.dom === EPOCH ? { epochMs: c.ms } : { bootId: c.dom, uptimeMs: c.ms },
    value: c.value,
  };
}

/**
 * Marks delivered every undelivered reading of `pin` with from <= pos <= to: one in-place
 * write per 32-reading bitmap word touched. Durable on return.
 */
function markDelivered(store: Store, options: { pin: number; from: LogPos; to: LogPos }): void {
  store.requireMounted();
  clearRange(store, options.pin, options.from, options.to);
}

function clearRange(store: Store, pin: number, from: number, to: number): number {
  let total = 0;
  for (let k = 0; k < store.n; k++) {
    const s = store.ringAt(k);
    if (store.st[s] !== DATA || store.pend[s] === 0) continue;
    const first = store.seq[s] * POS_SPAN;
    if (first + store.cnt[s] <= from || first > to) continue;
    const bm = store.readBitmap(s);
    const clear = new Uint8Array(bm.length);
    let cleared = 0;
    const c = store.cursor(s);
    let r = c.next();
    while (r !== R_END && r !== R_BAD) {
      if (r === R_READING) {
        const i = c.index;
        const pos = first + i;
        if (pos > to || i >= store.cnt[s]) break;
        const bb = store.bitByte(s, i);
        const bit = 1 << (i % 8);
        if (pos >= from && (pin < 0 || c.pin === pin) && bm[bb] & bit && !(clear[bb] & bit)) {
          clear[bb] |= bit;
          cleared++;
        }
      }
      r = c.next();
    }
    if (cleared) writeClears(store, s, clear);
    store.pend[s] -= cleared;
    total += cleared;
  }
  return total;
}

function writeClears(store: Store, s: number, clear: Uint8Array): void {
  const a = store.addr(s) + recordLimit(store.sectorBytes, store.cnt[s]);
  for (let w = 0; w < clear.length; w += 4) {
    if (clear[w] | clear[w + 1] | clear[w + 2] | clear[w + 3]) store.clearBits(a + w, clear.subarray(w, w + 4));
  }
}

/** Marks one reading as dropped for `reason` (not to be sent), counted. */
function drop(store: Store, pos: LogPos, reason: DropReason): void {
  store.requireMounted();
  store.reasonIndex(reason);
  const seq = Math.floor(pos / POS_SPAN);
  const i = pos - seq * POS_SPAN;
  for (let s = 0; s < store.n; s++) {
    if (store.st[s] !== DATA || store.seq[s] !== seq || i >= store.cnt[s]) continue;
    const bm = store.readBitmap(s);
    const bb = store.bitByte(s, i);
    const bit = 1 << (i % 8);
    if (!(bm[bb] & bit)) return;
    const clear = new Uint8Array(bm.length);
    clear[bb] = bit;
    writeClears(store, s, clear);
    store.pend[s]--;
    store.countDrop(reason, 1);
    return;
  }
}


/** The read side as the Store calls it (`StoreOptions.reader`). */
export const READER = { oldestPos: oldestPos, scan: scan, openCursor: openCursor, markDelivered: markDelivered, drop: drop };

export type StoreReader = typeof READER;
