// The cloud-like mode: the server answers as Blynk.Cloud documents or is reported to, with
// wordings the device was not written against. Off unless asked for.
import test from "ava";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_CLOUD_REPLIES, MSG, startServer } from "../src/host/server/index.ts";
import { DEVICES, OTHER_TOKEN, TOKEN, errorBody, fakeClock, get, httpRequest, points, postBatch, start } from "./helpers/server-client.ts";

const DAY = 86_400_000;
/** The words the device's reply classifier looks for (src/device/uplink/reply.ts). */
const DEVICE_QUOTA_WORDS = /quota|daily|per day/i;

function messageOf(text: string): string {
  return (JSON.parse(text) as { error: { message: string } }).error.message;
}

test("off by default: the local server's documented-style replies", async (t) => {
  const server = await start({ limits: { dailyQuota: 2 } });
  t.is(server.cloud(), undefined);
  const r = await postBatch(server, points(3, Date.now()));
  t.is(r.status, 429);
  t.is(r.text, errorBody(MSG.quota(2)));
  await server.close();
});

test("the daily points quota answers an undocumented wording and status, configurable", async (t) => {
  const clock = fakeClock();
  const server = await start({ clock: clock.now, cloud: true, limits: { dailyQuota: 5 } });
  t.is((await postBatch(server, points(5, clock.now()))).status, 200);
  const over = await postBatch(server, points(1, clock.now() + 1000));
  t.is(over.status, DEFAULT_CLOUD_REPLIES.dailyPoints.status);
  t.is(messageOf(over.text), DEFAULT_CLOUD_REPLIES.dailyPoints.message);
  t.notRegex(messageOf(over.text), DEVICE_QUOTA_WORDS, "nothing the device's classifier would recognise");
  for (const reply of Object.values(DEFAULT_CLOUD_REPLIES)) t.notRegex(reply.message, DEVICE_QUOTA_WORDS);
  t.deepEqual(new Set(Object.values(DEFAULT_CLOUD_REPLIES).map((r) => r.status)).size > 1, true, "statuses vary");
  server.setCloud({ replies: { dailyPoints: { status: 429, message: "Slow down." } } });
  t.is((await postBatch(server, points(1, clock.now() + 2000))).text, errorBody("Slow down."));
  clock.advance(DAY);
  t.is((await postBatch(server, points(1, clock.now()))).status, 200, "the next UTC day");
  await server.close();
});

test("monthly messages: every request with a valid token counts, for the whole server; refused ones do not; kept across a restart", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "spool-cloud-"));
  const clock = fakeClock(Date.UTC(2026, 2, 31, 23));
  const db = join(dir, "cloud.sqlite");
  try {
    const server = await start({ db, clock: clock.now, cloud: { monthlyMessages: 4 } });
    t.is((await postBatch(server, points(1, clock.now()))).status, 200);
    t.is((await postBatch(server, points(1, clock.now()), { pin: "V9" })).status, 400, "a refused upload is still a message");
    t.is((await get(server, `/external/api/get?token=${TOKEN}&V0`)).status, 200, "reads are messages too");
    t.is(
      (await postBatch(server, points(1, clock.now()), { token: "nobody" })).text,
      errorBody(MSG.invalidToken),
      "an unknown token is not",
    );
    t.is(
      (await postBatch(server, points(1, clock.now()), { token: OTHER_TOKEN })).status,
      200,
      "the other device shares the organisation's messages",
    );
    const over = await postBatch(server, points(1, clock.now() + 1));
    t.is(over.status, DEFAULT_CLOUD_REPLIES.monthlyMessages.status);
    t.is(messageOf(over.text), DEFAULT_CLOUD_REPLIES.monthlyMessages.message);
    t.is((await get(server, `/external/api/get?token=${TOKEN}&V0`)).status, DEFAULT_CLOUD_REPLIES.monthlyMessages.status);
    t.is(server.stats().messages, 4);
    t.is(server.stats().planRefused, 2);
    await server.close();

    const again = await start({ db, clock: clock.now, cloud: { monthlyMessages: 4 } });
    t.is(
      (await postBatch(again, points(1, clock.now() + 2))).status,
      DEFAULT_CLOUD_REPLIES.monthlyMessages.status,
      "the month's count survives a restart",
    );
    clock.advance(3_600_000);
    t.is((await postBatch(again, points(1, clock.now()))).status, 200, "a new UTC month");
    t.is(again.history(TOKEN, "V0").length, 2);
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a blocked organisation and a device not activated answer their own replies, set at start or at run time", async (t) => {
  const server = await start({ cloud: { notActivated: ["other"] } });
  const other = await postBatch(server, points(1, Date.now()), { token: OTHER_TOKEN });
  t.is(other.status, DEFAULT_CLOUD_REPLIES.notActivated.status);
  t.is(messageOf(other.text), DEFAULT_CLOUD_REPLIES.notActivated.message);
  t.is((await postBatch(server, points(1, Date.now()))).status, 200);
  server.setCloud({ orgBlocked: true, replies: { orgBlocked: { status: 402, message: "Payment required." } } });
  t.is((await postBatch(server, points(1, Date.now() + 1))).text, errorBody("Payment required."));
  t.is((await get(server, `/external/api/update?token=${TOKEN}&V0=1`)).status, 402);
  server.setCloud({ orgBlocked: false });
  t.is((await postBatch(server, points(1, Date.now() + 2))).status, 200, "unblocked");
  t.is(server.cloud()?.replies.orgBlocked.status, 402, "run-time changes merge into the current options");
  t.throws(() => server.setCloud({ replies: { orgBlocked: { status: 200, message: "x" } } }), {
    message: /cloud\/replies\/orgBlocked\/status must be >= 400/,
  });
  t.is(server.stats().pointsStored, 2, "only the accepted uploads stored points");
  await server.close();
});

test("the wrong region: 308 with an empty body and an https Location even over plain http; or GeoDNS's Invalid token.", async (t) => {
  const server = await start({ regionPort: 0, cloud: true, faults: { redirect: true } });
  const path = `/external/api/batch/update?token=${TOKEN}&pin=V0`;
  const r = await httpRequest(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "[[1790000000000,1]]",
  });
  t.is(r.status, 308);
  t.is(r.text, "");
  const head = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "[]",
    redirect: "manual",
  });
  t.is(head.headers.get("content-length"), "0");
  t.is(
    head.headers.get("location"),
    `https://127.0.0.1:${new URL(server.regionUrl as string).port}${path}`,
    "https although the server speaks http",
  );
  t.true(server.url.startsWith("http://"));
  server.setCloud({ regionHost: "fra1.blynk.test" });
  const named = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "[]",
    redirect: "manual",
  });
  t.is(named.headers.get("location"), `https://fra1.blynk.test${path}`);
  server.setCloud({ wrongRegion: "invalidToken" });
  const geo = await postBatch(server, points(1, Date.now()));
  t.is(geo.status, 400);
  t.is(geo.text, errorBody(MSG.invalidToken), "indistinguishable from a wrong token");
  t.deepEqual(server.history(TOKEN, "V0"), []);
  await server.close();

  const noRegion = await start({ cloud: { wrongRegion: "invalidToken" }, faults: { redirect: true } });
  t.is((await postBatch(noRegion, points(1, Date.now()))).text, errorBody(MSG.invalidToken), "no region listener needed for GeoDNS");
  await noRegion.close();
});

test("datastreams without raw data keep one averaged point per minute; rawData keeps every point; the quota counts what was sent", async (t) => {
  const clock = fakeClock();
  const devices = [
    {
      ...DEVICES[0],
      datastreams: [
        { pin: "V0", type: "double" as const },
        { pin: "V1", type: "integer" as const },
        { pin: "V5", type: "string" as const },
        { pin: "V7", type: "double" as const, rawData: true },
      ],
    },
  ];
  const server = await start({ clock: clock.now, devices, cloud: true, limits: { dailyQuota: 100 } });
  const minute = Math.floor(clock.now() / 60_000) * 60_000 - 10 * 60_000;
  const series: [number, number][] = [
    [minute + 1_000, 10],
    [minute + 20_000, 11],
    [minute + 59_999, 13],
    [minute + 60_000, 20],
    [minute + 125_000, 30],
  ];
  t.is((await postBatch(server, series, { pin: "V0" })).status, 200);
  t.deepEqual(server.history(TOKEN, "V0"), [
    [minute, (10 + 11 + 13) / 3],
    [minute + 60_000, 20],
    [minute + 120_000, 30],
  ]);
  t.is((await postBatch(server, [[minute + 30_000, 2]], { pin: "V0" })).status, 200);
  t.deepEqual(server.history(TOKEN, "V0")[0], [minute, (10 + 11 + 13 + 2) / 4], "a later upload into the same minute joins its average");
  t.is(
    (
      await postBatch(
        server,
        [
          [minute, 1],
          [minute + 1, 2],
        ],
        { pin: "V1" },
      )
    ).status,
    200,
  );
  t.deepEqual(server.history(TOKEN, "V1"), [[minute, 2]], "an integer's average is rounded");
  t.is(
    (
      await postBatch(
        server,
        [
          [minute, "a"],
          [minute + 5, "b"],
        ],
        { pin: "V5" },
      )
    ).status,
    200,
  );
  t.deepEqual(server.history(TOKEN, "V5"), [[minute, "b"]], "a string keeps the minute's last value");
  t.is((await postBatch(server, series, { pin: "V7" })).status, 200);
  t.deepEqual(server.history(TOKEN, "V7"), series, "rawData: every point as sent");
  const used = server.db.prepare("SELECT points FROM usage").pluck().get();
  t.is(used, 5 + 1 + 2 + 2 + 5, "the daily quota counts the points sent, not the averages kept");
  t.like(JSON.parse((await get(server, "/api/devices")).text)[0].datastreams[0], { pin: "V0", points: 3 });
  await server.close();

  const local = await start({ clock: clock.now, devices });
  t.is((await postBatch(local, series, { pin: "V0" })).status, 200);
  t.deepEqual(local.history(TOKEN, "V0"), series, "outside cloud mode every point is kept");
  await local.close();
});

test("limits are options in cloud mode too: a 3-month age window, a 100k daily quota", async (t) => {
  const clock = fakeClock();
  const old: [number, number][] = [[clock.now() - 60 * DAY, 1]];
  const monthly = await start({ clock: clock.now, cloud: true });
  t.is((await postBatch(monthly, old)).status, 200);
  t.deepEqual(monthly.history(TOKEN, "V0"), [], "older than the default month: dropped");
  await monthly.close();
  const plan = await start({ clock: clock.now, cloud: true, limits: { maxAgeMs: 92 * DAY, dailyQuota: 100_000 } });
  t.is((await postBatch(plan, old)).status, 200);
  t.is(plan.history(TOKEN, "V0").length, 1, "kept under a 3-month window");
  t.is(plan.limits.dailyQuota, 100_000);
  await plan.close();
});

test("invalid cloud options are refused with the field to fix", async (t) => {
  await t.throwsAsync(startServer({ db: ":memory:", quiet: true, cloud: { monthlyMessages: -1 } }), {
    message: /cloud\/monthlyMessages must be >= 0/,
  });
  await t.throwsAsync(startServer({ db: ":memory:", quiet: true, cloud: { wrongRegion: "nowhere" as "redirect" } }), {
    message: /cloud\/wrongRegion/,
  });
  await t.throwsAsync(startServer({ db: ":memory:", quiet: true, cloud: true, faults: { redirect: true } }), { message: /region/ });
});
