/**
 * A living uplink's status, read from its fields. Built by whoever asks (the report part's
 * `spool.status()`), not by the control part: a question asked during a flush on a board that
 * loads each phase's code would otherwise load the control part beside the phase's own
 * (docs/memory.md, thirteenth round).
 */
import { maskToken } from "./mask.ts";
import type { Run } from "./state.ts";
import {
  CF_DAILY,
  CF_PER_DAY,
  K_BACKOFF,
  K_BAD_PIN,
  K_BYTES_SENT,
  K_DELIVERED,
  K_MAX_PIECE,
  K_MAX_POINTS,
  K_REJECTED,
  K_REQUESTS,
  K_TOO_OLD,
  K_UNRESOLVED,
  K_WAITING,
  K_WINDOW,
} from "./state.ts";
import { PLAIN_HTTP_WARNING, type Uplink, type UplinkStatus } from "./uplink.ts";

/** The status of uplink `up` (an instance the firmware or `createUplink` made). */
export function uplinkStatus(up: Uplink): UplinkStatus {
  const u = up as Run;
  const k = u._k;
  const n = k.n;
  const s: UplinkStatus = {
    state: k.state,
    token: maskToken(k.token),
    scheme: k.target.scheme,
    host: k.target.host,
    port: k.target.port,
    lastReply: k.lastReply,
    backoffMs: n[K_BACKOFF],
    nextAttemptAt: u._nextAt,
    quotaUsed: u._q[1],
    quotaDaily: u._cf[CF_DAILY],
    requests: n[K_REQUESTS],
    pointsDelivered: n[K_DELIVERED],
    bytesSent: n[K_BYTES_SENT],
    maxPointsPerRequest: n[K_MAX_POINTS],
    batchLimit: n[K_WINDOW],
    requestsToday: u._q[3],
    requestsPerDay: u._cf[CF_PER_DAY],
    badPins: k.badPins ? k.badPins.slice() : [],
    waitingForTime: n[K_WAITING],
    dropped: {
      tooOld: n[K_TOO_OLD],
      rejected: n[K_REJECTED],
      badPin: n[K_BAD_PIN],
      unresolvedTime: n[K_UNRESOLVED],
    },
    maxPieceBytes: n[K_MAX_PIECE],
  };
  if (k.hint) s.hint = k.hint;
  if (k.target.scheme === "http") s.warning = PLAIN_HTTP_WARNING;
  return s;
}
