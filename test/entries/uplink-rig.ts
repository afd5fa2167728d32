// @ts-nocheck: Espruino globals (E, getTime, print, global) are not in the host tsconfig; the
// device modules it wires are type-checked on their own (tsconfig.device.json).
// Firmware entry of the uplink rig (test/uplink-harness.ts): the real store and uplink over the
// real hardware boundary, built for the board and run in the simulated Espruino. The link is a
// switch the test flips; the stamp resolver knows epoch stamps, this boot's uptime stamps once
// "synced", and earlier boots' stamps once the test gives their offset. Driven through `global.t`.
import { espruinoHal } from "../../src/device/espruino-hal.ts";
import { createStore } from "../../src/device/store/maintenance.ts";
import { createUplink } from "../../src/device/uplink/index.ts";
import { named } from "./uplink-facade.ts";

const BOARD = __BOARD__;

/**
 * The uplink's view of the Hal, with its `http` passed through a probe: `t.probe(n, point)` (set
 * by the test, a host function) is called at the points of request n where a test may cut power:
 * "before-send" (first write), "mid-body" (second write), "before-reply" (response arrived).
 */
function probedHal(hal: any): any {
  let requests = 0;
  function probe(n, point) {
    if (global.t.probe) global.t.probe(n, point);
  }
  const http = {
    request: function (o, cb) {
      const n = ++requests;
      let writes = 0;
      // The request itself, its write and end counted: the uplink finds its exchange on the
      // request its handlers are called on (`this`), as the interpreter calls them.
      const req = hal.http.request(o, function (res) {
        probe(n, "before-reply");
        cb.call(this, res);
      });
      function count() {
        writes++;
        if (writes === 1) probe(n, "before-send");
        if (writes === 2) probe(n, "mid-body");
      }
      const write = req.write;
      const end = req.end;
      req.write = function (d) {
        count();
        return write.call(req, d);
      };
      req.end = function (d) {
        count();
        end.call(req, d);
      };
      return req;
    },
  };
  return {
    http: http,
    storage: hal.storage,
    uptime: hal.uptime,
    setTimeout: hal.setTimeout,
    clearTimeout: hal.clearTimeout,
    random: hal.random,
    log: hal.log,
  };
}

function start(cfg: any): void {
  const hal = espruinoHal({ hasWifi: false });
  const store = createStore({ hal: hal, region: cfg.region || BOARD.flash, datastreams: cfg.datastreams });
  const listeners = [];
  const link = {
    up: cfg.linkUp !== false,
    isUp: function () {
      return link.up;
    },
    onChange: function (cb) {
      listeners.push(cb);
    },
  };
  const offsets = {};
  const resolver = {
    synced: cfg.synced !== false,
    now: function () {
      return resolver.synced ? hal.now() : undefined;
    },
    resolve: function (s) {
      if (s.epochMs !== undefined) return s.epochMs;
      if (s.bootId === store.bootId) return resolver.synced ? hal.now() - hal.uptime() + s.uptimeMs : undefined;
      const off = offsets[s.bootId];
      return off === undefined ? undefined : off + s.uptimeMs;
    },
  };
  const uplink = named(createUplink({ hal: probedHal(hal), store: store, resolver: resolver, link: link, config: cfg.blynk }));
  global.t.store = store;
  global.t.uplink = uplink;
  global.t.setLink = function (up) {
    link.up = up;
    for (let i = 0; i < listeners.length; i++) listeners[i](up);
  };
  global.t.setOffset = function (bootId, epochAtUptime0) {
    offsets[bootId] = epochAtUptime0;
    uplink.notifyClockChanged();
  };
  // rows: [pin, stamp, value]
  global.t.append = function (rows) {
    for (let i = 0; i < rows.length; i++) store.append({ pin: rows[i][0], stamp: rows[i][1], value: rows[i][2] });
    uplink.notifyAppended();
  };
  // n readings of `pin`, one every `every` ms from `from` (epoch), value `a + i * b`.
  global.t.series = function (pin, n, from, every, a, b) {
    for (let i = 0; i < n; i++) store.append({ pin: pin, stamp: { epochMs: from + i * every }, value: a + i * b });
    uplink.notifyAppended();
  };
  // Records as fast as a user's loop would: `perTick` readings of `pin` every `every` ms until
  // `total`, values k + 0.5 stamped with the clock, while the uplink flushes (flushDelayMs 0).
  global.t.burst = function (pin, perTick, every, total) {
    let k = 0;
    const id = setInterval(function () {
      for (let j = 0; j < perTick && k < total; j++) {
        store.append({ pin: pin, stamp: { epochMs: Math.floor(hal.now()) }, value: k + 0.5 });
        k++;
      }
      uplink.notifyAppended();
      if (k >= total) clearInterval(id);
    }, every);
  };
  // One reading of `pin` every `every` ms, values continuing across boots (k + 0.5, k counted
  // from the readings in flash and delivered, read back at boot), until power is cut.
  global.t.every = function (pin, every) {
    let k = global.t.nextValue();
    setInterval(function () {
      store.append({ pin: pin, stamp: { epochMs: Math.floor(hal.now()) }, value: k + 0.5 });
      k++;
      uplink.notifyAppended();
    }, every);
  };
  // The next value: one more than the largest value in flash.
  global.t.nextValue = function () {
    let top = -1;
    store.scan({ from: 0, delivered: true }, function (rec) {
      if (typeof rec.reading.value === "number" && rec.reading.value > top) top = rec.reading.value;
    });
    return Math.floor(top + 0.5);
  };
  // A sampler: `count` ticks `every` ms apart from now, each appending V0 = 20 + k / 100 and
  // V1 = k stamped `now + k * every`, as a firmware's sampling timer would.
  global.t.sample = function (every, count) {
    const t0 = Math.floor(hal.now());
    let k = 0;
    let id;
    function tick() {
      const at = t0 + k * every;
      store.append({ pin: 0, stamp: { epochMs: at }, value: 20 + k / 100 });
      store.append({ pin: 1, stamp: { epochMs: at }, value: k });
      k++;
      uplink.notifyAppended();
      if (k >= count) clearInterval(id);
    }
    id = setInterval(tick, every);
    tick();
  };
}

global.t = { start: start };
