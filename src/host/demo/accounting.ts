/**
 * The demo's bookkeeping: what the device recorded against what the server stored. Every
 * stored point is matched to the sensor reading it came from (same pin, same value, nearest
 * true time within half a sampling period), which gives delivered, duplicates, timestamp error
 * and gaps without trusting the device's own counters.
 */
import type { TrueReading } from "./sensors.ts";

/** A stored point as the server returns it: [ts ms, value]. */
export type StoredPoint = [number, unknown];

export interface PinAccount {
  pin: number;
  /** Sensor readings taken on the pin. */
  taken: number;
  /** Points the server stored for this run (duplicates included). */
  stored: number;
  /** Readings with at least one stored point. */
  delivered: number;
  /** Stored points beyond the first of their reading. */
  duplicates: number;
  /** Stored points that match no reading (wrong value or time): must be 0. */
  unmatched: number;
  /** Largest |uploaded ts - true ts| over delivered readings, ms. */
  maxErrorMs: number;
  meanErrorMs: number;
  /** Largest interval between consecutive delivered points (by uploaded ts), ms. */
  maxGapMs: number;
}

export interface Account {
  pins: PinAccount[];
  /** Readings the simulated sensors gave (ground truth: the sensors' own log). */
  produced: number;
  /** Readings the device confirmed as recorded (its sampling counters, over every boot). */
  recorded: number;
  /** Readings the device's sampling could not store (its error counters, over every boot). */
  sampleErrors: number;
  delivered: number;
  duplicates: number;
  unmatched: number;
  /** Drops the device counted, by reason. */
  dropped: { [reason: string]: number };
  droppedTotal: number;
  /** Still waiting in flash at the end (0 after a complete flush). */
  pending: number;
  /**
   * produced - delivered - droppedTotal - pending: sensor readings neither on the server nor
   * accounted for by the device (a drop it reported, or waiting in flash). Must be 0. Taken
   * from ground truth, not from the device's own recorded count, which could hide a loss.
   */
  lost: number;
  maxErrorMs: number;
  meanErrorMs: number;
  maxGapMs: number;
}

/** Values as the store keeps them: a double is stored as float32 by default. */
function sameValue(a: unknown, b: number): boolean {
  return typeof a === "number" && Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));
}

/** Index of the reading nearest in time to `ts` (readings sorted by trueMs). */
function nearest(readings: TrueReading[], ts: number): number {
  let lo = 0;
  let hi = readings.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (readings[mid].trueMs < ts) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(readings[lo - 1].trueMs - ts) <= Math.abs(readings[lo].trueMs - ts)) return lo - 1;
  return lo;
}

/**
 * Matches one pin's stored points to its readings. A point is that reading's when its value is
 * the reading's and its timestamp is within `toleranceMs` of the true time (nearest first, then
 * the neighbours, since consecutive readings can share a value).
 */
export function accountPin(o: { pin: number; readings: TrueReading[]; stored: StoredPoint[]; toleranceMs: number }): PinAccount {
  const readings = o.readings.slice().sort((a, b) => a.trueMs - b.trueMs);
  const hits = new Array<number>(readings.length).fill(0);
  const uploadedTs = new Array<number>(readings.length).fill(NaN);
  let unmatched = 0;
  for (const [ts, value] of o.stored) {
    if (!readings.length) {
      unmatched++;
      continue;
    }
    const n = nearest(readings, ts);
    let found = -1;
    for (const i of [n, n - 1, n + 1]) {
      const r = readings[i];
      if (r && Math.abs(r.trueMs - ts) <= o.toleranceMs && sameValue(value, r.value)) {
        if (found < 0 || Math.abs(r.trueMs - ts) < Math.abs(readings[found].trueMs - ts)) found = i;
      }
    }
    if (found < 0) {
      unmatched++;
      continue;
    }
    if (hits[found]++ === 0) uploadedTs[found] = ts;
  }
  let delivered = 0;
  let duplicates = 0;
  let maxErrorMs = 0;
  let sumError = 0;
  const times: number[] = [];
  for (let i = 0; i < readings.length; i++) {
    if (!hits[i]) continue;
    delivered++;
    duplicates += hits[i] - 1;
    const err = Math.abs(uploadedTs[i] - readings[i].trueMs);
    maxErrorMs = Math.max(maxErrorMs, err);
    sumError += err;
    times.push(uploadedTs[i]);
  }
  times.sort((a, b) => a - b);
  let maxGapMs = 0;
  for (let i = 1; i < times.length; i++) maxGapMs = Math.max(maxGapMs, times[i] - times[i - 1]);
  return {
    pin: o.pin,
    taken: readings.length,
    stored: o.stored.length,
    delivered,
    duplicates,
    unmatched,
    maxErrorMs,
    meanErrorMs: delivered ? sumError / delivered : 0,
    maxGapMs,
  };
}

/** The whole run's account from the per-pin accounts and the device's counters. */
export function account(o: {
  pins: PinAccount[];
  recorded: number;
  sampleErrors: number;
  dropped: { [reason: string]: number };
  pending: number;
}): Account {
  const sum = (f: (p: PinAccount) => number) => o.pins.reduce((n, p) => n + f(p), 0);
  const delivered = sum((p) => p.delivered);
  const droppedTotal = Object.values(o.dropped).reduce((n, v) => n + v, 0);
  const produced = sum((p) => p.taken);
  return {
    pins: o.pins,
    produced,
    recorded: o.recorded,
    sampleErrors: o.sampleErrors,
    delivered,
    duplicates: sum((p) => p.duplicates),
    unmatched: sum((p) => p.unmatched),
    dropped: { ...o.dropped },
    droppedTotal,
    pending: o.pending,
    lost: produced - delivered - droppedTotal - o.pending,
    maxErrorMs: Math.max(0, ...o.pins.map((p) => p.maxErrorMs)),
    meanErrorMs: delivered ? o.pins.reduce((n, p) => n + p.meanErrorMs * p.delivered, 0) / delivered : 0,
    maxGapMs: Math.max(0, ...o.pins.map((p) => p.maxGapMs)),
  };
}

/**
 * The points stored during this run: `after` minus `before` as multisets (a kept database
 * holds earlier runs' points too).
 */
export function newPoints(before: StoredPoint[], after: StoredPoint[]): StoredPoint[] {
  const seen = new Map<string, number>();
  for (const [ts, v] of before) {
    const k = `${ts}|${JSON.stringify(v)}`;
    seen.set(k, (seen.get(k) ?? 0) + 1);
  }
  const out: StoredPoint[] = [];
  for (const p of after) {
    const k = `${p[0]}|${JSON.stringify(p[1])}`;
    const n = seen.get(k) ?? 0;
    if (n > 0) seen.set(k, n - 1);
    else out.push(p);
  }
  return out;
}
