/**
 * Choosing and measuring the next batch (docs/uplink.md, "One flush step", steps 1 and 2): scans
 * of the store that decide what one request carries. They send nothing and schedule nothing;
 * what they learn is the pass's position in the {@link Run}.
 */

import type { LogRecord } from "../store/contract.ts";
import { formatPoint } from "./json.ts";
import { Q_REMAINING, quota } from "./quota.ts";
import { CF_MAX_AGE, IDLE, K_BAD_PIN, K_MAX_POINTS, K_TOO_OLD, K_UNRESOLVED, K_WAITING, K_WINDOW, setPhase } from "./state.ts";
import type { Batch, Run } from "./state.ts";
import { U_SEND } from "./ops.ts";
import { nowUtc, schedule } from "./uplink.ts";

/** Drops (too-old, bad-pin, unresolved-time) collected in one selection scan before they are applied. */
const MAX_DROPS = 16;
/** Readings `select` looks through per task (13.7 ms each on the Linux build booted from Storage). */
const SCAN_SLICE = 32;
/**
 * Largest body sent: Blynk refuses requests over 2 MB, headers included (about 200 bytes here,
 * the path with the token about 100): keep 4 KB for them.
 */
export const MAX_BODY_BYTES = 2 * 1024 * 1024 - 4096;

/**
 * Steps 1 and 2 of a flush step in a task of their own (the entry point's U_PICK): the pick
 * part, so that a scan of the log holds neither the control part nor the stream part
 * (docs/memory.md, twelfth round). A slice looked through goes on in the next step; otherwise
 * the batch (none: nothing to send now) goes back to the control part in `u._pick` (U_SEND).
 */
export function pickTask(u: Run): void {
  // Held from the first pick until the uplink is dropped (spool.ts _liveUplink): a cursor kept
  // open by the stream and the reply's marking then share one copy.
  const st = u._store;
  if (st.code && !st.held) st.held = st.code.load("read");
  u._timer = undefined;
  u._nextAt = undefined;
  setPhase(u, IDLE);
  const now = nowUtc(u);
  const pick = select(u, now);
  if (pick === "again") {
    schedule(u, 0);
    return;
  }
  if (pick) u._pick = measure(u, pick, now);
  // The clock part the resolver may have loaded for this pick, let go where the board keeps no
  // phase's code: held on, it sat beside the request, or beside the first SNTP round and the
  // time probe while the readings waited for a time (docs/memory.md, thirteenth round).
  if (!u._pp) delete u._res._clk;
  schedule(u, 0, false, false, U_SEND);
}

/**
 * Step 1: the oldest reading that can be sent now. Skips pins set aside and readings waiting
 * for their time, drops too-old readings, those of dropped pins and those the clock discards.
 * Returns "again" when it stopped early (a slice looked through, or drops to apply).
 */
export function select(u: Run, now: number | undefined): LogRecord | "again" | undefined {
  const k = u._k;
  const res = u._res;
  const iso = u._iso;
  const oldest = u._store.oldestPos();
  const from = u._scanFrom > oldest ? u._scanFrom : oldest;
  let pick: LogRecord | undefined;
  let n = 0;
  let seen = 0;
  let stopAt = -1;
  u._store.scan({ from: from }, (rec) => {
    // A long backlog is looked through a slice per task: the rest of the firmware (sampling,
    // the REPL, the reply to the time probe, a board's watchdog) runs in between.
    if (++seen > SCAN_SLICE) {
      stopAt = rec.pos;
      return false;
    }
    const p = rec.reading.pin;
    const a = k.aside ? k.aside[p] : undefined;
    // A reading of an isolation is skipped while its neighbours are tried.
    if (a === 1 || (iso && iso._suspect === rec.pos && !iso._confirm)) return;
    let why: "bad-pin" | "unresolved-time" | "too-old" = "bad-pin";
    if (a !== 2) {
      const r = u._resume ? u._resume[p] : undefined;
      if (r !== undefined && rec.pos < r) return;
      const st = rec.reading.stamp as { bootId?: number };
      // A boot's uptime stamps all wait or all resolve: one answer per boot and pass.
      const ts = st.bootId !== undefined && st.bootId === u._waitBoot ? undefined : res.resolve(rec.reading.stamp);
      if (ts === undefined && st.bootId !== u._waitBoot && res.discards && res.discards(rec.reading.stamp)) why = "unresolved-time";
      else if (ts === undefined) {
        if (!u._resume) u._resume = {};
        u._resume[p] = rec.pos + 1;
        k.n[K_WAITING]++;
        if (st.bootId !== undefined) u._waitBoot = st.bootId;
        return;
      } else if (now !== undefined && ts < now - u._cf[CF_MAX_AGE]) why = "too-old";
      else {
        pick = rec;
        return false;
      }
    }
    if (!u._dropPos || !u._dropWhy) {
      u._dropPos = [];
      u._dropWhy = [];
    }
    u._dropPos[n] = rec.pos;
    u._dropWhy[n] = why;
    return ++n < MAX_DROPS;
  });
  const kn = k.n;
  for (let i = 0; i < n; i++) {
    const why = u._dropWhy![i];
    u._store.drop(u._dropPos![i], why);
    kn[why === "too-old" ? K_TOO_OLD : why === "unresolved-time" ? K_UNRESOLVED : K_BAD_PIN]++;
  }
  // Everything before the pick (or the last drop) was skipped for the rest of this pass; a
  // skipped suspect stays behind scanFrom until its neighbours have answered.
  if (pick) {
    if (!iso || iso._suspect < 0 || iso._suspect > pick.pos) u._scanFrom = pick.pos;
    return pick;
  }
  if (n === MAX_DROPS) {
    u._scanFrom = u._dropPos![n - 1] + 1;
    return "again";
  }
  if (stopAt >= 0) {
    u._scanFrom = stopAt;
    return "again";
  }
  u._scanFrom = u._store.headPos();
  return undefined;
}

/** Step 2: how many readings from `pick` go in one request, and the exact body length. */
export function measure(u: Run, pick: LogRecord, now: number | undefined): Batch {
  const k = u._k.n;
  const pin = pick.reading.pin;
  let limit = k[K_WINDOW] < k[K_MAX_POINTS] ? k[K_WINDOW] : k[K_MAX_POINTS];
  const left = quota(u._q, u._hal.storage, now, Q_REMAINING);
  if (left < limit) limit = left;
  let end: number | undefined;
  const iso = u._iso;
  if (iso && iso._pin === pin) {
    // Halving proceeds in store order, so a suspect is the oldest reading of its pin that can
    // go: what follows it are its right-hand neighbours, at the isolation's batch size.
    if (iso._confirm && pick.pos === iso._suspect) limit = 1;
    else if (iso._suspect >= 0 || pick.pos <= iso._end) {
      if (iso._suspect < 0) end = iso._end;
      if (iso._limit < limit) limit = iso._limit;
    } else u._iso = undefined;
  }
  const b: Batch = { _pin: pin, _start: pick.pos, _last: pick.pos, _count: 0, _bytes: 2, _sent: 0, _sentFrom: -1, _sentTo: -1 };
  u._store.scan({ from: pick.pos, pin: pin }, (rec) => {
    if (b._count >= limit || (end !== undefined && rec.pos > end)) return false;
    const ts = u._res.resolve(rec.reading.stamp);
    if (ts === undefined || (now !== undefined && ts < now - u._cf[CF_MAX_AGE])) return false;
    const add = formatPoint(ts, rec.reading.value).length + (b._count > 0 ? 1 : 0);
    if (b._bytes + add > MAX_BODY_BYTES) return false;
    b._bytes += add;
    b._count++;
    b._last = rec.pos;
  });
  return b;
}
