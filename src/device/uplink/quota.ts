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
 *
 * The quota is plain state, an array of numbers ({@link QuotaState}), run by two functions
 * ({@link openQuota}, {@link quota}): on Espruino an object with methods cost the uplink part a
 * prototype of ten functions (about 56 JsVars) while a flush ran, and closures would cost more.
 */

import type { StoragePort } from "../hal.ts";

/** The two log files; the newest count may be in either (see {@link LOG_ENTRIES}). */
export const QUOTA_FILE = "spool.quota";
export const QUOTA_FILES = [QUOTA_FILE, "spool.quota1"];
/** Bytes of one entry: day u16, used u32, req u32, check u16 (little-endian). */
export const ENTRY_BYTES = 12;
/** Entries of a log file: a rewrite (one file of trash) every LOG_ENTRIES saves. */
export const LOG_ENTRIES = 340;

/**
 * The quota's state: [day, used, saved, req, reqSaved, slot, fill, daily, reqDaily, step,
 * reqStep]: the UTC day counted (-1: none), points and requests counted that day and at the last
 * save (saved -1: the day's first count is not saved yet), the file holding the newest count (-1:
 * none) and its first unwritten entry, the daily limits and the save steps.
 */
export type QuotaState = Int32Array;

/** What {@link quota} does. */
export const Q_REMAINING = 0;
export const Q_ADD = 1;
export const Q_EXHAUST = 2;
export const Q_REQUESTS_LEFT = 3;
export const Q_ADD_REQUEST = 4;

export interface QuotaOptions {
  storage: StoragePort;
  /** Points per UTC day. */
  daily: number;
  /** Requests per UTC day (default unlimited). */
  requestsDaily?: number;
  /** Points counted between two writes of the file (default 1% of the quota, at least 1). */
  persistStep?: number;
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

/** Sets quota `q`'s daily limits and save steps (a changed configuration keeps the counts). */
export function quotaLimits(q: QuotaState, daily: number, requestsDaily: number | undefined, persistStep?: number): void {
  const reqDaily = requestsDaily !== undefined ? requestsDaily : 1e9;
  q[7] = daily;
  q[8] = reqDaily;
  q[9] = persistStep !== undefined ? persistStep : Math.max(1, Math.floor(daily / 100));
  q[10] = Math.max(1, Math.floor(reqDaily / 100));
}

/** Opens the quota: the newest count of today from the log files. */
export function openQuota(st: StoragePort, daily: number, requestsDaily: number | undefined, persistStep?: number): QuotaState {
  // Made here, not at the part's level: they exist only while a quota is opened.
  function leAt(s: string, at: number, bytes: number): number {
    let n = 0;
    for (let i = bytes - 1; i >= 0; i--) n = n * 256 + (s.charCodeAt(at + i) & 255);
    return n;
  }
  /** Takes a count read from flash if it is newer: the newest day, within a day the higher counts. */
  function take(d: number, u: number, r: number, i: number, f: number): void {
    if (d < q[0] || (d === q[0] && u < q[1] && r < q[3])) return;
    if (d > q[0]) {
      q[0] = d;
      q[1] = u;
      q[3] = r;
    }
    if (u > q[1]) q[1] = u;
    if (r > q[3]) q[3] = r;
    q[5] = i;
    q[6] = f;
  }
  // A typed array: 8 JsVars on the 1,600 build where an array of 11 numbers takes 16, and it is
  // kept for as long as the spool runs (UplinkKeep.q). Every value fits (limits are at most 1e9).
  const q: QuotaState = new Int32Array(11);
  q[0] = -1;
  q[5] = -1;
  quotaLimits(q, daily, requestsDaily, persistStep);
  for (let i = 0; i < QUOTA_FILES.length; i++) {
    let raw: string | undefined;
    try {
      raw = st.read(QUOTA_FILES[i]);
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
      if (en === "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff") break;
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
  q[2] = q[1];
  q[4] = q[3];
  return q;
}

/**
 * Runs quota `q` on the UTC day of `nowUtc` (unknown time: the day it has): `op` Q_REMAINING
 * (points still allowed), Q_ADD (counts `n` delivered points), Q_EXHAUST (the server said the
 * quota is used up: taken as used for the day), Q_REQUESTS_LEFT (requests still allowed),
 * Q_ADD_REQUEST (counts one request made). Returns what is left (points, or requests for the
 * request ops). Points counted today are `q[1]`, requests `q[3]`, the day `q[0]`.
 */
export function quota(q: QuotaState, st: StoragePort, nowUtc: number | undefined, op: number, n?: number): number {
  if (nowUtc !== undefined) {
    const d = Math.floor(nowUtc / 86400000);
    if (d > q[0]) {
      q[0] = d;
      q[1] = 0;
      q[2] = -1;
      q[3] = 0;
      q[4] = 0;
    }
  }
  let save = false;
  if (op === Q_ADD) {
    q[1] += n as number;
    save = q[2] < 0 || q[1] - q[2] >= q[9] || q[1] >= q[7];
  } else if (op === Q_EXHAUST) {
    save = q[1] < q[7];
    if (save) q[1] = q[7];
  } else if (op === Q_ADD_REQUEST) {
    q[3]++;
    save = q[2] < 0 || q[3] - q[4] >= q[10] || q[3] >= q[8];
  }
  if (save) {
    /** Little-endian bytes of n as a binary string. */
    const le = (v: number, bytes: number): string => {
      let s = "";
      for (let i = 0; i < bytes; i++) s += String.fromCharCode((v >>> (8 * i)) & 255);
      return s;
    };
    // One log entry (docs/flash-format.md, "Quota log").
    const head = le(q[0], 2) + le(q[1], 4) + le(q[3], 4);
    const en = head + le(entryCheck(head), 2);
    const slot = q[5];
    try {
      if (slot >= 0 && q[6] < LOG_ENTRIES) st.write(QUOTA_FILES[slot], en, q[6] * ENTRY_BYTES, ENTRY_BYTES * LOG_ENTRIES);
      else {
        // A full log: start the other file with this entry, then drop the full one (a cut in
        // between leaves both: the newest count is read from either).
        const next = slot === 0 ? 1 : 0;
        st.write(QUOTA_FILES[next], en, 0, ENTRY_BYTES * LOG_ENTRIES);
        if (slot >= 0) st.erase(QUOTA_FILES[slot]);
        q[5] = next;
        q[6] = 0;
      }
      q[6]++;
      q[2] = q[1];
      q[4] = q[3];
    } catch (_e) {
      // Storage full: the count stays in RAM for this boot
    }
  }
  if (op >= Q_REQUESTS_LEFT) return q[3] >= q[8] ? 0 : q[8] - q[3];
  return q[1] >= q[7] ? 0 : q[7] - q[1];
}

/** The quota as an object (tests and tools; the uplink runs {@link quota} on its state). */
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

/** Opens the quota as an object (see {@link Quota}). */
export function createQuota(o: QuotaOptions): Quota {
  const q = openQuota(o.storage, o.daily, o.requestsDaily, o.persistStep);
  const st = o.storage;
  return {
    remaining: (now) => quota(q, st, now, Q_REMAINING),
    add: (now, points) => void quota(q, st, now, Q_ADD, points),
    exhaust: (now) => void quota(q, st, now, Q_EXHAUST),
    requestsLeft: (now) => quota(q, st, now, Q_REQUESTS_LEFT),
    addRequest: (now) => void quota(q, st, now, Q_ADD_REQUEST),
    requests: () => q[3],
    used: () => q[1],
    day: () => q[0],
  };
}
