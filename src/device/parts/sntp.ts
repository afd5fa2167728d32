/**
 * The SNTP part (src/device/parts.ts): the client, its packet code and the keeper's SNTP
 * operations (clock.ts `clockRound`), loaded for each sync round and dropped when the round ends. Between rounds spool keeps the timer to the next one and the
 * client's `SntpKeep` (docs/memory.md).
 */
import { clockRound } from "../clock/clock.ts";

const part = { clockRound: clockRound };

export type SntpPart = typeof part;
export { part as default };
