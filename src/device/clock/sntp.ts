/**
 * SNTP client over UDP (`dgram`), applying the time with the interpreter's setTime (not
 * Wifi.setSNTP, which on ESP32 sets the clock behind Espruino's timers).
 */
import type { Hal, TimerId, UdpSocket } from "../hal.ts";
import { TRANSMIT_AT, buildRequest, checkReply, type NtpRejection, type NtpReply } from "./ntp-packet.ts";

export const DEFAULT_SNTP_SERVERS = ["pool.ntp.org"];
// The other defaults are literals where they are used (each option's TSDoc gives it; 0 means
// the default too): a module-level constant of the SNTP part is one more variable of its scope
// for as long as the round lives (docs/memory.md).

/** An accepted SNTP exchange. */
export interface SntpSync {
  /** UTC ms when the reply arrived: local receive time t4 plus the offset. */
  epochMs: number;
  /** `hal.uptime()` when the reply arrived. */
  uptimeMs: number;
  /** True time minus local clock: ((t2-t1)+(t3-t4))/2. */
  offsetMs: number;
  /** Round trip minus server processing: (t4-t1)-(t3-t2). */
  delayMs: number;
  server: string;
  stratum: number;
}

/** The callbacks are called as methods of this object (`this` is the options object). */
export interface SntpOptions {
  hal: Hal;
  /** Host names tried in turn; default ["pool.ntp.org"]. */
  servers?: string[];
  /** Default 123. */
  port?: number;
  /** How long to wait for one server's reply; default 3000 ms. */
  timeoutMs?: number;
  /** Time between successful syncs; default 1 h. */
  intervalMs?: number;
  /**
   * True while the clock's rate error is still unknown: the next sync then comes after
   * `learnIntervalMs` instead of `intervalMs`, so the drift is learned within minutes of the
   * first sync rather than an hour.
   */
  needsDrift?: () => boolean;
  /** Time to the next sync while {@link SntpOptions.needsDrift}; default 11 min (drift needs 10). */
  learnIntervalMs?: number;
  /** First retry delay after every server failed, doubled per failure; default 15 s. */
  retryMinMs?: number;
  /** Longest retry delay; default 15 min. */
  retryMaxMs?: number;
  /** How long a server that answered kiss-o'-death RATE is left alone (doubles); default 1 h. */
  rateHoldMs?: number;
  /** Step the clock with hal.setTime on each sync; default true. */
  apply?: boolean;
  onSync?: (sync: SntpSync) => void;
  /** Called for every refused reply or timeout, with the reason. */
  onError?: (reason: string, server: string) => void;
  /**
   * What the client remembers between rounds (server holds, the preferred server, the status):
   * pass the same object, empty at first, to each client made afresh for a round.
   */
  keep?: SntpKeep;
  /**
   * The client keeps no timer: when a round ends it calls this with the time to the next round
   * (undefined: none, stopped or every server refused) and is not needed until then, so the
   * caller drops it and makes a new one, with the same `keep`, when the time comes (the clock
   * does: clock.ts, docs/memory.md).
   */
  onIdle?: (nextMs: number | undefined) => void;
  /** Made already started (as after {@link SntpClient.start}) without starting a round. */
  started?: boolean;
}

/**
 * See {@link SntpOptions.keep}. One flat object whose fields exist only once they have a value:
 * the clock holds it at rest, and each field costs JsVars (docs/memory.md); their `_` names are
 * shortened by the build.
 */
export interface SntpKeep {
  /** Per server: uptime before which it is not asked (Infinity after DENY/RSTR); made at the first hold. */
  _holdUntil?: number[];
  /** Per server: the last RATE hold (doubled at the next); made with `holdUntil`. */
  _rateHolds?: number[];
  /** The server to ask first: the last one that answered. */
  _preferred?: number;
  _failures?: number;
  _refused?: string[];
  _lastOffsetMs?: number;
  _lastDelayMs?: number;
  _lastSyncAt?: number;
  _lastError?: string;
  _server?: string;
}

export interface SntpStatus {
  running: boolean;
  busy: boolean;
  lastOffsetMs: number | undefined;
  lastDelayMs: number | undefined;
  /** UTC ms of the last accepted sync. */
  lastSyncAt: number | undefined;
  /** "server: reason" of the last refused reply or timeout. */
  lastError: string | undefined;
  /** Server of the last accepted sync. */
  server: string | undefined;
  /** Rounds in a row in which no server gave an acceptable reply. */
  failures: number;
  /** Servers that answered DENY or RSTR: not asked again this boot. */
  refused: string[];
}

/** What a round's caller hears when it ends: an error, or the accepted sync. */
export type SntpRoundCb = (err: string | undefined, sync: SntpSync | undefined) => void;

/**
 * One client: its options, what it remembers and the exchange in flight, in ONE object. The
 * round runs on functions of this module, not on a class: on the 1,600-JsVar build every
 * method, closure, object and field a round holds counts while it waits for a reply
 * (docs/memory.md). The `_` fields are shortened by the build.
 */
export interface SntpRound extends SntpOptions {
  servers: string[];
  keep: SntpKeep;
  /** Started: the delay to the next round goes to `onIdle`. */
  _run: boolean;
  /**
   * How the round reports, called as a method of the round: `onSync(sync)`, `onError(reason,
   * server)` and `onIdle(nextMs)` in one function told apart by the first argument (an object, a
   * string, a number or undefined): one field instead of three while the round waits.
   * {@link sntpRound} sets it to call the options' callbacks.
   */
  _on: (a: SntpSync | string | number | undefined, server?: string) => void;
  _cb: SntpRoundCb | undefined;
  /** Servers asked in this round. */
  _tried: number;
  /** The server of the exchange in flight; -1 when none is. */
  _srv: number;
  _sock: UdpSocket | undefined;
  /** The transmit timestamp of the request, as sent (8 bytes): a reply must echo it. */
  _sent: string | undefined;
  /** hal.uptime() when the request went out. */
  _u1: number;
  _timer: TimerId | undefined;
  /** Why a reply that did not answer the request was ignored. */
  _foreign: string | undefined;
}

/**
 * Makes `o` a client (it becomes the {@link SntpRound}; the caller passes an object of its own).
 * @throws Error when `servers` is empty or holds a non-string or empty name.
 */
export function sntpRound(o: SntpOptions): SntpRound {
  const r = o as SntpRound;
  const servers = o.servers === undefined ? DEFAULT_SNTP_SERVERS : o.servers;
  if (!servers || !servers.length) throw new Error("SntpClient: servers must list at least one host name");
  for (let i = 0; i < servers.length; i++) {
    if (typeof servers[i] !== "string" || !servers[i]) {
      throw new Error("SntpClient: servers[" + i + "] must be a non-empty host name");
    }
  }
  r.servers = servers;
  r.keep = o.keep || {};
  r._run = !!o.started;
  r._srv = -1;
  r._on = optionsEvent;
  return r;
}

/** The options' callbacks as {@link SntpRound._on}. */
function optionsEvent(this: SntpRound, a: SntpSync | string | number | undefined, server?: string): void {
  if (typeof a === "object") {
    if (this.onSync) this.onSync(a);
  } else if (typeof a === "string") {
    if (this.onError) this.onError(a, server as string);
  } else if (this.onIdle) this.onIdle(a);
}

/**
 * One sync round: asks the servers in turn (starting with the last one that answered) until
 * one reply is accepted. Returns false when a round is already under way.
 */
export function sntpStart(r: SntpRound, cb?: SntpRoundCb): boolean {
  if (r._srv >= 0) return false;
  r._cb = cb;
  r._tried = 0;
  sntpNext(r, r.keep._preferred || 0);
  return true;
}

/**
 * Starts an exchange with the first usable server from `from` on, or ends the round. A round
 * starts here with `_cb` set and `_tried` 0 and `from` the preferred server ({@link sntpStart}).
 */
export function sntpNext(r: SntpRound, from: number): void {
  const k = r.keep;
  const n = r.servers.length;
  const up = r.hal.uptime();
  while (r._tried < n) {
    const idx = from % n;
    from++;
    r._tried++;
    if (!k._holdUntil || k._holdUntil[idx] <= up) {
      r._srv = idx;
      ask(r);
      return;
    }
  }
  // Every server failed or is held: the round ends.
  const all = k._refused !== undefined && k._refused.length === n;
  if (all) k._lastError = "every server refused service";
  k._failures = (k._failures || 0) + 1;
  const cb = r._cb;
  r._cb = undefined;
  if (!all) {
    const max = r.retryMaxMs || 900000;
    let wait = r.retryMinMs || 15000;
    for (let i = 1; i < k._failures && wait < max; i++) wait *= 2;
    if (wait > max) wait = max;
    // jitter: 75..100 % so that devices that lost the network together do not retry together
    r._on(r._run ? wait * (0.75 + 0.25 * r.hal.random()) : undefined);
  } else r._on(undefined);
  if (cb) cb(k._lastError || "no server usable", undefined);
}

/**
 * One exchange: the request goes out at once (Espruino binds a UDP socket synchronously, so
 * no bind callback is kept). One function `h` is both the timeout and the `message` listener,
 * and there is no `error` listener: a socket that fails ends in the timeout. Each listener
 * costs about 12 JsVars on the socket and each closure about 8 while the exchange waits.
 */
function ask(r: SntpRound): void {
  r._foreign = undefined;
  r._sent = undefined;
  // Its scope is kept by `h` while the exchange waits: no other local.
  let s: UdpSocket | undefined;
  const h = (msg?: string): void => {
    if (r._sock !== s || r._srv < 0) return;
    if (msg === undefined) {
      r._timer = undefined;
      finish(r, { reason: r._foreign ? "timeout (ignored: " + r._foreign + ")" : "timeout" });
      return;
    }
    const hal = r.hal;
    const t4 = hal.now();
    const u4 = hal.uptime();
    const checked = checkReply(hal.stringToBytes(msg), r._sent as string);
    if ("reason" in checked) {
      // A reply that does not echo our request is not the server's answer: wait for that.
      if (checked.foreign) r._foreign = checked.reason;
      else finish(r, checked);
      return;
    }
    const reply = checked as NtpReply;
    // t1 in the clock's current base: something else (an HTTP Date header) may have set the
    // clock while the request was out, and t4 - t1 would then span that step.
    const t1 = t4 - (u4 - r._u1);
    const offsetMs = (reply.receiveMs - t1 + (reply.transmitMs - t4)) / 2;
    const delayMs = t4 - t1 - (reply.transmitMs - reply.receiveMs);
    if (delayMs < 0) finish(r, { reason: "negative delay " + delayMs.toFixed(1) + " ms" });
    else {
      finish(r, {
        epochMs: t4 + offsetMs,
        uptimeMs: u4,
        offsetMs,
        delayMs,
        server: r.servers[r._srv],
        stratum: reply.stratum,
      });
    }
  };
  r._timer = r.hal.setTimeout(h, r.timeoutMs || 3000);
  try {
    s = r.hal.dgram.createSocket("udp4");
    r._sock = s;
    s.on("message", h);
    s.bind(0);
    r._u1 = r.hal.uptime();
    // The request as sent, then only its transmit timestamp is kept.
    r._sent = r.hal.bytesToString(buildRequest(r.hal.now(), Math.floor(r.hal.random() * 65536)));
    s.send(r._sent, r.port || 123, r.servers[r._srv]);
    r._sent = r._sent.substr(TRANSMIT_AT, 8);
  } catch (err) {
    finish(r, { reason: (r._sent === undefined ? "socket: " : "send failed: ") + err });
  }
}

/**
 * Ends the exchange in flight, if one is: with a refusal (a kiss-o'-death holds its server;
 * the next server is asked; "stopped" abandons the round) or with an accepted sync.
 */
export function finish(r: SntpRound, out: NtpRejection | SntpSync): void {
  const idx = r._srv;
  if (idx < 0) return;
  r._srv = -1;
  const hal = r.hal;
  if (r._timer !== undefined) hal.clearTimeout(r._timer);
  r._timer = undefined;
  const s = r._sock;
  r._sock = undefined;
  if (s) {
    try {
      // A closed socket can stay in the interpreter's socket list for a while, and its
      // listener holds this client (seen overlapping the next flush's first request on the
      // Linux build).
      s.removeAllListeners();
      s.close();
    } catch (_e) {
      // already closed by the network stack
    }
  }
  const server = r.servers[idx];
  const k = r.keep;
  const cb = r._cb;
  if (!("reason" in out)) {
    const sync = out;
    if (r.apply !== false) hal.setTime(hal.now() + sync.offsetMs);
    k._preferred = idx;
    if (k._rateHolds) k._rateHolds[idx] = 0;
    k._failures = 0;
    k._lastOffsetMs = sync.offsetMs;
    k._lastDelayMs = sync.delayMs;
    k._lastSyncAt = sync.epochMs;
    k._server = server;
    r._cb = undefined;
    r._on(sync);
    const interval = r.intervalMs || 3600000;
    const nextMs = r.needsDrift && r.needsDrift() ? Math.min(r.learnIntervalMs || 660000, interval) : interval;
    r._on(r._run ? nextMs : undefined);
    if (cb) cb(undefined, sync);
    return;
  }
  const reason = out.reason;
  const kiss = out.kiss;
  if (reason === "stopped") {
    r._cb = undefined;
    if (cb) cb(reason, undefined);
    return;
  }
  k._lastError = server + ": " + reason;
  if (kiss === "DENY" || kiss === "RSTR" || kiss === "RATE") {
    // The per-server holds, made at the first one.
    if (!k._holdUntil || !k._rateHolds) {
      k._holdUntil = [];
      k._rateHolds = [];
      for (let i = 0; i < r.servers.length; i++) {
        k._holdUntil.push(0);
        k._rateHolds.push(0);
      }
    }
    const rate = k._rateHolds;
    if (kiss === "RATE") {
      // Doubled at each RATE, at most a day.
      const hold = Math.min(rate[idx] ? rate[idx] * 2 : r.rateHoldMs || 3600000, 86400000);
      rate[idx] = hold;
      k._holdUntil[idx] = hal.uptime() + hold;
    } else {
      k._holdUntil[idx] = Infinity;
      if (!k._refused) k._refused = [];
      k._refused.push(server);
    }
  }
  hal.log("sntp " + k._lastError);
  r._on(reason, server);
  sntpNext(r, idx + 1);
}

/**
 * One SNTP client for sync rounds: `start()` when the network comes up (syncs now), `stop()`
 * when it goes down. When a round ends it hands the time to the next one (`intervalMs`, backing
 * off while every server fails) to `onIdle` and keeps no timer. The clock does not use this
 * class: it runs each round on the functions above (clock.ts `clockRound`).
 */
export class SntpClient {
  private r: SntpRound;

  /** @throws Error when `servers` is empty or holds a non-string or empty name. */
  constructor(options: SntpOptions) {
    this.r = sntpRound(Object.assign({}, options));
  }

  /** Syncs now; the rounds after it are the caller's ({@link SntpOptions.onIdle}). Call when the network comes up; idempotent. */
  start(): void {
    if (this.r._run) return;
    this.r._run = true;
    sntpStart(this.r);
  }

  /** Stops periodic syncing and abandons an exchange in flight. Call when the network goes down. */
  stop(): void {
    this.r._run = false;
    finish(this.r, { reason: "stopped" });
  }

  /** See {@link sntpStart}. */
  syncNow(cb?: SntpRoundCb): boolean {
    return sntpStart(this.r, cb);
  }

  status(): SntpStatus {
    const k = this.r.keep;
    return {
      running: this.r._run,
      busy: this.r._srv >= 0,
      lastOffsetMs: k._lastOffsetMs,
      lastDelayMs: k._lastDelayMs,
      lastSyncAt: k._lastSyncAt,
      lastError: k._lastError,
      server: k._server,
      failures: k._failures || 0,
      refused: k._refused || [],
    };
  }
}
