/**
 * The `spool` object: what user firmware and the REPL touch. It wires the store, the clock,
 * the network and the uplink to one configuration, and keeps them in step with it.
 */
import type { Hal } from "../hal.ts";
import type { DeviceBoard } from "../board.ts";
import type { Anchor, ReadingValue, Stamp } from "../types.ts";
import { Clock } from "../clock/clock.ts";
import type { Surveyed } from "../clock/survey.ts";
import { Net } from "../net/index.ts";
import type { Uplink } from "../uplink/uplink.ts";
import { K_STOPPED_TOKEN, K_WAITING, type Run } from "../uplink/state.ts";
import { uplinkEntry } from "./uplink-entry.ts";
import { hooks } from "./uplink-hooks.ts";
import { U_APPENDED, U_CHECK, U_CLOCK, U_FLUSH, U_LINK, U_RESUME, U_START, U_STOP } from "../uplink/ops.ts";
import { parsePin, describe } from "./config.ts";
import type { SpoolConfig } from "./config.ts";
import { checkValue } from "../codec/value.ts";
import { errorText } from "./error-text.ts";
import type { Parts } from "../parts.ts";
import type { SpoolStatus } from "./status.ts";
import { openStore } from "./store-open.ts";
import type { Store } from "../store/store.ts";
import { CONFIG_CACHE, SLOT_BODY, type BootConfig } from "./config-load.ts";
import { configSchedules } from "./config-schedules.ts";
import type { Schedule, SampleHandle, SpoolMethods, SpoolState } from "./spool-state.ts";

export type { SampleHandle } from "./spool-state.ts";

export interface SpoolOptions {
  hal: Hal;
  /**
   * The board profile, or a function that makes it afresh at each call (the firmware's: then
   * no copy of the profile is kept between calls, about 40 JsVars at rest).
   */
  board: DeviceBoard | (() => DeviceBoard);
  /** Shown in the status (the build's version). */
  version?: string;
  /**
   * Readers for the configured schedules, by `source` name ("temperature", "analog",
   * "synthetic"); each returns the value to record.
   */
  sources?: { [name: string]: () => ReadingValue };
  /** Configuration used until the first `setup` (a partial config over the library defaults). */
  defaults?: object;
  /** Where the rarely run code comes from (src/device/parts.ts): Storage files on the device. */
  parts: Parts;
  /** This boot's configuration when it was worked out already (firmware/early-config.ts); absent: read here. */
  config?: BootConfig;
  /** The store, opened with `hal`, `parts` and `config` already (firmware/early-store.ts); absent: opened here. */
  store?: Store;
  /** The store's anchors, read with it (firmware/early-store.ts); absent: read here. Only with `store`. */
  anchors?: Anchor[];
  /** The survey of the store's readings, made with it (firmware/early-store.ts); absent: made by start(). Only with `store`. */
  surveyed?: Surveyed;
}

export interface Spool {
  /**
   * Validates `config`, merges it into the current configuration (sections field by field,
   * arrays replaced whole), stores it in Storage (power-safe: `spool.cfg0`/`spool.cfg1`, see
   * config-store.ts) and applies it at once: network, uplink, sampling and the buffer are
   * restarted as needed.
   * @throws Error naming the field path and what would be valid; nothing changes then.
   */
  setup(config: object): void;
  /** The configuration in force, with the password and token masked. */
  config(): SpoolConfig;
  /**
   * Stamps and stores one reading (durable on return), then schedules its upload.
   * @throws Error for an unknown pin, a value of the wrong type, NaN/Infinity, a string over
   * 1024 UTF-8 bytes, a bad location, or a full buffer under policy "refuse". Stored data is
   * never discarded by a failed record.
   */
  record(pin: number | string, value: any): void;
  /**
   * Calls `fn` every `everyMs` and records what it returns (undefined is skipped). Errors
   * thrown by `fn` or by the recording are counted and shown in the status, not thrown.
   * @throws Error for an unknown pin, a non-function or an interval out of range.
   */
  sample(pin: number | string, fn: () => any, everyMs: number): SampleHandle;
  /** Sends what is waiting now, without waiting for the flush delay or a backoff. @throws Error when stopped or no token is set. */
  flush(): void;
  /** Health, as an object (secrets masked). */
  status(): SpoolStatus;
  /** Prints the status as readable lines. */
  report(): void;
  /** Starts networking, uploads and sampling (done at boot by the default firmware). */
  start(): void;
  /** Stops networking, uploads and sampling; recording still works. */
  stop(): void;
  /**
   * Discards every stored reading. Asks for confirmation by argument: without the exact phrase
   * it throws, saying how many undelivered readings would be lost and the call that confirms.
   * @returns the number of undelivered readings discarded (counted as dropped "erased").
   * @throws Error without a matching confirmation.
   */
  erase(confirm?: string): number;
}

/**
 * What spool does: the methods of this plain object, the prototype of the state (spool-state.ts)
 * and of the user's `spool` object: the public ones (the Spool interface) and those the parts
 * call back (the state's type lists them). Not closures of createSpool: a closure made by a
 * factory costs more JsVars than a method, which exists once, and each exists at rest
 * (docs/memory.md); a plain object, not a class, has no constructor function to keep.
 *
 * The user's object holds nothing but `spool.record`, a closure (its hot path reads the store
 * and the keeper from createSpool's scope, so it works detached as well); the public methods
 * reach the state as `this.record._s` (call them as methods: `spool.flush()`). Not the state
 * itself: typed at the REPL, an object is printed with everything it holds, the WiFi password
 * and the token among it, where a function prints as its code alone. `this` is copied to a local
 * before any arrow uses it (an arrow using `this` that is skipped unexecuted stops the Linux
 * build: docs/target-espruino.md).
 */
const SpoolCore: SpoolMethods & ThisType<SpoolState> = {
  setup(config: object): void {
    const S = this.record._s;
    S._parts.load("setup").setup(S, config);
  },

  config(): SpoolConfig {
    const S = this.record._s;
    return S._parts.load("apply").maskConfig(S._config());
  },

  sample(pin: number | string, fn: () => any, everyMs: number): SampleHandle {
    const S = this.record._s;
    return S._parts.load("apply").sample(S, pin, fn, everyMs);
  },

  flush(): void {
    const S = this.record._s;
    if (!S._running) throw new Error("spool.flush: Spool is stopped; call spool.start() first");
    const u = S._liveUplink(false);
    if (!u) throw new Error('spool.flush: no Blynk token is set; call spool.setup({blynk: {token: "..."}})');
    u.ctl(U_FLUSH);
  },

  status(): SpoolStatus {
    const S = this.record._s;
    roomForStatus(S, "spool.status");
    return S._parts.load("report").status(S);
  },

  report(): void {
    const S = this.record._s;
    roomForStatus(S, "spool.report");
    S._parts.load("report").report(S);
  },

  start(): void {
    const S = this.record._s;
    if (S._running) return;
    S._running = 1;
    if (S._unsurveyed) {
      S._parts.load("survey").surveyStore(S._keeper, S._store);
      delete S._unsurveyed;
    }
    S._network.start();
    if (S._network.isUp()) S._clock.start();
    const u = S._liveUplink(true);
    if (u) u.ctl(U_START);
    for (let i = 0; i < S._schedules.length; i++) S._arm(S._schedules[i], 1);
    S._armStatus();
  },

  stop(): void {
    const S = this.record._s;
    if (!S._running) return;
    S._running = 0;
    for (let i = 0; i < S._schedules.length; i++) S._arm(S._schedules[i], 0);
    S._armStatus();
    if (S._uplink) S._uplink.ctl(U_STOP);
    // Stopped, it has nothing left to do: dropped now, its state kept in uplinkKeep (kept
    // stopped where the board's profile keeps it).
    if (!S._boardOf().upload.keepUplink) {
      delete S._uplink;
      delete S._store.held;
    }
    if (S._uplinkCheck !== undefined) S._hal.clearInterval(S._uplinkCheck);
    delete S._uplinkCheck;
    if (S._flushTimer !== undefined) S._hal.clearTimeout(S._flushTimer);
    delete S._flushTimer;
    S._clock.stop();
    S._network.stop();
  },

  erase(confirm?: string): number {
    const S = this.record._s;
    return S._parts.load("report").erase(S, confirm);
  },

  /**
   * The uplink, made when there is none (started, or with `fresh` false resumed where the last
   * one left off on a link that stayed up); undefined without a token.
   */
  _liveUplink(fresh: boolean): Uplink | undefined {
    /** How often a living uplink is checked for having nothing left to do (then it is dropped). */
    const UPLINK_CHECK_MS = 500;
    const S = this;
    if (!S._uplink) {
      // Stopped: none is made (a restart task of spool.setup may run after a stop).
      if (S._flushIn < 0 || !S._running) return undefined;
      // Where memory is fixed and small, a flush started without room would run out inside its
      // task, again at every new reading: it waits for the next one, and the status says why.
      const need = S._boardOf().upload.minFreeJsVars;
      const free = need ? S._hal.memory().free : 0;
      if (need && free < need) {
        // A number: the status (the report part) words it.
        S._short = free;
        return undefined;
      }
      delete S._short;
      // The make part makes it (spool-uplink.ts): nothing of the making is resident. Where the
      // board keeps the uplink, the parts of its phases are kept with it; elsewhere each phase
      // loads its own (docs/memory.md, twelfth round). No local holds a part: the interval below
      // would keep this call's scope, and with it the part (Espruino keeps a closure's whole scope).
      const u = S._parts.load("make").makeUplink(S, uplinkEntry, hooks) as Run;
      if (S._boardOf().upload.keepUplink) {
        u._cp = S._parts.load("uplink");
        u._sp = S._parts.load("stream");
        u._rp = S._parts.load("reply");
        u._pp = S._parts.load("pick");
      }
      S._uplink = u;
      // Where the board keeps its uplink the read part is held from here; elsewhere from the
      // first pick (select.ts pickTask): not while the first SNTP round or the time probe runs
      // beside the control part (docs/memory.md, thirteenth round).
      if (S._boardOf().upload.keepUplink) S._store.held = S._parts.load("read");
      if (S._running && fresh) u.ctl(U_START);
      else if (S._running) u.ctl(U_RESUME);
    }
    // On a board whose profile keeps it (memory to spare), the uplink and the parts it holds stay
    // between flushes: a flush then allocates only what each request needs (docs/memory.md).
    // The check is the resident entry point itself (U_CHECK, with the state as its argument): a
    // closure here would hold this call's scope beside every phase of a flush.
    if (S._uplinkCheck === undefined && !S._boardOf().upload.keepUplink)
      S._uplinkCheck = S._hal.setInterval(uplinkEntry, UPLINK_CHECK_MS, U_CHECK, S);
    return S._uplink;
  },

  /** A reading was stored: sent within the flush delay while online. */
  _appended(): void {
    "ram";
    const S = this;
    if (!S._running) return;
    if (S._uplink) S._uplink.ctl(U_APPENDED);
    else if (
      S._flushTimer === undefined &&
      S._flushIn >= 0 &&
      !(S._uplinkKeep.n && S._uplinkKeep.n[K_STOPPED_TOKEN]) &&
      S._network.isUp()
    ) {
      S._flushTimer = S._hal.setTimeout(() => {
        delete S._flushTimer;
        S._liveUplink(false);
      }, S._flushIn);
    }
  },

  /** Starts (`on` 1) or stops (0) schedule `s`'s timer: one method for both, one fewer at rest. */
  _arm(s: Schedule, on: number): void {
    if (on) {
      if (s.timer === undefined) s.timer = this._hal.setInterval(sample, s.everyMs, this, s);
      return;
    }
    if (s.timer !== undefined) this._hal.clearInterval(s.timer);
    delete s.timer;
  },

  // The handle is made here, not by the part that adds the schedule: a function the part made
  // would keep the part's code alive for as long as the user keeps the handle.
  _addSchedule(s: Schedule): SampleHandle {
    const S = this;
    S._schedules.push(s);
    if (S._running) S._arm(s, 1);
    return {
      stop: () => {
        S._arm(s, 0);
        const i = S._schedules.indexOf(s);
        if (i >= 0) S._schedules.splice(i, 1);
      },
    };
  },

  _armStatus(): void {
    const S = this;
    if (S._statusTimer !== undefined) S._hal.clearInterval(S._statusTimer);
    delete S._statusTimer;
    const cfg = S._config();
    if (S._running && cfg.statusPin !== null)
      S._statusTimer = S._hal.setInterval(() => S._parts.load("report").publishStatus(S), cfg.statusEveryMs);
  },

  /**
   * The configuration in force: held (`_cfg`) or read from the slot that stores it (`_saved`,
   * which holds exactly its JSON: config-boot.ts, spool-control.ts) or, while none does (the
   * defaults), from the boot's cache (config-load.ts, its last line). Not kept in RAM otherwise:
   * the object costs about 65 JsVars, and only the boot, `spool.setup`, a status question and the
   * making of an uplink read more of it than `_flushIn`.
   * @throws Error when the file was erased behind Spool's back (only `spool.setup` writes them).
   */
  _config(): SpoolConfig {
    if (this._cfg) return this._cfg;
    const text = this._cfgText();
    if (text === undefined) throw new Error("spool: the configuration in force is gone from Storage: run spool.setup again or restart");
    return JSON.parse(text);
  },

  /** The JSON text of the configuration in the file that holds it: `_saved`'s slot, else the cache. */
  _cfgText(): string | undefined {
    const f = this._hal.storage.read(this._saved ? "spool.cfg" + this._saved.slot : CONFIG_CACHE);
    if (f === undefined) return undefined;
    if (!this._saved) return f.substr(f.indexOf("\n", f.indexOf("\n") + 1) + 1);
    const at = f.indexOf(SLOT_BODY);
    return at < 0 ? undefined : f.substring(at + SLOT_BODY.length, f.length - 1);
  },

  _pinOf(pin: any, what: string): number {
    const p = parsePin(pin);
    if (p < 0) throw new Error(what + ': pin must be a virtual pin 0..255 or "V0".."V255" (got ' + describe(pin) + ")");
    // The store's table has the configured datastreams (kept in step by the boot and setup).
    if (!this._store.ds[p]) {
      const cfg = this._config();
      const known: string[] = [];
      for (let i = 0; i < cfg.datastreams.length; i++) known.push("V" + cfg.datastreams[i].pin + " " + cfg.datastreams[i].type);
      throw new Error(
        what +
          ": V" +
          p +
          " is not a datastream (configured: " +
          (known.length ? known.join(", ") : "none") +
          "); add it with spool.setup({datastreams: [...]}), which replaces the list",
      );
    }
    return p;
  },

  /**
   * {@link Spool.record} of anything but the usual reading: checked, the errors naming what is
   * wrong (`ms` the epoch stamp, -1 without a time), stored.
   */
  _recordChecked(pin: any, value: any, ms: number): void {
    const p = this._pinOf(pin, "spool.record");
    const stamp: Stamp = ms < 0 ? this._keeper.stamp() : { epochMs: ms };
    this._store.append({ pin: p, stamp: stamp, value: checkValue(p, this._store.ds[p].type, value) });
  },
};

/*
 * The callbacks of the timers that live at rest, at module level and given the state (and the
 * schedule) as the timer's arguments: a closure would keep its scope as long as the timer.
 */

/**
 * Free JsVars a status takes at its peak where memory is fixed: on the 1,600-JsVar build a
 * status asked with 457 free ran out of memory, with 477 it did not (docs/memory.md, session 21).
 */
const STATUS_JSVARS = 480;

/**
 * Where memory is fixed and small (the board's `upload.minFreeJsVars`), a status asked while a
 * flush or a clock sync holds most of it would run out of memory halfway, and the task beside
 * it could too: it is refused instead, saying why.
 * @throws Error saying how much is free and to ask again.
 */
function roomForStatus(S: SpoolState, what: string): void {
  const free = S._hal.memory().free;
  if (free < STATUS_JSVARS && S._boardOf().upload.minFreeJsVars)
    throw new Error(
      what +
        ": " +
        free +
        " JsVars free, a status needs about " +
        STATUS_JSVARS +
        " (a flush or a clock sync is running); ask again in a few seconds",
    );
}

/** One sample of a schedule: recorded, or its error counted. */
function sample(S: SpoolState, s: Schedule): void {
  try {
    if (!s.fn) throw new Error("no " + s.source + " source on " + S._boardOf().id);
    const v = s.fn();
    if (v === undefined) return;
    S.record(s.pin, v);
    s.samples++;
  } catch (e) {
    s.errors++;
    s.lastError = errorText(e);
  }
}

/**
 * Creates the Spool of this boot: compacts Storage if it needs it, reads the stored
 * configuration (a stored one that no longer validates is reported and replaced by the
 * defaults in memory), adopts a plain `spool.json` if there is one, opens the store and builds
 * the clock, network and uplink. Nothing runs until {@link Spool.start}.
 * @throws Error when the store cannot be opened on this board.
 */
export function createSpool(o: SpoolOptions): Spool {
  // The closures made here keep this function's whole scope for good (Espruino keeps every
  // variable of it, not only those they use), so it has six: the options (dropped at the end),
  // the state, the store and keeper that spool.record reads, spool.record, and a board given as
  // an object. The rest is read from the options and the state while the boot needs it.
  //
  // What spool keeps between calls, shared with the code the setup and report parts bring for
  // the rare calls (spool-state.ts). The boot configuration's object (cfg, saved, slotBase)
  // becomes that state: one object fewer. Its `_cfg` is read as `S._cfg!` during the boot (a
  // local would keep it alive with this scope) and dropped at the end when it is stored.
  const S = (o.config ||
    o.parts.load("config").loadConfig({
      hal: o.hal,
      board: typeof o.board === "function" ? o.board() : o.board,
      defaults: o.defaults,
      parts: o.parts,
    })) as unknown as SpoolState;
  // The boot's cache key is not kept: spool.setup reads it from the cache (config-save.ts).
  delete (S as unknown as Partial<BootConfig>)._cfgKey;
  S._hal = o.hal;
  // A board given as an object is kept in this scope (`board`, undefined when it is a function).
  const board = typeof o.board === "function" ? undefined : o.board;
  S._boardOf = board ? () => board : (o.board as () => DeviceBoard);
  S._version = o.version || "?";
  S._sources = o.sources || {};
  S._parts = o.parts;
  const store = o.store || openStore({ hal: S._hal, board: S._boardOf(), config: S._cfg!, parts: S._parts });
  S._store = store;
  // The clock makes its SNTP client from the SNTP part for each sync round and drops it after
  // (src/device/clock/clock.ts); between rounds it keeps the timer to the next one.
  S._clock = new Clock({
    hal: S._hal,
    log: store,
    anchors: o.store && o.anchors,
    parts: S._parts,
    ntp: S._cfg!.ntp,
    policy: S._cfg!.clock.unanchored,
    maxEstimateWidthMs: S._cfg!.clock.maxEstimateWidthMs,
    validAtBoot: S._cfg!.clock.validAtBoot,
    // After a sync, or SNTP has failed long enough that readings waiting for it go out with the
    // HTTP Date's time. Kept in the state too (the uplink and apply parts call it): one closure,
    // not a closure calling a method.
    onChange: (S._clockChanged = () => {
      if (S._uplink) S._uplink.ctl(U_CLOCK);
      else if (S._running && S._uplinkKeep.n && S._uplinkKeep.n[K_WAITING]) S._liveUplink(false);
    }),
  });
  const keeper = S._clock.keeper;
  if (o.store && o.surveyed) {
    keeper._entries = o.surveyed._entries;
    keeper._overflowReadings = o.surveyed._overflowReadings;
  } else S._unsurveyed = 1;
  S._keeper = keeper;
  S._netConfig = { ssid: S._cfg!.wifi.ssid, password: S._cfg!.wifi.password };
  S._network = new Net({
    hal: S._hal,
    network: S._boardOf().network,
    config: S._netConfig,
    reconnect: S._boardOf().wifiReconnect,
  });
  /*
   * The uplink exists only while it has work (a flush, a backoff, a pause), unless the board's
   * profile keeps it (`upload.keepUplink`): its code and instance cost about 550 JsVars
   * (docs/memory.md). What it knows between instances is in `uplinkKeep`.
   */
  S._uplinkKeep = {};
  S._running = 0;
  S._schedules = [];
  Object.setPrototypeOf(S, SpoolCore);
  // Whether Storage's trash nears the usable limit (the firmware never compacts: storage-tidy.ts),
  // with the report part: at boot here, later at each write that replaces a file.
  try {
    S._parts.load("report").tidyStorage(S._hal, S._boardOf(), 0);
  } catch (e) {
    S._hal.log("spool: Storage not checked: " + errorText(e));
  }
  S._network.onChange((up) => {
    if (!S._running) return;
    if (up) S._clock.start();
    else S._clock.stop();
    if (S._uplink) S._uplink.ctl(U_LINK, up);
    else if (up) S._liveUplink(true);
  });
  // The options, with the firmware's defaults, are not needed after this.
  o = undefined as unknown as SpoolOptions;

  function record(pin: any, value: any): void {
    "ram";
    // The usual call - a pin number and a finite number on a double or integer datastream, the
    // clock synced - goes straight to the store's hot path in a few tokens; anything else takes
    // the checks that name what is wrong. The interpreter reads every token it skips, so the
    // other ways are calls.
    const ms = keeper.epochStamp();
    try {
      if (!(pin === (pin & 255) && value - value === 0 && +value === value && ms >= 0 && store.appendNumber(pin, ms, value)))
        S._recordChecked(pin, value, ms);
    } catch (e) {
      // The error path's code comes with the report part: not resident.
      throw S._parts.load("report").recordError(S, e);
    }
    // Readings coming in while a flush is scheduled (the uplink's pass, or the delay before
    // there is an uplink) need nothing more: the usual case, tested without a call.
    if (S._uplink ? !S._uplink.armed : S._flushTimer === undefined) S._appended();
  }
  S.record = record;
  record._s = S;
  configSchedules(S);
  // The configuration in force (spool-control.ts `adopt`, with the setup part): its hot value
  // kept, the object itself only while no file holds it (`_saved`'s slot, or the cache when it
  // holds exactly it: the defaults' case).
  S._flushIn = S._cfg!.blynk.token ? S._cfg!.flushDelayMs : -1;
  if (S._saved || S._cfgText() === JSON.stringify(S._cfg)) delete S._cfg;
  const spool = Object.create(SpoolCore) as SpoolState;
  spool.record = record;
  return spool;
}
