/** The clock: an SNTP client wired to a TimeKeeper. */
import type { Hal } from "../hal.ts";
import { SntpClient, type SntpSync } from "./sntp.ts";
import { clockStatus } from "./past-boots.ts";
import { TimeKeeper, type AnchorLog, type ClockStatus, type TimeKeeperOptions, type UnanchoredPolicy } from "./timekeeper.ts";

export { SntpClient, DEFAULT_SNTP_SERVERS } from "./sntp.ts";
export type { SntpOptions, SntpStatus, SntpSync } from "./sntp.ts";
export { TimeKeeper } from "./timekeeper.ts";
export { survey, classify, resolve, discards, unresolvedBoots, clockStatus } from "./past-boots.ts";
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

export interface ClockOptions {
  hal: Hal;
  log: AnchorLog;
  servers?: string[];
  port?: number;
  timeoutMs?: number;
  /** Time between SNTP syncs; default 1 h. */
  intervalMs?: number;
  policy?: UnanchoredPolicy;
  maxEstimateWidthMs?: number;
  /** See {@link TimeKeeperOptions.coarseHoldOffMs}; default 10 min. */
  coarseHoldOffMs?: number;
  /** See {@link TimeKeeperOptions.onCoarseAllowed} (e.g. `uplink.notifyClockChanged`). */
  onCoarseAllowed?: () => void;
}

export interface Clock {
  keeper: TimeKeeper;
  sntp: SntpClient;
  /** The keeper's status (SNTP's last error included). */
  status(): ClockStatus;
}

/**
 * Builds the clock. Call `sntp.start()` when the network comes up and `sntp.stop()` when it
 * goes down; pass HTTP Date headers to `keeper.applyHttpDate`.
 * @throws Error on bad options (see SntpClient and TimeKeeper).
 */
export function createClock(options: ClockOptions): Clock {
  const keeper = new TimeKeeper({
    hal: options.hal,
    log: options.log,
    policy: options.policy,
    maxEstimateWidthMs: options.maxEstimateWidthMs,
    coarseHoldOffMs: options.coarseHoldOffMs,
    onCoarseAllowed: options.onCoarseAllowed,
  });
  const sntp = new SntpClient({
    hal: options.hal,
    servers: options.servers,
    port: options.port,
    timeoutMs: options.timeoutMs,
    intervalMs: options.intervalMs,
    needsDrift: () => keeper.driftPpm() === undefined,
    onSync: (sync: SntpSync) => keeper.acceptSntp(sync),
    onError: (reason: string, server: string) => keeper.noteError(reason, server),
  });
  return { keeper, sntp, status: () => clockStatus(keeper) };
}
