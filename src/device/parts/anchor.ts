/**
 * The anchor part (src/device/parts.ts): a clock anchor written at the head of the store, loaded
 * for each anchor an SNTP round or an HTTP Date gives and dropped after
 * (src/device/store/maintenance.ts). Apart from the store part, which it loads only when the
 * anchor needs a rotation or this boot's id first.
 */
import { ANCHOR } from "../store/maintenance.ts";

export type AnchorPart = typeof ANCHOR;
export { ANCHOR as default };
