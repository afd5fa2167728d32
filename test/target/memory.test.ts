/**
 * Memory budgets on the real interpreter, the firmware booted from Storage as a board runs it
 * (docs/memory.md):
 * - on a Linux build with ESP8266's 1,600 JsVars (ESPRUINO_SMALL), the linux-small firmware
 *   boots, is at most 900 JsVars in use at rest after spool.setup, and records 1,000 readings
 *   and flushes them to the local server with no memory error and nothing lost;
 * - on a Linux build with more fixed JsVars (ESPRUINO_FIXED, 2,100 to 4,000), where that firmware
 *   flushes, the flush rises above its start by less than the upload.minFreeJsVars it waits for;
 * - on the normal Linux build (ESPRUINO), the linux firmware is at most 2,000 JsVars at rest.
 * Each part runs only when its binary is named, and says that it skipped otherwise.
 */
import test from "ava";
import { readFileSync } from "node:fs";
import {
  espruinoBinary,
  fixedBinary,
  fixedSkipReason,
  smallBinary,
  smallSkipReason,
  targetSkipReason,
} from "../../src/host/target/espruino-process.ts";
import { readBoard } from "../../src/host/sim/index.ts";
import {
  bootAtRest,
  bootFirmware,
  bootSim,
  type FlushMemory,
  measureFlushMemory,
  measureSimFlushMemory,
  simAtRest,
  startLocalCloud,
} from "../../src/host/target/scenarios.ts";
import { bootStorage, installStorage } from "../../src/host/target/storage-boot.ts";
import { firmwareFiles } from "../../src/host/target/bundles.ts";
import { moduleVars } from "../../src/host/sim/code-vars.ts";
import { sleep } from "../../src/host/target/bundles.ts";

/** The targets, JsVars in use after GC. */
const SMALL_REST_MAX = 900;
const LINUX_REST_MAX = 2000;

const SMALL = smallBinary();
const FIXED = fixedBinary();
const BINARY = espruinoBinary();
const smallReason = smallSkipReason();
const fixedReason = fixedSkipReason();
const reason = targetSkipReason();
if (smallReason) test.skip(`small-memory suite: ${smallReason}`, () => undefined);
if (fixedReason) test.skip(`fixed-memory flush: ${fixedReason}`, () => undefined);
if (reason) test.skip(`real interpreter: ${reason}`, () => undefined);

/** The simulation's figures within this share of the interpreter's. */
const CALIBRATION = 0.15;

(SMALL ? test.serial : test.skip)(
  "1,600 JsVars: the linux-small firmware boots from Storage, rests within budget and flushes 1,000 readings",
  async (t) => {
    const cloud = await startLocalCloud();
    try {
      const m = await measureFlushMemory({ binary: SMALL!, cloud, points: 1000, board: "linux-small" });
      t.log(
        `linux-small on 1,600 JsVars: ${m.usageEmpty} at rest, ${m.usageFull} with 1,000 buffered, peak ${m.usagePeakFlush} during the flush (${m.samples} samples inside the flush), total ${m.total}`,
      );
      t.is(m.total, 1600);
      t.deepEqual(m.errors, []);
      t.true(m.delivered >= 1000, `${m.delivered} of 1000 delivered`);
      t.true(m.usagePeakFlush < m.total, `peak ${m.usagePeakFlush} of ${m.total}`);
      t.true(m.usageEmpty <= SMALL_REST_MAX, `at rest ${m.usageEmpty} JsVars, budget ${SMALL_REST_MAX}`);
    } finally {
      await cloud.close();
    }
  },
);

(FIXED ? test.serial : test.skip)(
  "fixed memory: the linux-small firmware's flush of 1,000 readings rises above its start by less than upload.minFreeJsVars, the free memory a flush waits for",
  async (t) => {
    // The guard (spool.ts _liveUplink) lets a flush start with minFreeJsVars free: a rise above
    // that would run out of memory inside the flush on a 1,600 board. Measured where it fits.
    const cloud = await startLocalCloud();
    try {
      const m = await measureFlushMemory({ binary: FIXED!, cloud, points: 1000, board: "linux-small" });
      const rise = m.usagePeakFlush - m.usageRestSampled;
      t.log(
        `linux-small on ${m.total} fixed JsVars: ${m.usageRestSampled} when the flush starts, peak ${m.usagePeakFlush} (${m.samples} samples inside the flush): rise ${rise}; errors ${JSON.stringify(m.errors)}`,
      );
      t.true(m.total >= 2100 && m.total <= 4000, `ESPRUINO_FIXED has ${m.total} JsVars: build it with 2,100 to 4,000`);
      t.true(m.delivered >= 1000, `${m.delivered} of 1000 delivered`);
      // LOW_MEMORY alone is the free list running empty before a collection, a warning the
      // interpreter does not print (docs/memory.md, fourteenth round); MEMORY or an OUT OF
      // MEMORY line is a failure.
      t.deepEqual(
        m.errors.filter((e) => e !== "LOW_MEMORY"),
        [],
      );
      for (const id of ["linux-small", "esp8266"]) {
        const need = readBoard(id).upload.minFreeJsVars!;
        t.true(rise < need, `${id}: the flush rose ${rise} above its start, upload.minFreeJsVars is ${need}`);
      }
    } finally {
      await cloud.close();
    }
  },
);

(BINARY ? test.serial : test.skip)("normal Linux build: the linux firmware booted from Storage rests within 2,000 JsVars", async (t) => {
  const cloud = await startLocalCloud();
  try {
    const { dev, usage } = await bootAtRest({ binary: BINARY!, setup: cloud.config() });
    await dev.kill();
    t.log(`linux at rest: ${usage} JsVars`);
    t.true(usage <= LINUX_REST_MAX, `at rest ${usage} JsVars, budget ${LINUX_REST_MAX}`);
  } finally {
    await cloud.close();
  }
});

(BINARY ? test.serial : test.skip)(
  "the simulation's load estimate is within 15 % of the interpreter's: the linux bundle's module level",
  async (t) => {
    // Only the bundle, no parts: the firmware loads, cannot start (it says so) and what stays in
    // use is its module level.
    const bundle = (await firmwareFiles("linux")).find((f) => f.storage === ".bootcde")!;
    const cwd = await installStorage({ binary: BINARY!, files: [bundle] });
    const dev = await bootStorage({ binary: BINARY!, cwd, banner: /did not start/ });
    try {
      const usage = await dev.eval<number>("process.memory().usage");
      const bare = await bootStorage({
        binary: BINARY!,
        cwd: await installStorage({ binary: BINARY!, files: [] }),
        banner: /espruino\.com\/Donate/,
      });
      const empty = await bare.eval<number>("process.memory().usage");
      await bare.kill();
      const estimate = moduleVars(readFileSync(bundle.path!, "latin1"), 27).total;
      t.log(`module level: ${usage - empty} JsVars on the interpreter, ${estimate} estimated`);
      t.true(Math.abs(estimate - (usage - empty)) <= CALIBRATION * (usage - empty), `${estimate} against ${usage - empty}`);
    } finally {
      await dev.kill();
    }
  },
);

(BINARY ? test.serial : test.skip)(
  "the simulation's count of the booted linux firmware (module level and what its closures hold) is within 15 % of the interpreter's",
  async (t) => {
    // Booted with no configuration (no token, no WiFi): on the interpreter, sampled until two
    // readings 2 s apart agree (the first SNTP attempts settle); in the simulation after 10 min.
    const dev = await bootFirmware(BINARY!);
    let usage = -1;
    try {
      for (let i = 0; i < 10; i++) {
        await sleep(2000);
        const u = await dev.eval<number>("process.memory().usage", 30_000);
        if (u === usage) break;
        usage = u;
      }
    } finally {
      await dev.kill();
    }
    const { w, sim } = await bootSim();
    w.clock.advance(10 * 60_000);
    const estimate = sim.eval("process.memory().usage") as number;
    sim.powerCut();
    t.log(`linux booted: ${usage} JsVars on the interpreter, ${estimate} in the simulation`);
    t.true(Math.abs(estimate - usage) <= CALIBRATION * usage, `${estimate} against ${usage}`);
  },
);

(BINARY ? test.serial : test.skip)(
  "the simulation's count of the linux firmware at rest after spool.setup (synced, the uplink's first pass over) is within 15 % of the interpreter's",
  async (t) => {
    const cloud = await startLocalCloud();
    try {
      const { dev, usage } = await bootAtRest({ binary: BINARY!, setup: cloud.config() });
      await dev.kill();
      const { w, sim } = await bootSim();
      const estimate = await simAtRest({ w, sim, setup: cloud.config() });
      const synced = sim.eval("spool.status().clock.synced");
      sim.powerCut();
      t.log(`linux at rest after setup: ${usage} JsVars on the interpreter, ${estimate} in the simulation`);
      t.true(synced === true, "the simulated device synced with the local SNTP responder");
      t.true(Math.abs(estimate - usage) <= CALIBRATION * usage, `${estimate} against ${usage}`);
    } finally {
      await cloud.close();
    }
  },
);

/** One flush of 1,000 readings measured on the interpreter and in the simulation, for the two tests below. */
let flushes: Promise<{ real: FlushMemory; sim: FlushMemory }> | undefined;
function measureFlushes(): Promise<{ real: FlushMemory; sim: FlushMemory }> {
  flushes ??= (async () => {
    const cloud = await startLocalCloud();
    try {
      const real = await measureFlushMemory({ binary: BINARY!, cloud, points: 1000 });
      const sim = await measureSimFlushMemory({ cloud, points: 1000 });
      return { real, sim };
    } finally {
      await cloud.close();
    }
  })();
  return flushes;
}

function logFlushes(t: { log(...v: unknown[]): void }, m: { real: FlushMemory; sim: FlushMemory }): void {
  for (const [who, f] of [
    ["interpreter", m.real],
    ["simulation", m.sim],
  ] as const) {
    t.log(
      `${who}: rest ${f.usageRestSampled}, peak ${f.usagePeakFlush} inside the flush (${f.samples} samples), peak minus rest ${f.usagePeakFlush - f.usageRestSampled}`,
    );
  }
}

(BINARY ? test.serial : test.skip)(
  "the simulation's peak inside a flush of 1,000 readings (linux) is within 15 % of the interpreter's",
  async (t) => {
    const m = await measureFlushes();
    logFlushes(t, m);
    t.deepEqual(m.sim.errors, []);
    const { usagePeakFlush: real } = m.real;
    const { usagePeakFlush: sim } = m.sim;
    t.true(Math.abs(sim - real) <= CALIBRATION * real, `${sim} against ${real}`);
  },
);

// Borderline (docs/memory.md, "What the simulation counts"): the simulation's rise during the
// flush was 14 % and 25 % short of two interpreter runs.
(BINARY ? test.serial : test.skip)(
  "the simulation's rise above rest inside a flush of 1,000 readings (linux) is within 15 % of the interpreter's",
  async (t) => {
    const m = await measureFlushes();
    logFlushes(t, m);
    const real = m.real.usagePeakFlush - m.real.usageRestSampled;
    const sim = m.sim.usagePeakFlush - m.sim.usageRestSampled;
    t.true(Math.abs(sim - real) <= CALIBRATION * real, `${sim} against ${real}`);
  },
);
