import test from "ava";
import { makeRig, appendSeries, BASE_EPOCH, type Rig } from "./uplink-harness.ts";

const BATCH = 40;
const T0 = BASE_EPOCH - 3600_000;
const OLD = BASE_EPOCH - 40 * 86_400_000;

/** 10 too-old readings (dropped during the flush: flash writes) and 120 + 120 on two pins. */
async function workload(): Promise<Rig> {
  const rig = await makeRig({ config: { maxPointsPerRequest: BATCH, pieceBytes: 128 } });
  rig.link.up = false;
  appendSeries(rig.store, 0, 10, OLD, 1000);
  for (let i = 0; i < 120; i++) {
    rig.store.append({ pin: 0, stamp: { epochMs: T0 + i * 1000 }, value: i });
    rig.store.append({ pin: 1, stamp: { epochMs: T0 + i * 1000 }, value: -i });
  }
  rig.uplink.start();
  return rig;
}

/** After the cut: reboot, flush, check nothing lost and duplicates bounded by one batch. */
async function rebootAndCheck(t: import("ava").ExecutionContext, rig: Rig, label: string): Promise<void> {
  rig.reboot();
  rig.uplink.start();
  t.true(await rig.drain(), `${label}: drained after reboot`);
  for (const pin of [0, 1]) {
    const ts = rig.history(pin).map((p) => p[0]);
    const unique = new Set(ts);
    t.is(unique.size, 120, `${label}: V${pin} complete`);
    for (let i = 0; i < 120; i++) if (!unique.has(T0 + i * 1000)) t.fail(`${label}: V${pin} lost reading ${i}`);
  }
  t.true(rig.server.stats().duplicates <= BATCH, `${label}: ${rig.server.stats().duplicates} duplicates`);
  t.is(rig.store.stats().pending, 0, `${label}: nothing left`);
}

test("power cut at every flash write of a flush (torn after 0, 1 and 3 bytes): nothing lost, duplicates bounded", async (t) => {
  // Count the flash operations a clean flush makes.
  const clean = await workload();
  const before = clean.flash.ops;
  clean.link.set(true);
  t.true(await clean.drain());
  const flushOps = clean.flash.ops - before;
  await clean.close();
  t.true(flushOps >= 8, `a flush writes flash (${flushOps} ops)`);
  let cutPoints = 0;
  for (let k = 1; k <= flushOps; k++) {
    for (const torn of [0, 1, 3]) {
      const rig = await workload();
      try {
        rig.flash.armPowerCut({ atOp: rig.flash.ops + k, tornBytes: torn });
        rig.link.set(true);
        await rig.drain();
        t.is(rig.powerCuts(), 1, `cut at op ${k} happened`);
        await rebootAndCheck(t, rig, `op ${k} torn ${torn}`);
        cutPoints++;
      } finally {
        await rig.close();
      }
    }
  }
  t.log(`${cutPoints} cut points over ${flushOps} flash operations`);
});

for (const point of ["before-send", "mid-body", "before-reply"] as const) {
  test(`power cut ${point} of each request of a flush: nothing lost, duplicates bounded`, async (t) => {
    const clean = await workload();
    clean.link.set(true);
    t.true(await clean.drain());
    const requests = clean.http.requests;
    await clean.close();
    for (let n = 1; n <= requests; n++) {
      const rig = await workload();
      try {
        rig.http.cutAt = { request: n, point, onCut: () => rig.die() };
        rig.link.set(true);
        await rig.drain();
        t.is(rig.powerCuts(), 1, `cut at request ${n}`);
        await rebootAndCheck(t, rig, `${point} of request ${n}`);
        if (point === "before-reply") t.true(rig.server.stats().duplicates > 0, "the stored batch came again");
        else t.is(rig.server.stats().duplicates, 0);
      } finally {
        await rig.close();
      }
    }
  });
}
