/**
 * Starting the uplink afresh: part code (the apply part for a changed token, host, limits or
 * flush delay; the report part after an erase), so that it is not a resident function.
 */
import type { SpoolState } from "./spool-state.ts";
import { U_STOP } from "../uplink/ops.ts";

/**
 * Drops the uplink and what it kept between instances, but for the quota's counts; while running,
 * a new one is made in a task of its own, after the call that changed it has returned:
 * `spool.setup` then has its steps' parts and the user's input dropped before the uplink part
 * (about 470 JsVars while an uplink lives, docs/memory.md) is loaded. The task is the state's own
 * method bound to it, not a function of this part, which would keep the part's code alive until
 * the task runs.
 */
export function restartUplink(S: SpoolState): void {
  if (S._uplink) S._uplink.ctl(U_STOP);
  S._uplink = undefined;
  S._store.held = undefined;
  // The day's counts stay: a changed token or limit does not give the day's quota back.
  const q = S._uplinkKeep.q;
  S._uplinkKeep = q ? { q: q } : {};
  if (S._running) S._hal.setTimeout(S._liveUplink.bind(S, true), 0);
}
