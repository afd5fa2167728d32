/**
 * The apply part (src/device/parts.ts): what `spool.setup` does to the running parts once a new
 * configuration is stored and in force.
 */
import { apply } from "../api/config-apply.ts";

const part = {
  apply: apply,
};

export type ApplyPart = typeof part;
export default part;
