/**
 * Plays a scenario with the compiled firmware in SimEspruino (virtual time, a drifting crystal,
 * the real store in simulated flash), the local Blynk server and, unless blocked, an SNTP
 * responder; every reading's true time is logged by the sensor the device samples
 * (src/host/demo/sensors.ts) so that what the SERVER stored can be checked against it. Used by
 * test/clock-e2e.test.ts and test/clock-no-ntp.test.ts.
 */
import type { ExecutionContext } from "ava";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BoardProfile } from "../../src/device/board.ts";
import type { SpoolStatus } from "../../src/device/api/status.ts";
import { SimClock, SimNetwork, type NetworkStep } from "../../src/host/sim/index.ts";
import { startServer, type BlynkServer } from "../../src/host/server/index.ts";
import { DemoDevice } from "../../src/host/demo/device.ts";
import { DEMO_PINS, Sensors, type TrueReading } from "../../src/host/demo/sensors.ts";
import { installSntpResponder } from "../../src/host/demo/sntp-responder.ts";

export const MIN = 60_000;
export const HOUR = 3_600_000;
export const START_EPOCH_MS = Date.UTC(2026, 2, 10, 6);
export const DRIFT_PPM = 40;
export const SNTP_ERR_MS = 50;
const CLOUD_HOST = "blynk.cloud";
const NTP_HOST = "pool.ntp.org";
export const WIFI = { ssid: "e2e-ap", password: "e2e-wifi-pass" };
/** Virtual ms per driving step (the sync is looked for after each). */
const STEP_MS = MIN;

export interface Play {
  board: BoardProfile;
  /** The build (firmware/main.ts for the board): its bundle and its parts. */
  firmware: Promise<{ code: string; parts: ReadonlyArray<{ storage: string; code: string }> }>;
  /** Sampling period of each pin, ms. Default 10 s. */
  everyMs?: number;
  /** AP in range at power-on. */
  wifiAtStart: boolean;
  wifi: NetworkStep[];
  /** Internet (and so the server) reachable at power-on; default true. */
  onlineAtStart?: boolean;
  /** "blocked": UDP 123 is dropped on the way (no SNTP reply ever); default an answering responder. */
  sntp?: "answer" | "blocked";
  /** Virtual ms of each power cut (the device boots again at once, without time or WiFi). */
  powerCutsMs: number[];
  /** Per cut, virtual ms until the firmware runs again (power off, then the interpreter's start); default 0. */
  darkMs?: number[];
  /** Sampling stops and `spool.flush()` is called here. */
  endMs: number;
  /** Extra `spool.setup` fields. */
  config?: object;
  /** Run until nothing is pending (else a fixed 15 min after the end). */
  drain: boolean;
  /** Things the host does to the device at a virtual ms. */
  actions?: { at: number; run: (dev: DemoDevice) => void }[];
  /** Every reading a distinct value (0.5, 1.5, ...) so each stored point names its reading. */
  uniqueValues?: boolean;
}

/** Sensors whose every reading is a new value k + 0.5 (exact in a float32). */
class CountingSensors extends Sensors {
  private k = 0;
  override read(pin: number): number {
    const value = this.k++ + 0.5;
    this.log.push({ pin, trueMs: this.now(), value, boot: this.boot });
    return value;
  }
}

export interface Played {
  server: BlynkServer;
  token: string;
  log: TrueReading[];
  status: SpoolStatus;
  /** True UTC of each boot's first SNTP sync (+-0.5 s: the status has whole seconds), by boot number. */
  syncAt: Map<number, number>;
  deviceErrors: string[];
}

/** Plays one scenario; the caller closes the returned server. */
export async function play(p: Play): Promise<Played> {
  const clock = new SimClock({ startEpochMs: START_EPOCH_MS });
  const server = await startServer({ port: 0, db: ":memory:", quiet: true, clock: () => clock.trueEpochMs() });
  const dir = mkdtempSync(join(tmpdir(), "spool-clock-e2e-"));
  let dev: DemoDevice | undefined;
  try {
    const token = server.demoToken!;
    const network = new SimNetwork({ clock, wifi: p.wifiAtStart, online: p.onlineAtStart ?? true, ap: WIFI });
    network.route(CLOUD_HOST, { port: server.port, httpsPort: server.port });
    if (p.sntp === "blocked") network.udpHandler(NTP_HOST, 123, () => undefined, { drop: true });
    else installSntpResponder({ network, hosts: [NTP_HOST] });
    network.schedule(p.wifi);
    const sensors = p.uniqueValues ? new CountingSensors(() => clock.trueEpochMs()) : new Sensors(() => clock.trueEpochMs());
    const deviceErrors: string[] = [];
    const d = new DemoDevice({
      board: p.board,
      code: (await p.firmware).code,
      parts: (await p.firmware).parts,
      clock,
      network,
      dir,
      sensors,
      everyMs: p.everyMs ?? 10_000,
      driftPpm: DRIFT_PPM,
      config: {
        wifi: WIFI,
        blynk: { token, host: CLOUD_HOST, scheme: "https", port: 443 },
        datastreams: DEMO_PINS.map((pin) => ({ pin, type: "double" })),
        // The firmware's own V1 schedule (chip temperature) off: the test's sensor is the only source.
        schedules: [],
        ntp: { servers: [NTP_HOST] },
        ...p.config,
      },
      console: (line) => {
        if (/Uncaught|OUT OF MEMORY|Error/.test(line)) deviceErrors.push(line);
      },
    });
    dev = d;
    let failure: unknown;
    for (const [i, at] of p.powerCutsMs.entries()) {
      clock.schedule(at, () => {
        try {
          d.powerCycle(p.darkMs?.[i] ?? 0);
        } catch (err) {
          failure ??= err;
        }
      });
    }
    for (const a of p.actions ?? []) {
      clock.schedule(a.at, () => {
        try {
          a.run(d);
        } catch (err) {
          failure ??= err;
        }
      });
    }
    const syncAt = new Map<number, number>();
    const noteSync = () => {
      if (!d.running || syncAt.has(d.bootCount)) return;
      const c = d.status().clock;
      // Looked at every minute, before the hourly re-sync: the anchor is the first sync (to 0.5 s).
      if (c.synced && c.lastSyncAgoS !== null) syncAt.set(d.bootCount, clock.trueEpochMs() - c.lastSyncAgoS * 1000);
    };
    d.boot();
    while (clock.now < p.endMs) {
      await clock.advanceAsync(Math.min(STEP_MS, p.endMs - clock.now));
      if (failure) throw failure;
      noteSync();
    }
    d.finish();
    if (p.drain) await clock.runUntilAsync(() => d.pending() === 0, HOUR);
    else await clock.advanceAsync(15 * MIN);
    await clock.settle();
    noteSync();
    return { server, token, log: sensors.log, status: d.status(), syncAt, deviceErrors };
  } catch (err) {
    await server.close();
    throw err;
  } finally {
    dev?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Values as the store keeps them (float32 doubles). */
export function sameValue(a: unknown, b: number): boolean {
  return typeof a === "number" && Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));
}

/**
 * Checks that the server holds exactly `expected` (each pin in time order, once, same values)
 * and that each stored timestamp is within `bound(reading)` ms of the reading's true time.
 * Returns the largest |error|, ms.
 */
export function checkDelivered(
  t: ExecutionContext,
  r: Played,
  expected: TrueReading[],
  bound: (x: TrueReading) => number,
  options: { ordered?: boolean } = {},
): number {
  let maxErr = 0;
  let over = 0;
  for (const pin of DEMO_PINS) {
    const want = expected.filter((x) => x.pin === pin).sort((a, b) => a.trueMs - b.trueMs);
    const got = (r.server.history(r.token, pin) as [number, unknown][]).slice().sort((a, b) => a[0] - b[0]);
    t.is(got.length, want.length, `V${pin}: the server holds every expected reading once`);
    // Unordered: timestamps placed by an HTTP Date (+-1 s) may interleave readings of adjacent
    // boots; each stored point is matched to the nearest unmatched reading of the same value.
    const pairs: Array<[[number, unknown], TrueReading | undefined]> = [];
    if (options.ordered === false) {
      const used = new Set<TrueReading>();
      for (const g of got) {
        let best: TrueReading | undefined;
        for (const w of want)
          if (!used.has(w) && sameValue(g[1], w.value) && (!best || Math.abs(g[0] - w.trueMs) < Math.abs(g[0] - best.trueMs))) best = w;
        if (best) used.add(best);
        pairs.push([g, best]);
      }
    } else for (let i = 0; i < Math.min(got.length, want.length); i++) pairs.push([got[i], want[i]]);
    let wrongValue = 0;
    for (const [g, w] of pairs) {
      if (!w || !sameValue(g[1], w.value)) {
        wrongValue++;
        continue;
      }
      const err = g[0] - w.trueMs;
      maxErr = Math.max(maxErr, Math.abs(err));
      if (Math.abs(err) > bound(w)) {
        if (over++ < 3)
          t.log(`V${pin} reading at true +${w.trueMs - START_EPOCH_MS} ms: uploaded ${err} ms off, bound ${bound(w).toFixed(0)} ms`);
      }
    }
    t.is(wrongValue, 0, `V${pin}: ${options.ordered === false ? "every value stored" : "stored in the order taken, values intact"}`);
    t.true(
      got.every(([ts]) => ts >= START_EPOCH_MS),
      `V${pin}: nothing sent with a made-up (1970) time`,
    );
  }
  t.is(over, 0, "every uploaded timestamp is within its bound");
  return maxErr;
}

/** The bound for a reading resolved from the SNTP anchor taken at `anchorMs`. */
export function anchored(anchorMs: number): (x: TrueReading) => number {
  return (x) => SNTP_ERR_MS + DRIFT_PPM * 1e-6 * Math.abs(anchorMs - x.trueMs);
}
