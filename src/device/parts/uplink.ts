/**
 * The uplink part (src/device/parts.ts): the code that sends, loaded each time spool makes an
 * uplink (a flush, a status question) and dropped with it. At rest neither the code nor an
 * instance exists: about 170 JsVars of functions and 470 of closures (docs/memory.md).
 */
import { makeUplink } from "../api/spool-uplink.ts";

const part = { makeUplink: makeUplink };

export type UplinkPart = typeof part;
export default part;
