/**
 * `spool.setup` and `spool.sample` and the configured schedules: loaded with the setup part for
 * each call (src/device/parts/setup.ts), working on the resident state (spool-state.ts).
 */
import { MIN_SAMPLE_MS, MAX_SAMPLE_MS, describe } from "./config.ts";
import type { SpoolConfig } from "./config.ts";
import { writeConfig } from "./config-store.ts";
import { writeConfigCache } from "./config-boot.ts";
import { errorText } from "./error-text.ts";
import { reconfigureStore } from "./store-open.ts";
import { configureClock } from "../clock/clock.ts";
import { restartUplink } from "./uplink-restart.ts";
import type { SampleHandle, SpoolState } from "./spool-state.ts";

function sameJson(a: any, b: any): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Applies a new configuration to the running parts that it changes. */
function apply(S: SpoolState, prev: SpoolConfig, cfg: SpoolConfig): void {
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
    configureClock(S._clock, cfg.ntp);
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
  if (uplinkChanged || prev.flushDelayMs !== cfg.flushDelayMs) restartUplink(S);
  if (!sameJson(prev.schedules, cfg.schedules)) S._configSchedules(S);
  if (prev.statusPin !== cfg.statusPin || prev.statusEveryMs !== cfg.statusEveryMs) S._armStatus();
}

/**
 * `spool.setup`: validates, stores and applies (see the Spool interface). The check part exists
 * only while the input is merged, and only the merged configuration's text is held while it is
 * stored: its object is made again from that text once the slot and the cache are written.
 */
export function setup(S: SpoolState, input: object): void {
  const board = S._boardOf();
  const prev = S._config();
  const text = JSON.stringify(S._parts.load("check").mergeConfig(input, prev, board));
  // An unchanged configuration is not rewritten: every Storage rewrite leaves trash behind.
  if (!S._saved || text !== JSON.stringify(prev)) {
    // Held while the slots change (the one `_saved` names is erased once the new one is
    // written), and for good if this fails.
    S._cfg = prev;
    try {
      S._slotBase = writeConfig({ hal: S._hal, board: board, current: S._slotBase, text: text });
    } catch (e) {
      throw new Error("spool.setup: the configuration could not be stored (" + errorText(e) + "); the previous one stays in force");
    }
    S._saved = S._slotBase;
    // Written after the slot (which erased the old cache first): the next boot needs no setup part.
    writeConfigCache({ hal: S._hal, board: board, boot: { _saved: S._saved, _slotBase: S._slotBase, _cfgKey: S._cfgKey }, text: text });
  }
  const next: SpoolConfig = JSON.parse(text);
  S._adopt(next);
  apply(S, prev, next);
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
