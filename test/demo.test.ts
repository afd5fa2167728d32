/**
 * The demo (`npm start`): short days of the scenario against the real server and the compiled
 * firmware, checked against the server's own history; the bookkeeping on hand-made data; the
 * command line.
 */
import test from "ava";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { build } from "../src/host/build/index.ts";
import { loadBoard } from "../src/host/boards.ts";
import { runDemo, type RunDemoOptions } from "../src/host/demo/run.ts";
import { accountPin, newPoints } from "../src/host/demo/accounting.ts";
import { formatSummary } from "../src/host/demo/summary.ts";
import { parseDemoArgs, DemoUsageError } from "../src/host/demo/options.ts";
import { progressLine } from "../src/host/demo/progress.ts";
import { ntpReply } from "../src/host/demo/sntp-responder.ts";
import { TRANSMIT_AT, buildRequest, checkReply } from "../src/device/clock/ntp-packet.ts";

const HOUR = 3_600_000;
const firmware = build({ board: "esp32", write: false });

function options(over: Partial<RunDemoOptions>): Promise<RunDemoOptions> {
  return firmware.then((f) => ({
    durationH: 2,
    outageH: 0.5,
    rateS: 30,
    realtime: false,
    speed: undefined,
    port: 0,
    db: ":memory:",
    keep: false,
    exit: true,
    silent: true,
    firmware: f,
    startEpochMs: Date.UTC(2026, 5, 1),
    ...over,
  }));
}

/** Distinct (ts, value) points and the total the server stored for a pin. */
function serverCount(points: [number, unknown][]): { distinct: number; total: number } {
  return { distinct: new Set(points.map(([ts, v]) => `${ts}|${v}`)).size, total: points.length };
}

test("a 2 h day with a 30 min outage and a power cut: nothing lost, every reading on the server once, true timestamps", async (t) => {
  const lines: string[] = [];
  const r = await runDemo(await options({ silent: false, tty: false, write: (s) => lines.push(s) }));
  try {
    const a = r.account;
    const readingsPerPin = (2 * HOUR) / 30_000;
    t.is(r.boots, 2, "the power cut rebooted the device");
    t.true(a.recorded >= 2 * readingsPerPin - 4 && a.recorded <= 2 * readingsPerPin, `recorded ${a.recorded}`);
    t.is(a.lost, 0);
    t.is(a.pending, 0, "the final flush emptied the buffer");
    t.is(a.droppedTotal, 0);
    t.is(a.unmatched, 0);
    t.is(a.duplicates, 0, "no lost replies: no duplicates");
    // Cross-check with the server's own history, independently of the matching.
    let distinct = 0;
    for (const pin of [1, 2]) {
      const c = serverCount(r.server.history(r.token, pin) as [number, unknown][]);
      t.is(c.total, c.distinct);
      distinct += c.distinct;
    }
    t.is(a.delivered, distinct, "delivered = the server's distinct points");
    t.is(a.delivered, a.recorded);
    t.is(a.produced, a.recorded + a.sampleErrors, "every sensor reading was recorded or counted as a sampling error");
    t.is(a.sampleErrors, 0);
    const summary = formatSummary(r).join("\n");
    t.regex(summary, /produced {4}\d[\d,]* readings by the simulated sensors/);
    t.regex(summary, /sampling errors 0/);
    t.regex(summary, /lost {8}0 {3}\(produced - delivered - dropped\)/);
    t.regex(summary, /device RAM .*ESTIMATED by the simulation/);
    t.true(a.maxErrorMs < 1000, `timestamps within a second of the truth (max ${a.maxErrorMs} ms)`);
    t.true(a.maxGapMs < 3 * 30_000, `the chart has no gap across the outage (largest ${a.maxGapMs} ms)`);
    const text = lines.join("");
    t.regex(text, /00:30 {2}WiFi access point gone/);
    t.regex(text, /00:45 {2}power cut with \d+ readings in flash/);
    t.regex(text, /01:00 {2}WiFi access point back/);
    t.regex(text, /readings taken since the reboot get their real time/);
    t.regex(text, /02:00 \/ 02:00 {2}final flush +queue +0 +delivered +\d+/);
  } finally {
    await r.server.close();
  }
});

test("lost replies (the server stores, then drops the connection): duplicates stay bounded, still nothing lost", async (t) => {
  const r = await runDemo(await options({ durationH: 1.5, outageH: 0.5, faults: { dropAfterRate: 0.05, seed: 3 } }));
  try {
    const a = r.account;
    const board = loadBoard("esp32");
    t.true(r.server.stats().faults.dropAfter > 0, "the fault was injected");
    t.is(a.lost, 0);
    t.is(a.unmatched, 0);
    t.true(a.duplicates > 0, "a lost reply makes its batch go twice");
    t.true(
      a.duplicates <= r.server.stats().faults.dropAfter * board.upload.maxPointsPerRequest,
      `duplicates ${a.duplicates} at most one batch per lost reply`,
    );
    let total = 0;
    for (const pin of [1, 2]) total += r.server.history(r.token, pin).length;
    t.is(total, a.delivered + a.duplicates);
  } finally {
    await r.server.close();
  }
});

test("bookkeeping: matches by value and nearest true time; counts duplicates, unmatched points and the largest gap", (t) => {
  const readings = [0, 30_000, 60_000, 90_000, 120_000].map((trueMs, i) => ({
    pin: 1,
    trueMs,
    value: i === 2 ? 20 : 20 + i / 10,
    boot: 1,
  }));
  readings[3].value = 20; // two readings with the same value: time decides
  const p = accountPin({
    pin: 1,
    readings,
    stored: [
      [12, 20],
      [30_000 - 40, 20.1],
      [90_000 + 100, 20],
      [90_000 + 100, 20], // the same batch twice
      [60_000 - 5, 20],
      [150_000, 20.4], // too far from its reading
      [120_000, 99], // a value nobody measured
    ],
    toleranceMs: 15_000,
  });
  t.deepEqual(
    { delivered: p.delivered, duplicates: p.duplicates, unmatched: p.unmatched, maxErrorMs: p.maxErrorMs, maxGapMs: p.maxGapMs },
    { delivered: 4, duplicates: 1, unmatched: 2, maxErrorMs: 100, maxGapMs: 30_105 },
  );
  t.deepEqual(
    newPoints(
      [
        [1, 2],
        [1, 2],
        [3, 4],
      ],
      [
        [1, 2],
        [1, 2],
        [1, 2],
        [3, 4],
        [5, 6],
      ],
    ),
    [
      [1, 2],
      [5, 6],
    ],
  );
});

test("the SNTP responder answers a real client request with the true time", (t) => {
  const trueMs = Date.UTC(2026, 5, 1, 12);
  const request = buildRequest(1000, 7);
  const reply = ntpReply(request, trueMs)!;
  // The client keeps only the request's transmit timestamp, as sent (a binary string).
  const checked = checkReply(reply, String.fromCharCode(...request.subarray(TRANSMIT_AT, TRANSMIT_AT + 8)));
  if (!("receiveMs" in checked)) return t.fail(checked.reason);
  t.true(Math.abs(checked.receiveMs - trueMs) < 0.01);
  t.is(ntpReply(reply, trueMs), undefined, "a server reply is not a request");
});

test("options: defaults, checks naming the option, help", (t) => {
  const o = parseDemoArgs([]);
  if (o === "help") return t.fail();
  t.like(o, { durationH: 24, outageH: 6, rateS: 30, realtime: false, exit: !process.stdout.isTTY, keep: false, db: "./spool-demo.sqlite" });
  t.like(parseDemoArgs(["--serve"]), { exit: false });
  t.is(parseDemoArgs(["--help"]), "help");
  t.like(parseDemoArgs(["--duration", "3", "--outage", "1", "--rate", "10", "--exit", "--port", "0"]), {
    durationH: 3,
    outageH: 1,
    rateS: 10,
    exit: true,
    port: 0,
  });
  t.throws(() => parseDemoArgs(["--duration", "2", "--outage", "2"]), {
    instanceOf: DemoUsageError,
    message: /--outage 2 leaves too little online time/,
  });
  t.throws(() => parseDemoArgs(["--rate", "fast"]), { message: /--rate needs a number greater than 0, not "fast"/ });
  t.throws(() => parseDemoArgs(["--port", "http"]), { message: /--port needs a whole number/ });
  t.throws(() => parseDemoArgs(["--colour"]), { message: /Unknown option '--colour'/ });
  t.is(
    progressLine(
      { atMs: 6.5 * HOUR, phase: "WiFi outage", queue: 1234, delivered: 5678, quotaUsed: 5678, quotaDaily: 10000 },
      24 * HOUR,
    ).slice(0, 13),
    "06:30 / 24:00",
  );
});

test("the command: a short run through the CLI exits 0 with lost = 0 and the page's address", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "spool-demo-test-"));
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        "--import=tsx",
        "src/host/cli.ts",
        "demo",
        "--exit",
        "--port",
        "0",
        "--duration",
        "1",
        "--outage",
        "0.25",
        "--db",
        join(dir, "demo.sqlite"),
      ],
      { timeout: 150_000 },
    );
    t.regex(stdout, /lost {8}0 /);
    t.regex(stdout, /Charts: http:\/\/127\.0\.0\.1:\d+\//);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
