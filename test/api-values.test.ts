import test from "ava";
import { checkValue, utf8Encode } from "../src/device/codec/value.ts";

test("good values of every type are accepted and normalised", (t) => {
  t.is(checkValue(1, "integer", -2147483648), -2147483648);
  t.is(checkValue(1, "integer", 2147483647), 2147483647);
  t.is(checkValue(1, "double", 36.6), 36.6);
  t.is(checkValue(1, "double", -1e300), -1e300);
  t.is(checkValue(1, "boolean", false), false);
  t.is(checkValue(1, "enum", 3), 3);
  t.is(checkValue(1, "string", ""), "");
  t.is(checkValue(1, "string", "é".repeat(512)), "é".repeat(512), "exactly 1024 bytes");
  t.deepEqual(checkValue(1, "location", [13.4, 52.5]), [13.4, 52.5]);
  t.deepEqual(checkValue(1, "location", { lat: 52.5, lon: 13.4 }), [13.4, 52.5], "object form becomes [lon, lat]");
});

test("utf8Encode counts like Buffer.byteLength", (t) => {
  for (const s of ["", "abc", "é", "€", "😀", "a😀é€", "\u07ff\u0800"]) t.is(utf8Encode(s), Buffer.byteLength(s), s);
});

const BAD: Array<[string, Parameters<typeof checkValue>[1], unknown, RegExp]> = [
  ["NaN double", "double", NaN, /V7 is a double datastream: value must be a finite number; NaN and Infinity cannot be sent \(got NaN\)/],
  ["Infinity double", "double", Infinity, /\(got Infinity\)/],
  ["-Infinity integer", "integer", -Infinity, /\(got -Infinity\)/],
  ["string as double", "double", "36.6", /must be a finite number \(got "36\.6"\)/],
  ["undefined double", "double", undefined, /\(got nothing\)/],
  ["fraction as integer", "integer", 1.5, /V7 is an integer datastream: value must be an integer -2147483648\.\.2147483647 \(got 1\.5\)/],
  ["integer over int32", "integer", 2147483648, /\(got 2147483648\)/],
  ["boolean as integer", "integer", true, /\(got true\)/],
  ["fraction as enum", "enum", 2.5, /enum datastream: value must be an integer \(the enum's value\)/],
  ["1 as boolean", "boolean", 1, /boolean datastream: value must be true or false \(got 1\)/],
  ["'true' as boolean", "boolean", "true", /\(got "true"\)/],
  ["number as string", "string", 5, /string datastream: value must be a string \(got 5\)/],
  ["string over 1024 chars", "string", "x".repeat(1025), /at most 1024 bytes of UTF-8 \(got 1025 characters\)/],
  ["string over 1024 bytes", "string", "é".repeat(513), /at most 1024 bytes of UTF-8 \(got 1026 bytes\)/],
  ["location not an array", "location", 13.4, /location datastream: value must be \[lon, lat\] or \{lon, lat\}/],
  ["location of 3 numbers", "location", [1, 2, 3], /must be \[lon, lat\] or \{lon, lat\}/],
  ["location lon out of range", "location", [200, 10], /lon a number -180\.\.180/],
  ["location lat out of range (swapped)", "location", [13.4, 152.5], /lat a number -90\.\.90 \(longitude comes first\)/],
  ["location with NaN", "location", [NaN, 1], /lon a number/],
  ["location with a string", "location", ["13.4", 52.5], /lon a number/],
  ["location object with extra keys", "location", { lat: 1, lon: 2, alt: 3 }, /\[lon, lat\] or \{lon, lat\}/],
];

test(`${BAD.length} kinds of bad value: each names the pin, the type and what is valid`, (t) => {
  for (const [what, type, value, re] of BAD) {
    const err = t.throws(() => checkValue(7, type, value), undefined, what);
    t.regex(err!.message, /^spool\.record: V7 is an? /, what);
    t.regex(err!.message, re, what);
  }
});
