/**
 * The bench on the real interpreter (when ESPRUINO names Espruino's Linux build, x86 here, its
 * flash a file): `spool.record` beside a naive appender, the store's append alone, mount of a
 * full linux region, and memory during a 10,000-point flush to the local server.
 *
 * - `target.record.us_per_call`: the user-level call `spool.record(1, 20 + (k % 50) / 10)`,
 *   the linux firmware booted from Storage (`.bootcde`, as a board runs it), set up online with
 *   the clock synced, fresh flash (measureRecordCost in src/host/target/scenarios.ts): runs of
 *   RUN_CALLS calls alternating with the naive appender's, CALLS calls each way in all, the
 *   uploads held until the last run; the median run by the device's clock.
 * - `target.naive.us_per_append`: in the same interpreter and run, what a user writes by hand,
 *   kept in Storage like their boot code: `f.write(JSON.stringify([Math.floor(Date.now()), v])
 *   + "\n")` on a StorageFile opened once with mode "a". `target.record.speedup` = naive / record.
 *   Its cost grows with the file: each write finds the file's current chunk by reading Storage's
 *   file headers from the start, and the Linux build's 1 KB pages make a chunk of every ~45
 *   lines, each header read an open/seek/read/close of the flash file.
 * - `target.record.cpu_us_per_call`, `target.naive.cpu_us_per_append`, `target.record.speedup_cpu`:
 *   the same runs in the interpreter's CPU time (/proc/<pid>/schedstat), which other work on a
 *   shared host does not inflate as it does the clock.
 * - The same six with the suffix `_1k`: the medians of the runs that made the first 1,000 calls
 *   each way (CHECKPOINT), where the naive file is shorter and its appends cheaper: what a fresh
 *   run of 1,000 calls would show.
 * - `target.record.kinstr_per_call`, `target.naive.kinstr_per_append`: thousands of user-space
 *   instructions per call, counted by valgrind's callgrind (when installed) inside a `reduce`
 *   making INSTRUCTION_CALLS calls each way after the firmware's setup (countRecordInstructions
 *   in src/host/target/instructions.ts): a figure other work on the host does not move. The
 *   kernel's part is not in it: each flash write opens and closes the Linux build's flash file,
 *   and the naive appender does so about 42 times per append (strace, docs/reading-path.md).
 * - `target.record.host_load_1m`: the host's 1-minute load average (2 cores here) after the
 *   last run, which says how much the clock figures were inflated by other work.
 * - `target.store.us_per_append`: `store.append` of one Double (float32) reading on the linux
 *   profile's raw region, through the soak entry (test/target/entries/store-soak.ts) booted
 *   from Storage.
 * - `target.store.mount_ms_full`: createStore on a region filled until the ring turned (the
 *   soak entry loaded from a file).
 * - `target.memory.*`: JsVars of the firmware booted from Storage: `usage_empty` and
 *   `usage_rest_10k` (`process.memory().usage`, after GC, nothing / 10,000 readings buffered),
 *   `usage_peak_flush_10k` (highest `process.memory().usage` sampled inside the flush, at every
 *   Flash read and request write, each sample after a collection: live JsVars),
 *   `peak_minus_rest_flush_10k` (that peak minus the same sampler's reading at rest just before
 *   the flush), `peak_minus_rest_flush_10k_nogc` (the same with `process.memory(false)`, taken
 *   just before each collecting sample: garbage made since the previous sample counted too).
 * - `target.usage_rest`: at rest (after `spool.setup` and the first SNTP sync, nothing
 *   buffered), the linux firmware booted from Storage on the normal Linux build.
 * - `target.small.usage_rest` / `target.small.usage_peak_flush`: the linux-small firmware on the
 *   1,600-JsVar build (ESPRUINO_SMALL) at rest, and at the peak of flushing 1,000 readings.
 * - `target.fixed.peak_minus_rest_flush_1k`: the same flush on a build with more fixed JsVars
 *   (ESPRUINO_FIXED, 2,100 to 4,000), where it runs: its peak above its start, which the small
 *   boards' `upload.minFreeJsVars` must cover.
 */
import {
  espruinoBinary,
  fixedBinary,
  fixedSkipReason,
  smallBinary,
  smallSkipReason,
  targetSkipReason,
} from "../src/host/target/espruino-process.ts";
import { callgrindSkipReason, countRecordInstructions } from "../src/host/target/instructions.ts";
import {
  bootAtRest,
  measureAppendCost,
  measureFlushMemory,
  measureMountFull,
  measureRecordCost,
  startLocalCloud,
} from "../src/host/target/scenarios.ts";

/** Calls timed each way. */
const CALLS = 2000;
/** Calls of one timed run. */
const RUN_CALLS = 125;
/** The earlier point at which the user-level call is compared too. */
const CHECKPOINT = 1000;
/** Calls each way counted under callgrind (about 40 s in all). */
const INSTRUCTION_CALLS = 500;

export async function benchTarget(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const small = smallBinary();
  if (small) {
    const cloud = await startLocalCloud();
    try {
      // The rest on its own: measured even where the firmware will not start a flush.
      const rest = await bootAtRest({ binary: small, board: "linux-small", setup: cloud.config() });
      await rest.dev.kill();
      out["target.small.usage_rest"] = rest.usage;
      if (rest.noFlush) console.error(`bench: linux-small on 1,600 JsVars: ${rest.noFlush}`);
      const m = await measureFlushMemory({ binary: small, cloud, points: 1000, board: "linux-small" });
      if (m.errors.length) console.error(`bench: linux-small on 1,600 JsVars reported ${m.errors.join(", ")}`);
      out["target.small.usage_peak_flush"] = m.usagePeakFlush;
    } catch (err) {
      // Reported, not fatal: the rest of the bench still says something.
      console.error(`bench: linux-small on 1,600 JsVars failed: ${(err as Error).message.split("\n")[0]}`);
    } finally {
      await cloud.close();
    }
  } else console.error(`bench: small-memory metrics skipped: ${smallSkipReason()}`);
  const fixed = fixedBinary();
  if (fixed) {
    const cloud = await startLocalCloud();
    try {
      const m = await measureFlushMemory({ binary: fixed, cloud, points: 1000, board: "linux-small" });
      if (m.delivered < 1000) throw new Error(`${m.delivered} of 1000 delivered`);
      out["target.fixed.peak_minus_rest_flush_1k"] = m.usagePeakFlush - m.usageRestSampled;
    } catch (err) {
      console.error(`bench: linux-small on fixed memory failed: ${(err as Error).message.split("\n")[0]}`);
    } finally {
      await cloud.close();
    }
  } else console.error(`bench: fixed-memory flush skipped: ${fixedSkipReason()}`);
  const reason = targetSkipReason();
  const binary = espruinoBinary();
  if (reason || !binary) {
    console.error(`bench: target metrics skipped: ${reason}`);
    return out;
  }
  {
    const cloud = await startLocalCloud();
    try {
      const { dev, usage } = await bootAtRest({ binary, setup: cloud.config() });
      await dev.kill();
      out["target.usage_rest"] = usage;
    } finally {
      await cloud.close();
    }
  }
  const cloud = await startLocalCloud();
  try {
    const rec = await measureRecordCost({ binary, cloud, checkpoints: [CHECKPOINT, CALLS], per: RUN_CALLS });
    for (const at of rec.at) {
      const suffix = at.calls === CALLS ? "" : "_1k";
      out["target.record.us_per_call" + suffix] = Math.round(at.recordUs);
      out["target.naive.us_per_append" + suffix] = Math.round(at.naiveUs);
      out["target.record.speedup" + suffix] = at.naiveUs / at.recordUs;
      out["target.record.cpu_us_per_call" + suffix] = Math.round(at.recordCpuUs);
      out["target.naive.cpu_us_per_append" + suffix] = Math.round(at.naiveCpuUs);
      out["target.record.speedup_cpu" + suffix] = at.naiveCpuUs / at.recordCpuUs;
    }
    out["target.record.host_load_1m"] = rec.load[1];
    // Printed now: a later measurement that fails does not take these figures with it.
    console.error(
      `bench: spool.record vs naive, µs per call by clock and CPU per run: ${JSON.stringify(rec.runs)}; load ${rec.load.join(" -> ")}`,
    );
    const skip = callgrindSkipReason();
    if (skip) console.error(`bench: instructions per call not counted: ${skip}`);
    else {
      const count = await countRecordInstructions({ binary, cloud, calls: INSTRUCTION_CALLS });
      out["target.record.kinstr_per_call"] = Math.round(count.recordK);
      out["target.naive.kinstr_per_append"] = Math.round(count.naiveK);
    }
    const cost = await measureAppendCost({ binary, n: CALLS });
    out["target.store.us_per_append"] = Math.round(cost.storeUs);
    const mount = await measureMountFull({ binary });
    out["target.store.mount_ms_full"] = mount.mountMs;
    const m = await measureFlushMemory({ binary, cloud, points: 10_000 });
    out["target.memory.usage_empty"] = m.usageEmpty;
    out["target.memory.usage_rest_10k"] = m.usageFull;
    out["target.memory.usage_peak_flush_10k"] = m.usagePeakFlush;
    out["target.memory.peak_minus_rest_flush_10k"] = m.usagePeakFlush - m.usageRestSampled;
    out["target.memory.peak_minus_rest_flush_10k_nogc"] = m.usagePeakFlushNoGc - m.usageRestSampled;
    out["target.memory.flush_10k_s"] = m.flushMs / 1000;
  } finally {
    await cloud.close();
  }
  return out;
}
