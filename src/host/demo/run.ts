/**
 * Runs the demo: the local server, the simulated ESP32 on the simulated network, the scripted
 * day in virtual time, and the bookkeeping at the end. The server is returned running; the
 * caller closes it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { build } from "../build/index.ts";
import { loadBoard } from "../boards.ts";
import { SimClock, SimNetwork } from "../sim/index.ts";
import { startServer, type BlynkServer, type Faults } from "../server/index.ts";
import type { SpoolStatus } from "../../device/api/status.ts";
import { account, accountPin, newPoints, type Account, type StoredPoint } from "./accounting.ts";
import { DemoDevice, DEMO_DRIFT_PPM } from "./device.ts";
import { DEFAULT_PORT, HOUR_MS, type DemoOptions } from "./options.ts";
import { Progress, n, type Snapshot } from "./progress.ts";
import { DEMO_PINS, HUMIDITY_PIN, Sensors, TEMPERATURE_PIN } from "./sensors.ts";
import { installSntpResponder } from "./sntp-responder.ts";
import { timeline, type Timeline } from "./scenario.ts";

const DAY_MS = 86_400_000;
const BOARD_ID = "esp32";
/** The cloud's name as the device's default config has it; the sim routes it to the local server. */
const CLOUD_HOST = "blynk.cloud";
const NTP_HOST = "pool.ntp.org";
const WIFI = { ssid: "spool-demo", password: "demo-wifi-pass" };
/** Virtual ms per driving step in accelerated mode (the progress line is refreshed after each). */
const STEP_MS = 60_000;
/** Wall ms between observations in real-time mode. */
const REALTIME_POLL_MS = 200;
/** How long the final flush may take, virtual ms. */
const FLUSH_LIMIT_MS = HOUR_MS;

export interface RunDemoOptions extends DemoOptions {
  /** The firmware bundle and its parts; default: firmware/main.ts compiled for the ESP32 now (in memory). */
  firmware?: { code: string; parts: ReadonlyArray<{ storage: string; code: string }> };
  /** UTC at the start of the day; default: the last UTC midnight before yesterday ends (now, in real time). */
  startEpochMs?: number;
  /** Where progress and events go; default process.stdout. */
  write?: (text: string) => void;
  /** Redraw the progress line in place; default: whether stdout is a terminal. */
  tty?: boolean;
  /** Print nothing while running. */
  silent?: boolean;
  /** Faults the server injects (tests: lost replies make duplicates). */
  faults?: Faults;
}

/** What a run found. */
export interface DemoResult {
  account: Account;
  server: BlynkServer;
  /** The page with the charts. */
  pageUrl: string;
  token: string;
  timeline: Timeline;
  /** UTC of virtual time 0. */
  startEpochMs: number;
  /** Wall time of the run (server start to summary), ms. */
  wallMs: number;
  /** The device's final status. */
  status: SpoolStatus;
  boots: number;
  /** HTTP requests the server answered, SNTP requests answered. */
  requests: number;
  sntpAnswers: number;
  /** Largest JsVar usage seen between driving steps. */
  peakVars: number;
  /** Most of the daily quota used in one UTC day. */
  peakQuota: number;
  driftPpm: number;
  /** Uncaught errors and OUT OF MEMORY lines printed by the device. */
  deviceErrors: string[];
  /** Why the server is not on the port asked for, if it is not. */
  portNote?: string;
}

function removeDb(file: string): void {
  for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(file + suffix, { force: true });
}

async function startDemoServer(o: RunDemoOptions, now: () => number): Promise<{ server: BlynkServer; portNote?: string }> {
  const base = { db: o.db, quiet: true, clock: now };
  if (o.port !== undefined) {
    try {
      return { server: await startServer({ ...base, port: o.port }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
      throw new Error(`port ${o.port} is in use: choose another with --port N (0 = any free port)`);
    }
  }
  try {
    return { server: await startServer({ ...base, port: DEFAULT_PORT }) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
    return { server: await startServer({ ...base, port: 0 }), portNote: `port ${DEFAULT_PORT} is taken` };
  }
}

/** The UTC midnight that starts yesterday: the demo day then lies in the past. */
function defaultStart(): number {
  const now = new Date();
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - DAY_MS;
}

function describePhase(at: number, t: Timeline, st: SpoolStatus, boots: number): string {
  const up = st.network.up;
  if (at >= t.endMs) return "final flush";
  if (st.uplink.state === "paused-quota") return "daily quota used, waiting";
  if (at < t.outageStartMs) return up ? "online" : "joining WiFi";
  if (at < t.outageEndMs) return boots > 1 ? "outage, rebooted, no time" : "WiFi outage";
  if (!up) return "AP back, rejoining";
  return st.clock.synced ? "online, delivering" : "online, clock not set";
}

/**
 * Plays the demo and returns its account with the server still running.
 * @throws Error when the firmware does not build, the server cannot start (port taken), or the
 * simulation fails; the server is closed then.
 */
export async function runDemo(o: RunDemoOptions): Promise<DemoResult> {
  const wallStart = Date.now();
  const write = o.silent ? () => {} : (o.write ?? ((t: string) => void process.stdout.write(t)));
  const board = loadBoard(BOARD_ID);
  const firmware = o.firmware ?? (await build({ board, write: false }));
  const code = firmware.code;
  const t = timeline(o);
  const everyMs = Math.round(o.rateS * 1000);

  if (!o.keep) removeDb(o.db);
  let clock: SimClock | undefined;
  const { server, portNote } = await startDemoServer(o, () => (clock ? clock.trueEpochMs() : Date.now()));
  const dir = mkdtempSync(join(tmpdir(), "spool-demo-"));
  let device: DemoDevice | undefined;
  try {
    const token = server.demoToken;
    if (!token) throw new Error("the demo server has no demo device token");
    if (o.faults) server.setFaults(o.faults);
    const before = new Map<number, StoredPoint[]>();
    let newest = -Infinity;
    for (const pin of DEMO_PINS) {
      const h = o.keep ? (server.history(token, pin) as StoredPoint[]) : [];
      before.set(pin, h);
      if (h.length) newest = Math.max(newest, h[h.length - 1][0]);
    }
    let startEpochMs = o.startEpochMs ?? (o.realtime ? Date.now() : defaultStart());
    // A kept database: this day follows the last one (a fresh day's quota, no overlap on the chart).
    if (o.startEpochMs === undefined && !o.realtime && newest > -Infinity)
      startEpochMs = Math.max(startEpochMs, Math.floor(newest / DAY_MS) * DAY_MS + DAY_MS);
    clock = new SimClock({ startEpochMs });
    const simClock = clock;
    const network = new SimNetwork({ clock, wifi: true, ap: WIFI });
    network.route(CLOUD_HOST, { port: server.port, httpsPort: server.port });
    const sntp = installSntpResponder({ network, hosts: [NTP_HOST] });
    const sensors = new Sensors(() => simClock.trueEpochMs());

    const progress = new Progress({
      write,
      tty: o.tty ?? process.stdout.isTTY === true,
      totalMs: t.endMs,
      plainEveryMs: Math.max(HOUR_MS, Math.round(t.endMs / 12 / HOUR_MS) * HOUR_MS),
    });
    const deviceErrors: string[] = [];
    const dev = new DemoDevice({
      board,
      code,
      parts: firmware.parts,
      clock,
      network,
      dir,
      sensors,
      everyMs,
      config: {
        wifi: WIFI,
        blynk: { token, host: CLOUD_HOST, scheme: "https", port: 443 },
        datastreams: [
          { pin: TEMPERATURE_PIN, type: "double" },
          { pin: HUMIDITY_PIN, type: "double" },
        ],
        schedules: [],
        ntp: { servers: [NTP_HOST] },
      },
      console: (line) => {
        if (/Uncaught|OUT OF MEMORY|Error/.test(line)) deviceErrors.push(line);
        progress.event(simClock.now, `device: ${line}`);
      },
    });
    device = dev;

    let failure: unknown;
    const at = (ms: number, label: string, fn: () => void) =>
      simClock.schedule(
        ms,
        () => {
          try {
            fn();
          } catch (err) {
            failure ??= err;
          }
        },
        label,
      );
    network.schedule([
      { at: t.outageStartMs, up: false },
      { at: t.outageEndMs, up: true },
    ]);
    at(t.outageStartMs, "outage", () =>
      progress.event(t.outageStartMs, `WiFi access point gone for ${o.outageH} h: readings pile up in flash`),
    );
    at(t.powerCutMs, "power cut", () => {
      const pending = dev.pending();
      dev.powerCycle();
      progress.event(t.powerCutMs, `power cut with ${n(pending)} readings in flash; reboot: no time (clock at 1970), no WiFi`);
    });
    at(t.outageEndMs, "outage over", () => progress.event(t.outageEndMs, "WiFi access point back"));
    let finished = false;
    at(t.endMs, "end of day", () => {
      dev.finish();
      finished = true;
      progress.event(t.endMs, "day over: sampling stopped, spool.flush()");
    });

    dev.boot();
    let peakVars = 0;
    let peakQuota = 0;
    let wasUp = false;
    let wasSynced = false;
    let lastBoot = 1;
    let hadBacklog = false;
    const observe = () => {
      const st = dev.status();
      peakVars = Math.max(peakVars, st.memory.usage);
      peakQuota = Math.max(peakQuota, st.uplink.quotaUsed);
      if (dev.bootCount !== lastBoot) {
        lastBoot = dev.bootCount;
        wasUp = false;
        wasSynced = false;
      }
      const now = simClock.now;
      if (st.network.up !== wasUp) {
        wasUp = st.network.up;
        progress.event(now, wasUp ? `WiFi joined (${WIFI.ssid})` : "WiFi lost");
      }
      if (st.clock.synced && !wasSynced) {
        wasSynced = true;
        const off = st.clock.lastOffsetMs;
        const what = dev.bootCount > 1 ? "; readings taken since the reboot get their real time" : "";
        const how =
          off !== null && Math.abs(off) < 1e6
            ? `clock synced (SNTP correction ${off >= 0 ? "+" : ""}${Math.round(off)} ms)`
            : "clock set by SNTP (it was at 1970)";
        progress.event(now, how + what);
      }
      if (now > t.outageStartMs && st.queue.pending > 100) hadBacklog = true;
      if (hadBacklog && now >= t.outageEndMs && st.queue.pending < 3) {
        hadBacklog = false;
        progress.event(now, "backlog delivered");
      }
      const ss = server.stats();
      const snap: Snapshot = {
        atMs: now,
        phase: describePhase(now, t, st, dev.bootCount),
        queue: st.queue.pending,
        delivered: ss.pointsStored - ss.duplicates,
        quotaUsed: st.uplink.quotaUsed,
        quotaDaily: st.uplink.quotaDaily,
      };
      progress.update(snap);
    };
    const check = () => {
      if (failure) throw failure;
    };

    progress.event(
      0,
      `${board.id} boots the firmware (${n(code.length)} bytes); samples V${TEMPERATURE_PIN} temperature and V${HUMIDITY_PIN} humidity every ${o.rateS} s`,
    );
    const flushDeadline = t.endMs + FLUSH_LIMIT_MS;
    const drained = () => finished && (dev.pending() === 0 || simClock.now >= flushDeadline);
    if (o.realtime || o.speed !== undefined) {
      clock.startRealTime({ speed: o.speed ?? 1 });
      try {
        while (!drained()) {
          await sleep(REALTIME_POLL_MS);
          check();
          observe();
        }
      } finally {
        clock.stopRealTime();
      }
    } else {
      while (clock.now < t.endMs) {
        await clock.advanceAsync(Math.min(STEP_MS, t.endMs - clock.now));
        check();
        observe();
      }
      await clock.runUntilAsync(drained, FLUSH_LIMIT_MS);
      check();
    }
    await clock.settle();
    observe();
    progress.done();

    const status = dev.status();
    const pins = DEMO_PINS.map((pin) =>
      accountPin({
        pin,
        readings: sensors.readings(pin),
        stored: newPoints(before.get(pin)!, server.history(token, pin) as StoredPoint[]),
        toleranceMs: everyMs / 2,
      }),
    );
    const result: DemoResult = {
      account: account({
        pins,
        recorded: dev.readingsConfirmed,
        sampleErrors: dev.sampleErrors,
        dropped: status.drops,
        pending: status.queue.pending,
      }),
      server,
      pageUrl: `${server.url}/`,
      token,
      timeline: t,
      startEpochMs,
      wallMs: Date.now() - wallStart,
      status,
      boots: dev.bootCount,
      requests: server.stats().requests,
      sntpAnswers: sntp.answered,
      peakVars,
      peakQuota,
      driftPpm: DEMO_DRIFT_PPM,
      deviceErrors,
      portNote,
    };
    return result;
  } catch (err) {
    await server.close();
    throw err;
  } finally {
    device?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
