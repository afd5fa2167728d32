/**
 * The stream part (src/device/parts.ts): a request, its streamed body and its handlers, loaded
 * for each exchange and held by it (where the board keeps the uplink, kept with it). The control
 * part (src/device/parts/uplink.ts) is loaded per step, entry-point call and reply, so that the
 * two are not held at once (docs/memory.md, twelfth round).
 */
import { finish, send } from "../uplink/stream.ts";

const part = { send: send, finish: finish };

export type StreamPart = typeof part;
export { part as default };
