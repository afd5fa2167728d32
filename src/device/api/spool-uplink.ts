/**
 * Making spool's uplink from its state: brought by the uplink part (src/device/parts/uplink.ts),
 * so that nothing of it is resident between flushes (docs/memory.md). The caller checks that a
 * token is set.
 */
import { createUplink, type Link, type StampResolver, type Uplink } from "../uplink/uplink.ts";
import type { Run } from "../uplink/state.ts";
import type { UplinkOp } from "../uplink/ops.ts";
import type { SpoolState } from "./spool-state.ts";

const DAY_MS = 86400000;

/**
 * The uplink of spool's state `S`, resuming from what the last one kept (`S._uplinkKeep`). Its
 * entry point and its resolver come from resident code (src/device/api/uplink-entry.ts,
 * uplink-hooks.ts): made here, they would hold this part for the instance's life
 * (docs/memory.md, twelfth round).
 */
export function makeUplink(
  S: SpoolState,
  entry: (this: Run, op: UplinkOp, arg?: unknown, self?: Run) => unknown,
  hooks: (S: SpoolState) => StampResolver & Link,
): Uplink {
  const cfg = S._config();
  const board = S._boardOf();
  const h = hooks(S);
  return createUplink({
    code: S._parts,
    entry: entry,
    hal: S._hal,
    store: S._store,
    resolver: h,
    link: h,
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
      syncFirst: !!board.upload.minFreeJsVars,
    },
  });
}
