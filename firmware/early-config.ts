/**
 * The boot's configuration, worked out before the rest of the bundle is defined: the firmware
 * imports this module first, so its top-level code runs while only the hardware boundary and
 * the configuration reader exist. On a 1,600-JsVar board (ESP8266) the setup part (about 470
 * JsVars while it runs, docs/memory.md) fits only then: after the first boot, an upgrade or a `spool.json`, it
 * caches what it worked out (src/device/api/config-load.ts), and the mount part reads that
 * cache. The store is opened next, as early as its classes allow (early-store.ts).
 */
import { espruinoHal } from "../src/device/espruino-hal.ts";
import { storageParts, type Parts } from "../src/device/parts.ts";
import type { BootConfig } from "../src/device/api/config-load.ts";
import type { Hal } from "../src/device/hal.ts";
import type { DeviceBoard } from "../src/device/board.ts";
import type { Store } from "../src/device/store/store.ts";
import type { Anchor } from "../src/device/types.ts";
import type { Surveyed } from "../src/device/clock/survey.ts";

/**
 * The profile compiled in (boards/<id>.json), made afresh by each call from the text in the
 * function's code (which stays in flash): an object kept at module level would cost about 40
 * JsVars for as long as the firmware runs, and it is read only at the boot and by rare calls.
 */
export function boardProfile(): DeviceBoard {
  return JSON.parse(__BOARD_JSON__);
}

/**
 * Storage files of the rarely run code (src/device/parts.ts), put there by `npm run flash`: in
 * the function's code for the same reason.
 */
export function partFiles(): string {
  return __SPOOL_PART_FILES__;
}

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
 * What the early passes made (here and in early-store.ts), for the boot to take (and clear: a
 * boot run again later, after a save(), reads Storage afresh and opens the store itself): the
 * hardware boundary, the parts, the configuration, the store, its anchors and the survey of its readings, each only once it was made.
 * The store is mounted with this hal and these parts, so the boot goes on with them.
 */
export const EARLY: { hal?: Hal; parts?: Parts; config?: BootConfig; store?: Store; anchors?: Anchor[]; surveyed?: Surveyed } = {};

/** The hardware boundary of this board. */
export function boardHal(): Hal {
  const board = boardProfile();
  return espruinoHal({ hasWifi: board.network === "wifi", defragForTls: !!board.tlsBuffers && board.tlsBuffers.in === "jsvars" });
}

// In a function run once, so that nothing of it stays global but what EARLY holds.
(() => {
  try {
    const hal = boardHal();
    const parts = storageParts(hal, partFiles);
    EARLY.hal = hal;
    EARLY.parts = parts;
    EARLY.config = parts.load("config").loadConfig({ hal: hal, board: boardProfile(), defaults: firmwareDefaults(), parts: parts });
  } catch (_e) {
    // The boot tries again what is missing and says why it could not start.
  }
})();
