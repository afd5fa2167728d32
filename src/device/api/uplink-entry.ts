/**
 * The uplink's entry point as the firmware gives it to each instance: resident, so that the
 * instance does not hold the control part (src/device/parts/uplink.ts) between its uses, above
 * all while a body streams (docs/memory.md, twelfth round).
 */
import { U_IDLE, U_SETTLED, type UplinkOp } from "../uplink/ops.ts";
import { DUE, HELD, SENDING, type Run } from "../uplink/state.ts";

/**
 * Runs entry point `op` of the uplink it is called on (`this`, or `self` from a timer):
 * `U_SETTLED` and `U_IDLE`, asked every half second while an uplink lives, from its fields; the
 * others by the control part's `ctl`, the instance's own where the board keeps it, else loaded
 * for this call.
 * @throws what `ctl` throws (a malformed token for `U_TOKEN`).
 */
export function uplinkEntry(this: Run, op: UplinkOp, arg?: unknown, self?: Run): unknown {
  const u = self || this;
  const ph = u._phase;
  if (op === U_SETTLED) return ph !== DUE && ph !== HELD && ph !== SENDING;
  if (op === U_IDLE) return ph !== SENDING && u._k.state === "idle";
  return (u._cp || u._code.load("uplink")).ctl.call(u, op, arg, u);
}
