/**
 * The store's read side: cursors over the log and the clearing of pending bits. Only a flush,
 * the clock's survey, a status question and the maintenance parts read the log, so this is the
 * read part (src/device/parts/read.ts), loaded by {@link Store.openCursor},
 * {@link Store.markDelivered} and {@link Store.drop} for each call and held by an open cursor,
 * and by the maintenance parts for each sector they read: none of it, the record decoder
 * included, is resident, and its code is in one part only (docs/memory.md). Nothing here changes the flash format or the order of
 * writes (docs/flash-format.md).
 */
import type { LogCursor, LogPos, LogRecord, ScanOptions } from "./contract.ts";
import { POS_SPAN, recordLimit } from "./format.ts";
import { EPOCH, R_BAD, R_END, R_READING, SectorCursor } from "./record.ts";
import type { Store } from "./store.ts";
import { DATA, SEQ_AT } from "./store.ts";
import type { Reading } from "../types.ts";

// The helpers below work on a Store's state for the parts only: as Store methods they would
// cost JsVars at rest (docs/memory.md). The maintenance parts carry their own copies.

/** Flash address of sector s of `st`. */
export function addr(st: Store, s: number): number {
  return st.base + s * st.sectorBytes;
}

/** The bitmap words of sector s covering `count` readings, lowest address first (a bit as format.ts pendingBit tests it). */
export function readBitmap(st: Store, s: number, count: number): Uint8Array {
  const from = recordLimit(st.sectorBytes, count);
  // addr() inline here and below: one function fewer in the read part (maintenance and
  // inspect use it).
  return st.flash.read(st.sectorBytes - from, st.base + s * st.sectorBytes + from);
}

/**
 * The ring walk, oldest first (the sector after the head, ..., the head): the first data
 * sector after `s` (-1: from the oldest) that holds undelivered readings, or any data sector
 * when `all`; -1 once past the head.
 */
export function ringNext(st: Store, s: number, all: boolean): number {
  const h = st.head;
  if (s === h) return -1;
  for (;;) {
    s = ((s < 0 ? h : s) + 1) % st.n;
    if (st.sectorState[s] === DATA && (all || st.counts[st.n + s] > 0)) return s;
    if (s === h) return -1;
  }
}

/** A cursor over sector s of `st`, up to its seal, or (`unsealed`, or not sealed) as far as its records go. */
export function sectorCursor(st: Store, s: number, unsealed?: boolean): SectorCursor {
  return new SectorCursor(
    st,
    st.base + s * st.sectorBytes,
    st.sectorSealed[s] && !unsealed ? recordLimit(st.sectorBytes, st.counts[s]) : 0,
    st.sectorVersion[s],
  );
}

/** The reading a cursor stands on. */
export function readingOf(c: SectorCursor): Reading {
  return {
    pin: c.pin,
    stamp: c.dom === EPOCH ? { epochMs: c.ms } : { bootId: c.dom, uptimeMs: c.ms },
    value: c.value,
  };
}

/** {@link Store.openCursor} of a mounted store. */
function openCursor(self: Store, options: ScanOptions): LogCursor {
  const pin = options.pin;
  const all = !!options.delivered;
  let from = options.from || 0;
  let gen = -1;
  /** The sector being read: -1 before the oldest, -2 once past the head. */
  let s = -1;
  let first = 0;
  let bm: Uint8Array | undefined;
  /** Readings the sector held when `bm` was read: the bitmap grows down as the head sector fills. */
  let bmCount = 0;
  let c: SectorCursor | undefined;
  function next(): LogRecord | undefined {
    if (gen !== self.gen) {
      // Ring order starts after the head; a rotation shifts it, so start over from `from`.
      gen = self.gen;
      s = -1;
      c = undefined;
    }
    for (;;) {
      if (!c) {
        if (s === -2) return undefined;
        s = ringNext(self, s, all);
        if (s < 0) {
          s = -2;
          return undefined;
        }
        first = self.wdv.getUint32(SEQ_AT + 4 * s) * POS_SPAN;
        if (first + self.counts[s] <= from) continue;
        bm = undefined;
        c = sectorCursor(self, s);
      }
      const r = c.next();
      if (r === R_END || r === R_BAD) {
        c = undefined;
        continue;
      }
      if (r !== R_READING) continue;
      const i = c.index;
      if (i >= self.counts[s]) {
        c = undefined;
        continue;
      }
      const pos = first + i;
      if (pos < from || (pin !== undefined && c.pin !== pin)) continue;
      // Between two next() calls readings may have been appended to this sector: a bitmap
      // read before then is laid out for fewer readings and lacks their bits.
      if (!bm || i >= bmCount) {
        bmCount = self.counts[s];
        bm = readBitmap(self, s, bmCount);
      }
      // format.ts pendingBit inline here and below (bitmapByte's word and byte of reading i):
      // two functions fewer in the read part, held at every phase of a flush (docs/memory.md).
      const pending = (bm[((((bmCount + 31) >> 5) - (i >> 5) - 1) << 2) + ((i & 31) >> 3)] & (1 << (i & 7))) !== 0;
      if (pending || all) {
        from = pos + 1;
        // readingOf() inline: one function fewer in the read part (inspect uses it).
        const rec: LogRecord = {
          pos: pos,
          reading: { pin: c.pin, stamp: c.dom === EPOCH ? { epochMs: c.ms } : { bootId: c.dom, uptimeMs: c.ms }, value: c.value },
          type: c.type,
        };
        if (!pending) rec.delivered = true;
        return rec;
      }
    }
  }
  return { next: next };
}

/** Clears bits of a 4-byte word of `st`'s flash in place (mask bytes: 1 = clear). */
export function clearBits(st: Store, addr: number, mask: Uint8Array): void {
  const w = new Uint8Array(4);
  for (let i = 0; i < 4; i++) w[i] = ~mask[i] & 255;
  st.flash.write(w, addr);
}

/** Clears in flash the bits set in `clear` (laid out as sector s's bitmap), one write per word touched. */
export function writeClears(st: Store, s: number, clear: Uint8Array): void {
  const a = st.base + s * st.sectorBytes + recordLimit(st.sectorBytes, st.counts[s]);
  // clearBits() inline: one function fewer in the read part (maintenance uses it).
  for (let w = 0; w < clear.length; w += 4) {
    if (clear[w] | clear[w + 1] | clear[w + 2] | clear[w + 3]) {
      const m = new Uint8Array(4);
      for (let i = 0; i < 4; i++) m[i] = ~clear[w + i] & 255;
      st.flash.write(m, a + w);
    }
  }
}

/** {@link Store.markDelivered} of a mounted store (every pin when `pin` < 0); @returns how many were marked. */
function markDelivered(st: Store, options: { pin: number; from: LogPos; to: LogPos }): number {
  const pin = options.pin;
  const from = options.from;
  const to = options.to;
  let total = 0;
  for (let s = ringNext(st, -1, false); s >= 0; s = ringNext(st, s, false)) {
    const first = st.wdv.getUint32(SEQ_AT + 4 * s) * POS_SPAN;
    const count = st.counts[s];
    if (first + count <= from || first > to) continue;
    const bm = readBitmap(st, s, count);
    // Laid out as bm: the bits to clear (a cursor gives each index once).
    const clear = new Uint8Array(bm.length);
    let cleared = 0;
    const c = sectorCursor(st, s);
    let r = c.next();
    while (r !== R_END && r !== R_BAD) {
      if (r === R_READING) {
        const i = c.index;
        const pos = first + i;
        if (pos > to || i >= count) break;
        const at = ((((count + 31) >> 5) - (i >> 5) - 1) << 2) + ((i & 31) >> 3);
        const bit = pos >= from && (pin < 0 || c.pin === pin) ? bm[at] & (1 << (i & 7)) : 0;
        if (bit) {
          clear[at] |= bit;
          cleared++;
        }
      }
      r = c.next();
    }
    if (cleared) writeClears(st, s, clear);
    st.counts[st.n + s] -= cleared;
    total += cleared;
  }
  return total;
}

/** {@link Store.oldestPos} of a mounted store. */
function oldestPos(st: Store): LogPos {
  for (let s = ringNext(st, -1, false); s >= 0; s = ringNext(st, s, false)) {
    const count = st.counts[s];
    const bm = readBitmap(st, s, count);
    for (let i = 0; i < count; i++)
      if (bm[((((count + 31) >> 5) - (i >> 5) - 1) << 2) + ((i & 31) >> 3)] & (1 << (i & 7)))
        return st.wdv.getUint32(SEQ_AT + 4 * s) * POS_SPAN + i;
  }
  return st.headPos();
}

/** What the read part holds. */
export const READ = {
  sectorCursor: sectorCursor,
  openCursor: openCursor,
  markDelivered: markDelivered,
  oldestPos: oldestPos,
};
export type StoreRead = typeof READ;
