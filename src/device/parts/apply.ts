/**
 * The apply part (src/device/parts.ts): what `spool.setup` does to the running parts once a new
 * configuration is stored and in force, and the small calls `spool.config` and `spool.sample`
 * (here rather than in the setup part, which then holds only what setup needs while its other
 * steps' parts are loaded).
 */
import { apply } from "../api/config-apply.ts";
import { maskConfig } from "../api/config.ts";
import { sample } from "../api/spool-control.ts";

const part = {
  apply: apply,
  maskConfig: maskConfig,
  sample: sample,
};

export type ApplyPart = typeof part;
export { part as default };
