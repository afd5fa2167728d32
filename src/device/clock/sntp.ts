/**
 * SNTP client over UDP (`dgram`), applying the time with the interpreter's setTime (not
 * Wifi.setSNTP, which on ESP32 sets the clock behind Espruino's timers).
 */
import type { Hal, TimerId, UdpSocket } from "../hal.ts";
import { buildRequest, checkReply, type NtpRejection, type NtpReply } from "./ntp-packet.ts";

export const DEFAULT_SNTP_SERVERS = ["pool.ntp.org"];
// The other defaults are literals where they are used (each option's TSDoc gives it): the client
// is made from the SNTP part for each round, and a module-level constant of a part is one more
// variable of its scope for as long as the round lives (docs/memory.md).

/** `v`, or `d` when it is undefined. */
function or(v: number | undefined, d: number): number {
  return v === undefined ? d : v;
}

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

/** One exchange in flight. */
interface Exchange {
  server: number;
  socket: UdpSocket | undefined;
  request: Uint8Array | undefined;
  t1: number;
  /** hal.uptime() when the request went out. */
  u1: number;
  timer: TimerId | undefined;
  foreignReason: string | undefined;
  done: boolean;
}

/**
 * One SNTP client for a sync round: `start()` when the network comes up (syncs now), `stop()`
 * when it goes down. When a round ends it hands the time to the next one (`intervalMs`, backing
 * off while every server fails) to `onIdle` and keeps no timer: the clock (clock.ts) makes a new
 * client for the next round.
 */
export class SntpClient {
  /**
   * The options as given, read where they are used: one field instead of one per option (each
   * costs JsVars for as long as the round lives, docs/memory.md).
   */
  private o: SntpOptions;
  private hal: Hal;
  private servers: string[];
  private keep: SntpKeep;
  private running: boolean;
  private exchange: Exchange | undefined;
  private roundCb: ((err: string | undefined, sync: SntpSync | undefined) => void) | undefined;
  private roundTried = 0;

  /** @throws Error when `servers` is empty or holds a non-string or empty name. */
  constructor(options: SntpOptions) {
    const servers = options.servers === undefined ? DEFAULT_SNTP_SERVERS : options.servers;
    if (!servers || !servers.length) throw new Error("SntpClient: servers must list at least one host name");
    for (let i = 0; i < servers.length; i++) {
      if (typeof servers[i] !== "string" || !servers[i]) {
        throw new Error("SntpClient: servers[" + i + "] must be a non-empty host name");
      }
    }
    this.keep = options.keep || {};
    this.running = !!options.started;
    this.o = options;
    this.hal = options.hal;
    this.servers = servers;
  }

  /** Syncs now; the rounds after it are the caller's ({@link SntpOptions.onIdle}). Call when the network comes up; idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    if (!this.exchange) this.syncNow();
  }

  /** Stops periodic syncing and abandons an exchange in flight. Call when the network goes down. */
  stop(): void {
    this.running = false;
    if (this.exchange) this.finish(this.exchange, { reason: "stopped" });
  }

  /**
   * One sync round: asks the servers in turn (starting with the last one that answered) until
   * one reply is accepted. Returns false when a round is already under way.
   */
  syncNow(cb?: (err: string | undefined, sync: SntpSync | undefined) => void): boolean {
    if (this.exchange) return false;
    this.roundCb = cb;
    this.roundTried = 0;
    this.tryNext(this.keep._preferred || 0);
    return true;
  }

  status(): SntpStatus {
    const k = this.keep;
    return {
      running: this.running,
      busy: !!this.exchange,
      lastOffsetMs: k._lastOffsetMs,
      lastDelayMs: k._lastDelayMs,
      lastSyncAt: k._lastSyncAt,
      lastError: k._lastError,
      server: k._server,
      failures: k._failures || 0,
      refused: k._refused || [],
    };
  }

  private schedule(ms: number | undefined): void {
    if (this.o.onIdle) this.o.onIdle(this.running ? ms : undefined);
  }

  /** Starts an exchange with the first usable server from `from` on, or ends the round. */
  private tryNext(from: number): void {
    const n = this.servers.length;
    const up = this.hal.uptime();
    const until = this.keep._holdUntil;
    while (this.roundTried < n) {
      const idx = from % n;
      from++;
      this.roundTried++;
      if (!until || until[idx] <= up) {
        this.ask(idx);
        return;
      }
    }
    // Written out, as below: each method of the client costs JsVars while a round lives.
    const refused = this.keep._refused;
    this.endRound(refused && refused.length === n ? "every server refused service" : undefined);
  }

  private endRound(err: string | undefined): void {
    const k = this.keep;
    k._failures = (k._failures || 0) + 1;
    if (err) k._lastError = err;
    const cb = this.roundCb;
    this.roundCb = undefined;
    if (!k._refused || k._refused.length < this.servers.length) {
      const max = or(this.o.retryMaxMs, 900000);
      let wait = or(this.o.retryMinMs, 15000);
      for (let i = 1; i < k._failures && wait < max; i++) wait *= 2;
      if (wait > max) wait = max;
      // jitter: 75..100 % so that devices that lost the network together do not retry together
      this.schedule(wait * (0.75 + 0.25 * this.hal.random()));
    } else this.schedule(undefined);
    if (cb) cb(k._lastError || "no server usable", undefined);
  }

  private ask(idx: number): void {
    const ex: Exchange = {
      server: idx,
      socket: undefined,
      request: undefined,
      t1: 0,
      u1: 0,
      timer: undefined,
      foreignReason: undefined,
      done: false,
    };
    this.exchange = ex;
    ex.timer = this.hal.setTimeout(
      () => {
        ex.timer = undefined;
        this.finish(ex, { reason: ex.foreignReason ? "timeout (ignored: " + ex.foreignReason + ")" : "timeout" });
      },
      or(this.o.timeoutMs, 3000),
    );
    try {
      const socket = this.hal.dgram.createSocket("udp4");
      ex.socket = socket;
      socket.on("error", (err) => this.finish(ex, { reason: "socket error: " + err }));
      socket.on("message", (msg) => this.onMessage(ex, msg));
      socket.bind(0, () => this.send(ex));
    } catch (err) {
      this.finish(ex, { reason: "socket: " + err });
    }
  }

  private send(ex: Exchange): void {
    if (ex.done || !ex.socket) return;
    try {
      ex.t1 = this.hal.now();
      ex.u1 = this.hal.uptime();
      ex.request = buildRequest(ex.t1, Math.floor(this.hal.random() * 65536));
      ex.socket.send(this.hal.bytesToString(ex.request), or(this.o.port, 123), this.servers[ex.server]);
    } catch (err) {
      this.finish(ex, { reason: "send failed: " + err });
    }
  }

  private onMessage(ex: Exchange, msg: string): void {
    if (ex.done || !ex.request) return;
    const t4 = this.hal.now();
    const u4 = this.hal.uptime();
    const checked = checkReply(this.hal.stringToBytes(msg), ex.request);
    if ("reason" in checked) {
      // A reply that does not echo our request is not the server's answer: wait for that.
      if (checked.foreign) ex.foreignReason = checked.reason;
      else this.finish(ex, checked);
      return;
    }
    const reply = checked as NtpReply;
    // t1 in the clock's current base: something else (an HTTP Date header) may have set the
    // clock while the request was out, and t4 - t1 would then span that step.
    const t1 = t4 - (u4 - ex.u1);
    const offsetMs = (reply.receiveMs - t1 + (reply.transmitMs - t4)) / 2;
    const delayMs = t4 - t1 - (reply.transmitMs - reply.receiveMs);
    if (delayMs < 0) {
      this.finish(ex, { reason: "negative delay " + delayMs.toFixed(1) + " ms" });
      return;
    }
    this.finish(ex, undefined, {
      epochMs: t4 + offsetMs,
      uptimeMs: u4,
      offsetMs,
      delayMs,
      server: this.servers[ex.server],
      stratum: reply.stratum,
    });
  }

  /** Ends an exchange once: with a rejection (next server) or with an accepted sync. */
  private finish(ex: Exchange, rejection: NtpRejection | undefined, sync?: SntpSync): void {
    if (ex.done) return;
    ex.done = true;
    if (ex.timer !== undefined) this.hal.clearTimeout(ex.timer);
    if (ex.socket) {
      try {
        // A closed socket can stay in the interpreter's socket list for a while, and its
        // listeners and bind callback hold this client and its part (about 280 JsVars, seen
        // overlapping the next flush's first request on the Linux build).
        ex.socket.removeAllListeners();
        ex.socket.close();
      } catch (_e) {
        // already closed by the network stack
      }
    }
    if (this.exchange === ex) this.exchange = undefined;
    const server = this.servers[ex.server];
    const k = this.keep;
    if (sync) {
      const o = this.o;
      if (o.apply !== false) this.hal.setTime(this.hal.now() + sync.offsetMs);
      k._preferred = ex.server;
      if (k._rateHolds) k._rateHolds[ex.server] = 0;
      k._failures = 0;
      k._lastOffsetMs = sync.offsetMs;
      k._lastDelayMs = sync.delayMs;
      k._lastSyncAt = sync.epochMs;
      k._server = server;
      const cb = this.roundCb;
      this.roundCb = undefined;
      if (o.onSync) o.onSync(sync);
      const interval = or(o.intervalMs, 3600000);
      this.schedule(o.needsDrift && o.needsDrift() ? Math.min(or(o.learnIntervalMs, 660000), interval) : interval);
      if (cb) cb(undefined, sync);
      return;
    }
    const r = rejection as NtpRejection;
    if (r.reason === "stopped") {
      const cb = this.roundCb;
      this.roundCb = undefined;
      if (cb) cb("stopped", undefined);
      return;
    }
    k._lastError = server + ": " + r.reason;
    if (r.kiss === "DENY" || r.kiss === "RSTR" || r.kiss === "RATE") {
      // The per-server holds, made at the first one.
      if (!k._holdUntil || !k._rateHolds) {
        k._holdUntil = [];
        k._rateHolds = [];
        for (let i = 0; i < this.servers.length; i++) {
          k._holdUntil.push(0);
          k._rateHolds.push(0);
        }
      }
      const until = k._holdUntil;
      const rate = k._rateHolds;
      if (r.kiss === "RATE") {
        let hold = rate[ex.server] ? rate[ex.server] * 2 : or(this.o.rateHoldMs, 3600000);
        // At most a day.
        if (hold > 86400000) hold = 86400000;
        rate[ex.server] = hold;
        until[ex.server] = this.hal.uptime() + hold;
      } else {
        until[ex.server] = Infinity;
        if (!k._refused) k._refused = [];
        k._refused.push(server);
      }
    }
    this.hal.log("sntp " + k._lastError);
    if (this.o.onError) this.o.onError(r.reason, server);
    this.tryNext(ex.server + 1);
  }
}
