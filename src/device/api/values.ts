/** Checks a value against its datastream's type before it is stored. */
import { MAX_STRING_BYTES } from "../types.ts";
import type { DatastreamType, ReadingValue } from "../types.ts";
import { describe } from "./config.ts";
import { utf8Encode } from "../codec/value.ts";

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** UTF-8 length of `s` as the store will write it (codec/value.ts utf8Encode). */
export function utf8Length(s: string): number {
  return utf8Encode(s);
}

function bad(pin: number, type: string, what: string, got: any): never {
  const an = type === "integer" || type === "enum" ? " is an " : " is a ";
  throw new Error("spool.record: V" + pin + an + type + " datastream: value must be " + what + " (got " + describe(got) + ")");
}

function finiteNumber(v: any, pin: number, type: string, what: string): number {
  if (typeof v !== "number") bad(pin, type, what, v);
  if (!isFinite(v)) bad(pin, type, what + "; NaN and Infinity cannot be sent", v);
  return v;
}

/**
 * The value to store for `pin`, checked against the datastream `type`.
 *
 * Locations are `[lon, lat]` (Blynk's order) or `{lon, lat}`; booleans are true/false.
 * @throws Error naming the pin, its type and what would be valid.
 */
export function checkValue(pin: number, type: DatastreamType, v: any): ReadingValue {
  if (type === "double") return finiteNumber(v, pin, type, "a finite number");
  if (type === "integer" || type === "enum") {
    const what = type === "enum" ? "an integer (the enum's value)" : "an integer " + INT32_MIN + ".." + INT32_MAX;
    finiteNumber(v, pin, type, what);
    if (Math.floor(v) !== v || v < INT32_MIN || v > INT32_MAX) bad(pin, type, what, v);
    return v;
  }
  if (type === "boolean") {
    if (v !== true && v !== false) bad(pin, type, "true or false", v);
    return v;
  }
  if (type === "string") {
    if (typeof v !== "string") bad(pin, type, "a string", v);
    // Every character is at least one byte: a long string needs no counting.
    const len = v.length > MAX_STRING_BYTES ? -1 : utf8Length(v);
    if (len < 0 || len > MAX_STRING_BYTES) {
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
    return v;
  }
  // location
  let lon: any;
  let lat: any;
  if (Array.isArray(v) && v.length === 2) {
    lon = v[0];
    lat = v[1];
  } else if (typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 2 && "lon" in v && "lat" in v) {
    lon = v.lon;
    lat = v.lat;
  } else bad(pin, type, "[lon, lat] or {lon, lat}", v);
  if (typeof lon !== "number" || !isFinite(lon) || lon < -180 || lon > 180) bad(pin, type, "[lon, lat] with lon a number -180..180", v);
  if (typeof lat !== "number" || !isFinite(lat) || lat < -90 || lat > 90)
    bad(pin, type, "[lon, lat] with lat a number -90..90 (longitude comes first)", v);
  return [lon, lat];
}
