// Issue 11, case 2: replies the uplink does not recognise are the server's state, not bad
// readings. The compiled store and uplink in the simulated Espruino; the server refuses with
// wordings Blynk never documented, for an hour, then recovers: nothing may be dropped. A reading
// is dropped as "rejected" only when it is refused alone while its neighbours are accepted.
import test from "ava";
import { createServer, type Server } from "node:http";
import { makeRig, BASE_EPOCH } from "./uplink-harness.ts";

const HOUR = 3600_000;
const T0 = BASE_EPOCH - HOUR;

test("an unknown 400 for an hour: readings kept, requests bounded by backoff, all delivered once it recovers", async (t) => {
  const rig = await makeRig({ faults: { failRate: 1, failStatus: 400 }, config: { maxPointsPerRequest: 200 } });
  try {
    rig.series(0, 500, T0, 1000);
    rig.start();
    await rig.clock.advanceAsync(HOUR);
    const st = rig.status();
    t.is(rig.history(0).length, 0);
    t.is(rig.storeStats().pending, 500, "nothing dropped while the server refused");
    t.deepEqual(st.dropped, { tooOld: 0, rejected: 0, badPin: 0, unresolvedTime: 0 });
    t.is(st.state, "backoff");
    t.deepEqual(st.lastReply, { status: 400, message: "Injected fault: status 400." }, "the server's own words in the status");
    const during = rig.requests();
    t.true(during <= 30, `${during} requests in the hour: bounded by the backoff (1 s doubling to 10 min, full jitter)`);
    t.true(during >= 5, `${during} requests: it kept trying`);
    rig.server.setFaults({});
    t.true(await rig.drain(2 * HOUR), "delivered after the server recovered");
    t.is(rig.history(0).length, 500);
    t.is(rig.server.stats().duplicates, 0);
    t.is(rig.storeStats().pending, 0);
    t.log(`${during} requests during the hour of refusals, ${rig.requests() - during} to deliver 500 readings after it`);
  } finally {
    await rig.close();
  }
});

test("429, 503 and a 403 with an unknown wording are waited out, the readings kept", async (t) => {
  for (const status of [429, 503, 403]) {
    const rig = await makeRig({ faults: { failNext: 3, failStatus: status } });
    try {
      rig.series(0, 50, T0, 1000);
      rig.start();
      t.true(await rig.drain(HOUR), `status ${status}`);
      t.is(rig.history(0).length, 50);
      t.is(rig.storeStats().dropped.rejected ?? 0, 0);
    } finally {
      await rig.close();
    }
  }
});

/**
 * A peer that refuses, with a wording nobody documents, any batch holding one poisoned value,
 * and stores everything else: the one case where a reading is bad and its neighbours are not.
 */
async function poisonServer(poison: number): Promise<{ server: Server; port: number; stored: number[]; refused: number }> {
  const stored: number[] = [];
  const peer = { server: undefined as unknown as Server, port: 0, stored, refused: 0 };
  peer.server = createServer((req, res) => {
    let body = "";
    req.setEncoding("latin1");
    req.on("data", (d: string) => (body += d));
    req.on("end", () => {
      const points = JSON.parse(body) as Array<[number, number]>;
      if (points.some((p) => p[1] === poison)) {
        peer.refused++;
        res.writeHead(400, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ error: { message: "Value rejected by datastream settings." } }));
        return;
      }
      for (const p of points) stored.push(p[1]);
      res.writeHead(200);
      res.end();
    });
  });
  await new Promise<void>((r) => peer.server.listen(0, "127.0.0.1", r));
  peer.port = (peer.server.address() as { port: number }).port;
  return peer;
}

for (const at of [0, 137, 299]) {
  test(`one reading refused alone while its neighbours are accepted (at ${at} of 300): only it is dropped as rejected`, async (t) => {
    const poison = 0.5 + at;
    const peer = await poisonServer(poison);
    const rig = await makeRig({ routePort: peer.port, config: { maxPointsPerRequest: 100 } });
    try {
      rig.series(0, 300, T0, 1000);
      rig.start();
      t.true(await rig.drain(6 * HOUR));
      const st = rig.status();
      t.is(st.dropped.rejected, 1);
      t.is(rig.storeStats().pending, 0);
      const expected = Array.from({ length: 300 }, (_, i) => 0.5 + i).filter((v) => v !== poison);
      t.deepEqual(
        [...peer.stored].sort((a, b) => a - b),
        expected,
        "every other reading delivered exactly once",
      );
      t.log(`${rig.requests()} requests, ${peer.refused} refused`);
    } finally {
      await rig.close();
      peer.server.close();
    }
  });
}
