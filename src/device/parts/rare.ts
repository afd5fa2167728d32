/**
 * The rare part (src/device/parts.ts): what the uplink does on the paths a healthy flush never
 * takes (src/device/uplink/rare.ts): a reply other than 200, an isolation, the day's pause, the
 * time probe. Loaded for each such use and dropped after, so that the reply part, held at the
 * highest point of every flush step, holds none of it (docs/memory.md).
 */
import { rarePaths } from "../uplink/rare.ts";

const part = rarePaths();

export type RarePart = typeof part;
export { part as default };
