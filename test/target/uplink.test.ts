/**
 * Issues 11 and 12 on the real interpreter: the linux firmware against the local server.
 * - Recording at full speed while flushing: the set the server stored equals the set recorded,
 *   and the device marks delivered exactly what the server stored.
 * - Replies nobody documents: a server answering an unknown 400 keeps every reading on the
 *   device (backoff), and they all arrive once it recovers.
 * - Time without NTP: UDP 123 unanswered, seeded SIGKILL power cuts while recording, the server
 *   reachable in about 60 % of the boots (else it drops every connection unanswered): every
 *   acknowledged reading reaches the server within 2 s of when it was recorded.
 *
 * Runs only when ESPRUINO names the interpreter (npm run test:target).
 */
import test from "ava";
import { spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { rmSync } from "node:fs";
import { espruinoBinary, targetSkipReason, type EspruinoProcess } from "../../src/host/target/espruino-process.ts";
import { seededRandom, sleep } from "../../src/host/target/bundles.ts";
import { bootAtRest, bootFirmware, startLocalCloud, until } from "../../src/host/target/scenarios.ts";

const BINARY = espruinoBinary();
/** REPL answers may wait while the device records and streams, longer on a loaded host. */
const EVAL_MS = 30_000;
const reason = targetSkipReason();
if (reason) test.skip(`real interpreter: ${reason}`, () => undefined);
const run = BINARY ? test.serial : test.skip;

function problems(dev: EspruinoProcess): string[] {
  return dev.lines.filter((l) => /Uncaught|ASSERT|OUT OF MEMORY|LOW_MEMORY|corrupt|did not start/i.test(l));
}

run("600 readings recorded at full speed while flushing: the server holds exactly them, the device marks exactly them", async (t) => {
  const cloud = await startLocalCloud();
  const { dev } = await bootAtRest({ binary: BINARY!, setup: cloud.config({ flushDelayMs: 0 }) });
  try {
    await dev.eval(
      "(function(){var k=0;var iv=setInterval(function(){for(var j=0;j<20&&k<600;j++){spool.record(1,k+0.5);k++;}if(k>=600)clearInterval(iv);},5);})()",
    );
    await until(
      "the queue to drain",
      async () =>
        (await dev.eval<number>("spool.status().queue.pending", EVAL_MS)) === 0 &&
        (await dev.eval<number>("spool.status().uplink.delivered", EVAL_MS)) >= 600,
      120_000,
      250,
    );
    const stored = cloud.server.history(cloud.token, 1).map(([, v]) => v as number);
    const want = Array.from({ length: 600 }, (_, k) => k + 0.5);
    t.deepEqual(
      [...stored].sort((a, b) => a - b),
      want,
      "exactly the recorded readings, once each",
    );
    const st = await dev.eval<{ uplink: { delivered: number; requestsToday: number } }>("spool.status()", EVAL_MS);
    t.is(st.uplink.delivered, 600, "marked delivered = stored");
    t.true(cloud.server.stats().requests > 1, "sent while recording");
    t.deepEqual(problems(dev), []);
    t.log(`${cloud.server.stats().requests} requests for 600 readings recorded 20 per 5 ms`);
  } finally {
    await dev.kill();
    await cloud.close();
    rmSync(dev.cwd, { recursive: true, force: true });
  }
});

run("an unknown 400 for 20 s: nothing dropped, requests bounded by the backoff, all delivered after", async (t) => {
  const cloud = await startLocalCloud();
  const { dev } = await bootAtRest({ binary: BINARY!, setup: cloud.config({ flushDelayMs: 0 }) });
  try {
    cloud.server.setFaults({ failRate: 1, failStatus: 400 });
    const before = cloud.server.stats().requests;
    await dev.eval("(function(){for(var k=0;k<200;k++)spool.record(1,k+0.5);})()", EVAL_MS);
    await sleep(20_000);
    const during = cloud.server.stats().requests - before;
    const st = await dev.eval<{ queue: { pending: number }; drops: object; uplink: { lastReply: string; state: string } }>(
      "spool.status()",
      EVAL_MS,
    );
    t.is(st.queue.pending, 200, "every reading kept while the server refused");
    t.deepEqual(st.drops, {});
    t.is(st.uplink.lastReply, "400 Injected fault: status 400.", "the server's words in the status");
    // Full jitter from 1 s doubling: attempts 0..5 have ceilings 1+2+4+8+16 s.
    t.true(during <= 8, `${during} requests in 20 s of refusals`);
    cloud.server.setFaults({});
    await dev.eval("spool.flush()", EVAL_MS);
    await until("delivery after recovery", async () => cloud.server.history(cloud.token, 1).length >= 200, 60_000, 250);
    // Recorded in one loop, many share a millisecond: compare values, not timestamps.
    const values = cloud.server.history(cloud.token, 1).map(([, v]) => v as number);
    t.deepEqual(
      [...values].sort((a, b) => a - b),
      Array.from({ length: 200 }, (_, k) => k + 0.5),
      "each reading once",
    );
    t.deepEqual(problems(dev), []);
    t.log(`${during} requests during 20 s of unknown 400s`);
  } finally {
    await dev.kill();
    await cloud.close();
    rmSync(dev.cwd, { recursive: true, force: true });
  }
});

const SEED = Number(process.env.SPOOL_TARGET_SEED ?? 20261130);
const BOOTS = 30;

for (const validAtBoot of [false, true]) {
  run(
    `UDP 123 unanswered, ${BOOTS} SIGKILL cuts, server up in ~60 % of boots: every acknowledged reading within 2 s (clock.validAtBoot ${validAtBoot})`,
    async (t) => {
      const cloud = await startLocalCloud();
      // An NTP server address where nothing answers: datagrams vanish as on a network blocking UDP 123.
      const sink = createSocket("udp4");
      await new Promise<void>((r) => sink.bind(0, "127.0.0.1", r));
      const ntpPort = sink.address().port;
      const rand = seededRandom(SEED);
      /** value -> host time window in which it was recorded */
      const acked = new Map<number, [number, number]>();
      const bootOf = new Map<number, string>();
      /** Host times per boot, to show the gaps between boots when a timestamp is off. */
      const boots: { up: boolean; spawn: number; ready: number; first?: number; last?: number; kill?: number }[] = [];
      let cwd: string | undefined;
      let next = 0.5;
      let offlineBoots = 0;
      let drainLines: string[] = [];
      try {
        // Boot b runs with bootId b + 1; the drain boot after the loop is bootId BOOTS + 1.
        for (let boot = 0; boot < BOOTS; boot++) {
          const up = boot === 0 || rand() < 0.6;
          if (!up) offlineBoots++;
          cloud.server.setFaults(up ? {} : { dropBeforeRate: 1 });
          const spawn = Date.now();
          const dev = await bootFirmware(BINARY!, cwd);
          const times: (typeof boots)[number] = { up, spawn, ready: Date.now() };
          boots.push(times);
          cwd = dev.cwd;
          try {
            if (boot === 0) {
              await dev.eval(
                `spool.setup(${JSON.stringify(cloud.config({ ntp: { servers: ["127.0.0.1"], port: ntpPort }, clock: { validAtBoot } }))})`,
                EVAL_MS,
              );
            }
            // The sensor runs on the device, as a schedule would: every 100 ms a reading, then a
            // line with its value and the host clock's time (the Linux build's getTime() is the
            // host's: ground truth the firmware, told its clock is not valid, does not use).
            // A reading whose line arrived was acknowledged: record() had returned.
            const first = next;
            next += 10_000;
            dev.send(
              `(function(){var k=${first};setInterval(function(){spool.record(1,k);print("\\u0002R "+k+" "+(getTime()*1000).toFixed(0));k++;},100);})()`,
            );
            await sleep(300 + Math.floor(rand() * 2500));
            times.kill = Date.now();
            await dev.kill();
            for (const line of dev.lines) {
              const m = /\u0002R (\S+) (\d+)$/.exec(line);
              if (!m) continue;
              const v = Number(m[1]);
              const at = Number(m[2]);
              // stamped inside record(), just before the line's time
              acked.set(v, [at - 50, at]);
              bootOf.set(v, `boot ${boot} (${up ? "server up" : "server down"})`);
              times.first ??= at;
              times.last = at;
            }
          } finally {
            await dev.kill();
            t.deepEqual(problems(dev), [], `boot ${boot}`);
          }
        }
        // The last boot, with the server up, only drains.
        cloud.server.setFaults({});
        const spawn = Date.now();
        const dev = await bootFirmware(BINARY!, cwd);
        boots.push({ up: true, spawn, ready: Date.now() });
        drainLines = dev.lines;
        try {
          try {
            await until(
              "every acknowledged reading on the server",
              () => {
                const have = new Set(cloud.server.history(cloud.token, 1).map(([, v]) => v as number));
                for (const v of acked.keys()) if (!have.has(v)) return false;
                return true;
              },
              // The drain boot gives SNTP one round (30 s after its first timeout) before it uses the
              // Date; booted from Storage the Linux build reads its code from the flash file 16 bytes
              // at a time and streams only about 20 points a second (docs/memory.md).
              300_000,
              500,
            );
          } catch (e) {
            t.log(JSON.stringify(await dev.eval("spool.status()", EVAL_MS)));
            throw e;
          }
          const st = await dev.eval<{ drops: object; clock: { source: string } }>("spool.status()", EVAL_MS);
          t.deepEqual(st.drops, {});
          t.not(st.clock.source, "sntp", "SNTP never answered");
        } finally {
          await dev.kill();
        }
        let maxErr = 0;
        let over = 0;
        /** Per boot, the largest error either way. */
        const worst = new Map<string, [number, number]>();
        for (const [ts, v] of cloud.server.history(cloud.token, 1) as Array<[number, number]>) {
          const w = acked.get(v);
          if (!w) continue; // recorded as the power was cut: never acknowledged
          const err = ts < w[0] ? ts - w[0] : ts > w[1] ? ts - w[1] : 0;
          const b = worst.get(bootOf.get(v)!) ?? [0, 0];
          worst.set(bootOf.get(v)!, [Math.min(b[0], err), Math.max(b[1], err)]);
          maxErr = Math.max(maxErr, Math.abs(err));
          if (Math.abs(err) > 2000 && over++ < 6) t.log(`value ${v} of ${bootOf.get(v)}: stored ${err} ms outside its recording window`);
        }
        if (over) {
          // What no uptime counts: from a boot's last acknowledged reading to the next boot's REPL.
          const t0 = boots[0].spawn;
          // The anchors on flash, each as the boot start it implies (epoch - uptime), from the first spawn.
          const inspect = spawnSync(
            process.execPath,
            ["--import=tsx", "src/host/cli.ts", "inspect", `${cwd}/espruino.flash`, "--board", "linux", "--json"],
            { encoding: "utf8" },
          );
          try {
            const anchors = (
              JSON.parse(inspect.stdout) as { anchors: { bootId: number; uptimeMs: number; epochMs: number; coarse?: boolean }[] }
            ).anchors;
            for (const a of anchors)
              t.log(
                `anchor boot ${a.bootId} at +${a.uptimeMs} ms${a.coarse ? " (coarse)" : ""}: start +${Math.round(a.epochMs - a.uptimeMs - t0)}`,
              );
          } catch {
            t.log(`spool inspect: ${inspect.stderr || inspect.stdout}`);
          }
          t.log(`the draining boot printed: ${JSON.stringify(drainLines.filter((l) => !l.startsWith("\u0001")).slice(0, 30))}`);
          for (const [i, b] of boots.entries()) {
            const gap = i > 0 && boots[i - 1].last !== undefined ? b.ready - boots[i - 1].last! : NaN;
            const w = [...worst.entries()].find(([k]) => k.startsWith(`boot ${i} `))?.[1];
            t.log(
              `boot ${i} ${b.up ? "up  " : "down"} error ${w ? `${w[0]}..${w[1]}` : "-"} ms; spawn +${b.spawn - t0} ready +${b.ready - b.spawn} first +${(b.first ?? NaN) - b.spawn} last +${(b.last ?? NaN) - b.spawn} kill +${(b.kill ?? NaN) - b.spawn}; gap from the last reading before ${gap} ms`,
            );
          }
        }
        t.is(over, 0, "every timestamp within 2 s of when the reading was recorded");
        // Not vacuous: boots that never reached the server left readings to place (a boot cut
        // 0.3 s after it became ready may have recorded nothing).
        const placed = boots.filter((b) => !b.up && b.first !== undefined).length;
        t.true(placed > 0, `${placed} of ${offlineBoots} boots without the server recorded readings`);
        t.log(
          `${placed} of ${offlineBoots} boots without the server recorded readings, ${boots.filter((b) => b.up && b.first !== undefined).length} of ${BOOTS - offlineBoots} with it`,
        );
        t.log(
          `${acked.size} readings acknowledged over ${BOOTS} cut boots (${offlineBoots} without the server), all delivered; max error outside the recording window ${maxErr} ms; ${cloud.server.stats().requests} requests`,
        );
      } finally {
        sink.close();
        await cloud.close();
        if (cwd) rmSync(cwd, { recursive: true, force: true });
      }
    },
  );
}

run(
  "slow start on the interpreter: boots killed as soon as the server stored their first request resend at most 32 points each",
  async (t) => {
    const cloud = await startLocalCloud();
    let cwd: string | undefined;
    const CUTS = 8;
    let recorded = 0;
    try {
      for (let boot = 0; boot <= CUTS; boot++) {
        // The backlog builds while the server drops every connection unanswered.
        cloud.server.setFaults({ dropBeforeRate: 1 });
        const dev = await bootFirmware(BINARY!, cwd);
        cwd = dev.cwd;
        try {
          if (boot === 0) await dev.eval(`spool.setup(${JSON.stringify(cloud.config({ limits: { batchSize: 10000 } }))})`, EVAL_MS);
          if (boot === CUTS) break;
          await dev.eval(`(function(){for(var k=0;k<100;k++)spool.record(1,${recorded}+k+0.5);})()`, 60_000);
          recorded += 100;
          const stored = cloud.server.stats().pointsStored;
          cloud.server.setFaults({});
          await dev.eval("spool.flush()", EVAL_MS);
          // A power cut right after the server stored the first request of this boot.
          await until("the server to store a request", () => cloud.server.stats().pointsStored > stored, 30_000, 2);
          await dev.kill();
        } finally {
          await dev.kill();
          t.deepEqual(problems(dev), [], `boot ${boot}`);
        }
      }
      cloud.server.setFaults({});
      const dev = await bootFirmware(BINARY!, cwd);
      try {
        await until(
          "every reading on the server",
          () => new Set(cloud.server.history(cloud.token, 1).map(([, v]) => v)).size >= recorded,
          90_000,
          250,
        );
      } finally {
        await dev.kill();
      }
      const values = cloud.server.history(cloud.token, 1).map(([, v]) => v as number);
      const duplicates = values.length - new Set(values).size;
      t.is(new Set(values).size, recorded, "every reading delivered");
      t.true(duplicates <= CUTS * 32, `${duplicates} duplicates for ${CUTS} cuts after a store (at most 32 each)`);
      t.log(
        `${recorded} readings, ${CUTS} boots cut right after their first stored request: ${duplicates} duplicates (the whole backlog each time would be ${((CUTS * (CUTS + 1)) / 2) * 100})`,
      );
    } finally {
      await cloud.close();
      if (cwd) rmSync(cwd, { recursive: true, force: true });
    }
  },
);
