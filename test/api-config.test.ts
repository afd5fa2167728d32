import test from "ava";
import { loadBoard } from "../src/host/boards.ts";
import { defaultConfig, maskConfig, mergeConfig, parsePin, type SpoolConfig } from "../src/device/api/config.ts";

const esp32 = loadBoard("esp32");
const esp8266 = loadBoard("esp8266");
const TOKEN = "Abcdefghijklmnopqrstuvwxyz012345";
const PASSWORD = "correct horse battery";

function base(): SpoolConfig {
  return mergeConfig(
    {
      wifi: { ssid: "home", password: PASSWORD },
      blynk: { token: TOKEN, region: "fra1" },
      datastreams: [
        { pin: 1, type: "double" },
        { pin: "V2", type: "string" },
        { pin: 3, type: "integer" },
      ],
      schedules: [{ pin: 1, everyMs: 10000 }],
    },
    defaultConfig(esp32),
    esp32,
  );
}

test("a full setup is normalised: region to host, V-pins to numbers, sampler from the board", (t) => {
  const c = base();
  t.is(c.blynk.host, "fra1.blynk.cloud");
  t.is(c.blynk.scheme, "https");
  t.is(c.blynk.port, 443);
  t.deepEqual(c.datastreams, [
    { pin: 1, type: "double", precision: "float32" },
    { pin: 2, type: "string" },
    { pin: 3, type: "integer" },
  ]);
  t.deepEqual(c.schedules, [{ pin: 1, everyMs: 10000, source: esp32.sampler.kind }]);
});

test("setup merges: a section given replaces only its fields; arrays are replaced whole", (t) => {
  const c = mergeConfig({ wifi: { ssid: "office" }, limits: { dailyQuota: 5000 } }, base(), esp32);
  t.is(c.wifi.ssid, "office");
  t.is(c.wifi.password, PASSWORD);
  t.is(c.blynk.token, TOKEN);
  t.is(c.limits.dailyQuota, 5000);
  t.is(c.limits.maxAgeDays, 30);
  const d = mergeConfig({ datastreams: [{ pin: 1, type: "integer" }] }, base(), esp32);
  t.deepEqual(d.datastreams, [{ pin: 1, type: "integer" }]);
});

test("a scheme change without a port takes the scheme's port; statusPin null switches it off", (t) => {
  const c = mergeConfig({ blynk: { scheme: "http" } }, base(), esp32);
  t.is(c.blynk.port, 80);
  const d = mergeConfig({ blynk: { scheme: "http", port: 8080 } }, base(), esp32);
  t.is(d.blynk.port, 8080);
  const e = mergeConfig({ statusPin: "V2" }, base(), esp32);
  t.is(e.statusPin, 2);
  t.is(mergeConfig({ statusPin: null }, e, esp32).statusPin, null);
});

test("pins: numbers 0..255 and V0..V255 in either case", (t) => {
  t.is(parsePin(0), 0);
  t.is(parsePin(255), 255);
  t.is(parsePin("V5"), 5);
  t.is(parsePin("v255"), 255);
  for (const bad of [-1, 256, 1.5, "5", "V", "V256", "X5", "V-1", "V1e2", null, NaN]) t.is(parsePin(bad), -1, String(bad));
});

// Each: input, the error expected (regex), board.
const BAD: Array<[string, unknown, RegExp, ("esp8266" | undefined)?]> = [
  ["not an object", "wifi", /the configuration must be an object/],
  ["an array", [], /the configuration must be an object/],
  ["unknown top-level field", { wfi: {} }, /unknown field wfi \(valid: wifi, blynk,/],
  ["unknown nested field", { wifi: { pass: "x" } }, /unknown field wifi\.pass \(valid: ssid, password\)/],
  ["section not an object", { wifi: "home" }, /wifi must be an object with ssid, password \(got "home"\)/],
  ["ssid not a string", { wifi: { ssid: 42 } }, /wifi\.ssid must be a string of 0\.\.32 characters \(got 42\)/],
  ["ssid too long", { wifi: { ssid: "x".repeat(33) } }, /wifi\.ssid must be a string of 0\.\.32/],
  ["password too short", { wifi: { password: "short" } }, /wifi\.password must be a string of 8\.\.63 characters .*\(got 5 characters\)/],
  ["password too long", { wifi: { password: "p".repeat(64) } }, /wifi\.password .*\(got 64 characters\)/],
  ["token too short", { blynk: { token: "abc" } }, /blynk\.token must be the device's auth token: 8\.\.64 .*\(got 3 characters\)/],
  ["token with a space", { blynk: { token: "abcd efgh ijkl" } }, /blynk\.token .*\(got 14 characters\)/],
  ["token not a string", { blynk: { token: 12345678 } }, /blynk\.token .*\(got a number\)/],
  [
    "host with a scheme",
    { blynk: { host: "https://blynk.cloud" } },
    /blynk\.host must be a host name such as fra1\.blynk\.cloud, without scheme/,
  ],
  ["unknown region", { blynk: { region: "fra2" } }, /blynk\.region must be one of fra1, lon1, ny3, sgp1, blr1, "" \(got "fra2"\)/],
  ["host and region", { blynk: { host: "a.example", region: "lon1" } }, /give blynk\.host or blynk\.region, not both/],
  ["bad scheme", { blynk: { scheme: "ftp" } }, /blynk\.scheme must be one of https, http \(got "ftp"\)/],
  ["https without TLS", { blynk: { scheme: "https" } }, /blynk\.scheme must be "http" on esp8266, which has no TLS/, "esp8266"],
  ["port out of range", { blynk: { port: 70000 } }, /blynk\.port must be an integer 1\.\.65535 \(got 70000\)/],
  ["port not an integer", { blynk: { port: "443" } }, /blynk\.port must be an integer 1\.\.65535 \(got "443"\)/],
  ["datastreams not an array", { datastreams: { pin: 1 } }, /datastreams must be an array of at most 32/],
  [
    "too many datastreams",
    { datastreams: Array.from({ length: 33 }, (_, i) => ({ pin: i, type: "double" })) },
    /datastreams must be an array of at most 32/,
  ],
  [
    "pin out of range",
    { datastreams: [{ pin: 300, type: "double" }] },
    /datastreams\[0\]\.pin must be a virtual pin 0\.\.255 or "V0"\.\."V255" \(got 300\)/,
  ],
  ["pin as a bad string", { datastreams: [{ pin: "D5", type: "double" }] }, /datastreams\[0\]\.pin must be a virtual pin .*\(got "D5"\)/],
  [
    "bad type",
    {
      datastreams: [
        { pin: 1, type: "double" },
        { pin: 2, type: "float" },
      ],
    },
    /datastreams\[1\]\.type must be one of integer, double, boolean, enum, string, location \(got "float"\)/,
  ],
  ["type missing", { datastreams: [{ pin: 1 }] }, /datastreams\[0\]\.type must be one of .* \(got nothing\)/],
  [
    "precision on an integer",
    { datastreams: [{ pin: 1, type: "integer", precision: "float32" }] },
    /datastreams\[0\]\.precision must be left out: precision applies to double datastreams only/,
  ],
  [
    "bad precision",
    { datastreams: [{ pin: 1, type: "double", precision: "half" }] },
    /datastreams\[0\]\.precision must be one of float32, float64 \(got "half"\)/,
  ],
  [
    "duplicate pin",
    {
      datastreams: [
        { pin: 1, type: "double" },
        { pin: "V1", type: "string" },
      ],
    },
    /datastreams\[1\]\.pin V1 is already datastreams\[0\]/,
  ],
  [
    "unknown datastream field",
    { datastreams: [{ pin: 1, type: "double", min: 0 }] },
    /unknown field datastreams\[0\]\.min \(valid: pin, type, precision\)/,
  ],
  ["schedule on an undeclared pin", { schedules: [{ pin: 9, everyMs: 1000 }] }, /schedules\[0\]\.pin V9 must be one of the datastreams/],
  ["schedule too fast", { schedules: [{ pin: 1, everyMs: 10 }] }, /schedules\[0\]\.everyMs must be an integer 100\.\.604800000 \(got 10\)/],
  [
    "schedule with an unknown source",
    { schedules: [{ pin: 1, everyMs: 1000, source: "humidity" }] },
    /schedules\[0\]\.source must be one of temperature, analog, synthetic/,
  ],
  [
    "schedule on a string datastream",
    { schedules: [{ pin: 2, everyMs: 1000 }] },
    /schedules\[0\]\.pin V2 must be a double or integer datastream/,
  ],
  [
    "removing a datastream a schedule uses",
    { datastreams: [{ pin: 2, type: "string" }] },
    /schedules\[0\]\.pin V1 must be one of the datastreams/,
  ],
  [
    "bad buffer policy",
    { buffer: { policy: "drop-newest" } },
    /buffer\.policy must be one of overwrite-oldest, refuse \(got "drop-newest"\)/,
  ],
  ["batch size zero", { limits: { batchSize: 0 } }, /limits\.batchSize must be an integer 1\.\.10000 \(got 0\)/],
  ["batch size over Blynk's limit", { limits: { batchSize: 20000 } }, /limits\.batchSize must be an integer 1\.\.10000/],
  ["negative quota", { limits: { dailyQuota: -5 } }, /limits\.dailyQuota must be an integer 1\.\.10000000 \(got -5\)/],
  ["max age NaN", { limits: { maxAgeDays: NaN } }, /limits\.maxAgeDays must be an integer 1\.\.366 \(got NaN\)/],
  ["no NTP servers", { ntp: { servers: [] } }, /ntp\.servers must be an array of 1\.\.4 host names/],
  ["bad NTP server", { ntp: { servers: ["pool.ntp.org", "ntp server"] } }, /ntp\.servers\[1\] must be a host name/],
  ["negative flush delay", { flushDelayMs: -1 }, /flushDelayMs must be an integer 0\.\.3600000 \(got -1\)/],
  ["status pin not a string datastream", { statusPin: 3 }, /statusPin V3 must be a string datastream/],
  ["status interval too short", { statusEveryMs: 1000 }, /statusEveryMs must be an integer 10000\.\.86400000/],
  [
    "bad unanchored-boot policy",
    { clock: { unanchored: "guess" } },
    /clock\.unanchored must be one of wait, estimate, drop \(got "guess"\)/,
  ],
  [
    "negative estimate width",
    { clock: { maxEstimateWidthMs: -1 } },
    /clock\.maxEstimateWidthMs must be an integer 0\.\.86400000 \(got -1\)/,
  ],
  [
    "fractional estimate width",
    { clock: { maxEstimateWidthMs: 1.5 } },
    /clock\.maxEstimateWidthMs must be an integer 0\.\.86400000 \(got 1\.5\)/,
  ],
  [
    "unknown clock field",
    { clock: { policy: "drop" } },
    /unknown field clock\.policy \(valid: unanchored, maxEstimateWidthMs, validAtBoot\)/,
  ],
  [
    "clock valid at boot not a boolean",
    { clock: { validAtBoot: "yes" } },
    /clock\.validAtBoot must be true \(the clock is right at power-on: a battery-backed RTC\) or false \(got "yes"\)/,
  ],
  ["too few requests a day", { limits: { requestsPerDay: 10 } }, /limits\.requestsPerDay must be an integer 24\.\.1000000 \(got 10\)/],
  ["clock not an object", { clock: "drop" }, /clock must be an object with unanchored, maxEstimateWidthMs, validAtBoot \(got "drop"\)/],
  ["bad bad-pin policy", { uplink: { badPin: "skip" } }, /uplink\.badPin must be one of keep, drop \(got "skip"\)/],
  ["unknown uplink field", { uplink: { badPins: "drop" } }, /unknown field uplink\.badPins \(valid: badPin\)/],
];

test(`${BAD.length} kinds of bad configuration: each names the field and what is valid`, (t) => {
  t.true(BAD.length >= 20);
  for (const [what, input, re, boardId] of BAD) {
    const board = boardId === "esp8266" ? esp8266 : esp32;
    const current = boardId === "esp8266" ? defaultConfig(esp8266) : base();
    const before = JSON.stringify(current);
    const err = t.throws(() => mergeConfig(input, current, board), undefined, what);
    t.regex(err!.message, /^spool\.setup: /, what);
    t.regex(err!.message, re, what);
    t.is(JSON.stringify(current), before, `${what}: the current config is not modified`);
    t.false(err!.message.includes(TOKEN) || err!.message.includes(PASSWORD), `${what}: no secret in the message`);
  }
});

test("clock and uplink policies: defaults, partial merge, kept by the other sections", (t) => {
  const d = defaultConfig(esp32);
  t.deepEqual(d.clock, { unanchored: "estimate", maxEstimateWidthMs: 60000, validAtBoot: false });
  t.deepEqual(d.uplink, { badPin: "keep" });
  const c = mergeConfig({ clock: { unanchored: "drop" }, uplink: { badPin: "drop" } }, base(), esp32);
  t.deepEqual(c.clock, { unanchored: "drop", maxEstimateWidthMs: 60000, validAtBoot: false }, "the width given before stays");
  t.is(c.uplink.badPin, "drop");
  const w = mergeConfig({ clock: { maxEstimateWidthMs: 0 } }, c, esp32);
  t.deepEqual(w.clock, { unanchored: "drop", maxEstimateWidthMs: 0, validAtBoot: false });
  t.true(mergeConfig({ clock: { validAtBoot: true } }, w, esp32).clock.validAtBoot, "an ESP32 with a battery-backed RTC says so");
  t.is(mergeConfig({ wifi: { ssid: "x" } }, w, esp32).clock.unanchored, "drop", "another section leaves them alone");
});

test("secrets are described by length only, never echoed", (t) => {
  const secret = "my secret 12"; // 12 chars, valid length for a password but bad as a token
  const err = t.throws(() => mergeConfig({ blynk: { token: secret } }, base(), esp32));
  t.false(err!.message.includes(secret));
});

test("maskConfig hides the password and most of the token, and copies", (t) => {
  const c = base();
  const m = maskConfig(c);
  const text = JSON.stringify(m);
  t.false(text.includes(PASSWORD));
  t.false(text.includes(TOKEN));
  t.is(m.wifi.password, "********");
  t.is(m.blynk.token, "Abcd...2345");
  t.is(c.blynk.token, TOKEN, "the original is untouched");
  t.is(maskConfig(defaultConfig(esp32)).wifi.password, "", "no password shows as empty, not as a mask");
});

test("the board's defaults: ESP8266 talks plain http on port 80, batch capped by the board", (t) => {
  const c = defaultConfig(esp8266);
  t.is(c.blynk.scheme, "http");
  t.is(c.blynk.port, 80);
  t.is(c.limits.batchSize, esp8266.upload.maxPointsPerRequest);
});
