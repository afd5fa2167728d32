/**
 * The store part (src/device/parts.ts): the store's mount, rotation, anchors, erase and
 * reconfiguration, loaded for each of those calls and dropped after (src/device/store/maintenance.ts).
 */
import { MAINTENANCE } from "../store/maintenance.ts";

export type StorePart = typeof MAINTENANCE;
export default MAINTENANCE;
