/**
 * The setup part (src/device/parts.ts): everything about the configuration that is not needed
 * between calls to `spool.setup`/`spool.config`/`spool.sample` and the boot (which reads its
 * cached configuration through this part too).
 */
import { maskConfig } from "../api/config.ts";
import { bootConfig, writeConfigCache } from "../api/config-boot.ts";
import { cachedConfig } from "../api/config-load.ts";
import { setup, sample } from "../api/spool-control.ts";

const part = {
  cachedConfig: cachedConfig,
  bootConfig: bootConfig,
  writeConfigCache: writeConfigCache,
  maskConfig: maskConfig,
  setup: setup,
  sample: sample,
};

export type SetupPart = typeof part;
export default part;
