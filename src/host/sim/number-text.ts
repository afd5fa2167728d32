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
