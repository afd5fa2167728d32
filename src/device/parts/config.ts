/**
 * The config part (src/device/parts.ts): the stored configuration as a boot reads it. The boot's
 * first pass reads its cached configuration through this part (`loadConfig`), or works it out
 * (and caches it); `spool.setup` stores what it merged through the save part.
 */
import { bootConfig, loadConfig, writeConfigCache } from "../api/config-boot.ts";
import { cachedConfig } from "../api/config-load.ts";

const part = {
  loadConfig: loadConfig,
  cachedConfig: cachedConfig,
  bootConfig: bootConfig,
  writeConfigCache: writeConfigCache,
};

export type ConfigPart = typeof part;
export { part as default };
