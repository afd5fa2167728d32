/**
 * The boot's configuration, worked out before the rest of the bundle is defined: the firmware
 * imports this module first, so its top-level code runs while only the hardware boundary and
 * the configuration reader exist. On a 1,600-JsVar board (ESP8266) the setup part (about 550
 * JsVars while it runs) fits only then: after the first boot, an upgrade or a `spool.json`, it
 * caches what it worked out (src/device/api/config-load.ts) and `createSpool` reads that cache.
 */
import { espruinoHal } from "../src/device/espruino-hal.ts";
import { storageParts } from "../src/device/parts.ts";
import { loadConfig, type BootConfig } from "../src/device/api/config-load.ts";

/** The profile compiled in (boards/<id>.json). */
export const BOARD = __BOARD__;
/** Storage files of the rarely run code (src/device/parts.ts), put there by `npm run flash`. */
export const PARTS = __SPOOL_PARTS__;

/**
 * The firmware's configuration until the first `setup` (a partial config over the library
 * defaults). A function: a module-level object would stay in memory for good.
 */
export function firmwareDefaults(): object {
  return {
    datastreams: [{ pin: 1, type: "double", precision: "float32" }],
    schedules: [{ pin: 1, everyMs: 60000 }],
  };
}

/**
 * What this pass worked out, for `createSpool` to take (and clear: a boot run again later, after
 * a save(), reads Storage afresh), so that the usual boot reads and checks the cache once.
 */
export const EARLY: { config?: BootConfig } = {};

// In a function run once, so that nothing of it (the hal, the parts) stays global.
(() => {
  try {
    const hal = espruinoHal({ hasWifi: BOARD.network === "wifi" });
    EARLY.config = loadConfig({ hal: hal, board: BOARD, defaults: firmwareDefaults(), parts: storageParts(hal, PARTS) });
  } catch (_e) {
    // The boot tries again and says why it could not start.
  }
})();
