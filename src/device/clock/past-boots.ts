/**
 * The clock's knowledge of past boots, from their anchors and the survey of the stored readings
 * (survey.ts): how a stamp resolves (anchored, estimated between the boots around it, or why
 * not), the boots that cannot be placed, and the clock's status. Loaded as the clock part
 * (src/device/parts/clock.ts) for a flush or a status question, and dropped after: at rest only
 * the TimeKeeper's stamping and anchoring exist (docs/memory.md). Each function works on the
 * keeper's state (its `_` fields).
 */
import type { Anchor, Stamp } from "../types.ts";
import { bootAfter, bootBefore, rateOf, type BootAnchors } from "./anchor-book.ts";
import { COARSE_ERR_MS, coarseAllowed, isSynced, sourceOf } from "./timekeeper.ts";
import type { ResolveCache, TimeKeeper } from "./timekeeper.ts";
import type { ClockStatus, Resolution, SurveyEntry, UnresolvedBoot } from "./timekeeper.ts";

/** Rate uncertainty assumed when bounding a boot: crystal spec when unknown, estimate noise when known. */
const UNKNOWN_DRIFT_MARGIN_PPM = 200;
const KNOWN_DRIFT_MARGIN_PPM = 20;
/** Bounds overlapping by more than this mean a wrong anchor, not measurement noise. */
const INCONSISTENT_MS = 2000;

/** Whether `stamp` is one the policy discards: a past boot that never got an anchor, under "drop". */
export function discards(k: TimeKeeper, stamp: Stamp): boolean {
  return classify(k, stamp).kind === "drop";
}

/** UTC ms for a stamp, or undefined when it cannot be given one (see {@link classify}). */
export function resolve(k: TimeKeeper, stamp: Stamp): number | undefined {
  // Not `classify(...).epochMs`: on Espruino 2v29 reading a property of a call's fresh result
  // throws ReferenceError when the property is there but undefined (docs/target-espruino.md).
  const r = classify(k, stamp);
  return r && r.epochMs;
}

/** How a stamp resolves, and why not when it does not. */
export function classify(k: TimeKeeper, stamp: Stamp): Resolution {
  if ("epochMs" in stamp) return { kind: "epoch", epochMs: stamp.epochMs };
  if (needsCoarse(k, stamp.bootId) && !coarseAllowed(k)) {
    return { kind: "pending", reason: "waiting for SNTP (only an HTTP Date is known)" };
  }
  const at = k._book.epochAt(stamp.bootId, stamp.uptimeMs);
  if (at !== undefined) return { kind: "anchored", epochMs: Math.floor(at) };
  if (stamp.bootId >= k.bootId) {
    return { kind: "pending", reason: "clock not synced yet in this boot" };
  }
  if (k._policy === "drop") return { kind: "drop", reason: "boot never synced (policy drop)" };
  if (k._policy === "wait") return { kind: "unresolved", reason: "boot never synced (policy wait)" };
  const est = estimate(k, stamp.bootId, stamp.uptimeMs);
  if (typeof est === "string") return { kind: "unresolved", reason: est };
  return { kind: "estimated", epochMs: Math.floor(est) };
}

/**
 * Whether readings of `bootId` would be placed through this boot's HTTP-Date anchors (+-1 s):
 * this boot's own readings, or an unanchored past boot's estimate bounded by this boot.
 */
function needsCoarse(k: TimeKeeper, bootId: number): boolean {
  const mine = k._book.get(k.bootId);
  if (!mine || mine.first) return false;
  if (bootId === k.bootId) return true;
  if (k._policy || k._book.get(bootId)) return false;
  const c = bootAfter(k._book, bootId);
  return !!c && c.bootId === k.bootId;
}

/**
 * Places a reading of an unanchored past boot by where its boot started, found once per boot
 * until the next survey or anchor (a flush classifies its readings one by one, and on the
 * interpreter booted from Storage every call costs).
 */
function estimate(k: TimeKeeper, bootId: number, uptimeMs: number): number | string {
  const cache = cacheOf(k);
  let p = cache.placed;
  if (!p || p.id !== bootId || uptimeMs > p.upTo) {
    const own = entryOf(k, bootId);
    const upTo = own && own.maxUptimeMs > uptimeMs ? own.maxUptimeMs : uptimeMs;
    p = { id: bootId, upTo: upTo, at: place(k, bootId, upTo) };
    cache.placed = p;
  }
  return typeof p.at === "string" ? p.at : p.at + uptimeMs * rateOf(k._book);
}

/**
 * Where an unanchored past boot that lasted at least `extent` started: after everything known
 * of the boots before it, and before the next anchored boot started (minus the known length of
 * the boots in between). Every boot of a run of unanchored boots gets the same share of the
 * unaccounted time, so the estimates keep the boots in order. A string says why not.
 */
function place(k: TimeKeeper, bootId: number, extent: number): number | string {
  const rate = rateOf(k._book);
  const margin = (k._book._drift === undefined ? UNKNOWN_DRIFT_MARGIN_PPM : KNOWN_DRIFT_MARGIN_PPM) * 1e-6;
  const c = bootAfter(k._book, bootId);
  const cache = cacheOf(k);
  if (!c) return "no later anchored boot bounds it yet";
  // sure bounds take the boots' lengths at the slowest rate the crystal may have had
  const lo = startAfter(k, bootId, rate * (1 - margin), COARSE_ERR_MS);
  const hi = startBefore(k, bootId, c, extent, rate * (1 - margin), COARSE_ERR_MS);
  if (lo === -Infinity) return "no earlier time known";
  if (hi < lo - INCONSISTENT_MS) return "anchors of the boots around it disagree";
  // The time nobody recorded (after each boot's last reading, power off, the interpreter's
  // start-up before the firmware runs) lies in the gaps between boots, one per reboot, and
  // reboots are much alike: each gap of the run gets an equal share, so a boot j gaps after
  // the lower bound's boot starts j shares after it.
  const after = startAfter(k, bootId, rate, 0);
  const from = cache.boundFrom as number;
  const slack = Math.max(0, startBefore(k, bootId, c, extent, rate, 0) - after);
  const gaps = c.bootId - from;
  // A boot that recorded nothing (cut while it started, or busy until the cut) left no length:
  // its whole run time is in the slack too. Then each reboot gets the gap learned between
  // anchored boots (when known) and those boots share the rest.
  let silent = 0;
  let silentBefore = 0;
  for (let id = from + 1; id < c.bootId; id++) {
    if (entryOf(k, id)) continue;
    silent++;
    if (id < bootId) silentBefore++;
  }
  if (silent && !cache.gapKnown) {
    cache.gap = typicalGap(k, rate);
    cache.gapKnown = true;
  }
  const gap = silent ? cache.gap : undefined;
  let start = after + (slack * (bootId - from)) / gaps;
  if (gap !== undefined) {
    const each = Math.min(gap, slack / gaps);
    start = after + each * (bootId - from) + ((slack - each * gaps) * silentBefore) / silent;
  }
  // The boot may truly have started at either sure bound, so the share is up to the farther
  // one off (the midpoint of the bounds, half their distance). The width rule holds for that
  // error: a boot 1 gap into a run of 4 could otherwise go out up to 3/4 of the width off.
  const worst = Math.max(start - lo, hi - start) + extent * rate * margin;
  if (2 * worst > (k._maxWidthMs === undefined ? 60000 : k._maxWidthMs))
    return "could lie anywhere in " + Math.round((hi - lo) / 1000) + " s, the estimate up to " + Math.round(worst / 1000) + " s off";
  return start;
}

/** The keeper's {@link ResolveCache}, made when a survey, anchor or configure dropped it. */
function cacheOf(k: TimeKeeper): ResolveCache {
  if (!k._cache) k._cache = {};
  return k._cache;
}

function entryOf(k: TimeKeeper, bootId: number): SurveyEntry | undefined {
  for (let i = 0; i < k._entries.length; i++) if (k._entries[i].bootId === bootId) return k._entries[i];
  return undefined;
}

/**
 * The median time from a boot's last reading to the start of the next boot, over the pairs of
 * anchored boots in the survey: how long a reboot takes here. Undefined when no pair is known.
 */
function typicalGap(k: TimeKeeper, rate: number): number | undefined {
  const seen: number[] = [];
  for (let i = 0; i < k._entries.length; i++) {
    // e is the later boot of the pair: its first reading knows the epoch stamps before it (the
    // earlier boot's, once synced), the earlier boot's entry its uptime stamps.
    const e = k._entries[i];
    const b = k._book.get(e.bootId);
    if (!b || !k._book.get(e.bootId - 1)) continue;
    let end = e.epochBefore;
    const prev = entryOf(k, e.bootId - 1);
    const last = prev ? k._book.epochAt(prev.bootId, prev.maxUptimeMs) : undefined;
    if (last !== undefined && last > end) end = last;
    const f = b.first ? b.first : b.coarseFirst;
    if (f && end > -Infinity) seen.push(f.epochMs - f.uptimeMs * rate - end);
  }
  if (!seen.length) return undefined;
  seen.sort((a, b) => a - b);
  return Math.max(0, seen[seen.length >> 1]);
}

/**
 * Earliest start of an unanchored boot, counting the boots before it at `rate` and an HTTP-Date
 * anchor `coarseMs` early (its error for a sure bound, 0 for the likeliest value). Sets
 * `boundFrom` to the boot that bound ends with (the gaps between it and `bootId` are not in it).
 */
function startAfter(k: TimeKeeper, bootId: number, rate: number, coarseMs: number): number {
  const a = bootBefore(k._book, bootId);
  const cache = cacheOf(k);
  let lo = -Infinity;
  cache.boundFrom = a ? a.bootId : bootId - 1;
  if (a) lo = a.last ? a.last.epochMs : (a.coarseLast as Anchor).epochMs - coarseMs;
  for (let i = 0; i < k._entries.length; i++) {
    const e = k._entries[i];
    if (a && e.bootId === a.bootId) {
      // The anchored boot before lasted at least until its last pending reading.
      const end = k._book.epochAt(a.bootId, e.maxUptimeMs);
      if (end !== undefined && end - (a.last ? 0 : coarseMs) > lo) lo = end - (a.last ? 0 : coarseMs);
    }
    if ((a && e.bootId <= a.bootId) || e.bootId > bootId) continue;
    if (e.epochBefore > lo) {
      lo = e.epochBefore;
      cache.boundFrom = e.bootId - 1;
    }
    if (e.bootId < bootId) lo += e.maxUptimeMs * rate;
  }
  return lo;
}

/**
 * Latest start of an unanchored boot that lasted `extent`, given the next anchored boot `c`
 * (an HTTP-Date anchor taken `coarseMs` late, as in {@link startAfter}).
 */
function startBefore(k: TimeKeeper, bootId: number, c: BootAnchors, extent: number, rate: number, coarseMs: number): number {
  const f = c.first ? c.first : (c.coarseFirst as Anchor);
  let hi = f.epochMs - f.uptimeMs * rate + (c.first ? 0 : coarseMs);
  for (let i = 0; i < k._entries.length; i++) {
    const e = k._entries[i];
    if (e.bootId > bootId && e.bootId < c.bootId) hi -= e.maxUptimeMs * rate;
  }
  return hi - extent * rate;
}

/** Past boots whose readings cannot be resolved under the policy, from the last survey. */
export function unresolvedBoots(k: TimeKeeper): UnresolvedBoot[] {
  const out: UnresolvedBoot[] = [];
  for (let i = 0; i < k._entries.length; i++) {
    const e = k._entries[i];
    if (e.readings === 0) continue;
    const r = classify(k, { bootId: e.bootId, uptimeMs: e.maxUptimeMs });
    if (r.kind === "unresolved" || r.kind === "drop") out.push({ bootId: e.bootId, readings: e.readings, reason: r.reason });
  }
  return out;
}

export function clockStatus(k: TimeKeeper): ClockStatus {
  const boots = unresolvedBoots(k);
  let readings = k._overflowReadings;
  for (let i = 0; i < boots.length; i++) readings += boots[i].readings;
  let pending = 0;
  for (let i = 0; i < k._entries.length; i++) {
    if (k._entries[i].bootId === k.bootId && !k._book.get(k.bootId)) pending = k._entries[i].readings;
  }
  return {
    synced: isSynced(k),
    source: sourceOf(k),
    lastOffsetMs: k._lastOffsetMs,
    driftPpm: k._book._drift,
    lastSyncAt: k._lastSyncAt,
    lastError: k._lastError,
    server: k._server,
    bootId: k.bootId,
    unresolvedReadings: readings,
    unresolvedBoots: boots.length,
    pendingReadings: pending,
  };
}
