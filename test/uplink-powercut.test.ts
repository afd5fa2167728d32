// Power cuts in the middle of a flush, with the store and uplink compiled for the board and run
// in the simulated Espruino: the cut is the simulation's own (an armed NOR flash cut, or a cut
// during an HTTP exchange); the reboot is a new SimEspruino on the same flash files.
import test, { type ExecutionContext } from "ava";
import { makeRig, BASE_EPOCH, type Rig, type HttpPoint } from "./uplink-harness.ts";
import { describeSweep, sweepPowerCuts } from "./helpers/power-cut.ts";

const BATCH = 40;
const T0 = BASE_EPOCH - 3600_000;
const OLD = BASE_EPOCH - 40 * 86_400_000;

/** 10 too-old readings (dropped during the flush: flash writes) and 120 + 120 on two pins. */
async function workload(): Promise<Rig> {
  const rig = await makeRig({ linkUp: false, config: { maxPointsPerRequest: BATCH, pieceBytes: 128 } });
  rig.series(0, 10, OLD, 1000);
  rig.series(0, 120, T0, 1000, 0, 1);
  rig.series(1, 120, T0, 1000, 0, -1);
  rig.start();
  return rig;
}

/** After the cut: reboot, flush, check nothing lost and duplicates bounded by one batch. */
async function rebootAndCheck(t: ExecutionContext, rig: Rig, label: string): Promise<void> {
  t.false(rig.isAlive(), `${label}: the device died`);
  rig.reboot();
  rig.setLink(true);
  t.true(await rig.drain(), `${label}: drained after reboot`);
  for (const pin of [0, 1]) {
    const h = rig.history(pin);
    const unique = new Set(h.map((p) => p[0]));
    t.is(unique.size, 120, `${label}: V${pin} complete`);
    for (let i = 0; i < 120; i++) if (!unique.has(T0 + i * 1000)) t.fail(`${label}: V${pin} lost reading ${i}`);
    for (const [ts, v] of h) if (v !== (pin === 0 ? 1 : -1) * ((ts - T0) / 1000)) t.fail(`${label}: V${pin} at ${ts} has ${v}`);
  }
  t.true(rig.server.stats().duplicates <= BATCH, `${label}: ${rig.server.stats().duplicates} duplicates`);
  t.is(rig.storeStats().pending, 0, `${label}: nothing left`);
  t.false(
    rig.sim.output().some((l) => /Uncaught|OUT OF MEMORY/.test(l)),
    rig.sim.output().join("\n"),
  );
}

/** Flash operations and requests of a clean flush of the workload. */
async function cleanFlush(t: ExecutionContext): Promise<{ ops: number; requests: number }> {
  const clean = await workload();
  try {
    const before = clean.flashOps();
    clean.setLink(true);
    t.true(await clean.drain());
    return { ops: clean.flashOps() - before, requests: clean.requests() };
  } finally {
    await clean.close();
  }
}

test("power cut at every flash operation of a flush (ring and Storage, every failure mode, sampled): nothing lost, duplicates bounded", async (t) => {
  const res = await sweepPowerCuts<Rig>(
    {
      prepare: workload,
      flashes: (rig) => [rig.sim.flash, rig.sim.storageFlash],
      act: async (rig) => {
        rig.setLink(true);
        await rig.drain();
      },
      recover: (rig) => rig.reboot(),
      check: async (rig, where) => {
        if (rig.powerCuts() !== 1) return `${where}: ${rig.powerCuts()} power cuts`;
        if (!/power cut at flash operation/.test(rig.sim.deathReason ?? "")) return `${where}: died of ${rig.sim.deathReason}`;
        await rebootAndCheck(t, rig, where);
        return undefined;
      },
      dispose: (rig) => rig.close(),
    },
    // Each operation with two of its failure modes, in turn, so that every mode is tried on every kind.
    { replay: true, variantSample: (k, vi) => (k + vi) % 3 === 0 },
  );
  t.true(res.ops >= 8, `a flush writes flash (${res.ops} ops)`);
  t.log(describeSweep(res));
  t.deepEqual(res.failures, []);
});

for (const point of ["before-send", "mid-body", "before-reply"] as HttpPoint[]) {
  test(`power cut ${point} of each request of a flush: nothing lost, duplicates bounded`, async (t) => {
    const { requests } = await cleanFlush(t);
    t.true(requests >= 6, `${requests} requests`);
    for (let n = 1; n <= requests; n++) {
      const rig = await workload();
      try {
        rig.cutDuringHttp((m, p) => m === n && p === point);
        rig.setLink(true);
        await rig.drain();
        t.is(rig.powerCuts(), 1, `cut at request ${n}`);
        t.deepEqual(rig.clock.openIo(), [], "the dead device's sockets are gone");
        await rebootAndCheck(t, rig, `${point} of request ${n}`);
        if (point === "before-reply") t.true(rig.server.stats().duplicates > 0, "the stored batch came again");
        else t.is(rig.server.stats().duplicates, 0);
      } finally {
        await rig.close();
      }
    }
    t.log(`${requests} requests cut ${point}`);
  });
}
