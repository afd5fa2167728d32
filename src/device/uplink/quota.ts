/**
 * The daily point quota (Blynk counts points per device per UTC day), persisted so a reboot
 * does not reset it.
 *
 * The count is saved when the day changes, when the quota is used up, and when the count has
 * moved by `persistStep` points (or 1% of the requests) since the last save: a reboot forgets
 * at most `persistStep - 1` points of the day.
 *
 * Storage never rewrites a file in place, and every replaced file stays as trash that only
 * `spool flash` compacts (the firmware never does). So a save is not a new file: it is one
 * 12-byte entry appended into a preallocated log file (Espruino's `Storage.write(name, data,
 * offset)` writes into a file where its bytes are still 0xFF). Only a full log is rewritten,
 * into the other of two files, before the full one is erased (docs/flash-format.md, "Quota log").
 */

import type { StoragePort } from "../hal.ts";

/** The two log files; the newest count may be in either (see {@link LOG_ENTRIES}). */
export const QUOTA_FILE = "spool.quota";
export const QUOTA_FILES = [QUOTA_FILE, "spool.quota1"];
/** Bytes of one entry: day u16, used u32, req u32, check u16 (little-endian). */
export const ENTRY_BYTES = 12;
/** Entries of a log file: a rewrite (one file of trash) every LOG_ENTRIES saves. */
export const LOG_ENTRIES = 340;
const DAY_MS = 86400000;
const BLANK = "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff";

export interface QuotaOptions {
  storage: StoragePort;
  /** Points per UTC day. */
  daily: number;
  /** Requests per UTC day (default unlimited). */
  requestsDaily?: number;
  /** Points counted between two writes of the file (default 1% of the quota, at least 1). */
  persistStep?: number;
}

export interface Quota {
  /** Points still allowed on the UTC day of `nowUtc`. */
  remaining(nowUtc: number | undefined): number;
  /** Counts delivered points. */
  add(nowUtc: number | undefined, points: number): void;
  /** The server said the quota is used up: take it as used for the day. */
  exhaust(nowUtc: number | undefined): void;
  /** Requests still allowed on the UTC day of `nowUtc`. */
  requestsLeft(nowUtc: number | undefined): number;
  /** Counts one request made. */
  addRequest(nowUtc: number | undefined): void;
  /** Requests counted today. */
  requests(): number;
  /** Points counted today, and the day. */
  used(): number;
  day(): number;
}

/** CRC-16/CCITT-FALSE of the first 10 characters (bytes) of `s`. */
export function entryCheck(s: string): number {
  let c = 0xffff;
  for (let i = 0; i < 10; i++) {
    c ^= (s.charCodeAt(i) & 255) << 8;
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
  }
  return c;
}

/**
 * The quota as fields and methods, not closures: the methods live on the class (in the uplink
 * part, loaded with it), each instance is its fields only (closures over one scope cost about
 * 50 JsVars more per uplink instance).
 */
class QuotaLog implements Quota {
  _st: StoragePort;
  _daily: number;
  _reqDaily: number;
  _reqStep: number;
  _step: number;
  _day = -1;
  _used = 0;
  _saved = 0;
  _req = 0;
  _reqSaved = 0;
  /** The file holding the newest count (-1: none), and its first unwritten entry. */
  _slot = -1;
  _fill = 0;

  constructor(o: QuotaOptions) {
    // Made here, not at the part's level (nor as methods): they exist only while a quota is opened.
    const q = this;
    function leAt(s: string, at: number, bytes: number): number {
      let n = 0;
      for (let i = bytes - 1; i >= 0; i--) n = n * 256 + (s.charCodeAt(at + i) & 255);
      return n;
    }
    /** Takes a count read from flash if it is newer: the newest day, within a day the higher counts. */
    function take(d: number, u: number, r: number, i: number, f: number): void {
      if (d < q._day || (d === q._day && u < q._used && r < q._req)) return;
      if (d > q._day) {
        q._day = d;
        q._used = u;
        q._req = r;
      }
      if (u > q._used) q._used = u;
      if (r > q._req) q._req = r;
      q._slot = i;
      q._fill = f;
    }
    this._st = o.storage;
    this._daily = o.daily;
    const reqDaily = o.requestsDaily !== undefined ? o.requestsDaily : 1e9;
    this._reqDaily = reqDaily;
    this._reqStep = Math.max(1, Math.floor(reqDaily / 100));
    this._step = o.persistStep !== undefined ? o.persistStep : Math.max(1, Math.floor(o.daily / 100));
    for (let i = 0; i < QUOTA_FILES.length; i++) {
      let raw: string | undefined;
      try {
        raw = o.storage.read(QUOTA_FILES[i]);
      } catch (_e) {}
      if (!raw) continue;
      if (raw.charAt(0) === "{") {
        // an earlier firmware's JSON file: the next save starts a log in place of it
        try {
          const j = JSON.parse(raw);
          if (typeof j.day === "number" && typeof j.used === "number") take(j.day, j.used, j.req || 0, i, LOG_ENTRIES);
        } catch (_e) {}
        continue;
      }
      // Entries are written in order; a written one that fails its check was torn by a cut and
      // is skipped (its bytes are no longer 0xFF, so the next save goes after it).
      let f = 0;
      let best = -1;
      for (let e = 0; e + ENTRY_BYTES <= raw.length; e += ENTRY_BYTES) {
        const en = raw.substr(e, ENTRY_BYTES);
        if (en === BLANK) break;
        f = e / ENTRY_BYTES + 1;
        if (leAt(en, 10, 2) === entryCheck(en)) best = e;
      }
      // a log of another size is rewritten at the next save
      if (best >= 0)
        take(
          leAt(raw, best, 2),
          leAt(raw, best + 2, 4),
          leAt(raw, best + 6, 4),
          i,
          raw.length === ENTRY_BYTES * LOG_ENTRIES ? f : LOG_ENTRIES,
        );
    }
    this._saved = this._used;
    this._reqSaved = this._req;
  }

  _save(): void {
    /** Little-endian bytes of n as a binary string. */
    function le(n: number, bytes: number): string {
      let s = "";
      for (let i = 0; i < bytes; i++) s += String.fromCharCode((n >>> (8 * i)) & 255);
      return s;
    }
    // One log entry (docs/flash-format.md, "Quota log").
    const head = le(this._day, 2) + le(this._used, 4) + le(this._req, 4);
    const en = head + le(entryCheck(head), 2);
    const slot = this._slot;
    try {
      if (slot >= 0 && this._fill < LOG_ENTRIES) this._st.write(QUOTA_FILES[slot], en, this._fill * ENTRY_BYTES, ENTRY_BYTES * LOG_ENTRIES);
      else {
        // A full log: start the other file with this entry, then drop the full one (a cut in
        // between leaves both: the newest count is read from either).
        const next = slot === 0 ? 1 : 0;
        this._st.write(QUOTA_FILES[next], en, 0, ENTRY_BYTES * LOG_ENTRIES);
        if (slot >= 0) this._st.erase(QUOTA_FILES[slot]);
        this._slot = next;
        this._fill = 0;
      }
      this._fill++;
      this._saved = this._used;
      this._reqSaved = this._req;
    } catch (_e) {
      // Storage full: the count stays in RAM for this boot
    }
  }

  /** Rolls over to the day of nowUtc (unknown time: stay on the day we have). */
  _roll(nowUtc: number | undefined): void {
    if (nowUtc === undefined) return;
    const d = Math.floor(nowUtc / DAY_MS);
    if (d > this._day) {
      this._day = d;
      this._used = 0;
      this._saved = -1;
      this._req = 0;
      this._reqSaved = 0;
    }
  }

  remaining(nowUtc: number | undefined): number {
    this._roll(nowUtc);
    return this._used >= this._daily ? 0 : this._daily - this._used;
  }

  add(nowUtc: number | undefined, points: number): void {
    this._roll(nowUtc);
    this._used += points;
    if (this._saved < 0 || this._used - this._saved >= this._step || this._used >= this._daily) this._save();
  }

  exhaust(nowUtc: number | undefined): void {
    this._roll(nowUtc);
    if (this._used < this._daily) {
      this._used = this._daily;
      this._save();
    }
  }

  requestsLeft(nowUtc: number | undefined): number {
    this._roll(nowUtc);
    return this._req >= this._reqDaily ? 0 : this._reqDaily - this._req;
  }

  addRequest(nowUtc: number | undefined): void {
    this._roll(nowUtc);
    this._req++;
    if (this._saved < 0 || this._req - this._reqSaved >= this._reqStep || this._req >= this._reqDaily) this._save();
  }

  requests(): number {
    return this._req;
  }

  used(): number {
    return this._used;
  }

  day(): number {
    return this._day;
  }
}

/** Opens the quota: the newest count of today from the log files. */
export function createQuota(o: QuotaOptions): Quota {
  return new QuotaLog(o);
}
