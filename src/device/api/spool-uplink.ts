/**
 * Making spool's uplink from its state: brought by the uplink part (src/device/parts/uplink.ts),
 * so that nothing of it is resident between flushes (docs/memory.md). The caller checks that a
 * token is set.
 */
import { createUplink, type Uplink } from "../uplink/uplink.ts";
import { parseHttpDate } from "../clock/http-date.ts";
import { applyHttpDate, wantsTime } from "../clock/timekeeper.ts";
import type { SpoolState } from "./spool-state.ts";

const DAY_MS = 86400000;

/** The uplink of spool's state `S`, resuming from what the last one kept (`S._uplinkKeep`). */
export function makeUplink(S: SpoolState): Uplink {
  const cfg = S._config();
  const keeper = S._keeper;
  const board = S._boardOf();
  const network = S._network;
  // Held by the resolver while this uplink exists: a flush classifies every reading it sends.
  const past = S._parts.load("clock");
  return createUplink({
    hal: S._hal,
    store: S._store,
    resolver: {
      resolve: (stamp) => past.resolve(keeper, stamp),
      discards: (stamp) => {
        const d = past.discards(keeper, stamp);
        if (d) S._surveyStale = true;
        return d;
      },
      applyHttpDate: (header) => {
        if (applyHttpDate(keeper, header, parseHttpDate)) S._clockChanged();
      },
      wantsTime: () => wantsTime(keeper),
    },
    // Link changes come through spool's own listener: a listener the uplink left on the
    // network would keep a dropped instance alive.
    link: { isUp: () => network.isUp() },
    keep: S._uplinkKeep,
    sntp: S._clock,
    config: {
      token: cfg.blynk.token,
      host: cfg.blynk.host,
      scheme: cfg.blynk.scheme,
      port: cfg.blynk.port,
      maxPointsPerRequest: Math.min(cfg.limits.batchSize, board.upload.maxPointsPerRequest),
      pieceBytes: board.upload.pieceBytes,
      flushDelayMs: cfg.flushDelayMs,
      maxAgeMs: cfg.limits.maxAgeDays * DAY_MS,
      dailyQuota: cfg.limits.dailyQuota,
      requestsPerDay: cfg.limits.requestsPerDay,
      badPinPolicy: cfg.uplink.badPin,
    },
  });
}
