/**
 * Connectivity: joins WiFi from the config, rejoins after a drop, and tells listeners when the
 * network comes up or goes down. On a board without WiFi (linux) the network is simply there.
 */

import type { Hal } from "../hal.ts";

export interface NetworkConfig {
  ssid?: string;
  password?: string;
}

export interface NetworkOptions {
  hal: Pick<Hal, "wifi" | "setTimeout" | "clearTimeout" | "random" | "log">;
  /** The board profile's `network`. */
  network: "wifi" | "none";
  config: NetworkConfig;
  /**
   * Who rejoins after a drop (the board profile's `wifi.reconnect`): "manual" (ESP32, which gives
   * up after its own 3 retries: connect() again with backoff) or "sdk" (ESP8266's SDK reconnects
   * by itself; only a long watchdog re-calls connect()). Default "manual".
   */
  reconnect?: "manual" | "sdk";
  /** Rejoin delays: full jitter between baseMs and capMs (default 2 s .. 5 min). */
  backoff?: { baseMs: number; capMs: number };
}

export interface NetworkStatus {
  up: boolean;
  /** Join attempts since the last time the network was up. */
  attempts: number;
  ip?: string;
  lastDisconnectReason?: string;
  /** Set when WiFi is needed but not configured, or while the access point rejects the password. */
  error?: string;
}

export interface Network {
  /** Joins (WiFi) or reports the network up (linux). */
  start(): void;
  /** Leaves WiFi and stops rejoining. */
  stop(): void;
  isUp(): boolean;
  /** `cb(true)` when the network comes up, `cb(false)` when it goes down. */
  onChange(cb: (up: boolean) => void): void;
  status(): NetworkStatus;
}

/** How long the SDK may take to rejoin by itself before connect() is called again. */
const SDK_WATCHDOG_MS = 300000;
const NO_WIFI_CONFIG = "no WiFi configured (set ssid and password)";
/**
 * Disconnect reasons that mean the access point refused the password, as Espruino names them:
 * ESP32 "AUTH_FAIL" (code 202; its event `msg` and connect callback), ESP8266 "auth_failed"
 * (202), and the handshake timeouts (15, 204) and 802.1X failure (23) a wrong WPA key gives.
 */
const AUTH_REASONS = /^(auth_fail|auth_failed|202|4way_handshake_timeout|15|handshake_timeout|204|802_1x_auth_failed|23)$/i;

/**
 * Creates the connectivity manager for a board.
 * @throws Error when `network` is "wifi" but the board has no Wifi module.
 */
export function createNetwork(o: NetworkOptions): Network {
  const hal = o.hal;
  const listeners: Array<(up: boolean) => void> = [];
  const mode = o.reconnect || "manual";
  const backoff = o.backoff || { baseMs: 2000, capMs: 300000 };
  const useWifi = o.network === "wifi";
  if (useWifi && !hal.wifi) throw new Error('net: the board profile says network "wifi" but this interpreter has no Wifi module');
  let up = false;
  let running = false;
  let attempts = 0;
  let timer: unknown;
  let ip: string | undefined;
  let reason: string | undefined;
  let error: string | undefined;
  let handlersOn = false;

  function emit(v: boolean): void {
    if (v === up) return;
    up = v;
    for (let i = 0; i < listeners.length; i++) listeners[i](v);
  }

  function cancel(): void {
    if (timer !== undefined) hal.clearTimeout(timer);
    timer = undefined;
  }

  function retryIn(ms: number): void {
    cancel();
    timer = hal.setTimeout(() => {
      timer = undefined;
      join();
    }, ms);
  }

  function nextDelay(): number {
    let ceiling = backoff.baseMs;
    for (let i = 1; i < attempts && ceiling < backoff.capMs; i++) ceiling *= 2;
    if (ceiling > backoff.capMs) ceiling = backoff.capMs;
    // Half fixed, half jitter: never hammer the access point, never wait the full cap blindly.
    return Math.floor(ceiling / 2 + (hal.random() * ceiling) / 2);
  }

  /** Remembers why a join failed; a refused password becomes the status error until a join succeeds. */
  function failed(why: string, msg?: string): void {
    reason = why;
    if (AUTH_REASONS.test(why) || (msg !== undefined && AUTH_REASONS.test(msg))) {
      error = 'WiFi "' + o.config.ssid + '" rejected the password (' + (msg || why) + "): check wifi.password; retrying with backoff";
    } else error = undefined;
  }

  function join(): void {
    if (!running || up) return;
    const wifi = hal.wifi;
    if (!wifi) return;
    if (!o.config.ssid) {
      error = NO_WIFI_CONFIG;
      return;
    }
    if (error === NO_WIFI_CONFIG) error = undefined;
    attempts++;
    // The watchdog: if neither 'connected' nor a callback error comes, try again.
    retryIn(mode === "sdk" ? SDK_WATCHDOG_MS : nextDelay() + 30000);
    try {
      wifi.connect(o.config.ssid, { password: o.config.password }, (err: unknown) => {
        if (!running) return;
        if (err) {
          failed(String(err));
          if (!up) retryIn(nextDelay());
        }
      });
    } catch (e) {
      reason = String(e);
    }
  }

  function listen(): void {
    const wifi = hal.wifi;
    if (!wifi || handlersOn) return;
    handlersOn = true;
    wifi.on("connected", (d: { ip?: string }) => {
      if (!running) return;
      cancel();
      attempts = 0;
      error = undefined;
      ip = d && d.ip ? d.ip : undefined;
      emit(true);
    });
    wifi.on("disconnected", (d: { reason?: string | number; msg?: string }) => {
      if (!running) return;
      if (d && d.reason !== undefined) failed(String(d.reason), d.msg);
      else reason = undefined;
      ip = undefined;
      emit(false);
      // ESP32 stops after its own retries; ESP8266's SDK keeps trying, a watchdog backs it up.
      retryIn(mode === "sdk" ? SDK_WATCHDOG_MS : nextDelay());
    });
  }

  return {
    start: () => {
      if (running) return;
      running = true;
      // A new configuration is judged afresh.
      error = undefined;
      if (!useWifi) {
        emit(true);
        return;
      }
      listen();
      join();
    },
    stop: () => {
      running = false;
      cancel();
      if (useWifi && hal.wifi) {
        try {
          hal.wifi.disconnect();
        } catch (_e) {
          // already down
        }
      }
      emit(false);
    },
    isUp: () => up,
    onChange: (cb) => {
      listeners.push(cb);
    },
    status: () => ({ up: up, attempts: attempts, ip: ip, lastDisconnectReason: reason, error: error }),
  };
}
