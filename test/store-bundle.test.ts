// The store compiled for the board and run in the simulated Espruino (its Flash module over NOR
// flash in a file): a reduced crash-point sweep on the power-loss harness (test/helpers/power-cut.ts:
// every erase and one write in three cut, in every NOR failure mode) with reboots (a new
// SimEspruino on the same flash file), checked as the Node sweep checks (test/store-helpers.ts),
// and a round trip of every value type.
import test from "ava";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "../src/host/build/index.ts";
import { MANGLE_CACHE } from "../src/host/build/mangle.ts";
import type { SimEspruino } from "../src/host/sim/espruino.ts";
import { readBoard, simWorld } from "../src/host/sim/testing.ts";
import type { Reading } from "../src/device/types.ts";
import { CRASH_DATASTREAMS, EPOCH0, crashCheck, crashWorkload, newCrashModel, type CrashStore } from "./store-helpers.ts";
import { describeSweep, sweepPowerCuts } from "./helpers/power-cut.ts";

const ENTRY = fileURLToPath(new URL("./entries/store-entry.ts", import.meta.url));
/**
 * The Linux build's flash (the store's region inside the Storage bank, one file) with 512-byte
 * pages, the geometry of the Node sweep (test/store-crash.test.ts): a small workload turns the
 * ring of four one-page sectors.
 */
const LINUX = readBoard("linux");
const PAGE = 512;
const BOARD = { ...LINUX, flash: { ...LINUX.flash, pageSize: PAGE } };
const REGION = {
  address: BOARD.flash.address,
  length: 4 * PAGE,
  pageSize: PAGE,
  writeAlignment: BOARD.flash.writeAlignment,
  eraseCycles: 100000,
};
/** Appends of the workload: a fifth of the Node sweep's, enough to turn the ring. */
const APPENDS = 200;

const codeP = build({ board: BOARD, entry: ENTRY, write: false }).then((r) => r.code);

/**
 * A flash file with the firmware saved in Storage as `.bootcde`: on the Linux build the store
 * region lies in the Storage bank, and a bank whose Storage is empty is erased at start-up.
 */
async function template(dir: string): Promise<string> {
  const code = await codeP;
  if (/[^\x00-\xff]/.test(code)) throw new Error("the bundle has characters beyond Latin-1");
  const file = join(dir, "template.flash");
  const w = simWorld();
  const sim = w.device({ board: BOARD, flashFile: file });
  sim.storage.write(".bootcde", Uint8Array.from(Buffer.from(code, "latin1")));
  sim.close();
  return file;
}

/** The device's store seen from the host: arguments go in as the device's own objects. */
function wrap(sim: SimEspruino, s: any): CrashStore {
  const parse = sim.eval("JSON.parse") as (json: string) => unknown;
  const into = (v: unknown) => parse(JSON.stringify(v));
  // The bundle knows some methods by their short names (src/host/build/mangle.ts).
  const call = (name: string, ...args: unknown[]) => s[MANGLE_CACHE[name] ?? name](...args);
  return {
    get bootId() {
      return s.bootId;
    },
    append: (r: Reading) => call("append", into(r)),
    appendAnchor: (a: unknown) => call("appendAnchor", into(a)),
    markDelivered: (r: unknown) => call("markDelivered", into(r)),
    scan: (o: unknown, cb: unknown) => call("scan", into(o), cb),
    oldestPos: () => call("oldestPos"),
    stats: () => call("stats"),
    anchors: () => call("anchors"),
  } as CrashStore;
}

/** Powers a device on over `file` (boots `.bootcde`). */
function power(file: string): SimEspruino {
  const sim = simWorld().device({ board: BOARD, flashFile: file });
  sim.boot();
  if (!sim.running || sim.output().some((l) => /Uncaught|Storage is corrupt/.test(l)))
    throw new Error(`boot failed: ${sim.output().join("\n")}`);
  return sim;
}

function open(sim: SimEspruino): CrashStore {
  const s = sim.eval("t.open") as (o: unknown) => unknown;
  return wrap(
    sim,
    s(
      (sim.eval("JSON.parse") as (j: string) => unknown)(
        JSON.stringify({ region: REGION, sectorPages: 1, datastreams: CRASH_DATASTREAMS }),
      ),
    ),
  );
}

/** Cut points sampled: every erase, and one write in WRITE_EVERY (each with every failure mode). */
const WRITE_EVERY = 3;

interface Subject {
  file: string;
  sim: SimEspruino;
  m: ReturnType<typeof newCrashModel>;
}

test("crash-point sweep in the simulation: power cuts at the compiled store's flash operations in every failure mode, reboot, check", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "spool-store-bundle-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const tpl = await template(dir);
  const devices: SimEspruino[] = [];
  const reboot = (file: string) => () => {
    const sim = power(file);
    devices.push(sim);
    return open(sim);
  };
  const closeAll = () => {
    for (const d of devices.splice(0)) d.close();
  };
  /** The workload on a booted device; remounts inside it are new stores in the same boot (as in the Node sweep). */
  const workload = (sim: SimEspruino, m: ReturnType<typeof newCrashModel>) => {
    const store = open(sim);
    let first = true;
    return crashWorkload(() => (first ? ((first = false), store) : open(sim)), m, APPENDS);
  };

  // The uncut run.
  const dryFile = join(dir, "dry.flash");
  copyFileSync(tpl, dryFile);
  const dry = power(dryFile);
  devices.push(dry);
  const dm = newCrashModel();
  const overwritten = workload(dry, dm).stats().dropped.overwritten;
  t.true(overwritten > 0, `the outage made the ring overwrite undelivered readings (${overwritten})`);
  t.is(crashCheck(reboot(dryFile), dm, "uncut"), undefined);
  closeAll();

  const file = join(dir, "cut.flash");
  let tornWrites = 0;
  const res = await sweepPowerCuts<Subject>(
    {
      prepare: () => {
        copyFileSync(tpl, file);
        const sim = power(file);
        devices.push(sim);
        return { file, sim, m: newCrashModel() };
      },
      flashes: (s) => [s.sim.flash],
      act: (s) => {
        workload(s.sim, s.m);
      },
      // Recovery cuts are the Node sweep's (test/store-crash.test.ts, the same store code): here
      // the recovering device is a new simulation with its own flash, so none are armed.
      recover: (s) => void reboot(s.file)(),
      check: (s, where, cut) => {
        if (cut.torn && !cut.operation.erase) tornWrites++;
        if (!s.sim.dead) return `${where}: the device lived on after the cut`;
        try {
          return crashCheck(reboot(s.file), s.m, where);
        } finally {
          // Only the boots of this check; the dead device keeps the cut image for the next variant.
          for (const d of devices.splice(0)) if (d !== s.sim) d.close();
          devices.push(s.sim);
        }
      },
      dispose: () => closeAll(),
    },
    { sample: (k, op) => op.erase || k % WRITE_EVERY === 0, maxFailures: 100 },
  );
  closeAll();
  t.log(`${APPENDS} appends in the simulation: ${describeSweep(res)}; ${overwritten} readings overwritten uncut`);
  t.log(`${tornWrites} cuts left a write torn; none delivered a reading never appended or altered`);
  t.true(tornWrites > 100);
  t.deepEqual(res.failures, []);
});

test("every value type round-trips through the compiled store, across a reboot", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "spool-store-bundle-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "rt.flash");
  copyFileSync(await template(dir), file);
  const datastreams = {
    "1": { type: "double" },
    "2": { type: "double", precision: "float64" },
    "3": { type: "integer" },
    "4": { type: "boolean" },
    "5": { type: "string" },
    "6": { type: "location" },
    "7": { type: "enum" },
  };
  const cfg = { region: REGION, sectorPages: 1, datastreams };
  const readings: Reading[] = [
    { pin: 1, stamp: { epochMs: EPOCH0 }, value: 23.45 },
    { pin: 1, stamp: { epochMs: EPOCH0 + 1000 }, value: -40.125 },
    { pin: 2, stamp: { epochMs: EPOCH0 + 2000 }, value: 0.1 + 0.2 },
    { pin: 2, stamp: { epochMs: EPOCH0 + 3000 }, value: -1.2345678901234567e-300 },
    { pin: 3, stamp: { epochMs: EPOCH0 + 4000 }, value: 0 },
    { pin: 3, stamp: { epochMs: EPOCH0 + 5000 }, value: -2147483648 },
    { pin: 3, stamp: { epochMs: EPOCH0 + 6000 }, value: 2147483647 },
    { pin: 4, stamp: { epochMs: EPOCH0 + 7000 }, value: true },
    { pin: 4, stamp: { epochMs: EPOCH0 + 8000 }, value: false },
    { pin: 5, stamp: { epochMs: EPOCH0 + 9000 }, value: "" },
    { pin: 5, stamp: { epochMs: EPOCH0 + 10000 }, value: 'ünïcødé 😀 \u0000 "quoted"' },
    { pin: 6, stamp: { epochMs: EPOCH0 + 11000 }, value: [24.9384, 60.1699] },
    { pin: 7, stamp: { epochMs: EPOCH0 + 12000 }, value: 2 },
    { pin: 9, stamp: { epochMs: EPOCH0 + 13000 }, value: 17 },
    { pin: 9, stamp: { bootId: 0, uptimeMs: 123456 }, value: 2.5 },
  ];
  let sim = power(file);
  const openIt = (s: SimEspruino) =>
    (s.eval("t.open") as (o: unknown) => any)((s.eval("JSON.parse") as (j: string) => unknown)(JSON.stringify(cfg)));
  let store = openIt(sim);
  const bootId = store.bootId as number;
  const parse = sim.eval("JSON.parse") as (j: string) => unknown;
  for (const r of readings) {
    const stamp = "bootId" in r.stamp ? { bootId, uptimeMs: r.stamp.uptimeMs } : r.stamp;
    store.append(parse(JSON.stringify({ ...r, stamp })));
  }
  // The values as the device's JSON.parse gave them to the store: Espruino's number parser is
  // not correctly rounded (0.30000000000000004 arrives as 0.3000000000000001). A location is
  // kept to 1e-7 degree.
  const given = readings.map((r) => {
    const v = (JSON.parse(JSON.stringify(parse(JSON.stringify(r)))) as Reading).value;
    return Array.isArray(v) ? v.map((x) => Math.round(x * 1e7) / 1e7) : v;
  });
  const expected = readings.map((r, i) => ({
    ...r,
    value: given[i],
    stamp: "bootId" in r.stamp ? { bootId, uptimeMs: r.stamp.uptimeMs } : r.stamp,
  }));
  const readBack = (dev: SimEspruino, s: any) => {
    const out: Array<{ reading: Reading; type: string }> = [];
    s.scan(
      (dev.eval("JSON.parse") as (j: string) => unknown)('{"from":0}'),
      (rec: any) => void out.push(JSON.parse(JSON.stringify({ reading: rec.reading, type: rec.type }))),
    );
    return out;
  };
  const before = readBack(sim, store);
  sim.close();
  sim = power(file);
  store = openIt(sim);
  const after = readBack(sim, store);
  sim.close();
  t.deepEqual(after, before, "the same after a reboot");
  t.is(after.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    const want = expected[i];
    const got = after[i].reading;
    t.deepEqual(got.stamp, want.stamp, `stamp ${i}`);
    t.is(got.pin, want.pin);
    if (want.pin === 1) t.is(Math.fround(got.value as number), Math.fround(want.value as number), `float32 double ${i}: ${got.value}`);
    else t.deepEqual(got.value, want.value, `value ${i} (${after[i].type})`);
  }
  t.deepEqual(
    after.map((a) => a.type),
    [
      "double",
      "double",
      "double",
      "double",
      "integer",
      "integer",
      "integer",
      "boolean",
      "boolean",
      "string",
      "string",
      "location",
      "enum",
      "integer",
      "double",
    ],
  );
});
