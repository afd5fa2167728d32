/**
 * Connectivity end to end: the compiled firmware (firmware/main.ts built for the board) in the
 * simulated Espruino, with the board's own Wifi behaviour (src/host/sim/wifi.ts), an SNTP
 * responder and the local Blynk server. The Wifi module is the simulation's; the test only
 * watches the program's `connect()` calls (a pass-through recorder) and the `connected` events.
 *
 * Backoff figures are the network manager's documented defaults (src/device/net/index.ts):
 * after the n-th failed join the next one waits between c/2 and c, c = min(2 s x 2^(n-1), 5 min).
 */
import test, { type ExecutionContext } from "ava";
import { build } from "../src/host/build/index.ts";
import { loadBoard } from "../src/host/boards.ts";
import { SimClock, SimEspruino, SimNetwork, installFiles } from "../src/host/sim/index.ts";
import { startServer, type BlynkServer } from "../src/host/server/index.ts";
import { installSntpResponder } from "../src/host/demo/sntp-responder.ts";
import { DEVICES, TOKEN } from "./uplink-harness.ts";

const MIN = 60_000;
const OUTAGE_MS = 30 * MIN;
const SAMPLE_MS = 10_000;
const BACKOFF_BASE_MS = 2000;
const BACKOFF_CAP_MS = 300_000;
const SDK_WATCHDOG_MS = 300_000;
const AP = { ssid: "home", password: "right-wifi-pass" };
const NTP_HOST = "pool.ntp.org";
const CLOUD_HOST = "blynk.cloud";

const bundles: { [id: string]: ReturnType<typeof build> } = {};
/**
 * The board's firmware. These tests are about connectivity; the esp8266 bundle does not fit
 * 1,600 JsVars yet (issue 13, docs/memory.md; test/sim-boot.test.ts holds that), so on it the
 * simulation's limit is off (see rig) and so is the flush's own check of free memory
 * (`upload.minFreeJsVars`, test/api-status.test.ts holds that), which would keep every flush back.
 */
function bundle(id: string): ReturnType<typeof build> {
  const board = loadBoard(id);
  if (id === "esp8266") delete board.upload.minFreeJsVars;
  bundles[id] ??= build({ board, write: false });
  return bundles[id];
}

/** Upper bound of the wait after the n-th failed join (n from 1). */
function ceilingMs(n: number): number {
  return Math.min(BACKOFF_BASE_MS * 2 ** (n - 1), BACKOFF_CAP_MS);
}

interface Rig {
  clock: SimClock;
  network: SimNetwork;
  server: BlynkServer;
  sim: SimEspruino;
  /** Virtual ms of every `Wifi.connect()` the firmware made since {@link configure}. */
  connects: number[];
  /** Virtual ms of every `connected` event since {@link configure}. */
  joins: number[];
  /** REPL lines typed by the test and what they printed. */
  seen: string[];
  type(line: string): string;
  configure(wifiPassword: string): void;
  /** Starts a device-side sampler recording 1, 2, 3... on V1 every SAMPLE_MS. */
  startSampling(): void;
  /** Stops it; returns how many readings it recorded. */
  stopSampling(): number;
  delivered(): number[];
  close(): Promise<void>;
}

async function rig(boardId: string): Promise<Rig> {
  const board = loadBoard(boardId);
  const built = await bundle(boardId);
  const clock = new SimClock();
  const network = new SimNetwork({ clock, wifi: true, ap: AP });
  const server = await startServer({
    db: ":memory:",
    quiet: true,
    devices: DEVICES,
    limits: { rateLimit: 0 },
    clock: () => clock.trueEpochMs(),
  });
  network.route(CLOUD_HOST, { port: server.port, httpsPort: server.port });
  installSntpResponder({ network, hosts: [NTP_HOST] });
  // Off on esp8266: see bundle().
  const sim = new SimEspruino({ board, clock, network, jsVarLimit: boardId !== "esp8266" });
  const connects: number[] = [];
  const joins: number[] = [];
  const seen: string[] = [];
  installFiles(sim, built.parts);
  sim.boot(built.code);
  const r: Rig = {
    clock,
    network,
    server,
    sim,
    connects,
    joins,
    seen,
    type(line) {
      const out = sim.repl(line);
      seen.push(line, out);
      return out;
    },
    configure(wifiPassword) {
      // Fresh firmware has no ssid: it has not called connect() yet. Watch from here on.
      const W = sim.eval('require("Wifi")') as any;
      const connect = W.connect;
      W.connect = function (...args: unknown[]) {
        connects.push(clock.now);
        return connect.apply(this, args);
      };
      W.on("connected", () => joins.push(clock.now));
      const cfg = {
        wifi: { ssid: AP.ssid, password: wifiPassword },
        blynk: { token: TOKEN, host: CLOUD_HOST },
        datastreams: [{ pin: 1, type: "double" }],
        schedules: [],
        ntp: { servers: [NTP_HOST] },
      };
      t_is(r.type(`spool.setup(${JSON.stringify(cfg)})`), "=undefined");
    },
    startSampling() {
      t_is(r.type(`var n = 0; var sampler = spool.sample(1, function () { n++; return n; }, ${SAMPLE_MS})`), "=undefined");
    },
    stopSampling() {
      sim.eval("sampler.stop()");
      return sim.eval("n") as number;
    },
    delivered() {
      return server.history(TOKEN, "V1").map(([, v]) => v as number);
    },
    async close() {
      sim.close();
      await server.close();
    },
  };
  return r;
}

function t_is(actual: unknown, expected: unknown): void {
  if (actual !== expected) throw new Error(`expected ${String(expected)}, got ${String(actual)}`);
}

/** Every reading 1..n on the server exactly once, nothing left in flash. */
function landedOnce(t: ExecutionContext, r: Rig, n: number): void {
  const got = r.delivered();
  t.is(got.length, n, "as many points on the server as readings recorded");
  t.deepEqual(
    [...new Set(got)].sort((a, b) => a - b),
    Array.from({ length: n }, (_, i) => i + 1),
    "each reading once",
  );
  t.is(r.server.stats().duplicates, 0);
  t.is(r.sim.eval("spool.status().queue.pending"), 0);
}

function noDeviceErrors(t: ExecutionContext, r: Rig): void {
  const bad = r.sim.output().filter((l) => /Uncaught|OUT OF MEMORY|Error/.test(l));
  t.deepEqual(bad, []);
}

/** Online and synced with sampling running, then the AP goes away for OUTAGE_MS and comes back. */
async function outage(
  t: ExecutionContext,
  r: Rig,
): Promise<{ offAt: number; onAt: number; joinedAt: number; requestsDuringOutage: number }> {
  r.configure(AP.password);
  await r.clock.advanceAsync(MIN);
  t.is(r.joins.length, 1, "joined at setup");
  t.true(r.sim.eval("spool.status().clock.synced") as boolean, "SNTP synced before the outage");
  r.startSampling();
  await r.clock.advanceAsync(2 * MIN);
  t.true(r.delivered().length > 0, "readings flow while online");

  const offAt = r.clock.now;
  r.network.setWifi(false);
  // Let a request caught by the drop run out (TCP stall) before counting.
  await r.clock.advanceAsync(MIN);
  t.false(r.sim.eval("spool.status().network.up") as boolean);
  const before = r.sim.net.requests;
  await r.clock.advanceAsync(OUTAGE_MS - MIN);
  const requestsDuringOutage = r.sim.net.requests - before;
  const pending = r.sim.eval("spool.status().queue.pending") as number;
  t.true(pending >= OUTAGE_MS / SAMPLE_MS - 7, `readings kept in flash during the outage (${pending})`);

  const onAt = r.clock.now;
  r.network.setWifi(true);
  t.true(await r.clock.runUntilAsync(() => r.joins.length > 1, BACKOFF_CAP_MS + 30_000), "rejoined after the AP returned");
  const joinedAt = r.joins[1];
  return { offAt, onAt, joinedAt, requestsDuringOutage };
}

test("ESP32: a 30 min outage; connect() again and again with growing, capped delays; rejoins within one backoff period; the backlog lands once", async (t) => {
  const r = await rig("esp32");
  try {
    const T = r.network.timing;
    const failMs = T.esp32Attempts * T.attemptMs;
    const o = await outage(t, r);
    t.is(o.requestsDuringOutage, 0, "no HTTP request while the AP is away");

    const calls = r.connects.filter((at) => at > o.offAt && at < o.onAt);
    const gaps = calls.slice(1).map((at, i) => at - calls[i]);
    t.log(`${calls.length} connect() calls in the outage; gaps (s): ${gaps.map((g) => Math.round(g / 1000)).join(" ")}`);
    // A tight loop would make hundreds (one per failed attempt, ~3 s); backoff makes about a dozen.
    t.true(calls.length >= 8 && calls.length <= 20, `${calls.length} connect() calls`);
    t.true(calls[0] - o.offAt <= failMs + ceilingMs(1) + 1, "the first rejoin comes soon after the drop is reported");
    gaps.forEach((g, i) => {
      const c = ceilingMs(i + 1);
      t.true(g >= c / 2 && g <= c + failMs + 1, `gap ${i + 1}: ${g} ms, expected ${c / 2}..${c + failMs} ms`);
    });
    t.true(Math.max(...gaps) <= BACKOFF_CAP_MS + failMs + 1, "capped");
    t.true(
      gaps.slice(-3).every((g) => g >= BACKOFF_CAP_MS / 2),
      "at the cap by the end of the outage",
    );
    t.true(o.onAt - calls[calls.length - 1] <= BACKOFF_CAP_MS + failMs, "still trying when the AP returns (not given up)");

    // The call that rejoined was the one already scheduled: at most one capped delay after the AP returned.
    const rejoin = r.connects.filter((at) => at >= o.onAt);
    t.is(rejoin.length, 1, "one connect() brought it back");
    t.true(
      o.joinedAt - o.onAt <= BACKOFF_CAP_MS + failMs + T.connectMs,
      `rejoined ${Math.round((o.joinedAt - o.onAt) / 1000)} s after the AP returned`,
    );
    t.is(o.joinedAt - rejoin[0], T.connectMs);

    const n = r.stopSampling();
    t.true(await r.clock.runUntilAsync(() => r.delivered().length >= n, 30 * MIN), "the backlog landed");
    await r.clock.advanceAsync(MIN);
    landedOnce(t, r, n);
    noDeviceErrors(t, r);
  } finally {
    await r.close();
  }
});

test("ESP8266: the same outage; Spool leaves reconnecting to the SDK; the backlog lands once; plain HTTP is flagged; the token is never shown", async (t) => {
  const r = await rig("esp8266");
  try {
    const T = r.network.timing;
    const o = await outage(t, r);
    t.is(o.requestsDuringOutage, 0, "no HTTP request while the AP is away");
    const during = r.connects.filter((at) => at > o.offAt);
    t.log(`${during.length} connect() calls from the drop to the rejoin`);
    // The SDK retries every few seconds by itself; Spool's watchdog may add one call per 5 min at most.
    t.true(during.length <= OUTAGE_MS / SDK_WATCHDOG_MS, `no connect storm (${during.length} calls)`);
    t.true(
      o.joinedAt - o.onAt <= T.esp8266RetryMs + T.connectMs,
      `the SDK rejoined ${Math.round((o.joinedAt - o.onAt) / 1000)} s after the AP returned`,
    );

    const n = r.stopSampling();
    t.true(await r.clock.runUntilAsync(() => r.delivered().length >= n, 30 * MIN), "the backlog landed");
    await r.clock.advanceAsync(MIN);
    landedOnce(t, r, n);

    const board = loadBoard("esp8266");
    t.false(board.tls);
    t.is(board.blynk.scheme, "http");
    const st = r.sim.eval("spool.status()") as any;
    t.is(st.uplink.server, `http://${CLOUD_HOST}:80`);
    t.regex(String(st.uplink.warning), /plain HTTP/);
    const report = r.type("spool.report()");
    t.regex(report, /warning: plain HTTP/);
    r.type("JSON.stringify(spool.status())");
    r.type("JSON.stringify(spool.config())");
    const lines = [...r.sim.output(), ...r.seen.filter((l) => !l.startsWith("spool.setup("))];
    t.true(
      lines.some((l) => l.includes(`${TOKEN.slice(0, 4)}...${TOKEN.slice(-4)}`)),
      "the masked token is shown",
    );
    t.deepEqual(
      lines.filter((l) => l.includes(TOKEN)),
      [],
      "the full token appears in no output line",
    );
    noDeviceErrors(t, r);
  } finally {
    await r.close();
  }
});

test("ESP32: a WiFi password the AP rejects is reported in the status; readings stay in flash; the right password delivers them", async (t) => {
  const r = await rig("esp32");
  try {
    const T = r.network.timing;
    r.configure("wrong-password");
    r.startSampling();
    await r.clock.advanceAsync(20 * MIN);
    t.is(r.joins.length, 0);
    const st = r.sim.eval("spool.status()") as any;
    t.false(st.network.up);
    const report = r.type("spool.report()");
    t.log(report);
    const REJECTED = /WiFi "home" rejected the password \(AUTH_FAIL\)/;
    t.regex(report, new RegExp("warning: " + REJECTED.source), "the report says the password was rejected");
    t.regex(String(st.uplink.warning), REJECTED, "so does the status object");
    t.notRegex(report, /no WiFi configured/, "not the stale warning from before the setup");
    t.false(report.includes("wrong-password"), "the password itself is not shown");
    const n = r.sim.eval("n") as number;
    t.is(st.queue.pending, n, "every reading kept in flash");
    t.is(r.delivered().length, 0);
    // Still retrying, spaced by backoff rather than in a tight loop.
    t.true(r.connects.length >= 5 && r.connects.length <= 15, `${r.connects.length} connect() calls in 20 min`);
    const gaps = r.connects.slice(1).map((at, i) => at - r.connects[i]);
    gaps.forEach((g, i) => t.true(g >= ceilingMs(i + 1) / 2, `gap ${i + 1}: ${g} ms`));

    r.type(`spool.setup({wifi: {password: "${AP.password}"}})`);
    t.true(await r.clock.runUntilAsync(() => r.joins.length > 0, T.connectMs + 1000), "the right password joins at once");
    const m = r.stopSampling();
    t.true(await r.clock.runUntilAsync(() => r.delivered().length >= m, 30 * MIN), "the backlog landed");
    await r.clock.advanceAsync(MIN);
    landedOnce(t, r, m);
    const after = r.type("spool.report()");
    t.notRegex(after, /warning/, "the warning is gone once joined");
    t.regex(after, /network {2}WiFi "home" connected/);
    noDeviceErrors(t, r);
  } finally {
    await r.close();
  }
});
