/**
 * The configuration a boot starts with: the stored one (the newer valid slot) merged over the
 * defaults, then a plain `spool.json` adopted if there is one. Runs from the config part when
 * the cached configuration (config-load.ts) does not hold for this boot.
 */
import type { Hal } from "../hal.ts";
import type { Parts } from "../parts.ts";
import type { DeviceBoard } from "../board.ts";
import { defaultConfig } from "./config.ts";
import type { SpoolConfig } from "./config.ts";
import { CONFIG_SLOTS, IMPORT_FILE, readNewest, writeConfig } from "./config-store.ts";
import type { ConfigSlot } from "./config-store.ts";
import { CONFIG_CACHE, cachedConfig, slotHeads, textCrc } from "./config-load.ts";
import type { BootConfig, CacheHead } from "./config-load.ts";
import { footprint, makeRoom, usableBytes } from "./storage-tidy.ts";
import { errorText } from "./error-text.ts";

export type { BootConfig };

function reason(e: any): string {
  return errorText(e).replace("spool.setup: ", "");
}

/**
 * Reads the configuration of this boot. A stored one that no longer validates is reported and
 * replaced by the defaults in memory (it stays stored); a `spool.json` is validated, stored, and
 * only then erased, so a power cut before that adopts it again at the next boot.
 * @throws Error when `defaults` itself does not validate (a firmware bug).
 */
export function bootConfig(o: { hal: Hal; board: DeviceBoard; defaults?: object; key: string; parts: Parts }): BootConfig {
  const hal = o.hal;
  const board = o.board;
  const check = o.parts.load("check");
  // config.ts mergeConfig, with the check part's mergeText: the part carries only that.
  const mergeConfig = (input: any, current: SpoolConfig, b: DeviceBoard): SpoolConfig =>
    JSON.parse(check.mergeText(input, JSON.stringify(current), () => b));
  let base = defaultConfig(board);
  if (o.defaults) base = mergeConfig(o.defaults, base, board);
  let cfg = base;
  const newest = readNewest(hal);
  let saved: ConfigSlot | undefined;
  if (newest) {
    try {
      cfg = mergeConfig(JSON.parse(newest.text), base, board);
      if (JSON.stringify(cfg) === newest.text) saved = newest;
    } catch (e) {
      hal.log("spool: " + CONFIG_SLOTS[newest.slot] + " ignored, defaults in use: " + reason(e));
    }
  }
  let slotBase: ConfigSlot | undefined = newest ? { slot: newest.slot, seq: newest.seq } : undefined;
  if (saved) saved = slotBase;
  const imported = hal.storage.read(IMPORT_FILE);
  if (imported !== undefined) {
    let next: SpoolConfig | undefined;
    try {
      next = mergeConfig(JSON.parse(imported), base, board);
    } catch (e) {
      hal.log("spool: " + IMPORT_FILE + " ignored, " + (saved ? "the stored configuration stays" : "defaults") + " in use: " + reason(e));
    }
    if (next) {
      cfg = next;
      try {
        slotBase = writeConfig({ hal: hal, usable: usableBytes(board), current: slotBase, text: JSON.stringify(next) });
        saved = slotBase;
        // Erased only once stored: a cut before this adopts it again at the next boot.
        hal.storage.erase(IMPORT_FILE);
      } catch (e) {
        saved = undefined;
        hal.log("spool: " + IMPORT_FILE + " in use but not stored yet: " + errorText(e));
      }
    }
  }
  return { _cfg: cfg, _saved: saved, _slotBase: slotBase, _cfgKey: o.key };
}

/**
 * Caches the configuration in force for the next boots (config-load.ts), after a boot worked it
 * out or `spool.setup` stored it. A cache that cannot be written is only logged: the next boot
 * works the configuration out again. `text`: the JSON of the configuration in force; `usable`:
 * the Storage bytes Spool may fill (storage-tidy.ts `usableBytes`).
 */
export function writeConfigCache(o: { hal: Hal; usable: number; boot: Omit<BootConfig, "_cfg">; text: string }): void {
  const hal = o.hal;
  const b = o.boot;
  const cached: CacheHead = { k: b._cfgKey, h: slotHeads(hal), b: b._slotBase, s: b._saved ? 1 : 0, c: textCrc(hal, o.text) };
  const head = JSON.stringify(cached) + "\n";
  // The CRCs of the head and of the configuration each of its own text, and the file written in
  // two pieces: no string of the whole file and no byte copy is made (each copy of the text is
  // about 50 JsVars on the small build's accounting). A cut between the pieces leaves a file
  // whose configuration's CRC does not hold.
  const first = textCrc(hal, head) + "\n" + head;
  const size = first.length + o.text.length;
  try {
    // The firmware may run this before the boot guards Storage writes (storage-tidy.ts).
    makeRoom(hal.storage, o.usable, footprint(size));
    hal.storage.write(CONFIG_CACHE, first, 0, size);
    hal.storage.write(CONFIG_CACHE, o.text, first.length);
  } catch (e) {
    hal.storage.erase(CONFIG_CACHE);
    hal.log("spool: " + CONFIG_CACHE + " not written: " + errorText(e));
  }
}

/**
 * The configuration of this boot: the cached one when it holds, otherwise worked out
 * ({@link bootConfig}) and cached for the next boots. Run from the config part
 * (`parts.load("config").loadConfig(...)`): the boot's first pass (firmware/early-config.ts)
 * runs while little else is defined, where it fits even on a 1,600-JsVar board, and none of
 * its code stays resident.
 * @throws Error when the check part is missing, or `defaults` does not validate.
 */
export function loadConfig(o: { hal: Hal; board: DeviceBoard; defaults?: object; parts: Parts }): BootConfig {
  let b = cachedConfig(o);
  if (!b._cfg) {
    b = bootConfig({ hal: o.hal, board: o.board, defaults: o.defaults, key: b._cfgKey, parts: o.parts });
    writeConfigCache({ hal: o.hal, usable: usableBytes(o.board), boot: b, text: JSON.stringify(b._cfg) });
  }
  return b;
}
