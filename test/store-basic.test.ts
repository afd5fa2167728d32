import test from "ava";
import { CountingFlash, EPOCH0, makeFlash, openStore, pendingOf, regionOf } from "./store-helpers.ts";
import { flashPort } from "../src/host/sim/nor-flash.ts";
import { STORE_FULL } from "../src/device/store/store.ts";

const ESP32 = { pages: 16, pageSize: 4096 };

test("round trip of every value type, in append order, with both stamp kinds", (t) => {
  const flash = makeFlash(ESP32);
  const s = openStore(flash, regionOf(flash), { datastreams: { "5": { type: "enum" }, "6": { type: "double", precision: "float64" } } });
  const readings = [
    { pin: 1, stamp: { epochMs: EPOCH0 }, value: 23.45 },
    { pin: 2, stamp: { epochMs: EPOCH0 + 1 }, value: -2147483648 },
    { pin: 3, stamp: { bootId: s.bootId, uptimeMs: 1234 }, value: true },
    { pin: 4, stamp: { bootId: s.bootId, uptimeMs: 1235 }, value: "naïve ✓ 😀" },
    { pin: 5, stamp: { epochMs: EPOCH0 + 2 }, value: 3 },
    { pin: 6, stamp: { epochMs: EPOCH0 + 3 }, value: 0.1 + 0.2 },
    { pin: 7, stamp: { epochMs: EPOCH0 + 4 }, value: [-180, 90] as [number, number] },
    { pin: 255, stamp: { epochMs: 0 }, value: false },
  ];
  for (const r of readings) s.append(r);
  const got = pendingOf(s);
  t.deepEqual(
    got.map((r) => r.reading),
    readings,
  );
  t.deepEqual(
    got.map((r) => r.type),
    ["double", "integer", "boolean", "string", "enum", "double", "location", "boolean"],
  );
  for (let i = 1; i < got.length; i++) t.true(got[i].pos > got[i - 1].pos);
  // the same after a reboot
  const s2 = openStore(flash, regionOf(flash));
  t.deepEqual(
    pendingOf(s2).map((r) => r.reading),
    readings,
  );
  t.is(s2.bootId, s.bootId + 1);
});

test("invalid readings throw an error naming the field and store nothing", (t) => {
  const flash = makeFlash(ESP32);
  const s = openStore(flash, regionOf(flash), { datastreams: { "1": { type: "integer" }, "2": { type: "location" } } });
  t.throws(() => s.append({ pin: 1, stamp: { epochMs: EPOCH0 }, value: 2 ** 31 }), { message: /integer -2147483648\.\.2147483647/ });
  t.throws(() => s.append({ pin: 1, stamp: { epochMs: EPOCH0 }, value: 1.5 }), { message: /integer -2147483648\.\.2147483647/ });
  t.throws(() => s.append({ pin: 3, stamp: { epochMs: EPOCH0 }, value: NaN }), { message: /finite/ });
  t.throws(() => s.append({ pin: 3, stamp: { epochMs: EPOCH0 }, value: Infinity }), { message: /finite/ });
  t.throws(() => s.append({ pin: 2, stamp: { epochMs: EPOCH0 }, value: [181, 0] }), { message: /lon a number -180\.\.180/ });
  t.throws(() => s.append({ pin: 2, stamp: { epochMs: EPOCH0 }, value: [0, -91] }), { message: /lat a number -90\.\.90/ });
  t.throws(() => s.append({ pin: 256, stamp: { epochMs: EPOCH0 }, value: 1 }), { message: /reading\.pin/ });
  t.throws(() => s.append({ pin: 4, stamp: { epochMs: -1 }, value: 1 }), { message: /epochMs/ });
  t.throws(() => s.append({ pin: 4, stamp: { epochMs: EPOCH0 }, value: "x".repeat(1025) }), { message: /got 1025 characters/ });
  t.throws(() => s.append({ pin: 4, stamp: { epochMs: EPOCH0 }, value: "é".repeat(513) }), { message: /got 1026 bytes/ });
  t.is(s.stats().pending, 0);
  t.is(s.stats().appended, 0);
  s.append({ pin: 4, stamp: { epochMs: EPOCH0 }, value: "x".repeat(1024) });
  t.is(pendingOf(s)[0].reading.value.length, 1024);
});

test("markDelivered by pin and range; delivered readings never come back, also after reboot", (t) => {
  const flash = makeFlash(ESP32);
  const s = openStore(flash, regionOf(flash));
  for (let i = 0; i < 300; i++) s.append({ pin: i % 3, stamp: { epochMs: EPOCH0 + i * 1000 }, value: i });
  const pin1 = pendingOf(s, 1);
  t.is(pin1.length, 100);
  s.markDelivered({ pin: 1, from: pin1[10].pos, to: pin1[59].pos });
  const left = pendingOf(s, 1).map((r) => r.reading.value);
  t.deepEqual(left, [...Array(10).keys()].map((k) => 3 * k + 1).concat([...Array(40).keys()].map((k) => 3 * (k + 60) + 1)));
  t.is(pendingOf(s, 0).length, 100);
  t.is(s.stats().pending, 250);
  const s2 = openStore(flash, regionOf(flash));
  t.deepEqual(
    pendingOf(s2, 1).map((r) => r.reading.value),
    left,
  );
  t.is(s2.stats().pending, 250);
  t.is(s2.oldestPos(), pendingOf(s2)[0].pos);
  s2.markDelivered({ pin: 0, from: 0, to: s2.headPos() });
  s2.markDelivered({ pin: 1, from: 0, to: s2.headPos() });
  s2.markDelivered({ pin: 2, from: 0, to: s2.headPos() });
  t.is(s2.stats().pending, 0);
  t.is(s2.oldestPos(), s2.headPos());
});

test("overwrite-oldest turns the ring over several laps, counts every overwritten reading, keeps order", (t) => {
  const flash = makeFlash(ESP32);
  const s = openStore(flash, regionOf(flash), { uptime: () => 3600000 });
  const N = 40000;
  for (let i = 0; i < N; i++) s.append({ pin: 1, stamp: { epochMs: EPOCH0 + i * 10000 }, value: i });
  const st = s.stats();
  const got = pendingOf(s).map((r) => r.reading.value as number);
  t.is(st.appended, N);
  t.is(st.pending, got.length);
  t.is(st.dropped.overwritten + st.pending, N);
  t.true(st.eraseCountMax >= 2, "several laps");
  t.true(st.eraseCountMax - st.eraseCountMin <= 1, "sequential rotation wears evenly");
  t.deepEqual(
    got,
    [...Array(got.length).keys()].map((k) => N - got.length + k),
  );
  // counters survive a reboot exactly
  const s2 = openStore(flash, regionOf(flash));
  const st2 = s2.stats();
  t.is(st2.appended, N);
  t.is(st2.dropped.overwritten, st.dropped.overwritten);
  t.is(st2.pending, st.pending);
  t.is(st2.eraseCountMax, st.eraseCountMax);
});

test("refuse policy: an Error named StoreFullError when full, counted; space returns once delivered", (t) => {
  const flash = makeFlash({ pages: 4, pageSize: 4096 });
  const s = openStore(flash, regionOf(flash), { policy: "refuse" });
  let n = 0;
  const err = t.throws(() => {
    for (;;) s.append({ pin: 1, stamp: { epochMs: EPOCH0 + n * 10000 }, value: n++ });
  });
  t.is(err!.name, STORE_FULL);
  t.throws(() => s.append({ pin: 1, stamp: { epochMs: EPOCH0 }, value: 1 }), { name: STORE_FULL });
  const st = s.stats();
  t.is(st.dropped.refused, 2);
  t.is(st.dropped.overwritten, 0);
  t.is(st.pending, n - 1);
  const all = pendingOf(s);
  t.is(all[0].reading.value, 0, "the oldest was kept");
  s.markDelivered({ pin: 1, from: all[0].pos, to: all[100].pos });
  t.throws(() => s.append({ pin: 1, stamp: { epochMs: EPOCH0 }, value: 1 }), { name: STORE_FULL }, "one sector not yet free");
  const firstSector = all.filter((r) => Math.floor(r.pos / 65536) === Math.floor(all[0].pos / 65536));
  s.markDelivered({ pin: 1, from: all[0].pos, to: firstSector[firstSector.length - 1].pos });
  s.append({ pin: 1, stamp: { epochMs: EPOCH0 }, value: -1 });
  t.is(s.stats().dropped.overwritten, 0);
  t.is(pendingOf(s).at(-1)!.reading.value, -1);
});

test("boot id increments at every mount, and persists even with no reading appended", (t) => {
  const flash = makeFlash(ESP32);
  const ids: number[] = [];
  let s = openStore(flash, regionOf(flash));
  s.append({ pin: 1, stamp: { epochMs: EPOCH0 }, value: 1 });
  ids.push(s.bootId);
  for (let i = 0; i < 5; i++) {
    s = openStore(flash, regionOf(flash));
    ids.push(s.bootId);
  }
  t.deepEqual(ids, [1, 2, 3, 4, 5, 6]);
});

test("anchors survive rotation: the boot before an unanchored pending boot, and the current boot", (t) => {
  const flash = makeFlash({ pages: 8, pageSize: 4096 });
  let s = openStore(flash, regionOf(flash), { policy: "refuse" });
  const boot1 = s.bootId;
  s.appendAnchor({ bootId: boot1, uptimeMs: 100, epochMs: EPOCH0 });
  s.appendAnchor({ bootId: boot1, uptimeMs: 150, epochMs: EPOCH0 + 50 });
  s.appendAnchor({ bootId: boot1, uptimeMs: 200, epochMs: EPOCH0 + 100, coarse: true });
  let i = 0;
  // fill the first sector with delivered readings so that boot 2 starts in the next one
  while (s.headPos() % 65536 < 600) s.append({ pin: 2, stamp: { epochMs: EPOCH0 + i }, value: i++ });
  s.markDelivered({ pin: 2, from: 0, to: s.headPos() });
  s = openStore(flash, regionOf(flash), { policy: "refuse" });
  const boot2 = s.bootId;
  for (let k = 0; k < 700; k++) s.append({ pin: 1, stamp: { bootId: boot2, uptimeMs: k * 1000 }, value: k });
  s.markDelivered({ pin: 1, from: 0, to: pendingOf(s, 1)[599].pos });
  s = openStore(flash, regionOf(flash), { policy: "refuse" });
  const boot3 = s.bootId;
  s.appendAnchor({ bootId: boot3, uptimeMs: 5, epochMs: EPOCH0 + 9_000_000 });
  t.throws(
    () => {
      for (;;) {
        s.append({ pin: 2, stamp: { epochMs: EPOCH0 + i }, value: i++ });
        if (i % 100 === 0) s.markDelivered({ pin: 2, from: 0, to: s.headPos() });
      }
    },
    { name: STORE_FULL },
  );
  t.true(s.stats().eraseCountMax >= 2, "the sector holding boot 1's anchors was erased");
  t.is(pendingOf(s, 1).length, 100, "boot 2's last readings are still pending");
  const anchors = openStore(flash, regionOf(flash)).anchors();
  t.deepEqual(
    anchors.filter((a) => a.bootId === boot1),
    [
      { bootId: boot1, uptimeMs: 100, epochMs: EPOCH0 },
      { bootId: boot1, uptimeMs: 150, epochMs: EPOCH0 + 50 },
      { bootId: boot1, uptimeMs: 200, epochMs: EPOCH0 + 100, coarse: true },
    ],
  );
  t.deepEqual(
    anchors.filter((a) => a.bootId === boot3),
    [{ bootId: boot3, uptimeMs: 5, epochMs: EPOCH0 + 9_000_000 }],
  );

  // overwrite-oldest, many laps: the current boot's first and last anchor stay, old boots go
  const f2 = makeFlash({ pages: 4, pageSize: 4096 });
  const o = openStore(f2, regionOf(f2));
  o.appendAnchor({ bootId: o.bootId, uptimeMs: 1, epochMs: EPOCH0 });
  for (let k = 0; k < 20000; k++) {
    o.append({ pin: 3, stamp: { epochMs: EPOCH0 + k }, value: k });
    if (k === 10000) o.appendAnchor({ bootId: o.bootId, uptimeMs: 2, epochMs: EPOCH0 + 1 });
  }
  t.true(o.stats().eraseCountMax >= 4);
  t.deepEqual(openStore(f2, regionOf(f2)).anchors(), [
    { bootId: o.bootId, uptimeMs: 1, epochMs: EPOCH0 },
    { bootId: o.bootId, uptimeMs: 2, epochMs: EPOCH0 + 1 },
  ]);
});

test("mount reads headers and bitmaps of every sector but scans only the head sector", (t) => {
  const flash = makeFlash(ESP32);
  const s = openStore(flash, regionOf(flash));
  for (let i = 0; i < 12000; i++) s.append({ pin: i % 4, stamp: { epochMs: EPOCH0 + i * 2500 }, value: i / 10 });
  const counting = new CountingFlash(flashPort(flash));
  const s2 = openStore(counting, regionOf(flash));
  t.is(s2.stats().pending, s.stats().pending);
  t.log(`mount: ${counting.reads} reads, ${counting.bytesRead} bytes of ${flash.size}`);
  // The head sector once, in windows that each start at the record they need (record.ts WINDOW:
  // a record across a window's end is read again with the next).
  t.true(counting.bytesRead < 16 * (72 + 200) + 4096 + 1024, "no full scan");
});

test("drop and countDrop are counted and persisted; dropped readings are not scanned", (t) => {
  const flash = makeFlash(ESP32);
  const s = openStore(flash, regionOf(flash));
  for (let i = 0; i < 10; i++) s.append({ pin: 1, stamp: { epochMs: EPOCH0 + i }, value: i });
  const p = pendingOf(s);
  s.drop(p[3].pos, "rejected");
  s.countDrop("too-old", 7);
  t.throws(() => s.countDrop("nope" as any, 1), { message: /drop reason/ });
  const s2 = openStore(flash, regionOf(flash));
  t.is(s2.stats().dropped.rejected, 1);
  t.is(s2.stats().dropped["too-old"], 7);
  t.deepEqual(
    pendingOf(s2).map((r) => r.reading.value),
    [0, 1, 2, 4, 5, 6, 7, 8, 9],
  );
});

test("eraseAll empties the ring, counts pending as erased, keeps boot id and erase counts", (t) => {
  const flash = makeFlash({ pages: 4, pageSize: 4096 });
  const s = openStore(flash, regionOf(flash));
  for (let i = 0; i < 100; i++) s.append({ pin: 1, stamp: { epochMs: EPOCH0 + i }, value: i });
  const before = s.stats();
  t.is(s.eraseAll(), 100);
  t.is(s.stats().pending, 0);
  const s2 = openStore(flash, regionOf(flash));
  t.is(s2.stats().pending, 0);
  t.is(s2.stats().dropped.erased, 100);
  t.is(s2.bootId, s.bootId + 1);
  t.is(s2.stats().eraseCountMin, before.eraseCountMin + 1);
  s2.append({ pin: 1, stamp: { epochMs: EPOCH0 }, value: 5 });
  t.is(pendingOf(s2).length, 1);
});

test("options errors name what to fix", (t) => {
  const flash = makeFlash({ pages: 4, pageSize: 4096 });
  t.throws(() => openStore(flash, { ...regionOf(flash), pageSize: 3000 }), { message: /pageSize/ });
  t.throws(() => openStore(flash, regionOf(flash), { sectorPages: 3 }), { message: /sectorPages/ });
  t.throws(() => openStore(flash, regionOf(flash), { sectorPages: 4 }), { message: /at least 2/ });
  t.throws(() => openStore(flash, regionOf(flash), { policy: "drop" as any }), { message: /policy/ });
  t.throws(() => openStore(flash, regionOf(flash), { datastreams: { "1": { type: "float" as any } } }), { message: /type/ });
  const s = openStore(flash, regionOf(flash), { sectorPages: 2 });
  s.append({ pin: 1, stamp: { epochMs: EPOCH0 }, value: 1 });
  t.throws(() => openStore(flash, regionOf(flash), { sectorPages: 1 }), { message: /sectorPages/ });
});

test("stats: free space, lifetime projection", (t) => {
  const flash = makeFlash(ESP32);
  let now = 0;
  const s = openStore(flash, regionOf(flash), { uptime: () => now, datastreams: { "1": { type: "double" } } });
  t.is(s.stats().projectedLifetimeDays, Infinity);
  for (let i = 0; i < 5000; i++) {
    now += 10000;
    s.append({ pin: 1, stamp: { epochMs: EPOCH0 + now }, value: 20 + (i % 50) / 10 });
  }
  const st = s.stats();
  t.log(st);
  // ~6.2 B per reading, 8640 readings a day: one 4 KB sector erase every ~0.075 days, 16 sectors x 100k cycles
  t.true(st.projectedLifetimeDays > 100000 && st.projectedLifetimeDays < 200000, String(st.projectedLifetimeDays));
  t.true(st.freeReadings > 4000 && st.freeReadings < 7000, String(st.freeReadings));
  t.true(st.freeFraction > 0.4 && st.freeFraction < 0.6);
});

test("appendNumber takes only a number its pin's declared double (float32) or integer type keeps, and stores nothing otherwise", (t) => {
  const flash = makeFlash(ESP32);
  const s = openStore(flash, regionOf(flash), {
    datastreams: {
      "1": { type: "double" },
      "2": { type: "integer" },
      "3": { type: "double", precision: "float64" },
      "4": { type: "enum" },
    },
  });
  // The first append of a boot persists the boot id: only then is the hot path open.
  t.false(s.appendNumber(1, EPOCH0, 21.5));
  s.append({ pin: 1, stamp: { epochMs: EPOCH0 }, value: 21.5 });
  t.true(s.appendNumber(1, EPOCH0 + 1, 21.75));
  t.true(s.appendNumber(2, EPOCH0 + 2, -2147483648));
  t.true(s.appendNumber(1, EPOCH0 + 3, 0));
  for (const [pin, v] of [
    [1, 1e39],
    [1, 1e-31],
    [2, 1.5],
    [2, 2 ** 31],
    [3, 0.1],
    [4, 1],
    [5, 1],
  ])
    t.false(s.appendNumber(pin, EPOCH0 + 4, v), `V${pin} ${v}`);
  t.deepEqual(
    pendingOf(s).map((r) => [r.reading.pin, r.reading.stamp.epochMs, r.reading.value]),
    [
      [1, EPOCH0, 21.5],
      [1, EPOCH0 + 1, 21.75],
      [2, EPOCH0 + 2, -2147483648],
      [1, EPOCH0 + 3, 0],
    ],
  );
  s.configure({ datastreams: { "1": { type: "integer" } } });
  t.false(s.appendNumber(1, EPOCH0 + 5, 21.5));
  t.false(s.appendNumber(2, EPOCH0 + 5, 3));
  t.true(s.appendNumber(1, EPOCH0 + 5, 3));
  t.is(s.stats().pending, 5);
});

test("appendNumber's steady-state encoder writes the same bytes as the general one", (t) => {
  // Two stores, one appending through appendNumber's own encoder for a pin with a slot and an
  // epoch stamp, the other with no hot pins (every append through put and encodeReadingAt):
  // repeats, small and varint deltas of either sign, integers, new slots, a boot-relative
  // reading in between, and enough readings to turn sectors.
  const datastreams = { "1": { type: "double" as const }, "2": { type: "integer" as const } };
  const fast = makeFlash({ pages: 4, pageSize: 1024 });
  const general = makeFlash({ pages: 4, pageSize: 1024 });
  const a = openStore(fast, regionOf(fast), { datastreams });
  const b = openStore(general, regionOf(general), { datastreams });
  b.hot = [];
  let ms = EPOCH0;
  let taken = 0;
  for (let i = 0; i < 900; i++) {
    ms += [1000, 1000, 1003, 997, 250_000, 1, 1000][i % 7];
    const pin = i % 5 === 0 ? 2 : 1;
    const value = pin === 2 ? (i % 2 ? -i * 1000 : i) : 20 + (i % 50) / 10;
    const reading = i % 97 === 50 ? { pin, stamp: { bootId: a.bootId, uptimeMs: i }, value } : { pin, stamp: { epochMs: ms }, value };
    if (i > 0 && "epochMs" in reading.stamp && a.appendNumber(pin, ms, value)) taken++;
    else a.append(reading);
    b.append(reading);
  }
  t.true(taken > 800, `${taken} of 900 through appendNumber`);
  t.true(a.stats().appended === 900 && b.stats().appended === 900);
  t.deepEqual(Buffer.from(fast.bytes), Buffer.from(general.bytes));
});
