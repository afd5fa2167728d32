/**
 * End to end on the real interpreter (issue 8): the linux firmware bundle, configured over the
 * REPL, records readings and sends them to the local Blynk-compatible server, its clock set by
 * a local SNTP responder; the host cuts the power (SIGKILL) at seeded random moments -
 * while it records and flushes, while `spool.setup` stores configurations (setups back to back,
 * so that the cut lands in one), while it boots, and while Storage compacts as `spool flash` runs
 * it (the firmware stopped, its files and ring read back first, checked and written back after:
 * src/host/flash/keep.ts; the cut at a seeded moment inside the time an uncut compaction took) -
 * and restarts it on the same espruino.flash. (Cuts aimed at each flash write of a compaction
 * are in test/target/store.test.ts.) Every reading the REPL acknowledged must reach the server,
 * with duplicates bounded by one batch per cut. A second test reports
 * `process.memory().usage` with an empty buffer and at its peak during a 10,000-point flush.
 *
 * Runs only when ESPRUINO names the interpreter (npm run test:target).
 */
import test from "ava";
import { rmSync } from "node:fs";
import { EspruinoProcess, espruinoBinary, targetSkipReason } from "../../src/host/target/espruino-process.ts";
import { linuxBundle, seededRandom, sleep } from "../../src/host/target/bundles.ts";
import { bootFirmware, measureFlushMemory, startLocalCloud, until } from "../../src/host/target/scenarios.ts";
import { firmwareFiles } from "../../src/host/target/bundles.ts";
import { damagedStorageFiles, installStorage, writeStorageFiles } from "../../src/host/target/storage-boot.ts";
import { loadBoard } from "../../src/host/boards.ts";
import {
  isLoss,
  keepAreaOf,
  lossAgainst,
  mergeLeftover,
  parseSnapshot,
  repairScript,
  snapshotScript,
  type Snapshot,
} from "../../src/host/flash/keep.ts";

const BINARY = espruinoBinary();
const reason = targetSkipReason();
if (reason) test.skip(`real interpreter: ${reason}`, () => undefined);
const run = BINARY ? test.serial : test.skip;

const SEED = Number(process.env.SPOOL_TARGET_SEED ?? 20260527);
const CUTS = Number(process.env.SPOOL_TARGET_CUTS ?? 100);
/**
 * Shares of the cycles: a cut while booting (mount, recovery, the Storage check), during setups,
 * during a compaction (also whenever trash passes COMPACT_TRASH); the rest records and flushes.
 */
const EARLY_SHARE = 0.15;
const SETUP_SHARE = 0.3;
const COMPACT_SHARE = 0.15;
const COMPACT_TRASH = 30_000;
/** Setups per REPL line in a setup cycle: back to back, so the cut lands inside one. */
const SETUPS_PER_LINE = 3;
const KEEP = keepAreaOf(loadBoard("linux"));

/** Runs a keep.ts snapshot script at the REPL and reads what it printed. */
async function snapshotOn(dev: EspruinoProcess, ring: "data" | "crc"): Promise<Snapshot> {
  const from = dev.lines.length;
  await dev.eval(`${snapshotScript(KEEP, ring).replace(/;$/, "")},0`, 60_000);
  const s = parseSnapshot(dev.lines.slice(from).join("\n"), KEEP);
  if (!s) throw new Error(`no snapshot; the device printed:\n${dev.lines.slice(from, from + 5).join("\n")}`);
  return s;
}

/**
 * Powers the board on after a compaction as the next `spool flash` does: stops what boots,
 * reads the kept files and ring back, writes back what `kept` has and they lack, and stores the
 * firmware again when Storage had to be erased whole.
 * @returns what was lost ("" when nothing) and whether the start-up check had erased Storage.
 */
async function repairAfterCompaction(cwd: string, kept: Snapshot): Promise<{ lost: string; corrupt: boolean; code: number }> {
  const dev = new EspruinoProcess({ binary: BINARY!, cwd });
  let lost = "";
  let wipe = false;
  let code = 0;
  try {
    // The firmware's banner when it boots from Storage, the interpreter's when Storage was
    // erased, or the boot code's error when the cut left it damaged (seen once: "Got EOF" in
    // .bootcde): the upload of the next spool flash writes the code again.
    await dev.waitFor(/espruino\.com\/Donate|^Spool \S+ on linux|at boot code/, 30_000);
    // spool flash's CLI sends reset() first; here the REPL must stay open (the Linux build exits
    // with no timer left), so the firmware is stopped and its guard on Storage.write removed.
    await dev.eval(
      `(function(){setInterval(function(){},3600000);if(typeof spool!="undefined")spool.stop();var S=require("Storage");delete S.write;return 0;})()`,
      30_000,
    );
    // As the next spool flash after a power loss: what the board lacks against the backup.
    const now = await snapshotOn(dev, "data");
    const loss = lossAgainst(kept, now, "missing");
    if (isLoss(loss)) {
      lost = `${loss.files.join(" ")} ${loss.pages.length} pages${loss.wipe ? " wipe" : ""}`;
      wipe = loss.wipe;
      await dev.eval(`(function(){${repairScript(mergeLeftover(kept, now, loss), loss, false)}})(),0`, 120_000);
      const again = lossAgainst(kept, await snapshotOn(dev, "crc"), "missing");
      if (isLoss(again)) throw new Error(`still lacking after the write-back: ${again.files.join(" ")} ${again.pages.length} pages`);
    }
    // The firmware's own files, as the upload writes them: those the cut changed, here.
    if (!wipe) {
      const damaged = await damagedStorageFiles(dev, await firmwareFiles("linux"));
      code = damaged.length;
      await writeStorageFiles(dev, damaged);
    }
  } finally {
    await dev.kill();
  }
  if (wipe) await installStorage({ binary: BINARY!, cwd, files: await firmwareFiles("linux") });
  return { lost, corrupt: dev.lines.some((l) => /Storage is corrupt/.test(l)), code };
}
/** Milliseconds a cycle runs before its cut: uniform in [MIN_RUN_MS, MAX_RUN_MS). */
const MIN_RUN_MS = 150;
const MAX_RUN_MS = 1200;
/** Points per upload request: the bound on duplicates is one batch per cut. */
const BATCH = 40;
/** Readings recorded per REPL line. */
const GROUP = 8;

function problems(dev: EspruinoProcess): string[] {
  return dev.lines.filter((l) => /Uncaught|ASSERT|OUT OF MEMORY|corrupt|did not start/i.test(l));
}

run("every acknowledged reading reaches the server across seeded power cuts", async (t) => {
  const cloud = await startLocalCloud();
  const rand = seededRandom(SEED);
  const recorded = new Set<number>();
  const attempted = new Set<number>();
  const t0 = Date.now();
  let cwd: string | undefined;
  let flushes = 0;
  let setups = 0;
  let earlyCuts = 0;
  /** Where each cut landed: the REPL line in flight (or none: the firmware's own timers), a compaction. */
  const cutIn: Record<string, number> = { record: 0, flush: 0, setup: 0, idle: 0, compaction: 0, "after compaction": 0 };
  const compaction = { runs: 0, repaired: 0, corrupt: 0, code: 0, windowMs: 0 };
  /** What each cycle did when its power was cut. */
  const cycles: string[] = [];
  try {
    for (let cut = 0; cut <= CUTS; cut++) {
      if (cut > 0 && cut < CUTS && rand() < EARLY_SHARE) {
        // Cut while the device boots: its mount, the store's recovery writes, the Storage check.
        earlyCuts++;
        cycles.push("boot");
        const dev = new EspruinoProcess({ binary: BINARY!, file: await linuxBundle(), cwd });
        try {
          await sleep(Math.floor(rand() * 300));
        } finally {
          await dev.kill();
        }
        t.deepEqual(
          problems(dev),
          [],
          `boot ${cut} (cut while booting; cycles so far ${cycles.join(" ")}) printed errors:\n${dev.output().join("\n")}`,
        );
        continue;
      }
      const dev = await bootFirmware(BINARY!, cwd);
      cwd = dev.cwd;
      try {
        // The configuration is stored (spool.json) and survives the cuts; set once.
        if (cut === 0) await dev.eval(`spool.setup(${JSON.stringify(cloud.config({ limits: { batchSize: BATCH } }))})`, 60_000);
        if (cut === CUTS) break;
        const kind = rand();
        const trash = (await dev.eval<{ trashBytes: number }>(`require("Storage").getStats()`, 30_000)).trashBytes;
        const activity = kind < SETUP_SHARE ? "setup" : kind < SETUP_SHARE + COMPACT_SHARE || trash > COMPACT_TRASH ? "compact" : "record";
        cycles.push(activity);
        if (activity === "compact") {
          // As spool flash does: the firmware stopped, its files and ring read back, then compacted.
          await dev.eval(`spool.stop(),0`);
          const kept = await snapshotOn(dev, "data");
          compaction.runs++;
          const start = Date.now();
          dev.send(`require("Storage").compact(),print("COMPACT-"+"DONE")`);
          // The first compaction runs uncut and gives the window the later cuts land in.
          if (!compaction.windowMs) {
            await dev.waitFor(/COMPACT-DONE/, 60_000);
            compaction.windowMs = Math.max(20, Date.now() - start);
            // The window holds both REPL latencies (line in, mark out) around the compaction.
          } else await sleep(Math.floor((rand() * compaction.windowMs) / 2));
          const done = dev.lines.some((l) => /^COMPACT-DONE/.test(l));
          await dev.kill();
          cutIn[done ? "after compaction" : "compaction"]++;
          const r = await repairAfterCompaction(cwd!, kept);
          if (r.lost) compaction.repaired++;
          if (r.corrupt) compaction.corrupt++;
          if (r.code) compaction.code++;
          continue;
        }
        let alive = true;
        let inFlight = "idle";
        const recorder = (async () => {
          // A group per REPL line: each eval costs the Linux build's ~50 ms idle poll of stdin.
          for (let i = 0; alive; i += GROUP) {
            const group: number[] = [];
            // Values a float32 holds exactly enough to come back as written (codec/value.ts).
            for (let k = 0; k < GROUP; k++) group.push(cut * 10000 + i + k + 0.5);
            for (const v of group) attempted.add(v);
            try {
              inFlight = "record";
              await dev.eval(group.map((v) => `spool.record(1,${v})`).join(","));
              for (const v of group) recorded.add(v);
              if (activity === "setup") {
                inFlight = "setup";
                const delays = Array.from({ length: SETUPS_PER_LINE }, (_, j) => 1000 + (((i / GROUP) * SETUPS_PER_LINE + j) % 9) * 250);
                await dev.eval(`${JSON.stringify(delays)}.forEach(function(d){spool.setup({flushDelayMs:d});}),0`);
                setups += SETUPS_PER_LINE;
              } else if (rand() < 0.15) {
                inFlight = "flush";
                await dev.eval("spool.flush()");
                flushes++;
              }
              inFlight = "idle";
            } catch {
              return;
            }
          }
        })();
        await sleep(MIN_RUN_MS + Math.floor(rand() * (MAX_RUN_MS - MIN_RUN_MS)));
        alive = false;
        const at = inFlight;
        await dev.kill();
        cutIn[at]++;
        await recorder;
      } finally {
        await dev.kill();
        t.deepEqual(
          problems(dev),
          [],
          `boot ${cut} (cycles so far ${cycles.join(" ")}) printed errors:\n${dev.output().slice(0, 8).join("\n")}`,
        );
      }
    }

    // The last boot: let it send everything.
    const dev = await bootFirmware(BINARY!, cwd);
    try {
      try {
        await until(
          "the device to deliver every acknowledged reading",
          async () => {
            const have = new Set(cloud.server.history(cloud.token, 1).map(([, v]) => v as number));
            for (const v of recorded) if (!have.has(v)) return false;
            return (await dev.eval<number>("spool.status().queue.pending")) === 0;
          },
          120_000,
          250,
        );
      } catch (e) {
        const have = new Set(cloud.server.history(cloud.token, 1).map(([, v]) => v as number));
        const missing = [...recorded].filter((v) => !have.has(v));
        t.log(`missing ${missing.length}: ${missing.slice(0, 40).join(" ")}`);
        t.log(JSON.stringify(await dev.eval("spool.status()")));
        t.log(JSON.stringify(cloud.server.stats()));
        t.log(dev.output().slice(-30).join("\n"));
        throw e;
      }
      const status = await dev.eval<{ drops: Record<string, number>; clock: { synced: boolean; unresolved: number } }>("spool.status()");
      t.deepEqual(status.drops, {}, "nothing dropped");
      t.true(status.clock.synced);
      t.deepEqual(problems(dev), []);
    } finally {
      await dev.kill();
    }

    const history = cloud.server.history(cloud.token, 1);
    const counts = new Map<number, number>();
    for (const [ts, v] of history) {
      counts.set(v as number, (counts.get(v as number) ?? 0) + 1);
      // Stamped by the synced clock, or resolved later from (boot id, uptime): within the run.
      t.true(ts >= t0 - 2000 && ts <= Date.now() + 2000, `timestamp ${ts} of value ${v} lies outside the run`);
    }
    const missing = [...recorded].filter((v) => !counts.has(v));
    t.deepEqual(missing, [], "acknowledged readings missing on the server");
    const foreign = [...counts.keys()].filter((v) => !attempted.has(v));
    t.deepEqual(foreign, [], "values on the server that were never recorded");
    let duplicates = 0;
    for (const n of counts.values()) duplicates += n - 1;
    t.true(duplicates <= CUTS * BATCH, `${duplicates} duplicates exceed one batch (${BATCH}) per cut (${CUTS})`);
    const stats = cloud.server.stats();
    t.log(`cycles: ${cycles.join(" ")}`);
    t.log(
      `seed ${SEED}: ${CUTS} power cuts, ${recorded.size} readings acknowledged (${attempted.size - recorded.size} in flight at a cut), ` +
        `${history.length} points stored, ${duplicates} duplicates (server counted ${stats.duplicates}; bound ${CUTS * BATCH}), ` +
        `${stats.requests} requests, ${flushes} spool.flush() calls, ${setups} setups, ${earlyCuts} cuts while booting, ${cloud.sntp.answered()} SNTP replies`,
    );
    t.log(
      `cuts by what was in flight: ${JSON.stringify(cutIn)}; compactions ${compaction.runs} (window ${compaction.windowMs} ms): ` +
        `${compaction.corrupt} left Storage the start-up check erased, ${compaction.repaired} needed files or ring pages written back, ` +
        `${compaction.code} left firmware files damaged (written again, as the upload does)`,
    );
    // Aimed on purpose: at least one cut in 20 lands in each.
    t.true(cutIn.setup >= Math.floor(CUTS / 20), `${cutIn.setup} cuts during setups`);
    // Timed cuts land inside a compaction only sometimes (measured: 0 of 2 in a 30-cut run);
    // test/target/store.test.ts aims one at each of its flash writes with strace.
  } catch (err) {
    // Which cycles led there: a cut shows its harm only at the next boot.
    throw new Error(`${(err as Error).message}\ncycles so far: ${cycles.join(" ")}`);
  } finally {
    await cloud.close();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  }
});

run("memory: process.memory().usage empty, and at its peak sampled inside a 10,000-point flush (booted from Storage)", async (t) => {
  // Booted from Storage, the Linux build reads its code from the flash file 16 bytes at a time.
  t.timeout(17 * 60_000);
  const cloud = await startLocalCloud();
  try {
    const m = await measureFlushMemory({ binary: BINARY!, cloud, points: 10_000 });
    t.is(m.delivered, 10_000);
    t.true(m.usagePeakFlush < m.total, "the flush fits in the interpreter's memory");
    t.log(
      `process.memory().usage (JsVars): empty ${m.usageEmpty}, 10,000 buffered ${m.usageFull}, peak during the flush ${m.usagePeakFlush} (${m.usagePeakFlushNoGc} without collecting) ` +
        `(${m.samples} samples inside it over ${m.flushMs} ms; the sampler read ${m.usageRestSampled} at rest), total ${m.total}`,
    );
  } finally {
    await cloud.close();
  }
});
