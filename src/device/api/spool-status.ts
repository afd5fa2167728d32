/**
 * `spool.status()`, `spool.report()`, `spool.erase()` and the status pin's line: loaded with the
 * report part for each call (src/device/parts/report.ts), reading the resident state
 * (spool-state.ts).
 */
import { maskToken } from "../uplink/mask.ts";
import { uplinkStatus } from "../uplink/status.ts";
import { INITIAL_WINDOW, PLAIN_HTTP_WARNING, regionTarget, type UplinkStatus } from "../uplink/uplink.ts";
import { openQuota } from "../uplink/quota.ts";
import { K_BACKOFF, K_DELIVERED, K_WINDOW } from "../uplink/state.ts";
import { errorText } from "./error-text.ts";
import { confirmErase } from "./erase-confirm.ts";
import { restartUplink } from "./uplink-restart.ts";
import { formatStatus, statusSummary } from "./status.ts";
import type { ScheduleStatus, SpoolStatus } from "./status.ts";
import type { SpoolState } from "./spool-state.ts";
import type { SpoolConfig } from "./config.ts";
import type { DeviceBoard } from "../board.ts";
import type { ClockPart } from "../parts/clock.ts";
import { clockNow } from "../clock/timekeeper.ts";

/** JsVars free for the scan that finds the oldest reading: the read part 171, a cursor 112 (docs/memory.md). */
const OLDEST_SCAN_JSVARS = 300;

/** Surveys the store's readings for the clock afresh (as start() does first). */
function survey(S: SpoolState): void {
  S._parts.load("survey").surveyStore(S._keeper, S._store);
  delete S._unsurveyed;
}

/**
 * The stamp of the oldest undelivered reading. Read before the clock part is loaded: the scan
 * loads the read part, and the two are not held at once (docs/memory.md).
 */
function oldestStamp(S: SpoolState): any {
  let stamp: any;
  S._store.scan({ from: S._store.oldestPos() }, (rec) => {
    stamp = rec.reading.stamp;
    return false;
  });
  return stamp;
}

/** Seconds since the reading stamped `st` was taken, or null when unknown. */
function ageS(S: SpoolState, clock: ClockPart, st: any): number | null {
  if (st.bootId === S._store.bootId) return (S._hal.uptime() - st.uptimeMs) / 1000;
  const t = clock.resolve(S._keeper, st);
  const now = clockNow(S._keeper);
  return t !== undefined && now !== undefined ? (now - t) / 1000 : null;
}

/** `spool.status()`: health as an object (secrets masked). */
export function status(S: SpoolState): SpoolStatus {
  // What the configuration and the board profile say, taken first: neither object (about 85 and
  // 48 JsVars on the small build's accounting) is held while the clock part is (docs/memory.md).
  let cfg: SpoolConfig | undefined = S._config();
  const policy = cfg.buffer.policy;
  const blynk = cfg.blynk;
  const limits = cfg.limits;
  const ssid = cfg.wifi.ssid;
  const perDay = limits.requestsPerDay;
  const batchSize = limits.batchSize;
  cfg = undefined;
  let board: DeviceBoard | undefined = S._boardOf();
  const boardId = board.id;
  const eraseCycles = board.flash.eraseCycles;
  const boardMaxPoints = board.upload.maxPointsPerRequest;
  const need = board.upload.minFreeJsVars;
  const network = board.network;
  board = undefined;
  const keeper = S._keeper;
  if (S._surveyStale) {
    delete S._surveyStale;
    survey(S);
  }
  const s = S._store.stats();
  // The oldest reading's age takes the read part and a cursor (about 280 JsVars on the small
  // build, docs/memory.md): where memory is fixed and that is not free, it is left out (null).
  const stamp = s.pending && (!need || S._hal.memory().free >= OLDEST_SCAN_JSVARS) ? oldestStamp(S) : undefined;
  // The clock part only for what needs it, dropped before the rest is built (and before an
  // uplink is made for the question): the two are not held at once (docs/memory.md).
  let clock: ClockPart | undefined = S._parts.load("clock");
  const c = clock.clockStatus(keeper);
  const oldest = stamp === undefined ? null : ageS(S, clock, stamp);
  const why = unresolvedWhy(S, clock);
  clock = undefined;
  const drops: { [reason: string]: number } = {};
  const reasons = Object.keys(s.dropped);
  for (let i = 0; i < reasons.length; i++) if (s.dropped[reasons[i]]) drops[reasons[i]] = s.dropped[reasons[i]];
  // Without a living uplink, what the last one kept answers: making one for the question would
  // load the uplink part, more than a 1,600-JsVar board has beside the resident set.
  const u = S._uplink
    ? (uplinkStatus(S._uplink) as KeptStatus)
    : S._flushIn >= 0
      ? keptStatus(S, {
          blynk: blynk,
          dailyQuota: limits.dailyQuota,
          requestsPerDay: perDay,
          maxPoints: Math.min(batchSize, boardMaxPoints),
        })
      : undefined;
  const up = S._hal.uptime();
  const sampling: ScheduleStatus[] = [];
  for (let i = 0; i < S._schedules.length; i++) {
    const x = S._schedules[i];
    const e: ScheduleStatus = { pin: x.pin, everyMs: x.everyMs, source: x.source, samples: x.samples, errors: x.errors };
    if (x.lastError) e.lastError = x.lastError;
    sampling.push(e);
  }
  const now = clockNow(keeper);
  return {
    board: boardId,
    version: S._version,
    running: !!S._running,
    queue: {
      pending: s.pending,
      oldestAgeS: oldest,
      freeReadings: s.freeReadings,
      freePercent: Math.round(s.freeFraction * 1000) / 10,
      bytesUsed: s.bytesUsed,
      bytesTotal: s.bytesTotal,
      policy: policy,
    },
    drops: drops,
    flash: {
      sectors: s.sectors,
      quarantined: s.quarantinedSectors,
      eraseCountMin: s.eraseCountMin,
      eraseCountMax: s.eraseCountMax,
      eraseCycles: eraseCycles,
      lifetimeDays: isFinite(s.projectedLifetimeDays) ? Math.round(s.projectedLifetimeDays) : null,
    },
    clock: {
      synced: c.synced,
      lastOffsetMs: c.lastOffsetMs === undefined ? null : c.lastOffsetMs,
      driftPpm: c.driftPpm === undefined ? null : c.driftPpm,
      lastSyncAgoS: c.lastSyncAt === undefined || now === undefined ? null : Math.round((now - c.lastSyncAt) / 1000),
      lastError: c.lastError || null,
      source: c.source,
      unresolved: c.unresolvedReadings,
      unresolvedWhy: why,
    },
    uplink: {
      state: u ? u.state : "no token",
      server: u ? u.scheme + "://" + u.host + ":" + u.port : blynk.scheme + "://" + blynk.host + ":" + blynk.port,
      token: blynk.token ? maskToken(blynk.token) : "",
      lastReply: u && u.lastReply ? u.lastReply.status + " " + u.lastReply.message : null,
      backoffS: u ? Math.round(u.backoffMs / 100) / 10 : 0,
      nextAttemptInS: u && u.nextAttemptAt !== undefined ? Math.max(0, Math.round((u.nextAttemptAt - up) / 100) / 10) : null,
      quotaUsed: u ? u.quotaUsed : 0,
      quotaDaily: u ? u.quotaDaily : limits.dailyQuota,
      delivered: u ? u.pointsDelivered : 0,
      requestsToday: u ? u.requestsToday : 0,
      requestsPerDay: perDay,
      batchLimit: u ? u.batchLimit : 0,
      hint: u && u.hint ? u.hint : null,
      warning:
        S._short !== undefined
          ? "not enough memory to send: " + S._short + " JsVars free, a flush needs " + need + "; readings stay in flash"
          : u && u.warning
            ? u.warning
            : S._network._error || null,
    },
    network: { kind: network, ssid: ssid, up: S._network.isUp() },
    sampling: sampling,
    memory: memory(S),
  };
}

/** The part of {@link UplinkStatus} the status shows. */
type KeptStatus = Pick<
  UplinkStatus,
  | "state"
  | "scheme"
  | "host"
  | "port"
  | "lastReply"
  | "hint"
  | "warning"
  | "backoffMs"
  | "nextAttemptAt"
  | "quotaUsed"
  | "quotaDaily"
  | "pointsDelivered"
  | "requestsToday"
  | "batchLimit"
>;

/**
 * The uplink's status from what the last uplink kept (`S._uplinkKeep`; the quota files before the
 * first one), as an uplink made from them would give it before it starts: no attempt is
 * scheduled without one.
 */
function keptStatus(
  S: SpoolState,
  o: { blynk: SpoolConfig["blynk"]; dailyQuota: number; requestsPerDay: number; maxPoints: number },
): KeptStatus {
  const k = S._uplinkKeep;
  const b = o.blynk;
  const target = k.target || regionTarget(S._hal.storage, { scheme: b.scheme, host: b.host, port: b.port });
  const q = k.q || openQuota(S._hal.storage, o.dailyQuota, o.requestsPerDay);
  const n = k.n;
  const s: KeptStatus = {
    state: k.state || "offline",
    scheme: target.scheme,
    host: target.host,
    port: target.port,
    lastReply: k.lastReply,
    backoffMs: n ? n[K_BACKOFF] : 0,
    quotaUsed: q[1],
    quotaDaily: o.dailyQuota,
    pointsDelivered: n ? n[K_DELIVERED] : 0,
    requestsToday: q[3],
    batchLimit: n ? n[K_WINDOW] : Math.min(INITIAL_WINDOW, o.maxPoints),
  };
  if (k.hint) s.hint = k.hint;
  if (target.scheme === "http") s.warning = PLAIN_HTTP_WARNING;
  return s;
}

/** Why the readings counted as unresolved cannot be given a time (the first such boot's reason). */
function unresolvedWhy(S: SpoolState, clock: ClockPart): string | null {
  const boots = clock.unresolvedBoots(S._keeper);
  return boots.length ? "boot " + boots[0].bootId + ": " + boots[0].reason : null;
}

function memory(S: SpoolState): { free: number; usage: number; total: number } {
  const m = S._hal.memory();
  return { free: m.free, usage: m.usage, total: m.total };
}

/** `spool.report()`: prints the status as readable lines. */
export function report(S: SpoolState): void {
  formatStatus(status(S), (line) => S._hal.log(line));
}

/** `spool.erase()` (see the Spool interface). @throws Error without a matching confirmation. */
export function erase(S: SpoolState, confirm?: string): number {
  confirmErase(confirm, S._store.stats().pending);
  const n = S._store.eraseAll();
  // The uplink's read positions pointed into the erased log.
  restartUplink(S);
  survey(S);
  return n;
}

/** Records the status line on the status pin (the configured interval's timer). */
export function publishStatus(S: SpoolState): void {
  const pin = S._config().statusPin;
  if (pin === null) return;
  try {
    S.record(pin, statusSummary(status(S)));
  } catch (e) {
    S._hal.log("spool: status not published: " + errorText(e));
  }
}

/** The error spool.record throws for `e`, thrown by the store or the checks (the error path of spool.ts `record`). */
export function recordError(S: SpoolState, e: any): any {
  if (e && (e as Error).name === "StoreFullError") {
    return new Error(
      'spool.record: the buffer is full and its policy is "refuse": reading not stored (' +
        S._store.stats().pending +
        " undelivered readings kept)",
    );
  }
  return e;
}
