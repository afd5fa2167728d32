/**
 * `spool.setup`'s storing of a configuration it merged (spool-control.ts): loaded with the config
 * part (src/device/parts/config.ts) for that step only.
 */
import { writeConfig } from "./config-store.ts";
import { writeConfigCache } from "./config-boot.ts";
import { errorText } from "./error-text.ts";
import { usableBytes } from "./storage-tidy.ts";
import type { SpoolState } from "./spool-state.ts";

/**
 * Stores `text`, the JSON of the configuration `spool.setup` merged: into the next slot, then the
 * boot's cache of it. `prev` is the JSON of the configuration in force.
 * @throws Error when it could not be stored; the previous configuration stays in force.
 */
export function storeConfig(S: SpoolState, text: string, prev: string): void {
  const usable = usableBytes(S._boardOf());
  try {
    S._slotBase = writeConfig({ hal: S._hal, usable: usable, current: S._slotBase, text: text });
  } catch (e) {
    // Held from now on: the slot `_saved` names may be gone (config-store.ts erases it last).
    S._cfg = JSON.parse(prev);
    throw new Error("spool.setup: the configuration could not be stored (" + errorText(e) + "); the previous one stays in force");
  }
  S._saved = S._slotBase;
  // Written after the slot (which erased the old cache first): the next boot works nothing out.
  writeConfigCache({ hal: S._hal, usable: usable, boot: { _saved: S._saved, _slotBase: S._slotBase, _cfgKey: S._cfgKey }, text: text });
}
