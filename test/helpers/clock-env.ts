/**
 * A virtual-time environment for the clock tests: true time advances only when the test says
 * so; a device's crystal runs `driftPpm` fast; UDP goes to in-test NTP servers that build real
 * NTPv4 replies from the true time, and an in-memory anchor log instead of the store. The fast
 * environment for the clock's unit tests (test/clock-*.test.ts check `keeper.resolve()` over
 * many cases in milliseconds); the end-to-end checks - compiled firmware in SimEspruino, real
 * store in flash, uploaded timestamps read back from the local server - are in
 * test/clock-e2e.test.ts.
 */
import type { DgramPort, Hal, UdpSocket } from "../../src/device/hal.ts";
import type { Anchor } from "../../src/device/types.ts";

const NTP_UNIX_OFFSET_S = 2208988800;

interface Event {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
  owner: unknown;
}

/** What an NTP server does with a request. */
export type NtpBehavior =
  | "ok"
  | "deny"
  | "rstr"
  | "rate"
  | "stratum0"
  | "leap3"
  | "stratum16"
  | "client-mode"
  | "version1"
  | "garbage"
  | "truncated"
  | "wrong-originate"
  | "zero-transmit"
  | "absurd"
  | "silent";

export interface NtpServer {
  behavior: NtpBehavior;
  /** One-way delays, true ms. */
  upMs: number;
  downMs: number;
  /** Server time between receive and transmit. */
  processMs: number;
  /** The server clock minus true time. */
  errorMs: number;
  /** Requests received. */
  requests: number;
}

/** Shared true time, event queue and network. */
export class World {
  trueMs: number;
  servers: { [host: string]: NtpServer } = {};
  private events: Event[] = [];
  private seq = 0;

  constructor(startTrueMs: number) {
    this.trueMs = startTrueMs;
  }

  addServer(host: string, s: Partial<NtpServer>): NtpServer {
    const server: NtpServer = {
      behavior: "ok",
      upMs: 15,
      downMs: 15,
      processMs: 0.05,
      errorMs: 0,
      requests: 0,
    };
    Object.assign(server, s);
    this.servers[host] = server;
    return server;
  }

  schedule(at: number, fn: () => void, owner: unknown): Event {
    const ev: Event = { at: Math.max(at, this.trueMs), seq: this.seq++, fn, cancelled: false, owner };
    this.events.push(ev);
    return ev;
  }

  cancelOwner(owner: unknown): void {
    for (const ev of this.events) if (ev.owner === owner) ev.cancelled = true;
  }

  /** Runs every event due within `ms` of true time, in time order. */
  advance(ms: number): void {
    const end = this.trueMs + ms;
    for (;;) {
      let next: Event | undefined;
      let nextIdx = -1;
      for (let i = 0; i < this.events.length; i++) {
        const ev = this.events[i];
        if (ev.cancelled) continue;
        if (!next || ev.at < next.at || (ev.at === next.at && ev.seq < next.seq)) {
          next = ev;
          nextIdx = i;
        }
      }
      if (!next || next.at > end) break;
      this.events.splice(nextIdx, 1);
      this.trueMs = next.at;
      next.fn();
    }
    this.events = this.events.filter((e) => !e.cancelled);
    this.trueMs = end;
  }

  /** Called by a device socket: delivers the request to the named server and maybe replies. */
  deliver(host: string, request: Uint8Array, reply: (bytes: Uint8Array) => void, owner: unknown): void {
    const server = this.servers[host];
    if (!server) return;
    this.schedule(
      this.trueMs + server.upMs,
      () => {
        server.requests++;
        if (server.behavior === "silent") return;
        const t2 = this.trueMs + server.errorMs;
        const bytes = buildReply(server, request, t2, t2 + server.processMs);
        this.schedule(this.trueMs + server.processMs + server.downMs, () => reply(bytes), owner);
      },
      owner,
    );
  }
}

function writeNtp(view: DataView, at: number, ms: number): void {
  const sec = Math.floor(ms / 1000);
  const frac = Math.min(4294967295, Math.round(((ms - sec * 1000) / 1000) * 4294967296));
  view.setUint32(at, (sec + NTP_UNIX_OFFSET_S) >>> 0);
  view.setUint32(at + 4, frac >>> 0);
}

/** A server reply as RFC 5905 lays it out, misbehaving as told. */
export function buildReply(server: NtpServer, request: Uint8Array, t2: number, t3: number): Uint8Array {
  const b = server.behavior;
  if (b === "garbage") {
    const g = new Uint8Array(48);
    for (let i = 0; i < 48; i++) g[i] = (i * 37 + 11) & 0xff;
    return g;
  }
  const out = new Uint8Array(48);
  const view = new DataView(out.buffer);
  let li = 0;
  let version = 4;
  let mode = 4;
  let stratum = 2;
  let refid = "GPS\0";
  if (b === "deny" || b === "rstr" || b === "rate" || b === "stratum0") {
    li = 3;
    stratum = 0;
    refid = b === "stratum0" ? "INIT" : b.toUpperCase();
  }
  if (b === "leap3") li = 3;
  if (b === "stratum16") stratum = 16;
  if (b === "client-mode") mode = 3;
  if (b === "version1") version = 1;
  out[0] = (li << 6) | (version << 3) | mode;
  out[1] = stratum;
  out[2] = 6;
  out[3] = 0xec;
  for (let i = 0; i < 4; i++) out[12 + i] = refid.charCodeAt(i);
  writeNtp(view, 16, t2 - 30000);
  out.set(request.subarray(40, 48), 24);
  if (b === "wrong-originate") out[31] ^= 0x55;
  const ts = b === "absurd" ? t2 - 40 * 365 * 86400000 : t2;
  writeNtp(view, 32, ts);
  if (b !== "zero-transmit") writeNtp(view, 40, ts + (t3 - t2));
  return b === "truncated" ? out.subarray(0, 40) : out;
}

function toBinary(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

function fromBinary(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

function unavailable(what: string): never {
  throw new Error("clock-env: " + what + " is not part of the clock test environment");
}

export interface DeviceOptions {
  /** Crystal rate error: local ms per true ms is 1 + driftPpm/1e6. */
  driftPpm: number;
  seed?: number;
}

/**
 * One boot of a device. Like Espruino before setTime, its clock starts at 0 (1970) at boot.
 * `powerOff()` ends the boot: its timers and sockets die.
 */
export class Device {
  readonly hal: Hal;
  readonly bootTrueMs: number;
  readonly rate: number;
  logs: string[] = [];
  private stepMs = 0;
  private alive = true;

  constructor(
    readonly world: World,
    options: DeviceOptions,
  ) {
    this.bootTrueMs = world.trueMs;
    this.rate = 1 + options.driftPpm * 1e-6;
    let seed = (options.seed ?? 1) >>> 0;
    const random = () => {
      seed = (seed + 0x6d2b79f5) >>> 0;
      let t = seed;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const uptime = () => (world.trueMs - this.bootTrueMs) * this.rate;
    const now = () => uptime() + this.stepMs;
    // Extra arguments are passed to `fn`, as Espruino's setTimeout/setInterval do (Hal's a, b).
    const timer = (fn: (a?: unknown, b?: unknown) => void, ms: number, repeat: boolean, a?: unknown, b?: unknown) => {
      const handle = { ev: undefined as Event | undefined };
      const arm = () => {
        handle.ev = world.schedule(
          world.trueMs + Math.max(0, ms) / this.rate,
          () => {
            if (repeat) arm();
            fn(a, b);
          },
          this,
        );
      };
      arm();
      return handle;
    };
    const cancel = (id: unknown) => {
      const h = id as { ev?: Event } | undefined;
      if (h?.ev) h.ev.cancelled = true;
    };
    const device = this;
    const dgram: DgramPort = {
      createSocket(): UdpSocket {
        const handlers: { [ev: string]: ((...a: any[]) => void)[] } = {};
        let open = true;
        return {
          bind(_port: number, cb?: () => void) {
            if (cb) world.schedule(world.trueMs, () => open && device.alive && cb(), device);
          },
          send(data: string, _port: number, host: string) {
            if (!open) throw new Error("socket closed");
            world.deliver(
              host,
              fromBinary(data),
              (reply) => {
                if (!open || !device.alive) return;
                for (const h of handlers.message || []) h(toBinary(reply), { address: host, port: 123 });
              },
              device,
            );
          },
          on(ev: string, cb: (...a: any[]) => void) {
            (handlers[ev] = handlers[ev] || []).push(cb);
          },
          removeAllListeners() {
            for (const ev of Object.keys(handlers)) delete handlers[ev];
          },
          close() {
            open = false;
          },
        } as UdpSocket;
      },
    };
    this.hal = {
      get flash(): never {
        return unavailable("flash");
      },
      get storage(): never {
        return unavailable("storage");
      },
      wifi: undefined,
      get http(): never {
        return unavailable("http");
      },
      dgram,
      now,
      uptime,
      setTime: (epochMs: number) => {
        this.stepMs += epochMs - now();
      },
      setTimeout: (fn, ms, a, b) => timer(fn, ms, false, a, b),
      clearTimeout: cancel,
      setInterval: (fn, ms, a, b) => timer(fn, ms, true, a, b),
      clearInterval: cancel,
      crc32: () => unavailable("crc32"),
      zeroBits: () => unavailable("zeroBits"),
      compile: () => unavailable("compile"),
      bytesToString: toBinary,
      stringToBytes: fromBinary,
      random,
      log: (line: string) => {
        this.logs.push(line);
      },
      memory: () => ({ free: 1000, usage: 0, total: 1000 }),
    };
  }

  powerOff(): void {
    this.alive = false;
    this.world.cancelOwner(this);
  }
}

/** The anchor part of the store, in memory; `persisted` survives reboots. */
export class MemoryAnchorLog {
  constructor(
    readonly persisted: Anchor[],
    readonly bootId: number,
  ) {}
  appendAnchor(a: Anchor): void {
    this.persisted.push(Object.assign({}, a));
  }
  anchors(): Anchor[] {
    return this.persisted.map((a) => Object.assign({}, a));
  }
}
