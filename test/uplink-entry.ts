// @ts-nocheck: Espruino globals (E, getTime, print, global) are not in the host tsconfig; the
// device modules it wires are type-checked on their own (tsconfig.device.json).
// Firmware entry of the end-to-end uplink test (test/uplink-sim.test.ts): the real store, the
// network manager and the uplink over the real hardware boundary, built for the board and run
// in the simulated Espruino. The test drives it through `global.t`.
import { espruinoHal } from "../src/device/espruino-hal.ts";
import { createStore } from "../src/device/store/maintenance.ts";
import { Net } from "../src/device/net/index.ts";
import { createUplink } from "../src/device/uplink/index.ts";
import { named } from "./entries/uplink-facade.ts";
import type { Stamp } from "../src/device/types.ts";

const BOARD = __BOARD__;

function start(cfg: any): void {
  const hal = espruinoHal({ hasWifi: BOARD.network === "wifi" });
  const store = createStore({ hal: hal, region: BOARD.flash });
  const net = new Net({ hal: hal, network: BOARD.network, config: cfg.wifi, reconnect: BOARD.wifiReconnect });
  // The device clock is set by the test (setTime): epoch stamps only.
  const resolver = {
    resolve: (s: Stamp) => ((s as any).epochMs !== undefined ? (s as any).epochMs : undefined),
    now: () => hal.now(),
  };
  // cfg.noTime: a boot with no time of its own (timekeeper.ts wantsTime): the uplink makes
  // its time probe (isHardwareConnected), for its HTTP Date.
  if (cfg.noTime) resolver.keeper = { _src: 0, _book: { get: () => undefined }, bootId: 1 };
  // cfg.roundMs: an SNTP stand-in whose round answers after that many ms; cfg.roundUnderWay: one
  // that always has a round under way (syncNow false, as the clock while its own round runs).
  let sntp;
  if (cfg.roundUnderWay) sntp = { syncNow: () => false };
  else if (cfg.roundMs !== undefined) sntp = { syncNow: (cb) => (setTimeout(cb, cfg.roundMs), true) };
  const uplink = named(createUplink({ hal: hal, store: store, resolver: resolver, link: net, config: cfg.blynk, sntp: sntp }));
  net.start();
  uplink.start();
  global.t.store = store;
  global.t.uplink = uplink;
  global.t.net = net;
  global.t.clockChanged = () => uplink.notifyClockChanged();
  global.t.flush = () => uplink.flushNow();
  global.t.append = (pin: number, n: number, every: number) => {
    const now = Math.floor(hal.now());
    for (let i = 0; i < n; i++) store.append({ pin: pin, stamp: { epochMs: now - (n - i) * every }, value: i / 4 });
    uplink.notifyAppended();
  };
}

global.t = { start: start };
