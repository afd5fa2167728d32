/**
 * The config part (src/device/parts.ts): the stored configuration. The boot's first pass reads
 * its cached configuration through this part (`loadConfig`), or works it out (and caches it);
 * `spool.setup` stores what it merged through it.
 */
import { bootConfig, loadConfig, writeConfigCache } from "../api/config-boot.ts";
import { cachedConfig } from "../api/config-load.ts";
import { storeConfig } from "../api/config-save.ts";

const part = {
  loadConfig: loadConfig,
  cachedConfig: cachedConfig,
  bootConfig: bootConfig,
  writeConfigCache: writeConfigCache,
  storeConfig: storeConfig,
};

export type ConfigPart = typeof part;
export default part;
