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
import { classifyReply, replyMessage } from "./reply.ts";
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
/** Bytes of a reply body kept (enough for Blynk's error JSON). */
const MAX_REPLY_BYTES = 256;
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
}

/** The network as the uplink sees it (src/device/net implements it). */
export interface Link {
  isUp(): boolean;
  /** Called with true when the network comes up, false when it goes down. */
  onChange(cb: (up: boolean) => void): void;
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
  /** A request without a complete reply after this long is abandoned (default 30 s). */
  requestTimeoutMs?: number;
  /** Retry delays (default base 1 s, cap 10 min, full jitter). */
  backoff?: BackoffConfig;
  /** Readings of a pin the server does not know: kept (skipped this boot) or dropped. Default keep. */
  badPinPolicy?: "keep" | "drop";
  /** How long the first flush after the network comes up waits for the clock sync (default 3 s). */
  syncWaitMs?: number;
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
}

export type UplinkState = "idle" | "sending" | "backoff" | "paused-quota" | "stopped-token" | "offline";

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
  /** Current backoff delay (0 after a success). */
  backoffMs: number;
  /** Uptime ms of the next scheduled attempt, if one is scheduled. */
  nextAttemptAt?: number;
  quotaUsed: number;
  quotaDaily: number;
  requests: number;
  pointsDelivered: number;
  bytesSent: number;
  /** Points per request now (halved after "Too much data"). */
  maxPointsPerRequest: number;
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
  /** Stops; a request in flight is abandoned (its reply ignored, nothing marked). */
  stop(): void;
  /** A reading was appended: it is sent within flushDelayMs while online. */
  notifyAppended(): void;
  /** The clock learned something (new anchor): readings waiting for their time are retried. */
  notifyClockChanged(): void;
  /** Flushes now, cancelling any backoff wait (not a quota pause or a token stop). */
  flushNow(): void;
  /** Replaces the token (e.g. after `Invalid token.`) and resumes. @throws on a malformed token */
  setToken(token: string): void;
  status(): UplinkStatus;
  /** True when nothing is in flight and the last pass found nothing to send. */
  isIdle(): boolean;
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
  let rest = loc.substring(i + 3);
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
  let token = checkToken(c.token);
  if (c.scheme !== "http" && c.scheme !== "https") throw new Error('uplink: config.scheme must be "http" or "https"');
  if (typeof c.host !== "string" || !c.host) throw new Error("uplink: config.host must name the Blynk server");
  const port = num(c.port, defaultPort(c.scheme), 1, 65535, "port");
  const maxPointsCfg = num(c.maxPointsPerRequest, 1000, 1, SERVER_MAX_POINTS, "maxPointsPerRequest");
  const piece = num(c.pieceBytes, 512, 16, 65536, "pieceBytes");
  const flushDelayMs = num(c.flushDelayMs, 10000, 0, DAY_MS, "flushDelayMs");
  const maxAgeMs = num(c.maxAgeMs, 30 * DAY_MS, 1, 3650 * DAY_MS, "maxAgeMs");
  const daily = num(c.dailyQuota, 10000, 1, 1e9, "dailyQuota");
  const requestTimeoutMs = num(c.requestTimeoutMs, 30000, 1, 600000, "requestTimeoutMs");
  const backoff: BackoffConfig = c.backoff || { baseMs: 1000, capMs: 600000 };
  num(backoff.baseMs, 1000, 1, DAY_MS, "backoff.baseMs");
  num(backoff.capMs, 600000, backoff.baseMs, DAY_MS, "backoff.capMs");
  const policy = c.badPinPolicy || "keep";
  if (policy !== "keep" && policy !== "drop") throw new Error('uplink: config.badPinPolicy must be "keep" or "drop"');
  const syncWaitMs = num(c.syncWaitMs, 3000, 0, 600000, "syncWaitMs");
  const recheckMs = flushDelayMs > 60000 ? flushDelayMs : 60000;

  const home: Target = { scheme: c.scheme, host: c.host, port: port };
  let target: Target = home;
  try {
    const raw = hal.storage.read(REGION_FILE);
    if (raw) {
      const r = JSON.parse(raw);
      // Only valid for the host it was learned from: a changed config starts over.
      if (r.from === c.host && r.host && r.port && (r.scheme === c.scheme || r.scheme === "https")) {
        target = { scheme: r.scheme, host: r.host, port: r.port };
      }
    }
  } catch (e) {
    // no usable region file: start at the configured host
  }
  const quota: Quota = createQuota({ storage: hal.storage, daily: daily });

  let running = false;
  let stoppedToken = false;
  let state: UplinkState = "offline";
  let timer: unknown;
  let nextAt: number | undefined;
  let inflight = 0;
  let seq = 0;
  let attempt = 0;
  let backoffMs = 0;
  let maxPoints = maxPointsCfg;
  let paused = false;
  /** Content bisection: while the window [.., end] of `pin` is being split, batches take at most `limit`. */
  let bisect: { pin: number; end: LogPos; limit: number } | undefined;
  /** Per pin: readings before this position wait for their time (this pass). At most 256 keys. */
  let resume: { [pin: number]: LogPos } = {};
  /** Every undelivered reading before this position is waiting or set aside (this pass). */
  let scanFrom: LogPos = 0;
  let freshPass = true;
  let waiting = 0;
  /** Pins set aside: 1 = keep (skip this boot), 2 = drop. */
  const aside: { [pin: number]: number } = {};
  const badPins: number[] = [];
  let lastReply: { status: number; message: string } | undefined;
  let requests = 0;
  let delivered = 0;
  let bytesSent = 0;
  let maxPieceBytes = 0;
  const dropped = { tooOld: 0, rejected: 0, badPin: 0, unresolvedTime: 0 };
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
      state: state,
      token: maskToken(token),
      scheme: target.scheme,
      host: target.host,
      port: target.port,
      lastReply: lastReply,
      backoffMs: backoffMs,
      nextAttemptAt: nextAt,
      quotaUsed: quota.used(),
      quotaDaily: daily,
      requests: requests,
      pointsDelivered: delivered,
      bytesSent: bytesSent,
      maxPointsPerRequest: maxPoints,
      badPins: badPins.slice(),
      waitingForTime: waiting,
      dropped: { tooOld: dropped.tooOld, rejected: dropped.rejected, badPin: dropped.badPin, unresolvedTime: dropped.unresolvedTime },
      maxPieceBytes: maxPieceBytes,
    };
    if (target.scheme === "http") s.warning = "plain HTTP: the token and readings travel unencrypted";
    return s;
  }

  function report(): void {
    if (o.onStatus) o.onStatus(status());
  }

  function setState(s: UplinkState): void {
    if (s !== state) {
      state = s;
      report();
    }
  }

  function cancelTimer(): void {
    if (timer !== undefined) hal.clearTimeout(timer);
    timer = undefined;
    nextAt = undefined;
  }

  function schedule(ms: number): void {
    cancelTimer();
    nextAt = hal.uptime() + ms;
    timer = hal.setTimeout(() => {
      timer = undefined;
      nextAt = undefined;
      step();
    }, ms);
  }

  function applyDrops(n: number): void {
    for (let i = 0; i < n; i++) {
      store.drop(dropPos[i], dropWhy[i]);
      if (dropWhy[i] === "too-old") dropped.tooOld++;
      else if (dropWhy[i] === "unresolved-time") dropped.unresolvedTime++;
      else dropped.badPin++;
    }
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
    store.scan({ from: from }, (rec) => {
      const p = rec.reading.pin;
      const a = aside[p];
      if (a === 1) return;
      if (a === 2) {
        dropPos[n] = rec.pos;
        dropWhy[n] = "bad-pin";
        return ++n < MAX_DROPS;
      }
      const r = resume[p];
      if (r !== undefined && rec.pos < r) return;
      const ts = resolver.resolve(rec.reading.stamp);
      if (ts === undefined && resolver.discards && resolver.discards(rec.reading.stamp)) {
        dropPos[n] = rec.pos;
        dropWhy[n] = "unresolved-time";
        return ++n < MAX_DROPS;
      }
      if (ts === undefined) {
        resume[p] = rec.pos + 1;
        waiting++;
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
    // Everything before the pick (or the last drop) was skipped for the rest of this pass.
    if (pick) {
      scanFrom = pick.pos;
      return pick;
    }
    if (n === MAX_DROPS) {
      scanFrom = dropPos[n - 1] + 1;
      return "again";
    }
    scanFrom = store.headPos();
    return undefined;
  }

  /** Pass 1: how many readings from `pick` go in one request, and the exact body length. */
  function measure(pick: LogRecord, now: number | undefined): Batch {
    const pin = pick.reading.pin;
    let limit = maxPoints;
    const left = quota.remaining(now);
    if (left < limit) limit = left;
    let end: LogPos | undefined;
    if (bisect && bisect.pin === pin) {
      if (pick.pos <= bisect.end) {
        end = bisect.end;
        if (bisect.limit < limit) limit = bisect.limit;
      } else bisect = undefined;
    }
    let count = 0;
    let bytes = 2;
    let last = pick.pos;
    store.scan({ from: pick.pos, pin: pin }, (rec) => {
      if (count >= limit || (end !== undefined && rec.pos > end)) return false;
      const ts = resolver.resolve(rec.reading.stamp);
      if (ts === undefined || (now !== undefined && ts < now - maxAgeMs)) return false;
      bytes += formatPoint(ts, rec.reading.value).length + (count > 0 ? 1 : 0);
      count++;
      last = rec.pos;
    });
    return { pin: pin, start: pick.pos, last: last, count: count, bytes: bytes };
  }

  function step(): void {
    if (!running || stoppedToken || inflight) return;
    if (!linkUp()) {
      cancelTimer();
      setState("offline");
      return;
    }
    if (freshPass) {
      freshPass = false;
      resume = {};
      scanFrom = 0;
      waiting = 0;
    }
    const now = nowUtc();
    if (quota.remaining(now) <= 0) {
      paused = true;
      // Re-check at least hourly: the clock may be stepped meanwhile.
      const wait = now === undefined ? 3600000 : quota.nextDayMs(now) - now + Math.floor(hal.random() * 60000);
      schedule(wait < 3600000 ? wait : 3600000);
      setState("paused-quota");
      return;
    }
    paused = false;
    const pick = select(now);
    if (pick === "again") {
      schedule(0);
      return;
    }
    if (!pick) {
      freshPass = true;
      setState("idle");
      if (waiting > 0) schedule(recheckMs);
      return;
    }
    const b = measure(pick, now);
    if (b.count === 0) {
      schedule(0);
      return;
    }
    send(b, target, pathFor(b.pin), 0);
  }

  function pathFor(pin: number): string {
    return "/external/api/batch/update?token=" + token + "&pin=V" + pin;
  }

  /** Pass 2: streams the batch from flash, `piece` bytes per write, the next after `drain`. */
  function stream(b: Batch, req: HttpRequest, id: number, fail: (msg: string) => void): void {
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
        const ts = resolver.resolve(rec.reading.stamp);
        buf += (n > 0 ? "," : "") + formatPoint(ts === undefined ? 0 : ts, rec.reading.value);
        n++;
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
        // whitespace, so spaces keep the announced Content-Length exact.
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
      bytesSent += chunk.length;
      if (chunk.length > maxPieceBytes) maxPieceBytes = chunk.length;
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

  function send(b: Batch, t: Target, path: string, hops: number): void {
    const id = ++seq;
    inflight = id;
    backoffMs = 0;
    setState("sending");
    let done = false;
    let gotResponse = false;
    let body = "";
    let tmo: unknown;

    function finish(code: number, msg: string, headers: { [name: string]: string } | undefined): void {
      if (done || inflight !== id) return;
      done = true;
      inflight = 0;
      if (tmo !== undefined) hal.clearTimeout(tmo);
      onReply(b, t, code, msg, headers, hops);
    }

    tmo = hal.setTimeout(() => {
      tmo = undefined;
      finish(0, "timeout after " + requestTimeoutMs + " ms", undefined);
    }, requestTimeoutMs);
    try {
      const req = hal.http.request(
        {
          host: t.host,
          port: t.port,
          path: path,
          method: "POST",
          protocol: t.scheme === "https" ? "https:" : "http:",
          headers: { "Content-Type": "application/json", "Content-Length": String(b.bytes) },
        },
        (res: HttpResponse) => {
          if (done || inflight !== id) return;
          gotResponse = true;
          const code = Number(res.statusCode);
          const end = () => finish(code, body, res.headers);
          res.on("data", (d: string) => {
            if (body.length < MAX_REPLY_BYTES) body += String(d).substring(0, MAX_REPLY_BYTES - body.length);
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
      requests++;
      stream(b, req, id, (msg) => finish(0, msg, undefined));
    } catch (e) {
      finish(0, errText(e), undefined);
    }
  }

  function retryLater(): void {
    backoffMs = fullJitterMs(backoff, attempt, hal.random());
    attempt++;
    schedule(backoffMs);
    setState("backoff");
  }

  function onReply(b: Batch, t: Target, code: number, raw: string, headers: { [name: string]: string } | undefined, hops: number): void {
    const date = header(headers, "Date");
    if (date && resolver.applyHttpDate) {
      try {
        resolver.applyHttpDate(date);
      } catch (e) {
        // a bad Date header is the clock's business
      }
    }
    const msg = redactToken(code === 0 ? raw : replyMessage(raw), token);
    lastReply = { status: code, message: msg };
    if (!running) return;
    report();
    const action = code === 0 ? "retry" : classifyReply(code, msg);
    if (action !== "ok") hal.log("uplink: V" + b.pin + " " + b.count + " points: " + (code || "no reply") + " " + msg);
    if (action === "ok") {
      store.markDelivered({ pin: b.pin, from: b.start, to: b.last });
      delivered += b.count;
      quota.add(nowUtc(), b.count);
      attempt = 0;
      backoffMs = 0;
      if (bisect && bisect.pin === b.pin && b.last >= bisect.end) bisect = undefined;
      report();
      step();
    } else if (action === "redirect") {
      const loc = parseLocation(header(headers, "Location") || "", t);
      if (!loc || hops >= MAX_REDIRECTS) {
        lastReply = { status: code, message: "unusable redirect" };
        retryLater();
      } else if (t.scheme === "https" && loc.target.scheme === "http") {
        // Never follow a downgrade: the token would travel in clear.
        lastReply = { status: code, message: "refused redirect to plain HTTP" };
        retryLater();
      } else {
        if (loc.target.host !== target.host || loc.target.port !== target.port || loc.target.scheme !== target.scheme) {
          target = loc.target;
          hal.log("uplink: region is now " + target.host);
          try {
            hal.storage.write(REGION_FILE, JSON.stringify({ from: home.host, scheme: target.scheme, host: target.host, port: target.port }));
          } catch (e) {
            // remembered for this boot only
          }
        }
        send(b, loc.target, loc.path, hops + 1);
      }
    } else if (action === "stop-token") {
      stoppedToken = true;
      cancelTimer();
      setState("stopped-token");
    } else if (action === "bad-pin") {
      if (aside[b.pin] === undefined) {
        aside[b.pin] = policy === "drop" ? 2 : 1;
        badPins.push(b.pin);
      }
      step();
    } else if (action === "too-big") {
      maxPoints = b.count > 1 ? Math.floor(b.count / 2) : 1;
      step();
    } else if (action === "quota") {
      quota.exhaust(nowUtc());
      step();
    } else if (action === "reject") {
      if (b.count === 1) {
        store.drop(b.start, "rejected");
        dropped.rejected++;
        if (bisect && bisect.pin === b.pin && b.last >= bisect.end) bisect = undefined;
      } else {
        bisect = { pin: b.pin, end: b.last, limit: Math.ceil(b.count / 2) };
      }
      step();
    } else retryLater();
  }

  function onLink(up: boolean): void {
    if (!running) return;
    if (!up) {
      cancelTimer();
      setState("offline");
      return;
    }
    attempt = 0;
    freshPass = true;
    if (stoppedToken) return;
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
      } catch (e) {
        started = false;
      }
      if (started !== false) return;
    }
    if (!inflight) schedule(0);
  }

  return {
    start: () => {
      if (running) return;
      running = true;
      if (o.link) o.link.onChange(onLink);
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
      if (!running || stoppedToken || inflight || timer !== undefined || !linkUp()) return;
      freshPass = true;
      schedule(flushDelayMs);
    },
    notifyClockChanged: () => {
      freshPass = true;
      if (running && !stoppedToken && !inflight && !paused && state !== "backoff" && linkUp()) schedule(0);
    },
    flushNow: () => {
      if (!running || stoppedToken || inflight) return;
      attempt = 0;
      freshPass = true;
      schedule(0);
    },
    setToken: (t: string) => {
      token = checkToken(t);
      if (stoppedToken) {
        stoppedToken = false;
        setState(linkUp() ? "idle" : "offline");
        if (running && linkUp()) {
          freshPass = true;
          schedule(0);
        }
      }
    },
    status: status,
    isIdle: () => !inflight && state === "idle",
  };
}
