/**
 * Values: the one module that checks and normalises a Blynk value against its datastream type
 * (for `spool.record` and the store), and their encoding pieces: varints, UTF-8 (Espruino has
 * no E.encodeUTF8) and float32 rounding (no Math.fround).
 */
import type { DatastreamType, ReadingValue } from "../types.ts";
import { MAX_STRING_BYTES } from "../types.ts";

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
/** Largest magnitude stored as float32 before switching to float64 automatically. */
export const F32_MAX = 3.4e38;
/** Smallest non-zero magnitude stored as float32 (below it float32 loses digits). */
export const F32_MIN = 1e-30;

/** Bytes a varint of non-negative `v` (< 2^53) takes. */
export function varintSize(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Writes non-negative `v` (< 2^53) as a LEB128 varint at `o`; returns the offset after it. */
export function putVarint(b: Uint8Array, o: number, v: number): number {
  while (v >= 128) {
    b[o++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  b[o++] = v;
  return o;
}

/**
 * True on an interpreter whose strings are bytes (Espruino built without Unicode support, as
 * board builds may be): `"\u20AC"` is then the one byte 0xAC. Node and Espruino's Unicode
 * builds give the code point. See docs/text.md.
 */
export const BYTE_STRINGS = "\u20ac".charCodeAt(0) !== 0x20ac;

/**
 * UTF-8 bytes of a JS string. UTF-16 surrogate pairs are joined; a code unit above 0xFFFF
 * (Espruino's Unicode builds return code points) is taken as a code point; a lone surrogate
 * becomes U+FFFD. On a byte-string build, text typed at the REPL or read from the network
 * arrives as its UTF-8 bytes: such sequences (2 to 4 bytes) are copied as they are, other chars
 * 0x80-0xFF are Latin-1. `out` may be omitted to only measure.
 * @returns the byte length.
 */
export function utf8Encode(s: string, out?: Uint8Array, at?: number): number {
  let o = at || 0;
  const start = o;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (BYTE_STRINGS && c >= 0x80) {
      // The length of the UTF-8 sequence of byte chars at s[i], or 0 when there is none: inline,
      // one function less resident (docs/memory.md).
      let n = c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
      if (i + n > s.length) n = 0;
      for (let k = 1; k < n; k++) {
        const t = s.charCodeAt(i + k);
        if (t < 0x80 || t > 0xbf) n = 0;
      }
      if (n > 0) {
        for (let k = 0; k < n; k++) if (out) out[o + k] = s.charCodeAt(i + k);
        o += n;
        i += n - 1;
        continue;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else c = 0xfffd;
    }
    if (c < 0x80) {
      if (out) out[o] = c;
      o += 1;
    } else if (c < 0x800) {
      if (out) {
        out[o] = 0xc0 | (c >> 6);
        out[o + 1] = 0x80 | (c & 63);
      }
      o += 2;
    } else if (c < 0x10000) {
      if (out) {
        out[o] = 0xe0 | (c >> 12);
        out[o + 1] = 0x80 | ((c >> 6) & 63);
        out[o + 2] = 0x80 | (c & 63);
      }
      o += 3;
    } else {
      if (out) {
        out[o] = 0xf0 | (c >> 18);
        out[o + 1] = 0x80 | ((c >> 12) & 63);
        out[o + 2] = 0x80 | ((c >> 6) & 63);
        out[o + 3] = 0x80 | (c & 63);
      }
      o += 4;
    }
  }
  return o - start;
}

/**
 * Decodes UTF-8 to a JS string that {@link utf8Encode} turns back into the same bytes; bad
 * sequences give U+FFFD.
 *
 * Espruino's `String.fromCharCode` keeps only the low byte of a code, so text cannot be built
 * char by char: on a byte-string build the bytes are the string; elsewhere the text is written
 * as a JSON literal with `\uXXXX` escapes (astral characters as surrogate pairs) and parsed,
 * which gives UTF-16 on Node and a UTF-8 string on Espruino's Unicode builds.
 */
export function utf8Decode(b: Uint8Array, from: number, to: number): string {
  let s = "";
  let i = from;
  if (BYTE_STRINGS) {
    for (; i < to; i++) s += String.fromCharCode(b[i]);
    return s;
  }
  let escaped = false;
  while (i < to) {
    const a = b[i];
    let c = 0xfffd;
    let n = 1;
    if (a < 0x80) c = a;
    else if (a >= 0xc2 && a < 0xe0 && i + 1 < to) {
      c = ((a & 31) << 6) | (b[i + 1] & 63);
      n = 2;
    } else if (a >= 0xe0 && a < 0xf0 && i + 2 < to) {
      c = ((a & 15) << 12) | ((b[i + 1] & 63) << 6) | (b[i + 2] & 63);
      n = 3;
    } else if (a >= 0xf0 && a < 0xf5 && i + 3 < to) {
      c = ((a & 7) << 18) | ((b[i + 1] & 63) << 12) | ((b[i + 2] & 63) << 6) | (b[i + 3] & 63);
      n = 4;
    }
    // A surrogate code point is not text (and Espruino's parser rejects it unpaired).
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    if (c >= 0x20 && c < 0x80 && c !== 0x22 && c !== 0x5c) s += String.fromCharCode(c);
    else {
      escaped = true;
      if (c >= 0x10000) {
        c -= 0x10000;
        // The pair in one number, the high surrogate in the low half: written first.
        c = (0xd800 + (c >> 10)) | ((0xdc00 + (c & 1023)) << 16);
      }
      // Four hex digits by Number's radix print (a hex table and its function would cost the
      // read part about 8 JsVars while a flush holds it).
      do {
        s += "\\u" + ((c & 0xffff) + 0x10000).toString(16).substring(1);
        c = c >>> 16;
      } while (c);
    }
    i += n;
  }
  return escaped ? JSON.parse('"' + s + '"') : s;
}

/**
 * The shortest decimal (6 to 9 significant digits) that is stored as the same float32: a
 * float32 read back from flash as 23.450000762939453 is returned as 23.45, and 100000.25 (an
 * exact float32) stays 100000.25. `view`: 4 bytes of scratch from offset 0 (the decoder passes the
 * store's append scratch: a DataView of its own held about 10 JsVars while a flush reads).
 */
export function roundFloat32(x: number, view: DataView): number {
  if (x === 0 || x !== x) return x;
  // x rounded to 6..9 significant digits, inline: a helper function would be one more of the read
  // part's functions while a flush holds it.
  const e = Math.floor(Math.log(Math.abs(x)) / Math.LN10);
  for (let digits = 6; digits <= 9; digits++) {
    const k = digits - 1 - e;
    let c = x;
    // Up to 1e22 the power of ten is exact and the division correctly rounded, so the result is
    // the double nearest to that decimal. Beyond, the decimal is parsed from its digits.
    if (k > 0 && k <= 22) {
      const p = Math.pow(10, k);
      c = Math.round(x * p) / p;
    } else if (k <= 0 && k >= -22) {
      const p = Math.pow(10, -k);
      c = Math.round(x / p) * p;
    } else if (k > 22 && k < 330) c = parseFloat(Math.round(x * Math.pow(10, k)) + "e-" + k);
    else if (k < -22 && k > -330) c = parseFloat(Math.round(x / Math.pow(10, -k)) + "e" + -k);
    view.setFloat32(0, c, true);
    if (view.getFloat32(0, true) === x) return c;
  }
  return x;
}

/** Per-pin datastream settings: the type, and for a double its precision (float32 by default). */
export interface DatastreamSettings {
  type: DatastreamType;
  precision?: "float32" | "float64";
}

/** A short, safe rendering of a rejected value for an error message. */
export function describe(v: any): string {
  if (v === undefined) return "nothing";
  if (typeof v === "number" && v !== v) return "NaN";
  if (v === Infinity || v === -Infinity) return String(v);
  if (typeof v === "function") return "a function";
  let s: string;
  try {
    s = JSON.stringify(v);
  } catch (_e) {
    s = String(v);
  }
  if (s === undefined) s = String(v);
  return s.length > 40 ? s.substr(0, 37) + "..." : s;
}

/**
 * The value to store for `pin`, checked against the datastream `type`: the one check of a
 * value, for `spool.record` and the store alike. The error text is built only on failure.
 *
 * Locations are `[lon, lat]` (Blynk's order) or `{lon, lat}` (returned as `[lon, lat]`);
 * booleans are true/false; strings at most MAX_STRING_BYTES of UTF-8 ({@link utf8Encode}).
 * @throws Error naming the pin, its type and what would be valid.
 */
export function checkValue(pin: number, type: DatastreamType, v: any): ReadingValue {
  // One throw for every kind (one function fewer resident): each branch returns the value or
  // says what it must be. The error text is built only on failure.
  let what: string;
  const int = type === "integer" || type === "enum";
  if (int || type === "double") {
    // v - v is NaN for NaN and both infinities, 0 for every finite number.
    if (typeof v === "number" && v - v === 0 && !(int && (v % 1 !== 0 || v < INT32_MIN || v > INT32_MAX))) return v;
    what = !int ? "a finite number" : type === "enum" ? "an integer (the enum's value)" : "an integer " + INT32_MIN + ".." + INT32_MAX;
    if (typeof v === "number" && v - v !== 0) what += "; NaN and Infinity cannot be sent";
  } else if (type === "boolean") {
    if (v === true || v === false) return v;
    what = "true or false";
  } else if (type === "string") {
    if (typeof v === "string") {
      // Every character is at least one byte: a long string needs no counting.
      const len = v.length > MAX_STRING_BYTES ? -1 : utf8Encode(v);
      if (len >= 0 && len <= MAX_STRING_BYTES) return v;
      const got = len < 0 ? v.length + " characters" : len + " bytes";
      throw new Error(
        "spool.record: V" +
          pin +
          " is a string datastream: value must be at most " +
          MAX_STRING_BYTES +
          " bytes of UTF-8 (got " +
          got +
          ")",
      );
    }
    what = "a string";
  } else if (type !== "location") {
    throw new Error(
      "datastream type of pin V" + pin + " must be one of integer, double, boolean, enum, string, location; got " + String(type),
    );
  } else {
    let lon: any;
    let lat: any;
    let shaped = true;
    if (Array.isArray(v) && v.length === 2) {
      lon = v[0];
      lat = v[1];
    } else if (typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 2 && "lon" in v && "lat" in v) {
      lon = v.lon;
      lat = v.lat;
    } else shaped = false;
    if (!shaped) what = "[lon, lat] or {lon, lat}";
    else if (typeof lon !== "number" || !isFinite(lon) || lon < -180 || lon > 180) what = "[lon, lat] with lon a number -180..180";
    else if (typeof lat !== "number" || !isFinite(lat) || lat < -90 || lat > 90)
      what = "[lon, lat] with lat a number -90..90 (longitude comes first)";
    else return [lon, lat];
  }
  const an = int ? " is an " : " is a ";
  throw new Error("spool.record: V" + pin + an + type + " datastream: value must be " + what + " (got " + describe(v) + ")");
}
