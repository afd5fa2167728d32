/** The message of a thrown value, for the status and the log. */
export function errText(e: unknown): string {
  if (e && typeof e === "object" && (e as { message?: unknown }).message) return String((e as { message: unknown }).message);
  return String(e);
}
