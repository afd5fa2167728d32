/** The uplink's status (`ctl(U_STATUS)`): in both control and reply parts, so that neither loads the other for it. */
import { maskToken } from "./mask.ts";
import type { Run } from "./state.ts";
import { PLAIN_HTTP_WARNING, type UplinkStatus } from "./uplink.ts";

/** What uplink `u` reports. */
export function statusOf(u: Run): UplinkStatus {
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
    quotaDaily: u._daily,
    requests: k.requests,
    pointsDelivered: k.delivered,
    bytesSent: k.bytesSent,
    maxPointsPerRequest: k.maxPoints,
    batchLimit: k.window,
    requestsToday: u._q[3],
    requestsPerDay: u._perDay,
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
