/**
 * Masks a Blynk auth token for anything a person or a log may see: the first and last 4
 * characters with `...` between (ASCII: not every Espruino build handles non-ASCII strings).
 * Tokens of 12 characters or fewer show only their last 2.
 */
export function maskToken(token: string): string {
  const t = String(token);
  if (t.length <= 12) return "..." + t.substring(t.length - 2);
  return t.substring(0, 4) + "..." + t.substring(t.length - 4);
}

/** `text` with every occurrence of `token` replaced by its mask (for server messages and errors). */
export function redactToken(text: string, token: string): string {
  if (!token) return text;
  const m = maskToken(token);
  let out = String(text);
  let i = out.indexOf(token);
  // Checked against the end: Espruino 2v29's String.indexOf also answers where only the token's
  // start meets the text's end (docs/target-espruino.md).
  while (i >= 0 && i + token.length <= out.length) {
    out = out.substring(0, i) + m + out.substring(i + token.length);
    i = out.indexOf(token, i + m.length);
  }
  return out;
}
