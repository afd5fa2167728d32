// The largest string the compiled uplink writes in the simulated Espruino (its http counts every
// write), for a small and a large batch.
import test from "ava";
import { makeRig, BASE_EPOCH } from "./uplink-harness.ts";

async function largestWrite(points: number, pieceBytes: number): Promise<{ maxWrite: number; requests: number; bytes: number }> {
  const rig = await makeRig({ config: { maxPointsPerRequest: 10_000, initialWindow: 10_000, pieceBytes }, flashBytes: 256 * 1024 });
  try {
    rig.series(0, points, BASE_EPOCH - points * 1000, 1000, 20, 1 / 7);
    rig.start();
    if (!(await rig.drain())) throw new Error("did not drain");
    if (rig.history(0).length !== points) throw new Error(`server has ${rig.history(0).length} of ${points}`);
    return { maxWrite: rig.maxWriteBytes(), requests: rig.server.stats().requests, bytes: rig.status().bytesSent };
  } finally {
    await rig.close();
  }
}

test("the largest string written is the piece size, for a 100-point and a 10,000-point batch alike", async (t) => {
  const small = await largestWrite(100, 512);
  const big = await largestWrite(10_000, 512);
  t.is(small.requests, 1);
  t.is(big.requests, 1, "one request for 10,000 points");
  t.true(small.bytes > 512, "the small batch needed more than one piece");
  t.is(small.maxWrite, 512);
  t.is(big.maxWrite, small.maxWrite);
  t.true(big.bytes > 100 * big.maxWrite, "the big body is far larger than any piece");
});
