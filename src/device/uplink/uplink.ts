/**
 * The uplink: flushes undelivered readings from the store to Blynk's batch endpoint, one pin
 * per request, streamed from flash in bounded pieces, marking readings delivered only after a
 * 200. See docs/uplink.md for the algorithm and the reply table.
 */

import type { Hal, HttpRequest, HttpResponse } from "../hal.ts";
import type { Stamp } from "../types.ts";
import type { DropReason, LogPos, LogRecord, ReadingStore } from "../store/contract.ts";
import { formatPoint } from "./json.ts";
import { maskToken, redactToken } from "./mask.ts";
import { TOKEN_HINT, classifyReply, replyMessage } from "./reply.ts";
import { fullJitterMs } from "./backoff.ts";
import type { BackoffConfig } from "./backoff.ts";
import { createQuota } from "./quota.ts";
import type { Quota } from "./quota.ts";

/** The server's limit on points per batch request. */
export const SERVER_MAX_POINTS = 10000;
/** Storage file remembering the regional host a 308 sent us to. */
export const REGION_FILE = "spool.region";
const DAY_MS = 86400000;
const MAX_REDIRECTS = 3;
/** Drops (too-old, bad-pin) collected in one selection scan before they are applied. */
const MAX_DROPS = 16;
/** Readings `select` looks through per task (13.7 ms each on the Linux build booted from Storage). */
const SCAN_SLICE = 32;
/** Bytes of a reply body kept (enough for Blynk's error JSON). */
const MAX_REPLY_BYTES = 256;
/**
 * Largest body sent: Blynk refuses requests over 2 MB, headers included (about 200 bytes here,
 * the path with the token about 100): keep 4 KB for them.
 */
export const MAX_BODY_BYTES = 2 * 1024 * 1024 - 4096;
/** Requests a burst may spend at once (a backlog after an outage); refilled at the daily rate. */
const BUCKET_MAX = 30;
/** Points per request after a boot, a lost reply or a reconnect (then x4 per full 200). */
const INITIAL_WINDOW = 32;
const WINDOW_GROWTH = 4;
/** Least time between two requests made only for their Date header. */
const PROBE_EVERY_MS = 3600000;
/** The cheapest documented request, made when a boot needs a time and has nothing to send. */
const PROBE_PATH = "/external/api/isHardwareConnected?token=";
const SPACES = "                                ";

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
  /** Coarse time from an HTTP reply's `Date` header (used by the clock only before SNTP). */
  applyHttpDate?(header: string): unknown;
  /**
   * Whether this boot has no time anchor yet: the uplink then makes a cheap request for its
   * `Date` header when it has nothing else to send (at most once an hour).
   */
  wantsTime?(): boolean;
}

/** The network as the uplink sees it (src/device/net implements it). */
export interface Link {
  isUp(): boolean;
  /**
   * Called with true when the network comes up, false when it goes down. Absent: the owner
   * tells the uplink itself ({@link Uplink.linkChanged}), so that nothing outside holds an
   * instance it may drop.
   */
  onChange?(cb: (up: boolean) => void): void;
}

/** Something to sync the clock when the network comes up (the clock's SNTP client). */
export interface TimeSync {
  /**
   * Starts a sync and calls `cb` when it is over; returns false when no sync was started. The
   * first flush waits for it (at most `syncWaitMs`).
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
}

/**
 * What the uplink knows between its instances: the owner may drop an idle uplink (its closures
 * cost about 470 JsVars, docs/memory.md) and make the next one with the same object, which then
 * carries on where the last stopped. Fill nothing in: the first instance does.
 */
export interface UplinkKeep {
  token: string;
  target: Target;
  stoppedToken: boolean;
  state: UplinkState;
  /** The link was up when last heard of: a new instance then does not start a new association. */
  up: boolean;
  seq: number;
  attempt: number;
  backoffMs: number;
  maxPoints: number;
  window: number;
  paused: boolean;
  tokens: number;
  tokensAt: number;
  probedAt: number | undefined;
  waiting: number;
  /** Pins set aside: 1 = keep (skip this boot), 2 = drop. */
  aside: { [pin: number]: number };
  badPins: number[];
  lastReply: { status: number; message: string } | undefined;
  hint: string | undefined;
  requests: number;
  delivered: number;
  bytesSent: number;
  maxPieceBytes: number;
  dropped: { tooOld: number; rejected: number; badPin: number; unresolvedTime: number };
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
  /** Called after every state change and reply. */
  onStatus?: (status: UplinkStatus) => void;
  /** State kept between instances (see {@link UplinkKeep}); absent: this instance's own. */
  keep?: Partial<UplinkKeep>;
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

export interface Uplink {
  /** Starts following the link; flushes whenever it is up. */
  start(): void;
  /**
   * Starts as the instance before this one (same {@link UplinkOptions.keep}) left off, on a
   * link that stayed up: one pass now, no new association.
   */
  resume(): void;
  /** The network came up (true) or went down: for an owner whose link has no `onChange`. */
  linkChanged(up: boolean): void;
  /** Stops; a request in flight is abandoned (its reply ignored, nothing marked). */
  stop(): void;
  /** A reading was appended: it is sent within flushDelayMs while online. */
  notifyAppended(): void;
  /**
   * A pass is scheduled, so {@link notifyAppended} would do nothing: read per reading by the
   * owner instead of calling it (a call costs on the interpreter).
   */
  armed: boolean;
  /** The clock learned something (new anchor): readings waiting for their time are retried. */
  notifyClockChanged(): void;
  /** Flushes now, cancelling any backoff wait (not a quota pause or a token stop). */
  flushNow(): void;
  /** Replaces the token (e.g. after `Invalid token.`) and resumes. @throws on a malformed token */
  setToken(token: string): void;
  status(): UplinkStatus;
  /** True when nothing is in flight and the last pass found nothing to send. */
  isIdle(): boolean;
  /** Nothing in flight and nothing scheduled: the owner may drop it (its state is in `keep`). */
  isSettled(): boolean;
}

interface Target {
  scheme: "http" | "https";
  host: string;
  port: number;
}

interface Batch {
  pin: number;
  start: LogPos;
  last: LogPos;
  count: number;
  bytes: number;
  /** Written into the body so far: how many, the first and the last position (pass 2). */
  sent: number;
  sentFrom: LogPos;
  sentTo: LogPos;
}

function checkToken(token: unknown): string {
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

function num(v: number | undefined, def: number, min: number, max: number, name: string): number {
  if (v === undefined) return def;
  if (typeof v !== "number" || v !== v || v < min || v > max) {
    throw new Error("uplink: config." + name + " must be a number from " + min + " to " + max);
  }
  return v;
}

function defaultPort(scheme: string): number {
  return scheme === "https" ? 443 : 80;
}

/** Parses an absolute or path-only Location against the current target. */
function parseLocation(loc: string, cur: Target): { target: Target; path: string } | undefined {
  if (loc.charAt(0) === "/") return { target: cur, path: loc };
  const i = loc.indexOf("://");
  if (i < 0) return undefined;
  const scheme = loc.substring(0, i).toLowerCase();
  if (scheme !== "http" && scheme !== "https") return undefined;
  const rest = loc.substring(i + 3);
  let slash = rest.indexOf("/");
  if (slash < 0) slash = rest.length;
  const hostPort = rest.substring(0, slash);
  const path = slash < rest.length ? rest.substring(slash) : "/";
  const colon = hostPort.lastIndexOf(":");
  let host = hostPort;
  let port = defaultPort(scheme);
  if (colon > 0 && hostPort.indexOf("]") < colon) {
    host = hostPort.substring(0, colon);
    port = Number(hostPort.substring(colon + 1));
    if (!(port > 0 && port < 65536)) return undefined;
  }
  if (!host) return undefined;
  return { target: { scheme: scheme as "http" | "https", host: host, port: port }, path: path };
}

function errText(e: unknown): string {
  if (e && typeof e === "object" && (e as { message?: unknown }).message) return String((e as { message: unknown }).message);
  return String(e);
}

function header(h: { [name: string]: string } | undefined, name: string): string | undefined {
  if (!h) return undefined;
  const lower = name.toLowerCase();
  for (const k in h) if (k.toLowerCase() === lower) return String(h[k]);
  return undefined;
}

/**
 * Creates the uplink. Nothing happens until {@link Uplink.start}.
 * @throws Error naming the config field when the config is invalid.
 */
export function createUplink(o: UplinkOptions): Uplink {
  const hal = o.hal;
  const store = o.store;
  const resolver = o.resolver;
  const c = o.config;
  if (!c || typeof c !== "object") throw new Error("uplink: options.config is required");
  const token = checkToken(c.token);
  if (c.scheme !== "http" && c.scheme !== "https") throw new Error('uplink: config.scheme must be "http" or "https"');
  if (typeof c.host !== "string" || !c.host) throw new Error("uplink: config.host must name the Blynk server");
  const port = num(c.port, defaultPort(c.scheme), 1, 65535, "port");
  const maxPointsCfg = num(c.maxPointsPerRequest, 1000, 1, SERVER_MAX_POINTS, "maxPointsPerRequest");
  const piece = num(c.pieceBytes, 512, 16, 65536, "pieceBytes");
  const flushDelayMs = num(c.flushDelayMs, 10000, 0, DAY_MS, "flushDelayMs");
  const maxAgeMs = num(c.maxAgeMs, 30 * DAY_MS, 1, 3650 * DAY_MS, "maxAgeMs");
  const daily = num(c.dailyQuota, 10000, 1, 1e9, "dailyQuota");
  const requestsPerDay = num(c.requestsPerDay, 2000, 1, 1e7, "requestsPerDay");
  const initialWindow = num(c.initialWindow, INITIAL_WINDOW, 1, SERVER_MAX_POINTS, "initialWindow");
  const requestTimeoutMs = num(c.requestTimeoutMs, 30000, 1, 600000, "requestTimeoutMs");
  const backoff: BackoffConfig = c.backoff || { baseMs: 1000, capMs: 600000 };
  num(backoff.baseMs, 1000, 1, DAY_MS, "backoff.baseMs");
  num(backoff.capMs, 600000, backoff.baseMs, DAY_MS, "backoff.capMs");
  const policy = c.badPinPolicy || "keep";
  if (policy !== "keep" && policy !== "drop") throw new Error('uplink: config.badPinPolicy must be "keep" or "drop"');
  const syncWaitMs = num(c.syncWaitMs, 3000, 0, 600000, "syncWaitMs");
  const recheckMs = flushDelayMs > 60000 ? flushDelayMs : 60000;
  /** One request's worth of the daily budget, in ms of refill. */
  const refillMs = DAY_MS / requestsPerDay;

  const home: Target = { scheme: c.scheme, host: c.host, port: port };
  const k = (o.keep || {}) as UplinkKeep;
  if (k.target === undefined) {
    k.target = home;
    try {
      const raw = hal.storage.read(REGION_FILE);
      if (raw) {
        const r = JSON.parse(raw);
        // Only valid for the host it was learned from: a changed config starts over.
        if (r.from === c.host && r.host && r.port && r.scheme === c.scheme) {
          k.target = { scheme: r.scheme, host: r.host, port: r.port };
        }
      }
    } catch (_e) {
      // no usable region file: start at the configured host
    }
    k.token = token;
    k.stoppedToken = false;
    k.state = "offline";
    k.up = false;
    k.seq = 0;
    k.attempt = 0;
    k.backoffMs = 0;
    k.maxPoints = maxPointsCfg;
    k.window = initialWindow < maxPointsCfg ? initialWindow : maxPointsCfg;
    k.paused = false;
    k.tokens = BUCKET_MAX;
    k.tokensAt = hal.uptime();
    k.probedAt = undefined;
    k.waiting = 0;
    k.aside = {};
    k.badPins = [];
    k.lastReply = undefined;
    k.hint = undefined;
    k.requests = 0;
    k.delivered = 0;
    k.bytesSent = 0;
    k.maxPieceBytes = 0;
    k.dropped = { tooOld: 0, rejected: 0, badPin: 0, unresolvedTime: 0 };
  }
  const quota: Quota = createQuota({ storage: hal.storage, daily: daily, requestsDaily: requestsPerDay });

  let running = false;
  let timer: unknown;
  let nextAt: number | undefined;
  let inflight = 0;
  /**
   * Isolation of a reading the server may refuse for its content, after an unrecognised 400 on
   * pin `pin` up to `end`: batches of at most `limit`. `ok` says a 200 came in this isolation;
   * `suspect` is a reading refused alone (skipped while its right-hand neighbours are tried),
   * `confirm` that it goes again alone after they were accepted. See docs/uplink.md.
   */
  let iso: { pin: number; end: LogPos; limit: number; ok: boolean; suspect: LogPos; confirm: boolean } | undefined;
  /** Per pin: readings before this position wait for their time (this pass). At most 256 keys. */
  let resume: { [pin: number]: LogPos } = {};
  /** Every undelivered reading before this position is waiting or set aside (this pass). */
  let scanFrom: LogPos = 0;
  let freshPass = true;
  /** The boot whose readings the current pass found waiting for their time (-1: none). */
  let waitingBoot = -1;
  const dropPos: LogPos[] = [];
  const dropWhy: DropReason[] = [];

  function nowUtc(): number | undefined {
    const t = resolver.now ? resolver.now() : undefined;
    return t !== undefined ? t : resolver.resolve({ bootId: store.bootId, uptimeMs: hal.uptime() });
  }

  function linkUp(): boolean {
    return o.link ? o.link.isUp() : true;
  }

  function status(): UplinkStatus {
    const s: UplinkStatus = {
      state: k.state,
      token: maskToken(k.token),
      scheme: k.target.scheme,
      host: k.target.host,
      port: k.target.port,
      lastReply: k.lastReply,
      backoffMs: k.backoffMs,
      nextAttemptAt: nextAt,
      quotaUsed: quota.used(),
      quotaDaily: daily,
      requests: k.requests,
      pointsDelivered: k.delivered,
      bytesSent: k.bytesSent,
      maxPointsPerRequest: k.maxPoints,
      batchLimit: k.window,
      requestsToday: quota.requests(),
      requestsPerDay: requestsPerDay,
      badPins: k.badPins.slice(),
      waitingForTime: k.waiting,
      dropped: {
        tooOld: k.dropped.tooOld,
        rejected: k.dropped.rejected,
        badPin: k.dropped.badPin,
        unresolvedTime: k.dropped.unresolvedTime,
      },
      maxPieceBytes: k.maxPieceBytes,
    };
    if (k.hint) s.hint = k.hint;
    if (k.target.scheme === "http") s.warning = "plain HTTP: the token and readings travel unencrypted";
    return s;
  }

  function report(): void {
    if (o.onStatus) o.onStatus(status());
  }

  function setState(s: UplinkState): void {
    if (s !== k.state) {
      k.state = s;
      report();
    }
  }

  function cancelTimer(): void {
    if (timer !== undefined) hal.clearTimeout(timer);
    timer = undefined;
    api.armed = false;
    nextAt = undefined;
  }

  /** Runs a pass in `ms`; a `fresh` one scans from the oldest reading again. */
  function schedule(ms: number, fresh?: boolean): void {
    cancelTimer();
    nextAt = hal.uptime() + ms;
    api.armed = true;
    timer = hal.setTimeout(() => {
      timer = undefined;
      api.armed = false;
      nextAt = undefined;
      if (fresh) freshPass = true;
      step();
    }, ms);
  }

  /**
   * Ms of refill per request: what is left of today's budget spread over what is left of the
   * UTC day, so that steady traffic never meets the daily limit before midnight
   * (requestsPerDay over a day while the time is unknown).
   */
  function msPerRequest(now: number | undefined): number {
    if (now === undefined) return refillMs;
    const left = quota.requestsLeft(now);
    return left > 0 ? (quota.nextDayMs(now) - now) / left : DAY_MS;
  }

  /** Requests in the bucket now, at most BUCKET_MAX. */
  function bucket(): number {
    const up = hal.uptime();
    k.tokens += (up - k.tokensAt) / msPerRequest(nowUtc());
    k.tokensAt = up;
    if (k.tokens > BUCKET_MAX) k.tokens = BUCKET_MAX;
    return k.tokens;
  }

  /** Waits for the next UTC day (re-checked at least hourly: the clock may be stepped meanwhile). */
  function pauseForTheDay(now: number | undefined, why: UplinkState): void {
    k.paused = true;
    const wait = now === undefined ? 3600000 : quota.nextDayMs(now) - now + Math.floor(hal.random() * 60000);
    schedule(wait < 3600000 ? wait : 3600000);
    setState(why);
  }

  /**
   * Whether a request may go now; otherwise schedules the step for when one may and says why
   * in the state (the readings wait in flash meanwhile).
   */
  function mayRequest(now: number | undefined): boolean {
    if (quota.requestsLeft(now) <= 0) {
      pauseForTheDay(now, "paused-requests");
      return false;
    }
    const t = bucket();
    if (t < 1) {
      schedule(Math.ceil((1 - t) * msPerRequest(now)));
      setState("paced");
      return false;
    }
    return true;
  }

  function countRequest(): void {
    k.requests++;
    bucket();
    k.tokens--;
    quota.addRequest(nowUtc());
  }

  function applyDrops(n: number): void {
    for (let i = 0; i < n; i++) {
      store.drop(dropPos[i], dropWhy[i]);
      if (dropWhy[i] === "too-old") k.dropped.tooOld++;
      else if (dropWhy[i] === "unresolved-time") k.dropped.unresolvedTime++;
      else k.dropped.badPin++;
    }
  }

  /** A reading of an isolation skipped while its neighbours are tried. */
  function skipped(rec: LogRecord): boolean {
    return !!iso && iso.suspect === rec.pos && !iso.confirm;
  }

  /**
   * Finds the oldest reading that can be sent now: skips pins set aside and readings waiting
   * for their time, drops too-old readings, those of dropped pins and those the clock discards.
   * Returns "again" when it stopped early to apply drops.
   */
  function select(now: number | undefined): LogRecord | "again" | undefined {
    const oldest = store.oldestPos();
    const from = scanFrom > oldest ? scanFrom : oldest;
    let pick: LogRecord | undefined;
    let n = 0;
    let seen = 0;
    let stopAt = -1;
    store.scan({ from: from }, (rec) => {
      // A long backlog is looked through a slice per task: the rest of the firmware (sampling,
      // the REPL, the reply to the time probe, a board's watchdog) runs in between.
      if (++seen > SCAN_SLICE) {
        stopAt = rec.pos;
        return false;
      }
      const p = rec.reading.pin;
      const a = k.aside[p];
      if (a === 1 || skipped(rec)) return;
      if (a === 2) {
        dropPos[n] = rec.pos;
        dropWhy[n] = "bad-pin";
        return ++n < MAX_DROPS;
      }
      const r = resume[p];
      if (r !== undefined && rec.pos < r) return;
      const st = rec.reading.stamp as { bootId?: number };
      // A boot's uptime stamps all wait or all resolve: one answer per boot and pass.
      if (st.bootId !== undefined && st.bootId === waitingBoot) {
        resume[p] = rec.pos + 1;
        k.waiting++;
        return;
      }
      const ts = resolver.resolve(rec.reading.stamp);
      if (ts === undefined && resolver.discards && resolver.discards(rec.reading.stamp)) {
        dropPos[n] = rec.pos;
        dropWhy[n] = "unresolved-time";
        return ++n < MAX_DROPS;
      }
      if (ts === undefined) {
        resume[p] = rec.pos + 1;
        k.waiting++;
        if (st.bootId !== undefined) waitingBoot = st.bootId;
        return;
      }
      if (now !== undefined && ts < now - maxAgeMs) {
        dropPos[n] = rec.pos;
        dropWhy[n] = "too-old";
        return ++n < MAX_DROPS;
      }
      pick = rec;
      return false;
    });
    applyDrops(n);
    // Everything before the pick (or the last drop) was skipped for the rest of this pass; a
    // skipped suspect stays behind scanFrom until its neighbours have answered.
    if (pick) {
      if (!iso || iso.suspect < 0 || iso.suspect > pick.pos) scanFrom = pick.pos;
      return pick;
    }
    if (n === MAX_DROPS) {
      scanFrom = dropPos[n - 1] + 1;
      return "again";
    }
    if (stopAt >= 0) {
      scanFrom = stopAt;
      return "again";
    }
    scanFrom = store.headPos();
    return undefined;
  }

  /** Pass 1: how many readings from `pick` go in one request, and the exact body length. */
  function measure(pick: LogRecord, now: number | undefined): Batch {
    const pin = pick.reading.pin;
    let limit = k.window < k.maxPoints ? k.window : k.maxPoints;
    const left = quota.remaining(now);
    if (left < limit) limit = left;
    let end: LogPos | undefined;
    if (iso && iso.pin === pin) {
      // Halving proceeds in store order, so a suspect is the oldest reading of its pin that can
      // go: what follows it are its right-hand neighbours, at the isolation's batch size.
      if (iso.confirm && pick.pos === iso.suspect) limit = 1;
      else if (iso.suspect >= 0 || pick.pos <= iso.end) {
        if (iso.suspect < 0) end = iso.end;
        if (iso.limit < limit) limit = iso.limit;
      } else iso = undefined;
    }
    let count = 0;
    let bytes = 2;
    let last = pick.pos;
    store.scan({ from: pick.pos, pin: pin }, (rec) => {
      if (count >= limit || (end !== undefined && rec.pos > end)) return false;
      const ts = resolver.resolve(rec.reading.stamp);
      if (ts === undefined || (now !== undefined && ts < now - maxAgeMs)) return false;
      const add = formatPoint(ts, rec.reading.value).length + (count > 0 ? 1 : 0);
      if (bytes + add > MAX_BODY_BYTES) return false;
      bytes += add;
      count++;
      last = rec.pos;
    });
    return { pin: pin, start: pick.pos, last: last, count: count, bytes: bytes, sent: 0, sentFrom: -1, sentTo: -1 };
  }

  function step(): void {
    if (!running || k.stoppedToken || inflight) return;
    if (!linkUp()) {
      cancelTimer();
      setState("offline");
      return;
    }
    if (freshPass) {
      freshPass = false;
      waitingBoot = -1;
      resume = {};
      scanFrom = 0;
      k.waiting = 0;
    }
    const now = nowUtc();
    if (quota.remaining(now) <= 0) {
      pauseForTheDay(now, "paused-quota");
      return;
    }
    k.paused = false;
    const pick = select(now);
    if (pick === "again") {
      schedule(0);
      return;
    }
    if (!pick) {
      if (iso && iso.suspect >= 0 && !iso.confirm) {
        // Nothing after the suspect to try: its left-hand neighbours' 200 is all the evidence.
        settleSuspect(iso.ok);
        schedule(0);
        return;
      }
      // The next pass goes on from the head: readings appended since cannot change what was
      // found waiting (their boot's time, a pin set aside). A board recording while its time is
      // unknown once rescanned the whole backlog for every new reading, blocking for seconds.
      // What can change it (the clock, the link, a new token, a flush asked for) starts afresh.
      if (needsProbe()) {
        if (mayRequest(now)) probe();
        return;
      }
      setState("idle");
      if (k.waiting > 0) schedule(recheckMs, true);
      return;
    }
    const b = measure(pick, now);
    if (b.count === 0) {
      schedule(0);
      return;
    }
    if (!mayRequest(now)) return;
    send(b, k.target, pathFor(b.pin), 0);
  }

  function needsProbe(): boolean {
    if (!resolver.wantsTime || !resolver.applyHttpDate || !resolver.wantsTime()) return false;
    return k.probedAt === undefined || hal.uptime() - k.probedAt >= PROBE_EVERY_MS;
  }

  /** Ends the suspect of an isolation: dropped as "rejected" when the evidence holds, else kept. */
  function settleSuspect(reject: boolean): void {
    const x = iso as { suspect: LogPos; pin: number };
    if (reject) {
      store.drop(x.suspect, "rejected");
      k.dropped.rejected++;
      hal.log("uplink: V" + x.pin + " reading refused alone while its neighbours were accepted: dropped as rejected");
    }
    iso = undefined;
  }

  function pathFor(pin: number): string {
    return "/external/api/batch/update?token=" + k.token + "&pin=V" + pin;
  }

  /** Pass 2: streams the batch from flash, `piece` bytes per write, the next after `drain`. */
  function stream(b: Batch, req: HttpRequest, id: number, fail: (msg: string) => void, progress: () => void): void {
    const cursor = store.openCursor({ from: b.start, pin: b.pin });
    let buf = "[";
    let n = 0;
    let recordsDone = false;
    let padLeft = -1;
    let written = 0;
    let waitDrain = false;
    let inPump = false;
    let again = false;

    function fill(): void {
      for (;;) {
        const rec = cursor.next();
        if (rec === undefined || rec.pos > b.last) break;
        if (skipped(rec)) continue;
        const ts = resolver.resolve(rec.reading.stamp);
        // Pass 1 resolved it; a clock change since may not: it waits for the next request.
        if (ts === undefined) break;
        buf += (n > 0 ? "," : "") + formatPoint(ts, rec.reading.value);
        n++;
        if (b.sent++ === 0) b.sentFrom = rec.pos;
        b.sentTo = rec.pos;
        if (rec.pos === b.last) break;
        if (buf.length >= piece) return;
      }
      recordsDone = true;
      buf += "]";
    }

    function next(): void {
      if (inflight !== id) return;
      while (!recordsDone && buf.length < piece) fill();
      if (recordsDone && padLeft < 0) {
        // Readings the ring overwrote since pass 1 are missing: JSON allows trailing
        // whitespace, so spaces keep the announced Content-Length exact. Only what was
        // written (b.sentFrom..b.sentTo) is marked delivered on a 200.
        padLeft = b.bytes - written - buf.length;
        if (padLeft < 0) return fail("body longer than measured");
      }
      while (padLeft > 0 && buf.length < piece) {
        let k = piece - buf.length;
        if (k > padLeft) k = padLeft;
        if (k > SPACES.length) k = SPACES.length;
        buf += SPACES.substring(0, k);
        padLeft -= k;
      }
      let chunk: string;
      if (buf.length > piece) {
        chunk = buf.substring(0, piece);
        buf = buf.substring(piece);
      } else {
        chunk = buf;
        buf = "";
      }
      if (written + chunk.length > b.bytes) return fail("body longer than measured");
      written += chunk.length;
      k.bytesSent += chunk.length;
      if (chunk.length > k.maxPieceBytes) k.maxPieceBytes = chunk.length;
      progress();
      if (recordsDone && padLeft === 0 && buf.length === 0) req.end(chunk);
      else {
        waitDrain = true;
        req.write(chunk);
      }
    }

    // A drain emitted from inside write() must not recurse once per piece.
    function pump(): void {
      if (inPump) {
        again = true;
        return;
      }
      inPump = true;
      try {
        do {
          again = false;
          next();
        } while (again);
      } catch (e) {
        fail(errText(e));
      }
      inPump = false;
    }

    req.on("drain", () => {
      if (!waitDrain) return;
      waitDrain = false;
      pump();
    });
    pump();
  }

  /**
   * One HTTP exchange with its own timer: `body` streams the request (undefined: none, a GET);
   * `done` gets the status (0: no reply), the bounded body and the headers, exactly once.
   */
  function exchange(
    x: { t: Target; path: string; method: string; length: number },
    body: ((req: HttpRequest, id: number, fail: (msg: string) => void, progress: () => void) => void) | undefined,
    done: (code: number, raw: string, headers: { [name: string]: string } | undefined) => void,
  ): void {
    const id = ++k.seq;
    inflight = id;
    let over = false;
    let gotResponse = false;
    let text = "";
    let tmo: unknown;

    function finish(code: number, msg: string, headers: { [name: string]: string } | undefined): void {
      if (over || inflight !== id) return;
      over = true;
      inflight = 0;
      if (tmo !== undefined) hal.clearTimeout(tmo);
      done(code, msg, headers);
    }

    // The timer measures silence, not the whole exchange: a 2 MB body takes longer than the
    // timeout to stream on a slow link, so every piece handed to the socket restarts it.
    function arm(): void {
      if (over) return;
      if (tmo !== undefined) hal.clearTimeout(tmo);
      tmo = hal.setTimeout(() => {
        tmo = undefined;
        finish(0, "timeout after " + requestTimeoutMs + " ms without progress", undefined);
      }, requestTimeoutMs);
    }
    arm();
    countRequest();
    try {
      const headers: { [name: string]: string } = { "Content-Length": String(x.length) };
      if (body) headers["Content-Type"] = "application/json";
      const req = hal.http.request(
        {
          host: x.t.host,
          port: x.t.port,
          path: x.path,
          method: x.method,
          protocol: x.t.scheme === "https" ? "https:" : "http:",
          headers: headers,
        },
        (res: HttpResponse) => {
          if (over || inflight !== id) return;
          gotResponse = true;
          const code = Number(res.statusCode);
          const end = () => finish(code, text, res.headers);
          res.on("data", (d: string) => {
            if (text.length < MAX_REPLY_BYTES) text += String(d).substring(0, MAX_REPLY_BYTES - text.length);
          });
          res.on("end", end);
          res.on("close", end);
          res.on("error", end);
        },
      );
      req.on("error", (e: unknown) => finish(0, errText(e), undefined));
      req.on("close", () => {
        if (!gotResponse) finish(0, "connection closed without a reply", undefined);
      });
      if (body) body(req, id, (msg) => finish(0, msg, undefined), arm);
      else req.end();
    } catch (e) {
      finish(0, errText(e), undefined);
    }
  }

  function send(b: Batch, t: Target, path: string, hops: number): void {
    k.backoffMs = 0;
    b.sent = 0;
    setState("sending");
    exchange(
      { t: t, path: path, method: "POST", length: b.bytes },
      (req, id, fail, progress) => stream(b, req, id, fail, progress),
      (code, raw, headers) => onReply(b, t, code, raw, headers, hops),
    );
  }

  /** A request made for its `Date` header only: the clock of a boot with nothing to send. */
  function probe(): void {
    setState("sending");
    exchange({ t: k.target, path: PROBE_PATH + k.token, method: "GET", length: 0 }, undefined, (code, raw, headers) => {
      useDate(headers);
      if (!running) return;
      if (code === 0) {
        k.lastReply = { status: 0, message: redactToken(raw, k.token) };
        k.window = initialWindow < k.maxPoints ? initialWindow : k.maxPoints;
        retryLater(undefined);
        return;
      }
      k.probedAt = hal.uptime();
      if (resolver.wantsTime && resolver.wantsTime()) hal.log("uplink: no time in the reply to the time probe (" + code + ")");
      report();
      step();
    });
  }

  function useDate(headers: { [name: string]: string } | undefined): void {
    const date = header(headers, "Date");
    if (date && resolver.applyHttpDate) {
      try {
        resolver.applyHttpDate(date);
      } catch (_e) {
        // a bad Date header is the clock's business
      }
    }
  }

  /** Waits before the next request: full jitter, or the server's Retry-After when it says so. */
  function retryLater(retryAfter: string | undefined): void {
    k.backoffMs = fullJitterMs(backoff, k.attempt, hal.random());
    const ra = retryAfter ? Number(retryAfter) * 1000 : NaN;
    if (ra > k.backoffMs) k.backoffMs = ra < backoff.capMs ? ra : backoff.capMs;
    k.attempt++;
    schedule(k.backoffMs);
    setState("backoff");
  }

  function onReply(b: Batch, t: Target, code: number, raw: string, headers: { [name: string]: string } | undefined, hops: number): void {
    useDate(headers);
    const msg = redactToken(code === 0 ? raw : replyMessage(raw), k.token);
    k.lastReply = { status: code, message: msg };
    if (!running) return;
    const action = classifyReply(code, msg);
    if (action !== "ok") hal.log("uplink: V" + b.pin + " " + b.count + " points: " + (code || "no reply") + " " + msg);
    if (action !== "stop-token") k.hint = undefined;
    report();
    if (action === "ok") {
      // Only what went into this body: the ring may have overwritten readings since pass 1,
      // and the cursor is the one witness of what the server received.
      if (b.sent > 0) store.markDelivered({ pin: b.pin, from: b.sentFrom, to: b.sentTo });
      k.delivered += b.sent;
      quota.add(nowUtc(), b.sent);
      k.attempt = 0;
      k.backoffMs = 0;
      // Slow start: a full request answered shows the link carries more.
      if (b.count >= k.window && k.window < k.maxPoints)
        k.window = k.window * WINDOW_GROWTH < k.maxPoints ? k.window * WINDOW_GROWTH : k.maxPoints;
      if (iso && iso.pin === b.pin) isolationOk(b);
      report();
      step();
    } else if (action === "redirect") {
      redirect(b, t, header(headers, "Location") || "", hops);
    } else if (action === "stop-token") {
      k.stoppedToken = true;
      k.hint = TOKEN_HINT;
      cancelTimer();
      setState("stopped-token");
    } else if (action === "bad-pin") {
      if (k.aside[b.pin] === undefined) {
        k.aside[b.pin] = policy === "drop" ? 2 : 1;
        k.badPins.push(b.pin);
      }
      step();
    } else if (action === "too-big") {
      k.maxPoints = b.count > 1 ? Math.floor(b.count / 2) : 1;
      if (k.window > k.maxPoints) k.window = k.maxPoints;
      step();
    } else if (action === "quota") {
      quota.exhaust(nowUtc());
      step();
    } else if (action === "unknown") {
      isolationRefused(b);
    } else {
      // Nothing came back (the server may have stored the body): risk less next time.
      if (action === "lost") k.window = initialWindow < k.maxPoints ? initialWindow : k.maxPoints;
      retryLater(header(headers, "Retry-After"));
    }
  }

  /** A 200 inside an isolation: evidence that the server takes this pin's readings. */
  function isolationOk(b: Batch): void {
    const x = iso as NonNullable<typeof iso>;
    x.ok = true;
    if (x.suspect >= 0) {
      if (x.confirm && b.start === x.suspect) {
        // Accepted alone after all: it was the server's state, not the reading.
        iso = undefined;
        return;
      }
      if (!x.confirm && b.start > x.suspect) {
        // Its right-hand neighbours were accepted: refused alone between accepted neighbours.
        x.confirm = true;
        return;
      }
    }
    if (b.last >= x.end) iso = undefined;
    // Accepted: what refused was in the rest of the window, or was the server's state.
    else x.limit = x.limit * 2;
  }

  /**
   * An unrecognised 400: the server's state, unless it refuses one reading alone while it
   * accepts that reading's neighbours in the same pass. Halves the batch to find such a
   * reading, waiting out a backoff between refusals until a 200 shows the server takes data.
   */
  function isolationRefused(b: Batch): void {
    if (!iso || iso.pin !== b.pin) {
      iso = { pin: b.pin, end: b.last, limit: b.count, ok: false, suspect: -1, confirm: false };
    }
    const x = iso;
    if (x.confirm && b.start === x.suspect) {
      // Refused alone again, after its neighbours on both sides were accepted.
      settleSuspect(x.ok);
      step();
      return;
    }
    if (x.suspect >= 0) {
      // The neighbours after the suspect are refused too: the server's state after all.
      iso = undefined;
      retryLater(undefined);
      return;
    }
    if (b.count > 1) x.limit = Math.ceil(b.count / 2);
    else x.suspect = b.start;
    if (x.ok) step();
    else retryLater(undefined);
  }

  function redirect(b: Batch, t: Target, location: string, hops: number): void {
    const loc = parseLocation(location, t);
    if (!loc || hops >= MAX_REDIRECTS) {
      k.lastReply = { status: k.lastReply ? k.lastReply.status : 0, message: "unusable redirect" };
      retryLater(undefined);
      return;
    }
    // Blynk may send an https Location to a board without TLS: keep the board's scheme (and
    // then its port), take only the host and path.
    const next: Target = { scheme: t.scheme, host: loc.target.host, port: loc.target.scheme === t.scheme ? loc.target.port : t.port };
    if (next.host !== k.target.host || next.port !== k.target.port) {
      k.target = next;
      hal.log("uplink: region is now " + k.target.host);
      try {
        hal.storage.write(
          REGION_FILE,
          JSON.stringify({ from: home.host, scheme: k.target.scheme, host: k.target.host, port: k.target.port }),
        );
      } catch (_e) {
        // remembered for this boot only
      }
    }
    if (!mayRequest(nowUtc())) return;
    send(b, next, loc.path, hops + 1);
  }

  function onLink(up: boolean): void {
    if (!running) return;
    if (!up) {
      cancelTimer();
      setState("offline");
      return;
    }
    k.attempt = 0;
    freshPass = true;
    // A new association: nothing is known of this path yet.
    k.window = initialWindow < k.maxPoints ? initialWindow : k.maxPoints;
    if (k.stoppedToken) return;
    // A boot without time asks for one at once, not after the SNTP wait: it may be cut within
    // seconds, and its readings are placed only by an anchor written in this boot.
    if (needsProbe() && bucket() >= 1 && quota.requestsLeft(nowUtc()) > 0) probe();
    if (o.sntp) {
      // Flush once the sync answers, or after syncWaitMs, whichever comes first.
      schedule(syncWaitMs);
      const fallback = timer;
      const go = () => {
        freshPass = true;
        if (running && timer === fallback && !inflight) schedule(0);
      };
      let started: unknown = false;
      try {
        started = o.sntp.syncNow(go);
      } catch (_e) {
        started = false;
      }
      if (started !== false) return;
    }
    if (!inflight) schedule(0);
  }

  // Declared last, used by the functions above once they run (after this returns).
  const api: Uplink = {
    armed: false,
    start: () => {
      if (running) return;
      running = true;
      if (o.link && o.link.onChange) o.link.onChange(onLink);
      if (linkUp()) onLink(true);
      else setState("offline");
    },
    stop: () => {
      running = false;
      inflight = 0;
      cancelTimer();
      setState(linkUp() ? "idle" : "offline");
    },
    notifyAppended: () => {
      "ram";
      // A pending timer is the usual case while readings come in: tested first.
      if (timer !== undefined || !running || k.stoppedToken || inflight || !linkUp()) return;
      schedule(flushDelayMs);
    },
    notifyClockChanged: () => {
      freshPass = true;
      if (running && !k.stoppedToken && !inflight && !k.paused && k.state !== "backoff" && k.state !== "paced" && linkUp()) schedule(0);
    },
    flushNow: () => {
      if (!running || k.stoppedToken || inflight) return;
      k.attempt = 0;
      freshPass = true;
      schedule(0);
    },
    setToken: (t: string) => {
      k.token = checkToken(t);
      if (k.stoppedToken) {
        k.stoppedToken = false;
        k.hint = undefined;
        setState(linkUp() ? "idle" : "offline");
        if (running && linkUp()) {
          freshPass = true;
          schedule(0);
        }
      }
    },
    status: status,
    isIdle: () => !inflight && k.state === "idle",
    isSettled: () => !inflight && timer === undefined,
    linkChanged: onLink,
    resume: () => {
      if (running) return;
      running = true;
      if (!linkUp()) setState("offline");
      else if (!k.stoppedToken) schedule(0);
    },
  };
  return api;
}
