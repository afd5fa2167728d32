/**
 * Stamps readings and turns stamps into UTC ms at upload time.
 *
 * Before this boot's clock is synced by SNTP a reading is stamped (boot id, ms since boot);
 * each accepted sync writes an anchor (boot id, uptime, epoch) to the log; at upload the anchors
 * give those readings their real time. See docs/clock.md for what is knowable and the policies.
 */
import type { Hal } from "../hal.ts";
import type { Anchor, Stamp } from "../types.ts";
import { AnchorBook } from "./anchor-book.ts";
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
      epochMs: undefined;
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
const DEFAULT_COARSE_HOLD_OFF_MS = 600000;
/** The hold-off when the previous boot with a time got it only from an HTTP Date. */
const SHORT_HOLD_OFF_MS = 30000;

/**
 * The device's time: stamps, anchors and drift.
 *
 * Wire SNTP to it with {@link TimeKeeper.acceptSntp}; pass HTTP `Date` headers to
 * {@link TimeKeeper.applyHttpDate}. Resolving stamps of past boots is past-boots.ts (the clock
 * part, loaded when needed): before resolving stamps for upload, call its `survey` with the
 * pending readings so that boots without anchors can be bounded and counted.
 */
export class TimeKeeper {
  readonly bootId: number;
  private hal: Hal;
  private log: AnchorLog;
  _policy: UnanchoredPolicy;
  _maxWidthMs: number;
  private coarseIntervalMs: number;
  private holdOffMs: number;
  private onCoarseAllowed: (() => void) | undefined;
  /** Uptime of this boot's first SNTP failure. */
  private failingSince: number | undefined;
  private coarseAllowedNoted = false;
  _book = new AnchorBook();
  _synced = false;
  _source: "sntp" | "http-date" | "board" | "none" = "none";
  /** The board's clock is trusted (validAtBoot) until SNTP anchors take over. */
  private boardClock = false;
  private lastEpochStamp = 0;
  /** Set by startAfter: the boot whose end its bound is. */
  _boundFrom = 0;
  /** {@link typicalGap}, kept until the next survey or anchor. */
  _gap: number | undefined;
  _gapKnown = false;
  /**
   * The last boot placed (past-boots.ts): its start (UTC ms) or why it has none, for its stamps
   * up to `upTo`; until the next survey, anchor or configure.
   */
  _placed: { id: number; upTo: number; at: number | string } | undefined;
  _lastOffsetMs: number | undefined;
  _lastSyncAt: number | undefined;
  _lastError: string | undefined;
  _server: string | undefined;
  _entries: SurveyEntry[] = [];
  _overflowReadings = 0;

  /** @throws Error on an unknown policy or a non-positive width. */
  constructor(options: TimeKeeperOptions) {
    this.hal = options.hal;
    this.log = options.log;
    this.bootId = options.log.bootId;
    this._policy = "estimate";
    this._maxWidthMs = 60000;
    this.configure({ policy: options.policy, maxEstimateWidthMs: options.maxEstimateWidthMs });
    this.coarseIntervalMs = options.coarseAnchorIntervalMs === undefined ? 3600000 : options.coarseAnchorIntervalMs;
    this.holdOffMs = options.coarseHoldOffMs === undefined ? DEFAULT_COARSE_HOLD_OFF_MS : options.coarseHoldOffMs;
    if (!(this.holdOffMs >= 0)) throw new Error("TimeKeeper: coarseHoldOffMs must be >= 0");
    this.onCoarseAllowed = options.onCoarseAllowed;
    const all = options.log.anchors();
    for (let i = 0; i < all.length; i++) this._book.add(all[i]);
    const mine = this._book.get(this.bootId);
    if (mine && mine.first) {
      this._synced = true;
      this._source = "sntp";
    } else if (mine) this._source = "http-date";
    this.trustBoardClock(!!options.validAtBoot);
    // The last boot that learned the time learned it only from an HTTP Date: SNTP is probably
    // blocked on this network, so it is given one round of retries, not the whole hold-off.
    const prev = this._book.before(this.bootId);
    if (prev && !prev.first && prev.coarseFirst && this.holdOffMs > SHORT_HOLD_OFF_MS) this.holdOffMs = SHORT_HOLD_OFF_MS;
  }

  /** Starts or stops trusting the interpreter's clock as it is (no SNTP anchor of this boot yet). */
  private trustBoardClock(valid: boolean): void {
    if (this._source === "sntp") return;
    const t = this.hal.now();
    if (valid && !this.boardClock && t >= MIN_PLAUSIBLE_MS && t < MAX_PLAUSIBLE_MS) {
      this._synced = true;
      this.boardClock = true;
      this._source = "board";
    } else if (!valid && this.boardClock) {
      this._synced = false;
      this.boardClock = false;
      this._source = this._book.get(this.bootId) ? "http-date" : "none";
    }
  }

  /**
   * Whether this boot has no time yet (no SNTP or HTTP-Date anchor, no trusted board clock):
   * any HTTP reply's Date header would give its readings a time that survives a power cut.
   */
  wantsTime(): boolean {
    return !this._synced && !this._book.get(this.bootId);
  }

  /**
   * Changes the unanchored-boot policy, the estimate width and whether the board's clock is
   * trusted at run time (absent fields stay).
   * Takes effect at the next `classify`; the status counts follow at the next `survey`.
   * @throws Error on an unknown policy or a negative width; nothing changes then.
   */
  configure(o: { policy?: UnanchoredPolicy; maxEstimateWidthMs?: number; validAtBoot?: boolean }): void {
    const policy = o.policy === undefined ? this._policy : o.policy;
    if (policy !== "wait" && policy !== "estimate" && policy !== "drop") {
      throw new Error("TimeKeeper: policy must be 'wait', 'estimate' or 'drop', not '" + policy + "'");
    }
    const width = o.maxEstimateWidthMs === undefined ? this._maxWidthMs : o.maxEstimateWidthMs;
    if (!(width >= 0)) throw new Error("TimeKeeper: maxEstimateWidthMs must be >= 0");
    this._policy = policy;
    this._maxWidthMs = width;
    this._placed = undefined;
    if (o.validAtBoot !== undefined) this.trustBoardClock(o.validAtBoot);
  }

  /** UTC ms now by this boot's SNTP anchors and the learned drift; undefined before the first sync. */
  now(): number | undefined {
    "ram";
    if (!this._synced) return undefined;
    if (this.boardClock) return this.hal.now();
    return this._book.epochAt(this.bootId, this.hal.uptime());
  }

  /**
   * The stamp for a reading taken now. Epoch stamps never decrease within a boot: after a sync
   * stepped the clock back, they hold at the last value until the time catches up.
   */
  stamp(): Stamp {
    const e = this.epochStamp();
    return e < 0 ? { bootId: this.bootId, uptimeMs: Math.floor(this.hal.uptime()) } : { epochMs: e };
  }

  /**
   * The epoch ms of {@link stamp} as a number (no object: spool.record's hot path), or -1
   * before the clock is synced, when a stamp is (boot, uptime).
   */
  epochStamp(): number {
    "ram";
    if (!this._synced) return -1;
    // now() inline, and floor as e - e % 1 (e > 0): each call and global lookup costs on the interpreter.
    let e = (this.boardClock ? this.hal.now() : this._book.epochAt(this.bootId, this.hal.uptime())) as number;
    e -= e % 1;
    if (e < this.lastEpochStamp) e = this.lastEpochStamp;
    this.lastEpochStamp = e;
    return e;
  }

  /** Records an accepted SNTP sync: writes an anchor; from now on stamps carry UTC. */
  acceptSntp(sample: ClockSample): void {
    if (!(sample.epochMs >= MIN_PLAUSIBLE_MS && sample.epochMs < MAX_PLAUSIBLE_MS)) {
      this._lastError = "sync to implausible time " + sample.epochMs + " ignored";
      return;
    }
    this.addAnchor({ bootId: this.bootId, uptimeMs: Math.round(sample.uptimeMs), epochMs: Math.round(sample.epochMs) });
    this._synced = true;
    this.boardClock = false;
    this._source = "sntp";
    this._lastOffsetMs = sample.offsetMs;
    this._lastSyncAt = Math.round(sample.epochMs);
    this._server = sample.server;
  }

  /**
   * Records why a sync attempt failed (shown by status). The first failure of the boot starts
   * the coarse hold-off; a failure after it has run out reports that once (`onCoarseAllowed`).
   */
  noteError(reason: string, server: string): void {
    this._lastError = server ? server + ": " + reason : reason;
    if (this._synced) return;
    if (this.failingSince === undefined) this.failingSince = this.hal.uptime();
    if (!this.coarseAllowedNoted && this.coarseAllowed()) {
      this.coarseAllowedNoted = true;
      if (this.onCoarseAllowed) this.onCoarseAllowed();
    }
  }

  /**
   * Whether this boot's HTTP-Date anchors may place readings: SNTP answered (they are not
   * needed then), or it has been failing for the hold-off, or there is no hold-off.
   */
  coarseAllowed(): boolean {
    if (this._synced || this.holdOffMs === 0) return true;
    return this.failingSince !== undefined && this.hal.uptime() - this.failingSince >= this.holdOffMs;
  }

  /**
   * Coarse fallback: the `Date` header of an HTTP reply that just arrived, used only while no
   * SNTP reply has been accepted this boot. Writes a coarse anchor (at most one per
   * `coarseAnchorIntervalMs`) and sets the interpreter's clock if it is off by more than 1 s;
   * stamps stay (boot, uptime) so that a later SNTP anchor can still resolve them precisely.
   * Returns whether the header was used. `parse` is http-date.ts's `parseHttpDate`, which comes
   * with the uplink part (its only caller) so that it is not resident (docs/memory.md).
   */
  applyHttpDate(header: string, parse: (header: string) => number): boolean {
    if (this._synced) return false;
    let ms: number;
    try {
      ms = parse(header);
    } catch (err) {
      this._lastError = (err as Error).message;
      return false;
    }
    const epoch = ms + COARSE_ERR_MS / 2;
    const up = this.hal.uptime();
    const mine = this._book.get(this.bootId);
    const prev = mine ? mine.coarseLast : undefined;
    if (!prev || up - prev.uptimeMs >= this.coarseIntervalMs) {
      this.addAnchor({ bootId: this.bootId, uptimeMs: Math.round(up), epochMs: epoch, coarse: true });
    }
    const off = epoch - this.hal.now();
    if (off > COARSE_ERR_MS || off < -COARSE_ERR_MS) this.hal.setTime(epoch);
    this._source = "http-date";
    this._lastSyncAt = epoch;
    return true;
  }

  private addAnchor(a: Anchor): void {
    try {
      this.log.appendAnchor(a);
    } catch (err) {
      // still used for this boot; only its survival across a reboot is lost
      this._lastError = "anchor not stored: " + err;
      this.hal.log("clock: " + this._lastError);
    }
    this._book.add(a);
    this._gapKnown = false;
    this._placed = undefined;
  }

  /** The clock's rate error learned from anchor pairs, in ppm; undefined until known. */
  driftPpm(): number | undefined {
    return this._book.driftPpm();
  }
}
