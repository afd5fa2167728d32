import test from "ava";
import * as http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { readBoard, simWorld } from "../src/host/sim/index.ts";

const esp32 = readBoard("esp32");
const esp8266 = readBoard("esp8266");
// The Linux build's clock is the host's (boards/linux.json clock.validAtBoot); these tests read
// getTime() as time since power-on, as on a board without a clock.
const linux = { ...readBoard("linux"), clock: undefined };

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
}

/** A local server that records requests and answers `reply(req)`; `hang` paths never answer. */
async function server(reply: (s: Seen) => { status?: number; body?: string; headers?: Record<string, string> } | "hang") {
  const seen: Seen[] = [];
  const srv = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("latin1");
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const s = { method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders, body };
      seen.push(s);
      const r = reply(s);
      if (r === "hang") return;
      res.writeHead(r.status ?? 200, { "Content-Type": "text/plain", ...r.headers });
      res.end(r.body ?? "ok");
    });
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as AddressInfo).port;
  return {
    seen,
    port,
    close: () =>
      new Promise<void>((r) => {
        srv.closeAllConnections();
        srv.close(() => r());
      }),
  };
}

test("GET: Espruino's request head, no Content-Length; statusCode string, data, end, close in order", async (t) => {
  const s = await server(() => ({ body: "hello world" }));
  t.teardown(s.close);
  const w = simWorld();
  w.network.route("blynk.cloud", s.port);
  const sim = w.device({ board: linux });
  sim.boot(`var log = [];
    var req = require("http").request({ host: "blynk.cloud", port: 80, path: "/external/api/get?token=x", method: "GET",
      protocol: "http:", headers: { "X-Test": "1" } }, function (res) {
      log.push("status " + res.statusCode + " " + typeof res.statusCode);
      res.on("data", function (d) { log.push("data " + d); });
      res.on("end", function () { log.push("end"); });
      res.on("close", function (err) { log.push("close " + err); });
    });
    req.on("error", function (e) { log.push("error " + e.message); });
    req.end();`);
  await sim.settle();
  t.deepEqual([...(sim.eval("log") as string[])], ["status 200 string", "data hello world", "end", "close false"]);
  t.is(s.seen.length, 1);
  const r = s.seen[0];
  t.is(r.url, "/external/api/get?token=x");
  t.deepEqual(r.rawHeaders, ["User-Agent", "Espruino 2v29", "Connection", "close", "X-Test", "1", "Host", "blynk.cloud"]);
  t.is(r.headers["content-length"], undefined);
  t.is(sim.eval("log.length"), 4);
  t.deepEqual(w.clock.openIo(), []);
});

test("POST: the body goes as written; without Content-Length a server reads no body", async (t) => {
  const s = await server((r) => ({ body: `got ${r.body.length}` }));
  t.teardown(s.close);
  const w = simWorld();
  w.network.route("blynk.cloud", s.port);
  const sim = w.device({ board: linux });
  sim.boot(`var out = [];
    function post(body, withLength) {
      var h = { "Content-Type": "text/plain" };
      if (withLength) h["Content-Length"] = body.length;
      var req = require("http").request({ host: "blynk.cloud", port: 8080, path: "/p", method: "POST", headers: h }, function (res) {
        res.on("data", function (d) { out.push(d); });
      });
      req.end(body);
    }
    post("abc\\xff", true);`);
  await sim.settle();
  t.deepEqual([...(sim.eval("out") as string[])], ["got 4"]);
  t.is(s.seen[0].body, "abc\xff");
  t.is(s.seen[0].headers.host, "blynk.cloud:8080");
  sim.eval('post("abc", false)');
  await sim.settle();
  t.is(s.seen[1].body, "");
});

test("write returns false, drain fires when the buffer is sent, not after end: streaming pieces", async (t) => {
  const s = await server((r) => ({ body: String(r.body.length) }));
  t.teardown(s.close);
  const w = simWorld();
  w.network.route("blynk.cloud", s.port);
  const sim = w.device({ board: esp8266 });
  sim.boot(`var log = [], sent = 0, total = 2000, piece = 500;
    var req = require("http").request({ host: "blynk.cloud", port: 80, path: "/batch", method: "POST",
      headers: { "Content-Length": total } }, function (res) { res.on("data", function (d) { log.push("reply " + d); }); });
    function next() {
      if (sent >= total) { req.end(); return; }
      var r = req.write(E.toString({ data: 120, count: piece }));
      log.push("write " + r);
      sent += piece;
    }
    req.on("drain", function () { log.push("drain"); next(); });
    next();`);
  // The ESP8266 needs WiFi first; the request waits for nothing: DNS fails without a link.
  t.deepEqual([...(sim.eval("log") as string[])], []);
  t.is(sim.output()[0], "Uncaught InternalError: Unable to locate host");
  sim.eval(`require("Wifi").connect("ap", {password: "pw"}, function () {})`);
  await w.clock.advanceAsync(5000);
  sim.net.totalWriteBytes = 0;
  sim.eval(
    "log = []; sent = 0; req = require('http').request({ host: 'blynk.cloud', port: 80, path: '/batch', method: 'POST', headers: { 'Content-Length': total } }, function (res) { res.on('data', function (d) { log.push('reply ' + d); }); }); req.on('drain', function () { log.push('drain'); next(); }); next();",
  );
  // A piece takes virtual time to go out (500 B at sendBytesPerMs): a timer due meanwhile runs
  // between two pieces, as the device's own code does on a board.
  sim.eval("setTimeout(function () { log.push('timer'); }, 1)");
  await sim.settle();
  t.deepEqual([...(sim.eval("log") as string[])], ["write false"], "no drain before the piece's send time");
  await w.clock.advanceAsync(1000);
  t.deepEqual(
    [...(sim.eval("log") as string[])],
    ["write false", "timer", "drain", "write false", "drain", "write false", "drain", "write false", "drain", "reply 2000"],
  );
  t.is(sim.net.maxWriteBytes, 500);
  t.is(sim.net.totalWriteBytes, 2000);
});

test("offline: write/end throw InternalError 'Unable to locate host' (Espruino's: no name, not an Error); unrouted names too", async (t) => {
  const s = await server(() => ({}));
  t.teardown(s.close);
  const w = simWorld();
  w.network.route("blynk.cloud", s.port);
  const sim = w.device({ board: linux });
  sim.boot(`function go(host) {
    var req = require("http").request({ host: host, port: 80, path: "/", method: "GET" }, function () {});
    try { req.end(); return "ok"; } catch (e) { return String(e) + " " + e.name + " " + (e instanceof Error); }
  }`);
  w.network.setOnline(false);
  t.is(sim.eval('go("blynk.cloud")'), "InternalError: Unable to locate host undefined false");
  w.network.setOnline(true);
  t.is(sim.eval('go("example.com")'), "InternalError: Unable to locate host undefined false");
  t.is(sim.eval('go("blynk.cloud")'), "ok");
  await sim.settle();
  t.is(s.seen.length, 1);
});

test("advanceAsync: a request started by a timer completes before the next timer runs (10 ms later)", async (t) => {
  const s = await server(() => ({ body: "pong" }));
  t.teardown(s.close);
  const w = simWorld();
  w.network.route("blynk.cloud", s.port);
  const sim = w.device({ board: linux });
  sim.boot(`var log = [];
    setInterval(function () {
      var req = require("http").request({ host: "blynk.cloud", port: 80, path: "/ping", method: "GET" }, function (res) {
        res.on("data", function (d) { log.push(Math.round(getTime()) + " " + d); });
      });
      req.end();
    }, 1000);
    setTimeout(function () {
      setInterval(function () { log.push(Math.round(getTime()) + " check"); }, 1000);
    }, 10);`);
  await w.clock.advanceAsync(3100);
  t.deepEqual([...(sim.eval("log") as string[])], ["1 pong", "1 check", "2 pong", "2 check", "3 pong", "3 check"]);
});

test("a server that never answers leaves the request open; the link going away fails it after tcpStallMs", async (t) => {
  const s = await server(() => "hang");
  t.teardown(s.close);
  const w = simWorld({ network: { wifiTiming: { tcpStallMs: 15000 } } });
  w.network.route("blynk.cloud", s.port);
  const sim = w.device({ board: linux });
  sim.boot(`var log = [];
    var req = require("http").request({ host: "blynk.cloud", port: 80, path: "/hang", method: "GET" }, function (res) {
      res.on("close", function () { log.push("res close"); });
    });
    req.on("error", function (e) { log.push("error " + e.code + " " + e.message + " at " + Math.round(getTime())); });
    req.end();`);
  await sim.settle({ idleMs: 50 });
  t.is(s.seen.length, 1);
  t.deepEqual([...(sim.eval("log") as string[])], []);
  await w.clock.advanceAsync(1000, { idleMs: 50 });
  w.network.setOnline(false);
  await w.clock.advanceAsync(20000, { idleMs: 50 });
  t.deepEqual([...(sim.eval("log") as string[])], ["error -3 timeout at 16"]);
});

test("https: plain TCP to the route's https port on a TLS board; 'no response' on a board without TLS", async (t) => {
  const s = await server(() => ({ body: "secure-ish" }));
  t.teardown(s.close);
  const w = simWorld();
  w.network.route("blynk.cloud", { port: 1, httpsPort: s.port });
  const log = (sim: ReturnType<typeof w.device>) => [...(sim.eval("log") as string[])];
  const code = `var log = [];
    var req = require("http").request({ host: "blynk.cloud", port: 443, path: "/", method: "GET", protocol: "https:" }, function (res) {
      res.on("data", function (d) { log.push(d); });
    });
    req.on("error", function (e) { log.push("error " + e.message); });
    try { req.end(); } catch (e) { log.push("threw " + e.message); }`;
  const linuxSim = w.device({ board: linux });
  linuxSim.boot(code);
  await linuxSim.settle();
  t.deepEqual(log(linuxSim), ["secure-ish"]);
  const espSim = w.device({ board: { ...esp8266, network: "none" } });
  espSim.boot(code);
  await w.clock.advanceAsync(10);
  t.deepEqual(log(espSim), ["error no response"]);
});

test("powerCut destroys open sockets and drops their callbacks", async (t) => {
  const s = await server(() => "hang");
  t.teardown(s.close);
  const w = simWorld();
  w.network.route("blynk.cloud", s.port);
  const sim = w.device({ board: esp32 });
  sim.boot(`require("Wifi").connect("ap", {}, function () {
      require("http").request({ host: "blynk.cloud", port: 80, path: "/", method: "GET" }, function () { print("reply"); }).end();
    });`);
  await w.clock.advanceAsync(3000, { idleMs: 50 });
  t.is(s.seen.length, 1);
  t.is(w.clock.openIo().length, 1);
  sim.powerCut();
  t.deepEqual(w.clock.openIo(), []);
  t.deepEqual(sim.output(), []);
});

test("settle waits for a server that is slow because the host is busy: silence counts only while the event loop turns", async (t) => {
  // The handler blocks this process for longer than idleMs before it answers, as a loaded
  // machine that does not schedule it would: wall time passes, the event loop does not turn.
  const s = await server(() => {
    const until = Date.now() + 400;
    while (Date.now() < until);
    return { body: "late" };
  });
  t.teardown(s.close);
  const w = simWorld();
  w.network.route("blynk.cloud", s.port);
  const sim = w.device({ board: linux });
  sim.boot(`var log = [];
    require("http").request({ host: "blynk.cloud", port: 80, path: "/", method: "GET" }, function (res) {
      res.on("data", function (d) { log.push(d); });
    }).end();`);
  await sim.settle({ idleMs: 100 });
  t.deepEqual([...(sim.eval("log") as string[])], ["late"]);
  t.deepEqual(w.clock.openIo(), []);
});

test("a request the device keeps open (not ended, nothing in flight) is not waited for: only device code can move it", async (t) => {
  const s = await server(() => ({ body: "ok" }));
  t.teardown(s.close);
  const w = simWorld();
  w.network.route("blynk.cloud", s.port);
  const sim = w.device({ board: linux });
  sim.boot(`var log = [];
    var req = require("http").request({ host: "blynk.cloud", port: 80, path: "/p", method: "POST", headers: { "Content-Length": 4 } }, function (res) {
      res.on("data", function (d) { log.push(d); });
    });
    req.on("drain", function () { log.push("drain"); });
    req.write("ab");
    setTimeout(function () { req.end("cd"); }, 1000);`);
  // With a minute of idle window, waiting for the held request would hit maxMs and throw.
  await w.clock.advanceAsync(10, { idleMs: 60_000, maxMs: 5000 });
  t.deepEqual([...(sim.eval("log") as string[])], ["drain"]);
  t.deepEqual(w.clock.openIo().length, 1, "still open, held by the device");
  await w.clock.advanceAsync(990, { idleMs: 60_000, maxMs: 5000 });
  t.deepEqual([...(sim.eval("log") as string[])], ["drain", "ok"]);
  t.is(s.seen[0].body, "abcd");
});

test("linux firmware over https: E.defrag() before every request (its TLS buffers are JsVars), never over http or where TLS uses the heap", async (t) => {
  const { build } = await import("../src/host/build/index.ts");
  const { installFiles } = await import("../src/host/sim/index.ts");
  const s = await server(() => ({ body: "" }));
  t.teardown(s.close);
  const flushes = async (board: ReturnType<typeof readBoard>, scheme: "http" | "https") => {
    const outDir = mkdtempSync(join(tmpdir(), "spool-defrag-"));
    t.teardown(() => rmSync(outDir, { recursive: true, force: true }));
    const built = await build({ board, outDir });
    const w = simWorld();
    w.network.route("blynk.cloud", { port: s.port, httpsPort: s.port });
    const sim = w.device({ board });
    installFiles(sim, built.parts);
    sim.boot(built.code);
    const cfg = {
      blynk: { token: "Tok3nAbcdefghijklmnopqrstuvwxyz9", host: "blynk.cloud", scheme, port: scheme === "https" ? 443 : 80 },
      limits: { batchSize: 2 },
      datastreams: [{ pin: 1, type: "double" }],
    };
    t.is(sim.repl(`spool.setup(${JSON.stringify(cfg)})`), "=undefined");
    sim.repl("for (var i = 0; i < 6; i++) spool.record(1, i + 0.5)");
    sim.repl("spool.flush()");
    await w.clock.advanceAsync(20000, { idleMs: 50 });
    t.is(
      sim.repl("spool.status().queue.pending"),
      "=0",
      `${board.id} ${scheme}: delivered; ${sim.repl("JSON.stringify(spool.status().uplink)")} ${sim.output().slice(-5).join(" / ")}`,
    );
    return { defrags: sim.defrags, requests: sim.net.requests };
  };
  const tls = await flushes(readBoard("linux"), "https");
  t.true(tls.requests >= 3, `${tls.requests} requests`);
  t.is(tls.defrags, tls.requests, "one defragmentation per https request");
  t.is((await flushes(readBoard("linux"), "http")).defrags, 0);
  t.is(
    (await flushes({ ...readBoard("linux"), id: "linux", tlsBuffers: { in: "heap", why: "test" } }, "https")).defrags,
    0,
    "the profile decides",
  );
});
