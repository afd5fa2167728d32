/**
 * The `spool` object: what user firmware and the REPL touch. It wires the store, the clock,
 * the network and the uplink to one configuration, and keeps them in step with it.
 */
import type { Hal, TimerId } from "../hal.ts";
import type { BoardProfile } from "../board.ts";
import type { ReadingValue } from "../types.ts";
import type { Store } from "../store/store.ts";
import { TimeKeeper } from "../clock/timekeeper.ts";
import type { SntpClient, SntpKeep } from "../clock/sntp.ts";
import { createNetwork } from "../net/index.ts";
import type { Network } from "../net/index.ts";
import type { Uplink, UplinkKeep } from "../uplink/uplink.ts";
import { maskToken } from "../uplink/mask.ts";
import { MIN_SAMPLE_MS, MAX_SAMPLE_MS, datastreamOf, parsePin, describe } from "./config.ts";
import type { SpoolConfig } from "./config.ts";
import type { ConfigSlot } from "./config-store.ts";
import { tidyStorage } from "./storage-tidy.ts";
import { checkValue } from "./values.ts";
import { statusSummary } from "./status.ts";
import { errorText } from "./error-text.ts";
import type { Parts } from "../parts.ts";
import type { ScheduleStatus, SpoolStatus } from "./status.ts";
import { openStore, reconfigureStore } from "./store-open.ts";

const DAY_MS = 86400000;
/** How often a running Spool checks whether Storage needs compacting (the quota file leaves trash). */
const TIDY_EVERY_MS = 3600000;
/** How often a living uplink is checked for having nothing left to do (then it is dropped). */
const UPLINK_CHECK_MS = 500;

/** A running `spool.sample` (or configured schedule). */
export interface SampleHandle {
  /** Stops this schedule for good. */
  stop(): void;
}

export interface SpoolOptions {
  hal: Hal;
  board: BoardProfile;
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

interface Schedule {
  pin: number;
  everyMs: number;
  source: string;
  fn: () => any;
  samples: number;
  errors: number;
  lastError: string | undefined;
  timer: TimerId | undefined;
  /** Configured schedules are replaced by setup; user ones survive it. */
  fromConfig: boolean;
}

function sameJson(a: any, b: any): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Creates the Spool of this boot: compacts Storage if it needs it, reads the stored
 * configuration (a stored one that no longer validates is reported and replaced by the
 * defaults in memory), adopts a plain `spool.json` if there is one, opens the store and builds
 * the clock, network and uplink. Nothing runs until {@link Spool.start}.
 * @throws Error when the store cannot be opened on this board.
 */
export function createSpool(o: SpoolOptions): Spool {
  const hal = o.hal;
  const board = o.board;
  const version = o.version || "?";
  const sources = o.sources || {};
  // Declared before its first call (Espruino does not hoist). Run at boot, when nothing is
  // half-written, and hourly: reclaims trash before it nears the usable limit.
  function tidy(): void {
    try {
      tidyStorage(hal, board, 0);
    } catch (e) {
      hal.log("spool: Storage not compacted: " + errorText(e));
    }
  }
  tidy();
  const parts = o.parts;
  const booted = parts.setup().bootConfig({ hal: hal, board: board, defaults: o.defaults });
  let cfg = booted.cfg;
  /** Where the configuration in force is stored; undefined when it is not (defaults, or not stored). */
  let saved: ConfigSlot | undefined = booted.saved;
  /** The slot written last stays the base of the next write whether or not it is in force. */
  let slotBase: ConfigSlot | undefined = booted.slotBase;

  const store: Store = openStore({ hal: hal, board: board, config: cfg, parts: parts });
  const keeper = new TimeKeeper({
    hal: hal,
    log: store,
    policy: cfg.clock.unanchored,
    maxEstimateWidthMs: cfg.clock.maxEstimateWidthMs,
    validAtBoot: cfg.clock.validAtBoot,
    // SNTP has failed long enough: readings waiting for it go out with the HTTP Date's time.
    onCoarseAllowed: () => clockChanged(),
  });
  const netConfig = { ssid: cfg.wifi.ssid, password: cfg.wifi.password };
  const network: Network = createNetwork({ hal: hal, network: board.network, config: netConfig, reconnect: board.id === "esp8266" ? "sdk" : "manual" });
  /**
   * The SNTP client exists only during a sync round (it is a part, about 150 JsVars with its
   * instance): between rounds spool keeps the timer to the next round and what the client
   * remembers (`sntpKeep`). `sntpOn`: started (running, the network up), as the client's start().
   */
  let sntp: SntpClient | undefined;
  let sntpKeep: Partial<SntpKeep> = {};
  let sntpOn = false;
  let sntpTimer: TimerId | undefined;
  // Declared before their first calls: Espruino does not hoist function declarations.
  function sntpClient(): SntpClient {
    if (sntpTimer !== undefined) hal.clearTimeout(sntpTimer);
    sntpTimer = undefined;
    if (!sntp) {
      sntp = parts.sntp().createSntp({
        hal: hal,
        servers: cfg.ntp.servers,
        port: cfg.ntp.port,
        needsDrift: () => keeper.driftPpm() === undefined,
        onSync: (sync) => {
          keeper.acceptSntp(sync);
          clockChanged();
        },
        onError: (reason, server) => keeper.noteError(reason, server),
        keep: sntpKeep,
        started: sntpOn,
        onIdle: sntpIdle,
      });
    }
    return sntp;
  }
  function sntpIdle(nextMs: number | undefined): void {
    sntp = undefined;
    if (nextMs !== undefined && sntpOn) sntpTimer = hal.setTimeout(sntpSync, nextMs);
  }
  function sntpSync(cb?: (err: string | undefined) => void): boolean {
    return sntpClient().syncNow(cb);
  }
  function sntpStart(): void {
    if (sntpOn) return;
    // Made stopped, then started: start() begins the round, as the client always did.
    const c = sntpClient();
    sntpOn = true;
    c.start();
  }
  function sntpStop(): void {
    sntpOn = false;
    if (sntpTimer !== undefined) hal.clearTimeout(sntpTimer);
    sntpTimer = undefined;
    const c = sntp;
    sntp = undefined;
    if (c) c.stop();
  }
  /**
   * The uplink exists only while it has work (a flush, a backoff, a pause): its closures cost
   * about 470 JsVars (docs/memory.md). What it knows between instances is in `uplinkKeep`.
   */
  let uplink: Uplink | undefined;
  let uplinkKeep: Partial<UplinkKeep> = {};
  let uplinkCheck: TimerId | undefined;
  /** The flush delay after a reading while no uplink exists. */
  let flushTimer: TimerId | undefined;
  let running = false;
  const schedules: Schedule[] = [];
  let statusTimer: TimerId | undefined;
  let tidyTimer: TimerId | undefined;
  let surveyed = false;
  /** The uplink dropped readings the last survey counted as unresolved: survey again for the status. */
  let surveyStale = false;

  function survey(): void {
    keeper.survey((visit) => {
      store.scan({ from: 0, delivered: true }, (rec) => {
        visit(rec.reading.stamp, !rec.delivered);
      });
    });
    surveyed = true;
  }

  function makeUplink(): Uplink | undefined {
    if (!cfg.blynk.token) return undefined;
    return parts.uplink().createUplink({
      hal: hal,
      store: store,
      resolver: {
        resolve: (stamp) => keeper.resolve(stamp),
        discards: (stamp) => {
          const d = keeper.discards(stamp);
          if (d) surveyStale = true;
          return d;
        },
        applyHttpDate: (header) => {
          if (keeper.applyHttpDate(header)) clockChanged();
        },
        wantsTime: () => keeper.wantsTime(),
      },
      // Link changes come through spool's own listener: a listener the uplink left on the
      // network would keep a dropped instance alive.
      link: { isUp: () => network.isUp() },
      keep: uplinkKeep,
      sntp: { syncNow: sntpSync },
      config: {
        token: cfg.blynk.token,
        host: cfg.blynk.host,
        scheme: cfg.blynk.scheme,
        port: cfg.blynk.port,
        maxPointsPerRequest: Math.min(cfg.limits.batchSize, board.upload.maxPointsPerRequest),
        pieceBytes: board.upload.pieceBytes,
        flushDelayMs: cfg.flushDelayMs,
        maxAgeMs: cfg.limits.maxAgeDays * DAY_MS,
        dailyQuota: cfg.limits.dailyQuota,
        requestsPerDay: cfg.limits.requestsPerDay,
        badPinPolicy: cfg.uplink.badPin,
      },
    });
  }

  /**
   * The uplink, made when there is none (started, or with `fresh` false resumed where the last
   * one left off on a link that stayed up); undefined without a token.
   */
  function liveUplink(fresh: boolean): Uplink | undefined {
    if (!uplink) {
      uplink = makeUplink();
      if (!uplink) return undefined;
      if (running && fresh) uplink.start();
      else if (running) uplink.resume();
    }
    if (uplinkCheck === undefined) uplinkCheck = hal.setTimeout(dropSettledUplink, UPLINK_CHECK_MS);
    return uplink;
  }

  function dropSettledUplink(): void {
    uplinkCheck = undefined;
    if (uplink && uplink.isSettled()) uplink = undefined;
    else if (uplink) uplinkCheck = hal.setTimeout(dropSettledUplink, UPLINK_CHECK_MS);
  }

  function clockChanged(): void {
    if (uplink) uplink.notifyClockChanged();
    else if (running && uplinkKeep.waiting) liveUplink(false);
  }

  /** A reading was stored: sent within the flush delay while online. */
  function appended(): void {
    if (!running) return;
    if (uplink) uplink.notifyAppended();
    else if (flushTimer === undefined && cfg.blynk.token && !uplinkKeep.stoppedToken && network.isUp()) {
      flushTimer = hal.setTimeout(() => {
        flushTimer = undefined;
        liveUplink(false);
      }, cfg.flushDelayMs);
    }
  }

  network.onChange((up) => {
    if (!running) return;
    if (up) sntpStart();
    else sntpStop();
    if (uplink) uplink.linkChanged(up);
    else if (up) liveUplink(true);
  });

  function tick(s: Schedule): void {
    let v: any;
    try {
      v = s.fn();
      if (v === undefined) return;
      record(s.pin, v);
      s.samples++;
    } catch (e) {
      s.errors++;
      s.lastError = errorText(e);
    }
  }

  function arm(s: Schedule): void {
    if (s.timer !== undefined) return;
    s.timer = hal.setInterval(() => tick(s), s.everyMs);
  }

  function disarm(s: Schedule): void {
    if (s.timer !== undefined) hal.clearInterval(s.timer);
    s.timer = undefined;
  }

  function addSchedule(s: Schedule): SampleHandle {
    schedules.push(s);
    if (running) arm(s);
    return {
      stop: () => {
        disarm(s);
        const i = schedules.indexOf(s);
        if (i >= 0) schedules.splice(i, 1);
      },
    };
  }

  function sourceFn(name: string): () => any {
    const f = sources[name];
    if (f) return f;
    return () => {
      throw new Error("no " + name + " source on " + board.id);
    };
  }

  function configSchedules(): void {
    for (let i = schedules.length - 1; i >= 0; i--) {
      if (schedules[i].fromConfig) {
        disarm(schedules[i]);
        schedules.splice(i, 1);
      }
    }
    for (let i = 0; i < cfg.schedules.length; i++) {
      const c = cfg.schedules[i];
      addSchedule({ pin: c.pin, everyMs: c.everyMs, source: c.source, fn: sourceFn(c.source), samples: 0, errors: 0, lastError: undefined, timer: undefined, fromConfig: true });
    }
  }

  function publishStatus(): void {
    if (cfg.statusPin === null) return;
    try {
      record(cfg.statusPin, statusSummary(status()));
    } catch (e) {
      hal.log("spool: status not published: " + errorText(e));
    }
  }

  function armStatus(): void {
    if (statusTimer !== undefined) hal.clearInterval(statusTimer);
    statusTimer = undefined;
    if (running && cfg.statusPin !== null) statusTimer = hal.setInterval(publishStatus, cfg.statusEveryMs);
  }

  function start(): void {
    if (running) return;
    running = true;
    tidyTimer = hal.setInterval(tidy, TIDY_EVERY_MS);
    if (!surveyed) survey();
    network.start();
    if (network.isUp()) sntpStart();
    const u = liveUplink(true);
    if (u) u.start();
    for (let i = 0; i < schedules.length; i++) arm(schedules[i]);
    armStatus();
  }

  function stop(): void {
    if (!running) return;
    running = false;
    for (let i = 0; i < schedules.length; i++) disarm(schedules[i]);
    if (tidyTimer !== undefined) hal.clearInterval(tidyTimer);
    tidyTimer = undefined;
    armStatus();
    if (uplink) uplink.stop();
    // Stopped, it has nothing left to do: dropped now, its state kept in uplinkKeep.
    uplink = undefined;
    if (uplinkCheck !== undefined) hal.clearTimeout(uplinkCheck);
    uplinkCheck = undefined;
    if (flushTimer !== undefined) hal.clearTimeout(flushTimer);
    flushTimer = undefined;
    sntpStop();
    network.stop();
  }

  function restartUplink(): void {
    if (uplink) uplink.stop();
    uplink = undefined;
    uplinkKeep = {};
    if (running) liveUplink(true);
  }

  /** Applies a new configuration to the running parts that it changes. */
  function apply(prev: SpoolConfig): void {
    if (!sameJson(prev.buffer, cfg.buffer) || !sameJson(prev.datastreams, cfg.datastreams)) {
      reconfigureStore(store, cfg);
    }
    if (!sameJson(prev.wifi, cfg.wifi)) {
      netConfig.ssid = cfg.wifi.ssid;
      netConfig.password = cfg.wifi.password;
      if (running) {
        network.stop();
        network.start();
      }
    }
    if (!sameJson(prev.ntp, cfg.ntp)) {
      sntpStop();
      sntpKeep = {};
      if (running && network.isUp()) sntpStart();
    }
    if (!sameJson(prev.clock, cfg.clock)) {
      keeper.configure({ policy: cfg.clock.unanchored, maxEstimateWidthMs: cfg.clock.maxEstimateWidthMs, validAtBoot: cfg.clock.validAtBoot });
      // Readings that waited may now resolve (or be dropped).
      if (running) clockChanged();
    }
    const uplinkChanged = !sameJson(prev.blynk, cfg.blynk) || !sameJson(prev.limits, cfg.limits) || !sameJson(prev.uplink, cfg.uplink);
    if (uplinkChanged || prev.flushDelayMs !== cfg.flushDelayMs) restartUplink();
    if (!sameJson(prev.schedules, cfg.schedules)) configSchedules();
    if (prev.statusPin !== cfg.statusPin || prev.statusEveryMs !== cfg.statusEveryMs) armStatus();
  }

  function setup(input: object): void {
    const part = parts.setup();
    const next = part.mergeConfig(input, cfg, board);
    const text = JSON.stringify(next);
    // An unchanged configuration is not rewritten: every Storage rewrite leaves trash behind.
    if (!saved || text !== JSON.stringify(cfg)) {
      try {
        slotBase = part.writeConfig({ hal: hal, board: board, current: slotBase, text: text });
      } catch (e) {
        throw new Error("spool.setup: the configuration could not be stored (" + errorText(e) + "); the previous one stays in force");
      }
      saved = slotBase;
    }
    const prev = cfg;
    cfg = next;
    apply(prev);
  }

  function pinOf(pin: any, what: string): number {
    const p = parsePin(pin);
    if (p < 0) throw new Error(what + ': pin must be a virtual pin 0..255 or "V0".."V255" (got ' + describe(pin) + ")");
    if (!datastreamOf(cfg, p)) {
      const known: string[] = [];
      for (let i = 0; i < cfg.datastreams.length; i++) known.push("V" + cfg.datastreams[i].pin + " " + cfg.datastreams[i].type);
      throw new Error(
        what + ": V" + p + " is not a datastream (configured: " + (known.length ? known.join(", ") : "none") +
          "); add it with spool.setup({datastreams: [...]}), which replaces the list",
      );
    }
    return p;
  }

  function record(pin: any, value: any): void {
    "ram";
    // The usual call - a pin number and a finite number on a double or integer datastream, the
    // clock synced - goes straight to the store's hot path in a few tokens; anything else takes
    // the checks that name what is wrong.
    const stamp = keeper.stamp();
    const ms = (stamp as { epochMs?: number }).epochMs;
    try {
      if (!(pin === (pin & 255) && value - value === 0 && +value === value && ms !== undefined && store.appendNumber(pin, ms, value))) {
        const p = pinOf(pin, "spool.record");
        store.append({ pin: p, stamp: stamp, value: checkValue(p, datastreamOf(cfg, p)!.type, value) });
      }
    } catch (e) {
      if (e && (e as Error).name === "StoreFullError") {
        throw new Error("spool.record: the buffer is full and its policy is \"refuse\": reading not stored (" + store.stats().pending + " undelivered readings kept)");
      }
      throw e;
    }
    appended();
  }

  function sample(pin: any, fn: () => any, everyMs: number): SampleHandle {
    const p = pinOf(pin, "spool.sample");
    if (typeof fn !== "function") throw new Error("spool.sample: fn must be a function returning the value to record (got " + describe(fn) + ")");
    if (typeof everyMs !== "number" || Math.floor(everyMs) !== everyMs || everyMs < MIN_SAMPLE_MS || everyMs > MAX_SAMPLE_MS) {
      throw new Error("spool.sample: everyMs must be an integer " + MIN_SAMPLE_MS + ".." + MAX_SAMPLE_MS + " (got " + describe(everyMs) + ")");
    }
    return addSchedule({ pin: p, everyMs: everyMs, source: "custom", fn: fn, samples: 0, errors: 0, lastError: undefined, timer: undefined, fromConfig: false });
  }

  function flush(): void {
    if (!running) throw new Error("spool.flush: Spool is stopped; call spool.start() first");
    const u = liveUplink(false);
    if (!u) throw new Error('spool.flush: no Blynk token is set; call spool.setup({blynk: {token: "..."}})');
    u.flushNow();
  }

  /** Seconds since the oldest undelivered reading was taken, or null. */
  function oldestAgeS(): number | null {
    let age: number | null = null;
    store.scan({ from: store.oldestPos() }, (rec) => {
      const st: any = rec.reading.stamp;
      if (st.bootId === store.bootId) age = (hal.uptime() - st.uptimeMs) / 1000;
      else {
        const t = keeper.resolve(st);
        const now = keeper.now();
        if (t !== undefined && now !== undefined) age = (now - t) / 1000;
      }
      return false;
    });
    return age;
  }

  function status(): SpoolStatus {
    if (surveyStale) {
      surveyStale = false;
      survey();
    }
    const s = store.stats();
    const c = keeper.status();
    const drops: { [reason: string]: number } = {};
    const reasons = Object.keys(s.dropped);
    for (let i = 0; i < reasons.length; i++) if (s.dropped[reasons[i]]) drops[reasons[i]] = s.dropped[reasons[i]];
    // Without a living uplink, one made for the question (from what the last one kept) answers.
    const live = uplink || makeUplink();
    const u = live ? live.status() : undefined;
    const up = hal.uptime();
    const sampling: ScheduleStatus[] = [];
    for (let i = 0; i < schedules.length; i++) {
      const x = schedules[i];
      const e: ScheduleStatus = { pin: x.pin, everyMs: x.everyMs, source: x.source, samples: x.samples, errors: x.errors };
      if (x.lastError) e.lastError = x.lastError;
      sampling.push(e);
    }
    const n = network.status();
    const now = keeper.now();
    return {
      board: board.id,
      version: version,
      running: running,
      queue: {
        pending: s.pending,
        oldestAgeS: s.pending ? oldestAgeS() : null,
        freeReadings: s.freeReadings,
        freePercent: Math.round(s.freeFraction * 1000) / 10,
        bytesUsed: s.bytesUsed,
        bytesTotal: s.bytesTotal,
        policy: cfg.buffer.policy,
      },
      drops: drops,
      flash: {
        sectors: s.sectors,
        quarantined: s.quarantinedSectors,
        eraseCountMin: s.eraseCountMin,
        eraseCountMax: s.eraseCountMax,
        eraseCycles: board.flash.eraseCycles,
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
        unresolvedWhy: unresolvedWhy(),
      },
      uplink: {
        state: u ? u.state : "no token",
        server: (u ? u.scheme + "://" + u.host + ":" + u.port : cfg.blynk.scheme + "://" + cfg.blynk.host + ":" + cfg.blynk.port),
        token: cfg.blynk.token ? maskToken(cfg.blynk.token) : "",
        lastReply: u && u.lastReply ? u.lastReply.status + " " + u.lastReply.message : null,
        backoffS: u ? Math.round(u.backoffMs / 100) / 10 : 0,
        nextAttemptInS: u && u.nextAttemptAt !== undefined ? Math.max(0, Math.round((u.nextAttemptAt - up) / 100) / 10) : null,
        quotaUsed: u ? u.quotaUsed : 0,
        quotaDaily: u ? u.quotaDaily : cfg.limits.dailyQuota,
        delivered: u ? u.pointsDelivered : 0,
        requestsToday: u ? u.requestsToday : 0,
        requestsPerDay: cfg.limits.requestsPerDay,
        batchLimit: u ? u.batchLimit : 0,
        hint: u && u.hint ? u.hint : null,
        warning: u && u.warning ? u.warning : n.error || null,
      },
      network: { kind: board.network, ssid: cfg.wifi.ssid, up: network.isUp() },
      sampling: sampling,
      memory: memory(),
    };
  }

  /** Why the readings counted as unresolved cannot be given a time (the first such boot's reason). */
  function unresolvedWhy(): string | null {
    const boots = keeper.unresolvedBoots();
    return boots.length ? "boot " + boots[0].bootId + ": " + boots[0].reason : null;
  }

  function memory(): { free: number; usage: number; total: number } {
    const m = hal.memory();
    return { free: m.free, usage: m.usage, total: m.total };
  }

  function report(): void {
    const lines = parts.report().formatStatus(status());
    for (let i = 0; i < lines.length; i++) hal.log(lines[i]);
  }

  function erase(confirm?: string): number {
    parts.report().confirmErase(confirm, store.stats().pending);
    const n = store.eraseAll();
    // The uplink's read positions pointed into the erased log.
    restartUplink();
    survey();
    return n;
  }

  configSchedules();

  return {
    setup: setup,
    config: () => parts.setup().maskConfig(cfg),
    record: record,
    sample: sample,
    flush: flush,
    status: status,
    report: report,
    start: start,
    stop: stop,
    erase: erase,
  };
}
