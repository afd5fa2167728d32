/**
 * Making spool's uplink from its state: brought by the uplink part (src/device/parts/uplink.ts),
 * so that nothing of it is resident between flushes (docs/memory.md). The caller checks that a
 * token is set.
 */
import { createUplink, type Link, type StampResolver, type Uplink } from "../uplink/uplink.ts";
import { parseHttpDate } from "../clock/http-date.ts";
import { applyHttpDate, wantsTime, type TimeKeeper } from "../clock/timekeeper.ts";
import type { Stamp } from "../types.ts";
import type { ClockPart } from "../parts/clock.ts";
import type { SpoolState } from "./spool-state.ts";

const DAY_MS = 86400000;

/** The uplink of spool's state `S`, resuming from what the last one kept (`S._uplinkKeep`). */
export function makeUplink(S: SpoolState): Uplink {
  const cfg = S._config();
  const board = S._boardOf();
  const h = hooks(S);
  return createUplink({
    hal: S._hal,
    store: S._store,
    resolver: h.resolver,
    link: h.link,
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

/**
 * The uplink's resolver and link: closures over this scope (spool's state and the clock part
 * once loaded), not over makeUplink's, which holds the configuration and the board profile
 * (about 120 JsVars for as long as the uplink exists).
 */
function hooks(S: SpoolState): { resolver: StampResolver; link: Link } {
  const keeper = S._keeper;
  // The clock part (about 170 JsVars while held) is loaded only for a stamp the resident clock
  // cannot place (see anchored); once loaded it is held while this uplink exists.
  let past: ClockPart | undefined;
  const clock = () => past || (past = S._parts.load("clock"));
  return {
    resolver: {
      resolve: (stamp) => {
        const t = anchored(keeper, stamp);
        return t !== undefined ? t : clock().resolve(keeper, stamp);
      },
      discards: (stamp) => {
        const d = clock().discards(keeper, stamp);
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
    link: { isUp: () => S._network.isUp() },
  };
}

/**
 * UTC ms of a stamp as the clock part's `resolve` gives it, for the stamps that need only the
 * resident clock: an epoch stamp, or one of an anchored boot while this boot's time does not
 * rest on HTTP Date alone (past-boots.ts `classify`, its first cases); otherwise undefined and
 * the clock part decides. After this boot's SNTP sync, the readings of this boot and of every
 * anchored boot are (only an unanchored past boot's still need the part).
 */
function anchored(k: TimeKeeper, stamp: Stamp): number | undefined {
  if ("epochMs" in stamp) return stamp.epochMs;
  const mine = k._book.get(k.bootId);
  if (mine && !mine.first) return undefined;
  const at = k._book.epochAt(stamp.bootId, stamp.uptimeMs);
  return at === undefined ? undefined : Math.floor(at);
}
