/**
 * The clock as the firmware runs it: a TimeKeeper kept set by SNTP rounds. The SNTP client is
 * made from the SNTP part (src/device/parts/sntp.ts) for one round and dropped when the round
 * ends (about 150 JsVars with its code, docs/memory.md); between rounds the clock holds the timer
 * to the next round and what the client remembers (`SntpKeep`), and a client made for the next
 * round continues from there.
 */
import type { TimerId } from "../hal.ts";
import type { Parts } from "../parts.ts";
import { SntpClient, type SntpKeep, type SntpOptions, type SntpSync } from "./sntp.ts";
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
  _cfg: ClockNtp;
  /** What the SNTP client remembers between rounds. */
  _k: SntpKeep;
  /** Started (the network up), as the client's start(). */
  _running: boolean;
  /** The timer to the next round, while no round runs. */
  _timer: TimerId | undefined;
  /** The client of the running round, if one runs. */
  _sntp: SntpClient | undefined;

  /** @throws Error on bad TimeKeeper options (a policy or width out of range). */
  constructor(o: ClockOptions) {
    this.keeper = new TimeKeeper(Object.assign({}, o, { onCoarseAllowed: o.onChange }));
    this._parts = o.parts;
    this._cfg = o.ntp || {};
    this._k = {};
    this._running = false;
    this._timer = undefined;
    this._sntp = undefined;
  }

  /** Syncs now and keeps syncing (hourly; 11 min while the drift is learned; backing off while every server fails). Call when the network comes up; idempotent. */
  start(): void {
    if (this._running) return;
    this._running = true;
    // A round under way (syncNow) goes on, now started. Otherwise the first round is a timer
    // due at once, not a call: the firmware starts the clock inside boot(), and the round (its
    // part, client and socket: about 300 JsVars on the 1,600-JsVar build) then runs after boot()
    // returned, when what the boot no longer holds can be collected.
    const c = this._sntp;
    if (c) c.start();
    else this._idle(0);
  }

  /** Stops syncing and abandons a round under way. Call when the network goes down. */
  stop(): void {
    this._running = false;
    if (this._timer !== undefined) this.keeper._hal.clearTimeout(this._timer);
    this._timer = undefined;
    const c = this._sntp;
    this._sntp = undefined;
    if (c) c.stop();
  }

  /**
   * One sync round now, whether started or not (the uplink asks before its first flush).
   * Returns false when a round is already under way.
   */
  syncNow(cb?: (err: string | undefined) => void): boolean {
    return this._round().syncNow(cb);
  }

  /** The client of this round, made by the SNTP part when none runs. @throws Error on bad servers (SntpClient). */
  _round(): SntpClient {
    if (this._timer !== undefined) this.keeper._hal.clearTimeout(this._timer);
    this._timer = undefined;
    if (!this._sntp) this._sntp = this._parts.load("sntp").clockRound(this);
    return this._sntp;
  }

  /**
   * The round ended: the client is dropped, and the next round is a timer until it is due. A
   * method of its own: the timer's function keeps the scope it is made in, and the scope of
   * `_round` holds the client.
   */
  _idle(nextMs: number | undefined): void {
    const clock = this;
    clock._sntp = undefined;
    if (nextMs !== undefined && clock._running) clock._timer = clock.keeper._hal.setTimeout(() => clock.syncNow(), nextMs);
  }
}

/**
 * The options of a round's client, wired to `clock` and its keeper: the callbacks are methods
 * (the client calls them on this object), not closures made for each round, which cost more
 * JsVars while the round lives (docs/memory.md).
 */
class RoundOptions implements SntpOptions {
  _c: Clock;
  hal: SntpOptions["hal"];
  servers: string[] | undefined;
  port: number | undefined;
  keep: SntpKeep;
  started: boolean;

  constructor(clock: Clock) {
    this._c = clock;
    this.hal = clock.keeper._hal;
    this.servers = clock._cfg.servers;
    this.port = clock._cfg.port;
    this.keep = clock._k;
    this.started = clock._running;
  }

  needsDrift(): boolean {
    return this._c.keeper._book._drift === undefined;
  }

  onSync(sync: SntpSync): void {
    const keeper = this._c.keeper;
    acceptSntp(keeper, sync);
    if (keeper._onCoarseAllowed) keeper._onCoarseAllowed();
  }

  onError(reason: string, server: string): void {
    noteError(this._c.keeper, reason, server);
  }

  onIdle(nextMs: number | undefined): void {
    this._c._idle(nextMs);
  }
}

/**
 * The SNTP client of one round of `clock`, wired to its keeper: brought by the SNTP part
 * (src/device/parts/sntp.ts) with the keeper's SNTP operations, so that none of it is resident.
 * The client and its options are dropped when the round ends.
 * @throws Error on bad servers (SntpClient).
 */
export function clockRound(clock: Clock): SntpClient {
  return new SntpClient(new RoundOptions(clock));
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
  clock._cfg = ntp;
  clock._k = {};
  if (on) clock.start();
}
