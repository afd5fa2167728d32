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
 */
import { espruinoBinary, targetSkipReason } from "../src/host/target/espruino-process.ts";
import { measureAppendCost, measureFlushMemory, measureMountFull, startLocalCloud } from "../src/host/target/scenarios.ts";

/** Appends timed each way. */
const APPENDS = 2000;

export async function benchTarget(): Promise<Record<string, number>> {
  const reason = targetSkipReason();
  const binary = espruinoBinary();
  if (reason || !binary) {
    console.error(`bench: target metrics skipped: ${reason}`);
    return {};
  }
  const out: Record<string, number> = {};
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
