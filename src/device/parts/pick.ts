/**
 * The pick part (src/device/parts.ts): a flush step's choice and measuring of the next batch
 * (src/device/uplink/select.ts), loaded for each step and dropped after, so that a scan of the
 * log holds neither the control part nor the stream part (docs/memory.md, twelfth round).
 */
import { pickTask } from "../uplink/select.ts";

const part = { pickTask: pickTask };

export type PickPart = typeof part;
export { part as default };
