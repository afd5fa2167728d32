/**
 * A reply, or the failure to get one: sorted into what the uplink does about it. Only what
 * Blynk documents is recognised by its wording; everything else is the server's state, to wait
 * out with the readings kept (docs/uplink.md, "Replies").
 *
 * One function at the uplink part's level ({@link onReply}): its helpers are made while it runs.
 * Each function at the part's level costs about 5 JsVars for as long as an uplink exists, and
 * every reply of a flush comes here (docs/memory.md).
 */

import { Q_ADD, quota } from "./quota.ts";
import { rare } from "./rare.ts";
import { redactToken } from "./mask.ts";
import { IDLE, K_ATTEMPT, K_BACKOFF, K_DELIVERED, K_MAX_POINTS, K_WINDOW, setPhase } from "./state.ts";
import type { Exchange, Run } from "./state.ts";
import { header, nowUtc, schedule, setState } from "./uplink.ts";

/** What to do after a reply (or a failure to get one). */
export type ReplyAction =
  | "ok" // 200 (any body): mark delivered what was in the body
  | "redirect" // 301/302/307/308: the same POST at Location's host
  | "stop-token" // 400 Invalid token.: stop, keep everything
  | "bad-pin" // 400 Wrong pin format. / No datastream setup for that pin.: set the pin's readings aside
  | "too-big" // 400 Too much data in batch..., 413: halve the points per request
  | "quota" // a 400/403/429 that says "quota" or "daily": pause until the next UTC day
  | "unknown" // any other 400: the server's state, unless the reading is refused alone (isolation)
  | "server" // other statuses (401, 403, 404, 429, 5xx...): back off, keep
  | "lost"; // no reply (connection error, timeout): back off, and trust the link less

/** Points per request grow this many times per full 200 (slow start). */
const WINDOW_GROWTH = 4;

/**
 * Handles the outcome kept in exchange `x` of uplink `u` (stream.ts `finish`), from the entry
 * point's `U_REPLY` in a task of its own; nothing when the uplink stopped or began another
 * exchange since (the outcome is ignored, nothing is marked).
 */
export function settle(u: Run, x: Exchange): void {
  if (u._x !== x) return;
  u._x = undefined;
  setPhase(u, IDLE);
  onReply(u, x, x._code as number, x._msg as string, x._hdrs);
}

/**
 * Exchange `x` ended with status `code` (0: no reply, `raw` then says why), its bounded body
 * `raw` and its headers. An HTTP `Date` goes to the clock; the time probe's reply (no batch)
 * goes to the rare paths; an upload's is recorded, classified and acted on.
 *
 * The quota reply is not documented: a 400, 403 or 429 that talks about a quota or a daily limit
 * counts as one, any other wording falls to "unknown" or "server" and is waited out all the
 * same. After a reply the next step runs in a task of its own (schedule(u, 0)): run inside the
 * reply's task, the next request would be made while the last one, its response and its
 * handlers are still held by the stack.
 */
export function onReply(u: Run, x: Exchange, code: number, raw: string, headers: { [name: string]: string } | undefined): void {
  const k = u._k;
  const date = header(headers, "Date");
  const kp = u._res.keeper;
  if (date && kp) {
    try {
      if (u._code.load("date").apply(kp, date) && u._res.clockChanged) u._res.clockChanged();
    } catch (_e) {
      // a bad Date header is the clock's business
    }
  }
  const b = x._b;
  if (!b) {
    rare(u).probed(u, code, raw);
    return;
  }
  let msg = raw;
  // Only a body that may be a JSON object is parsed: a 200's empty body would throw, and the
  // interpreter makes SyntaxError's prototype (about 8 JsVars, kept for good) for the first error.
  if (code !== 0 && raw.trim().charAt(0) === "{") {
    // The message of a Blynk error body `{"error":{"message":"..."}}`, else the body itself.
    try {
      const j = JSON.parse(raw);
      if (j && j.error && typeof j.error.message === "string") msg = j.error.message;
      else if (j && typeof j.message === "string") msg = j.message;
    } catch (_e) {
      // not JSON: keep the text
    }
  }
  if (code !== 0) {
    msg = String(msg).trim();
    if (msg.length > 120) msg = msg.substring(0, 120);
  }
  msg = redactToken(msg, k.token);
  k.lastReply = { status: code, message: msg };
  const m = msg.toLowerCase();
  // Checked against the end: Espruino 2v29's String.indexOf also answers where only the start of
  // `part` meets the end of `m` (docs/target-espruino.md).
  const has = (part: string): boolean => {
    const i = m.indexOf(part);
    return i >= 0 && i + part.length <= m.length;
  };
  const action: ReplyAction =
    code === 0
      ? "lost"
      : code === 200
        ? "ok"
        : code === 301 || code === 302 || code === 307 || code === 308
          ? "redirect"
          : (code === 400 || code === 429 || code === 403) && (has("quota") || has("daily") || has("per day"))
            ? "quota"
            : code === 413
              ? "too-big"
              : code !== 400
                ? "server"
                : has("invalid token")
                  ? "stop-token"
                  : has("wrong pin format") || has("no datastream setup")
                    ? "bad-pin"
                    : has("too much data")
                      ? "too-big"
                      : "unknown";
  if (action !== "ok") u._hal.log("uplink: V" + b._pin + " " + b._count + " points: " + (code || "no reply") + " " + msg);
  if (action !== "stop-token") k.hint = undefined;
  if (action === "ok") {
    // Only what went into this body: the ring may have overwritten readings since pass 1,
    // and the cursor is the one witness of what the server received.
    if (b._sent > 0) u._store.markDelivered({ pin: b._pin, from: b._sentFrom, to: b._sentTo });
    const n = k.n;
    n[K_DELIVERED] += b._sent;
    quota(u._q, u._hal.storage, nowUtc(u), Q_ADD, b._sent);
    n[K_ATTEMPT] = 0;
    n[K_BACKOFF] = 0;
    // Slow start: a full request answered shows the link carries more.
    const w = n[K_WINDOW];
    const max = n[K_MAX_POINTS];
    if (b._count >= w && w < max) n[K_WINDOW] = w * WINDOW_GROWTH < max ? w * WINDOW_GROWTH : max;
    if (u._iso && u._iso._pin === b._pin) rare(u).isolationOk(u, b);
    schedule(u, 0);
  } else rare(u).reply(u, b, x._t!, action, headers, x._hops || 0);
}
