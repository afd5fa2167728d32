/**
 * The mount part (src/device/parts.ts): what the boot runs once - the store's mount with the
 * datastream table and the Storage file that keeps Storage non-empty - and the store's
 * reconfiguration; loaded for each of those calls and dropped after
 * (src/device/store/maintenance.ts). Nothing here may be left behind by a call: a function of
 * the part kept by resident code would keep the whole part (docs/memory.md).
 */
import { BOOT } from "../store/maintenance.ts";
import type { Hal } from "../hal.ts";
import type { DeviceBoard } from "../board.ts";
import type { Store } from "../store/store.ts";
import type { SpoolConfig } from "../api/config.ts";
import { datastreamTable, keepStorageNonEmpty } from "../api/store-open.ts";

/**
 * What the boot's `openStore` (store-open.ts) needs of this part, with one load: keeps Storage
 * non-empty (before the region is first written), applies the datastream table and mounts.
 * @throws Error on a bad datastream table, or when the region was formatted with another sector size.
 */
function mountStore(o: { hal: Hal; board: DeviceBoard; config: SpoolConfig; store: Store }): void {
  keepStorageNonEmpty(o.hal, o.board);
  BOOT.configure(o.store, { datastreams: datastreamTable(o.config) });
  BOOT.mount(o.store);
}

const part = { configure: BOOT.configure, mount: BOOT.mount, mountStore: mountStore };

export type MountPart = typeof part;
export { part as default };
