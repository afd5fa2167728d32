/**
 * The uplink's resolver and link: resident code, so that the closures an uplink holds for its life
 * keep no part's scope (docs/memory.md, twelfth round).
 */
import type { Link, StampResolver } from "../uplink/uplink.ts";
import type { ClockPart } from "../parts/clock.ts";
import type { SpoolState } from "./spool-state.ts";

/**
 * The uplink's resolver and link, one object: closures over this scope (spool's state and the
 * clock part once loaded), not over makeUplink's, which holds the configuration and the board
 * profile (about 120 JsVars for as long as the uplink exists). Once this boot's clock is synced
 * by SNTP an HTTP Date is of no use (applyHttpDate ignores it) and no probe is wanted: the
 * uplink made then is given no keeper.
 */
export function hooks(S: SpoolState): StampResolver & Link {
  const keeper = S._keeper;
  // The clock part (about 135-170 JsVars while held) is loaded only for a stamp the resident
  // clock cannot place (see resolve); once loaded it is held in `_clk` while this uplink exists,
  // or, where the board loads each phase's code, until the pick that needed it ends. Written out
  // at both uses: a function for it held about 5 JsVars in every phase of a flush.
  const h: StampResolver & Link = {
    // UTC ms of a stamp as the clock part's `resolve` gives it. The stamps that need only the
    // resident clock are placed here: an epoch stamp, or one of an anchored boot while this
    // boot's time does not rest on HTTP Date alone (past-boots.ts `classify`, its first
    // cases); the clock part decides the rest. After this boot's SNTP sync, the readings of
    // this boot and of every anchored boot are (only an unanchored past boot's still need
    // the part). Inline, not a function of the part's level (about 5 JsVars while a flush runs).
    resolve: (stamp) => {
      if ("epochMs" in stamp) return stamp.epochMs;
      const mine = keeper._book.get(keeper.bootId);
      if (!mine || mine.first) {
        const at = keeper._book.epochAt(stamp.bootId, stamp.uptimeMs);
        if (at !== undefined) return Math.floor(at);
        // This boot's stamps (the uplink's "now" among them) wait for this boot's anchor: so
        // the part would say, loaded beside the first SNTP round and the time probe.
        if (stamp.bootId >= keeper.bootId) return undefined;
      }
      return ((h._clk || (h._clk = S._parts.load("clock"))) as ClockPart).resolve(keeper, stamp);
    },
    // Only a past boot's reading is ever dropped for its time (past-boots.ts classify).
    discards: (stamp) => {
      if ("epochMs" in stamp || stamp.bootId >= keeper.bootId) return false;
      const d = ((h._clk || (h._clk = S._parts.load("clock"))) as ClockPart).discards(keeper, stamp);
      if (d) S._surveyStale = true;
      return d;
    },
    // Link changes come through spool's own listener (no onChange here): a listener the uplink
    // left on the network would keep a dropped instance alive.
    isUp: () => S._network.isUp(),
  };
  // Synced by SNTP this boot (source 2: it stays so; a trusted board clock, 3, may be withdrawn).
  if (keeper._src !== 2) {
    h.keeper = keeper;
    h.clockChanged = () => S._clockChanged();
  }
  return h;
}
