/**
 * Sorting Blynk's replies to a batch upload into what the uplink does about each. Only what
 * Blynk documents is recognised by its wording; everything else is the server's state, to wait
 * out with the readings kept (docs/uplink.md, "Replies").
 */

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

/** The message of a Blynk error body `{"error":{"message":"..."}}`, else the body itself (trimmed, bounded). */
export function replyMessage(body: string): string {
  let msg = body;
  try {
    const j = JSON.parse(body);
    if (j && j.error && typeof j.error.message === "string") msg = j.error.message;
    else if (j && typeof j.message === "string") msg = j.message;
  } catch (_e) {
    // not JSON: keep the text
  }
  msg = String(msg).trim();
  return msg.length > 120 ? msg.substring(0, 120) : msg;
}

function has(s: string, part: string): boolean {
  // Checked against the end: Espruino 2v29's String.indexOf also answers where only the start of
  // `part` meets the end of `s` (docs/target-espruino.md).
  const i = s.indexOf(part);
  return i >= 0 && i + part.length <= s.length;
}

/**
 * Classifies a reply; `status` 0 means no reply (connection error, timeout). The quota reply
 * is not documented: a 400, 403 or 429 that talks about a quota or a daily limit counts as one,
 * any other wording falls to "unknown" or "server" and is waited out all the same.
 */
export function classifyReply(status: number, message: string): ReplyAction {
  if (status === 0) return "lost";
  if (status === 200) return "ok";
  if (status === 301 || status === 302 || status === 307 || status === 308) return "redirect";
  const m = message.toLowerCase();
  if ((status === 400 || status === 429 || status === 403) && (has(m, "quota") || has(m, "daily") || has(m, "per day"))) return "quota";
  if (status === 413) return "too-big";
  if (status !== 400) return "server";
  if (has(m, "invalid token")) return "stop-token";
  if (has(m, "wrong pin format") || has(m, "no datastream setup")) return "bad-pin";
  if (has(m, "too much data")) return "too-big";
  return "unknown";
}

/** The message of a thrown value, for the status and the log. */
export function errText(e: unknown): string {
  if (e && typeof e === "object" && (e as { message?: unknown }).message) return String((e as { message: unknown }).message);
  return String(e);
}
