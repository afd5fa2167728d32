import test from "ava";
import { loadBoard } from "../src/host/boards.ts";
import { createSpool, type Spool } from "../src/device/api/spool.ts";
import { CONFIG_FILE } from "../src/device/api/config.ts";
import { CONFIG_SLOTS, readNewest } from "../src/device/api/config-store.ts";
import { createStore } from "../src/device/store/maintenance.ts";
import { bootHal, newDevice, type Device, type TestHal } from "./api-hal.ts";
import { directParts } from "./helpers/parts.ts";

const linux = loadBoard("linux");
const TOKEN = "Tok3nAbcdefghijklmnopqrstuvwxyz9";
const PASSWORD = "s3cret-wifi-pass";
const T0 = Date.UTC(2026, 4, 1);

const SETUP = {
  wifi: { ssid: "home", password: PASSWORD },
  blynk: { token: TOKEN, host: "127.0.0.1", scheme: "http", port: 1 },
  datastreams: [
    { pin: 0, type: "integer" },
    { pin: 1, type: "double", precision: "float64" },
    { pin: 2, type: "boolean" },
    { pin: 3, type: "enum" },
    { pin: "V4", type: "string" },
    { pin: 5, type: "location" },
  ],
};

function boot(dev: Device, extra: { sources?: any; defaults?: object } = {}): { hal: TestHal; spool: Spool } {
  const hal = bootHal(dev, { epochMs: T0 });
  const spool = createSpool({
    hal,
    board: dev.board,
    version: "test",
    sources: extra.sources,
    defaults: extra.defaults,
    parts: directParts,
  });
  return { hal, spool };
}

function noSecrets(t: any, text: string, what: string): void {
  t.false(text.includes(TOKEN), `${what}: token in clear`);
  t.false(text.includes(PASSWORD), `${what}: password in clear`);
}

test("setup -> record every type -> status -> reboot: config and buffer are still there", (t) => {
  const dev = newDevice(linux);
  let { hal, spool } = boot(dev);
  spool.setup(SETUP);
  spool.start();
  spool.record(0, -7);
  spool.record("V1", 21.123456789);
  spool.record(2, true);
  spool.record(3, 2);
  spool.record(4, "hello ✓");
  spool.record(5, [13.4, 52.5]);
  spool.record(5, { lon: 2.35, lat: 48.85 });
  dev.clock.advance(5000);
  const st = spool.status();
  t.is(st.queue.pending, 7);
  t.is(st.queue.oldestAgeS, 5);
  t.is(st.uplink.token, "Tok3...xyz9");
  t.is(st.uplink.server, "http://127.0.0.1:1");
  t.is(st.network.ssid, "home");
  spool.report();
  const text = hal.lines.join("\n");
  t.regex(text, /^queue +7 undelivered readings, oldest 5 s old; room for \d+ more \([\d.]+% free\), policy overwrite-oldest$/m);
  t.regex(text, /^uplink +\w[\w -]* -> http:\/\/127\.0\.0\.1:1 \(token Tok3\.\.\.xyz9\)/m);
  noSecrets(t, text + JSON.stringify(st) + JSON.stringify(spool.config()), "status/report/config");
  spool.stop();
  t.is(hal.timers(), 0, "stop() leaves no timer running");

  ({ hal, spool } = boot(dev));
  const c = spool.config();
  t.is(c.wifi.ssid, "home");
  t.is(c.wifi.password, "********");
  t.is(c.blynk.token, "Tok3...xyz9");
  t.deepEqual(
    c.datastreams.map((d) => d.pin),
    [0, 1, 2, 3, 4, 5],
  );
  t.is(spool.status().queue.pending, 7, "the readings survived the reboot");
  const stored = readNewest(hal)!.text;
  t.true(stored.includes(TOKEN), "the stored file keeps the real token (the device needs it)");
});

const BAD_SETUPS: Array<[unknown, RegExp]> = [
  [null, /the configuration must be an object/],
  [{ wifi: { ssid: 5 } }, /wifi\.ssid must be/],
  [{ wifi: { password: "short" } }, /wifi\.password must be .*\(got 5 characters\)/],
  [{ wifi: { pwd: PASSWORD } }, /unknown field wifi\.pwd/],
  [{ blynk: { token: "bad token!" } }, /blynk\.token must be/],
  [{ blynk: { region: "mars" } }, /blynk\.region must be one of/],
  [{ blynk: { host: "blynk.cloud/api" } }, /blynk\.host must be a host name/],
  [{ blynk: { host: "x.example", region: "fra1" } }, /not both/],
  [{ blynk: { scheme: "HTTPS" } }, /blynk\.scheme must be one of https, http/],
  [{ blynk: { port: 0 } }, /blynk\.port must be an integer 1\.\.65535/],
  [{ datastreams: "V1" }, /datastreams must be an array/],
  [{ datastreams: [{ pin: 256, type: "double" }] }, /datastreams\[0\]\.pin must be a virtual pin/],
  [
    { datastreams: [{ pin: 1, type: "float" }] },
    /datastreams\[0\]\.type must be one of integer, double, boolean, enum, string, location \(got "float"\)/,
  ],
  [{ datastreams: [{ pin: 1, type: "string", precision: "float64" }] }, /precision must be left out/],
  [
    {
      datastreams: [
        { pin: 1, type: "double" },
        { pin: 1, type: "integer" },
      ],
    },
    /already datastreams\[0\]/,
  ],
  [{ schedules: [{ pin: 40, everyMs: 1000 }] }, /schedules\[0\]\.pin V40 must be one of the datastreams/],
  [{ schedules: [{ pin: 1, everyMs: 5 }] }, /schedules\[0\]\.everyMs must be an integer 100\.\./],
  [{ schedules: [{ pin: 4, everyMs: 1000 }] }, /must be a double or integer datastream/],
  [{ buffer: { policy: "drop" } }, /buffer\.policy must be one of overwrite-oldest, refuse/],
  [{ limits: { batchSize: 10001 } }, /limits\.batchSize must be an integer 1\.\.10000/],
  [{ limits: { dailyQuota: 1.5 } }, /limits\.dailyQuota must be an integer/],
  [{ limits: { maxAgeDays: 0 } }, /limits\.maxAgeDays must be an integer 1\.\.366/],
  [{ ntp: { servers: "pool.ntp.org" } }, /ntp\.servers must be an array of 1\.\.4 host names/],
  [{ flushDelayMs: "10s" }, /flushDelayMs must be an integer/],
  [{ statusPin: 1 }, /statusPin V1 must be a string datastream/],
  [{ color: "red" }, /unknown field color/],
];

test(`${BAD_SETUPS.length} bad setups: the right error, and the stored config and the running one unchanged`, (t) => {
  const dev = newDevice(linux);
  const { hal, spool } = boot(dev);
  spool.setup({ ...SETUP, schedules: [{ pin: 1, everyMs: 1000 }] });
  const slots = () => CONFIG_SLOTS.map((n) => hal.storage.read(n));
  const storedBefore = slots();
  t.truthy(readNewest(hal));
  const configBefore = JSON.stringify(spool.config());
  for (const [input, re] of BAD_SETUPS) {
    const err = t.throws(() => spool.setup(input as object), undefined, JSON.stringify(input));
    t.regex(err!.message, re);
    noSecrets(t, err!.message, "error");
    t.deepEqual(slots(), storedBefore, `${JSON.stringify(input)}: stored config changed`);
    t.is(JSON.stringify(spool.config()), configBefore);
  }
});

test("record: unknown pins and bad values are refused clearly, and nothing stored is lost", (t) => {
  const dev = newDevice(linux);
  const { spool } = boot(dev);
  spool.setup(SETUP);
  spool.record(1, 1.5);
  const cases: Array<[unknown, unknown, RegExp]> = [
    [
      9,
      1,
      /^spool\.record: V9 is not a datastream \(configured: V0 integer, V1 double, V2 boolean, V3 enum, V4 string, V5 location\); add it with spool\.setup/,
    ],
    ["X1", 1, /^spool\.record: pin must be a virtual pin 0\.\.255 or "V0"\.\."V255" \(got "X1"\)/],
    [1, NaN, /V1 is a double datastream: value must be a finite number; NaN and Infinity cannot be sent \(got NaN\)/],
    [1, Infinity, /\(got Infinity\)/],
    [0, 2.5, /V0 is an integer datastream/],
    [2, "yes", /V2 is a boolean datastream: value must be true or false/],
    [3, -1.5, /V3 is an enum datastream/],
    [4, "ü".repeat(600), /at most 1024 bytes of UTF-8 \(got 1200 bytes\)/],
    [5, [1, 91], /lat a number -90\.\.90/],
    // the edges of record's fast path (a pin number, a finite number, a double or integer pin)
    ["1", 1.5, /^spool\.record: pin must be a virtual pin 0\.\.255 or "V0"\.\."V255" \(got "1"\)/],
    [1.5, 1, /^spool\.record: pin must be a virtual pin 0\.\.255 or "V0"\.\."V255" \(got 1\.5\)/],
    [-1, 1, /pin must be a virtual pin/],
    [0, 2147483648, /V0 is an integer datastream: value must be an integer -2147483648\.\.2147483647 \(got 2147483648\)/],
    [0, -Infinity, /V0 is an integer datastream/],
    [1, "1.5", /V1 is a double datastream: value must be a finite number \(got "1\.5"\)/],
  ];
  for (const [pin, value, re] of cases) t.throws(() => spool.record(pin as number, value), { message: re });
  t.is(spool.status().queue.pending, 1);
});

test("record follows setup at once: a pin whose type changed or that was removed is checked against the new list", (t) => {
  const dev = newDevice(linux);
  const { spool } = boot(dev);
  spool.setup(SETUP);
  spool.record(1, 1.5);
  spool.record(0, 7);
  spool.setup({
    datastreams: [
      { pin: 1, type: "integer" },
      { pin: 6, type: "double" },
    ],
  });
  t.throws(() => spool.record(1, 1.5), { message: /V1 is an integer datastream/ });
  t.throws(() => spool.record(0, 7), { message: /V0 is not a datastream \(configured: V1 integer, V6 double\)/ });
  spool.record(1, 2);
  spool.record(6, 0.25);
  spool.record("V6", -0.5);
  t.is(spool.status().queue.pending, 5);
});

test("sample: records on schedule, counts errors from fn without throwing, stops on request", (t) => {
  const dev = newDevice(linux);
  const { spool } = boot(dev);
  spool.setup(SETUP);
  spool.start();
  let n = 0;
  const h = spool.sample(
    "V1",
    () => {
      n++;
      if (n % 3 === 0) throw new Error("sensor timeout");
      return n / 10;
    },
    1000,
  );
  const bad = spool.sample(0, () => 0.5, 1000);
  dev.clock.advance(6000);
  const st = spool.status();
  t.is(n, 6);
  t.deepEqual(
    st.sampling.map((s) => [s.pin, s.samples, s.errors, s.lastError]),
    [
      [1, 4, 2, "sensor timeout"],
      [0, 0, 6, "spool.record: V0 is an integer datastream: value must be an integer -2147483648..2147483647 (got 0.5)"],
    ],
  );
  t.is(st.queue.pending, 4);
  h.stop();
  bad.stop();
  dev.clock.advance(5000);
  t.is(n, 6);
  t.throws(() => spool.sample(1, () => 1, 10), { message: /spool\.sample: everyMs must be an integer 100\.\./ });
  t.throws(() => spool.sample(1, "f" as any, 1000), { message: /spool\.sample: fn must be a function/ });
  t.throws(() => spool.sample(77, () => 1, 1000), { message: /spool\.sample: V77 is not a datastream/ });
});

test("configured schedules sample from the named source and follow setup without a reboot", (t) => {
  const dev = newDevice(linux);
  let v = 20;
  const { spool } = boot(dev, {
    sources: { synthetic: () => v++ },
    defaults: { datastreams: [{ pin: 1, type: "double" }], schedules: [{ pin: 1, everyMs: 60000 }] },
  });
  spool.start();
  dev.clock.advance(180000);
  t.is(spool.status().queue.pending, 3);
  spool.setup({ schedules: [{ pin: 1, everyMs: 10000 }] });
  dev.clock.advance(60000);
  t.is(spool.status().queue.pending, 9);
  t.deepEqual(
    spool.status().sampling.map((s) => [s.pin, s.everyMs, s.source, s.samples]),
    [[1, 10000, "synthetic", 6]],
  );
  spool.setup({ schedules: [] });
  dev.clock.advance(60000);
  t.is(spool.status().queue.pending, 9);
});

test("erase asks for confirmation by argument and counts what it discards", (t) => {
  const dev = newDevice(linux);
  const { spool } = boot(dev);
  spool.setup(SETUP);
  for (let i = 0; i < 5; i++) spool.record(0, i);
  t.throws(() => spool.erase(), {
    message:
      'spool.erase: this discards every stored reading, 5 of them not yet delivered. To confirm, call spool.erase("yes, erase 5 readings")',
  });
  t.throws(() => spool.erase("yes, erase 4 readings"), { message: /5 of them not yet delivered/ });
  t.throws(() => spool.erase("yes"), { message: /5 of them/ });
  t.is(spool.status().queue.pending, 5);
  t.is(spool.erase("yes, erase 5 readings"), 5);
  const st = spool.status();
  t.is(st.queue.pending, 0);
  t.is(st.drops.erased, 5);
  spool.record(0, 1);
  t.is(spool.status().queue.pending, 1, "recording works after an erase");
});

test("policy refuse: a full buffer refuses the new reading with a clear error and keeps the old ones", (t) => {
  const dev = newDevice(linux);
  const { spool } = boot(dev);
  spool.setup({ ...SETUP, buffer: { policy: "refuse" } });
  let stored = 0;
  let err: Error | undefined;
  for (let i = 0; i < 200000 && !err; i++) {
    try {
      spool.record(4, "reading number " + i + " padded to take some room in flash ..........");
      stored++;
    } catch (e) {
      err = e as Error;
    }
  }
  t.truthy(err);
  t.regex(
    err!.message,
    /^spool\.record: the buffer is full and its policy is "refuse": reading not stored \(\d+ undelivered readings kept\)/,
  );
  const st = spool.status();
  t.is(st.queue.pending, stored);
  t.is(st.drops.refused, 1);
  spool.setup({ buffer: { policy: "overwrite-oldest" } });
  spool.record(4, "reading number " + stored + " padded to take some room in flash ..........");
  t.true(spool.status().drops.overwritten > 0, "the policy change applies without a reboot");
});

test("statusPin publishes a summary string on schedule", (t) => {
  const dev = newDevice(linux);
  const { spool } = boot(dev);
  spool.setup({ ...SETUP, statusPin: "V4", statusEveryMs: 60000 });
  spool.start();
  dev.clock.advance(120000);
  t.is(spool.status().queue.pending, 2);
  spool.stop();
  const hal = bootHal(dev);
  const reader = createStore({ hal, region: linux.flash, readOnly: true });
  const seen: unknown[] = [];
  reader.scan({ from: reader.oldestPos() }, (rec) => void seen.push([rec.reading.pin, rec.reading.value]));
  t.is(seen.length, 2);
  for (const [pin, value] of seen as Array<[number, string]>) {
    t.is(pin, 4);
    // The linux board's clock is valid at boot (boards/linux.json): "ok" without a sync.
    t.regex(value, /^queue \d+, free [\d.]+%, drops 0, clock ok, uplink \S+, quota 0\/10000, sample errors 0, mem 3000\/4000$/);
    noSecrets(t, value, "status pin");
  }
});

test("flush needs a running spool with a token; a stored file that no longer validates falls back to defaults", (t) => {
  const dev = newDevice(linux);
  let { hal, spool } = boot(dev);
  t.throws(() => spool.flush(), { message: /spool\.flush: Spool is stopped; call spool\.start\(\) first/ });
  spool.start();
  t.throws(() => spool.flush(), { message: /no Blynk token is set/ });
  spool.stop();
  hal.storage.write(CONFIG_FILE, JSON.stringify({ blynk: { scheme: "gopher" } }));
  ({ hal, spool } = boot(dev));
  t.regex(hal.lines.join("\n"), /spool: spool\.json ignored, defaults in use: blynk\.scheme must be one of https, http/);
  t.is(spool.config().blynk.scheme, "https");
});
