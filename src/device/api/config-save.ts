/**
 * `spool.setup`'s storing of a configuration it merged (spool-control.ts): loaded with the save
 * part (src/device/parts/save.ts) for that step only.
 */
import { writeConfig } from "./config-store.ts";
import { writeConfigCache } from "./config-boot.ts";
import { errorText } from "./error-text.ts";
import { usableBytes } from "./storage-tidy.ts";
import type { SpoolState } from "./spool-state.ts";
import { CONFIG_CACHE } from "./config-load.ts";

/**
 * Stores `text`, the JSON of the configuration `spool.setup` merged: into the next slot, then the
 * boot's cache of it. `prev` is the JSON of the configuration in force.
 * @throws Error when it could not be stored; the previous configuration stays in force.
 */
export function storeConfig(S: SpoolState, text: string, prev: string): void {
  const usable = usableBytes(S._boardOf());
  // Read before writeConfig erases the cache: the state does not keep it (about 4 JsVars at rest).
  const key = cacheKey(S);
  try {
    S._slotBase = writeConfig({ hal: S._hal, usable: usable, current: S._slotBase, text: text });
  } catch (e) {
    // Held from now on: the slot `_saved` names may be gone (config-store.ts erases it last).
    S._cfg = JSON.parse(prev);
    throw new Error("spool.setup: the configuration could not be stored (" + errorText(e) + "); the previous one stays in force");
  }
  S._saved = S._slotBase;
  // Written after the slot (which erased the old cache first): the next boot works nothing out.
  // Without a cache to take the key from (Storage was too full for it), the next boot works the
  // configuration out and caches it.
  if (key !== undefined)
    writeConfigCache({ hal: S._hal, usable: usable, boot: { _saved: S._saved, _slotBase: S._slotBase, _cfgKey: key }, text: text });
}

/**
 * What the boot's cache (config-load.ts, its second line) is keyed by, or undefined without a
 * cache. A key from an older firmware only makes the next boot work the configuration out.
 * Read as the text between `{"k":"` and the next quote (the key has none: part file names and a
 * number), not parsed: a substring of a Storage file is a pointer into flash, where the parsed
 * head (with the slot heads) was about 30 JsVars.
 */
function cacheKey(S: SpoolState): string | undefined {
  const f = S._hal.storage.read(CONFIG_CACHE);
  if (f === undefined) return undefined;
  const at = f.indexOf("\n") + 1;
  if (!at || f.substr(at, 6) !== '{"k":"') return undefined;
  const end = f.indexOf('"', at + 6);
  return end < 0 ? undefined : f.substring(at + 6, end);
}
