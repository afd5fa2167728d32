/**
 * The bench on the real interpreter (when ESPRUINO names Espruino's Linux build): Spool's store
 * appender beside the naive one, mount of a full linux region, and memory during a 10,000-point
 * flush to the local server.
 *
 * - `target.store.us_per_append`: `store.append` of one Double (float32) reading on the linux
 *   profile's raw region (64 KB), through the soak entry (test/target/entries/store-soak.ts).
 * - `target.naive.us_per_append`: what a user writes by hand: one JSON line
 *   `{"pin":2,"t":<ms>,"v":<value>}\n` per reading, written to a Storage file opened once with
 *   `require("Storage").open("naive.log","a")` (StorageFile appends in place, no rewrite).
 * - `target.store.mount_ms_full`: createStore on a region filled until the ring turned.
 * - `target.memory.usage_empty` / `target.memory.usage_peak_flush_10k`: `process.memory().usage`
 *   (JsVars, after GC) of the linux firmware with nothing buffered, and the highest value polled
 *   over the REPL while it flushes 10,000 readings recorded offline.
 * - `target.usage_rest`: the same at rest (after `spool.setup` and the first SNTP sync, nothing
 *   buffered), the linux firmware booted from Storage on the normal Linux build.
 * - `target.small.usage_rest` / `target.small.usage_peak_flush`: the linux-small firmware on the
 *   1,600-JsVar build (ESPRUINO_SMALL) at rest, and at the peak of flushing 1,000 readings.
 * Every figure comes from firmware booted from Storage (`.bootcde`), as a board runs it.
 */
import { espruinoBinary, smallBinary, smallSkipReason, targetSkipReason } from "../src/host/target/espruino-process.ts";
import { bootAtRest, measureAppendCost, measureFlushMemory, measureMountFull, startLocalCloud } from "../src/host/target/scenarios.ts";

/** Appends timed each way. */
const APPENDS = 2000;

export async function benchTarget(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const small = smallBinary();
  if (small) {
    const cloud = await startLocalCloud();
    try {
      const m = await measureFlushMemory({ binary: small, cloud, points: 1000, board: "linux-small" });
      if (m.errors.length) console.error(`bench: linux-small on 1,600 JsVars reported ${m.errors.join(", ")}`);
      out["target.small.usage_rest"] = m.usageEmpty;
      out["target.small.usage_peak_flush"] = m.usagePeakFlush;
    } catch (err) {
      // Reported, not fatal: the rest of the bench still says something.
      console.error(`bench: linux-small on 1,600 JsVars failed: ${(err as Error).message.split("\n")[0]}`);
    } finally {
      await cloud.close();
    }
  } else console.error(`bench: small-memory metrics skipped: ${smallSkipReason()}`);
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
  const cost = await measureAppendCost({ binary, n: APPENDS });
  out["target.store.us_per_append"] = Math.round(cost.storeUs);
  out["target.naive.us_per_append"] = Math.round(cost.naiveUs);
  const mount = await measureMountFull({ binary });
  out["target.store.mount_ms_full"] = mount.mountMs;
  const cloud = await startLocalCloud();
  try {
    const m = await measureFlushMemory({ binary, cloud, points: 10_000 });
    out["target.memory.usage_empty"] = m.usageEmpty;
    out["target.memory.usage_peak_flush_10k"] = m.usagePeakFlush;
  } finally {
    await cloud.close();
  }
  return out;
}
