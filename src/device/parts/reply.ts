/**
 * The reply part (src/device/parts.ts): an exchange's outcome, handled in a task of its own
 * (src/device/uplink/reply.ts `settle`): loaded per reply and dropped after (kept with the
 * uplink where the board keeps it). Neither the control part nor the stream part is held then
 * (docs/memory.md, twelfth round).
 */
import { settle } from "../uplink/reply.ts";

const part = { settle: settle };

export type ReplyPart = typeof part;
export { part as default };
