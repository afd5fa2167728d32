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
import { parseHttpDate } from "./http-date.ts";
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
interface SurveyEntry {
  bootId: number;
  readings: number;
  maxUptimeMs: number;
  /** Latest epoch stamp stored before this boot's first reading: the boot started after it. */
  epochBefore: number;
}

/** An HTTP Date has whole seconds: the true time is 0..1 s later, plus the reply's latency. */
const COARSE_ERR_MS = 1000;
/** Rate uncertainty assumed when bounding a boot: crystal spec when unknown, estimate noise when known. */
const UNKNOWN_DRIFT_MARGIN_PPM = 200;
const KNOWN_DRIFT_MARGIN_PPM = 20;
/** Bounds overlapping by more than this mean a wrong anchor, not measurement noise. */
const INCONSISTENT_MS = 2000;
/** The survey tracks at most this many unanchored boots; the rest resolve with looser bounds. */
const MAX_SURVEY_BOOTS = 32;
const DEFAULT_COARSE_HOLD_OFF_MS = 600000;
/** The hold-off when the previous boot with a time got it only from an HTTP Date. */
const SHORT_HOLD_OFF_MS = 30000;

/**
 * The device's time: stamps, anchors, drift and resolution.
 *
 * Wire SNTP to it with {@link TimeKeeper.acceptSntp}; pass HTTP `Date` headers to
 * {@link TimeKeeper.applyHttpDate}. Before resolving stamps for upload, call
 * {@link TimeKeeper.survey} with the pending readings so that boots without anchors can be
 * bounded and counted.
 */
export class TimeKeeper {
  readonly bootId: number;
  private hal: Hal;
  private log: AnchorLog;
  private policy: UnanchoredPolicy;
  private maxWidthMs: number;
  private coarseIntervalMs: number;
  private holdOffMs: number;
  private onCoarseAllowed: (() => void) | undefined;
  /** Uptime of this boot's first SNTP failure. */
  private failingSince: number | undefined;
  private coarseAllowedNoted = false;
  private book = new AnchorBook();
  private synced = false;
  private source: "sntp" | "http-date" | "board" | "none" = "none";
  /** The board's clock is trusted (validAtBoot) until SNTP anchors take over. */
  private boardClock = false;
  private lastEpochStamp = 0;
  /** Set by startAfter: the boot whose end its bound is. */
  private boundFrom = 0;
  /** {@link typicalGap}, kept until the next survey or anchor. */
  private gap: number | undefined;
  private gapKnown = false;
  private lastOffsetMs: number | undefined;
  private lastSyncAt: number | undefined;
  private lastError: string | undefined;
  private server: string | undefined;
  private entries: SurveyEntry[] = [];
  private overflowReadings = 0;

  /** @throws Error on an unknown policy or a non-positive width. */
  constructor(options: TimeKeeperOptions) {
    this.hal = options.hal;
    this.log = options.log;
    this.bootId = options.log.bootId;
    this.policy = "estimate";
    this.maxWidthMs = 60000;
    this.configure({ policy: options.policy, maxEstimateWidthMs: options.maxEstimateWidthMs });
    this.coarseIntervalMs = options.coarseAnchorIntervalMs === undefined ? 3600000 : options.coarseAnchorIntervalMs;
    this.holdOffMs = options.coarseHoldOffMs === undefined ? DEFAULT_COARSE_HOLD_OFF_MS : options.coarseHoldOffMs;
    if (!(this.holdOffMs >= 0)) throw new Error("TimeKeeper: coarseHoldOffMs must be >= 0");
    this.onCoarseAllowed = options.onCoarseAllowed;
    const all = options.log.anchors();
    for (let i = 0; i < all.length; i++) this.book.add(all[i]);
    const mine = this.book.get(this.bootId);
    if (mine && mine.first) {
      this.synced = true;
      this.source = "sntp";
    } else if (mine) this.source = "http-date";
    this.trustBoardClock(!!options.validAtBoot);
    // The last boot that learned the time learned it only from an HTTP Date: SNTP is probably
    // blocked on this network, so it is given one round of retries, not the whole hold-off.
    const prev = this.book.before(this.bootId);
    if (prev && !prev.first && prev.coarseFirst && this.holdOffMs > SHORT_HOLD_OFF_MS) this.holdOffMs = SHORT_HOLD_OFF_MS;
  }

  /** Starts or stops trusting the interpreter's clock as it is (no SNTP anchor of this boot yet). */
  private trustBoardClock(valid: boolean): void {
    if (this.source === "sntp") return;
    const t = this.hal.now();
    if (valid && !this.boardClock && t >= MIN_PLAUSIBLE_MS && t < MAX_PLAUSIBLE_MS) {
      this.synced = true;
      this.boardClock = true;
      this.source = "board";
    } else if (!valid && this.boardClock) {
      this.synced = false;
      this.boardClock = false;
      this.source = this.book.get(this.bootId) ? "http-date" : "none";
    }
  }

  /**
   * Whether this boot has no time yet (no SNTP or HTTP-Date anchor, no trusted board clock):
   * any HTTP reply's Date header would give its readings a time that survives a power cut.
   */
  wantsTime(): boolean {
    return !this.synced && !this.book.get(this.bootId);
  }

  /**
   * Changes the unanchored-boot policy, the estimate width and whether the board's clock is
   * trusted at run time (absent fields stay).
   * Takes effect at the next `classify`; the status counts follow at the next `survey`.
   * @throws Error on an unknown policy or a negative width; nothing changes then.
   */
  configure(o: { policy?: UnanchoredPolicy; maxEstimateWidthMs?: number; validAtBoot?: boolean }): void {
    const policy = o.policy === undefined ? this.policy : o.policy;
    if (policy !== "wait" && policy !== "estimate" && policy !== "drop") {
      throw new Error("TimeKeeper: policy must be 'wait', 'estimate' or 'drop', not '" + policy + "'");
    }
    const width = o.maxEstimateWidthMs === undefined ? this.maxWidthMs : o.maxEstimateWidthMs;
    if (!(width >= 0)) throw new Error("TimeKeeper: maxEstimateWidthMs must be >= 0");
    this.policy = policy;
    this.maxWidthMs = width;
    if (o.validAtBoot !== undefined) this.trustBoardClock(o.validAtBoot);
  }

  /** Whether `stamp` is one the policy discards: a past boot that never got an anchor, under "drop". */
  discards(stamp: Stamp): boolean {
    return this.classify(stamp).kind === "drop";
  }

  /** UTC ms now by this boot's SNTP anchors and the learned drift; undefined before the first sync. */
  now(): number | undefined {
    "ram";
    if (!this.synced) return undefined;
    if (this.boardClock) return this.hal.now();
    return this.book.epochAt(this.bootId, this.hal.uptime());
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
    if (!this.synced) return -1;
    // now() inline, and floor as e - e % 1 (e > 0): each call and global lookup costs on the interpreter.
    let e = (this.boardClock ? this.hal.now() : this.book.epochAt(this.bootId, this.hal.uptime())) as number;
    e -= e % 1;
    if (e < this.lastEpochStamp) e = this.lastEpochStamp;
    this.lastEpochStamp = e;
    return e;
  }

  /** Records an accepted SNTP sync: writes an anchor; from now on stamps carry UTC. */
  acceptSntp(sample: ClockSample): void {
    if (!(sample.epochMs >= MIN_PLAUSIBLE_MS && sample.epochMs < MAX_PLAUSIBLE_MS)) {
      this.lastError = "sync to implausible time " + sample.epochMs + " ignored";
      return;
    }
    this.addAnchor({ bootId: this.bootId, uptimeMs: Math.round(sample.uptimeMs), epochMs: Math.round(sample.epochMs) });
    this.synced = true;
    this.boardClock = false;
    this.source = "sntp";
    this.lastOffsetMs = sample.offsetMs;
    this.lastSyncAt = Math.round(sample.epochMs);
    this.server = sample.server;
  }

  /**
   * Records why a sync attempt failed (shown by status). The first failure of the boot starts
   * the coarse hold-off; a failure after it has run out reports that once (`onCoarseAllowed`).
   */
  noteError(reason: string, server: string): void {
    this.lastError = server ? server + ": " + reason : reason;
    if (this.synced) return;
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
    if (this.synced || this.holdOffMs === 0) return true;
    return this.failingSince !== undefined && this.hal.uptime() - this.failingSince >= this.holdOffMs;
  }

  /**
   * Coarse fallback: the `Date` header of an HTTP reply that just arrived, used only while no
   * SNTP reply has been accepted this boot. Writes a coarse anchor (at most one per
   * `coarseAnchorIntervalMs`) and sets the interpreter's clock if it is off by more than 1 s;
   * stamps stay (boot, uptime) so that a later SNTP anchor can still resolve them precisely.
   * Returns whether the header was used.
   */
  applyHttpDate(header: string): boolean {
    if (this.synced) return false;
    let ms: number;
    try {
      ms = parseHttpDate(header);
    } catch (err) {
      this.lastError = (err as Error).message;
      return false;
    }
    const epoch = ms + COARSE_ERR_MS / 2;
    const up = this.hal.uptime();
    const mine = this.book.get(this.bootId);
    const prev = mine ? mine.coarseLast : undefined;
    if (!prev || up - prev.uptimeMs >= this.coarseIntervalMs) {
      this.addAnchor({ bootId: this.bootId, uptimeMs: Math.round(up), epochMs: epoch, coarse: true });
    }
    const off = epoch - this.hal.now();
    if (off > COARSE_ERR_MS || off < -COARSE_ERR_MS) this.hal.setTime(epoch);
    this.source = "http-date";
    this.lastSyncAt = epoch;
    return true;
  }

  private addAnchor(a: Anchor): void {
    try {
      this.log.appendAnchor(a);
    } catch (err) {
      // still used for this boot; only its survival across a reboot is lost
      this.lastError = "anchor not stored: " + err;
      this.hal.log("clock: " + this.lastError);
    }
    this.book.add(a);
    this.gapKnown = false;
  }

  /**
   * Learns the extent of the stored readings: `forEach` must call `visit` with the stamp of
   * every reading still in flash, in store (append) order, `pending` false for those already
   * delivered (they still tell how long their boot lasted). Used to bound boots that never got
   * an anchor and to count pending ones for status. Memory: one small entry per boot (at most
   * 32; boots seen only through delivered readings give way to later ones).
   */
  survey(forEach: (visit: (stamp: Stamp, pending?: boolean) => void) => void): void {
    const entries: SurveyEntry[] = [];
    let latestEpoch = -Infinity;
    let overflow = 0;
    forEach((stamp: Stamp, pending?: boolean) => {
      if ("epochMs" in stamp) {
        if (stamp.epochMs > latestEpoch) latestEpoch = stamp.epochMs;
        return;
      }
      // Anchored boots are surveyed too (not counted as unresolved): the last reading of one
      // bounds from below the start of the unanchored boot after it.
      let e: SurveyEntry | undefined;
      for (let i = entries.length - 1; i >= 0; i--) {
        if (entries[i].bootId === stamp.bootId) {
          e = entries[i];
          break;
        }
      }
      if (!e) {
        if (entries.length >= MAX_SURVEY_BOOTS && entries[0].readings === 0) entries.shift();
        if (entries.length >= MAX_SURVEY_BOOTS) {
          if (pending !== false) overflow++;
          return;
        }
        e = { bootId: stamp.bootId, readings: 0, maxUptimeMs: 0, epochBefore: latestEpoch };
        entries.push(e);
      }
      if (pending !== false) e.readings++;
      if (stamp.uptimeMs > e.maxUptimeMs) e.maxUptimeMs = stamp.uptimeMs;
    });
    entries.sort((a, b) => a.bootId - b.bootId);
    this.entries = entries;
    this.overflowReadings = overflow;
    this.gapKnown = false;
  }

  /** UTC ms for a stamp, or undefined when it cannot be given one (see {@link classify}). */
  resolve(stamp: Stamp): number | undefined {
    return this.classify(stamp).epochMs;
  }

  /** How a stamp resolves, and why not when it does not. */
  classify(stamp: Stamp): Resolution {
    if ("epochMs" in stamp) return { kind: "epoch", epochMs: stamp.epochMs };
    if (this.needsCoarse(stamp.bootId) && !this.coarseAllowed()) {
      return { kind: "pending", epochMs: undefined, reason: "waiting for SNTP (only an HTTP Date is known)" };
    }
    const at = this.book.epochAt(stamp.bootId, stamp.uptimeMs);
    if (at !== undefined) return { kind: "anchored", epochMs: Math.floor(at) };
    if (stamp.bootId >= this.bootId) {
      return { kind: "pending", epochMs: undefined, reason: "clock not synced yet in this boot" };
    }
    if (this.policy === "drop") return { kind: "drop", epochMs: undefined, reason: "boot never synced (policy drop)" };
    if (this.policy === "wait") return { kind: "unresolved", epochMs: undefined, reason: "boot never synced (policy wait)" };
    const est = this.estimate(stamp.bootId, stamp.uptimeMs);
    if (typeof est === "string") return { kind: "unresolved", epochMs: undefined, reason: est };
    return { kind: "estimated", epochMs: Math.floor(est) };
  }

  /**
   * Whether readings of `bootId` would be placed through this boot's HTTP-Date anchors (+-1 s):
   * this boot's own readings, or an unanchored past boot's estimate bounded by this boot.
   */
  private needsCoarse(bootId: number): boolean {
    const mine = this.book.get(this.bootId);
    if (!mine || mine.first) return false;
    if (bootId === this.bootId) return true;
    if (this.policy !== "estimate" || this.book.get(bootId)) return false;
    const c = this.book.after(bootId);
    return !!c && c.bootId === this.bootId;
  }

  /**
   * Bounds a reading of an unanchored past boot: the boot started after everything known of
   * the boots before it, and ended before the next anchored boot started (minus the known
   * length of the boots in between). Gives the midpoint when the bounds are narrow enough.
   * Every boot of a run of unanchored boots gets the same share of the unaccounted time, so
   * the estimates keep the boots in order.
   */
  private estimate(bootId: number, uptimeMs: number): number | string {
    const rate = this.book.rate();
    const margin = (this.book.driftPpm() === undefined ? UNKNOWN_DRIFT_MARGIN_PPM : KNOWN_DRIFT_MARGIN_PPM) * 1e-6;
    const c = this.book.after(bootId);
    if (!c) return "no later anchored boot bounds it yet";
    const own = this.entryOf(bootId);
    const extent = own && own.maxUptimeMs > uptimeMs ? own.maxUptimeMs : uptimeMs;
    // sure bounds take the boots' lengths at the slowest rate the crystal may have had
    const lo = this.startAfter(bootId, rate * (1 - margin), COARSE_ERR_MS);
    const hi = this.startBefore(bootId, c, extent, rate * (1 - margin), COARSE_ERR_MS);
    if (lo === -Infinity) return "no earlier time known";
    if (hi < lo - INCONSISTENT_MS) return "anchors of the boots around it disagree";
    const width = hi - lo + extent * rate * 2 * margin;
    if (width > this.maxWidthMs) return "could lie anywhere in " + Math.round(width / 1000) + " s";
    // The time nobody recorded (after each boot's last reading, power off, the interpreter's
    // start-up before the firmware runs: seconds on the Linux build) lies in the gaps between
    // boots, one per reboot, and reboots are much alike: each gap of the run gets an equal share,
    // so a boot j gaps after the lower bound's boot starts j shares after it.
    const after = this.startAfter(bootId, rate, 0);
    const from = this.boundFrom;
    const slack = Math.max(0, this.startBefore(bootId, c, extent, rate, 0) - after);
    const gaps = c.bootId - from;
    // A boot that recorded nothing (cut while it started, or busy until the cut) left no length:
    // its whole run time is in the slack too. Then each reboot gets the gap learned between
    // anchored boots (when known) and those boots share the rest.
    let silent = 0;
    let silentBefore = 0;
    for (let id = from + 1; id < c.bootId; id++) {
      if (this.entryOf(id)) continue;
      silent++;
      if (id < bootId) silentBefore++;
    }
    if (silent && !this.gapKnown) {
      // Once per survey or new anchor, not per reading: classify runs for every reading a flush sends.
      this.gap = this.typicalGap(rate);
      this.gapKnown = true;
    }
    const gap = silent ? this.gap : undefined;
    if (gap === undefined) return after + (slack * (bootId - from)) / gaps + uptimeMs * rate;
    const each = Math.min(gap, slack / gaps);
    return after + each * (bootId - from) + ((slack - each * gaps) * silentBefore) / silent + uptimeMs * rate;
  }

  private entryOf(bootId: number): SurveyEntry | undefined {
    for (let i = 0; i < this.entries.length; i++) if (this.entries[i].bootId === bootId) return this.entries[i];
    return undefined;
  }

  /**
   * The median time from a boot's last reading to the start of the next boot, over the pairs of
   * anchored boots in the survey: how long a reboot takes here. Undefined when no pair is known.
   */
  private typicalGap(rate: number): number | undefined {
    const seen: number[] = [];
    for (let i = 0; i < this.entries.length; i++) {
      // e is the later boot of the pair: its first reading knows the epoch stamps before it (the
      // earlier boot's, once synced), the earlier boot's entry its uptime stamps.
      const e = this.entries[i];
      const b = this.book.get(e.bootId);
      if (!b || !this.book.get(e.bootId - 1)) continue;
      let end = e.epochBefore;
      const prev = this.entryOf(e.bootId - 1);
      const last = prev ? this.book.epochAt(prev.bootId, prev.maxUptimeMs) : undefined;
      if (last !== undefined && last > end) end = last;
      const f = b.first ? b.first : b.coarseFirst;
      if (f && end > -Infinity) seen.push(f.epochMs - f.uptimeMs * rate - end);
    }
    if (!seen.length) return undefined;
    seen.sort((a, b) => a - b);
    return Math.max(0, seen[seen.length >> 1]);
  }

  /**
   * Earliest start of an unanchored boot, counting the boots before it at `rate` and an HTTP-Date
   * anchor `coarseMs` early (its error for a sure bound, 0 for the likeliest value). Sets
   * `boundFrom` to the boot that bound ends with (the gaps between it and `bootId` are not in it).
   */
  private startAfter(bootId: number, rate: number, coarseMs: number): number {
    const a = this.book.before(bootId);
    let lo = -Infinity;
    this.boundFrom = a ? a.bootId : bootId - 1;
    if (a) lo = a.last ? a.last.epochMs : (a.coarseLast as Anchor).epochMs - coarseMs;
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i];
      if (a && e.bootId === a.bootId) {
        // The anchored boot before lasted at least until its last pending reading.
        const end = this.book.epochAt(a.bootId, e.maxUptimeMs);
        if (end !== undefined && end - (a.last ? 0 : coarseMs) > lo) lo = end - (a.last ? 0 : coarseMs);
      }
      if ((a && e.bootId <= a.bootId) || e.bootId > bootId) continue;
      if (e.epochBefore > lo) {
        lo = e.epochBefore;
        this.boundFrom = e.bootId - 1;
      }
      if (e.bootId < bootId) lo += e.maxUptimeMs * rate;
    }
    return lo;
  }

  /**
   * Latest start of an unanchored boot that lasted `extent`, given the next anchored boot `c`
   * (an HTTP-Date anchor taken `coarseMs` late, as in {@link startAfter}).
   */
  private startBefore(bootId: number, c: BootAnchors, extent: number, rate: number, coarseMs: number): number {
    const f = c.first ? c.first : (c.coarseFirst as Anchor);
    let hi = f.epochMs - f.uptimeMs * rate + (c.first ? 0 : coarseMs);
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i];
      if (e.bootId > bootId && e.bootId < c.bootId) hi -= e.maxUptimeMs * rate;
    }
    return hi - extent * rate;
  }

  /** Past boots whose readings cannot be resolved under the policy, from the last survey. */
  unresolvedBoots(): UnresolvedBoot[] {
    const out: UnresolvedBoot[] = [];
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i];
      if (e.readings === 0) continue;
      const r = this.classify({ bootId: e.bootId, uptimeMs: e.maxUptimeMs });
      if (r.kind === "unresolved" || r.kind === "drop") out.push({ bootId: e.bootId, readings: e.readings, reason: r.reason });
    }
    return out;
  }

  /** The clock's rate error learned from anchor pairs, in ppm; undefined until known. */
  driftPpm(): number | undefined {
    return this.book.driftPpm();
  }

  status(): ClockStatus {
    const boots = this.unresolvedBoots();
    let readings = this.overflowReadings;
    for (let i = 0; i < boots.length; i++) readings += boots[i].readings;
    let pending = 0;
    for (let i = 0; i < this.entries.length; i++) {
      if (this.entries[i].bootId === this.bootId && !this.book.get(this.bootId)) pending = this.entries[i].readings;
    }
    return {
      synced: this.synced,
      source: this.source,
      lastOffsetMs: this.lastOffsetMs,
      driftPpm: this.book.driftPpm(),
      lastSyncAt: this.lastSyncAt,
      lastError: this.lastError,
      server: this.server,
      bootId: this.bootId,
      unresolvedReadings: readings,
      unresolvedBoots: boots.length,
      pendingReadings: pending,
    };
  }
}
