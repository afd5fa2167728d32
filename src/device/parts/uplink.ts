/**
 * The uplink part (src/device/parts.ts): the code that sends, loaded each time spool makes an
 * uplink (a flush, a status question) and dropped with it. At rest neither the code nor an
 * instance exists. What only rare replies, the isolation, the day's pause and the time probe
 * need is made when they run (src/device/uplink/rare.ts, docs/memory.md).
 */
import { makeUplink } from "../api/spool-uplink.ts";

const part = { makeUplink: makeUplink };

export type UplinkPart = typeof part;
export default part;
