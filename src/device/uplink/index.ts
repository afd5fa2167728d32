/** The uplink: flushing the store's backlog to Blynk. */
export { createUplink, SERVER_MAX_POINTS, REGION_FILE } from "./uplink.ts";
export type { Uplink, UplinkOptions, UplinkConfig, UplinkStatus, UplinkState, UplinkHal, StampResolver, Link, TimeSync } from "./uplink.ts";
export { maskToken, redactToken } from "./mask.ts";
export { formatPoint, formatValue, formatNumber } from "./json.ts";
export { QUOTA_FILE, QUOTA_FILES } from "./quota.ts";
