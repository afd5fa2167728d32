/**
 * Spool's default firmware, and the example to copy: it samples one reading a minute on V1
 * (the chip's temperature, an analog pin, or a synthetic wave, per board), keeps every reading
 * in flash while offline, and sends them to Blynk when the network is there.
 *
 * Configure it from the REPL, once; it is stored and survives reboots:
 *   spool.setup({wifi: {ssid: "home", password: "..."}, blynk: {token: "...", region: "fra1"}})
 *   spool.report()
 *
 * It runs from Storage as boot code (`npm run flash`), so everything starts at load; if it is
 * ever kept with save() instead, E.on("init") starts it again after the restore.
 */
// First: its top-level code works out the configuration before the rest is defined.
import { EARLY, boardHal, boardProfile, firmwareDefaults, partFiles } from "./early-config.ts";
// Second: the store, opened before the rest is defined.
import "./early-store.ts";
import { createSpool } from "../src/device/api/spool.ts";
import type { Spool } from "../src/device/api/spool.ts";
import { storageParts } from "../src/device/parts.ts";
import { espruinoHal } from "../src/device/espruino-hal.ts";
import { createEspruinoHal } from "../src/device/hal.ts";
import { guardStorageWrites, usableBytes } from "../src/device/api/storage-tidy.ts";
import { configSchedules } from "../src/device/api/config-schedules.ts";
import { openStore } from "../src/device/api/store-open.ts";

const VERSION = __SPOOL_VERSION__;

/** The values each schedule `source` reads. */
function chipTemperature(): number {
  const t = E.getTemperature ? E.getTemperature() : NaN;
  // Some builds answer NaN where there is no sensor: skip the sample rather than record it.
  return t === t ? Math.round(t * 10) / 10 : (undefined as any);
}

function analogPin(): number {
  return Math.round(analogRead(boardProfile().sampler.pin) * 1000) / 1000;
}

function syntheticWave(): number {
  // A daily sine around 20 with a little noise, for boards with nothing to measure (linux).
  const day = (getTime() % 86400) / 86400;
  return Math.round((20 + 5 * Math.sin(day * 2 * Math.PI) + Math.random() - 0.5) * 100) / 100;
}

let spool: Spool | undefined;

function boot(): void {
  if (spool) return;
  // What the early pass made (firmware/early-config.ts), taken once: a later boot (after a
  // save()) makes its own.
  const hal = EARLY.hal || boardHal();
  const parts = EARLY.parts || storageParts(hal, partFiles);
  const config = EARLY.config;
  const store = EARLY.store;
  const anchors = EARLY.anchors;
  const surveyed = EARLY.surveyed;
  // Deleted, not set to undefined: each property left would cost a JsVar for good.
  delete EARLY.hal;
  delete EARLY.parts;
  delete EARLY.config;
  delete EARLY.store;
  delete EARLY.anchors;
  delete EARLY.surveyed;
  hal.log("Spool " + VERSION + " on " + boardProfile().id);
  try {
    spool = createSpool({
      hal: hal,
      board: boardProfile,
      version: VERSION,
      sources: { temperature: chipTemperature, analog: analogPin, synthetic: syntheticWave },
      defaults: firmwareDefaults(),
      parts: parts,
      config: config,
      store: store,
      anchors: anchors,
      surveyed: surveyed,
    });
    // With the report part (the boot's Storage check loaded it already): nothing of it is resident.
    try {
      parts.load("report").sweepParts(hal, partFiles);
    } catch (e) {
      hal.log("spool: old parts not swept: " + e);
    }
    global.spool = spool;
    spool.start();
  } catch (e) {
    hal.log("Spool did not start: " + e);
  }
  // What only a boot runs is forgotten, 4 JsVars a function at rest (docs/memory.md). Only where
  // this bundle is the boot code: Espruino runs `.bootcde` again before every E.on("init")
  // (jsiSoftInit, after save() as after a power-on), so the next boot has all of it anew. A
  // bundle kept with save() alone would find it gone at the restore.
  if (hal.storage.read(".bootcde") !== undefined)
    __SPOOL_FORGET__(
      createSpool,
      openStore,
      guardStorageWrites,
      usableBytes,
      configSchedules,
      boardHal,
      espruinoHal,
      createEspruinoHal,
      storageParts,
      firmwareDefaults,
    );
}

// save() stops everything first (kill), and E.on("init") starts it again after the restore.
E.on("kill", () => {
  if (spool) spool.stop();
  spool = undefined;
});
E.on("init", boot);
boot();
