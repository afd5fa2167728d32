/**
 * Uplink benchmark: a 10,000-point backlog on one pin flushed by the compiled uplink in the
 * simulated Espruino to the local server over loopback, against the naive baseline that builds
 * the whole body as one JSON string.
 */
import { makeRig, BASE_EPOCH, type Row } from "../test/uplink-harness.ts";
import { loadBoard } from "../src/host/boards.ts";

const POINTS = 10_000;

function value(i: number): number {
  return Math.fround(20 + (i % 1000) / 7);
}

/** Metrics: uplink.requests_per_10k_points, uplink.wire_bytes_per_point, uplink.points_per_s, uplink.max_piece_bytes_10k, naive.max_piece_bytes_10k. */
export async function benchUplink(): Promise<Record<string, number>> {
  const board = loadBoard("linux");
  const rig = await makeRig({ config: { maxPointsPerRequest: board.upload.maxPointsPerRequest, pieceBytes: board.upload.pieceBytes }, flashBytes: 256 * 1024 });
  try {
    rig.append(Array.from({ length: POINTS }, (_, i): Row => [0, { epochMs: BASE_EPOCH - POINTS * 10_000 + i * 10_000 }, value(i)]));
    rig.start();
    const t0 = performance.now();
    if (!(await rig.drain())) throw new Error("bench: the uplink did not drain");
    const ms = performance.now() - t0;
    if (rig.history(0).length !== POINTS) throw new Error("bench: points missing on the server");
    const s = rig.status();
    // The naive baseline: the whole backlog as one JSON string, written at once.
    const naive = JSON.stringify(Array.from({ length: POINTS }, (_, i) => [BASE_EPOCH - POINTS * 10_000 + i * 10_000, value(i)]));
    return {
      "uplink.requests_per_10k_points": rig.server.stats().requests,
      "uplink.wire_bytes_per_point": s.bytesSent / POINTS,
      "uplink.points_per_s": POINTS / (ms / 1000),
      "uplink.max_piece_bytes_10k": rig.maxWriteBytes(),
      "naive.max_piece_bytes_10k": naive.length,
    };
  } finally {
    await rig.close();
  }
}
