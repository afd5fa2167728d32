/**
 * The uplink's entry points: one function, {@link ctl}, asked by number (ops.ts) what to do. It
 * is the instance's one property that is a function; the phase decides what each op does
 * (docs/uplink.md, "States"). A method per entry point cost a prototype of eleven functions
 * (about 60 JsVars) for as long as an uplink existed.
 */

import { rare } from "./rare.ts";
import { DOWN, DUE, IDLE, K_ATTEMPT, K_MAX_POINTS, K_STOPPED_TOKEN, K_WINDOW, OFF, SENDING, TOKEN, setPhase } from "./state.ts";
import { CF_DELAY, CF_SYNC_FIRST, CF_SYNC_WAIT, CF_WINDOW0 } from "./state.ts";
import type { Run } from "./state.ts";
import { U_APPENDED, U_CLOCK, U_FLUSH, U_LINK, U_RESUME, U_START, U_STOP, U_SEND, U_STEP, U_TOKEN, type UplinkOp } from "./ops.ts";
import { checkToken, mayRequest, needsProbe, nowUtc, schedule, sendPicked, setState, step } from "./uplink.ts";

/**
 * Runs entry point `op` of the uplink it is called on (`this`, or `self` from a timer), with
 * `arg` for U_LINK, U_TOKEN and U_STEP. The resident entry point (src/device/api/uplink-entry.ts)
 * answers U_SETTLED and U_IDLE from the fields and hands U_REPLY and U_PICK to their parts: they
 * never come here.
 * @throws Error for U_TOKEN with a malformed token.
 */
export function ctl(this: Run, op: UplinkOp, arg?: unknown, self?: Run): unknown {
  // Not `this` in an arrow: Espruino 2v29 asserts (Linux build) when it skips, unexecuted, an
  // arrow function whose body uses `this` (jspeArrowFunction sets it on no function).
  const u = self || this;
  const k = u._k;
  const ph = u._phase;
  if (op === U_STEP) step(u, arg as boolean | undefined);
  else if (op === U_SEND) sendPicked(u);
  else if (op === U_APPENDED) {
    if (ph === IDLE && (!u._link || u._link.isUp())) schedule(u, u._cf[CF_DELAY]);
  } else if (op === U_START) {
    if (ph !== OFF) return;
    setPhase(u, k.n[K_STOPPED_TOKEN] ? TOKEN : DOWN);
    const link = u._link;
    if (link && link.onChange) link.onChange((up) => u.ctl(U_LINK, up));
    if (!u._link || u._link.isUp()) ctl.call(u, U_LINK, true);
    else setState(u, "offline");
  } else if (op === U_RESUME) {
    if (ph !== OFF) return;
    if (!(!u._link || u._link.isUp())) {
      setPhase(u, k.n[K_STOPPED_TOKEN] ? TOKEN : DOWN);
      setState(u, "offline");
    } else if (k.n[K_STOPPED_TOKEN]) setPhase(u, TOKEN);
    else schedule(u, 0);
  } else if (op === U_LINK) {
    if (ph === OFF) return;
    if (!arg) {
      // A request in flight ends by its reply or its timeout; the token stop outlives the link.
      if (ph !== SENDING && ph !== TOKEN) {
        schedule(u, -1);
        setPhase(u, DOWN);
      }
      setState(u, "offline");
      return;
    }
    const n = k.n;
    n[K_ATTEMPT] = 0;
    u._scanFrom = -1;
    // A new association: nothing is known of this path yet.
    n[K_WINDOW] = u._cf[CF_WINDOW0] < n[K_MAX_POINTS] ? u._cf[CF_WINDOW0] : n[K_MAX_POINTS];
    if (ph === TOKEN || ph === SENDING) return;
    setPhase(u, IDLE);
    // A boot without time asks for one at once, not after the SNTP wait: it may be cut within
    // seconds, and its readings are placed only by an anchor written in this boot. Where memory
    // holds one at a time (syncFirst), after the round: the probe's request, the SNTP part and
    // its socket together ran a 1,600-JsVar build out of memory.
    const sntp = u._sntp;
    if (needsProbe(u) && !(sntp && u._cf[CF_SYNC_FIRST]) && mayRequest(u, nowUtc(u), false)) rare(u).probe(u);
    if (sntp) {
      // Flush once the sync answers, or after syncWaitMs, whichever comes first (the probe's
      // reply, when one is in flight).
      let fallback: unknown;
      if (u._phase !== SENDING) {
        schedule(u, u._cf[CF_SYNC_WAIT]);
        fallback = u._timer;
        u._syncT = fallback;
      }
      const go = () => {
        u._scanFrom = -1;
        if (fallback !== undefined && u._timer === fallback) schedule(u, 0);
      };
      // Beside a round already under way (syncNow false: the clock starts one with the link)
      // the flush waits for the clock change the round brings (U_CLOCK), once its anchor is
      // written. Flushing at once made the first request while the SNTP part and the store
      // part (for that anchor) were loaded too: the highest point of a flush on the 2v29 Linux
      // build (3,767 JsVars against 3,537, linux, 1,000 readings).
      try {
        sntp.syncNow(go);
        return;
      } catch (_e) {
        // no sync: flush now
      }
    }
    if (u._phase !== SENDING) schedule(u, 0);
  } else if (op === U_STOP) {
    const x = u._x;
    if (x) {
      // Abandoned: its reply is ignored and nothing is marked.
      x._over = true;
      if (x._tmo !== undefined) u._hal.clearTimeout(x._tmo);
    }
    u._x = undefined;
    schedule(u, -1);
    setPhase(u, OFF);
    setState(u, !u._link || u._link.isUp() ? "idle" : "offline");
  } else if (op === U_CLOCK) {
    u._scanFrom = -1;
    if ((ph === IDLE || ph === DUE) && (!u._link || u._link.isUp())) schedule(u, 0);
  } else if (op === U_FLUSH) {
    if (ph === OFF || ph === TOKEN || ph === SENDING) return;
    k.n[K_ATTEMPT] = 0;
    u._scanFrom = -1;
    // spool.flush() does not cut the wait for the clock's sync short (see U_LINK's sync wait):
    // the request would overlap the parts that write the round's anchor.
    if (u._syncT === undefined || u._timer !== u._syncT) schedule(u, 0);
  } else if (op === U_TOKEN) {
    k.token = checkToken(arg);
    if (!k.n[K_STOPPED_TOKEN]) return;
    k.n[K_STOPPED_TOKEN] = 0;
    k.hint = undefined;
    const up = !u._link || u._link.isUp();
    setState(u, up ? "idle" : "offline");
    if (ph !== TOKEN) return;
    if (up) {
      u._scanFrom = -1;
      schedule(u, 0);
    } else setPhase(u, DOWN);
  }
}
