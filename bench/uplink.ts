/**
 * Uplink benchmark: a 10,000-point backlog on one pin flushed by the compiled uplink in the
 * simulated Espruino to the local server over loopback, against the naive baseline that builds
 * the whole body as one JSON string.
 */
import { makeRig, BASE_EPOCH, type Row } from "../test/uplink-harness.ts";
import { playCuts } from "../test/helpers/cut-schedule.ts";
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

/**
 * Flushes a 10,000-point backlog with a board's upload defaults (points per request, piece size).
 * `steady`: the link has carried full batches before (slow start already at the board's
 * maximum), as when a backlog builds while the server answers 5xx; else right after a boot.
 */
async function flush10k(boardId: string, steady = true): Promise<FlushRun> {
  const board = loadBoard(boardId);
  // The warm-up and the backlog pass a day's 10,000 points: a quota out of the way on both sides.
  const rig = await makeRig({
    config: { maxPointsPerRequest: board.upload.maxPointsPerRequest, pieceBytes: board.upload.pieceBytes, dailyQuota: 1_000_000 },
    limits: { dailyQuota: 1_000_000 },
    flashBytes: 256 * 1024,
  });
  try {
    const t = BASE_EPOCH - 2 * POINTS * 10_000;
    if (steady) {
      // Warm-up traffic on another pin until the batch limit reached the board's maximum.
      const warm = 12_000;
      rig.append(Array.from({ length: warm }, (_, i): Row => [1, { epochMs: t + i * 1000 }, i]));
      rig.start();
      if (!(await rig.drain())) throw new Error(`bench: warm-up did not drain (${boardId})`);
      if (rig.status().batchLimit !== board.upload.maxPointsPerRequest)
        throw new Error(`bench: warm-up left the batch limit at ${rig.status().batchLimit}`);
    }
    const before = rig.server.stats().requests;
    const bytesBefore = rig.status().bytesSent;
    rig.append(Array.from({ length: POINTS }, (_, i): Row => [0, { epochMs: BASE_EPOCH - POINTS * 10_000 + i * 10_000 }, value(i)]));
    if (!steady) rig.start();
    const t0 = performance.now();
    if (!(await rig.drain())) throw new Error(`bench: the uplink did not drain (${boardId})`);
    const ms = performance.now() - t0;
    if (rig.history(0).length !== POINTS) throw new Error(`bench: points missing on the server (${boardId})`);
    return {
      requests: rig.server.stats().requests - before,
      bytesSent: rig.status().bytesSent - bytesBefore,
      ms,
      maxWriteBytes: rig.maxWriteBytes(),
    };
  } finally {
    await rig.close();
  }
}

/**
 * A whole online day with the uplink's default configuration (flushDelayMs 10 s, 2,000 requests
 * a day): 2 pins sampled every 30 s. Requests made, and the longest time a reading waited
 * between being taken and being stored by the server.
 */
async function onlineDay(): Promise<{ requests: number; maxDelayS: number; readings: number }> {
  const rig = await makeRig({ config: { maxPointsPerRequest: 1000 } });
  try {
    const DAY = 86_400_000;
    rig.start();
    rig.eval(`t.sample(30000, ${DAY / 30000})`);
    await rig.clock.advanceAsync(DAY + 600_000, { idleMs: 50 });
    const rows = rig.server.db.prepare("SELECT ts, received FROM points").all() as Array<{ ts: number; received: number }>;
    let maxDelay = 0;
    for (const r of rows) maxDelay = Math.max(maxDelay, r.received - r.ts);
    return { requests: rig.requests(), maxDelayS: maxDelay / 1000, readings: rows.length };
  } finally {
    await rig.close();
  }
}

/**
 * Metrics: uplink.requests_per_10k_points (steady link: slow start already grown),
 * uplink.requests_per_10k_points_after_boot, uplink.wire_bytes_per_point, uplink.points_per_s,
 * uplink.max_piece_bytes_10k (linux profile: 10,000 points per request), the same request count
 * and piece size for the esp32 and esp8266 profiles, naive.max_piece_bytes_10k,
 * uplink.requests_per_day_online and uplink.max_delay_online_s (issue 11), and
 * uplink.duplicates_per_reading_cuts (issue 18, test/helpers/cut-schedule.ts).
 */
export async function benchUplink(): Promise<Record<string, number>> {
  const linux = await flush10k("linux");
  const linuxCold = await flush10k("linux", false);
  const esp32 = await flush10k("esp32");
  const esp32Cold = await flush10k("esp32", false);
  const esp8266 = await flush10k("esp8266");
  const day = await onlineDay();
  const cuts = await playCuts({ seed: 20261130, boots: 30, maxPointsPerRequest: loadBoard("linux").upload.maxPointsPerRequest });
  if (cuts.missing) throw new Error(`bench: ${cuts.missing} readings lost in the cut schedule`);
  // The naive baseline: the whole backlog as one JSON string, written at once, its numbers as
  // Espruino's JSON.stringify prints the readings a user holds (doubles, about 12 digits).
  const naive =
    "[" +
    Array.from(
      { length: POINTS },
      (_, i) => "[" + (BASE_EPOCH - POINTS * 10_000 + i * 10_000) + "," + espruinoNumberText(reading(i)) + "]",
    ).join(",") +
    "]";
  return {
    "uplink.requests_per_10k_points": linux.requests,
    "uplink.requests_per_10k_points_after_boot": linuxCold.requests,
    "uplink.wire_bytes_per_point": linux.bytesSent / POINTS,
    "uplink.points_per_s": POINTS / (linux.ms / 1000),
    "uplink.max_piece_bytes_10k": linux.maxWriteBytes,
    "uplink.esp32.requests_per_10k_points": esp32.requests,
    "uplink.esp32.requests_per_10k_points_after_boot": esp32Cold.requests,
    "uplink.esp32.max_piece_bytes_10k": esp32.maxWriteBytes,
    "uplink.esp8266.requests_per_10k_points": esp8266.requests,
    "uplink.esp8266.max_piece_bytes_10k": esp8266.maxWriteBytes,
    "uplink.requests_per_day_online": day.requests,
    "uplink.max_delay_online_s": day.maxDelayS,
    "uplink.duplicates_per_reading_cuts": cuts.duplicates / cuts.recorded,
    "naive.max_piece_bytes_10k": naive.length,
  };
}
