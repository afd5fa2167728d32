/**
 * The simulation's JsVar count inside a flush (SimEspruinoOptions.samplePeaks): sampled at each
 * hal call the running code makes, the frames on the stack counted, and the board's jsVars.count
 * a hard limit there, as on the interpreter, where running out inside a task stops it. The
 * figures against the real interpreter are in test/target/memory.test.ts.
 */
import test from "ava";
import { measureSimFlushMemory, startLocalCloud } from "../src/host/target/scenarios.ts";
import { readBoard, simWorld } from "../src/host/sim/index.ts";

const POINTS = 1000;

test.serial("a simulated flush of 1,000 readings peaks well above its rest, sampled inside the flush", async (t) => {
  const cloud = await startLocalCloud();
  try {
    const m = await measureSimFlushMemory({ cloud, points: POINTS });
    t.log(`linux in the simulation: rest ${m.usageRestSampled}, peak ${m.usagePeakFlush} inside the flush (${m.samples} samples)`);
    t.deepEqual(m.errors, []);
    t.is(m.delivered, POINTS);
    t.true(m.samples > 20, `${m.samples} samples inside the flush`);
    // linux keeps its uplink between flushes (board profile upload.keepUplink): what comes for the
    // flush is the request, its exchange and a cursor (about 290 on the interpreter, docs/memory.md).
    t.true(m.usagePeakFlush - m.usageRestSampled > 150, `peak ${m.usagePeakFlush} against rest ${m.usageRestSampled}`);
  } finally {
    await cloud.close();
  }
});

/** A task that holds `n` small objects in a local while it reads Storage, then says it finished. */
const TASK = (n: number) =>
  `function work(){var held=[];for(var i=0;i<${n};i++)held.push({v:i});require("Storage").read("none");global.done=held.length;}` +
  "setTimeout(work,10);";

function smallDevice() {
  const w = simWorld();
  const board = readBoard("linux");
  const sim = w.device({ board: { ...board, jsVars: { ...board.jsVars, count: 600 } }, samplePeaks: true });
  return { w, sim };
}

test("what a running function holds counts at its hal calls: over the board's JsVars, the task runs out of memory there", (t) => {
  const { w, sim } = smallDevice();
  sim.boot(TASK(300));
  t.deepEqual(sim.output(), []);
  w.clock.advance(100);
  // 300 objects of one property are about 900 JsVars, held only by the function's local.
  t.true(sim.memoryPeak.peak > 600, `peak ${sim.memoryPeak.peak}`);
  t.true(sim.output().includes("OUT OF MEMORY"), sim.output().join("\n"));
  t.is(sim.eval("global.done"), undefined, "the task stopped at the hal call");
  t.deepEqual(sim.eval("E.getErrorFlags()"), ["LOW_MEMORY", "MEMORY"]);
  sim.powerCut();
});

test("the same task holding less fits, and its peak is what it held at the hal call", (t) => {
  const { w, sim } = smallDevice();
  sim.boot(TASK(50));
  const rest = sim.eval("process.memory().usage") as number;
  w.clock.advance(100);
  t.is(sim.eval("global.done"), 50);
  t.deepEqual(sim.eval("E.getErrorFlags()"), []);
  t.true(sim.memoryPeak.peak >= rest + 100, `peak ${sim.memoryPeak.peak} against rest ${rest}`);
  t.true((sim.eval("process.memory().usage") as number) < sim.memoryPeak.peak, "the objects are gone after the task");
  sim.powerCut();
});
