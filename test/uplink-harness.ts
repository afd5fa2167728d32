// Shared by test/uplink-*.test.ts: a device side (store, clock stand-in, HAL over virtual time)
// wired to the real local server over loopback.
import { request as httpRequest, type ClientRequest } from "node:http";
import { SimClock } from "../src/host/sim/clock.ts";
import { startServer, type BlynkServer, type DeviceConfig, type Faults, type Limits } from "../src/host/server/index.ts";
import type { HttpPort, HttpRequest, HttpRequestOptions, HttpResponse, StoragePort } from "../src/device/hal.ts";
import type { ReadingStore } from "../src/device/store/contract.ts";
import type { Reading, Stamp } from "../src/device/types.ts";
import { createUplink, type Uplink, type UplinkConfig, type StampResolver, type Link } from "../src/device/uplink/index.ts";
import { NorFlash, PowerCutError } from "../src/host/sim/nor-flash.ts";

/**
 * Runs device code from an event (socket, timer) the way the interpreter would: a power cut
 * (PowerCutError from the flash) ends the device there; anything else propagates.
 */
export function deviceCall(fn: () => void, onCut: () => void): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof PowerCutError)) throw e;
    onCut();
  }
}
import { crc32 } from "../src/host/sim/crc32.ts";
import { createStore, type StoreOptions } from "../src/device/store/store.ts";

export const TOKEN = "upLinkTokenAbcdefghijklmnopqrst9"; // 32 characters, like Blynk's
export const BASE_EPOCH = Date.UTC(2026, 2, 1, 0, 0, 0);

export const DEVICES: DeviceConfig[] = [
  {
    name: "uplink",
    token: TOKEN,
    datastreams: [
      { pin: "V0", type: "double" },
      { pin: "V1", type: "double" },
      { pin: "V2", type: "integer" },
      { pin: "V3", type: "boolean" },
      { pin: "V5", type: "string" },
      { pin: "V6", type: "location" },
    ],
  },
];

/**
 * Espruino's `require("http")` over Node sockets, as far as the uplink relies on it: strings
 * are bytes (latin1), no Content-Length added, `drain` after each write has gone out, write/end
 * throw while offline. Records the largest single write.
 */
export class LoopbackHttp implements HttpPort {
  online = true;
  maxWriteBytes = 0;
  requests = 0;
  /** Power cut at a point of request number `request` (1-based): `onCut` is called, the socket dies. */
  cutAt: { request: number; point: "before-send" | "mid-body" | "before-reply"; onCut: () => void } | undefined;
  private open = new Set<ClientRequest>();
  /** Called when device code run from a socket event hit a power cut. */
  onPowerCut: () => void = () => {};
  constructor(private clock: SimClock, private routes: { [host: string]: number }) {}

  /** Kills every open connection (the device lost power). */
  killAll(): void {
    for (const r of this.open) r.destroy();
    this.open.clear();
  }

  private cut(n: number, point: string): boolean {
    const c = this.cutAt;
    if (!c || c.request !== n || c.point !== point) return false;
    this.cutAt = undefined;
    c.onCut();
    this.killAll();
    return true;
  }

  request(o: HttpRequestOptions, cb: (res: HttpResponse) => void): HttpRequest {
    const port = this.routes[o.host] ?? (o.host === "127.0.0.1" ? o.port : undefined);
    const io = this.clock.beginIo(`http ${o.method} ${o.host}`);
    const listeners: { [ev: string]: Array<(a?: unknown) => void> } = {};
    const emit = (ev: string, a?: unknown) => (listeners[ev] ?? []).forEach((f) => deviceCall(() => f(a), this.onPowerCut));
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      io.end();
      emit("close");
    };
    const n = ++this.requests;
    let req: ClientRequest | undefined;
    let writes = 0;
    if (port !== undefined && this.online) {
      req = httpRequest({ host: "127.0.0.1", port, path: o.path, method: o.method, headers: { ...o.headers, Connection: "close" } }, (res) => {
        io.touch();
        if (this.cut(n, "before-reply")) return;
        const rl: { [ev: string]: Array<(a?: unknown) => void> } = {};
        const remit = (ev: string, a?: unknown) => (rl[ev] ?? []).forEach((f) => deviceCall(() => f(a), this.onPowerCut));
        const headers: { [k: string]: string } = {};
        for (let i = 0; i < res.rawHeaders.length; i += 2) headers[res.rawHeaders[i]] = res.rawHeaders[i + 1];
        const r: HttpResponse = { statusCode: res.statusCode ?? 0, headers, on: ((ev: string, f: (a?: unknown) => void) => void (rl[ev] = [...(rl[ev] ?? []), f])) as HttpResponse["on"] };
        deviceCall(() => cb(r), this.onPowerCut);
        res.on("data", (d: Buffer) => {
          io.touch();
          remit("data", d.toString("latin1"));
        });
        res.on("end", () => {
          remit("end");
          remit("close");
          close();
        });
        res.on("error", () => {
          remit("close");
          close();
        });
      });
      req.on("error", (e) => {
        emit("error", { message: e.message });
        close();
      });
      req.on("close", () => {
        this.open.delete(req!);
        setImmediate(close);
      });
      this.open.add(req);
    } else {
      setImmediate(() => {
        emit("error", { message: port === undefined ? "DNS lookup failed" : "Not connected to the internet" });
        close();
      });
    }
    const check = () => {
      if (!this.online) throw new Error("Not connected to the internet");
    };
    return {
      write: (data: string) => {
        check();
        if (writes++ === 0 && this.cut(n, "before-send")) return true;
        if (writes === 2 && this.cut(n, "mid-body")) return true;
        this.maxWriteBytes = Math.max(this.maxWriteBytes, data.length);
        io.touch();
        req?.write(Buffer.from(data, "latin1"), () => {
          io.touch();
          setImmediate(() => emit("drain"));
        });
        return true;
      },
      end: (data?: string) => {
        check();
        if (writes++ === 0 && this.cut(n, "before-send")) return;
        if (data) this.maxWriteBytes = Math.max(this.maxWriteBytes, data.length);
        io.touch();
        req?.end(data ? Buffer.from(data, "latin1") : undefined);
      },
      on: ((ev: string, f: (a?: unknown) => void) => void (listeners[ev] = [...(listeners[ev] ?? []), f])) as HttpRequest["on"],
    };
  }
}

export class MemStorage implements StoragePort {
  files = new Map<string, string>();
  writes = 0;
  read(name: string): string | undefined {
    return this.files.get(name);
  }
  write(name: string, data: string): boolean {
    this.writes++;
    this.files.set(name, data);
    return true;
  }
  erase(name: string): void {
    this.files.delete(name);
  }
  list(): string[] {
    return [...this.files.keys()];
  }
}

/** Stamps: epoch stamps resolve as they are; boot stamps resolve once their boot has an offset. */
export class TestResolver implements StampResolver {
  offsets = new Map<number, number>();
  constructor(private bootId: () => number, private uptime: () => number, public synced = true, private epochAtUptime0 = BASE_EPOCH) {}
  now(): number | undefined {
    return this.synced ? this.epochAtUptime0 + this.uptime() : undefined;
  }
  resolve(s: Stamp): number | undefined {
    if ("epochMs" in s) return s.epochMs;
    if (s.bootId === this.bootId()) return this.synced ? this.epochAtUptime0 + s.uptimeMs : undefined;
    const off = this.offsets.get(s.bootId);
    return off === undefined ? undefined : off + s.uptimeMs;
  }
}

export class TestLink implements Link {
  up = true;
  private cbs: Array<(up: boolean) => void> = [];
  isUp(): boolean {
    return this.up;
  }
  onChange(cb: (up: boolean) => void): void {
    this.cbs.push(cb);
  }
  set(up: boolean): void {
    this.up = up;
    this.cbs.forEach((f) => f(up));
  }
}

export interface Rig {
  clock: SimClock;
  flash: NorFlash;
  server: BlynkServer;
  http: LoopbackHttp;
  storage: MemStorage;
  store: ReadingStore;
  resolver: TestResolver;
  link: TestLink;
  uplink: Uplink;
  logs: string[];
  /** Uptime ms of the device (virtual). */
  uptime(): number;
  /** Power cuts so far. */
  powerCuts(): number;
  /** Cuts power now (the device stops; its sockets die). */
  die(): void;
  isAlive(): boolean;
  /** Powers on again: a new boot mounts the store from the same flash, a new uplink starts over the same Storage. */
  reboot(): void;
  /** Runs virtual time until the store has nothing pending (or the device died) or `maxMs` passed. */
  drain(maxMs?: number): Promise<boolean>;
  history(pin: number): Array<[number, unknown]>;
  close(): Promise<void>;
}

export interface RigOptions {
  limits?: Partial<Limits>;
  faults?: Faults;
  config?: Partial<UplinkConfig>;
  store?: ReadingStore;
  storage?: MemStorage;
  /** Region listener for 308 tests. */
  region?: boolean;
  synced?: boolean;
  /** Size of the store's NOR flash region (default 64 KB, the ESP32 profile's). */
  flashBytes?: number;
  /** An existing flash (a reboot). */
  flash?: NorFlash;
}

/** Pin types of the test device as the store keeps them: V1 is a float64 Double. */
export const STORE_DATASTREAMS: StoreOptions["datastreams"] = { "1": { type: "double", precision: "float64" } };

/** Mounts the real store over simulated NOR flash (the ESP32 geometry). */
export function openStore(flash: NorFlash, uptime: () => number): ReadingStore {
  return createStore({
    flash,
    crc32,
    uptime,
    region: { address: flash.base, length: flash.size, pageSize: flash.pageSize, writeAlignment: flash.alignment },
    datastreams: STORE_DATASTREAMS,
  });
}

export async function makeRig(o: RigOptions = {}): Promise<Rig> {
  const clock = new SimClock({ startEpochMs: BASE_EPOCH });
  const server = await startServer({
    db: ":memory:",
    quiet: true,
    devices: DEVICES,
    limits: { rateLimit: 0, ...o.limits },
    faults: o.faults,
    regionPort: o.region ? 0 : undefined,
    clock: () => clock.trueEpochMs(),
  });
  const regionPort = server.regionUrl ? Number(new URL(server.regionUrl).port) : undefined;
  const http = new LoopbackHttp(clock, { "blynk.test": server.port, ...(regionPort ? { "127.0.0.1": regionPort } : {}) });
  const storage = o.storage ?? new MemStorage();
  const flash = o.flash ?? new NorFlash({ base: 0x310000, size: o.flashBytes ?? 65536, pageSize: 4096, alignment: 4 });
  const uptime = () => clock.now;
  const link = new TestLink();
  const logs: string[] = [];
  let cuts = 0;
  const rig = {
    clock,
    flash,
    server,
    http,
    storage,
    link,
    logs,
    uptime,
    powerCuts: () => cuts,
  } as unknown as Rig;
  /** One boot of the device: mount the store, build the uplink. */
  const boot = () => {
    const store = o.store ?? openStore(flash, () => clock.now);
    const resolver = new TestResolver(() => store.bootId, uptime, o.synced ?? true);
    let alive = true;
    let uplink: Uplink;
    const die = () => {
      // The power cut: the device stops where it is; its sockets die with it.
      if (!alive) return;
      alive = false;
      cuts++;
      uplink.stop();
      http.killAll();
    };
    const hal = {
      http,
      storage,
      uptime,
      setTimeout: (fn: () => void, ms: number) => clock.after(ms, () => alive && deviceCall(fn, die), "uplink timer"),
      clearTimeout: (id: unknown) => clock.cancel(id as ReturnType<SimClock["after"]>),
      random: seeded(7),
      log: (line: string) => void logs.push(line),
    };
    http.onPowerCut = die;
    uplink = createUplink({
      hal,
      store,
      resolver,
      link,
      config: { token: TOKEN, host: "blynk.test", scheme: "http", port: 80, maxPointsPerRequest: 1000, pieceBytes: 256, ...o.config },
    });
    Object.assign(rig, { store, resolver, uplink, die, isAlive: () => alive });
  };
  boot();
  Object.assign(rig, {
    reboot: () => {
      rig.die();
      flash.powerOn();
      boot();
    },
    drain: (maxMs = 3600_000) => clock.runUntilAsync(() => !rig.isAlive() || (rig.store.stats().pending === 0 && rig.uplink.status().state !== "sending"), maxMs),
    history: (pin: number) => server.history(TOKEN, `V${pin}`) as Array<[number, unknown]>,
    close: () => server.close(),
  });
  return rig;
}

/** Deterministic [0,1) generator (mulberry32). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Appends `n` readings of `pin`, one every `everyMs`, epoch-stamped from `fromEpoch`. */
export function appendSeries(store: ReadingStore, pin: number, n: number, fromEpoch: number, everyMs: number, value: (i: number) => Reading["value"] = (i) => i + 0.5): void {
  for (let i = 0; i < n; i++) store.append({ pin, stamp: { epochMs: fromEpoch + i * everyMs }, value: value(i) });
}
