/**
 * The uplink's control part (src/device/parts.ts): making an uplink, its entry point, the pass
 * and the reply. Loaded for each of them and dropped after (where the board keeps the uplink it
 * is kept with it); while a body streams only the stream part (src/device/parts/stream.ts) is
 * held. What only rare replies, the isolation, the day's pause and the time probe need is made
 * when they run (src/device/uplink/rare.ts, docs/memory.md).
 */
import { makeUplink } from "../api/spool-uplink.ts";
import { ctl } from "../uplink/control.ts";

const part = { makeUplink: makeUplink, ctl: ctl };

export type UplinkPart = typeof part;
export default part;
