/**
 * The configuration at boot, cached. Working out a boot's configuration (the defaults, the
 * stored slots merged over them and validated, a `spool.json` adopted) is the config part's
 * slowest work. So the config part writes what it worked out to {@link CONFIG_CACHE}, and later
 * boots read that file instead, as long as nothing it was worked out from has changed:
 * - the key: the config and check parts' code (their Storage file names carry a hash of it), the board
 *   profile and the firmware's defaults (a CRC of their JSON);
 * - each slot file's head (`{"seq":N,"crc":C`), which changes with every write of a slot (a
 *   writer that does not know the cache, e.g. an older firmware, still changes it);
 * - no `spool.json` waiting to be adopted;
 * - its CRC (a write cut short may still parse as JSON, with other values).
 *
 * Power loss: the config part erases the cache before it writes a slot (config-store.ts
 * `writeConfig`) and writes the cache only after; a cut in between leaves no cache, a cut while
 * writing it a file that does not parse. Either way the next boot works it out again.
 *
 * Both ways run in the config part (140 JsVars while loaded on the small build's accounting; the
 * check part it loads to work a configuration out 137), at the boot's first pass
 * (firmware/early-config.ts), while little else of the bundle is defined: none of it stays
 * resident (docs/memory.md).
 */
import type { Hal } from "../hal.ts";
import type { DeviceBoard } from "../board.ts";
import type { SpoolConfig } from "./config.ts";
import { CONFIG_FILE } from "./config.ts";
import type { ConfigSlot } from "./config-store.ts";
import { partTag, type Parts } from "../parts.ts";

/** The configuration this boot's config part worked out, with what it was worked out from. */
export const CONFIG_CACHE = "spool.cfgc";
/** The two Storage files the configuration alternates between (config-store.ts). */
export const CONFIG_SLOTS = ["spool.cfg0", "spool.cfg1"];
/** Where a slot file's head (its seq and CRC) ends and the configuration starts. */
export const SLOT_BODY = ',"config":';

/**
 * Spool keeps this object as its state (src/device/api/spool-state.ts): its names start with
 * `_` like the state's, which the build shortens (src/host/build/mangle.ts `STATE_PROPS`).
 */
export interface BootConfig {
  /** The configuration in force. */
  _cfg: SpoolConfig;
  /** Where `_cfg` is stored; undefined when it is not (defaults, or not stored). */
  _saved: ConfigSlot | undefined;
  /** The slot written last, whether or not it is in force: the base of the next write. */
  _slotBase: ConfigSlot | undefined;
  /** What the cached configuration of this boot is keyed by (see {@link cachedConfig}). */
  _cfgKey: string;
}

/**
 * The second line of {@link CONFIG_CACHE}: the first is {@link textCrc} of this line (its
 * newline included), the third the configuration's JSON, whose CRC is `c`. Two CRCs of texts as
 * they are rather than one of the whole: no byte copy and no string of the whole file is made.
 */
export interface CacheHead {
  /** {@link textCrc} of the configuration's JSON (the third line). */
  c: number;
  /** `_cfgKey`. */
  k: string;
  /** {@link slotHeads} when it was written. */
  h: string;
  /** `_slotBase` (absent: undefined). */
  b?: ConfigSlot;
  /** 1 when the configuration in force is the one stored at `b`. */
  s: number;
}

/**
 * The heads of both slot files (seq and CRC), which every write of a slot changes, and whether a
 * `spool.json` waits to be adopted (its head reads "").
 */
export function slotHeads(hal: Hal): string {
  let h = "";
  for (let i = 0; i < 3; i++) {
    const f = hal.storage.read(i < 2 ? CONFIG_SLOTS[i] : CONFIG_FILE);
    h += (f && f.substr(0, f.indexOf(SLOT_BODY))) + ";";
  }
  return h;
}

/**
 * The CRC-32 of a text's bytes: the check of a configuration slot (config-store.ts) and of the
 * cache's lines (a write cut short may still parse). Of the string itself: no byte copy.
 */
export function textCrc(hal: Hal, body: string): number {
  return hal.crc32(body);
}

/** The cached configuration of this boot, or undefined when the config part must work it out. */
export function readCachedConfig(hal: Hal, key: string): BootConfig | undefined {
  const text = hal.storage.read(CONFIG_CACHE);
  if (text === undefined) return undefined;
  const c = text.indexOf("\n");
  const nl = text.indexOf("\n", c + 1);
  try {
    if (+text.substr(0, c) !== textCrc(hal, text.substring(c + 1, nl + 1))) return undefined;
    const head: CacheHead = JSON.parse(text.substring(c + 1, nl));
    const body = text.substr(nl + 1);
    if (head.c !== textCrc(hal, body) || head.k !== key || head.h !== slotHeads(hal)) return undefined;
    return { _cfg: JSON.parse(body), _saved: head.s ? head.b : undefined, _slotBase: head.b, _cfgKey: key };
  } catch (_e) {
    // Cut while it was written: the config part works it out again.
    return undefined;
  }
}

/**
 * The cached configuration of this boot, read by the config part (src/device/parts/config.ts):
 * `_cfg` is undefined when the cache does not hold and the config part must work it out with
 * `_cfgKey`.
 */
export function cachedConfig(o: { hal: Hal; board: DeviceBoard; defaults?: object; parts: Parts }): BootConfig {
  // What a cached configuration was worked out from besides the slots: the config and check code, the
  // board, the defaults.
  const key = partTag(o.parts, "config") + "," + partTag(o.parts, "check") + "," + textCrc(o.hal, JSON.stringify([o.board, o.defaults]));
  return readCachedConfig(o.hal, key) || ({ _cfgKey: key } as BootConfig);
}
