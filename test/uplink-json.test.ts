import test from "ava";
import fc from "fast-check";
import { formatPoint, formatValue } from "../src/device/uplink/json.ts";
import { maskToken, redactToken } from "../src/device/uplink/mask.ts";

test("a float32 value prints as the shortest decimal that reads back as the same float32", (t) => {
  t.is(formatValue(Math.fround(23.45)), "23.45");
  t.is(formatValue(Math.fround(0.1)), "0.1");
  t.is(formatValue(Math.fround(-1e-9)), "-1e-9");
  fc.assert(
    fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (f) => {
      const s = formatValue(f);
      t.true(Math.fround(JSON.parse(s)) === f || (f === 0 && JSON.parse(s) === 0), `${f} -> ${s}`);
      // Never longer than 9 significant digits plus sign, point and exponent.
      return Number.isInteger(f) || s.replace(/^-|\.|e.*$/g, "").replace(/^0+/, "").length <= 9;
    }),
    { numRuns: 3000 },
  );
});

test("a double prints with at most 15 significant digits, within half a unit of the 15th digit", (t) => {
  fc.assert(
    // Within 10^±20 every power of ten used is exact; past it the last digit may be off by one.
    fc.property(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e20, max: 1e20 }), (d) => {
      if (d !== 0 && Math.abs(d) < 1e-20) return true;
      const back = JSON.parse(formatValue(d));
      return d === 0 ? back === 0 : Math.abs(back - d) <= Math.abs(d) * 5e-15;
    }),
    { numRuns: 3000 },
  );
  t.is(formatValue(0.1 + 0.2), "0.3");
  t.is(formatValue(123456789.123), "123456789.123");
});

test("over the whole double range, a float32 prints in at most 9 digits and reads back as itself, any other double within its 15th digit", (t) => {
  // The float32 test is by arithmetic (Espruino has no Math.fround): Node's Math.fround is the
  // reference, subnormals, the largest float32 and values past it included.
  const digits = (s: string) =>
    s
      .replace(/^-|\.|e.*$/g, "")
      .replace(/^0+/, "")
      .replace(/0+$/, "").length;
  const check = (d: number) => {
    const s = formatValue(d);
    const back = JSON.parse(s);
    if (Number.isInteger(d) && Math.abs(d) < 2 ** 53) return back === d;
    if (Math.fround(d) === d) return Math.fround(back) === d && digits(s) <= 9;
    // Half a unit of the 15th digit; where the scale needs a power of ten past 10^22 (below
    // 10^-7 or from 10^22) it is inexact and the last digit may be off by one (json.ts).
    const a = Math.abs(d);
    const tol = a >= 1e-7 && a < 1e22 ? 5e-15 : 1.5e-14;
    return Math.abs(back - d) <= a * tol;
  };
  fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), check), { numRuns: 5000 });
  fc.assert(fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), check), { numRuns: 5000 });
  const max32 = (2 - 2 ** -23) * 2 ** 127;
  for (const d of [
    2 ** -149,
    3 * 2 ** -149,
    2 ** -126,
    2 ** -126 - 2 ** -149,
    max32,
    -max32,
    2 ** 128,
    max32 + 2 ** 103,
    1e-46,
    0.1,
    16777217,
    // 24 significant bits but below 2^-126: no float32 (its subnormals step by 2^-149).
    2 ** -140 + 2 ** -160,
    -(2 ** -130 + 2 ** -150),
  ]) {
    t.true(check(d), `${d} -> ${formatValue(d)}`);
  }
});

test("integers, booleans, locations and timestamps print exactly", (t) => {
  t.is(formatValue(-2147483648), "-2147483648");
  t.is(formatValue(true), "true");
  t.is(formatValue([Math.fround(24.9), -12.5]), "[24.9,-12.5]");
  t.is(formatPoint(1767225600000.7, 1), "[1767225600000,1]");
});

test("strings are JSON-escaped UTF-8 bytes: the length is the wire length", (t) => {
  fc.assert(
    fc.property(fc.string({ unit: "grapheme", maxLength: 60 }), (s) => {
      const out = formatValue(s);
      const bytes = Buffer.from(out as string, "latin1");
      t.true([...(out as string)].every((c) => c.charCodeAt(0) <= 0xff));
      return JSON.parse(bytes.toString("utf8")) === s && bytes.length === out.length;
    }),
  );
  t.is(formatValue('a"\\\n\u0001'), '"a\\"\\\\\\n\\u0001"');
});

test("the token is masked everywhere it could show", (t) => {
  const token = "abcdEFGHijklMNOPqrstUVWXyz012345";
  t.is(maskToken(token), "abcd...2345");
  t.is(
    redactToken(`POST /x?token=${token}&pin=V1 failed, token=${token}`, token),
    "POST /x?token=abcd...2345&pin=V1 failed, token=abcd...2345",
  );
  t.false(maskToken("short12345").includes("short"));
});
