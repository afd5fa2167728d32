/**
 * The save part (src/device/parts.ts): `spool.setup`'s storing of the configuration it merged
 * (the next slot, then the boot's cache of it), apart from the config part's reading of a boot's
 * configuration, which setup does not need.
 */
import { storeConfig } from "../api/config-save.ts";

const part = {
  storeConfig: storeConfig,
};

export type SavePart = typeof part;
export { part as default };
