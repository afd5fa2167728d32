/**
 * The daily point quota (Blynk counts points per device per UTC day), persisted in a small
 * Storage file so a reboot does not reset it.
 *
 * Storage never rewrites in place: every write leaves trash that a compaction must reclaim, so
 * the file is written sparingly: when the day changes, when the quota is used up, and when the
 * count has moved by `persistStep` points since the last write. A reboot therefore forgets at
 * most `persistStep - 1` points of the day.
 */

import type { StoragePort } from "../hal.ts";

/**
 * Storage file of the quotas: JSON `{"day":N,"used":N,"req":N}`, day = UTC days since 1970,
 * used = points delivered that day, req = requests made that day (Blynk counts every External
 * API request as one message against the plan).
 */
export const QUOTA_FILE = "spool.quota";
/**
 * The two files a save alternates between (Storage.write of an existing name erases the old
 * copy first: a cut in between would forget the day's count). A save goes to the file that does
 * not hold the newest count, then the other is erased; a reader takes the newest valid one.
 */
export const QUOTA_FILES = [QUOTA_FILE, "spool.quota1"];
const DAY_MS = 86400000;

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
  /** UTC ms when the next day starts, after `nowUtc`. */
  nextDayMs(nowUtc: number): number;
}

export function createQuota(o: QuotaOptions): Quota {
  let day = -1;
  let used = 0;
  let saved = 0;
  let req = 0;
  let reqSaved = 0;
  const reqDaily = o.requestsDaily !== undefined ? o.requestsDaily : 1e9;
  const reqStep = Math.max(1, Math.floor(reqDaily / 100));
  const step = o.persistStep !== undefined ? o.persistStep : Math.max(1, Math.floor(o.daily / 100));
  /** The file holding the newest count, -1: none. */
  let slot = -1;
  for (let i = 0; i < QUOTA_FILES.length; i++) {
    try {
      const raw = o.storage.read(QUOTA_FILES[i]);
      if (!raw) continue;
      const j = JSON.parse(raw);
      if (typeof j.day !== "number" || typeof j.used !== "number") continue;
      // The newest day, and within a day the higher count (the conservative reading).
      if (slot >= 0 && (j.day < day || (j.day === day && j.used <= used))) continue;
      slot = i;
      day = j.day;
      used = j.used;
      saved = used;
      req = typeof j.req === "number" ? j.req : 0;
      reqSaved = req;
    } catch (_e) {
      // an unreadable (torn) file is not a count
    }
  }

  function save(): void {
    const next = slot === 0 ? 1 : 0;
    try {
      o.storage.write(QUOTA_FILES[next], JSON.stringify({ day: day, used: used, req: req }));
      o.storage.erase(QUOTA_FILES[1 - next]);
      slot = next;
      saved = used;
      reqSaved = req;
    } catch (_e) {
      // Storage full: the count stays in RAM for this boot
    }
  }

  /** Rolls over to the day of nowUtc (unknown time: stay on the day we have). */
  function roll(nowUtc: number | undefined): void {
    if (nowUtc === undefined) return;
    const d = Math.floor(nowUtc / DAY_MS);
    if (d > day) {
      day = d;
      used = 0;
      saved = -1;
      req = 0;
      reqSaved = 0;
    }
  }

  return {
    remaining: (nowUtc) => {
      roll(nowUtc);
      return used >= o.daily ? 0 : o.daily - used;
    },
    add: (nowUtc, points) => {
      roll(nowUtc);
      used += points;
      if (saved < 0 || used - saved >= step || used >= o.daily) save();
    },
    exhaust: (nowUtc) => {
      roll(nowUtc);
      if (used < o.daily) {
        used = o.daily;
        save();
      }
    },
    requestsLeft: (nowUtc) => {
      roll(nowUtc);
      return req >= reqDaily ? 0 : reqDaily - req;
    },
    addRequest: (nowUtc) => {
      roll(nowUtc);
      req++;
      if (saved < 0 || req - reqSaved >= reqStep || req >= reqDaily) save();
    },
    requests: () => req,
    used: () => used,
    day: () => day,
    nextDayMs: (nowUtc) => (Math.floor(nowUtc / DAY_MS) + 1) * DAY_MS,
  };
}
