/**
 * REPL transcripts on the compiled bundle (firmware/main.ts built for the board) in the
 * simulated Espruino: what a user types at the serial console, and what they see.
 */
import test from "ava";
import { build } from "../src/host/build/index.ts";
import { SimClock, SimEspruino, SimNetwork, installFiles } from "../src/host/sim/index.ts";
import { loadBoard } from "../src/host/boards.ts";

const TOKEN = "Tok3nAbcdefghijklmnopqrstuvwxyz9";
const PASSWORD = "s3cret-wifi-pass";
const bundles: { [id: string]: ReturnType<typeof build> } = {};

function bundle(id: string): ReturnType<typeof build> {
  bundles[id] ??= build({ board: id, write: false });
  return bundles[id];
}

interface Console {
  sim: SimEspruino;
  clock: SimClock;
  /** Every line the user saw: console output and REPL results. */
  seen: string[];
  type(line: string): string;
}

async function device(id: string): Promise<Console> {
  const clock = new SimClock();
  const network = new SimNetwork({ clock, online: false, ap: { ssid: "home", password: PASSWORD } });
  const seen: string[] = [];
  const sim = new SimEspruino({ board: loadBoard(id), clock, network, console: (l) => seen.push(l) });
  const built = await bundle(id);
  installFiles(sim, built.parts);
  sim.boot(built.code);
  return {
    sim,
    clock,
    seen,
    type(line: string) {
      const out = sim.repl(line);
      seen.push(out);
      return out;
    },
  };
}

const SETUP = `spool.setup({wifi: {ssid: "home", password: "${PASSWORD}"}, blynk: {token: "${TOKEN}", region: "fra1"},
  datastreams: [{pin: 1, type: "double"}, {pin: "V2", type: "string"}, {pin: 3, type: "location"}]})`;

test("linux: setup -> record -> status -> reboot -> config and buffer still there", async (t) => {
  const c = await device("linux");
  t.deepEqual(c.sim.output(), ["Spool 0.1.0 on linux"]);
  t.is(c.type(SETUP), "=undefined");
  t.is(c.type(`spool.record(1, 21.5)`), "=undefined");
  t.is(c.type(`spool.record("V2", "door open")`), "=undefined");
  t.is(c.type(`spool.record(3, [13.4, 52.5])`), "=undefined");
  c.clock.advance(60000); // the default schedule samples V1 once a minute
  t.is(c.type(`spool.status().queue.pending`), "=4");
  const report = c.type(`spool.report()`).split("\n");
  t.is(report[0], "Spool 0.1.0 on linux");
  t.regex(report[1], /^queue {4}4 undelivered readings, oldest 60 s old; room for \d+ more \(\d+(\.\d)?% free\), policy overwrite-oldest$/);
  t.is(report[2], "drops    none");
  t.regex(report[3], /^flash {4}16 sectors, erased 0\.\.1 times of 100000, lifetime about [\d.]+ years$/);
  // The Linux build runs on the host's clock: valid at boot (boards/linux.json).
  t.regex(report[4], /^clock {4}synced \(board\)/);
  t.regex(report[5], /^uplink {3}\S+ -> https:\/\/fra1\.blynk\.cloud:443 \(token Tok3\.\.\.xyz9\)/);
  t.true(report.includes("sampling V1 synthetic every 60 s: 1 sample, 0 errors"));
  t.regex(report.at(-2)!, /^memory {3}\d+ of \d+ JsVars free$/);
  t.is(report.at(-1), "=undefined");

  c.sim.reboot();
  t.is(c.sim.output().at(-1), "Spool 0.1.0 on linux");
  t.is(c.type(`spool.config().blynk.host`), `="fra1.blynk.cloud"`);
  t.is(c.type(`spool.config().datastreams.length`), "=3");
  t.is(c.type(`spool.status().queue.pending`), "=4");
  t.regex(c.type(`spool.status().queue.oldestAgeS`), /^=6\d(\.\d+)?$/, "stamped by the board's clock: its age is known after the reboot");
  t.is(c.type(`spool.config().wifi.password`), `="********"`);
});

const BAD: Array<[string, RegExp]> = [
  [`spool.setup("home")`, /the configuration must be an object/],
  [`spool.setup({wfi: {}})`, /unknown field wfi \(valid: wifi, blynk, datastreams/],
  [`spool.setup({wifi: {ssid: 12}})`, /wifi\.ssid must be a string of 0\.\.32 characters \(got 12\)/],
  [`spool.setup({wifi: {password: "abc"}})`, /wifi\.password must be a string of 8\.\.63 characters .*\(got 3 characters\)/],
  [`spool.setup({wifi: {passwd: "abcdefgh"}})`, /unknown field wifi\.passwd \(valid: ssid, password\)/],
  [`spool.setup({blynk: {token: "short"}})`, /blynk\.token must be the device's auth token/],
  [`spool.setup({blynk: {region: "fra9"}})`, /blynk\.region must be one of fra1, lon1, ny3, sgp1, blr1, "" \(got "fra9"\)/],
  [`spool.setup({blynk: {host: "https://blynk.cloud"}})`, /blynk\.host must be a host name such as fra1\.blynk\.cloud/],
  [`spool.setup({blynk: {host: "a.b", region: "lon1"}})`, /give blynk\.host or blynk\.region, not both/],
  [`spool.setup({blynk: {scheme: "mqtt"}})`, /blynk\.scheme must be one of https, http \(got "mqtt"\)/],
  [`spool.setup({blynk: {port: 123456}})`, /blynk\.port must be an integer 1\.\.65535 \(got 123456\)/],
  [`spool.setup({datastreams: {pin: 1}})`, /datastreams must be an array/],
  [
    `spool.setup({datastreams: [{pin: 1, type: "double"}, {pin: 2, type: "float"}]})`,
    /datastreams\[1\]\.type must be one of integer, double, boolean, enum, string, location \(got "float"\)/,
  ],
  [
    `spool.setup({datastreams: [{pin: "V300", type: "double"}]})`,
    /datastreams\[0\]\.pin must be a virtual pin 0\.\.255 or "V0"\.\."V255" \(got "V300"\)/,
  ],
  [
    `spool.setup({datastreams: [{pin: 1, type: "integer", precision: "float32"}]})`,
    /precision must be left out: precision applies to double datastreams only/,
  ],
  [
    `spool.setup({datastreams: [{pin: 1, type: "double"}, {pin: "v1", type: "double"}]})`,
    /datastreams\[1\]\.pin V1 is already datastreams\[0\]/,
  ],
  [`spool.setup({datastreams: [{pin: 2, type: "string"}]})`, /schedules\[0\]\.pin V1 must be one of the datastreams/],
  [`spool.setup({schedules: [{pin: 1, everyMs: 50}]})`, /schedules\[0\]\.everyMs must be an integer 100\.\.604800000 \(got 50\)/],
  [`spool.setup({schedules: [{pin: 2, everyMs: 1000}]})`, /schedules\[0\]\.pin V2 must be a double or integer datastream/],
  [
    `spool.setup({schedules: [{pin: 1, everyMs: 1000, source: "moon"}]})`,
    /schedules\[0\]\.source must be one of temperature, analog, synthetic/,
  ],
  [`spool.setup({buffer: {policy: "drop-newest"}})`, /buffer\.policy must be one of overwrite-oldest, refuse/],
  [`spool.setup({limits: {batchSize: 0}})`, /limits\.batchSize must be an integer 1\.\.10000 \(got 0\)/],
  [`spool.setup({limits: {dailyQuota: -1}})`, /limits\.dailyQuota must be an integer 1\.\.10000000/],
  [`spool.setup({limits: {maxAgeDays: 1/0}})`, /limits\.maxAgeDays must be an integer 1\.\.366 \(got Infinity\)/],
  [`spool.setup({ntp: {servers: []}})`, /ntp\.servers must be an array of 1\.\.4 host names/],
  [`spool.setup({flushDelayMs: -5})`, /flushDelayMs must be an integer 0\.\.3600000 \(got -5\)/],
  [`spool.setup({statusPin: 1})`, /statusPin V1 must be a string datastream/],
];

test(`linux: ${BAD.length} bad configs at the REPL -> the right error, the old config intact`, async (t) => {
  const c = await device("linux");
  c.type(SETUP);
  const file = () => ["spool.json", "spool.cfg0", "spool.cfg1"].map((n) => c.sim.storage.read(n));
  const before = file();
  const config = c.type(`spool.config()`);
  for (const [line, re] of BAD) {
    const out = c.type(line);
    t.regex(out, /^Uncaught Error: spool\.setup: /, line);
    t.regex(out, re, line);
    t.deepEqual(file(), before, `${line}: the stored config changed`);
    t.is(c.type(`spool.config()`), config, `${line}: the config in force changed`);
  }
  c.sim.reboot();
  t.is(c.type(`spool.config()`), config, "and after a reboot");
});

test("linux: record refuses bad values at the REPL; erase asks for confirmation", async (t) => {
  const c = await device("linux");
  c.type(SETUP);
  t.regex(
    c.type(`spool.record(9, 1)`),
    /^Uncaught Error: spool\.record: V9 is not a datastream \(configured: V1 double, V2 string, V3 location\)/,
  );
  t.regex(
    c.type(`spool.record(1, 0/0)`),
    /^Uncaught Error: spool\.record: V1 is a double datastream: value must be a finite number; NaN and Infinity cannot be sent \(got NaN\)/,
  );
  t.regex(
    c.type(`var s = ""; for (var i = 0; i < 1025; i++) s += "x"; spool.record(2, s)`),
    /^Uncaught Error: spool\.record: V2 is a string datastream: value must be at most 1024 bytes of UTF-8 \(got 1025 characters\)/,
  );
  t.is(c.type(`spool.record(2, s.substr(1))`), "=undefined", "1024 bytes fit");
  t.regex(c.type(`spool.record(3, [52.5, 113.4])`), /lat a number -90\.\.90 \(longitude comes first\)/);
  c.type(`spool.record(1, 1)`);
  c.type(`spool.record(1, 2)`);
  const n = Number(c.type(`spool.status().queue.pending`).slice(1));
  t.true(n >= 2);
  t.is(
    c.type(`spool.erase()`),
    `Uncaught Error: spool.erase: this discards every stored reading, ${n} of them not yet delivered. To confirm, call spool.erase("yes, erase ${n} readings")`,
  );
  t.is(c.type(`spool.erase("yes, erase ${n} readings")`), `=${n}`);
  t.is(c.type(`spool.status().drops.erased`), `=${n}`);
});

test("esp32: secrets never appear in any printed output", async (t) => {
  const c = await device("esp32");
  c.type(SETUP);
  c.clock.advance(120000);
  for (const line of [
    `spool.config()`,
    `spool.status()`,
    `spool.report()`,
    `spool.setup({blynk: {token: "bad token with spaces"}})`,
    `spool.setup({wifi: {password: "${PASSWORD.slice(0, 5)}"}})`,
    `spool.setup({wifi: {password: 12345678}})`,
    `print(JSON.stringify(spool.config()))`,
    `spool`,
  ])
    c.type(line);
  c.sim.reboot();
  c.type(`spool.report()`);
  const all = [...c.seen, ...c.sim.output()].join("\n");
  t.true(all.includes("Tok3...xyz9"), "the masked token is shown");
  t.false(all.includes(TOKEN), "the token never appears in full");
  t.false(all.includes(PASSWORD), "the WiFi password never appears");
  t.false(all.includes(PASSWORD.slice(0, 5)), "nor does a rejected password");
  t.regex(all, /network {2}WiFi "home" (connected|down)/);
});
