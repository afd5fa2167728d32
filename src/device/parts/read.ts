/**
 * The read part (src/device/parts.ts): the store's cursors and the clearing of pending bits
 * (src/device/store/read.ts), loaded for each scan, delivery mark and drop, and held by an open
 * cursor while a batch is streamed.
 */
import { READ } from "../store/read.ts";

export type ReadPart = typeof READ;
export { READ as default };
