/**
 * `require("Wifi")` of the simulation, station mode only, as the board profile's `wifi` says
 * (libs/network/esp32 and esp8266 in Espruino):
 *
 * - `reconnect: "manual"` (ESP32): `connect()` makes `esp32Attempts` association attempts;
 *   when they all fail it emits `disconnected`, calls back with the reason, and stops. After a
 *   drop it retries what is left of that budget silently, then emits `disconnected` and stays
 *   off: the program must call `connect()` again.
 * - `reconnect: "sdk"` (ESP8266): the SDK reconnects by itself; every failed attempt emits
 *   `disconnected`, every `esp8266RetryMs`, until the AP is back.
 * - `driver` shapes the objects: "esp32" {ssid, mac, reason: "201", msg: "NO_AP_FOUND"} and
 *   upper-case reason names, "esp8266" {ssid, mac, reason: "no_ap_found"}.
 * - Both: `associated` {ssid, mac, channel} then `connected` {ip, netmask|mask, gw} with the
 *   connect callback `cb(null)`. `save()` writes `.wificfg` to Storage; at boot a saved
 *   configuration connects by itself.
 *
 * Timings are virtual and set in `SimNetwork.timing` (the real ones are not measured).
 * Not modelled: access point mode, scans, `dhcp_timeout`, RSSI changes, setSNTP.
 */
import type { SimHost } from "./host.ts";
import type { ClockTask } from "./clock.ts";
import { binaryBytes, bytesBinary } from "./storage.ts";

const AP_MAC = "a4:2b:b0:11:22:33";

export interface WifiControl {
  module: any;
  connected(): boolean;
  /** Starts the saved configuration, as the firmware does at boot. */
  restore(): void;
}

/**
 * The Wifi module of one boot of the device.
 * @throws Error when the board profile has no `wifi` (boards.ts requires it with network "wifi").
 */
export function createWifi(host: SimHost): WifiControl {
  const gen = host.generation;
  const profile = host.board.wifi;
  if (!profile) throw new Error(`board ${host.board.id}: network is "wifi" but the profile has no wifi (boards/schema.json)`);
  const esp32Driver = profile.driver === "esp32";
  const manual = profile.reconnect === "manual";
  const T = host.network.timing;
  let state: "off" | "connecting" | "connected" = "off";
  let ssid = "";
  let password: string | undefined;
  let attemptsLeft = 0;
  let auto = false;
  let lastReason = "off";
  let cb: unknown;
  let task: ClockTask | undefined;
  const mod = host.newObject();

  const unsubscribe = host.network.onChange((what) => {
    if (what !== "wifi" || !host.isLive(gen)) return;
    if (!host.network.wifi && state === "connected") drop();
  });
  host.onKill(() => {
    unsubscribe();
    host.clock.cancel(task);
  });

  function fire(event: string, details: Record<string, unknown> | null): void {
    host.fire(gen, mod, event, [details === null ? null : host.newObject(details)]);
  }

  function callback(err: string | null): void {
    const f = cb;
    cb = undefined;
    if (typeof f === "function") host.invoke(gen, f, undefined, [err]);
  }

  function apMatches(): "ok" | "no_ap_found" | "bad_password" {
    const ap = host.network.ap;
    if (!host.network.wifi) return "no_ap_found";
    if (ap && ap.ssid !== ssid) return "no_ap_found";
    if (ap && ap.password !== undefined && ap.password !== password) return "bad_password";
    return "ok";
  }

  function schedule(ms: number, fn: () => void, label: string): void {
    host.clock.cancel(task);
    task = host.clock.after(
      ms,
      () => {
        task = undefined;
        if (host.isLive(gen)) fn();
      },
      label,
    );
  }

  function attempt(): void {
    state = "connecting";
    const r = apMatches();
    if (r === "ok") {
      schedule(
        T.connectMs,
        () => {
          if (apMatches() !== "ok") return failed("no_ap_found");
          state = "connected";
          lastReason = "connected";
          fire("associated", { ssid, mac: AP_MAC, channel: esp32Driver ? "6" : 6 });
          callback(null);
          fire(
            "connected",
            esp32Driver
              ? { ip: host.ip, netmask: "255.255.255.0", gw: "192.168.1.1" }
              : { ip: host.ip, mask: "255.255.255.0", gw: "192.168.1.1" },
          );
          host.linkChanged();
        },
        "wifi associate",
      );
    } else schedule(T.attemptMs, () => failed(r), "wifi attempt");
  }

  /**
   * The name Espruino gives a failure: ESP32's wifiReasonToString (upper case, also what the
   * connect callback gets), ESP8266's reason table (lower case, "auth_failed" for a bad key).
   */
  function reasonName(reason: string): string {
    if (esp32Driver) return reason === "bad_password" ? "AUTH_FAIL" : reason.toUpperCase();
    return reason === "bad_password" ? "auth_failed" : reason;
  }

  function disconnectedDetails(reason: string): Record<string, unknown> {
    if (!esp32Driver) return { ssid, mac: AP_MAC, reason: reasonName(reason) };
    const code = reason === "beacon_timeout" ? "200" : reason === "bad_password" ? "202" : reason === "assoc_leave" ? "8" : "201";
    return { ssid, mac: AP_MAC, reason: code, msg: reasonName(reason) };
  }

  function failed(reason: string): void {
    lastReason = reason;
    if (manual) {
      // s_retry_num in jswrap_esp32_network.c: decremented on every disconnect event.
      if (--attemptsLeft > 0) return attempt();
      state = "off";
      fire("disconnected", disconnectedDetails(reason));
      callback(reasonName(reason));
      return;
    }
    state = "connecting";
    fire("disconnected", disconnectedDetails(reason));
    callback(reasonName(reason));
    if (auto) schedule(T.esp8266RetryMs, attempt, "esp8266 reconnect");
    else state = "off";
  }

  function drop(): void {
    state = "connecting";
    lastReason = "beacon_timeout";
    host.linkChanged();
    if (manual) {
      if (--attemptsLeft > 0) return schedule(T.attemptMs, attempt, "esp32 silent retry");
      state = "off";
      fire("disconnected", disconnectedDetails("beacon_timeout"));
      return;
    }
    fire("disconnected", disconnectedDetails("beacon_timeout"));
    schedule(T.esp8266RetryMs, attempt, "esp8266 reconnect");
  }

  mod.connect = (s: unknown, options?: any, callbackFn?: unknown): void => {
    if (typeof options === "function") {
      callbackFn = options;
      options = undefined;
    }
    ssid = String(s);
    password = options && options.password !== undefined ? String(options.password) : undefined;
    cb = callbackFn;
    auto = true;
    attemptsLeft = T.esp32Attempts;
    const was = state === "connected";
    state = "connecting";
    if (was) host.linkChanged();
    attempt();
  };

  mod.disconnect = (callbackFn?: unknown): void => {
    const was = state;
    auto = false;
    attemptsLeft = 0;
    host.clock.cancel(task);
    state = "off";
    lastReason = "off";
    if (was === "connected") host.linkChanged();
    host.clock.after(
      0,
      () => {
        if (!host.isLive(gen)) return;
        if (was !== "off") fire("disconnected", disconnectedDetails("assoc_leave"));
        if (typeof callbackFn === "function") host.invoke(gen, callbackFn, undefined, []);
      },
      "wifi disconnect",
    );
  };

  function ipInfo(): Record<string, unknown> {
    const ip = state === "connected" ? host.ip : "0.0.0.0";
    return {
      ip,
      netmask: state === "connected" ? "255.255.255.0" : "0.0.0.0",
      gw: state === "connected" ? "192.168.1.1" : "0.0.0.0",
      mac: "30:ae:a4:00:00:01",
    };
  }

  mod.getIP = (callbackFn?: unknown): any => {
    const o = host.newObject(ipInfo());
    if (typeof callbackFn === "function") host.clock.after(0, () => host.invoke(gen, callbackFn, undefined, [o]), "wifi getIP");
    return o;
  };

  mod.getStatus = (callbackFn?: unknown): any => {
    const station = state === "connected" ? "connected" : state === "connecting" && !esp32Driver ? "connecting" : lastReason;
    const o = host.newObject(
      esp32Driver
        ? { station, mode: state === "off" ? "null" : "sta", powersave: "none" }
        : { mode: "sta", station, ap: "disabled", phy: "11n", powersave: "ps-poll", savedMode: "off" },
    );
    if (typeof callbackFn === "function") host.clock.after(0, () => host.invoke(gen, callbackFn, undefined, [o]), "wifi getStatus");
    return o;
  };

  mod.getDetails = (callbackFn?: unknown): any => {
    const o = host.newObject({
      status: state === "connected" ? "connected" : lastReason,
      ssid,
      rssi: -60,
      authMode: "wpa2",
      savedSsid: null,
    });
    if (typeof callbackFn === "function") host.clock.after(0, () => host.invoke(gen, callbackFn, undefined, [o]), "wifi getDetails");
    return o;
  };

  mod.save = (what?: unknown): void => {
    if (what === "clear") {
      host.storage.erase(".wificfg");
      return;
    }
    host.storage.write(".wificfg", binaryBytes(JSON.stringify({ mode: "sta", ssid, password })));
  };

  mod.restore = (): void => restore();
  mod.setHostname = (): void => {};
  mod.getHostname = (): string => `espruino-${host.board.id}`;

  function restore(): void {
    const raw = host.storage.read(".wificfg");
    if (!raw) return;
    try {
      const cfg = JSON.parse(bytesBinary(raw));
      if (cfg?.ssid) mod.connect(cfg.ssid, host.newObject({ password: cfg.password }));
    } catch {
      // A corrupt .wificfg is ignored, as the firmware does.
    }
  }

  return { module: mod, connected: () => state === "connected", restore };
}
