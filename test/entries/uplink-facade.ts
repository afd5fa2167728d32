// @ts-nocheck: compiled for the simulated Espruino with the test entries.
// The uplink's entry points by name over its one `ctl` (src/device/uplink/control.ts), for the
// test entries and the harness's REPL lines: test code only, the firmware calls `ctl` itself.
import * as O from "../../src/device/uplink/ops.ts";
import { uplinkStatus } from "../../src/device/uplink/status.ts";

export function named(u) {
  return {
    ctl: (op, arg) => u.ctl(op, arg),
    start: () => u.ctl(O.U_START),
    resume: () => u.ctl(O.U_RESUME),
    linkChanged: (up) => u.ctl(O.U_LINK, up),
    stop: () => u.ctl(O.U_STOP),
    notifyAppended: () => u.ctl(O.U_APPENDED),
    notifyClockChanged: () => u.ctl(O.U_CLOCK),
    flushNow: () => u.ctl(O.U_FLUSH),
    setToken: (token) => u.ctl(O.U_TOKEN, token),
    status: () => uplinkStatus(u),
    isIdle: () => u.ctl(O.U_IDLE),
    isSettled: () => u.ctl(O.U_SETTLED),
  };
}
