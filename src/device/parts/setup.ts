/**
 * The setup part (src/device/parts.ts): `spool.setup`, `spool.config` and `spool.sample`. Small:
 * `spool.setup` loads the check, config and apply parts one after the other for its steps
 * (src/device/api/spool-control.ts), so that no two of them exist at once.
 */
import { maskConfig } from "../api/config.ts";
import { setup, sample } from "../api/spool-control.ts";

const part = {
  maskConfig: maskConfig,
  setup: setup,
  sample: sample,
};

export type SetupPart = typeof part;
export default part;
