/**
 * Stamps readings and turns stamps into UTC ms at upload time.
 *
 * Before this boot's clock is synced by SNTP a reading is stamped (boot id, ms since boot);
 * each accepted sync writes an anchor (boot id, uptime, epoch) to the log; at upload the anchors
 * give those readings their real time. See docs/clock.md for what is knowable and the policies.
 */
import type { Hal } from "../hal.ts";
import type { Anchor, Stamp } from "../types.ts";
import { AnchorBook, type BootAnchors } from "./anchor-book.ts";
import { MAX_PLAUSIBLE_MS, MIN_PLAUSIBLE_MS } from "./ntp-packet.ts";

/** The part of the reading store the clock needs (the store satisfies it). */
export interface AnchorLog {
  readonly bootId: number;
  /** Persists an anchor (durable on return). */
  appendAnchor(anchor: Anchor): void;
  /** Every anchor in the log, oldest first. */
  anchors(): Anchor[];
}

/** What happens to readings of a past boot that never got an anchor. */
export type UnanchoredPolicy = "wait" | "estimate" | "drop";

/** A time measurement to anchor: UTC `epochMs` was true at `uptimeMs` into this boot. */
export interface ClockSample {
  epochMs: number;
  uptimeMs: number;
  offsetMs: number;
  server: string;
}

export interface TimeKeeperOptions {
  hal: Hal;
  log: AnchorLog;
  /**
   * The log's anchors when they were read already (the firmware reads them in its early pass,
   * where the store part that reads them has room: firmware/early-store.ts); absent: read here.
   */
  anchors?: Anchor[];
  /** Default "estimate". */
  policy?: UnanchoredPolicy;
  /** Policy "estimate" gives a time only when the boot's possible span is narrower; default 60 s. */
  maxEstimateWidthMs?: number;
  /** Least time between two HTTP-Date anchors of one boot; default 1 h. */
  coarseAnchorIntervalMs?: number;
  /**
   * How long SNTP must have been failing in this boot (counted from its first failure) before
   * readings that only an HTTP-Date anchor of this boot can place are given that coarse time;
   * until then they wait for SNTP. Default 10 min; 0 = use coarse anchors at once.
   */
  coarseHoldOffMs?: number;
  /** Called once when that hold-off ends with SNTP still failing (readings may now go out). */
  onCoarseAllowed?: () => void;
  /**
   * The interpreter's clock is right from power-on (the Linux build runs on the host's clock; an
   * ESP32 with a battery-backed RTC): readings are stamped with UTC from the first one, with no
   * anchor needed. Ignored while the clock reads an implausible time (before 2024).
   */
  validAtBoot?: boolean;
}

/** How a stamp resolves. */
export type Resolution =
  | { kind: "epoch" | "anchored" | "estimated"; epochMs: number }
  | {
      /** pending: this boot may still sync; unresolved: kept and reported; drop: policy "drop". */
      kind: "pending" | "unresolved" | "drop";
      /** Absent: a property that is there but undefined costs a JsVar (docs/memory.md). */
      epochMs?: undefined;
      reason: string;
    };

/** A past boot whose readings cannot be given a time (from the last survey). */
export interface UnresolvedBoot {
  bootId: number;
  readings: number;
  reason: string;
}

export interface ClockStatus {
  /** This boot's clock was set by SNTP. */
  synced: boolean;
  source: "sntp" | "http-date" | "board" | "none";
  lastOffsetMs: number | undefined;
  driftPpm: number | undefined;
  /** UTC ms of the last accepted sync (either source). */
  lastSyncAt: number | undefined;
  lastError: string | undefined;
  server: string | undefined;
  bootId: number;
  /** From the last survey: readings of past boots that cannot be resolved, and their boots. */
  unresolvedReadings: number;
  unresolvedBoots: number;
  /** From the last survey: readings of this boot waiting for its first sync. */
  pendingReadings: number;
}

/** Per unanchored boot seen by a survey. */
export interface SurveyEntry {
  bootId: number;
  readings: number;
  maxUptimeMs: number;
  /** Latest epoch stamp stored before this boot's first reading: the boot started after it. */
  epochBefore: number;
}

/** An HTTP Date has whole seconds: the true time is 0..1 s later, plus the reply's latency. */
export const COARSE_ERR_MS = 1000;

/**
 * The device's time: stamps, anchors and drift.
 *
 * At rest it holds only what stamping needs: its other operations are functions taking the
 * keeper that the parts bring when they run (docs/memory.md). Wire SNTP to it with
 * {@link acceptSntp} and {@link noteError} (the SNTP part does, clock.ts); pass HTTP `Date` headers
 * to {@link applyHttpDate}. Resolving stamps of past boots is past-boots.ts (the clock part,
 * loaded when needed): before resolving stamps for upload, call its `survey` with the pending
 * readings so that boots without anchors can be bounded and counted.
 */
export class TimeKeeper {
  readonly bootId: number;
  _hal: Hal;
  _log: AnchorLog;
  /** Absent for "estimate", the default: a property costs JsVars at rest (a string more). */
  _policy?: UnanchoredPolicy;
  /** Absent for 60000, the default. */
  _maxWidthMs?: number;
  /** Least time between two HTTP-Date anchors of this boot; absent: 1 h. */
  _coarseIntervalMs: number | undefined;
  /** How long SNTP must fail before coarse anchors place readings; absent: 10 min. */
  _holdOffMs: number | undefined;
  _onCoarseAllowed: (() => void) | undefined;
  /** Uptime of this boot's first SNTP failure; absent until then. */
  _failingSince: number | undefined;
  /** Set once `onCoarseAllowed` was called; absent until then. */
  _coarseNoted?: 1;
  _book: AnchorBook;
  /**
   * Where this boot's time comes from, one small integer instead of a string and two flags (each
   * field costs JsVars at rest): 0 none, 1 an HTTP Date, 2 SNTP, 3 the board's clock (trusted,
   * validAtBoot, until SNTP anchors take over). Synced (stamps carry UTC) from 2 on. Literals,
   * not named constants: a module-level constant is a resident global read on the hot path.
   */
  _src: number;
  _lastEpochStamp: number;
  /**
   * The book's extrapolation past this boot's last SNTP anchor as a line in uptime: epoch ms =
   * `_linC + uptime * _book._aheadRate`, so that {@link epochStamp} costs one call instead of the
   * book's search; set by {@link clockNow} once the book extrapolates, dropped when an anchor is
   * added (the rate changes only then). With the rate 1 (no drift learned) the sums are of whole
   * ms and give the book's figure exactly (anchors are whole ms); with a drift they differ from
   * it by rounding only.
   */
  _linC?: number;
  /**
   * What resolution worked out (past-boots.ts) and keeps until the next survey, anchor or
   * configure: the last boot placed, the typical reboot gap, the bound's boot.
   */
  _cache?: ResolveCache;
  _lastOffsetMs: number | undefined;
  _lastSyncAt: number | undefined;
  _lastError: string | undefined;
  _server: string | undefined;
  _entries: SurveyEntry[];
  _overflowReadings: number;

  /**
   * Writes anchor `a` to the log; a failure is kept for the status, and the anchor still serves
   * this boot. An SNTP round's anchor is written by a timer of this function with its arguments:
   * static and resident, the task holds neither the SNTP part nor the round that gave the anchor,
   * which on the 1,600-JsVar build do not fit beside the store code that writes it
   * (docs/memory.md).
   */
  static persist(k: TimeKeeper, a: Anchor): void {
    try {
      k._log.appendAnchor(a);
    } catch (err) {
      k._lastError = "anchor not stored: " + err;
      k._hal.log("clock: " + k._lastError);
    }
  }

  /** @throws Error on an unknown policy or a non-positive width. */
  constructor(o: TimeKeeperOptions) {
    this._hal = o.hal;
    this._log = o.log;
    const id = o.log.bootId;
    this.bootId = id;
    // Set only when given (1 h otherwise, see applyHttpDate): a field costs JsVars at rest.
    if (o.coarseAnchorIntervalMs !== undefined) this._coarseIntervalMs = o.coarseAnchorIntervalMs;
    // The hold-off likewise (10 min when absent; 30 s below). Literals: a module-level constant
    // is a resident global.
    let hold = o.coarseHoldOffMs;
    if (hold !== undefined && !(hold >= 0)) throw new Error("TimeKeeper: coarseHoldOffMs must be >= 0");
    this._onCoarseAllowed = o.onCoarseAllowed;
    this._src = 0;
    this._lastEpochStamp = 0;
    this._entries = [];
    this._overflowReadings = 0;
    const book = new AnchorBook();
    this._book = book;
    const all = o.anchors || o.log.anchors();
    for (let i = 0; i < all.length; i++) book.add(all[i]);
    const mine = book.get(id);
    if (mine) this._src = mine.first ? 2 : 1;
    // The last boot that learned the time learned it only from an HTTP Date: SNTP is probably
    // blocked on this network, so it is given one round of retries (30 s), not the whole hold-off.
    // (bootBefore() of anchor-book.ts, written out: it is not resident.)
    let prev: BootAnchors | undefined;
    for (let i = 0; i < book._boots.length && book._boots[i].bootId < id; i++) prev = book._boots[i];
    if (prev && !prev.first && prev.coarseFirst && !(hold !== undefined && hold <= 30000)) hold = 30000;
    if (hold !== undefined) this._holdOffMs = hold;
    this.configure({ policy: o.policy, maxEstimateWidthMs: o.maxEstimateWidthMs, validAtBoot: !!o.validAtBoot });
  }

  /**
   * Changes the unanchored-boot policy, the estimate width and whether the board's clock is
   * trusted as it is while no SNTP anchor of this boot exists (absent fields stay).
   * Takes effect at the next `classify`; the status counts follow at the next `survey`.
   * @throws Error on an unknown policy or a negative width; nothing changes then.
   */
  configure(o: { policy?: UnanchoredPolicy; maxEstimateWidthMs?: number; validAtBoot?: boolean }): void {
    const policy = o.policy === undefined ? this._policy || "estimate" : o.policy;
    if (policy !== "wait" && policy !== "estimate" && policy !== "drop") {
      throw new Error("TimeKeeper: policy must be 'wait', 'estimate' or 'drop', not '" + policy + "'");
    }
    const width = o.maxEstimateWidthMs === undefined ? (this._maxWidthMs === undefined ? 60000 : this._maxWidthMs) : o.maxEstimateWidthMs;
    if (!(width >= 0)) throw new Error("TimeKeeper: maxEstimateWidthMs must be >= 0");
    // The defaults are not stored (deleted, not set to undefined: a property costs a JsVar).
    if (policy === "estimate") delete this._policy;
    else this._policy = policy;
    if (width === 60000) delete this._maxWidthMs;
    else this._maxWidthMs = width;
    delete this._cache;
    const valid = o.validAtBoot;
    if (valid === undefined || this._src === 2) return;
    const t = this._hal.now();
    if (valid && this._src !== 3 && t >= MIN_PLAUSIBLE_MS && t < MAX_PLAUSIBLE_MS) this._src = 3;
    else if (!valid && this._src === 3) this._src = this._book.get(this.bootId) ? 1 : 0;
  }

  /**
   * The stamp for a reading taken now. Epoch stamps never decrease within a boot: after a sync
   * stepped the clock back, they hold at the last value until the time catches up.
   */
  stamp(): Stamp {
    const e = this.epochStamp();
    return e < 0 ? { bootId: this.bootId, uptimeMs: Math.floor(this._hal.uptime()) } : { epochMs: e };
  }

  /**
   * The epoch ms of {@link stamp} as a number (no object: spool.record's hot path), or -1
   * before the clock is synced, when a stamp is (boot, uptime).
   */
  epochStamp(): number {
    "ram";
    // Floor as e - e % 1 (e > 0): each call and global lookup costs on the interpreter, and it
    // reads every token it skips, so anything but the line is a call.
    const c = this._linC;
    let e = (c === undefined ? clockNow(this) : c + this._hal.uptime() * this._book._aheadRate) as number;
    // undefined (not synced) fails the test too.
    if (!(e >= 0)) return -1;
    e -= e % 1;
    if (e < this._lastEpochStamp) e = this._lastEpochStamp;
    this._lastEpochStamp = e;
    return e;
  }
}

/** What past-boots.ts works out once and keeps in {@link TimeKeeper._cache}. */
export interface ResolveCache {
  /** The last boot placed: its start (UTC ms) or why it has none, for its stamps up to `upTo`. */
  placed?: { id: number; upTo: number; at: number | string };
  /** The typical reboot gap, once worked out (`gapKnown`). */
  gap?: number;
  gapKnown?: boolean;
  /** Set by startAfter: the boot whose end its bound is. */
  boundFrom?: number;
}

/** Whether this boot's clock was set by SNTP (or the board's clock is trusted): stamps carry UTC. */
export function isSynced(k: TimeKeeper): boolean {
  return k._src >= 2;
}

/** Where this boot's time comes from, for status. */
export function sourceOf(k: TimeKeeper): ClockStatus["source"] {
  return (["none", "http-date", "sntp", "board"] as const)[k._src];
}

/**
 * UTC ms now by this boot's SNTP anchors and the learned drift; undefined before the first sync.
 * Sets the keeper's line ({@link TimeKeeper._linC}) once the book extrapolates from this boot's
 * last anchor (epochAt set `_ahead`): every later uptime of this boot is past that anchor, so
 * the line holds until the next anchor.
 */
export function clockNow(k: TimeKeeper): number | undefined {
  if (k._src < 2) return undefined;
  if (k._src === 3) return k._hal.now();
  const b = k._book;
  const e = b.epochAt(k.bootId, k._hal.uptime());
  const f = b._ahead;
  if (f && f.bootId === k.bootId) {
    k._linC = f.epochMs - f.uptimeMs * b._aheadRate;
  }
  return e;
}

/**
 * Whether this boot has no time yet (no SNTP or HTTP-Date anchor, no trusted board clock):
 * any HTTP reply's Date header would give its readings a time that survives a power cut.
 */
export function wantsTime(k: TimeKeeper): boolean {
  return k._src < 2 && !k._book.get(k.bootId);
}

/** Records an accepted SNTP sync: writes an anchor; from now on stamps carry UTC. */
export function acceptSntp(k: TimeKeeper, sample: ClockSample): void {
  if (!(sample.epochMs >= MIN_PLAUSIBLE_MS && sample.epochMs < MAX_PLAUSIBLE_MS)) {
    k._lastError = "sync to implausible time " + sample.epochMs + " ignored";
    return;
  }
  addAnchor(k, { bootId: k.bootId, uptimeMs: Math.round(sample.uptimeMs), epochMs: Math.round(sample.epochMs) }, true);
  k._src = 2;
  k._lastOffsetMs = sample.offsetMs;
  k._lastSyncAt = Math.round(sample.epochMs);
  k._server = sample.server;
}

/**
 * Records why a sync attempt failed (shown by status). The first failure of the boot starts
 * the coarse hold-off; a failure after it has run out reports that once (`onCoarseAllowed`).
 */
export function noteError(k: TimeKeeper, reason: string, server: string): void {
  k._lastError = server ? server + ": " + reason : reason;
  // isSynced written out here and in coarseAllowed: the SNTP part brings these two, and each
  // function of it costs JsVars while a round waits.
  if (k._src >= 2) return;
  if (k._failingSince === undefined) k._failingSince = k._hal.uptime();
  if (!k._coarseNoted && coarseAllowed(k)) {
    k._coarseNoted = 1;
    if (k._onCoarseAllowed) k._onCoarseAllowed();
  }
}

/**
 * Whether this boot's HTTP-Date anchors may place readings: SNTP answered (they are not
 * needed then), or it has been failing for the hold-off, or there is no hold-off.
 */
export function coarseAllowed(k: TimeKeeper): boolean {
  const hold = k._holdOffMs === undefined ? 600000 : k._holdOffMs;
  if (k._src >= 2 || hold === 0) return true;
  return k._failingSince !== undefined && k._hal.uptime() - k._failingSince >= hold;
}

/**
 * Coarse fallback: the `Date` header of an HTTP reply that just arrived, used only while no
 * SNTP reply has been accepted this boot. Writes a coarse anchor (at most one per
 * `coarseAnchorIntervalMs`) and sets the interpreter's clock if it is off by more than 1 s;
 * stamps stay (boot, uptime) so that a later SNTP anchor can still resolve them precisely.
 * Returns whether the header was used. `parse` is http-date.ts's `parseHttpDate`; both come
 * with the uplink part (the only caller) so that they are not resident (docs/memory.md).
 */
export function applyHttpDate(k: TimeKeeper, header: string, parse: (header: string) => number): boolean {
  if (isSynced(k)) return false;
  let ms: number;
  try {
    ms = parse(header);
  } catch (err) {
    k._lastError = (err as Error).message;
    return false;
  }
  const epoch = ms + COARSE_ERR_MS / 2;
  const up = k._hal.uptime();
  const mine = k._book.get(k.bootId);
  const prev = mine ? mine.coarseLast : undefined;
  if (!prev || up - prev.uptimeMs >= (k._coarseIntervalMs === undefined ? 3600000 : k._coarseIntervalMs)) {
    addAnchor(k, { bootId: k.bootId, uptimeMs: Math.round(up), epochMs: epoch, coarse: true });
  }
  const off = epoch - k._hal.now();
  if (off > COARSE_ERR_MS || off < -COARSE_ERR_MS) k._hal.setTime(epoch);
  k._src = 1;
  k._lastSyncAt = epoch;
  return true;
}

/** Adds anchor `a` to the book and writes it to the log: at once, or in a task of its own when `later` (an SNTP round's: TimeKeeper.persist). */
function addAnchor(k: TimeKeeper, a: Anchor, later?: boolean): void {
  if (later) k._hal.setTimeout(TimeKeeper.persist, 0, k, a);
  else TimeKeeper.persist(k, a);
  k._book.add(a);
  delete k._cache;
  delete k._linC;
}
