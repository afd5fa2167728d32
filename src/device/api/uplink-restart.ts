/**
 * Starting the uplink afresh: part code (the apply part for a changed token, host, limits or
 * flush delay; the report part after an erase), so that it is not a resident function.
 */
import type { SpoolState } from "./spool-state.ts";
import { U_STOP } from "../uplink/ops.ts";

/** Drops the uplink and what it kept between instances; makes a new one while running. */
export function restartUplink(S: SpoolState): void {
  if (S._uplink) S._uplink.ctl(U_STOP);
  S._uplink = undefined;
  S._store.held = undefined;
  S._uplinkKeep = {};
  if (S._running) S._liveUplink(true);
}
