/**
 * A living uplink's status, read from its fields. Built by whoever asks (the report part's
 * `spool.status()`), not by the control part: a question asked during a flush on a board that
 * loads each phase's code would otherwise load the control part beside the phase's own
 * (docs/memory.md, thirteenth round).
 */
import { maskToken } from "./mask.ts";
import type { Run } from "./state.ts";
import { CF_DAILY, CF_PER_DAY } from "./state.ts";
import { PLAIN_HTTP_WARNING, type Uplink, type UplinkStatus } from "./uplink.ts";

/** The status of uplink `up` (an instance the firmware or `createUplink` made). */
export function uplinkStatus(up: Uplink): UplinkStatus {
  const u = up as Run;
  const k = u._k;
  const s: UplinkStatus = {
    state: k.state,
    token: maskToken(k.token),
    scheme: k.target.scheme,
    host: k.target.host,
    port: k.target.port,
    lastReply: k.lastReply,
    backoffMs: k.backoffMs,
    nextAttemptAt: u._nextAt,
    quotaUsed: u._q[1],
    quotaDaily: u._cf[CF_DAILY],
    requests: k.requests,
    pointsDelivered: k.delivered,
    bytesSent: k.bytesSent,
    maxPointsPerRequest: k.maxPoints,
    batchLimit: k.window,
    requestsToday: u._q[3],
    requestsPerDay: u._cf[CF_PER_DAY],
    badPins: k.badPins.slice(),
    waitingForTime: k.waiting,
    dropped: {
      tooOld: k.dropped.tooOld,
      rejected: k.dropped.rejected,
      badPin: k.dropped.badPin,
      unresolvedTime: k.dropped.unresolvedTime,
    },
    maxPieceBytes: k.maxPieceBytes,
  };
  if (k.hint) s.hint = k.hint;
  if (k.target.scheme === "http") s.warning = PLAIN_HTTP_WARNING;
  return s;
}
