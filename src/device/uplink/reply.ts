/** Sorting Blynk's replies to a batch upload into what the uplink does about each. */

/** What to do after a reply (or a failure to get one). */
export type ReplyAction =
  | "ok" // 200: mark delivered
  | "redirect" // 308: the same POST at Location
  | "stop-token" // Invalid token.: stop, keep everything
  | "bad-pin" // the server does not know the pin: set its readings aside
  | "too-big" // batch over the server's point or size limit: halve
  | "quota" // the daily point quota is used up: pause until the next UTC day
  | "reject" // a 400 about the content: split the batch to find the bad reading
  | "retry"; // 429, 5xx, connection errors, timeouts, anything else: back off

/** The message of a Blynk error body `{"error":{"message":"..."}}`, else the body itself (trimmed, bounded). */
export function replyMessage(body: string): string {
  let msg = body;
  try {
    const j = JSON.parse(body);
    if (j && j.error && typeof j.error.message === "string") msg = j.error.message;
    else if (j && typeof j.message === "string") msg = j.message;
  } catch (e) {
    // not JSON: keep the text
  }
  msg = String(msg).trim();
  return msg.length > 120 ? msg.substring(0, 120) : msg;
}

function has(s: string, part: string): boolean {
  return s.indexOf(part) >= 0;
}

/**
 * Classifies a reply. `status` 0 means no reply (connection error, timeout).
 * Blynk documents only 200 and 400 with a message; the quota reply is not documented, so any
 * 400 or 429 that talks about a quota or a daily limit counts as one.
 */
export function classifyReply(status: number, message: string): ReplyAction {
  if (status === 200) return "ok";
  if (status === 301 || status === 302 || status === 307 || status === 308) return "redirect";
  const m = message.toLowerCase();
  if ((status === 400 || status === 429 || status === 403) && (has(m, "quota") || has(m, "daily") || has(m, "per day"))) return "quota";
  if (status === 413) return "too-big";
  if (status !== 400) return "retry";
  if (has(m, "invalid token")) return "stop-token";
  if (has(m, "wrong pin") || has(m, "no datastream")) return "bad-pin";
  if (has(m, "too much data") || has(m, "too large") || has(m, "too big")) return "too-big";
  // The request's fault, not the readings' (a body the server could not parse, a header):
  // splitting would end by dropping every reading, so back off and retry instead.
  if (has(m, "content type") || has(m, "json") || has(m, "malformed") || has(m, "parse")) return "retry";
  return "reject";
}
