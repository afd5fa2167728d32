/**
 * The JSON of one batch point, `[ts,value]`, written by hand so that Node and Espruino print
 * exactly the same bytes (the request's Content-Length is computed before the body is streamed,
 * and the simulation must predict the device).
 *
 * - Integers (|v| < 2^53) print in full.
 * - Other numbers print as the shortest decimal that reads back as the stored value: as a
 *   float32 when the value is exactly a float32 (the store's compact Double encoding; 6 to 9
 *   significant digits, so a stored 23.45 prints `23.45`), else as a double (12 to 15 digits).
 *   `JSON.stringify` cannot be used: a float32 23.45 is 23.450000762939453 in Node but
 *   23.45000076293 on Espruino.
 * - Booleans print as `true`/`false`, a Location as `[lon,lat]`.
 * - Strings are JSON-escaped and encoded to UTF-8 as a byte string (one char per byte), so the
 *   string's length IS its length on the wire (Espruino sends a string's chars as bytes). The
 *   store hands strings back as text (codec/value.ts utf8Decode): UTF-16 on Node, code points
 *   on Espruino's Unicode builds, so every char >= 0x80 is a code point to encode and a lone
 *   surrogate becomes U+FFFD. On a byte-string build the store hands back the UTF-8 bytes
 *   themselves: those sequences are copied as they are (docs/text.md). ASCII is copied with
 *   fromCharCode, not charAt, so no piece of the body is ever a Unicode string (appending one
 *   would turn the whole body into one and re-encode its bytes).
 */

import type { ReadingValue } from "../types.ts";

/** Significant digits tried for a float32 (9 always read back exactly). */
const SIG_FLOAT32 = 6;
const SIG_FLOAT32_MAX = 9;
/** For a double: Espruino's own 12, up to 15 (integers past 2^53 would not print exactly). */
const SIG_DOUBLE = 12;
const SIG_DOUBLE_MAX = 15;
const MAX_EXACT_INT = 9007199254740992;
const HEX = "0123456789abcdef";

/**
 * A reading's number as it goes on the wire (see the module doc): an integer below 2^53 in
 * full; else the shortest decimal of 6 to 9 significant digits that reads back as the same
 * float32 when `v` is exactly a float32, or of 12 to 15 that reads back as `v`, else the most
 * digits. Positional notation for exponents -7..20, else `d.ddde±N`. Non-finite numbers print
 * `null`. Only IEEE arithmetic is used (integers below 2^53, powers of ten and two built by
 * multiplication, one multiply or divide), so every IEEE engine prints the same text; within
 * 10^±22 the powers are exact and the digits correctly rounded, beyond it the last digit may be
 * off by one. One function (its steps inline, its helpers made while it runs): each function or
 * table at the level of a part that formats points costs JsVars while a flush runs.
 */
export function formatNumber(v: number): string {
  if (v === Math.floor(v) && v < MAX_EXACT_INT && v > -MAX_EXACT_INT) return v === 0 ? "0" : String(v);
  if (v !== v || v === Infinity || v === -Infinity) return "null";
  /**
   * 10^e as a double: exact for |e| <= 22 (each partial product 10^i = 2^i * 5^i, with 5^22 <
   * 2^53, is an exact double); beyond, that times (or over) 10^22 once per 22. Multiplied out at
   * each call rather than kept in a table: a table of 23 doubles held 13 JsVars in every part
   * that formats points, at the flush's peak (docs/memory.md, session 19).
   */
  const p10 = (e: number): number => {
    let k = 0;
    while (e > 22) {
      e -= 22;
      k++;
    }
    while (e < -22) {
      e += 22;
      k--;
    }
    let r = 1;
    for (let i = e < 0 ? -e : e; i > 0; i--) r *= 10;
    if (e < 0) r = 1 / r;
    if (k !== 0) {
      let t = 1;
      for (let i = 0; i < 22; i++) t *= 10;
      for (; k > 0; k--) r = t * r;
      for (; k < 0; k++) r = r / t;
    }
    return r;
  };
  /**
   * x >= 0 rounded to the nearest float32 (ties to even), as Math.fround does, which Espruino
   * lacks: by scaling with exact powers of two, without a typed array (a Float32Array brings its
   * class into the interpreter's root for good, a DataView scratch held 10 JsVars in each part).
   */
  const f32 = (x: number): number => {
    if (x === 0) return 0;
    // p = 2^e <= x < 2^(e+1)
    let p = 1;
    let e = 0;
    while (p * 2 <= x && e < 1024) {
      p *= 2;
      e++;
    }
    while (p > x) {
      p /= 2;
      e--;
    }
    // The float32 step at x: 2^(e-23), and 2^-149 for the subnormals (below 2^-126).
    for (; e < -126; e++) p *= 2;
    const q = p / 8388608;
    const m = x / q;
    let r = Math.floor(m);
    const d = m - r;
    if (d > 0.5 || (d === 0.5 && r % 2 === 1)) r++;
    // Past the largest float32 (2^128 - 2^104) it is infinite.
    return e > 127 || (e === 127 && r === 16777216) ? Infinity : r * q;
  };
  const neg = v < 0;
  const x = neg ? -v : v;
  const single = f32(x) === x;
  const minSig = single ? SIG_FLOAT32 : SIG_DOUBLE;
  const maxSig = single ? SIG_FLOAT32_MAX : SIG_DOUBLE_MAX;
  // Decimal exponent of x: the e with 10^e <= x < 10^(e+1), without Math.log10.
  let e0 = 0;
  if (x >= 1) {
    while (e0 < 308 && x >= p10(e0 + 1)) e0++;
  } else {
    while (e0 > -324 && x < p10(e0)) e0--;
  }
  // Past 10^±250 the scale factor overflows; no sensor reading lives there.
  if (e0 > 250 || e0 < -250) return String(v);
  let m = 0;
  let e = e0;
  for (let sig = minSig; sig <= maxSig; sig++) {
    // x scaled to an integer of `sig` digits (x * 10^(sig-1-e), rounded, with exact operands):
    // multiplying or dividing by an exact power of ten is correctly rounded on both interpreters;
    // Math.pow is not (V8 and newlib differ in the last bit).
    for (e = e0; ; e++) {
      const p = sig - 1 - e;
      m = Math.round(p >= 0 ? x * p10(p) : x / p10(-p));
      if (m < p10(sig) || e > e0) break;
    }
    // m * 10^-p back as a double, correctly rounded.
    const p = sig - 1 - e;
    let back = p >= 0 ? m / p10(p) : m * p10(-p);
    if (single) back = f32(back);
    if (back === x) break;
  }
  // The digits (trailing zeros stripped) and the exponent as text.
  let digits = String(m);
  let end = digits.length;
  while (end > 1 && digits.charAt(end - 1) === "0") end--;
  digits = digits.substring(0, end);
  let s: string;
  if (e >= -7 && e <= 20) {
    if (e < 0) {
      s = "0.";
      for (let i = -1; i > e; i--) s += "0";
      s += digits;
    } else if (digits.length > e + 1) {
      s = digits.substring(0, e + 1) + "." + digits.substring(e + 1);
    } else {
      s = digits;
      for (let i = digits.length; i < e + 1; i++) s += "0";
    }
  } else {
    s = digits.charAt(0) + (digits.length > 1 ? "." + digits.substring(1) : "") + "e" + (e < 0 ? "-" : "+") + String(e < 0 ? -e : e);
  }
  return neg ? "-" + s : s;
}

/** A JSON string literal as a UTF-8 byte string (see the module doc). */
export function formatString(s: string): string {
  const f = String.fromCharCode;
  let out = '"';
  const n = s.length;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i++);
    let cp = c;
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c < 0x20) {
      if (c === 10) out += "\\n";
      else if (c === 13) out += "\\r";
      else if (c === 9) out += "\\t";
      else out += "\\u00" + HEX.charAt(c >> 4) + HEX.charAt(c & 15);
    } else if (c < 0x80) out += s.charAt(i - 1);
    else {
      if (c >= 0xd800 && c <= 0xdbff && i < n) {
        const d = s.charCodeAt(i);
        if (d >= 0xdc00 && d <= 0xdfff) {
          cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
        } else cp = 0xfffd;
      } else if (c >= 0xd800 && c <= 0xdfff) cp = 0xfffd;
      // The UTF-8 bytes of code point cp.
      if (cp < 0x800) out += f(0xc0 | (cp >> 6), 0x80 | (cp & 63));
      else if (cp < 0x10000) out += f(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
      else out += f(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    }
  }
  return out + '"';
}

/** A reading's value as JSON. */
export function formatValue(v: ReadingValue): string {
  if (typeof v === "number") return formatNumber(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "string") return formatString(v);
  return "[" + formatNumber(v[0]) + "," + formatNumber(v[1]) + "]";
}

/** One batch point `[ts,value]`; `ts` is UTC epoch ms (a fraction is dropped). */
export function formatPoint(ts: number, v: ReadingValue): string {
  // formatValue's cases, not a call to it: one function fewer in the uplink part.
  const t = typeof v;
  return (
    "[" +
    String(Math.floor(ts)) +
    "," +
    (t === "number"
      ? formatNumber(v as number)
      : t === "boolean"
        ? v
          ? "true"
          : "false"
        : t === "string"
          ? formatString(v as string)
          : "[" + formatNumber((v as number[])[0]) + "," + formatNumber((v as number[])[1]) + "]") +
    "]"
  );
}
