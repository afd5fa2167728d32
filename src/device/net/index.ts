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

export interface Network {
  /** Joins (WiFi) or reports the network up (linux). */
  start(): void;
  /** Leaves WiFi and stops rejoining. */
  stop(): void;
  isUp(): boolean;
  /**
   * Sets the one listener: `cb(true)` when the network comes up, `cb(false)` when it goes down
   * (one: spool's, which tells the clock and the uplink; an array would cost JsVars at rest).
   */
  onChange(cb: (up: boolean) => void): void;
  /** Set when WiFi is needed but not configured, or while the access point rejects the password. */
  readonly _error: string | undefined;
}

/** How long the SDK may take to rejoin by itself before connect() is called again. */
const SDK_WATCHDOG_MS = 300000;
/**
 * The connectivity manager: one object whose methods are shared by every instance (the
 * prototype exists once, at module level), not a dozen closures of a factory, each of which
 * costs JsVars for as long as the network exists (docs/memory.md). `this` is copied to a local
 * before an arrow uses it (docs/target-espruino.md).
 */
export class Net implements Network {
  _hal: NetworkOptions["hal"];
  /** A WiFi board (the profile's network "wifi"), else undefined. */
  _wifi: true | undefined;
  _config: NetworkConfig;
  _reconnect: NetworkOptions["reconnect"];
  _backoff: NetworkOptions["backoff"];
  _listener: ((up: boolean) => void) | undefined;
  _up: boolean;
  /** 1 while started (a number: a boolean property costs a JsVar more). */
  _running: number;
  _attempts: number;
  _timer: unknown;
  _error: string | undefined;
  _handlersOn: true | undefined;

  /**
   * The connectivity manager for a board (constructed directly: a factory function would cost
   * JsVars at rest). The options' fields are kept, not the object: unset ones then cost nothing.
   * @throws Error when `network` is "wifi" but the board has no Wifi module.
   */
  constructor(o: NetworkOptions) {
    if (o.network === "wifi" && !o.hal.wifi)
      throw new Error('net: the board profile says network "wifi" but this interpreter has no Wifi module');
    this._hal = o.hal;
    if (o.network === "wifi") this._wifi = true;
    this._config = o.config;
    if (o.reconnect) this._reconnect = o.reconnect;
    if (o.backoff) this._backoff = o.backoff;
    this._up = false;
    this._running = 0;
    this._attempts = 0;
  }

  start(): void {
    if (this._running) return;
    this._running = 1;
    // A new configuration is judged afresh.
    this._error = undefined;
    if (!this._wifi) {
      this._emit(true);
      return;
    }
    const N = this;
    const wifi = N._hal.wifi;
    // The event handlers, once (here, not in a method of their own: each method costs JsVars at rest).
    if (wifi && !N._handlersOn) {
      N._handlersOn = true;
      wifi.on("connected", () => {
        if (!N._running) return;
        N._retryIn(-1);
        N._attempts = 0;
        N._error = undefined;
        N._emit(true);
      });
      wifi.on("disconnected", (d: { reason?: string | number; msg?: string }) => {
        if (!N._running) return;
        if (d && d.reason !== undefined) N._failed("" + d.reason, d.msg);
        N._emit(false);
        N._retryIn(0, true);
      });
    }
    N._join();
  }

  stop(): void {
    const hal = this._hal;
    this._running = 0;
    this._retryIn(-1);
    if (this._wifi && hal.wifi) {
      try {
        hal.wifi.disconnect();
      } catch (_e) {
        // already down
      }
    }
    this._emit(false);
  }

  isUp(): boolean {
    return this._up;
  }

  onChange(cb: (up: boolean) => void): void {
    this._listener = cb;
  }

  _emit(v: boolean): void {
    if (v === this._up) return;
    this._up = v;
    if (this._listener) this._listener(v);
  }

  /**
   * Cancels the pending join and, unless `extraMs` < 0, schedules the next: with `watchdog` on
   * an "sdk" board after SDK_WATCHDOG_MS (ESP8266's SDK keeps trying by itself), otherwise after
   * the backoff for the attempts so far plus `extraMs` (ESP32 stops after its own retries). The
   * backoff is half fixed, half jitter: never hammer the access point, never wait the full cap blindly.
   */
  _retryIn(extraMs: number, watchdog?: boolean): void {
    const N = this;
    const hal = N._hal;
    if (N._timer !== undefined) hal.clearTimeout(N._timer);
    N._timer = undefined;
    if (extraMs < 0) return;
    let ms = SDK_WATCHDOG_MS;
    if (!watchdog || N._reconnect !== "sdk") {
      const backoff = N._backoff || { baseMs: 2000, capMs: 300000 };
      let ceiling = backoff.baseMs;
      for (let i = 1; i < N._attempts && ceiling < backoff.capMs; i++) ceiling *= 2;
      if (ceiling > backoff.capMs) ceiling = backoff.capMs;
      ms = Math.floor(ceiling / 2 + (hal.random() * ceiling) / 2) + extraMs;
    }
    N._timer = hal.setTimeout(() => {
      N._timer = undefined;
      N._join();
    }, ms);
  }

  /** Remembers why a join failed; a refused password becomes the status error until a join succeeds. */
  _failed(why: string, msg?: string): void {
    // Disconnect reasons that mean the access point refused the password, as Espruino names
    // them: ESP32 "AUTH_FAIL" (code 202; its event `msg` and connect callback), ESP8266
    // "auth_failed" (202), and the handshake timeouts (15, 204) and 802.1X failure (23) a wrong
    // WPA key gives. A string searched for "|reason|" (a RegExp object costs about three times
    // its JsVars), and here, not at module level: a literal in a function's code stays in flash
    // until the function runs.
    // No trailing "|": Espruino 2v29's String.indexOf also answers where only the needle's start
    // meets the haystack's end (docs/target-espruino.md), and every "|reason|" would match a
    // final "|". A needle that fits whole in the string cannot be found past this one's end.
    const reasons = "|auth_fail|auth_failed|202|4way_handshake_timeout|15|handshake_timeout|204|802_1x_auth_failed|23";
    const refused = (r: string): boolean => {
      const i = reasons.indexOf("|" + r + "|");
      return i >= 0 && i + r.length + 2 <= reasons.length;
    };
    if (refused(why.toLowerCase()) || (msg !== undefined && refused(msg.toLowerCase()))) {
      this._error =
        'WiFi "' + this._config.ssid + '" rejected the password (' + (msg || why) + "): check wifi.password; retrying with backoff";
    } else this._error = undefined;
  }

  _join(): void {
    const N = this;
    const config = N._config;
    const wifi = N._hal.wifi;
    if (!N._running || N._up || !wifi) return;
    // Here, not at module level: a literal in a function's code stays in flash until it runs.
    const noConfig = "no WiFi configured (set ssid and password)";
    if (!config.ssid) {
      N._error = noConfig;
      return;
    }
    if (N._error === noConfig) N._error = undefined;
    N._attempts++;
    // The watchdog: if neither 'connected' nor a callback error comes, try again.
    N._retryIn(30000, true);
    try {
      wifi.connect(config.ssid, { password: config.password }, (err: unknown) => {
        if (!N._running) return;
        if (err) {
          N._failed("" + err);
          if (!N._up) N._retryIn(0);
        }
      });
    } catch (_e) {
      // the watchdog above tries again
    }
  }
}
