/**
 * Duplicates under power cuts (issue 18), shared by test/uplink-slowstart.test.ts and the bench:
 * the compiled store and uplink in the simulated Espruino record a reading every 20 ms and
 * flush (flushDelayMs 300) through seeded boots of 0.3-2.8 s, the server reachable in about
 * 60 % of them (else it drops every connection unanswered), then a boot drains.
 *
 * The simulation answers a request in no virtual time, so a cut would never land between the
 * server storing a body and the device seeing the reply. Here each reply takes
 * REPLY_LATENCY_MS: when the next scheduled cut falls inside that window the device dies as
 * the reply arrives, after the server stored the body - the case that makes duplicates.
 */
import { makeRig } from "../uplink-harness.ts";
import { seededRandom } from "../../src/host/random.ts";

/** Time from the server storing a body to the device seeing its 200 (a home link to a cloud). */
export const REPLY_LATENCY_MS = 100;

export interface CutRun {
  recorded: number;
  stored: number;
  duplicates: number;
  cuts: number;
  cutsAfterStore: number;
  requests: number;
  missing: number;
}

/** Plays the schedule; `initialWindow` undefined = the uplink's default slow start. */
export async function playCuts(o: { seed: number; boots: number; initialWindow?: number; maxPointsPerRequest?: number }): Promise<CutRun> {
  const rand = seededRandom(o.seed);
  const max = o.maxPointsPerRequest ?? 1000;
  const rig = await makeRig({
    config: { flushDelayMs: 300, maxPointsPerRequest: max, ...(o.initialWindow ? { initialWindow: o.initialWindow } : {}) },
  });
  let nextCut = Infinity;
  let cutsAfterStore = 0;
  const armHttpCuts = () =>
    rig.cutDuringHttp((_n, point) => {
      if (point !== "before-reply" || nextCut > rig.clock.now + REPLY_LATENCY_MS) return false;
      cutsAfterStore++;
      return true;
    });
  try {
    for (let boot = 0; boot <= o.boots; boot++) {
      const up = boot === o.boots || rand() < 0.6;
      rig.server.setFaults(up ? {} : { dropBeforeRate: 1 });
      if (boot > 0) rig.reboot();
      else rig.start();
      armHttpCuts();
      if (boot === o.boots) break;
      rig.eval("t.every(1, 20)");
      nextCut = rig.clock.now + 300 + Math.floor(rand() * 2500);
      await rig.clock.runUntilAsync(() => !rig.isAlive() || rig.clock.now >= nextCut, 10_000, { idleMs: 50 });
      if (rig.isAlive()) rig.die();
      nextCut = Infinity;
    }
    if (!(await rig.drain(3_600_000))) throw new Error("cut schedule: the last boot did not drain");
    // Every reading appended is in flash (values 0.5, 1.5, ... in order across boots).
    const recorded = rig.eval<number>("t.nextValue()");
    const values = rig.history(1).map(([, v]) => v as number);
    const distinct = new Set(values);
    let missing = 0;
    for (let k = 0; k < recorded; k++) if (!distinct.has(k + 0.5)) missing++;
    return {
      recorded,
      stored: values.length,
      duplicates: values.length - distinct.size,
      cuts: o.boots,
      cutsAfterStore,
      requests: rig.requests(),
      missing,
    };
  } finally {
    await rig.close();
  }
}
