/**
 * Pins and values as Blynk's device API takes them: pin names `V0`..`V255` (or `v1`), and a
 * value per datastream type, from JSON (timestamped batch) or from a query string.
 */
import type { DatastreamType } from "./options.ts";

export const MAX_PIN = 255;
export const MAX_STRING_BYTES = 1024;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const PIN_RE = /^[vV](0|[1-9][0-9]{0,2})$/;
const INTEGER_TEXT_RE = /^-?(0|[1-9][0-9]*)$/;
const NUMBER_TEXT_RE = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

/** The datastream as the value checks need it. */
export interface Datastream {
  pin: number;
  type: DatastreamType;
  min: number | null;
  max: number | null;
  values: number[] | null;
}

/** A stored value: a number (integer, double, enum, boolean as 0/1), a string, or [lon, lat]. */
export type StoredValue = number | string | [number, number];

/** `V7` / `v7` -> 7; anything else (V256, V01, 7, "") -> undefined. */
export function parsePin(text: string | null | undefined): number | undefined {
  if (typeof text !== "string") return undefined;
  const m = PIN_RE.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  return n <= MAX_PIN ? n : undefined;
}

/** Pin number from config: 7, "V7" or "v7". */
export function configPin(pin: string | number): number {
  return typeof pin === "number" ? pin : (parsePin(pin) as number);
}

function isInt32(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX;
}

function clamp(ds: Datastream, v: number): number {
  if (ds.min !== null && v < ds.min) return ds.min;
  if (ds.max !== null && v > ds.max) return ds.max;
  return v;
}

/** Result of a value check: the value to store and whether it was clamped, or undefined when it does not match. */
export interface Checked {
  value: StoredValue;
  clamped: boolean;
}

function numeric(ds: Datastream, v: number): Checked {
  const c = clamp(ds, v);
  return { value: c, clamped: c !== v };
}

/**
 * Checks a JSON value against the datastream type. Booleans take true/false and also 0/1
 * (stored as 0/1). Integer and enum take int32; double any finite number; string at most 1024
 * UTF-8 bytes; location `[lon, lat]` within ±180 / ±90.
 */
export function checkJsonValue(ds: Datastream, v: unknown): Checked | undefined {
  switch (ds.type) {
    case "integer":
      return isInt32(v) ? numeric(ds, v) : undefined;
    case "double":
      return typeof v === "number" && Number.isFinite(v) ? numeric(ds, v) : undefined;
    case "boolean":
      if (v === true || v === 1) return { value: 1, clamped: false };
      if (v === false || v === 0) return { value: 0, clamped: false };
      return undefined;
    case "enum":
      if (!isInt32(v)) return undefined;
      if (ds.values && !ds.values.includes(v)) return undefined;
      return { value: v, clamped: false };
    case "string":
      return typeof v === "string" && Buffer.byteLength(v, "utf8") <= MAX_STRING_BYTES ? { value: v, clamped: false } : undefined;
    case "location": {
      if (!Array.isArray(v) || v.length !== 2) return undefined;
      const [lon, lat] = v;
      if (typeof lon !== "number" || typeof lat !== "number") return undefined;
      if (!(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90)) return undefined;
      return { value: [lon, lat], clamped: false };
    }
  }
}

/**
 * Checks query-string values (`V1=42`; a location as `V1=lon&V1=lat` or `V1=lon,lat`).
 * Numbers must be plain decimal text; booleans `true`/`false`/`1`/`0`.
 */
export function checkTextValue(ds: Datastream, texts: string[]): Checked | undefined {
  if (ds.type === "location") {
    const parts = texts.length === 1 ? texts[0].split(",") : texts;
    if (parts.length !== 2 || !parts.every((p) => NUMBER_TEXT_RE.test(p.trim()))) return undefined;
    return checkJsonValue(
      ds,
      parts.map((p) => Number(p.trim())),
    );
  }
  if (texts.length !== 1) return undefined;
  const t = texts[0];
  switch (ds.type) {
    case "integer":
    case "enum":
      return INTEGER_TEXT_RE.test(t) ? checkJsonValue(ds, Number(t)) : undefined;
    case "double":
      return NUMBER_TEXT_RE.test(t) ? checkJsonValue(ds, Number(t)) : undefined;
    case "boolean":
      if (t === "true" || t === "1") return { value: 1, clamped: false };
      if (t === "false" || t === "0") return { value: 0, clamped: false };
      return undefined;
    case "string":
      return checkJsonValue(ds, t);
  }
}

/** The stored value as JSON for the read endpoints: doubles keep a `.0` as in Blynk's `{"v1":1.0}`. */
export function valueJson(type: DatastreamType, v: StoredValue): string {
  if (type === "double" && typeof v === "number" && Number.isInteger(v)) return v.toFixed(1);
  if (type === "boolean") return v ? "true" : "false";
  return JSON.stringify(v);
}

/** The stored value as the bare text /get answers for a single pin. */
export function valueText(type: DatastreamType, v: StoredValue): string {
  if (typeof v === "string") return v;
  if (type === "location") return (v as [number, number]).join(",");
  return valueJson(type, v);
}
