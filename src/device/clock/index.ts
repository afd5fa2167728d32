/** The clock: a TimeKeeper kept set by SNTP rounds (clock.ts), and what it knows of past boots. */
export { Clock, configureClock, createClock } from "./clock.ts";
export type { ClockOptions, ClockNtp } from "./clock.ts";

export { SntpClient, DEFAULT_SNTP_SERVERS } from "./sntp.ts";
export type { SntpOptions, SntpStatus, SntpSync } from "./sntp.ts";
export {
  TimeKeeper,
  acceptSntp,
  applyHttpDate,
  clockNow,
  coarseAllowed,
  noteError,
  wantsTime,
} from "./timekeeper.ts";
export { classify, resolve, discards, unresolvedBoots, clockStatus } from "./past-boots.ts";
export { survey } from "./survey.ts";
export type {
  AnchorLog,
  ClockSample,
  ClockStatus,
  Resolution,
  TimeKeeperOptions,
  UnanchoredPolicy,
  UnresolvedBoot,
} from "./timekeeper.ts";
export { parseHttpDate } from "./http-date.ts";
