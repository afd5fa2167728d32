/**
 * The survey of the stored readings: how far each past boot's readings reach, which bounds the
 * boots that never got an anchor (past-boots.ts places them from it). Its own part
 * (src/device/parts/survey.ts), apart from the clock part: the survey runs while the read part
 * and a cursor scan the store, and at the boot on a 1,600-JsVar board the two parts together
 * were the highest point (docs/memory.md, fourteenth round).
 */
import type { Stamp } from "../types.ts";
import type { Store } from "../store/store.ts";
import type { SurveyEntry, TimeKeeper } from "./timekeeper.ts";

/** The survey tracks at most this many unanchored boots; the rest resolve with looser bounds. */
const MAX_SURVEY_BOOTS = 32;

/**
 * Learns the extent of the stored readings: `forEach` must call `visit` with the stamp of
 * every reading still in flash, in store (append) order, `pending` false for those already
 * delivered (they still tell how long their boot lasted). Used to bound boots that never got
 * an anchor and to count pending ones for status. Memory: one small entry per boot (at most
 * 32; boots seen only through delivered readings give way to later ones).
 */
export function survey(k: Surveyed, forEach: (visit: (stamp: Stamp, pending?: boolean) => void) => void): void {
  const entries: SurveyEntry[] = [];
  let latestEpoch = -Infinity;
  let overflow = 0;
  forEach((stamp: Stamp, pending?: boolean) => {
    if ("epochMs" in stamp) {
      if (stamp.epochMs > latestEpoch) latestEpoch = stamp.epochMs;
      return;
    }
    // Anchored boots are surveyed too (not counted as unresolved): the last reading of one
    // bounds from below the start of the unanchored boot after it.
    let e: SurveyEntry | undefined;
    for (let i = entries.length - 1; i >= 0; i--) {
      if (entries[i].bootId === stamp.bootId) {
        e = entries[i];
        break;
      }
    }
    if (!e) {
      if (entries.length >= MAX_SURVEY_BOOTS && entries[0].readings === 0) entries.shift();
      if (entries.length >= MAX_SURVEY_BOOTS) {
        if (pending !== false) overflow++;
        return;
      }
      e = { bootId: stamp.bootId, readings: 0, maxUptimeMs: 0, epochBefore: latestEpoch };
      entries.push(e);
    }
    if (pending !== false) e.readings++;
    if (stamp.uptimeMs > e.maxUptimeMs) e.maxUptimeMs = stamp.uptimeMs;
  });
  entries.sort((a, b) => a.bootId - b.bootId);
  k._entries = entries;
  k._overflowReadings = overflow;
  delete k._cache;
}

/** What {@link survey} learns: the keeper's, or an object the firmware's early pass gives the keeper later. */
export type Surveyed = Pick<TimeKeeper, "_entries" | "_overflowReadings" | "_cache">;

/** {@link survey} of every reading still in `store`, delivered or not. */
export function surveyStore(k: Surveyed, store: Pick<Store, "scan">): void {
  survey(k, (visit) => {
    store.scan({ from: 0, delivered: true }, (rec) => {
      visit(rec.reading.stamp, !rec.delivered);
    });
  });
}
