/** The uplink: flushing the store's backlog to Blynk. */
import { createUplink as createWithCode, type Uplink, type UplinkOptions } from "./uplink.ts";
import uplinkPart from "../parts/uplink.ts";
import streamPart from "../parts/stream.ts";
import replyPart from "../parts/reply.ts";
import datePart from "../parts/date.ts";
import pickPart from "../parts/pick.ts";
import rarePart from "../parts/rare.ts";
import { uplinkEntry } from "../api/uplink-entry.ts";
import type { UplinkCode } from "./state.ts";

export { SERVER_MAX_POINTS, REGION_FILE } from "./uplink.ts";
export type { Uplink, UplinkOptions, UplinkConfig, UplinkStatus, UplinkState, UplinkHal, StampResolver, Link, TimeSync } from "./uplink.ts";
export { maskToken, redactToken } from "./mask.ts";
export { formatPoint, formatValue, formatNumber } from "./json.ts";
export { QUOTA_FILE, QUOTA_FILES } from "./quota.ts";

/** The uplink's parts, as the firmware's Storage files hold them, in this program. */
const PARTS: { [name: string]: unknown } = {
  uplink: uplinkPart,
  stream: streamPart,
  reply: replyPart,
  date: datePart,
  pick: pickPart,
  rare: rarePart,
};
const ONE_PROGRAM = { load: (name: string) => PARTS[name] } as UplinkCode;

/**
 * Creates an uplink whose code is all in this program (tests and tools; the firmware loads the
 * same parts from Storage, src/device/api/spool-uplink.ts). Nothing happens until `ctl(U_START)`.
 * @throws Error naming the config field when the config is invalid.
 */
export function createUplink(o: Omit<UplinkOptions, "code" | "entry"> & Partial<Pick<UplinkOptions, "code" | "entry">>): Uplink {
  if (!o.code) o.code = ONE_PROGRAM;
  if (!o.entry) o.entry = uplinkEntry;
  return createWithCode(o as UplinkOptions);
}
