/** Longest error text kept for the status or quoted in a log line. */
const MAX_ERROR_CHARS = 120;

/** An error's message, cut to {@link MAX_ERROR_CHARS}. */
export function errorText(e: any): string {
  const s = e && e.message ? String(e.message) : String(e);
  return s.length > MAX_ERROR_CHARS ? s.substr(0, MAX_ERROR_CHARS - 3) + "..." : s;
}
