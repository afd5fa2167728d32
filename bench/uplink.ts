/**
 * Uplink benchmark: a 10,000-point backlog on one pin flushed by the compiled uplink in the
 * simulated Espruino to the local server over loopback, against the naive baseline that builds
 * the whole body as one JSON string.
 */
import { makeRig, BASE_EPOCH, type Row } from "../test/uplink-harness.ts";
import { loadBoard } from "../src/host/boards.ts";
import { espruinoNumberText } from "../src/host/sim/number-text.ts";

const POINTS = 10_000;

/** The reading a sensor gives (a double), and the float32 that Spool stores of it. */
function reading(i: number): number {
  return 20 + (i % 1000) / 7;
}

function value(i: number): number {
  return Math.fround(reading(i));
}

interface FlushRun {
  requests: number;
  bytesSent: number;
  ms: number;
  maxWriteBytes: number;
}

/** Flushes a 10,000-point backlog with a board's upload defaults (points per request, piece size). */
async function flush10k(boardId: string): Promise<FlushRun> {
  const board = loadBoard(boardId);
  const rig = await makeRig({ config: { maxPointsPerRequest: board.upload.maxPointsPerRequest, pieceBytes: board.upload.pieceBytes }, flashBytes: 256 * 1024 });
  try {
    rig.append(Array.from({ length: POINTS }, (_, i): Row => [0, { epochMs: BASE_EPOCH - POINTS * 10_000 + i * 10_000 }, value(i)]));
    rig.start();
    const t0 = performance.now();
    if (!(await rig.drain())) throw new Error(`bench: the uplink did not drain (${boardId})`);
    const ms = performance.now() - t0;
    if (rig.history(0).length !== POINTS) throw new Error(`bench: points missing on the server (${boardId})`);
    return { requests: rig.server.stats().requests, bytesSent: rig.status().bytesSent, ms, maxWriteBytes: rig.maxWriteBytes() };
  } finally {
    await rig.close();
  }
}

/**
 * Metrics: uplink.requests_per_10k_points, uplink.wire_bytes_per_point, uplink.points_per_s,
 * uplink.max_piece_bytes_10k (linux profile: 10,000 points per request), the same request count
 * and piece size for the esp32 and esp8266 profiles, and naive.max_piece_bytes_10k.
 */
export async function benchUplink(): Promise<Record<string, number>> {
  const linux = await flush10k("linux");
  const esp32 = await flush10k("esp32");
  const esp8266 = await flush10k("esp8266");
  // The naive baseline: the whole backlog as one JSON string, written at once, its numbers as
  // Espruino's JSON.stringify prints the readings a user holds (doubles, about 12 digits).
  const naive = "[" + Array.from({ length: POINTS }, (_, i) => "[" + (BASE_EPOCH - POINTS * 10_000 + i * 10_000) + "," + espruinoNumberText(reading(i)) + "]").join(",") + "]";
  return {
    "uplink.requests_per_10k_points": linux.requests,
    "uplink.wire_bytes_per_point": linux.bytesSent / POINTS,
    "uplink.points_per_s": POINTS / (linux.ms / 1000),
    "uplink.max_piece_bytes_10k": linux.maxWriteBytes,
    "uplink.esp32.requests_per_10k_points": esp32.requests,
    "uplink.esp32.max_piece_bytes_10k": esp32.maxWriteBytes,
    "uplink.esp8266.requests_per_10k_points": esp8266.requests,
    "uplink.esp8266.max_piece_bytes_10k": esp8266.maxWriteBytes,
    "naive.max_piece_bytes_10k": naive.length,
  };
}
