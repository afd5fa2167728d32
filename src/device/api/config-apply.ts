/**
 * `spool.setup`'s applying of a new configuration to the running parts it changes: loaded with
 * the apply part (src/device/parts/apply.ts) for that step only, once the configuration is
 * stored and in force.
 */
import type { SpoolConfig } from "./config.ts";
import { reconfigureStore } from "./store-open.ts";
import { configureClock } from "../clock/clock.ts";
import { restartUplink } from "./uplink-restart.ts";
import type { SpoolState } from "./spool-state.ts";
import { configSchedules } from "./config-schedules.ts";

function sameJson(a: any, b: any): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Applies the configuration in force, just adopted, to the running parts that it changes from
 * `before` (the JSON of the one it replaced).
 */
export function apply(S: SpoolState, before: string): void {
  const prev: SpoolConfig = JSON.parse(before);
  const cfg = S._config();
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
  if (!sameJson(prev.schedules, cfg.schedules)) configSchedules(S);
  if (prev.statusPin !== cfg.statusPin || prev.statusEveryMs !== cfg.statusEveryMs) S._armStatus();
}
