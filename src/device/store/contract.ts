import type { Anchor, DatastreamType, Reading } from "../types.ts";
import type { dropReasons } from "./format.ts";

/**
 * A position in the log: logical and monotonic across wrap-around (it grows forever, unlike a
 * flash address), so positions compare with < and >. Valid until the ring turns over it.
 */
export type LogPos = number;

/** What to do with a new reading when every sector holds undelivered readings. */
export type FullPolicy = "overwrite-oldest" | "refuse";

/** Why readings were dropped; each reason is counted (the list: format.ts dropReasons). */
export type DropReason = ReturnType<typeof dropReasons>[number];

/** Store counters and health, as `status()` shows them. */
export interface StoreStats {
  /** Undelivered readings. */
  pending: number;
  /** Readings the free space still holds at the current average size. */
  freeReadings: number;
  /** Free fraction 0..1 (sectors not holding undelivered data). */
  freeFraction: number;
  bytesUsed: number;
  bytesTotal: number;
  sectors: number;
  quarantinedSectors: number;
  /** Per-sector erase counts (min and max). */
  eraseCountMin: number;
  eraseCountMax: number;
  /** Projected lifetime in days at the write rate seen since mount; Infinity if unknown. */
  projectedLifetimeDays: number;
  dropped: { [reason: string]: number };
  appended: number;
  bootId: number;
}

/** A reading read back from the log, with where it is. */
export interface LogRecord {
  pos: LogPos;
  reading: Reading;
  /** The value's datastream type as stored (the store always sets it). */
  type?: DatastreamType;
  /** Set on a reading already delivered (only a scan with `delivered: true` visits those). */
  delivered?: boolean;
}

/** Where a scan starts and what it visits. */
export interface ScanOptions {
  from: LogPos;
  /** Only this pin's readings. */
  pin?: number;
  /**
   * Also readings already delivered that are still in flash (until their sector is erased),
   * flagged `delivered`: what the clock learns of past boots from them.
   */
  delivered?: boolean;
}

/** A resumable scan over undelivered readings, oldest first. */
export interface LogCursor {
  /** The next undelivered reading, or undefined once the head is reached. */
  next(): LogRecord | undefined;
}

/** The contract of the store that the clock, uplink and API build on. */
export interface ReadingStore {
  /** This boot's id: one more than the last boot's, persisted at mount. */
  readonly bootId: number;
  /** Where the store's code comes from (Storage parts on the device); absent in a store without parts. */
  readonly code?: { load(name: "read"): unknown };
  /** The read part its reads use while it is set (held by the uplink: store.ts `reader`). */
  held?: unknown;
  /**
   * Appends a reading; returns only once it is durable in flash.
   * @throws Error named STORE_FULL ("StoreFullError") when full under policy "refuse" (the reading is counted as refused).
   * @throws Error on an invalid reading (message names the field); nothing stored changes.
   */
  append(reading: Reading): void;
  /** Persists a clock anchor (durable on return). */
  appendAnchor(anchor: Anchor): void;
  /** Every anchor still in the log (and the latest of each boot even after rotation), oldest first. */
  anchors(): Anchor[];
  /** Position of the oldest undelivered reading (or the write head when none). */
  oldestPos(): LogPos;
  /** The write head: the position the next record will take. */
  headPos(): LogPos;
  /**
   * Calls `fn` for each undelivered reading from `from` (inclusive) on, oldest first, until
   * `fn` returns false or the head is reached. Readings of other pins are skipped when `pin`
   * is given. Memory use does not depend on how many readings are visited.
   */
  scan(options: ScanOptions, fn: (rec: LogRecord) => boolean | void): void;
  /**
   * Like {@link ReadingStore.scan}, but pulled one reading at a time and resumable: the cursor
   * keeps its place between calls, re-seeking only after the ring turned.
   */
  openCursor(options: ScanOptions): LogCursor;
  /** Marks delivered every undelivered reading of `pin` with from <= pos <= to (durable on return). */
  markDelivered(options: { pin: number; from: LogPos; to: LogPos }): void;
  /** Marks one reading as dropped for `reason` (not to be sent), counted. */
  drop(pos: LogPos, reason: DropReason): void;
  stats(): StoreStats;
  /** Erases everything (counts undelivered readings as "erased"); keeps boot id and erase counts. */
  eraseAll(): number;
}
