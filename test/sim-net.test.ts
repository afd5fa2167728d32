import test from "ava";
import * as dgram from "node:dgram";
import type { AddressInfo } from "node:net";
import { readBoard, simWorld } from "../src/host/sim/index.ts";

const esp32 = readBoard("esp32");
const esp8266 = readBoard("esp8266");
// The Linux build's clock is the host's (boards/linux.json clock.validAtBoot); these tests read
// getTime() as time since power-on, as on a board without a clock.
const linux = { ...readBoard("linux"), clock: undefined };

/** A device-side SNTP-like exchange: 4-byte request, answer read back as bytes. */
const UDP_CLIENT = `var got = [];
  var s = require("dgram").createSocket("udp4");
  s.on("message", function (msg, info) { got.push({ bytes: E.toUint8Array(msg).length, first: msg.charCodeAt(0), from: info.address + ":" + info.port, at: getTime() }); });
  s.bind(0, function () { s.send(E.toString([1, 2, 3, 0xff]), 123, "pool.ntp.org"); });`;

test("dgram: in-process responder in virtual time, binary messages, latency", (t) => {
  const w = simWorld();
  const received: number[][] = [];
  w.network.udpHandler(
    "pool.ntp.org",
    123,
    (msg, reply, info) => {
      received.push([...msg]);
      t.is(info.trueEpochMs, w.clock.trueEpochMs());
      reply(new Uint8Array(48).fill(0xe3));
    },
    { latencyMs: 40 },
  );
  const sim = w.device({ board: linux });
  sim.boot(UDP_CLIENT);
  w.clock.advance(30);
  t.deepEqual(received, [], "not before the latency");
  w.clock.advance(20);
  t.deepEqual(received, [[1, 2, 3, 0xff]]);
  t.is(sim.eval("got.length"), 0, "the reply takes the latency too");
  w.clock.advance(50);
  const got = JSON.parse(JSON.stringify(sim.eval("got")));
  t.deepEqual(got, [{ bytes: 48, first: 0xe3, from: "pool.ntp.org:123", at: 0.08 }]);
});

test("dgram: lost datagrams and no link mean no answer, no exception", (t) => {
  const w = simWorld();
  let n = 0;
  w.network.udpHandler(
    "pool.ntp.org",
    123,
    (_m, reply) => {
      n++;
      reply("x");
    },
    { drop: (k) => k === 1 },
  );
  const sim = w.device({ board: linux });
  sim.boot(UDP_CLIENT);
  w.clock.advance(10);
  t.is(n, 0);
  t.is(sim.eval("got.length"), 0);
  sim.eval('s.send("again", 123, "pool.ntp.org")');
  w.clock.advance(10);
  t.is(sim.eval("got.length"), 1);
  w.network.setOnline(false);
  sim.eval('s.send("offline", 123, "pool.ntp.org")');
  w.clock.advance(10);
  t.is(n, 1);
  t.is(sim.net.udpSent, 3);
});

test("dgram: real UDP to a loopback echo server", async (t) => {
  const echo = dgram.createSocket("udp4");
  echo.on("message", (m, r) => echo.send(Buffer.concat([Buffer.from("re:"), m]), r.port, r.address));
  await new Promise<void>((r) => echo.bind(0, "127.0.0.1", r));
  t.teardown(() => echo.close());
  const w = simWorld();
  w.network.route("echo.local", (echo.address() as AddressInfo).port);
  const sim = w.device({ board: linux });
  sim.boot(`var got = []; var s = require("dgram").createSocket("udp4");
    s.on("message", function (m) { got.push(m); });
    s.bind(0, function () { s.send("hi\\xff", 9, "echo.local"); });`);
  await w.clock.advanceAsync(1);
  t.deepEqual([...(sim.eval("got") as string[])], ["re:hi\xff"]);
  sim.eval("s.close()");
});

test("Wifi on ESP32: connects with events and callback; after a drop it gives up and the program must reconnect", (t) => {
  const w = simWorld({ network: { ap: { ssid: "home", password: "pw" } } });
  const sim = w.device({ board: esp32 });
  sim.boot(`var log = []; var W = require("Wifi");
    ["associated", "connected", "disconnected"].forEach(function (e) {
      W.on(e, function (d) { log.push(e + " " + JSON.stringify(d) + " @" + Math.round(getTime())); });
    });
    W.connect("home", { password: "pw" }, function (err) { log.push("cb " + err); });`);
  w.clock.advance(5000);
  const T = w.network.timing;
  t.deepEqual(
    [...(sim.eval("log") as string[])],
    [
      `associated {"ssid":"home","mac":"a4:2b:b0:11:22:33","channel":"6"} @${T.connectMs / 1000}`,
      `cb null`,
      `connected {"ip":"192.168.1.50","netmask":"255.255.255.0","gw":"192.168.1.1"} @${T.connectMs / 1000}`,
    ],
  );
  t.is(sim.eval("W.getIP().ip"), "192.168.1.50");
  t.is(sim.eval("W.getStatus().station"), "connected");
  sim.eval("log = []");
  w.network.setWifi(false);
  w.clock.advance(60_000);
  // Silent retries with what is left of the 3 attempts, then one event, then nothing.
  t.deepEqual(
    [...(sim.eval("log") as string[])],
    [
      `disconnected {"ssid":"home","mac":"a4:2b:b0:11:22:33","reason":"201","msg":"NO_AP_FOUND"} @${(5000 + T.esp32Attempts * T.attemptMs) / 1000}`,
    ],
  );
  // The AP comes back: an ESP32 stays off by itself...
  w.network.setWifi(true);
  w.clock.advance(60_000);
  t.is((sim.eval("log") as string[]).length, 1);
  t.is(sim.eval("W.getIP().ip"), "0.0.0.0");
  // ...until the program calls connect() again.
  sim.eval('W.connect("home", { password: "pw" }, function (err) { log.push("cb " + err); })');
  w.clock.advance(5000);
  t.is(sim.eval("W.getStatus().station"), "connected");
});

test("Wifi on ESP32: connect with the AP away fails after its attempts with the reason", (t) => {
  const w = simWorld({ network: { wifi: false } });
  const sim = w.device({ board: esp32 });
  sim.boot(`var log = []; var W = require("Wifi");
    W.on("disconnected", function (d) { log.push("disc " + d.msg); });
    W.connect("home", {}, function (err) { log.push("cb " + err + " @" + getTime()); });`);
  w.clock.advance(60_000);
  const T = w.network.timing;
  t.deepEqual([...(sim.eval("log") as string[])], ["disc NO_AP_FOUND", `cb NO_AP_FOUND @${(T.esp32Attempts * T.attemptMs) / 1000}`]);
});

/**
 * Boots a program that connects and logs the events (`detail` of disconnected: `reason` or
 * `msg`), then takes the AP away for 29 s: the log from connected on, and from the drop on.
 */
function dropForHalfAMinute(board: typeof esp32, detail: "reason" | "msg"): { connected: string[]; afterDrop: string[] } {
  const w = simWorld();
  const sim = w.device({ board });
  sim.boot(`var log = []; var W = require("Wifi");
    W.on("connected", function (d) { log.push("connected " + d.ip); });
    W.on("disconnected", function (d) { log.push("disconnected " + d.${detail}); });
    W.connect("home", {}, function (err) { log.push("cb " + err); });`);
  w.clock.advance(5000);
  const connected = [...(sim.eval("log") as string[])];
  sim.eval("log = []");
  w.network.schedule([
    { at: w.clock.now + 1000, up: false },
    { at: w.clock.now + 30_000, up: true },
  ]);
  w.clock.advance(60_000);
  return { connected, afterDrop: [...(sim.eval("log") as string[])] };
}

test("Wifi on ESP8266: the SDK reconnects by itself when the AP comes back", (t) => {
  const { connected, afterDrop: log } = dropForHalfAMinute(esp8266, "reason");
  t.deepEqual(connected, ["cb null", "connected 192.168.1.50"]);
  t.is(log[0], "disconnected beacon_timeout");
  t.true(
    log.slice(1, -1).every((l) => l === "disconnected no_ap_found"),
    log.join(" | "),
  );
  t.true(log.length > 3);
  t.is(log[log.length - 1], "connected 192.168.1.50");
});

test("Wifi follows the profile's wifi, not the board's id: an esp32 profile with the SDK's reconnection reconnects by itself", (t) => {
  const { afterDrop: log } = dropForHalfAMinute({ ...esp32, wifi: { ...esp32.wifi!, reconnect: "sdk" } }, "msg");
  // Every failed attempt is an event (the driver's shapes stay ESP32's), and it comes back.
  t.is(log[0], "disconnected BEACON_TIMEOUT", log.join(" | "));
  t.true(log.length > 3, log.join(" | "));
  t.is(log[log.length - 1], "connected 192.168.1.50");
  const noProfile = simWorld().device({ board: { ...esp32, wifi: undefined } });
  t.throws(() => noProfile.boot(""), { message: /network is "wifi" but the profile has no wifi/ });
});

test("Wifi: linux has none; save() writes .wificfg and a reboot connects by itself", (t) => {
  const w = simWorld();
  t.throws(
    () => {
      const l = w.device({ board: linux });
      l.boot("");
      l.eval('require("Wifi")');
    },
    { message: "Module Wifi not found" },
  );
  const sim = w.device({ board: esp32 });
  sim.boot(`require("Wifi").connect("home", { password: "pw" }, function () { require("Wifi").save(); });`);
  w.clock.advance(5000);
  t.is(sim.eval('require("Storage").readJSON(".wificfg").ssid'), "home");
  sim.boot(`var up = false; require("Wifi").on("connected", function () { up = true; });`);
  w.clock.advance(5000);
  t.is(sim.eval("up"), true);
});

test("http follows the WiFi link on ESP boards: names do not resolve until connected", (t) => {
  const w = simWorld();
  w.network.route("blynk.cloud", 9);
  const sim = w.device({ board: esp32 });
  sim.boot(
    `function tryIt() { try { require("http").request({ host: "blynk.cloud", port: 80, path: "/", method: "GET" }).end(); return "sent"; } catch (e) { return e.message; } }`,
  );
  t.is(sim.eval("tryIt()"), "Unable to locate host");
  sim.eval('require("Wifi").connect("home", {}, function () {})');
  w.clock.advance(5000);
  t.is(sim.eval("tryIt()"), "sent");
  sim.powerCut();
});
