/**
 * Numbers as Espruino writes them: a port of ftoa_bounded_extra (Espruino's src/jsutils.c),
 * which `print`, `String(n)`, `n.toString(radix)`, `toFixed`, `join` and `JSON.stringify` use
 * for every number that is not an int32. It is not shortest-round-trip: it writes up to 11
 * fractional digits by repeated multiplication (1/3 is `0.33333333333`), writes 1e21 as
 * `10e+20`, and `toFixed` truncates instead of rounding (`(2.5).toFixed(0)` is `2`).
 */

const STOP_AT_ERROR = 0.0000001;
const INT32_LIMIT = 2147483648;

function digit(v: number): string {
  return v < 10 ? String.fromCharCode(48 + v) : String.fromCharCode(97 + v - 10);
}

/**
 * `val` as Espruino writes it in `radix`, with `fractionalDigits` digits after the point
 * (toFixed) or, when negative, as many as it takes up to 11 (with an exponent past 1e21 or
 * below 1e-6 in radix 10).
 */
export function espruinoNumberText(val: number, radix = 10, fractionalDigits = -1): string {
  if (Number.isNaN(val)) return "NaN";
  if (!Number.isFinite(val)) return val < 0 ? "-Infinity" : "Infinity";
  if (Number.isInteger(val) && Math.abs(val) < INT32_LIMIT && fractionalDigits <= 0) {
    // An int32 is an integer JsVar in Espruino, printed by itostr.
    return (val === 0 ? 0 : val).toString(radix);
  }
  let s = "";
  if (val < 0) {
    s = "-";
    val = -val;
  }
  let exponent = 0;
  if (radix === 10 && val > 0 && fractionalDigits < 0) {
    if (val >= 1e21) {
      while (val > 100000) {
        val /= 100000;
        exponent += 5;
      }
      while (val > 10) {
        val /= 10;
        exponent++;
      }
    } else if (val < 1e-6) {
      while (val < 1e-5) {
        val *= 100000;
        exponent -= 5;
      }
      while (val < 1) {
        val *= 10;
        exponent--;
      }
    }
  }
  // "Really close to an integer": (JsVarInt) casts to int32, which x86-64 turns into INT_MIN
  // past its range, so the test never holds there.
  if (val + STOP_AT_ERROR < INT32_LIMIT && Math.trunc(val + STOP_AT_ERROR) === 1 + Math.trunc(val)) val = 1 + Math.trunc(val);
  let d = 1;
  while (d * radix <= val) d *= radix;
  while (d >= 1) {
    const v = Math.trunc(val / d);
    val -= v * d;
    s += digit(v);
    d /= radix;
  }
  if ((fractionalDigits < 0 && val > 0) || fractionalDigits > 0) {
    let hasPoint = false;
    val *= radix;
    while ((fractionalDigits < 0 && fractionalDigits > -12 && val > STOP_AT_ERROR) || fractionalDigits > 0) {
      let v = Math.trunc(val + (fractionalDigits === 1 ? 0.5 : 0.00000001));
      val = (val - v) * radix;
      if (v === radix) v = radix - 1;
      if (!hasPoint) {
        hasPoint = true;
        s += ".";
      }
      s += digit(v);
      fractionalDigits--;
    }
  }
  if (exponent) s += "e" + (exponent > 0 ? "+" : "") + exponent;
  return s;
}

/** `Number.prototype.toFixed` as Espruino has it: 0 to 20 digits, truncated. */
export function espruinoToFixed(val: number, digits: unknown): string {
  let n = Math.trunc(Number(digits) || 0);
  if (n < 0) n = 0;
  if (n > 20) n = 20;
  return espruinoNumberText(val, 10, n);
}

const WHITESPACE = /[\t\v\f \n\r]/;

function charDigit(ch: string | undefined): number {
  if (ch === undefined) return -1;
  const c = ch.charCodeAt(0);
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 122) return c - 87;
  if (c >= 65 && c <= 90) return c - 55;
  return -1;
}

/**
 * getRadix (jsutils.c): a leading `0` means octal unless the digits hold `.`, `8` or `9`;
 * `0x`, `0o`, `0b` pick their radix. Returns the radix and where the digits start.
 */
function radixOf(s: string, i: number): { radix: number; at: number } {
  if (s[i] !== "0") return { radix: 10, at: i };
  i++;
  const p = s[i];
  if (p === "o" || p === "O") return { radix: 8, at: i + 1 };
  if (p === "x" || p === "X") return { radix: 16, at: i + 1 };
  if (p === "b" || p === "B") return { radix: 2, at: i + 1 };
  let radix = 8;
  for (let j = i; j < s.length; j++) {
    if (s[j] === "." || s[j] === "8" || s[j] === "9") radix = 10;
    else if (s[j] < "0" || s[j] > "9") break;
  }
  return { radix, at: i };
}

/** Leading whitespace and one sign skipped, as both of Espruino's number parsers do. */
function skipSign(s: string): { negated: boolean; at: number } {
  let i = 0;
  while (i < s.length && WHITESPACE.test(s[i])) i++;
  if (s[i] === "-") return { negated: true, at: i + 1 };
  return { negated: false, at: s[i] === "+" ? i + 1 : i };
}

/**
 * stringToIntWithRadix (jsutils.c): leading whitespace and a sign skipped, digits accumulated
 * in a 64-bit integer that wraps past 2^63 (`parseInt('123456789012345678901')` is
 * -5670419503621182464 on Espruino). `radix` 0 detects it from the prefix. `end` is where the
 * digits stopped; `error` that there were none.
 */
export function espruinoStringToInt(s: string, radix = 0): { value: number; end: number; error: boolean } {
  const { negated, at: start } = skipSign(s);
  let i = start;
  if (!radix) ({ radix, at: i } = radixOf(s, i));
  let v = 0n;
  const r = BigInt(radix);
  for (;;) {
    const d = charDigit(s[i]);
    if (d < 0 || d >= radix) break;
    v = BigInt.asIntN(64, v * r + BigInt(d));
    i++;
  }
  if (negated) v = BigInt.asIntN(64, -v);
  return { value: Number(v), end: i, error: i === start };
}

/**
 * stringToFloatWithRadix (jsutils.c), which Espruino's `parseFloat`, `Number(string)` and
 * JSON.parse use: digits accumulated in a double (`v*10 + d`, then `mul/10` steps for the
 * fraction, then one `*10` or `/10` per exponent step), so it is not correctly rounded
 * (`parseFloat('1.7976931348623157e308') !== Number.MAX_VALUE`). A radix prefix counts
 * (`0x10` is 16). `end` is where the number stopped; the value is NaN when nothing was read.
 */
export function espruinoStringToFloat(s: string): { value: number; end: number } {
  const { negated, at: start } = skipSign(s);
  let i = start;
  const { radix, at } = radixOf(s, i);
  i = at;
  let v = 0;
  let mul = 0.1;
  for (;;) {
    const d = charDigit(s[i]);
    if (d < 0 || d >= radix) break;
    v = v * radix + d;
    i++;
  }
  if (radix === 10) {
    if (s[i] === ".") {
      i++;
      while (s[i] >= "0" && s[i] <= "9") {
        v += mul * (s.charCodeAt(i) - 48);
        mul /= 10;
        i++;
      }
    }
    if (s[i] === "e" || s[i] === "E") {
      i++;
      let eNeg = false;
      if (s[i] === "-" || s[i] === "+") {
        eNeg = s[i] === "-";
        i++;
      }
      let e = 0;
      while (s[i] >= "0" && s[i] <= "9") {
        e = e * 10 + (s.charCodeAt(i) - 48);
        i++;
      }
      if (eNeg) e = -e;
      for (; e > 0; e--) v *= 10;
      for (; e < 0; e++) v /= 10;
    }
  }
  if (i === start || (s[start] === "." && i === start + 1)) return { value: NaN, end: i };
  return { value: negated ? -v : v, end: i };
}

/** jswrap_parseFloat: "Infinity" and "-Infinity" by name, else stringToFloat's prefix. */
export function espruinoParseFloat(s: string): number {
  if (s === "Infinity") return Infinity;
  if (s === "-Infinity") return -Infinity;
  return espruinoStringToFloat(s).value;
}

/** jswrap_parseInt: `0x` picks radix 16 when none (or 16) is given, else radix 10. */
export function espruinoParseInt(s: string, radix: number): number {
  if ((!radix || radix === 16) && s[0] === "0" && (s[1] === "x" || s[1] === "X")) {
    radix = 16;
    s = s.slice(2);
  }
  const r = espruinoStringToInt(s, radix || 10);
  return r.error ? NaN : r.value;
}

/**
 * A string as a number (jsvGetFloat): "" is 0, the whole text must be a number (no trailing
 * whitespace: `Number(' 7 ')` is NaN), a radix prefix counts.
 */
export function espruinoStringToNumber(s: string): number {
  if (s === "") return 0;
  if (s === "Infinity") return Infinity;
  if (s === "-Infinity") return -Infinity;
  const r = espruinoStringToFloat(s);
  return r.end === s.length ? r.value : NaN;
}
