/**
 * The clock part (src/device/parts.ts): what the clock knows of past boots (src/device/clock/
 * past-boots.ts), loaded by a flush for a stamp the resident clock cannot place (then held by
 * the uplink while it exists: src/device/api/spool-uplink.ts) and a status question. The survey
 * of the stored readings is the survey part's.
 */
import { classify, resolve, discards, unresolvedBoots, clockStatus } from "../clock/past-boots.ts";

const part = {
  classify: classify,
  resolve: resolve,
  discards: discards,
  unresolvedBoots: unresolvedBoots,
  clockStatus: clockStatus,
};

export type ClockPart = typeof part;
export { part as default };
