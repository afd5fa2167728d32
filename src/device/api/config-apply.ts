/**
 * `spool.setup`'s applying of a new configuration to the running parts it changes: loaded with
 * the apply part (src/device/parts/apply.ts) for that step only, once the configuration is
 * stored and in force.
 */
import { configureStore } from "../store/maintenance.ts";
import { datastreamTable } from "./store-open.ts";
import { configureClock } from "../clock/clock.ts";
import { restartUplink } from "./uplink-restart.ts";
import type { SpoolState } from "./spool-state.ts";
import { configSchedules } from "./config-schedules.ts";

/**
 * Applies the configuration in force, just adopted, to the running parts whose sections are
 * among `changed` (the sections whose JSON changed: config.ts `mergeText`). The store takes a
 * new policy or datastream table from the few functions of maintenance.ts this part carries, not
 * from the mount part (about 147 JsVars loaded); it is not mounted again, which would start a
 * new boot id under the clock's and the uplink's feet.
 */
export function apply(S: SpoolState, changed: string[]): void {
  // One object of the configuration for every step below: configSchedules and _armStatus read
  // S._config() too, which parses the file again (about 70 JsVars each) when none is held.
  const held = S._cfg;
  const cfg = S._config();
  S._cfg = cfg;
  // Array lookups: Espruino 2v29's String.indexOf also finds a needle that only starts at the
  // haystack's end (config.ts checkKeys).
  const was = (name: string): boolean => changed.indexOf(name) >= 0;
  if (was("buffer") || was("datastreams")) configureStore(S._store, { policy: cfg.buffer.policy, datastreams: datastreamTable(cfg) });
  if (was("wifi")) {
    S._netConfig.ssid = cfg.wifi.ssid;
    S._netConfig.password = cfg.wifi.password;
    if (S._running) {
      S._network.stop();
      S._network.start();
    }
  }
  if (was("ntp")) configureClock(S._clock, cfg.ntp);
  if (was("clock")) {
    S._keeper.configure({
      policy: cfg.clock.unanchored,
      maxEstimateWidthMs: cfg.clock.maxEstimateWidthMs,
      validAtBoot: cfg.clock.validAtBoot,
    });
    // Readings that waited may now resolve (or be dropped): in a task after setup, as the
    // uplink it may make (uplink-restart.ts).
    if (S._running) S._hal.setTimeout(S._clockChanged, 0);
  }
  if (was("blynk") || was("limits") || was("uplink") || was("flushDelayMs")) restartUplink(S);
  if (was("schedules")) configSchedules(S);
  if (was("statusPin") || was("statusEveryMs")) S._armStatus();
  S._cfg = held;
}
