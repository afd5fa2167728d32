/**
 * The mount part (src/device/parts.ts): the store's mount (at boot) and reconfiguration,
 * loaded for each of those calls and dropped after (src/device/store/maintenance.ts).
 */
import { BOOT } from "../store/maintenance.ts";

export type MountPart = typeof BOOT;
export default BOOT;
