import test from "ava";
import { SntpClient, type SntpSync } from "../src/device/clock/sntp.ts";
import { ntpTime } from "../src/device/clock/ntp-packet.ts";
import { clockStatus, configureClock, createClock } from "../src/device/clock/index.ts";
import type { Parts } from "../src/device/parts.ts";
import { directParts } from "./helpers/parts.ts";
import { Device, MemoryAnchorLog, World, type NtpBehavior } from "./helpers/clock-env.ts";

const START = Date.UTC(2025, 5, 1, 12, 0, 0);

function setup(servers: string[], driftPpm = 0) {
  const world = new World(START);
  const dev = new Device(world, { driftPpm });
  const syncs: SntpSync[] = [];
  const errors: string[] = [];
  const sntp = new SntpClient({
    hal: dev.hal,
    servers,
    timeoutMs: 3000,
    onSync: (s) => syncs.push(s),
    onError: (reason, server) => errors.push(server + ": " + reason),
  });
  return { world, dev, sntp, syncs, errors };
}

test("NTP timestamps convert to ms and back without losing the fraction, across the 2036 era", (t) => {
  const view = new DataView(new ArrayBuffer(8));
  for (const ms of [
    Date.UTC(2024, 0, 1),
    1748779200123.456,
    Date.UTC(2036, 1, 7, 6, 28, 15),
    Date.UTC(2036, 1, 7, 6, 28, 17) + 0.5,
    Date.UTC(2099, 11, 31),
  ]) {
    ntpTime(view, 0, ms, 0);
    // the low 16 fraction bits carry request noise: 15 µs resolution
    t.true(Math.abs(ntpTime(view, 0) - ms) < 0.016, String(ms));
  }
  // 1900-01-01 + 2^31 s is era 0's second half, 2036-02-07 06:28:16 starts era 1
  view.setUint32(0, 0);
  view.setUint32(4, 0x80000000);
  t.is(ntpTime(view, 0), Date.UTC(2036, 1, 7, 6, 28, 16) + 500);
});

test("a valid reply sets the clock; the offset error is half the path asymmetry", (t) => {
  const { world, dev, sntp, syncs } = setup(["a"], 30);
  world.addServer("a", { upMs: 12, downMs: 12 });
  world.advance(5000);
  const before = dev.hal.now() - world.trueMs;
  t.true(before < -1e12, "the clock starts in 1970");
  t.true(sntp.syncNow());
  world.advance(1000);
  t.is(syncs.length, 1);
  t.true(Math.abs(dev.hal.now() - world.trueMs) < 0.1, "symmetric path: clock exact");
  t.true(Math.abs(syncs[0].delayMs - 24) < 0.1, "delay " + syncs[0].delayMs);
  t.true(Math.abs(syncs[0].epochMs - (world.trueMs - 1000 + 24.05)) < 1);
  const st = sntp.status();
  t.is(st.server, "a");
  t.is(st.failures, 0);

  world.servers.a.upMs = 10;
  world.servers.a.downMs = 50;
  sntp.syncNow();
  world.advance(1000);
  const err = dev.hal.now() - world.trueMs;
  t.true(Math.abs(err + 20) < 0.1, "asymmetric 10/50 ms: error -20 ms, got " + err);
  t.true(Math.abs(err) <= syncs[1].delayMs / 2 + 0.1);
});

const IMMEDIATE: [NtpBehavior, string][] = [
  ["deny", "kiss-o'-death DENY"],
  ["rstr", "kiss-o'-death RSTR"],
  ["rate", "kiss-o'-death RATE"],
  ["stratum0", "kiss-o'-death INIT"],
  ["leap3", "server unsynchronised (leap 3)"],
  ["stratum16", "stratum 16"],
  ["client-mode", "mode 3 is not a server reply"],
  ["version1", "version 1 not supported"],
  ["truncated", "short reply (40 bytes)"],
  ["zero-transmit", "zero transmit time"],
  ["absurd", "absurd time"],
];

for (const [behavior, reason] of IMMEDIATE) {
  test(`reply '${behavior}' is refused at once and the next server answers`, (t) => {
    const { world, dev, sntp, syncs, errors } = setup(["bad", "good"]);
    world.addServer("bad", { behavior });
    world.addServer("good", {});
    let result = "none" as string | undefined;
    sntp.syncNow((err) => (result = err));
    world.advance(200);
    t.is(result, undefined, "round ended in success within 200 ms (no timeout wait)");
    t.is(syncs.length, 1);
    t.is(syncs[0].server, "good");
    t.true(errors[0].startsWith("bad: " + reason), errors[0]);
    t.true(sntp.status().lastError!.startsWith("bad: " + reason));
    t.true(Math.abs(dev.hal.now() - world.trueMs) < 0.1);
  });
}

for (const [behavior, reason] of [
  ["silent", "timeout"],
  ["garbage", "timeout (ignored: originate mismatch)"],
  ["wrong-originate", "timeout (ignored: originate mismatch)"],
] as [NtpBehavior, string][]) {
  test(`reply '${behavior}' is ignored until the timeout, then the next server answers`, (t) => {
    const { world, sntp, syncs, errors } = setup(["bad", "good"]);
    world.addServer("bad", { behavior });
    world.addServer("good", {});
    sntp.syncNow();
    world.advance(2990);
    t.is(syncs.length, 0, "still waiting for the first server");
    world.advance(200);
    t.is(syncs.length, 1);
    t.is(syncs[0].server, "good");
    t.deepEqual(errors, ["bad: " + reason]);
  });
}

test("DENY and RSTR retire a server for the boot; RATE holds it off for an hour", (t) => {
  const { world, sntp, syncs } = setup(["deny", "rate", "good"]);
  world.addServer("deny", { behavior: "deny" });
  world.addServer("rate", { behavior: "rate" });
  world.addServer("good", {});
  sntp.syncNow();
  world.advance(500);
  t.is(syncs.length, 1);
  // the last server that answered is asked first from now on; make it fail to see the others
  world.servers.good.behavior = "silent";
  sntp.syncNow();
  world.advance(5000);
  t.is(world.servers.deny.requests, 1, "DENY: never asked again");
  t.is(world.servers.rate.requests, 1, "RATE: held off");
  t.deepEqual(sntp.status().refused, ["deny"]);
  world.advance(3600000);
  world.servers.rate.behavior = "ok";
  sntp.syncNow();
  world.advance(5000);
  t.is(world.servers.rate.requests, 2, "RATE hold over after 1 h");
  t.is(syncs[syncs.length - 1].server, "rate");
  t.is(world.servers.deny.requests, 1);
});

/** A clock (createClock, as the firmware makes it) over `servers`: its rounds, syncs and SNTP status. */
function clockSetup(servers: string[]) {
  const world = new World(START);
  const dev = new Device(world, { driftPpm: 0 });
  const clock = createClock({ hal: dev.hal, log: new MemoryAnchorLog([], 1), parts: directParts, ntp: { servers } });
  // What the clients remembered: the status they reported, kept between rounds.
  const status = () => ({ lastError: clock._k._lastError, failures: clock._k._failures });
  return { world, clock, status };
}

test("when every server refuses, syncing stops with a clear error", (t) => {
  const { world, clock, status } = clockSetup(["a", "b"]);
  world.addServer("a", { behavior: "deny" });
  world.addServer("b", { behavior: "rstr" });
  clock.start();
  world.advance(10 * 3600000);
  t.is(world.servers.a.requests, 1);
  t.is(world.servers.b.requests, 1);
  t.is(status().lastError, "every server refused service");
  t.is(clock._timer, undefined, "no next round");
});

test("failed rounds back off exponentially (with jitter, capped); success returns to the interval", (t) => {
  const { world, clock, status } = clockSetup(["a", "b"]);
  world.addServer("a", { behavior: "silent" });
  world.addServer("b", { behavior: "silent" });
  const roundStarts: number[] = [];
  let last = 0;
  clock.start();
  for (let i = 0; i < 4 * 3600; i++) {
    world.advance(1000);
    if (world.servers.a.requests !== last) {
      last = world.servers.a.requests;
      roundStarts.push(world.trueMs);
    }
  }
  const gaps = roundStarts.slice(1).map((x, i) => (x - roundStarts[i]) / 1000);
  // each gap = 6 s of timeouts (two servers) + retry wait
  const expected = [15, 30, 60, 120, 240, 480, 900, 900];
  for (let i = 0; i < expected.length; i++) {
    const wait = gaps[i] - 6;
    t.true(wait >= expected[i] * 0.75 - 1.5 && wait <= expected[i] + 1.5, `gap ${i}: ${gaps[i]} s`);
  }
  t.true(status().failures! >= 10);
  world.servers.b.behavior = "ok";
  for (let i = 0; i < 1000 && !clockStatus(clock.keeper).synced; i++) world.advance(1000);
  t.true(clockStatus(clock.keeper).synced, "synced at the next retry, within 15 min");
  t.is(status().failures, 0);
  const requests = world.servers.b.requests;
  // The drift is learned 11 min after the first sync; hourly after that, b asked first.
  world.advance(11 * 60000 + 2 * 3600000 + 10000);
  t.is(world.servers.b.requests, requests + 3, "11 min, then hourly after success, b asked first");
  clock.stop();
  world.advance(5 * 3600000);
  t.is(world.servers.b.requests, requests + 3, "stopped");
  t.is(clock._running, 0);
});

test("made afresh for each round with one keep (as spool does): the next round's delay goes to onIdle, no timer is left, holds and the preferred server carry over", (t) => {
  const world = new World(START);
  const dev = new Device(world, { driftPpm: 0 });
  world.addServer("deny", { behavior: "deny" });
  world.addServer("good", {});
  const keep = {};
  const idle: (number | undefined)[] = [];
  const make = (started: boolean) =>
    new SntpClient({ hal: dev.hal, servers: ["deny", "good"], keep, started, onIdle: (ms) => idle.push(ms) });
  t.true(make(true).syncNow());
  world.advance(5000);
  t.deepEqual(idle, [3600000]);
  world.advance(3 * 3600000);
  t.is(world.servers.good.requests, 1, "the client keeps no timer of its own");
  const next = make(true);
  t.deepEqual(next.status().refused, ["deny"]);
  t.is(next.status().server, "good");
  next.syncNow();
  world.advance(5000);
  t.is(world.servers.deny.requests, 1, "DENY still holds in a new client");
  t.is(world.servers.good.requests, 2, "the preferred server asked first");
  t.deepEqual(idle, [3600000, 3600000]);
  // Not started (the network down): the round ends with no next round.
  make(false).syncNow();
  world.advance(5000);
  t.deepEqual(idle, [3600000, 3600000, undefined]);
});

test("bad options are refused with a clear error", (t) => {
  const world = new World(START);
  const dev = new Device(world, { driftPpm: 0 });
  t.throws(() => new SntpClient({ hal: dev.hal, servers: [] }), { message: /at least one host/ });
  t.throws(() => new SntpClient({ hal: dev.hal, servers: ["a", ""] }), { message: /servers\[1\]/ });
});

test("after the first sync of a clock whose drift is unknown, the next sync comes in 11 min, then hourly", (t) => {
  const world = new World(START);
  const dev = new Device(world, { driftPpm: 40 });
  world.addServer("a", { upMs: 10, downMs: 10 });
  const clock = createClock({ hal: dev.hal, log: new MemoryAnchorLog([], 1), parts: directParts, ntp: { servers: ["a"] } });
  const syncAt: number[] = [];
  const first = world.trueMs;
  clock.start();
  for (let i = 0; i < 3 * 3600; i++) {
    world.advance(1000);
    const s = clockStatus(clock.keeper).lastSyncAt;
    if (s !== undefined && (syncAt.length === 0 || s !== syncAt[syncAt.length - 1])) syncAt.push(s);
  }
  const minutes = syncAt.map((s) => Math.round((s - first) / 60000));
  t.is(minutes[0], 0, "first sync at start: " + minutes.join(","));
  t.is(minutes[1], 11, "the drift-learning sync: " + minutes.join(","));
  t.not(clockStatus(clock.keeper).driftPpm, undefined, "drift learned from the two syncs");
  t.true(Math.abs((clockStatus(clock.keeper).driftPpm as number) - 40) < 5, "drift " + clockStatus(clock.keeper).driftPpm);
  t.is(minutes[2] - minutes[1], 60, "then the normal interval: " + minutes.join(","));
});

test("createClock makes the SNTP client from the part for each round and holds none between rounds; configure forgets the old servers' holds", (t) => {
  const world = new World(START);
  const dev = new Device(world, { driftPpm: 0 });
  world.addServer("deny", { behavior: "deny" });
  world.addServer("good", {});
  let loads = 0;
  const parts: Pick<Parts, "load"> = {
    load: (name) => {
      loads++;
      return directParts.load(name);
    },
  };
  let changes = 0;
  const clock = createClock({
    hal: dev.hal,
    log: new MemoryAnchorLog([], 1),
    parts,
    ntp: { servers: ["deny", "good"] },
    onChange: () => changes++,
  });
  t.is(loads, 0, "no client before the first round");
  clock.start();
  t.is(loads, 0, "the first round is a timer due at once, run after the caller (the boot) returns");
  t.not(clock._timer, undefined);
  world.advance(0);
  t.is(loads, 1, "the part loaded for the round");
  world.advance(5000);
  t.true(clockStatus(clock.keeper).synced);
  t.is(changes, 1, "the sync reported");
  t.is(clock._sntp, undefined, "the client dropped when the round ended");
  t.not(clock._timer, undefined, "the next round is a timer");
  // The drift is still unknown: the next round 11 min after the first, with a client made afresh
  // that starts with the server that answered (the DENY is remembered).
  world.advance(11 * 60000);
  t.is(loads, 2);
  t.is(changes, 2);
  t.is(world.servers.deny.requests, 1);
  t.is(world.servers.good.requests, 2);
  t.is(clock._sntp, undefined);
  clock.stop();
  t.is(clock._timer, undefined, "stopped: no next round");
  world.advance(3 * 3600000);
  t.is(loads, 2);
  // Asked while stopped (the uplink before its first flush): one round, none after it.
  t.true(clock.syncNow());
  world.advance(5000);
  t.is(loads, 3);
  t.is(changes, 3);
  t.is(clock._sntp, undefined);
  t.is(clock._timer, undefined);
  // New servers: stopped, it stays stopped; started, the refusing server is asked again.
  configureClock(clock, { servers: ["deny", "good"] });
  t.is(loads, 3);
  clock.start();
  world.advance(5000);
  t.is(world.servers.deny.requests, 2, "the old hold forgotten");
  t.is(changes, 4);
  t.not(clock._timer, undefined);
});
