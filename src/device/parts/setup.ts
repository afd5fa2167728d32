/**
 * The setup part (src/device/parts.ts): everything about the configuration that is not needed
 * between calls to `spool.setup`/`spool.config`/`spool.sample` and the boot.
 */
import { maskConfig } from "../api/config.ts";
import { bootConfig } from "../api/config-boot.ts";
import { setup, sample, configSchedules } from "../api/spool-control.ts";

const part = { bootConfig: bootConfig, maskConfig: maskConfig, setup: setup, sample: sample, configSchedules: configSchedules };

export type SetupPart = typeof part;
export default part;
