/**
 * Starting the uplink afresh: part code (the apply part for a changed token, host, limits or
 * flush delay; the report part after an erase), so that it is not a resident function.
 */
import type { SpoolState } from "./spool-state.ts";

/** Drops the uplink and what it kept between instances; makes a new one while running. */
export function restartUplink(S: SpoolState): void {
  if (S._uplink) S._uplink.stop();
  S._uplink = undefined;
  S._store.held = undefined;
  S._uplinkKeep = {};
  if (S._running) S._liveUplink(true);
}
