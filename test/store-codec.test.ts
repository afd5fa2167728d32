/** Property-based round trips of the record encoding, through a real store on simulated flash. */
import test from "ava";
import fc from "fast-check";
import { EPOCH0, makeFlash, openStore, pendingOf, regionOf } from "./store-helpers.ts";
import { roundFloat32, utf8Decode, utf8Encode } from "../src/device/codec/value.ts";

const SCRATCH = new DataView(new ArrayBuffer(8));
import type { DatastreamType, Reading } from "../src/device/types.ts";
import {
  DROP_CORRUPT,
  DROP_ERASED,
  DROP_OVERWRITTEN,
  DROP_COUNT,
  dropReasons,
  DROP_REFUSED,
  bitmapByte,
  recordLimit,
} from "../src/device/store/format.ts";

const TYPES: { [pin: string]: { type: DatastreamType; precision?: "float32" | "float64" } } = {
  "1": { type: "integer" },
  "2": { type: "double", precision: "float64" },
  "3": { type: "double" },
  "4": { type: "boolean" },
  "5": { type: "enum" },
  "6": { type: "string" },
  "7": { type: "location" },
};

const int32 = fc.oneof(fc.integer({ min: -2147483648, max: 2147483647 }), fc.constantFrom(-2147483648, 2147483647, 0, -1));
const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
const str = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 200 }),
  fc.string({ unit: "binary", maxLength: 256 }),
  fc.constantFrom("", "x".repeat(1024), "é".repeat(512), "😀".repeat(256), "€".repeat(341)),
);
const lon = fc.oneof(
  fc.integer({ min: -1800000000, max: 1800000000 }).map((x) => x / 1e7),
  fc.constantFrom(-180, 180, 0),
);
const lat = fc.oneof(
  fc.integer({ min: -900000000, max: 900000000 }).map((x) => x / 1e7),
  fc.constantFrom(-90, 90),
);
const stamp = fc.oneof(
  fc.integer({ min: 0, max: 2 ** 48 - 1 }).map((epochMs) => ({ epochMs })),
  fc.record({ bootId: fc.integer({ min: 0, max: 0xffffffff }), uptimeMs: fc.integer({ min: 0, max: 2 ** 48 - 1 }) }),
);

const reading: fc.Arbitrary<Reading> = fc.oneof(
  fc.record({ pin: fc.constant(1), stamp, value: int32 }),
  fc.record({ pin: fc.constant(2), stamp, value: finite }),
  fc.record({ pin: fc.constant(3), stamp, value: finite }),
  fc.record({ pin: fc.constant(4), stamp, value: fc.boolean() }),
  fc.record({ pin: fc.constant(5), stamp, value: int32 }),
  fc.record({ pin: fc.constant(6), stamp, value: str }),
  fc.record({ pin: fc.constant(7), stamp, value: fc.tuple(lon, lat) }),
  // pins without a datastream: the type comes from the value; more than 7 pins in a sector
  fc.record({ pin: fc.integer({ min: 8, max: 255 }), stamp, value: fc.oneof(int32, finite, fc.boolean()) }),
);

function close32(got: number, want: number): boolean {
  if (want === 0) return got === 0;
  return Math.abs(got - want) <= Math.abs(want) * 1e-6;
}

function expected(r: Reading): unknown {
  if (typeof r.value === "string") return utf8Decode(new Uint8Array(Buffer.from(r.value, "utf8")), 0, Buffer.byteLength(r.value));
  return r.value;
}

test("any sequence of readings of every type reads back as appended (float32 within 1e-6)", (t) => {
  fc.assert(
    fc.property(fc.array(reading, { minLength: 1, maxLength: 60 }), (rs) => {
      const flash = makeFlash({ pages: 8, pageSize: 4096 });
      const s = openStore(flash, regionOf(flash), { datastreams: TYPES });
      for (const r of rs) s.append(r);
      const again = openStore(flash, regionOf(flash), { datastreams: TYPES });
      const got = pendingOf(again);
      if (got.length !== rs.length) return false;
      for (let i = 0; i < rs.length; i++) {
        const g = got[i].reading;
        const w = rs[i];
        if (g.pin !== w.pin || JSON.stringify(g.stamp) !== JSON.stringify(w.stamp)) return false;
        const f32 = w.pin === 3 || (w.pin >= 8 && typeof w.value === "number" && !Number.isInteger(w.value));
        if (f32 && Math.abs(w.value as number) >= 1e-30 && Math.abs(w.value as number) <= 3.4e38) {
          if (!close32(g.value, w.value as number)) return false;
        } else if (JSON.stringify(g.value) !== JSON.stringify(expected(w))) return false;
      }
      return true;
    }),
    { numRuns: 150 },
  );
  t.pass();
});

test("regular series cost little: delta-of-delta stamps, repeated deltas free", (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 3600000 }),
      fc.integer({ min: 0, max: 2 ** 40 }),
      fc.array(fc.integer({ min: -60, max: 60 }), { minLength: 50, maxLength: 50 }),
      (every, start, jitter) => {
        const flash = makeFlash({ pages: 4, pageSize: 4096 });
        const s = openStore(flash, regionOf(flash), { datastreams: { "1": { type: "double" } } });
        const stamps = jitter.map((j, i) => start + i * every + j + 100);
        for (const ms of stamps) s.append({ pin: 1, stamp: { epochMs: ms }, value: 21.5 });
        const got = pendingOf(s).map((r) => (r.reading.stamp as { epochMs: number }).epochMs);
        // 6 B per reading when the interval repeats exactly, 7-8 B with jitter, plus the first two
        const used = s.sectors().find((x) => x.head)!.bytesUsed - 72;
        return JSON.stringify(got) === JSON.stringify(stamps) && used <= 50 * 8 + 16;
      },
    ),
    { numRuns: 100 },
  );
  t.pass();
});

test("UTF-8 encoder matches Node's for well-formed strings, lone surrogates become U+FFFD", (t) => {
  fc.assert(
    fc.property(fc.string({ unit: "grapheme", maxLength: 100 }), (s) => {
      const b = new Uint8Array(utf8Encode(s));
      utf8Encode(s, b, 0);
      return Buffer.from(b).equals(Buffer.from(s, "utf8")) && utf8Decode(b, 0, b.length) === s;
    }),
  );
  const b = new Uint8Array(3);
  utf8Encode("\ud800", b, 0);
  t.deepEqual([...b], [0xef, 0xbf, 0xbd]); // The escaped paths one by one: NUL and other controls, the quote and backslash, a BMP
  // character, an astral one (a surrogate pair of escapes), side by side with plain ASCII.
  for (const text of ["\u0000", "a\u0000b", '"\\', "\u001f\u007f", "\u00e9\uffff", "\u{1f600}", "x\u{10ffff}y\u{10000}"]) {
    const bytes = new Uint8Array(Buffer.from(text, "utf8"));
    t.is(utf8Decode(bytes, 0, bytes.length), text, JSON.stringify(text));
  }
});

test("every float32 comes back as a decimal that is stored as the same float32", (t) => {
  const f = new Float32Array(1);
  fc.assert(
    fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (x) => {
      f[0] = x;
      const exact = f[0];
      const back = roundFloat32(exact, SCRATCH);
      f[0] = back;
      return f[0] === exact || (exact === 0 && back === 0);
    }),
  );
  t.pass();
});

test("float32 values come back as the short decimal they were", (t) => {
  const f = new Float32Array(1);
  for (const v of [23.45, -0.001, 1e-7, 123456.7, 3.4e28, 1.5e-16, 0.1, 99.99, 100000.25, 16777216]) {
    f[0] = v;
    t.is(roundFloat32(f[0], SCRATCH), v);
  }
});

test("NaN, Infinity, out-of-range and wrongly typed values are rejected with a clear error", (t) => {
  const flash = makeFlash({ pages: 4, pageSize: 4096 });
  const s = openStore(flash, regionOf(flash), { datastreams: TYPES });
  const bad: Array<[number, unknown, RegExp]> = [
    [1, 2147483648, /integer -2147483648\.\.2147483647/],
    [1, -2147483649, /integer -2147483648\.\.2147483647/],
    [1, NaN, /NaN and Infinity cannot be sent/],
    [2, NaN, /NaN and Infinity/],
    [2, -Infinity, /NaN and Infinity/],
    [3, Infinity, /NaN and Infinity/],
    [4, 1, /true or false/],
    [5, 0.5, /integer \(the enum's value\)/],
    [6, 5, /string/],
    [6, "ab".repeat(513), /at most 1024 bytes of UTF-8 \(got 1026 characters\)/],
    [7, [180.0000001, 0], /lon a number -180\.\.180/],
    [7, [0, 90.5], /lat a number -90\.\.90/],
    [7, [0], /\[lon, lat\]/],
    [7, [NaN, 0], /\[lon, lat\]/],
    [9, NaN, /finite/],
  ];
  for (const [pin, value, msg] of bad) {
    t.throws(() => s.append({ pin, stamp: { epochMs: EPOCH0 }, value: value as any }), { message: msg }, `pin ${pin} ${String(value)}`);
  }
  t.throws(() => s.append({ pin: 1, stamp: { bootId: -1, uptimeMs: 0 }, value: 1 }), { message: /bootId/ });
  t.throws(() => s.append({ pin: 1, stamp: { epochMs: 2 ** 48 }, value: 1 }), { message: /epochMs/ });
  t.is(s.stats().appended, 0);
});

test("the store's named drop counters are the reasons of the same name in the one list", (t) => {
  const reasons = dropReasons();
  t.is(reasons[DROP_OVERWRITTEN], "overwritten");
  t.is(reasons[DROP_REFUSED], "refused");
  t.is(reasons[DROP_CORRUPT], "corrupt");
  t.is(reasons[DROP_ERASED], "erased");
  t.is(new Set(reasons).size, 8, "8 distinct reasons: the header holds 8 counters");
  t.is(reasons.length, DROP_COUNT);
});

test("the store checks a value with the one check spool.record uses: {lon, lat} is stored as [lon, lat]", (t) => {
  const flash = makeFlash({ pages: 4, pageSize: 4096 });
  const s = openStore(flash, regionOf(flash), { datastreams: TYPES });
  s.append({ pin: 7, stamp: { epochMs: EPOCH0 }, value: { lat: 52.5, lon: 13.4 } as any });
  t.deepEqual(
    pendingOf(s).map((r) => r.reading.value),
    [[13.4, 52.5]],
  );
  t.throws(() => s.append({ pin: 1, stamp: { epochMs: EPOCH0 }, value: 1.5 }), {
    message: /^spool\.record: V1 is an integer datastream: value must be/,
  });
});

test("bitmapByte is the documented layout: word floor(i/32) at sectorBytes - 4 * (floor(i/32) + 1), read from recordLimit", (t) => {
  const sb = 4096;
  for (let count = 1; count <= 1000; count += 7) {
    for (let i = 0; i < count; i++) {
      const absolute = sb - 4 * (Math.floor(i / 32) + 1) + ((i % 32) >> 3);
      if (bitmapByte(count, i) !== absolute - recordLimit(sb, count)) return t.fail(`count ${count} reading ${i}`);
    }
  }
  t.pass();
});
