/**
 * The simulated network around the devices: whether the WiFi access point is in range, whether
 * the internet behind it works, where host names lead (local ports), and in-process UDP
 * responders (an SNTP server in virtual time).
 */
import type { SimClock, ClockTask } from "./clock.ts";

/** Where a routed host name leads. The sim speaks plain TCP even for `https:` (no TLS). */
export interface Route {
  /** Local port for `http:` (and for `https:` unless `httpsPort` is given). */
  port: number;
  /** Local port for `https:` requests (plain TCP: the simulation does not do TLS). */
  httpsPort?: number;
  /** Default 127.0.0.1. */
  address?: string;
}

/** Reply function of a UDP responder: the datagram goes back to the sender's socket. */
export type UdpReply = (data: Uint8Array | string) => void;

/**
 * An in-process UDP responder. `msg` is the datagram's bytes; `info.trueEpochMs` is true UTC
 * at the moment it is handled, which an SNTP responder puts in its answer.
 */
export type UdpHandler = (msg: Uint8Array, reply: UdpReply, info: { trueEpochMs: number; from: string }) => void;

export interface UdpHandlerOptions {
  /** Virtual ms from send to the handler, and again from reply to delivery. Default 0. */
  latencyMs?: number;
  /** Drop every datagram (a lost request), or a predicate over the send count (1-based). */
  drop?: boolean | ((n: number) => boolean);
}

/** Timing of the simulated WiFi stack (virtual ms). */
export interface WifiTiming {
  /** From an attempt (AP in range) to the `connected` event with an IP. */
  connectMs: number;
  /** How long a failed association attempt takes. */
  attemptMs: number;
  /** ESP32: association attempts per `connect()` (s_retry_num in Espruino's ESP32 port). */
  esp32Attempts: number;
  /** ESP8266: interval of the SDK's automatic reconnection attempts. */
  esp8266RetryMs: number;
  /**
   * A TCP connection whose link went away stalls; after this long without the link it fails
   * with error code -3 "timeout" (lwIP's retransmission timeout; inferred, not measured).
   */
  tcpStallMs: number;
  /**
   * How fast a connection sends: the `drain` after a write comes when its bytes have gone out
   * at this rate, at least one idle loop (1 ms) later, so the device's timers run meanwhile as
   * they do on a board. Default 64 bytes per ms (about 0.5 Mbit/s, inferred, not measured).
   */
  sendBytesPerMs: number;
}

export const DEFAULT_WIFI_TIMING: WifiTiming = {
  connectMs: 2000,
  attemptMs: 1000,
  esp32Attempts: 3,
  esp8266RetryMs: 5000,
  tcpStallMs: 20000,
  sendBytesPerMs: 64,
};

export interface SimNetworkOptions {
  clock: SimClock;
  /** WiFi access point in range at the start. Default true. */
  wifi?: boolean;
  /** Internet reachable (behind the AP, or the Linux host's link). Default true. */
  online?: boolean;
  /** Routes by host name. */
  routes?: { [host: string]: Route | number };
  wifiTiming?: Partial<WifiTiming>;
  /** The access point's SSID and password; `connect` with others fails (`bad_password`/`no_ap_found`). */
  ap?: { ssid: string; password?: string };
}

export type NetworkEvent = "wifi" | "online";

/** Scripted network conditions: `at` is clock time (ms). */
export interface NetworkStep {
  at: number;
  /** AP in range. */
  up?: boolean;
  /** Internet reachable. */
  online?: boolean;
}

interface UdpEntry {
  handler: UdpHandler;
  options: UdpHandlerOptions;
  count: number;
}

/**
 * The world outside the devices, shared by every {@link SimEspruino} on it.
 *
 * Devices learn of changes through {@link onChange}; WiFi devices react with their board's
 * behaviour (ESP32 gives up after its retries, ESP8266 keeps retrying).
 */
export class SimNetwork {
  readonly clock: SimClock;
  readonly timing: WifiTiming;
  ap: { ssid: string; password?: string } | undefined;
  private wifiUp: boolean;
  private isOnline: boolean;
  private routes = new Map<string, Route>();
  private udp = new Map<string, UdpEntry>();
  private listeners = new Set<(what: NetworkEvent) => void>();
  private scheduled: ClockTask[] = [];

  constructor(options: SimNetworkOptions) {
    this.clock = options.clock;
    this.wifiUp = options.wifi ?? true;
    this.isOnline = options.online ?? true;
    this.timing = { ...DEFAULT_WIFI_TIMING, ...options.wifiTiming };
    this.ap = options.ap;
    for (const [host, r] of Object.entries(options.routes ?? {})) this.route(host, r);
  }

  /** Whether the WiFi access point is in range. */
  get wifi(): boolean {
    return this.wifiUp;
  }

  /** Whether the internet is reachable (the only link condition on boards without WiFi). */
  get online(): boolean {
    return this.isOnline;
  }

  /** Brings the access point into range or takes it away. */
  setWifi(up: boolean): void {
    if (up === this.wifiUp) return;
    this.wifiUp = up;
    this.emit("wifi");
  }

  /** Makes the internet reachable or not (DNS and TCP fail while offline). */
  setOnline(online: boolean): void {
    if (online === this.isOnline) return;
    this.isOnline = online;
    this.emit("online");
  }

  /** Scripts conditions on the clock: each step applies at clock time `at`. */
  schedule(steps: NetworkStep[]): void {
    for (const s of steps) {
      this.scheduled.push(
        this.clock.schedule(
          s.at,
          () => {
            if (s.up !== undefined) this.setWifi(s.up);
            if (s.online !== undefined) this.setOnline(s.online);
          },
          `network step at ${s.at}`,
        ),
      );
    }
  }

  /** Cancels every scripted step not yet applied. */
  clearSchedule(): void {
    for (const t of this.scheduled) this.clock.cancel(t);
    this.scheduled = [];
  }

  /** Sends a host name (any port) to a local port. A bare number is `{ port }`. */
  route(host: string, route: Route | number): void {
    this.routes.set(host.toLowerCase(), typeof route === "number" ? { port: route } : route);
  }

  /**
   * Resolves a host for a connection: a routed name, or an IP literal (connected as is).
   * Undefined for names not routed: the simulation never reaches the real internet.
   */
  resolve(host: string, port: number, https: boolean): { address: string; port: number } | undefined {
    const r = this.routes.get(host.toLowerCase());
    if (r) return { address: r.address ?? "127.0.0.1", port: https ? (r.httpsPort ?? r.port) : r.port };
    if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host === "localhost") return { address: host === "localhost" ? "127.0.0.1" : host, port };
    return undefined;
  }

  /** Installs an in-process UDP responder for datagrams sent to host:port (host as the device names it). */
  udpHandler(host: string, port: number, handler: UdpHandler, options: UdpHandlerOptions = {}): void {
    this.udp.set(`${host.toLowerCase()}:${port}`, { handler, options, count: 0 });
  }

  removeUdpHandler(host: string, port: number): void {
    this.udp.delete(`${host.toLowerCase()}:${port}`);
  }

  /** @internal Delivers a datagram to a responder; false when none is installed for host:port. */
  deliverUdp(host: string, port: number, msg: Uint8Array, from: string, back: (data: Uint8Array) => void): boolean {
    const e = this.udp.get(`${host.toLowerCase()}:${port}`);
    if (!e) return false;
    e.count++;
    const drop = typeof e.options.drop === "function" ? e.options.drop(e.count) : e.options.drop;
    if (drop) return true;
    const latency = e.options.latencyMs ?? 0;
    this.clock.after(
      latency,
      () => {
        e.handler(
          msg,
          (data) => {
            const bytes = typeof data === "string" ? Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff) : data;
            this.clock.after(latency, () => back(bytes), `udp reply from ${host}:${port}`);
          },
          { trueEpochMs: this.clock.trueEpochMs(), from },
        );
      },
      `udp to ${host}:${port}`,
    );
    return true;
  }

  /** Subscribes to changes; returns the unsubscribe function. */
  onChange(fn: (what: NetworkEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(what: NetworkEvent): void {
    for (const fn of [...this.listeners]) fn(what);
  }
}
