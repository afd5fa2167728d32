/**
 * The setup part (src/device/parts.ts): everything about the configuration that is not needed
 * between calls to `spool.setup`/`spool.config` and the boot.
 */
import { mergeConfig, maskConfig } from "../api/config.ts";
import { writeConfig } from "../api/config-store.ts";
import { bootConfig } from "../api/config-boot.ts";

const part = { bootConfig: bootConfig, mergeConfig: mergeConfig, maskConfig: maskConfig, writeConfig: writeConfig };

export type SetupPart = typeof part;
export default part;
