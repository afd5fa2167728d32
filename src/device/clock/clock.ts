/**
 * The clock as the firmware runs it: a TimeKeeper kept set by SNTP rounds. The SNTP client is
 * made from the SNTP part (src/device/parts/sntp.ts) for one round and dropped when the round
 * ends (about 154 JsVars with its code and socket, docs/memory.md); between rounds the clock holds the timer
 * to the next round and what the client remembers (`SntpKeep`), and a client made for the next
 * round continues from there.
 */
import type { TimerId } from "../hal.ts";
import type { Parts } from "../parts.ts";
import { type SntpKeep, type SntpRound, type SntpSync, finish, sntpNext } from "./sntp.ts";
import { TimeKeeper, acceptSntp, noteError, type TimeKeeperOptions } from "./timekeeper.ts";

/** Which SNTP servers the clock asks (the configuration's `ntp` section). */
export interface ClockNtp {
  /** Host names tried in turn; default ["pool.ntp.org"]. */
  servers?: string[];
  /** Default 123. */
  port?: number;
}

/** The TimeKeeper's options (its `onCoarseAllowed` is `onChange`), where SNTP's code comes from and which servers it asks. */
export interface ClockOptions extends TimeKeeperOptions {
  /** Where the SNTP client's code comes from: part "sntp", loaded for each round. */
  parts: Pick<Parts, "load">;
  ntp?: ClockNtp;
  /**
   * Called when readings waiting for a time may now get one: after each accepted SNTP sync, and
   * when SNTP has failed long enough for the HTTP Date's time to be used (e.g. to wake the uplink).
   */
  onChange?: () => void;
}

/**
 * See {@link createClock} (spool constructs it directly: one resident function fewer). Class
 * methods, not closures: they exist once for every clock, and
 * the fields' names start with `_` so that the build shortens them (docs/memory.md).
 */
export class Clock {
  /** Stamps readings, anchors them, resolves this boot's stamps. Its `_hal` is the clock's too. */
  keeper: TimeKeeper;
  _parts: Pick<Parts, "load">;
  /** The servers asked; absent for the default (pool.ntp.org, port 123): about 6 JsVars at rest. */
  _cfg?: ClockNtp;
  /** What the SNTP client remembers between rounds. */
  _k: SntpKeep;
  /** 1 while started (the network up), as the client's start(); 0, not false: a boolean property costs a JsVar more. */
  _running: number;
  /** The timer to the next round, while no round runs; absent otherwise (a property set to undefined costs a JsVar). */
  _timer?: TimerId;
  /** The client of the running round, if one runs; absent otherwise. */
  _sntp?: ClockRound;

  /** @throws Error on bad TimeKeeper options (a policy or width out of range). */
  constructor(o: ClockOptions) {
    this.keeper = new TimeKeeper(Object.assign({}, o, { onCoarseAllowed: o.onChange }));
    this._parts = o.parts;
    // Kept unless it is the default, which clockRound asks when none is kept ({@link
    // isDefaultNtp} written out: a module-level function the bundle keeps costs what this saves).
    const ntp = o.ntp;
    const s = ntp && ntp.servers;
    if (ntp && !((!s || (s.length === 1 && s[0] === "pool.ntp.org")) && (ntp.port === undefined || ntp.port === 123))) this._cfg = ntp;
    this._k = {};
    this._running = 0;
  }

  /** Syncs now and keeps syncing (hourly; 11 min while the drift is learned; backing off while every server fails). Call when the network comes up; idempotent. */
  start(): void {
    if (this._running) return;
    this._running = 1;
    // A round under way (syncNow) goes on, now started. Otherwise the first round is a timer
    // due at once, not a call: the firmware starts the clock inside boot(), and the round (its
    // part, client and socket: about 154 JsVars on the 1,600-JsVar build) then runs after boot()
    // returned, when what the boot no longer holds can be collected.
    const c = this._sntp;
    if (c) c._run = true;
    else this._idle(0);
  }

  /** Stops syncing and abandons a round under way. Call when the network goes down. */
  stop(): void {
    this._running = 0;
    if (this._timer !== undefined) this.keeper._hal.clearTimeout(this._timer);
    delete this._timer;
    const c = this._sntp;
    delete this._sntp;
    if (c) c._end(c, { reason: "stopped" });
  }

  /**
   * One sync round now, whether started or not (the uplink asks before its first flush).
   * Returns false when a round is already under way.
   */
  syncNow(cb?: (err: string | undefined) => void): boolean {
    if (this._sntp) return false;
    if (this._timer !== undefined) this.keeper._hal.clearTimeout(this._timer);
    delete this._timer;
    this._parts.load("sntp").clockRound(this, cb);
    return true;
  }

  /**
   * The round ended: the client is dropped, and the next round is a timer until it is due. A
   * method of its own: the timer's function keeps the scope it is made in, which must not hold
   * the client or the SNTP part.
   */
  _idle(nextMs: number | undefined): void {
    const clock = this;
    delete clock._sntp;
    if (nextMs === undefined || !clock._running) return;
    // After a sync (no failure counted) while the drift is unknown, the next one comes after 11
    // min rather than an hour, so that the drift is learned early. Decided here, not by the
    // client's `needsDrift`: one function fewer in the SNTP part while a round waits.
    if (clock._k._failures === 0 && clock.keeper._book._drift === undefined && nextMs > 660000) nextMs = 660000;
    clock._timer = clock.keeper._hal.setTimeout(() => clock.syncNow(), nextMs);
  }
}

/** A round's client made by {@link clockRound}: the clock's, and how the clock abandons it (sntp.ts `finish`). */
interface ClockRound extends SntpRound {
  _c: Clock;
  _end: typeof finish;
}

/**
 * Starts a round of `clock` (its servers, what it remembers, its keeper): brought by the SNTP
 * part (src/device/parts/sntp.ts) with the client and the keeper's SNTP operations, so that none
 * of it is resident. The client reports through one function of the part, called as its method
 * ({@link roundEvent}): each function costs JsVars while the round waits.
 * The client is dropped when the round ends (`onIdle`). Made and started here, not by
 * `sntpRound` and `sntpStart` (whose check of the servers is the configuration's already,
 * src/device/api/config.ts): two functions fewer in the part.
 */
export function clockRound(clock: Clock, cb?: (err: string | undefined) => void): void {
  const cfg = clock._cfg;
  const r = {
    hal: clock.keeper._hal,
    // sntp.ts DEFAULT_SNTP_SERVERS, as a literal: a module-level array of the part would be one
    // more variable of its scope while the round waits.
    servers: (cfg && cfg.servers) || ["pool.ntp.org"],
    port: cfg && cfg.port,
    keep: clock._k,
    _on: roundEvent,
    _srv: -1,
    _cb: cb,
    _tried: 0,
  } as ClockRound;
  r._c = clock;
  r._run = !!clock._running;
  r._end = finish;
  // Held before it starts: a round that ends at once (every server held) drops it (`_idle`).
  clock._sntp = r;
  sntpNext(r, clock._k._preferred || 0);
}

/**
 * The client's `_on` (sntp.ts `SntpRound`) of a clock's round, told apart by the first
 * argument: an accepted sync (an object) goes to the keeper
 * (an anchor, then `onCoarseAllowed`), a refusal (a string) to the keeper's status, the delay
 * to the next round (a number or undefined) to the clock.
 */
function roundEvent(this: ClockRound, a: SntpSync | string | number | undefined, server?: string): void {
  const keeper = this._c.keeper;
  if (typeof a === "object") {
    acceptSntp(keeper, a);
    if (keeper._onCoarseAllowed) keeper._onCoarseAllowed();
  } else if (typeof a === "string") noteError(keeper, a, server as string);
  else this._c._idle(a);
}

/** pool.ntp.org alone on port 123: what clockRound asks when the clock keeps no servers. */
function isDefaultNtp(ntp: ClockNtp): boolean {
  const s = ntp.servers;
  return (!s || (s.length === 1 && s[0] === "pool.ntp.org")) && (ntp.port === undefined || ntp.port === 123);
}

/**
 * Builds the clock: the TimeKeeper, and SNTP rounds made from the SNTP part. Call `start()` when
 * the network comes up and `stop()` when it goes down; pass HTTP Date headers to
 * `applyHttpDate` (timekeeper.ts).
 * @throws Error on bad TimeKeeper options (a policy or width out of range).
 */
export function createClock(options: ClockOptions): Clock {
  return new Clock(options);
}

/**
 * Other SNTP servers: what the clock remembered of the old ones (holds, the preferred server, the
 * status) is forgotten, and a started clock syncs with the new ones now. Not a method: only
 * `spool.setup` calls it, from the setup part, so it does not exist at rest.
 */
export function configureClock(clock: Clock, ntp: ClockNtp): void {
  const on = clock._running;
  clock.stop();
  if (isDefaultNtp(ntp)) delete clock._cfg;
  else clock._cfg = ntp;
  clock._k = {};
  if (on) clock.start();
}
