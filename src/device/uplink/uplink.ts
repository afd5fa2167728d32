/**
 * The uplink: flushes undelivered readings from the store to Blynk's batch endpoint, one pin
 * per request, streamed from flash in bounded pieces, marking readings delivered only after a
 * 200. See docs/uplink.md for the algorithm and the reply table.
 */

import type { Hal, StoragePort } from "../hal.ts";
import type { Stamp } from "../types.ts";
import { type TimeKeeper, wantsTime } from "../clock/timekeeper.ts";
import type { ReadingStore } from "../store/contract.ts";
import { U_PICK, U_STEP, type UplinkOp } from "./ops.ts";
import type { BackoffConfig } from "./backoff.ts";
import { openQuota, quota, quotaLimits, Q_ADD_REQUEST, Q_REMAINING, Q_REQUESTS_LEFT, type QuotaState } from "./quota.ts";
import { rare } from "./rare.ts";
import {
  DOWN,
  DUE,
  HELD,
  IDLE,
  K_BACKOFF,
  K_COUNT,
  K_MAX_POINTS,
  K_PROBED_AT,
  K_REQUESTS,
  K_TOKENS,
  K_TOKENS_AT,
  K_WAITING,
  K_WINDOW,
  OFF,
  SENDING,
  TOKEN,
  setPhase,
} from "./state.ts";
import {
  CF_BACKOFF_BASE,
  CF_BACKOFF_CAP,
  CF_COUNT,
  CF_SYNC_FIRST,
  CF_DAILY,
  CF_DELAY,
  CF_DROP_BAD,
  CF_MAX_AGE,
  CF_PER_DAY,
  CF_PIECE,
  CF_RECHECK,
  CF_REFILL,
  CF_SYNC_WAIT,
  CF_TIMEOUT,
  CF_WINDOW0,
} from "./state.ts";
import type { Batch, Exchange, Run, UplinkCode } from "./state.ts";

/** The server's limit on points per batch request. */
export const SERVER_MAX_POINTS = 10000;
/** Storage file remembering the regional host a 308 sent us to. */
export const REGION_FILE = "spool.region";
const DAY_MS = 86400000;
/** Requests a burst may spend at once (a backlog after an outage); refilled at the daily rate. */
const BUCKET_MAX = 30;
/** Points per request after a boot, a lost reply or a reconnect (then x4 per full 200, reply.ts). */
export const INITIAL_WINDOW = 32;
/** The status warning while the token travels over plain HTTP. */
export const PLAIN_HTTP_WARNING = "plain HTTP: the token and readings travel unencrypted";
/** Least time between two requests made only for their Date header. */
const PROBE_EVERY_MS = 3600000;

/** Turns a reading's stamp into UTC epoch ms (the clock's TimeKeeper implements it). */
export interface StampResolver {
  /** UTC ms, or undefined when this stamp cannot be resolved yet. */
  resolve(stamp: Stamp): number | undefined;
  /** UTC ms now, undefined while unknown (else the uplink resolves a stamp of this moment). */
  now?(): number | undefined;
  /**
   * Whether an unresolvable stamp is to be dropped for good (the clock's policy "drop" for a
   * boot that never got a time); absent or false: it waits.
   */
  discards?(stamp: Stamp): boolean;
  /**
   * The clock an HTTP reply's `Date` header may set (coarse time, before SNTP), absent when it
   * may not. While this boot has no time anchor yet (timekeeper.ts `wantsTime`) the uplink makes
   * a cheap request for that header when it has nothing else to send (at most once an hour). The
   * uplink applies the header itself (the control part's code): as a closure here the date
   * parser would be held while a body streams.
   */
  keeper?: TimeKeeper;
  /** Called after a `Date` header changed {@link keeper}'s time. */
  clockChanged?(): void;
  /**
   * Code the resolver loaded for the stamps it could not place alone (the firmware's clock
   * part, uplink-hooks.ts): a pick on a board that loads each phase's code lets it go
   * (select.ts `pickTask`), so that it is not held through the request and the waits between.
   */
  _clk?: unknown;
}

/** The network as the uplink sees it (src/device/net implements it). */
export interface Link {
  isUp(): boolean;
  /**
   * Called with true when the network comes up, false when it goes down. Absent: the owner
   * tells the uplink itself (`ctl(U_LINK, up)`), so that nothing outside holds an
   * instance it may drop.
   */
  onChange?(cb: (up: boolean) => void): void;
}

/** Something to sync the clock when the network comes up (the clock's SNTP client). */
export interface TimeSync {
  /**
   * Starts a sync and calls `cb` when it is over; returns false when a round is already under
   * way (`cb` is then not called). The first flush waits for the round it started, or beside a
   * round already under way for the clock change that round brings (`ctl(U_CLOCK)`); at most `syncWaitMs` either way.
   */
  syncNow(cb: (err?: unknown) => void): unknown;
}

export interface UplinkConfig {
  /** Blynk device auth token (letters, digits, `_`, `-`). Never shown in full. */
  token: string;
  host: string;
  scheme: "http" | "https";
  /** Default 443 for https, 80 for http. */
  port?: number;
  /** Points per request, 1..10000 (default 1000). */
  maxPointsPerRequest?: number;
  /** Largest string written to the socket at once (default 512). */
  pieceBytes?: number;
  /** While online, a new reading is sent within this delay (default 10 s). */
  flushDelayMs?: number;
  /** Readings older than this when sent are dropped as "too-old" (default 30 days). */
  maxAgeMs?: number;
  /** Points per UTC day (default 10,000). */
  dailyQuota?: number;
  /**
   * Requests per UTC day, all kinds (Blynk counts each as a message against the plan; default
   * 2,000, which leaves a free plan's ~100k a month room for other traffic). Uploads are paced
   * to it by putting more readings in each request.
   */
  requestsPerDay?: number;
  /** Points per request right after a boot, a lost reply or a reconnect (default 32). */
  initialWindow?: number;
  /** A request without a complete reply after this long is abandoned (default 30 s). */
  requestTimeoutMs?: number;
  /** Retry delays (default base 1 s, cap 10 min, full jitter). */
  backoff?: BackoffConfig;
  /** Readings of a pin the server does not know: kept (skipped this boot) or dropped. Default keep. */
  badPinPolicy?: "keep" | "drop";
  /** How long the first flush after the network comes up waits for the clock sync (default 3 s). */
  syncWaitMs?: number;
  /**
   * A boot without time makes its time probe after the SNTP round the link brings, not beside it
   * (default false: at once, as a boot may be cut within seconds). For a board whose memory holds
   * one of the two at a time (spool sets it where the board profile has upload.minFreeJsVars).
   */
  syncFirst?: boolean;
}

/**
 * Where requests to `home` go first: the regional server a redirect named for that host
 * (REGION_FILE), else `home` itself.
 */
export function regionTarget(st: StoragePort, home: Target): Target {
  try {
    const raw = st.read(REGION_FILE);
    if (raw) {
      const r = JSON.parse(raw);
      // Only valid for the host it was learned from: a changed config starts over.
      if (r.from === home.host && r.host && r.port && r.scheme === home.scheme) return { scheme: r.scheme, host: r.host, port: r.port };
    }
  } catch (_e) {
    // no usable region file: the configured host
  }
  return home;
}

/**
 * What the uplink knows between its instances: the owner may drop an idle uplink (its closures
 * cost about 470 JsVars, docs/memory.md) and make the next one with the same object, which then
 * carries on where the last stopped. Fill nothing in (but `q`, kept through a new configuration):
 * the first instance does.
 */
export interface UplinkKeep {
  token: string;
  target: Target;
  state: UplinkState;
  /**
   * The kept numbers, at the `K_*` indexes of state.ts (`K_PROBED_AT` -1: never probed;
   * `K_STOPPED_TOKEN` 1: the server refused the token). One Float64Array: a field each held
   * about 40 JsVars in every phase of a flush, and at rest after one (docs/memory.md).
   */
  n: Float64Array;
  /**
   * Pins set aside: 1 = keep (skip this boot), 2 = drop; and the server's unknown pins in the
   * order it named them. Both absent until the first: an empty object or array is 2 JsVars.
   */
  aside?: { [pin: number]: number };
  badPins?: number[];
  lastReply: { status: number; message: string } | undefined;
  hint: string | undefined;
  /** The daily quota's counts (quota.ts): kept through a new configuration too. */
  q: QuotaState;
}

/** The parts of the hardware boundary the uplink uses. */
export type UplinkHal = Pick<Hal, "http" | "storage" | "uptime" | "setTimeout" | "clearTimeout" | "random" | "log">;

export interface UplinkOptions {
  hal: UplinkHal;
  store: ReadingStore;
  resolver: StampResolver;
  /** Absent: the network is always there (linux). */
  link?: Link;
  sntp?: TimeSync;
  config: UplinkConfig;
  /** State kept between instances (see {@link UplinkKeep}); absent: this instance's own. */
  keep?: Partial<UplinkKeep>;
  /** Where the uplink's two parts come from (the firmware: its Storage parts). */
  code: UplinkCode;
  /**
   * The instance's entry point, resident (src/device/api/uplink-entry.ts): it loads the part an
   * op needs for each call (the control part's `ctl`, the reply part's `settle`), so that the
   * instance and its timers hold no part's code.
   */
  entry: (this: Run, op: UplinkOp, arg?: unknown, self?: Run) => unknown;
}

export type UplinkState = "idle" | "sending" | "backoff" | "paced" | "paused-quota" | "paused-requests" | "stopped-token" | "offline";

export interface UplinkStatus {
  state: UplinkState;
  /** The token, masked. */
  token: string;
  scheme: "http" | "https";
  host: string;
  port: number;
  /** Set when the token travels unencrypted. */
  warning?: string;
  lastReply?: { status: number; message: string };
  /** What the last reply probably means for the user, when it needs their action. */
  hint?: string;
  /** Current backoff delay (0 after a success). */
  backoffMs: number;
  /** Uptime ms of the next scheduled attempt, if one is scheduled. */
  nextAttemptAt?: number;
  quotaUsed: number;
  quotaDaily: number;
  requests: number;
  pointsDelivered: number;
  bytesSent: number;
  /** Points per request at most (halved after "Too much data"). */
  maxPointsPerRequest: number;
  /**
   * Points the next request may carry: small after a boot, a lost reply or a reconnect, growing
   * with every 200 up to maxPointsPerRequest (what one lost reply can make the server store twice).
   */
  batchLimit: number;
  /** Requests made today (UTC) and the daily budget. */
  requestsToday: number;
  requestsPerDay: number;
  /** Pins the server refused ("Wrong pin format." / "No datastream setup for that pin."). */
  badPins: number[];
  /** Readings seen waiting for their time to be resolvable in the last pass. */
  waitingForTime: number;
  dropped: { tooOld: number; rejected: number; badPin: number; unresolvedTime: number };
  /** Largest single string written to the socket. */
  maxPieceBytes: number;
}

/**
 * An uplink instance: one entry point, {@link Uplink.ctl} (src/device/uplink/control.ts), asked
 * by number (src/device/uplink/ops.ts) to start, stop, flush, take news of the link, the clock,
 * a reading or a token (its status: status.ts `uplinkStatus`). One function, not a method per
 * entry point: each function of the uplink part costs about 5 JsVars for as long as an uplink
 * exists.
 */
export interface Uplink {
  /**
   * `U_START`, `U_RESUME`, `U_LINK` (arg: up), `U_STOP`, `U_APPENDED`, `U_CLOCK`, `U_FLUSH`,
   * `U_TOKEN` (arg: the token; throws on a malformed one), `U_IDLE`, `U_SETTLED` (return
   * booleans); `U_REPLY` and `U_STEP` are the uplink's own timers (the instance as `self`): see
   * ops.ts.
   */
  ctl(op: UplinkOp, arg?: unknown, self?: unknown): unknown;
  /**
   * `U_APPENDED` would do nothing now (a pass is scheduled, a request is in flight, the link is
   * down, stopped): read per reading by the owner instead of calling it (a call costs on the
   * interpreter). 1 or 0: a boolean property is a JsVar more than an integer one.
   */
  armed: 0 | 1;
}

/** Where requests go: the configured host, or the region a redirect named. */
export interface Target {
  scheme: "http" | "https";
  host: string;
  port: number;
}

export function checkToken(token: unknown): string {
  if (typeof token !== "string" || token.length < 8 || token.length > 64) {
    throw new Error("uplink: config.token must be the device's Blynk auth token (8-64 characters)");
  }
  for (let i = 0; i < token.length; i++) {
    const c = token.charAt(i);
    if (!((c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c === "_" || c === "-")) {
      throw new Error("uplink: config.token may hold only letters, digits, '_' and '-' (character " + i + " is not)");
    }
  }
  return token;
}

export function header(h: { [name: string]: string } | undefined, name: string): string | undefined {
  if (!h) return undefined;
  const lower = name.toLowerCase();
  for (const k in h) if (k.toLowerCase() === lower) return String(h[k]);
  return undefined;
}

export function nowUtc(u: Run): number | undefined {
  const t = u._res.now ? u._res.now() : undefined;
  return t !== undefined ? t : u._res.resolve({ bootId: u._store.bootId, uptimeMs: u._hal.uptime() });
}

/** The label the status shows: why the uplink waits (what it does is decided by the phase). */
export function setState(u: Run, s: UplinkState): void {
  u._k.state = s;
}

/**
 * Runs a pass in `ms` (phase DUE, or HELD for a wait a clock change must not cut short); a
 * `fresh` one scans from the oldest reading again. A negative `ms` only cancels what was
 * scheduled. The timer calls the instance's entry point (`U_STEP`, then {@link step}) with its
 * arguments: no closure is made per schedule, and the wait holds no part's code.
 */
export function schedule(u: Run, ms: number, held?: boolean, fresh?: boolean, op?: UplinkOp): void {
  if (u._timer !== undefined) u._hal.clearTimeout(u._timer);
  u._timer = undefined;
  u._nextAt = undefined;
  u._syncT = undefined;
  if (ms < 0) return;
  u._nextAt = u._hal.uptime() + ms;
  setPhase(u, held ? HELD : DUE);
  u._timer = u._hal.setTimeout(u.ctl, ms, op || U_STEP, fresh, u);
}

/**
 * Refills the request bucket (at most BUCKET_MAX; the refill per request is what is left of
 * today's budget spread over what is left of the UTC day, so that steady traffic never meets the
 * daily limit before midnight; requestsPerDay over a day while the time is unknown). With `go`,
 * whether a request may go now; otherwise it schedules the step for when one may and says why
 * in the state (the readings wait in flash meanwhile). Without, only whether one may.
 */
export function mayRequest(u: Run, now: number | undefined, go: boolean): boolean {
  const k = u._k.n;
  const left = quota(u._q, u._hal.storage, now, Q_REQUESTS_LEFT);
  // Ms of refill per request: to the next UTC day, over the requests left.
  const per = now === undefined ? u._cf[CF_REFILL] : left > 0 ? ((Math.floor(now / DAY_MS) + 1) * DAY_MS - now) / left : DAY_MS;
  const up = u._hal.uptime();
  k[K_TOKENS] += (up - k[K_TOKENS_AT]) / per;
  k[K_TOKENS_AT] = up;
  if (k[K_TOKENS] > BUCKET_MAX) k[K_TOKENS] = BUCKET_MAX;
  if (!go) return left > 0 && k[K_TOKENS] >= 1;
  if (left <= 0) {
    rare(u).pauseForTheDay(u, now, "paused-requests");
    return false;
  }
  if (k[K_TOKENS] < 1) {
    schedule(u, Math.ceil((1 - k[K_TOKENS]) * per), true);
    setState(u, "paced");
    return false;
  }
  return true;
}

/** One flush step (docs/uplink.md): select, measure, check the budget, send; the timer {@link schedule} set ran out. */
export function step(u: Run, fresh?: boolean): void {
  u._timer = undefined;
  u._nextAt = undefined;
  setPhase(u, IDLE);
  if (fresh) u._scanFrom = -1;
  const k = u._k;
  const ph = u._phase;
  if (ph === OFF || ph === TOKEN || ph === SENDING) return;
  if (!(!u._link || u._link.isUp())) {
    schedule(u, -1);
    setPhase(u, DOWN);
    setState(u, "offline");
    return;
  }
  if (u._scanFrom < 0) {
    u._waitBoot = -1;
    delete u._resume;
    u._scanFrom = 0;
    k.n[K_WAITING] = 0;
  }
  const now = nowUtc(u);
  if (quota(u._q, u._hal.storage, now, Q_REMAINING) <= 0) {
    rare(u).pauseForTheDay(u, now, "paused-quota");
    return;
  }
  // Steps 1 and 2 (select, measure) in a task of their own, with the pick part's code only
  // (select.ts `pickTask`); it hands the batch back through U_SEND (sendPicked below).
  schedule(u, 0, false, false, U_PICK);
}

/**
 * The rest of a flush step, after the pick part chose and measured a batch (`u._pick`, absent:
 * nothing to send now): the budget, then the request. The timer of `schedule(..., U_SEND)` ran out.
 */
export function sendPicked(u: Run): void {
  u._timer = undefined;
  u._nextAt = undefined;
  setPhase(u, IDLE);
  const k = u._k;
  const b = u._pick;
  // Deleted, not set to undefined: a property left costs a JsVar for as long as the uplink lives.
  delete u._pick;
  const now = nowUtc(u);
  if (!b) {
    const iso = u._iso;
    if (iso && iso._suspect >= 0 && !iso._confirm) {
      // Nothing after the suspect to try: its left-hand neighbours' 200 is all the evidence.
      rare(u).settleSuspect(u, iso._ok);
      schedule(u, 0);
      return;
    }
    // The next pass goes on from the head: readings appended since cannot change what was
    // found waiting (their boot's time, a pin set aside). A board recording while its time is
    // unknown once rescanned the whole backlog for every new reading, blocking for seconds.
    // What can change it (the clock, the link, a new token, a flush asked for) starts afresh.
    if (needsProbe(u)) {
      if (mayRequest(u, now, true)) rare(u).probe(u);
      return;
    }
    setState(u, "idle");
    if (k.n[K_WAITING] > 0) schedule(u, u._cf[CF_RECHECK], false, true);
    return;
  }
  if (b._count === 0) {
    schedule(u, 0);
    return;
  }
  if (!mayRequest(u, now, true)) return;
  exchange(u, k.target, "/external/api/batch/update?token=" + k.token + "&pin=V" + b._pin, b, 0);
}

export function needsProbe(u: Run): boolean {
  const kp = u._res.keeper;
  if (!kp || !wantsTime(kp)) return false;
  const at = u._k.n[K_PROBED_AT];
  return at < 0 || u._hal.uptime() - at >= PROBE_EVERY_MS;
}

/**
 * One HTTP exchange with its own timer (phase SENDING until it ends): `b` is streamed as the
 * body (undefined: none, a GET, the time probe); its end goes to onReply (reply.ts) exactly once,
 * with the status (0: no reply), the bounded body and the headers. `t` and `hops` are the
 * upload's target and redirects so far, for the reply.
 */
export function exchange(u: Run, t: Target, path: string, b: Batch | undefined, hops: number): void {
  const k = u._k.n;
  if (b) {
    k[K_BACKOFF] = 0;
    b._sent = 0;
  }
  setState(u, "sending");
  schedule(u, -1);
  // Flags absent are false: each field costs a JsVar while the request lasts.
  const x: Exchange = { _text: "", _buf: "", _rest: "", _n: 0, _pad: -1, _written: 0 };
  if (b) {
    x._b = b;
    x._t = t;
    if (hops) x._hops = hops;
  }
  u._x = x;
  setPhase(u, SENDING);
  k[K_REQUESTS]++;
  const now = nowUtc(u);
  mayRequest(u, now, false);
  k[K_TOKENS]--;
  quota(u._q, u._hal.storage, now, Q_ADD_REQUEST);
  const headers: { [name: string]: string } = { "Content-Length": String(b ? b._bytes : 0) };
  if (b) headers["Content-Type"] = "application/json";
  // The stream part makes the request and holds it (stream.ts): once this call returns, nothing
  // of the control part is held while the body streams.
  (u._sp || u._code.load("stream")).send(u, x, {
    host: t.host,
    port: t.port,
    path: path,
    method: b ? "POST" : "GET",
    protocol: t.scheme === "https" ? "https:" : "http:",
    headers: headers,
  });
}

/**
 * Creates the uplink. Nothing happens until `ctl(U_START)`.
 * @throws Error naming the config field when the config is invalid.
 */
export function createUplink(o: UplinkOptions): Uplink {
  // The instance is its fields and the one entry point (resident, loading the parts per call).
  const u = { ctl: o.entry } as unknown as Run;
  u._code = o.code;
  // Made here, not at the part's level: it exists only while an instance is made.
  function num(v: number | undefined, def: number, min: number, max: number, name: string): number {
    if (v === undefined) return def;
    if (typeof v !== "number" || v !== v || v < min || v > max) {
      throw new Error("uplink: config." + name + " must be a number from " + min + " to " + max);
    }
    return v;
  }
  const hal = o.hal;
  const c = o.config;
  if (!c || typeof c !== "object") throw new Error("uplink: options.config is required");
  const token = checkToken(c.token);
  if (c.scheme !== "http" && c.scheme !== "https") throw new Error('uplink: config.scheme must be "http" or "https"');
  if (typeof c.host !== "string" || !c.host) throw new Error("uplink: config.host must name the Blynk server");
  const port = num(c.port, c.scheme === "https" ? 443 : 80, 1, 65535, "port");
  const maxPointsCfg = num(c.maxPointsPerRequest, 1000, 1, SERVER_MAX_POINTS, "maxPointsPerRequest");
  const cf = new Float64Array(CF_COUNT);
  u._cf = cf;
  cf[CF_PIECE] = num(c.pieceBytes, 512, 16, 65536, "pieceBytes");
  const flushDelayMs = num(c.flushDelayMs, 10000, 0, DAY_MS, "flushDelayMs");
  cf[CF_DELAY] = flushDelayMs;
  cf[CF_MAX_AGE] = num(c.maxAgeMs, 30 * DAY_MS, 1, 3650 * DAY_MS, "maxAgeMs");
  cf[CF_DAILY] = num(c.dailyQuota, 10000, 1, 1e9, "dailyQuota");
  cf[CF_PER_DAY] = num(c.requestsPerDay, 2000, 1, 1e7, "requestsPerDay");
  cf[CF_WINDOW0] = num(c.initialWindow, INITIAL_WINDOW, 1, SERVER_MAX_POINTS, "initialWindow");
  cf[CF_TIMEOUT] = num(c.requestTimeoutMs, 30000, 1, 600000, "requestTimeoutMs");
  const backoff: BackoffConfig = c.backoff || { baseMs: 1000, capMs: 600000 };
  cf[CF_BACKOFF_BASE] = num(backoff.baseMs, 1000, 1, DAY_MS, "backoff.baseMs");
  cf[CF_BACKOFF_CAP] = num(backoff.capMs, 600000, backoff.baseMs, DAY_MS, "backoff.capMs");
  const policy = c.badPinPolicy || "keep";
  if (policy !== "keep" && policy !== "drop") throw new Error('uplink: config.badPinPolicy must be "keep" or "drop"');
  cf[CF_DROP_BAD] = policy === "drop" ? 1 : 0;
  cf[CF_SYNC_WAIT] = num(c.syncWaitMs, 3000, 0, 600000, "syncWaitMs");
  cf[CF_SYNC_FIRST] = c.syncFirst ? 1 : 0;
  cf[CF_RECHECK] = flushDelayMs > 60000 ? flushDelayMs : 60000;
  /** One request's worth of the daily budget, in ms of refill. */
  cf[CF_REFILL] = DAY_MS / cf[CF_PER_DAY];
  u._hal = hal;
  u._store = o.store;
  u._res = o.resolver;
  u._link = o.link;
  u._sntp = o.sntp;
  const home: Target = { scheme: c.scheme, host: c.host, port: port };
  u._homeHost = home.host;
  const k = (o.keep || {}) as UplinkKeep;
  u._k = k;
  if (k.target === undefined) {
    k.target = regionTarget(hal.storage, home);
    k.token = token;
    k.state = "offline";
    const n = new Float64Array(K_COUNT);
    n[K_MAX_POINTS] = maxPointsCfg;
    n[K_WINDOW] = u._cf[CF_WINDOW0] < maxPointsCfg ? u._cf[CF_WINDOW0] : maxPointsCfg;
    n[K_TOKENS] = BUCKET_MAX;
    n[K_TOKENS_AT] = hal.uptime();
    n[K_PROBED_AT] = -1;
    k.n = n;
  }
  // Kept between instances: the files hold the counts only in steps of 1% of the limits, and an
  // uplink that reopened them would forget what the last one counted since its last save.
  if (k.q) quotaLimits(k.q, u._cf[CF_DAILY], u._cf[CF_PER_DAY]);
  else k.q = openQuota(hal.storage, u._cf[CF_DAILY], u._cf[CF_PER_DAY]);
  u._q = k.q;
  u._scanFrom = -1;
  u._waitBoot = -1;
  setPhase(u, OFF);
  return u;
}
