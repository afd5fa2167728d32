/**
 * `spool.setup` and `spool.sample` and the configured schedules: loaded with the setup part for
 * each call (src/device/parts/setup.ts), working on the resident state (spool-state.ts).
 */
import { MIN_SAMPLE_MS, MAX_SAMPLE_MS, describe, mergeConfig } from "./config.ts";
import type { SpoolConfig } from "./config.ts";
import { writeConfig } from "./config-store.ts";
import { errorText } from "./error-text.ts";
import { reconfigureStore } from "./store-open.ts";
import type { SampleHandle, SpoolState } from "./spool-state.ts";

function sameJson(a: any, b: any): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Replaces the configured schedules by those of the configuration in force; user ones stay. */
export function configSchedules(S: SpoolState): void {
  const schedules = S._schedules;
  for (let i = schedules.length - 1; i >= 0; i--) {
    if (schedules[i].fromConfig) {
      S._disarm(schedules[i]);
      schedules.splice(i, 1);
    }
  }
  for (let i = 0; i < S._cfg.schedules.length; i++) {
    const c = S._cfg.schedules[i];
    S._addSchedule({
      pin: c.pin,
      everyMs: c.everyMs,
      source: c.source,
      fn: S._sourceFn(c.source),
      samples: 0,
      errors: 0,
      lastError: undefined,
      timer: undefined,
      fromConfig: true,
    });
  }
}

/** Applies a new configuration to the running parts that it changes. */
function apply(S: SpoolState, prev: SpoolConfig): void {
  const cfg = S._cfg;
  if (!sameJson(prev.buffer, cfg.buffer) || !sameJson(prev.datastreams, cfg.datastreams)) {
    reconfigureStore(S._store, cfg);
  }
  if (!sameJson(prev.wifi, cfg.wifi)) {
    S._netConfig.ssid = cfg.wifi.ssid;
    S._netConfig.password = cfg.wifi.password;
    if (S._running) {
      S._network.stop();
      S._network.start();
    }
  }
  if (!sameJson(prev.ntp, cfg.ntp)) {
    S._sntpStop();
    S._sntpKeep = {};
    if (S._running && S._network.isUp()) S._sntpStart();
  }
  if (!sameJson(prev.clock, cfg.clock)) {
    S._keeper.configure({
      policy: cfg.clock.unanchored,
      maxEstimateWidthMs: cfg.clock.maxEstimateWidthMs,
      validAtBoot: cfg.clock.validAtBoot,
    });
    // Readings that waited may now resolve (or be dropped).
    if (S._running) S._clockChanged();
  }
  const uplinkChanged = !sameJson(prev.blynk, cfg.blynk) || !sameJson(prev.limits, cfg.limits) || !sameJson(prev.uplink, cfg.uplink);
  if (uplinkChanged || prev.flushDelayMs !== cfg.flushDelayMs) S._restartUplink();
  if (!sameJson(prev.schedules, cfg.schedules)) configSchedules(S);
  if (prev.statusPin !== cfg.statusPin || prev.statusEveryMs !== cfg.statusEveryMs) S._armStatus();
}

/** `spool.setup`: validates, stores and applies (see the Spool interface). */
export function setup(S: SpoolState, input: object): void {
  const next = mergeConfig(input, S._cfg, S._board);
  const text = JSON.stringify(next);
  // An unchanged configuration is not rewritten: every Storage rewrite leaves trash behind.
  if (!S._saved || text !== JSON.stringify(S._cfg)) {
    try {
      S._slotBase = writeConfig({ hal: S._hal, board: S._board, current: S._slotBase, text: text });
    } catch (e) {
      throw new Error("spool.setup: the configuration could not be stored (" + errorText(e) + "); the previous one stays in force");
    }
    S._saved = S._slotBase;
  }
  const prev = S._cfg;
  S._cfg = next;
  apply(S, prev);
}

/** `spool.sample`: checks its arguments and adds a user schedule (see the Spool interface). */
export function sample(S: SpoolState, pin: any, fn: () => any, everyMs: number): SampleHandle {
  const p = S._pinOf(pin, "spool.sample");
  if (typeof fn !== "function")
    throw new Error("spool.sample: fn must be a function returning the value to record (got " + describe(fn) + ")");
  if (typeof everyMs !== "number" || Math.floor(everyMs) !== everyMs || everyMs < MIN_SAMPLE_MS || everyMs > MAX_SAMPLE_MS) {
    throw new Error(
      "spool.sample: everyMs must be an integer " + MIN_SAMPLE_MS + ".." + MAX_SAMPLE_MS + " (got " + describe(everyMs) + ")",
    );
  }
  return S._addSchedule({
    pin: p,
    everyMs: everyMs,
    source: "custom",
    fn: fn,
    samples: 0,
    errors: 0,
    lastError: undefined,
    timer: undefined,
    fromConfig: false,
  });
}
