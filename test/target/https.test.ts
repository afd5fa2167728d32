/**
 * HTTPS uploads on the real interpreter (issue 6): the linux firmware sends readings over TLS
 * (Espruino's mbedtls, certificate not verified) to the local server serving https with a
 * self-signed certificate made at test time. Every reading must arrive exactly once. The same
 * flush over plain HTTP gives the baseline for the TLS cost in JsVars: Espruino's mbedtls
 * allocates through jsvMalloc, so its buffers show in `process.memory().usage`; they need
 * contiguous free JsVars, which the linux profile's hardware boundary gathers with E.defrag()
 * before each https request (boards/linux.json tlsBuffers; without it the interpreter asserts
 * in this test once its memory has churned).
 *
 * Runs only when ESPRUINO names the interpreter (npm run test:target).
 */
import test from "ava";
import { rmSync } from "node:fs";
import { espruinoBinary, targetSkipReason, type EspruinoProcess } from "../../src/host/target/espruino-process.ts";
import { bootFirmware, startLocalCloud, until, type LocalCloud } from "../../src/host/target/scenarios.ts";
import { testCert } from "../helpers/tls-cert.ts";

const BINARY = espruinoBinary();
const reason = targetSkipReason();
if (reason) test.skip(`real interpreter: ${reason}`, () => undefined);
const run = BINARY ? test.serial : test.skip;

const POINTS = 200;
/** Points per request: several requests, so several TLS handshakes. */
const BATCH = 50;
/** Device-side memory sampling period during the flush, ms (each sample runs a GC). */
const SAMPLE_MS = 5;

interface FlushFigures {
  /** `process.memory().usage` (JsVars, after GC) with POINTS buffered, just before the flush. */
  usageBefore: number;
  /** Highest usage the device sampled during the flush. */
  usagePeak: number;
  total: number;
  blocksize: number;
  samples: number;
  flushMs: number;
  requests: number;
  /** Protocol and cipher the server logged for the uploads (https only). */
  tls: string[];
}

function problems(dev: EspruinoProcess): string[] {
  return dev.lines.filter((l) => /Uncaught|ASSERT|OUT OF MEMORY|corrupt|did not start/i.test(l));
}

/** Boots the firmware against `cloud`, buffers POINTS readings offline, flushes, checks delivery. */
async function flushOnce(t: import("ava").ExecutionContext, cloud: LocalCloud, logLines: string[]): Promise<FlushFigures> {
  const dev = await bootFirmware(BINARY!);
  try {
    await dev.eval(`spool.setup(${JSON.stringify(cloud.config({ limits: { batchSize: BATCH } }))})`);
    await until("the first SNTP sync", async () => (await dev.eval<boolean>("spool.status().clock.synced")) === true, 20_000);
    await dev.eval("spool.stop()");
    // Values a float32 holds exactly (V1 is a double stored as float32).
    for (let i = 0; i < POINTS; i += BATCH) {
      await dev.eval(`(function(){for(var i=${i};i<${i + BATCH};i++)spool.record(1,i+0.5);})()`, 30_000);
    }
    t.is(await dev.eval<number>("spool.status().queue.pending"), POINTS);
    await dev.eval(
      `(global.__mem={peak:0,n:0},global.__memT=setInterval(function(){var u=process.memory().usage;__mem.n++;if(u>__mem.peak)__mem.peak=u;},${SAMPLE_MS}),0)`,
    );
    const mem = await dev.eval<{ usage: number; total: number; blocksize: number }>("process.memory()");
    const requestsBefore = cloud.server.stats().requests;
    const t0 = Date.now();
    await dev.eval("spool.start(),spool.flush()");
    try {
      await until(
        `the device to deliver ${POINTS} readings`,
        async () => cloud.server.history(cloud.token, 1).length >= POINTS && (await dev.eval<number>("spool.status().queue.pending")) === 0,
        60_000,
        50,
      );
    } catch (e) {
      t.log(JSON.stringify(await dev.eval("spool.status().uplink")));
      t.log(logLines.slice(-10).join("\n"));
      t.log(dev.output().slice(-20).join("\n"));
      throw e;
    }
    const flushMs = Date.now() - t0;
    const sampled = await dev.eval<{ peak: number; n: number }>("(clearInterval(__memT),__mem)");
    const status = await dev.eval<{
      drops: Record<string, number>;
      uplink: { server: string; warning: string | null; lastReply: string | null };
    }>("spool.status()");
    t.deepEqual(status.drops, {}, "nothing dropped");
    t.deepEqual(problems(dev), [], dev.output().join("\n"));

    const counts = new Map<number, number>();
    for (const [, v] of cloud.server.history(cloud.token, 1)) counts.set(v as number, (counts.get(v as number) ?? 0) + 1);
    const wrong: string[] = [];
    for (let i = 0; i < POINTS; i++) if (counts.get(i + 0.5) !== 1) wrong.push(`${i + 0.5}×${counts.get(i + 0.5) ?? 0}`);
    t.deepEqual(wrong, [], "every reading exactly once");
    t.is(counts.size, POINTS, "nothing else on the server");

    const uploads = logLines.map((l) => JSON.parse(l)).filter((e) => e.path === "/external/api/batch/update");
    t.true(uploads.length >= POINTS / BATCH && uploads.every((e) => e.status === 200), logLines.join("\n"));
    return {
      usageBefore: mem.usage,
      usagePeak: sampled.peak,
      total: mem.total,
      blocksize: mem.blocksize,
      samples: sampled.n,
      flushMs,
      requests: cloud.server.stats().requests - requestsBefore,
      tls: [...new Set(uploads.map((e) => e.tls).filter((x) => x !== undefined))],
    };
  } finally {
    await dev.kill();
    rmSync(dev.cwd, { recursive: true, force: true });
  }
}

run(`${POINTS} readings flushed over https arrive exactly once; TLS memory cost against plain http`, async (t) => {
  const plainLog: string[] = [];
  const plain = await startLocalCloud({ log: (l) => plainLog.push(l) });
  let http: FlushFigures;
  try {
    http = await flushOnce(t, plain, plainLog);
    t.deepEqual(http.tls, [], "the baseline really is plain http");
  } finally {
    await plain.close();
  }

  const tlsLog: string[] = [];
  const cloud = await startLocalCloud({ tls: await testCert(), log: (l) => tlsLog.push(l) });
  try {
    t.regex(cloud.server.url, /^https:/);
    const https = await flushOnce(t, cloud, tlsLog);
    t.true(https.tls.length > 0 && https.tls.every((x) => /^TLSv1\.2 /.test(x)), `uploads went over TLS 1.2: ${https.tls.join(", ")}`);
    t.false(
      tlsLog.some((l) => /TLS handshake failed/.test(l)),
      tlsLog.join("\n"),
    );
    t.true(https.usagePeak < https.total, "the TLS flush fits in the interpreter's memory");
    const cost = https.usagePeak - http.usagePeak;
    t.log(`negotiated: ${https.tls.join(", ")}`);
    t.log(
      `process.memory().usage (JsVars of ${https.blocksize} B): http  before ${http.usageBefore}, peak ${http.usagePeak} ` +
        `(${http.samples} samples, ${http.requests} requests, ${http.flushMs} ms)`,
    );
    t.log(
      `process.memory().usage (JsVars of ${https.blocksize} B): https before ${https.usageBefore}, peak ${https.usagePeak} ` +
        `(${https.samples} samples, ${https.requests} requests, ${https.flushMs} ms), total ${https.total}`,
    );
    t.log(`TLS cost at the peak: ${cost} JsVars = ${cost * https.blocksize} bytes on this build`);
  } finally {
    await cloud.close();
  }
});
