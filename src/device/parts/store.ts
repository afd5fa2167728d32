/**
 * The store part (src/device/parts.ts): the store's rotation, anchors, erase and drop counters, loaded for
 * each of those calls and dropped after (src/device/store/maintenance.ts). Mount and
 * reconfiguration are the mount part, so that a rotation loads only what it runs.
 */
import { MAINTENANCE } from "../store/maintenance.ts";

export type StorePart = typeof MAINTENANCE;
export { MAINTENANCE as default };
