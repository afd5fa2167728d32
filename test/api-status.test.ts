/**
 * `spool.status()` between flushes answers from what the last uplink kept and the quota files:
 * it loads neither the uplink part nor makes an uplink (on a 1,600-JsVar board there is no room
 * for one beside the resident set, docs/memory.md), and says what a living uplink would say.
 */
import test from "ava";
import { loadBoard } from "../src/host/boards.ts";
import { createSpool } from "../src/device/api/spool.ts";
import type { HttpPort, HttpRequest, HttpResponse } from "../src/device/hal.ts";
import type { BoardProfile } from "../src/device/board.ts";
import { REGION_FILE } from "../src/device/uplink/uplink.ts";
import type { PartTypes, Parts } from "../src/device/parts.ts";
import { bootHal, newDevice, type Device } from "./api-hal.ts";
import { directParts } from "./helpers/parts.ts";
import { hooks } from "../src/device/api/uplink-hooks.ts";
import type { SpoolState } from "../src/device/api/spool-state.ts";

const TOKEN = "Tok3nAbcdefghijklmnopqrstuvwxyz9";
const T0 = Date.UTC(2026, 4, 1);
const READINGS = 40;

/**
 * Answers every request as Blynk.Cloud documents a batch update's success (200, empty body), a
 * little later; counts requests and the points their bodies carried.
 */
function acceptingHttp(dev: Device, seen: { requests: number; points: number }): HttpPort {
  return {
    request(_options, cb) {
      let body = "";
      const closers: Array<(this: HttpRequest, err?: unknown) => void> = [];
      const drains: Array<(this: HttpRequest) => void> = [];
      const req: HttpRequest = {
        write(data: string) {
          body += data;
          // Sent a little later: the interpreter then emits "drain" on the request.
          dev.clock.after(1, () => {
            for (const fn of drains) fn.call(req);
          });
          return true;
        },
        end(data?: string) {
          if (data) body += data;
          seen.requests++;
          // The time probe is a GET without a body.
          if (body) seen.points += (JSON.parse(body) as unknown[]).length;
          dev.clock.after(20, () => {
            const on: { [event: string]: Array<(x?: any) => void> } = {};
            const res: HttpResponse = {
              statusCode: 200,
              // Every HTTP server sends its Date; a board without SNTP takes its time from it.
              headers: { Date: new Date(T0 + dev.clock.now).toUTCString() },
              on(event: string, fn: (x?: any) => void) {
                (on[event] ??= []).push(fn);
              },
            } as HttpResponse;
            // As the interpreter calls them: the request, the response as `this`.
            cb.call(req, res);
            for (const fn of on.end ?? []) fn.call(res);
            for (const fn of on.close ?? []) fn.call(res);
            for (const fn of closers) fn.call(req);
          });
        },
        on(event: string, fn: (err?: unknown) => void) {
          if (event === "close") closers.push(fn);
          if (event === "drain") drains.push(fn);
        },
      };
      return req;
    },
  };
}

/** The firmware's parts, each load's name pushed to `loads`. */
function countingParts(loads: string[]): Parts {
  return {
    ...directParts,
    load: <K extends keyof PartTypes>(name: K) => {
      loads.push(name);
      return directParts.load(name);
    },
  };
}

/** The linux profile as a board that drops its uplink between flushes (as esp8266 does). */
function droppingBoard(): BoardProfile {
  const board = loadBoard("linux");
  delete board.upload.keepUplink;
  return board;
}

test("status between flushes: the uplink's fields from what it kept, without loading the uplink part", (t) => {
  const dev = newDevice(droppingBoard());
  const hal = bootHal(dev, { epochMs: T0 });
  const seen = { requests: 0, points: 0 };
  hal.http = acceptingHttp(dev, seen);
  const loads: string[] = [];
  const parts = countingParts(loads);
  const spool = createSpool({ hal, board: dev.board, version: "test", parts });
  const before = spool.status().uplink;
  spool.setup({
    blynk: { token: TOKEN, host: "127.0.0.1", scheme: "http", port: 8080 },
    datastreams: [{ pin: 1, type: "double" }],
    flushDelayMs: 100,
  });
  t.is(before.state, "no token", "no token: no uplink to speak of");
  for (let k = 0; k < READINGS; k++) spool.record(1, 20 + k / 10);
  spool.start();
  const S = (spool.record as unknown as { _s: { _uplink?: unknown; _liveUplink(fresh: boolean): unknown } })._s;
  t.true(
    dev.clock.runUntil(() => seen.points === READINGS && S._uplink === undefined, 10 * 60_000),
    `delivered and idle (${seen.points} points in ${seen.requests} requests)`,
  );

  loads.length = 0;
  const kept = spool.status().uplink;
  t.false(loads.includes("uplink") || loads.includes("make"), `loaded for the status: ${loads.join(", ")}`);
  t.is(S._uplink, undefined, "no uplink made for the question");
  t.is(kept.state, "idle");
  t.is(kept.lastReply, "200 ");
  t.is(kept.delivered, READINGS);
  t.is(kept.quotaUsed, READINGS, "the quota as the quota file holds it");
  t.is(kept.requestsToday, seen.requests);
  t.is(kept.server, "http://127.0.0.1:8080");
  t.regex(kept.warning!, /plain HTTP/);

  // A second flush by a new uplink: the day's count carries on from the first one's, though
  // neither reached the quota file's save step (1% of the default 10,000 points).
  for (let k = 0; k < READINGS; k++) spool.record(1, k);
  t.true(dev.clock.runUntil(() => seen.points === 2 * READINGS && S._uplink === undefined, 10 * 60_000));
  const again = spool.status().uplink;
  t.is(again.quotaUsed, 2 * READINGS, "both flushes counted");
  t.is(again.delivered, 2 * READINGS);

  // The same fields from a living uplink made from the same kept state, read from its fields:
  // the question loads no phase's code beside a flush.
  S._liveUplink(false);
  t.not(S._uplink, undefined);
  t.is((S as unknown as { _store: { held?: unknown } })._store.held, undefined, "no read part held before the first pick");
  loads.length = 0;
  const live = spool.status().uplink;
  t.false(loads.includes("uplink"), `loaded for a living uplink's status: ${loads.join(", ")}`);
  t.deepEqual({ ...again, nextAttemptInS: null }, { ...live, nextAttemptInS: null });
  spool.stop();
});

test("the uplink's resolver places this boot's stamps without the clock part while this boot has no time, and loads it for a past boot's", (t) => {
  const dev = newDevice(droppingBoard());
  // No epoch: the clock is not set at boot, and nothing answers SNTP here.
  const hal = bootHal(dev);
  const loads: string[] = [];
  const spool = createSpool({ hal, board: dev.board, version: "test", parts: countingParts(loads) });
  const S = (spool.record as unknown as { _s: SpoolState })._s;
  const res = hooks(S);
  const bootId = S._keeper.bootId;
  loads.length = 0;
  t.is(res.resolve({ bootId: bootId, uptimeMs: 5000 }), undefined, "this boot waits for its time");
  t.false(res.discards!({ bootId: bootId, uptimeMs: 5000 }), "and is never dropped for it");
  t.is(res.resolve({ epochMs: T0 }), T0);
  t.deepEqual(loads, [], "the clock part is not loaded for them");
  // A past boot that never got a time: only the clock part knows (policy, estimates).
  t.is(res.resolve({ bootId: bootId - 1, uptimeMs: 5000 }), undefined);
  t.deepEqual(loads, ["clock"]);
  t.not(res._clk, undefined, "held by the resolver until a pick lets it go");
});

test("status before any uplink has run this boot: what a new uplink would report, quota read from flash", (t) => {
  const dev = newDevice(loadBoard("linux"));
  let hal = bootHal(dev, { epochMs: T0 });
  const seen = { requests: 0, points: 0 };
  hal.http = acceptingHttp(dev, seen);
  let spool = createSpool({ hal, board: dev.board, version: "test", parts: directParts });
  spool.setup({
    blynk: { token: TOKEN, host: "127.0.0.1", scheme: "http", port: 8080 },
    datastreams: [{ pin: 1, type: "double" }],
    flushDelayMs: 100,
    limits: { dailyQuota: 5000 },
  });
  // More than the quota's save step (1% of 5,000): the count reaches the files.
  const n = 60;
  for (let k = 0; k < n; k++) spool.record(1, k);
  spool.start();
  t.true(dev.clock.runUntil(() => seen.points === n, 10 * 60_000));
  dev.clock.advance(5000);
  spool.stop();

  // Reboot: nothing kept in RAM, the day's counts only in the quota files.
  hal = bootHal(dev, { epochMs: T0 + 60_000 });
  spool = createSpool({ hal, board: dev.board, version: "test", parts: directParts });
  const u = spool.status().uplink;
  t.is(u.state, "offline");
  t.is(u.lastReply, null);
  t.is(u.delivered, 0, "delivered counts this boot's");
  t.is(u.quotaDaily, 5000);
  t.is(u.quotaUsed, n, "the day's count as last saved");
  t.is(u.requestsToday, seen.requests);
  t.is(u.batchLimit, 32, "a new uplink's first window");
  t.is(u.backoffS, 0);
});

test("too little memory free for a flush (linux-small's minFreeJsVars): none starts, the readings stay, the status says why; with room the flush goes", (t) => {
  const board = loadBoard("linux-small");
  const need = board.upload.minFreeJsVars!;
  t.true(need > 0, "the small boards name what a flush needs");
  const dev = newDevice(board);
  const hal = bootHal(dev, { epochMs: T0 });
  const seen = { requests: 0, points: 0 };
  hal.http = acceptingHttp(dev, seen);
  let free = need - 1;
  hal.memory = () => ({ free, usage: 1600 - free, total: 1600 });
  const loads: string[] = [];
  const parts = countingParts(loads);
  const spool = createSpool({ hal, board: dev.board, version: "test", parts });
  spool.setup({
    blynk: { token: TOKEN, host: "127.0.0.1", scheme: "http", port: 8080 },
    datastreams: [{ pin: 1, type: "double" }],
    flushDelayMs: 100,
  });
  spool.start();
  for (let k = 0; k < 5; k++) spool.record(1, k);
  dev.clock.advance(60_000);
  t.false(loads.includes("uplink") || loads.includes("make"), "the uplink's parts never loaded");
  t.is(seen.requests, 0);
  const st = spool.status();
  t.is(st.queue.pending, 5, "the readings stay in flash");
  t.is(st.uplink.warning, `not enough memory to send: ${need - 1} JsVars free, a flush needs ${need}; readings stay in flash`);

  free = need;
  spool.record(1, 5);
  // No SNTP here: the readings go with the HTTP Date's time after the clock's 10 min hold-off.
  t.true(
    dev.clock.runUntil(() => seen.points === 6, 20 * 60_000),
    `delivered once there is room (${seen.points})`,
  );
  t.is(spool.status().uplink.warning, "plain HTTP: the token and readings travel unencrypted", "the memory warning gone");
  spool.stop();
});

test("status before any uplink: the regional server learned for the configured host, not another host's", (t) => {
  const dev = newDevice(loadBoard("linux"));
  const hal = bootHal(dev, { epochMs: T0 });
  hal.storage.write(REGION_FILE, JSON.stringify({ from: "blynk.cloud", scheme: "https", host: "sgp1.blynk.cloud", port: 443 }));
  const spool = createSpool({ hal, board: dev.board, version: "test", parts: directParts });
  spool.setup({ blynk: { token: TOKEN }, datastreams: [{ pin: 1, type: "double" }] });
  t.is(spool.status().uplink.server, "https://sgp1.blynk.cloud:443");
  spool.setup({ blynk: { host: "ny3.blynk.cloud" } });
  t.is(spool.status().uplink.server, "https://ny3.blynk.cloud:443", "learned for blynk.cloud only");
});

test("a board that keeps its uplink (linux): one uplink for every flush, through stop and start, its parts loaded once", (t) => {
  const dev = newDevice(loadBoard("linux"));
  const hal = bootHal(dev, { epochMs: T0 });
  const seen = { requests: 0, points: 0 };
  hal.http = acceptingHttp(dev, seen);
  const loads: string[] = [];
  const spool = createSpool({ hal, board: dev.board, version: "test", parts: countingParts(loads) });
  spool.setup({
    blynk: { token: TOKEN, host: "127.0.0.1", scheme: "http", port: 8080 },
    datastreams: [{ pin: 1, type: "double" }],
    flushDelayMs: 100,
  });
  const S = (spool.record as unknown as { _s: { _uplink?: unknown } })._s;
  spool.start();
  for (let k = 0; k < READINGS; k++) spool.record(1, k);
  t.true(dev.clock.runUntil(() => seen.points === READINGS, 10 * 60_000));
  dev.clock.advance(5000);
  const u = S._uplink;
  t.not(u, undefined, "kept after its flush");
  spool.stop();
  t.is(S._uplink, u, "kept, stopped, by spool.stop()");
  for (let k = 0; k < READINGS; k++) spool.record(1, k);
  dev.clock.advance(5000);
  t.is(seen.points, READINGS, "stopped: nothing sent");
  loads.length = 0;
  spool.start();
  t.true(
    dev.clock.runUntil(() => seen.points === 2 * READINGS, 10 * 60_000),
    `${seen.points} points`,
  );
  t.is(S._uplink, u, "the same uplink sent them");
  t.false(loads.includes("uplink") || loads.includes("make"), `loaded for the second flush: ${loads.join(", ")}`);
  // Counted by the fake server as sent; the replies are handled a little later.
  dev.clock.advance(5000);
  t.is(spool.status().uplink.delivered, 2 * READINGS);
  spool.stop();
});

test("a status asked with too little memory free where memory is fixed is refused with a clear error, and nothing changes; with room it answers", (t) => {
  const board = loadBoard("linux-small");
  const dev = newDevice(board);
  const hal = bootHal(dev, { epochMs: T0 });
  let free = 470;
  hal.memory = () => ({ free, usage: 1600 - free, total: 1600 });
  const loads: string[] = [];
  const spool = createSpool({ hal, board: dev.board, version: "test", parts: countingParts(loads) });
  spool.setup({ datastreams: [{ pin: 1, type: "double" }] });
  spool.record(1, 1);
  loads.length = 0;
  t.throws(() => spool.status(), { message: /^spool\.status: 470 JsVars free, a status needs about \d+ .*; ask again in a few seconds$/ });
  t.throws(() => spool.report(), { message: /^spool\.report: 470 JsVars free/ });
  t.false(loads.includes("report"), "the report part is not loaded for a refused status");
  free = 600;
  t.is(spool.status().queue.pending, 1);
  // Where memory is not fixed (linux grows its JsVars), no status is refused.
  const big = newDevice(loadBoard("linux"));
  const bigHal = bootHal(big, { epochMs: T0 });
  bigHal.memory = () => ({ free: 100, usage: 3900, total: 4000 });
  const other = createSpool({ hal: bigHal, board: big.board, version: "test", parts: countingParts([]) });
  t.is(other.status().queue.pending, 0);
});
