/**
 * The make part (src/device/parts.ts): an uplink made from spool's state, its configuration
 * checked (src/device/api/spool-uplink.ts, uplink.ts `createUplink`): loaded once per uplink and
 * dropped after, so that no phase of a flush holds the making's code (docs/memory.md, twelfth
 * round).
 */
import { makeUplink } from "../api/spool-uplink.ts";

const part = { makeUplink: makeUplink };

export type MakePart = typeof part;
export { part as default };
