// Shared by test/uplink-*.test.ts: the real store and uplink, built for the board and run in a
// simulated Espruino (its Flash, Storage, timers and `http` over real sockets), against the
// real local server in virtual time. A power cut is the simulation's own; a reboot is a new
// SimEspruino on the same flash files.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BoardProfile } from "../src/device/board.ts";
import type { StoreStats } from "../src/device/store/contract.ts";
import type { Stamp } from "../src/device/types.ts";
import type { UplinkConfig, UplinkStatus } from "../src/device/uplink/index.ts";
import { build } from "../src/host/build/index.ts";
import { startServer, type BlynkServer, type DeviceConfig, type Faults, type Limits } from "../src/host/server/index.ts";
import type { CloudSettings } from "../src/host/server/options.ts";
import type { SimClock } from "../src/host/sim/clock.ts";
import type { SimEspruino } from "../src/host/sim/espruino.ts";
import { PowerCutError } from "../src/host/sim/nor-flash.ts";
import { readBoard, simWorld } from "../src/host/sim/testing.ts";

export const TOKEN = "upLinkTokenAbcdefghijklmnopqrst9"; // 32 characters, like Blynk's
export const BASE_EPOCH = Date.UTC(2026, 2, 1, 0, 0, 0);
/** Host name of the local server as the device knows it. */
export const HOST = "blynk.test";

export const DEVICES: DeviceConfig[] = [
  {
    name: "uplink",
    token: TOKEN,
    // "Save raw data" on: the cloud keeps every point, so the tests can compare point sets.
    datastreams: [
      { pin: "V0", type: "double", rawData: true },
      { pin: "V1", type: "double", rawData: true },
      { pin: "V2", type: "integer", rawData: true },
      { pin: "V3", type: "boolean", rawData: true },
      { pin: "V5", type: "string", rawData: true },
      { pin: "V6", type: "location", rawData: true },
    ],
  },
];

/** Pin types of the test device as the store keeps them: V1 is a float64 Double. */
export const STORE_DATASTREAMS = { "1": { type: "double", precision: "float64" } };

/**
 * The ESP32's flash geometry (64 KB region of 4 KB pages, Storage elsewhere) without WiFi: the
 * link is the simulated internet, so tests need not wait for an association.
 */
export const RIG_BOARD: BoardProfile = { ...readBoard("esp32"), network: "none" };

const ENTRY = fileURLToPath(new URL("./entries/uplink-rig.ts", import.meta.url));
let bundle: Promise<string> | undefined;

/** The rig firmware, built once per test process. */
export function rigBundle(): Promise<string> {
  bundle ??= build({ board: RIG_BOARD, entry: ENTRY, write: false }).then((r) => r.code);
  return bundle;
}

/** Where in request n the firmware's http probe is called. */
export type HttpPoint = "before-send" | "mid-body" | "before-reply";

/** One reading as the entry's `t.append` takes it: [pin, stamp, value]. */
export type Row = [number, Stamp, unknown];

export interface Rig {
  clock: SimClock;
  server: BlynkServer;
  /** The running device (a new object after each reboot). */
  readonly sim: SimEspruino;
  /** Evaluates `expr` in the device and returns its value as JSON (host objects, not the context's). */
  eval<T = unknown>(expr: string): T;
  status(): UplinkStatus;
  storeStats(): StoreStats;
  /** Appends readings (then `notifyAppended`). */
  append(rows: Row[]): void;
  /** `n` readings of `pin`, one every `everyMs` from `fromEpoch`, value `a + i * b`. */
  series(pin: number, n: number, fromEpoch: number, everyMs: number, a?: number, b?: number): void;
  setLink(up: boolean): void;
  /** Routes a host name of the simulated network to a local port (e.g. a region listener). */
  route(host: string, port: number): void;
  /** HTTP requests the device opened, across reboots. */
  requests(): number;
  /** Largest single string written to a request, across reboots. */
  maxWriteBytes(): number;
  /** Flash operations (writes + erases) on the store's flash since the rig was made. */
  flashOps(): number;
  /** Cuts power at flash operation `k` from now (1-based), torn after `tornBytes`. */
  armPowerCut(k: number, tornBytes: number): void;
  /** Cuts power now: the simulation's own power cut (timers, sockets and callbacks die). */
  die(): void;
  /**
   * Cuts power from inside the firmware at a point of an HTTP exchange: `at(n, point)` is asked
   * at each point of request n (see test/entries/uplink-rig.ts); when it says yes the device
   * dies there, and the code running stops as a power cut stops it (nothing more reaches flash).
   */
  cutDuringHttp(at: (n: number, point: HttpPoint) => boolean): void;
  isAlive(): boolean;
  /** Power cuts so far (by {@link die} or an armed flash cut). */
  powerCuts(): number;
  /** Powers on: a new SimEspruino on the same flash files boots the firmware and starts it. */
  reboot(options?: { start?: boolean }): void;
  /** Starts the uplink. */
  start(): void;
  /** Runs virtual time until nothing is pending (or the device died) or `maxMs` passed. */
  drain(maxMs?: number, options?: { idleMs?: number }): Promise<boolean>;
  history(pin: number): Array<[number, unknown]>;
  close(): Promise<void>;
}

export interface RigOptions {
  limits?: Partial<Limits>;
  faults?: Faults;
  config?: Partial<UplinkConfig>;
  /** Region listener for 308 tests. */
  region?: boolean;
  /** Whether this boot's uptime stamps resolve (the device clock is known). Default true. */
  synced?: boolean;
  linkUp?: boolean;
  /** Size of the store's flash region (default the board's 64 KB). */
  flashBytes?: number;
  /** Send the device to this port instead of the local server's (another peer on 127.0.0.1). */
  routePort?: number;
  /**
   * The server's cloud-like mode (undocumented wordings for quota and plan limits, a monthly
   * message quota, 308 with an empty body and an https Location): on by default, so that the
   * device is tested against a peer that does not agree with it by construction; false = the
   * local server's polite answers.
   */
  cloud?: boolean | CloudSettings;
  /** More routes in the simulated network: host -> local port. */
  routes?: { [host: string]: number };
}

/** Starts the server, boots the rig firmware in a simulated ESP32 and mounts the store (the uplink is not started). */
export async function makeRig(o: RigOptions = {}): Promise<Rig> {
  const code = await rigBundle();
  const world = simWorld({ clock: { startEpochMs: BASE_EPOCH } });
  const clock = world.clock;
  const server = await startServer({
    db: ":memory:",
    quiet: true,
    devices: DEVICES,
    limits: { rateLimit: 0, ...o.limits },
    faults: o.faults,
    regionPort: o.region ? 0 : undefined,
    cloud: o.cloud ?? true,
    clock: () => clock.trueEpochMs(),
  });
  world.network.route(HOST, o.routePort ?? server.port);
  for (const [host, port] of Object.entries(o.routes ?? {})) world.network.route(host, port);
  const dir = mkdtempSync(join(tmpdir(), "spool-uplink-"));
  // A bigger store region moves off the board's partition, clear of Storage.
  const board: BoardProfile = o.flashBytes
    ? { ...RIG_BOARD, flash: { ...RIG_BOARD.flash, address: 0x200000, length: o.flashBytes } }
    : RIG_BOARD;
  const cfg = {
    region: board.flash,
    datastreams: STORE_DATASTREAMS,
    synced: o.synced ?? true,
    linkUp: o.linkUp ?? true,
    blynk: { token: TOKEN, host: HOST, scheme: "http", port: 80, maxPointsPerRequest: 1000, pieceBytes: 256, ...o.config },
  };
  let sim!: SimEspruino;
  let cuts = 0;
  let requestsBefore = 0;
  let maxWrite = 0;
  let opsBefore = 0;
  let counted = false;
  const countCut = () => {
    if (sim.dead && !counted) {
      counted = true;
      cuts++;
    }
  };
  const boot = () => {
    if (sim) {
      requestsBefore += sim.net.requests;
      maxWrite = Math.max(maxWrite, sim.net.maxWriteBytes);
      opsBefore += sim.flash.ops;
      sim.close();
    }
    sim = world.device({ board, flashFile: join(dir, "flash.bin"), storageFile: join(dir, "storage.bin") });
    counted = false;
    sim.boot(code);
    sim.eval(`setTime(${clock.trueEpochMs() / 1000})`);
    sim.eval(`t.start(${JSON.stringify(cfg)})`);
    const out = sim.output().filter((l) => /Uncaught|OUT OF MEMORY/.test(l));
    if (out.length) throw new Error(`rig firmware failed to start:\n${out.join("\n")}`);
  };
  boot();
  const ev = <T>(expr: string): T => {
    const s = sim.eval(`JSON.stringify(${expr})`) as string | undefined;
    return (s === undefined ? undefined : JSON.parse(s)) as T;
  };
  const alive = () => {
    countCut();
    return sim.running;
  };
  const rig: Rig = {
    clock,
    server,
    get sim() {
      return sim;
    },
    eval: ev,
    status: () => ev<UplinkStatus>("t.uplink.status()"),
    storeStats: () => ev<StoreStats>("t.store.stats()"),
    append: (rows) => void sim.eval(`t.append(${JSON.stringify(rows)})`),
    series: (pin, n, fromEpoch, everyMs, a = 0.5, b = 1) => void sim.eval(`t.series(${pin}, ${n}, ${fromEpoch}, ${everyMs}, ${a}, ${b})`),
    setLink: (up) => void sim.eval(`t.setLink(${up})`),
    route: (host, port) => world.network.route(host, port),
    requests: () => requestsBefore + sim.net.requests,
    maxWriteBytes: () => Math.max(maxWrite, sim.net.maxWriteBytes),
    flashOps: () => opsBefore + sim.flash.ops,
    armPowerCut: (k, tornBytes) => sim.flash.armPowerCut({ atOp: sim.flash.ops + k, tornBytes }),
    die: () => {
      sim.powerCut();
      countCut();
    },
    isAlive: alive,
    cutDuringHttp: (at) => {
      const device = sim;
      const t = device.eval("t") as { probe?: (n: number, point: HttpPoint) => void };
      t.probe = (n, point) => {
        if (device !== sim || !at(n, point)) return;
        // Code after the cut may catch the error: no flash operation of it may land.
        device.flash.armPowerCut({ atOp: device.flash.ops + 1, tornBytes: 0 });
        device.storageFlash.armPowerCut({ atOp: device.storageFlash.ops + 1, tornBytes: 0 });
        device.powerCut();
        countCut();
        throw new PowerCutError(`power cut at ${point} of request ${n}`);
      };
    },
    powerCuts: () => {
      countCut();
      return cuts;
    },
    reboot: (opts = {}) => {
      if (alive()) rig.die();
      boot();
      if (opts.start !== false) rig.start();
    },
    start: () => void sim.eval("t.uplink.start()"),
    drain: (maxMs = 3600_000, options = {}) =>
      clock.runUntilAsync(
        () => !alive() || (ev<number>("t.store.stats().pending") === 0 && ev<string>("t.uplink.status().state") !== "sending"),
        maxMs,
        options,
      ),
    history: (pin) => server.history(TOKEN, `V${pin}`) as Array<[number, unknown]>,
    close: async () => {
      sim.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return rig;
}

/**
 * test/uplink-entry.ts built for ESP32 and booted in a simulated world with the local server at
 * `HOST` and an access point "home"/"secret" (`wifi`: in range from the start), the device's
 * clock set to the world's. `close()` ends the device and the server.
 */
export async function bootUplinkEntry(o: { wifi: boolean }) {
  const board = readBoard("esp32");
  const { code } = await build({ board, entry: fileURLToPath(new URL("./uplink-entry.ts", import.meta.url)), write: false });
  const world = simWorld({ network: { wifi: o.wifi, ap: { ssid: "home", password: "secret" } } });
  const server = await startServer({
    db: ":memory:",
    quiet: true,
    devices: DEVICES,
    limits: { rateLimit: 0 },
    clock: () => world.clock.trueEpochMs(),
  });
  world.network.route(HOST, server.port);
  const sim = world.device({ board });
  const close = async () => {
    sim.close();
    await server.close();
  };
  try {
    sim.boot(code);
    sim.eval(`setTime(${world.clock.trueEpochMs() / 1000})`);
  } catch (err) {
    await close();
    throw err;
  }
  return { board, world, server, sim, close };
}
