/**
 * The uplink's entry point as the firmware gives it to each instance: resident, so that neither
 * the instance nor its timers hold a part of the uplink's code (src/device/parts/uplink.ts,
 * reply.ts, stream.ts) between its uses (docs/memory.md, twelfth round).
 */
import { U_CHECK, U_IDLE, U_PICK, U_REPLY, U_SETTLED, type UplinkOp } from "../uplink/ops.ts";
import type { SpoolState } from "./spool-state.ts";
import type { Exchange } from "../uplink/state.ts";
import { DUE, HELD, SENDING, type Run } from "../uplink/state.ts";

/**
 * Runs entry point `op` of the uplink it is called on (`this`, or `self` from a timer), or the
 * owner's check `U_CHECK` (the state as `arg`):
 * `U_SETTLED` and `U_IDLE`, asked every half second while an uplink lives, from its fields;
 * `U_REPLY` by the reply part's `settle`, `U_PICK` by the pick part's `pickTask`; the others by
 * the control part's `ctl`. Each part is the instance's own where the board keeps it, else
 * loaded for this call.
 * @throws what `ctl` throws (a malformed token for `U_TOKEN`).
 */
export function uplinkEntry(this: Run, op: UplinkOp, arg?: unknown, self?: Run): unknown {
  if (op === U_CHECK) {
    // The owner's interval (spool.ts _liveUplink), called with its state: the uplink it holds now.
    const S = arg as SpoolState;
    if (S._uplink && !S._uplink.ctl(U_SETTLED)) return;
    // Deleted, not set to undefined: a property left costs a JsVar for good.
    delete S._uplink;
    delete S._store.held;
    S._hal.clearInterval(S._uplinkCheck!);
    delete S._uplinkCheck;
    return;
  }
  const u = self || this;
  const ph = u._phase;
  if (op === U_SETTLED) return ph !== DUE && ph !== HELD && ph !== SENDING;
  if (op === U_IDLE) return ph !== SENDING && u._k.state === "idle";
  if (op === U_REPLY) return (u._rp || u._code.load("reply")).settle(u, arg as Exchange);
  if (op === U_PICK) return (u._pp || u._code.load("pick")).pickTask(u);
  return (u._cp || u._code.load("uplink")).ctl.call(u, op, arg, u);
}
