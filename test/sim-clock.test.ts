import test from "ava";
import { SimClock, readBoard, simWorld } from "../src/host/sim/index.ts";

const esp32 = readBoard("esp32");
// The Linux build's clock is the host's (boards/linux.json clock.validAtBoot); these tests read
// getTime() as time since power-on, as on a board without a clock.
const linux = { ...readBoard("linux"), clock: undefined };

test("SimClock: advance runs tasks in time order, including tasks queued on the way", (t) => {
  const clock = new SimClock();
  const log: string[] = [];
  clock.after(30, () => log.push(`c@${clock.now}`));
  clock.after(10, () => {
    log.push(`a@${clock.now}`);
    clock.after(5, () => log.push(`nested@${clock.now}`));
    clock.after(100, () => log.push("too late"));
  });
  clock.after(10, () => log.push(`b@${clock.now}`));
  t.is(clock.advance(50), 4);
  t.deepEqual(log, ["a@10", "b@10", "nested@15", "c@30"]);
  t.is(clock.now, 50);
  t.is(clock.nextDue(), 110);
});

test("SimClock: runUntil stops as soon as the predicate holds", (t) => {
  const clock = new SimClock();
  let n = 0;
  const tick = () => {
    n++;
    clock.after(100, tick);
  };
  clock.after(100, tick);
  t.true(clock.runUntil(() => n === 3, 10_000));
  t.is(clock.now, 300);
  t.false(clock.runUntil(() => n === 1000, 1000));
  t.is(clock.now, 1300);
});

test("timers fire in time order; intervals repeat from their due time; clear works; ids as Espruino", (t) => {
  const w = simWorld();
  const sim = w.device({ board: esp32 });
  sim.boot(`var log = [];
    var i = setInterval(function () { log.push("i" + Math.round(getTime() * 1000)); }, 300);
    var a = setTimeout(function () { log.push("a"); }, 500);
    var b = setTimeout(function (x, y) { log.push("b" + x + y); }, 100, 1, 2);
    var c = setTimeout(function () { log.push("never"); }, 200);
    clearTimeout(c);`);
  t.deepEqual([sim.eval("i"), sim.eval("a"), sim.eval("b"), sim.eval("c")], [1, 2, 3, 4]);
  w.clock.advance(1000);
  t.deepEqual([...(sim.eval("log") as string[])], ["b12", "i300", "a", "i600", "i900"]);
  sim.eval("clearInterval(i)");
  w.clock.advance(1000);
  t.is((sim.eval("log") as string[]).length, 5);
  t.is(sim.timerCount, 0);
  // With no timers pending, ids start at 1 again.
  t.is(sim.eval("setTimeout(function(){}, 10)"), 1);
  t.throws(() => sim.eval("clearTimeout(undefined)"), { message: /not allowed/ });
  sim.eval("clearTimeout()");
  t.is(sim.timerCount, 0);
  t.throws(() => sim.eval("setTimeout(42, 10)"), { message: "Function or String not supplied!" });
});

test("a timer set from a timer callback fires in the same advance when due (0 ms is 0.1 ms)", (t) => {
  const w = simWorld();
  const sim = w.device({ board: esp32 });
  sim.boot(`var log = []; setTimeout(function () { log.push(1); setTimeout(function () { log.push(2); }, 0); }, 10);`);
  w.clock.advance(10);
  t.deepEqual([...(sim.eval("log") as number[])], [1]);
  w.clock.advance(0.1);
  t.deepEqual([...(sim.eval("log") as number[])], [1, 2]);
});

test("getTime counts from boot until setTime; setTime keeps pending timers' remaining delays", (t) => {
  const w = simWorld();
  const sim = w.device({ board: esp32 });
  w.clock.advance(12_345);
  sim.boot(`var fired = null; setTimeout(function () { fired = getTime(); }, 10000);`);
  t.is(sim.eval("getTime()"), 0);
  w.clock.advance(4000);
  t.is(sim.eval("getTime()"), 4);
  t.is(sim.eval("Date.now()"), 4000);
  sim.eval("setTime(1800000000)");
  t.is(sim.eval("Math.round(Date.now())"), 1800000000000);
  t.is(sim.eval("new Date().getTime()"), 1800000000000);
  w.clock.advance(5999);
  t.is(sim.eval("fired"), null);
  w.clock.advance(1);
  t.is(sim.eval("fired"), 1800000006);
  // Date with arguments is the ordinary Date.
  t.is(sim.eval("new Date(0).toISOString()"), "1970-01-01T00:00:00.000Z");
});

test("drift: a device clock 100 ppm fast gains 8.64 s a day against true time, timers follow it", (t) => {
  const w = simWorld();
  const fast = w.device({ board: esp32, driftPpm: 100 });
  const exact = w.device({ board: linux });
  fast.boot(`var n = 0; setInterval(function () { n++; }, 60000);`);
  exact.boot(`var n = 0; setInterval(function () { n++; }, 60000);`);
  // 1440 minutes of the fast device's time pass after 86391.36 s of true time.
  w.clock.advance(86_391_400);
  t.is(fast.eval("n"), 1440);
  t.is(exact.eval("n"), 1439);
  w.clock.advance(8600);
  t.is(Math.round((fast.eval("getTime()") as number) * 1000), 86_408_640);
  t.is(exact.eval("getTime()"), 86_400);
  t.is(exact.eval("n"), 1440);
});

test("a reboot restarts time since boot; the shared clock keeps true time", (t) => {
  const w = simWorld();
  const sim = w.device({ board: esp32 });
  sim.boot("");
  sim.eval("setTime(1000)");
  w.clock.advance(5000);
  t.is(sim.eval("getTime()"), 1005);
  sim.reboot();
  t.is(sim.eval("getTime()"), 0);
  t.is(w.clock.now, 5000);
  t.is(w.clock.trueEpochMs(), w.clock.startEpochMs + 5000);
});

test("promises run: microtasks drain after each timer callback, in order", (t) => {
  const w = simWorld();
  const sim = w.device({ board: esp32 });
  sim.boot(`var log = [];
    setTimeout(function () {
      Promise.resolve(1).then(function (v) { log.push("then" + v); return v + 1; }).then(function (v) { log.push("then" + v); });
      log.push("sync");
    }, 10);
    setTimeout(function () { log.push("next timer"); }, 10);`);
  w.clock.advance(10);
  t.deepEqual([...(sim.eval("log") as string[])], ["sync", "then1", "then2", "next timer"]);
});

test("an exception in a timer prints Uncaught and the device goes on", (t) => {
  const w = simWorld();
  const sim = w.device({ board: esp32 });
  sim.boot(`var n = 0; setTimeout(function () { throw new Error("boom"); }, 10); setInterval(function () { n++; }, 100);`);
  w.clock.advance(1000);
  t.deepEqual(sim.output(), ["Uncaught Error: boom"]);
  t.is(sim.eval("n"), 10);
});

test("powerCut stops every timer and drops later callbacks; reboot starts clean", (t) => {
  const w = simWorld();
  const sim = w.device({ board: esp32 });
  sim.boot(`setInterval(function () { print("tick"); }, 100);`);
  w.clock.advance(250);
  sim.powerCut();
  t.true(sim.dead);
  t.is(w.clock.pending, 0);
  w.clock.advance(1000);
  t.deepEqual(sim.output(), ["tick", "tick"]);
  sim.reboot();
  w.clock.advance(100);
  t.deepEqual(sim.output(), ["tick", "tick", "tick"]);
});

test("load() and E.reboot() reboot after the current callback; E.on('init') and onInit run at boot", (t) => {
  const w = simWorld();
  const sim = w.device({ board: esp32 });
  sim.boot(`E.on("init", function () { print("init"); }); function onInit() { print("onInit"); }
    setTimeout(function () { load(); print("after load"); }, 100);`);
  w.clock.advance(100);
  t.deepEqual(sim.output(), ["init", "onInit", "after load", "init", "onInit"]);
  t.is(sim.timerCount, 1);
});

test("real-time mode follows the wall clock", async (t) => {
  const w = simWorld();
  const sim = w.device({ board: esp32 });
  sim.boot(`var n = 0; setInterval(function () { n++; }, 20);`);
  const start = Date.now();
  w.clock.startRealTime();
  await new Promise((r) => setTimeout(r, 150));
  w.clock.stopRealTime();
  const wall = Date.now() - start;
  // Not timed: a loaded machine wakes late, but virtual time must follow the wall clock.
  const v = w.clock.now;
  t.true(v >= 100 && v <= wall + 1, `virtual ${v} ms in ${wall} ms of wall time`);
  const n = sim.eval("n") as number;
  t.true(Math.abs(n - v / 20) <= 1, `n = ${n} after ${v} virtual ms`);
});
