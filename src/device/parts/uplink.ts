/**
 * The uplink's control part (src/device/parts.ts): its entry point's ops and the flush step (the
 * pass). Loaded for each call and step and dropped after (where the board keeps the uplink, kept
 * with it); the making (make part), the streaming (stream part) and the reply (reply part) are
 * parts of their own, so that each phase of a flush holds only its own code (docs/memory.md,
 * twelfth round). What only rare paths need is made when they run (src/device/uplink/rare.ts).
 */
import { ctl } from "../uplink/control.ts";

const part = { ctl: ctl };

export type UplinkPart = typeof part;
export { part as default };
