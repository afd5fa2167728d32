/**
 * The simulation's JsVar count during a flush: the linux firmware in the simulated Espruino,
 * 1,000 readings flushed to the local server, sampled at each hal call inside the flush
 * (measureSimFlushMemory in src/host/target/scenarios.ts; the flush test/target/memory.test.ts
 * calibrates against the interpreter). Needs no interpreter. 1,000, not the target rows' 10,000:
 * each sample walks the heap (tens of ms), and a 10,000-point flush keeps its request open past
 * the simulated clock's 30 s wait for real I/O.
 *
 * - `sim.memory.usage_rest_1k`: `process.memory().usage` with the readings buffered, before the flush.
 * - `sim.memory.usage_peak_flush_1k`: the highest count sampled inside the flush.
 * - `sim.memory.peak_minus_rest_flush_1k`: the two apart.
 */
import { measureSimFlushMemory, startLocalCloud } from "../src/host/target/scenarios.ts";

const POINTS = 1000;

export async function benchSimMemory(): Promise<Record<string, number>> {
  const cloud = await startLocalCloud();
  try {
    const m = await measureSimFlushMemory({ cloud, points: POINTS });
    if (m.errors.length) throw new Error(`the simulated flush reported ${m.errors.join(", ")}`);
    return {
      "sim.memory.usage_rest_1k": m.usageRestSampled,
      "sim.memory.usage_peak_flush_1k": m.usagePeakFlush,
      "sim.memory.peak_minus_rest_flush_1k": m.usagePeakFlush - m.usageRestSampled,
    };
  } finally {
    await cloud.close();
  }
}

if (process.argv[1]?.endsWith("sim-memory.ts")) console.log(JSON.stringify(await benchSimMemory()));
