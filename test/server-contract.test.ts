// The device API contract of the local server (docs/blynk-device-api.md): documented
// messages and statuses in the documented order, value types, clamping, limits at their edges,
// and each configurable behaviour both ways.
import test from "ava";
import { MSG } from "../src/host/server/index.ts";
import { DEVICES, TOKEN, errorBody, fakeClock, get, points, postBatch, start } from "./helpers/server-client.ts";

const DAY = 86_400_000;

test("errors come in the documented order: token, pin, datastream, content type, batch size", async (t) => {
  const clock = fakeClock();
  const server = await start({ clock: clock.now });
  const tooMany = points(10_001, clock.now(), () => "not a number");
  const cases: [string, Parameters<typeof postBatch>[2], string][] = [
    ["bad everything", { token: "nope", pin: "X9", contentType: "text/plain" }, MSG.invalidToken],
    ["no token", { token: null, pin: "X9", contentType: null }, MSG.invalidToken],
    ["bad pin", { pin: "X9", contentType: "text/plain" }, MSG.wrongPin],
    ["no pin", { pin: null, contentType: null }, MSG.wrongPin],
    ["pin without datastream", { pin: "V7", contentType: "text/plain" }, MSG.noDatastream],
    ["content type", { contentType: "text/plain" }, MSG.contentType],
    ["no content type", { contentType: null }, MSG.contentType],
    ["batch size", {}, MSG.tooMuchData(10_000)],
  ];
  for (const [name, opts, message] of cases) {
    const r = await postBatch(server, tooMany, opts);
    t.is(r.status, 400, name);
    t.is(r.text, errorBody(message), name);
    t.regex(r.headers.get("content-type") ?? "", /^application\/json/, name);
  }
  t.is(MSG.tooMuchData(10_000), "Too much data in batch. Maximum batch size is 10000 points.");
  t.deepEqual(server.history(TOKEN, "V0"), []);
  await server.close();
});

test("the token and parameter names are case-sensitive; pins V0..V255 in either case", async (t) => {
  const server = await start();
  const body = points(1, Date.now());
  const upper = await fetch(`${server.url}/external/api/batch/update?Token=${TOKEN}&pin=V0`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  t.is(await upper.text(), errorBody(MSG.invalidToken));
  t.is((await postBatch(server, body, { token: TOKEN.toLowerCase() })).text, errorBody(MSG.invalidToken));
  for (const pin of ["V0", "v0", "V255", "v255"])
    t.is((await postBatch(server, pin.endsWith("255") ? [[Date.now(), 7]] : body, { pin })).status, 200, pin);
  for (const pin of ["V256", "V01", "V-1", "0", "", "V", "VV1", "V1.0", " V1", "A1"]) {
    t.is((await postBatch(server, body, { pin })).text, errorBody(MSG.wrongPin), `pin "${pin}"`);
  }
  await server.close();
});

test("Content-Type must be application/json; a UTF-8 charset parameter and any case are accepted", async (t) => {
  const server = await start();
  const body = points(1, Date.now());
  for (const ct of [
    "application/json",
    "application/json; charset=utf-8",
    "Application/JSON;charset=UTF-8",
    'application/json; charset="utf-8"',
  ]) {
    t.is((await postBatch(server, body, { contentType: ct })).status, 200, ct);
  }
  for (const ct of [
    "text/plain",
    "application/x-www-form-urlencoded",
    "application/jsonx",
    "application/json; charset=utf-16",
    "application/json; charset=latin1",
    "json",
  ]) {
    t.is((await postBatch(server, body, { contentType: ct })).text, errorBody(MSG.contentType), ct);
  }
  await server.close();
});

test("batch size: 10,000 points pass, 10,001 do not; the limit is configurable", async (t) => {
  const clock = fakeClock();
  const server = await start({ clock: clock.now, limits: { dailyQuota: 1_000_000 } });
  t.is((await postBatch(server, points(9_999, clock.now()))).status, 200);
  t.is((await postBatch(server, points(10_000, clock.now()))).text, "OK");
  const over = await postBatch(server, points(10_001, clock.now()));
  t.is(over.status, 400);
  t.is(over.text, errorBody("Too much data in batch. Maximum batch size is 10000 points."));
  t.is(server.history(TOKEN, "V0").length, 19_999);
  await server.close();

  const small = await start({ limits: { maxBatch: 5 } });
  t.is((await postBatch(small, points(5, Date.now()))).status, 200);
  t.is((await postBatch(small, points(6, Date.now()))).text, errorBody("Too much data in batch. Maximum batch size is 5 points."));
  await small.close();
});

test("each value type: accepted values are stored as given, others answer the documented 400", async (t) => {
  const clock = fakeClock();
  const server = await start({ clock: clock.now });
  const ts = clock.now();
  const s1024 = "x".repeat(1024);
  const e512 = "é".repeat(512); // 1024 UTF-8 bytes
  const cases: { pin: string; good: [unknown, unknown][]; bad: unknown[] }[] = [
    {
      pin: "V255",
      good: [
        [2147483647, 2147483647],
        [-2147483648, -2147483648],
        [0, 0],
        [42, 42],
      ],
      bad: [2147483648, -2147483649, 1.5, "5", null, true, [1]],
    },
    {
      pin: "V0",
      good: [
        [36.6, 36.6],
        [-1e308, -1e308],
        [0, 0],
        [7, 7],
      ],
      bad: ["36.6", null, false, {}, [1, 2]],
    },
    {
      pin: "V3",
      good: [
        [true, 1],
        [false, 0],
        [1, 1],
        [0, 0],
      ],
      bad: [2, -1, "true", 0.5, null],
    },
    {
      pin: "V4",
      good: [
        [0, 0],
        [1, 1],
        [2, 2],
      ],
      bad: [3, -1, 1.5, "1", null],
    },
    {
      pin: "V5",
      good: [
        ["text", "text"],
        ["", ""],
        [s1024, s1024],
        [e512, e512],
        ["日本", "日本"],
      ],
      bad: [5, null, true, "x".repeat(1025), "é".repeat(513), ["a"]],
    },
    {
      pin: "V6",
      good: [
        [
          [24.1, 56.9],
          [24.1, 56.9],
        ],
        [
          [-180, -90],
          [-180, -90],
        ],
        [
          [180, 90],
          [180, 90],
        ],
      ],
      bad: [[181, 0], [0, 91], [0, -90.5], [1], [1, 2, 3], ["1", "2"], "1,2", 5],
    },
  ];
  for (const c of cases) {
    const r = await postBatch(
      server,
      c.good.map(([v], i) => [ts + i, v]),
      { pin: c.pin },
    );
    t.is(r.status, 200, `${c.pin} good values`);
    t.deepEqual(
      server.history(TOKEN, c.pin),
      c.good.map(([, stored], i) => [ts + i, stored]),
      c.pin,
    );
    for (const v of c.bad) {
      const bad = await postBatch(server, [[ts + 100, v]], { pin: c.pin });
      t.is(bad.text, errorBody(MSG.valueMismatch), `${c.pin} ${JSON.stringify(v)?.slice(0, 20)}`);
    }
    t.is(server.history(TOKEN, c.pin).length, c.good.length, `${c.pin}: nothing of the rejected requests stored`);
  }
  await server.close();
});

test("numbers are clamped to the datastream's min/max, by batch and by update", async (t) => {
  const clock = fakeClock();
  const server = await start({ clock: clock.now });
  const ts = clock.now();
  await postBatch(
    server,
    [
      [ts, -5],
      [ts + 1, 150],
      [ts + 2, 50],
      [ts + 3, 0],
      [ts + 4, 100],
    ],
    { pin: "V1" },
  );
  t.deepEqual(
    server.history(TOKEN, "V1").map((p) => p[1]),
    [0, 100, 50, 0, 100],
  );
  await postBatch(
    server,
    [
      [ts, -100.5],
      [ts + 1, 85.01],
      [ts + 2, 20.25],
    ],
    { pin: "V2" },
  );
  t.deepEqual(
    server.history(TOKEN, "V2").map((p) => p[1]),
    [-40, 85, 20.25],
  );
  t.is(server.stats().clamped, 4);
  t.is((await get(server, `/external/api/update?token=${TOKEN}&V1=1000`)).status, 200);
  t.is((await get(server, `/external/api/get?token=${TOKEN}&V1`)).text, "100");
  t.is(server.stats().clamped, 5);
  await server.close();
});

test("wrong-type values in a batch: rejected by default, dropped with badValue=drop", async (t) => {
  const clock = fakeClock();
  const ts = clock.now();
  const body = [
    [ts, 1],
    [ts + 1, "x"],
    [ts + 2, 3],
  ];
  const strict = await start({ clock: clock.now });
  t.is((await postBatch(strict, body)).text, errorBody(MSG.valueMismatch));
  t.deepEqual(strict.history(TOKEN, "V0"), []);
  await strict.close();
  const lenient = await start({ clock: clock.now, limits: { badValue: "drop" } });
  t.is((await postBatch(lenient, body)).text, "OK");
  t.deepEqual(lenient.history(TOKEN, "V0"), [
    [ts, 1],
    [ts + 2, 3],
  ]);
  t.is(lenient.stats().dropped.badValue, 1);
  await lenient.close();
});

test("maximum age: at the edge accepted; older dropped by default or rejected when configured", async (t) => {
  const clock = fakeClock();
  const now = clock.now();
  const edge = now - 30 * DAY;
  const body = [
    [edge - 1, 1],
    [edge, 2],
    [now, 3],
  ];
  const drop = await start({ clock: clock.now });
  t.is((await postBatch(drop, body)).text, "OK");
  t.deepEqual(drop.history(TOKEN, "V0"), [
    [edge, 2],
    [now, 3],
  ]);
  t.is(drop.stats().dropped.tooOld, 1);
  await drop.close();

  const reject = await start({ clock: clock.now, limits: { tooOld: "reject", maxAgeMs: 90 * DAY } });
  const edge90 = now - 90 * DAY;
  t.is((await postBatch(reject, [[edge90, 1]])).status, 200);
  const r = await postBatch(reject, [
    [now, 1],
    [edge90 - 1, 2],
  ]);
  t.is(r.status, 400);
  t.regex(JSON.parse(r.text).error.message, /^Point 1 \(ts \d+\) is too old/);
  t.is(reject.history(TOKEN, "V0").length, 1, "the rejected request stored nothing");
  await reject.close();
});

test("future window: one month ahead accepted; beyond dropped by default or rejected when configured", async (t) => {
  const clock = fakeClock();
  const now = clock.now();
  const edge = now + 31 * DAY;
  const drop = await start({ clock: clock.now });
  t.is(
    (
      await postBatch(drop, [
        [edge, 1],
        [edge + 1, 2],
      ])
    ).text,
    "OK",
  );
  t.deepEqual(drop.history(TOKEN, "V0"), [[edge, 1]]);
  t.is(drop.stats().dropped.tooNew, 1);
  await drop.close();
  const reject = await start({ clock: clock.now, limits: { tooNew: "reject" } });
  const r = await postBatch(reject, [
    [edge, 1],
    [edge + 1, 2],
  ]);
  t.is(r.status, 400);
  t.regex(JSON.parse(r.text).error.message, /too far in the future/);
  t.deepEqual(reject.history(TOKEN, "V0"), []);
  await reject.close();
});

test("daily quota: counted per device per UTC day over all batches; reply 429 or 400 as configured", async (t) => {
  for (const quotaStatus of [429, 400] as const) {
    const clock = fakeClock(Date.UTC(2026, 2, 1, 23, 59));
    const server = await start({ clock: clock.now, limits: { dailyQuota: 10, quotaStatus } });
    t.is((await postBatch(server, points(6, clock.now()))).status, 200);
    const over = await postBatch(server, points(5, clock.now() + 10_000));
    t.is(over.status, quotaStatus);
    t.is(over.text, errorBody(MSG.quota(10)));
    t.is((await postBatch(server, points(4, clock.now() + 10_000))).status, 200, "exactly at the quota");
    t.is((await postBatch(server, points(1, clock.now() + 20_000))).status, quotaStatus, "one over");
    t.is((await postBatch(server, points(1, clock.now()), { token: DEVICES[1].token })).status, 200, "other devices unaffected");
    clock.advance(60_000); // next UTC day
    t.is((await postBatch(server, points(10, clock.now()))).status, 200, "a new day, a new quota");
    t.is(server.history(TOKEN, "V0").length, 20);
    t.is(server.stats().quotaRejected, 2);
    await server.close();
  }
});

test("success bodies: OK for the batch, empty for update; both configurable", async (t) => {
  const def = await start();
  t.is((await postBatch(def, points(1, Date.now()))).text, "OK");
  const u = await get(def, `/external/api/update?token=${TOKEN}&V0=1`);
  t.is(u.status, 200);
  t.is(u.text, "");
  await def.close();
  const custom = await start({ limits: { batchOkBody: "", okBody: "done" } });
  const b = await postBatch(custom, points(1, Date.now()));
  t.is(b.status, 200);
  t.is(b.text, "");
  t.is((await get(custom, `/external/api/update?token=${TOKEN}&V0=1`)).text, "done");
  await custom.close();
});

test("duplicate timestamps are stored twice and counted", async (t) => {
  const clock = fakeClock();
  const server = await start({ clock: clock.now });
  const body = points(5, clock.now());
  await postBatch(server, body);
  await postBatch(server, body);
  await postBatch(server, [
    [clock.now(), 9],
    [clock.now(), 10],
  ]);
  t.is(server.history(TOKEN, "V0").length, 12);
  t.is(server.stats().duplicates, 7);
  const devices = JSON.parse((await get(server, "/api/devices")).text);
  t.is(devices[0].datastreams[0].duplicates, 7);
  t.is((await get(server, `/external/api/get?token=${TOKEN}&V0`)).text, "10.0", "the last of equal timestamps is current");
  await server.close();
});

test("rate limit: 50 requests in a second pass, the 51st gets 429, a second later it passes", async (t) => {
  const clock = fakeClock();
  const server = await start({ clock: clock.now });
  for (let i = 0; i < 50; i++) t.is((await get(server, `/external/api/update?token=${TOKEN}&V0=${i}`)).status, 200);
  const over = await get(server, `/external/api/update?token=${TOKEN}&V0=1`);
  t.is(over.status, 429);
  t.is(over.text, errorBody(MSG.rate(50)));
  t.is((await get(server, `/external/api/update?token=${DEVICES[1].token}&V0=1`)).status, 200, "per device");
  clock.advance(999);
  t.is((await get(server, `/external/api/update?token=${TOKEN}&V0=1`)).status, 429);
  clock.advance(1);
  t.is((await get(server, `/external/api/update?token=${TOKEN}&V0=1`)).status, 200);
  await server.close();
  const off = await start({ clock: clock.now, limits: { rateLimit: 0 } });
  for (let i = 0; i < 60; i++) t.is((await get(off, `/external/api/update?token=${TOKEN}&V0=1`)).status, 200);
  await off.close();
});

test("GET batch/update and update set several pins at the server's time; their errors", async (t) => {
  const clock = fakeClock();
  const server = await start({ clock: clock.now });
  const base = `/external/api/batch/update?token=${TOKEN}`;
  t.is((await get(server, `${base}&V0=1.5&v1=7&V5=hi%20there&V6=24.1,56.9&V3=true`)).status, 200);
  t.deepEqual(server.history(TOKEN, "V0"), [[clock.now(), 1.5]]);
  t.deepEqual(server.history(TOKEN, "V1"), [[clock.now(), 7]]);
  t.deepEqual(server.history(TOKEN, "V5"), [[clock.now(), "hi there"]]);
  t.deepEqual(server.history(TOKEN, "V6"), [[clock.now(), [24.1, 56.9]]]);
  t.deepEqual(server.history(TOKEN, "V3"), [[clock.now(), 1]]);
  t.is((await get(server, `${base}&V0=1&V9=1`)).text, errorBody(MSG.noDatastream));
  t.is((await get(server, `${base}&V0=1&X=1`)).text, errorBody(MSG.wrongPin));
  t.is((await get(server, base)).text, errorBody(MSG.wrongPin));
  t.is((await get(server, `${base}&V0=abc&V1=2`)).text, errorBody(MSG.valueMismatch));
  t.is((await get(server, `/external/api/batch/update?token=bad&V0=1`)).text, errorBody(MSG.invalidToken));
  t.is(server.history(TOKEN, "V1").length, 1, "a failed multi-pin request stores none of its pins");

  const u = `/external/api/update?token=${TOKEN}`;
  clock.advance(1000);
  t.is((await get(server, `${u}&pin=V0&value=2.5`)).status, 200);
  t.is((await get(server, `${u}&V6=1&V6=2`)).status, 200, "location as repeated parameters");
  t.deepEqual(server.history(TOKEN, "V6")[1], [clock.now(), [1, 2]]);
  t.is((await get(server, `${u}&V1=1.5`)).text, errorBody(MSG.valueMismatch));
  t.is((await get(server, `${u}&V3=yes`)).text, errorBody(MSG.valueMismatch));
  t.is((await get(server, `${u}&V4=5`)).text, errorBody(MSG.valueMismatch));
  t.is((await get(server, `${u}&V0=`)).text, errorBody(MSG.valueMismatch));
  t.is((await get(server, `${u}&V0=1e400`)).text, errorBody(MSG.valueMismatch));
  t.is((await get(server, `${u}&V0=0x10`)).text, errorBody(MSG.valueMismatch));
  t.is((await get(server, `${u}&pin=V8&value=1`)).text, errorBody(MSG.noDatastream));
  t.is((await get(server, `${u}&pin=V256&value=1`)).text, errorBody(MSG.wrongPin));
  t.is((await get(server, `${u}&V5=${encodeURIComponent("x".repeat(1025))}`)).text, errorBody(MSG.valueMismatch));
  t.is((await get(server, `/external/api/update?token=nope&V0=1`)).text, errorBody(MSG.invalidToken));
  t.deepEqual(
    server.history(TOKEN, "V0").map((p) => p[1]),
    [1.5, 2.5],
  );
  await server.close();
});

test("get answers the bare value for one pin, lowercase JSON for several; getAll all pins", async (t) => {
  const clock = fakeClock();
  const server = await start({ clock: clock.now });
  const ts = clock.now();
  await postBatch(server, [[ts, 1]], { pin: "V0" });
  await postBatch(server, [[ts, 2]], { pin: "V1" });
  await postBatch(server, [[ts, "a b"]], { pin: "V5" });
  await postBatch(server, [[ts, [24.5, 56]]], { pin: "V6" });
  await postBatch(server, [[ts, true]], { pin: "V3" });
  await postBatch(server, [[ts - 60_000, 99]], { pin: "V0" }); // an older backlog point does not become current
  const g = `/external/api/get?token=${TOKEN}`;
  t.is((await get(server, `${g}&V0`)).text, "1.0");
  t.is((await get(server, `${g}&v1`)).text, "2");
  t.is((await get(server, `${g}&pin=V5`)).text, "a b");
  t.is((await get(server, `${g}&V6`)).text, "24.5,56");
  t.is((await get(server, `${g}&V3`)).text, "true");
  const several = await get(server, `${g}&V0&V1`);
  t.is(several.text, '{"v0":1.0,"v1":2}');
  t.regex(several.headers.get("content-type") ?? "", /^application\/json/);
  t.is((await get(server, `${g}&pin=V0&pin=V1&pin=V0`)).text, '{"v0":1.0,"v1":2}', "a pin named twice is answered once");
  t.is((await get(server, `${g}&V0&v1&V1&v0`)).text, '{"v0":1.0,"v1":2}', "in either case");
  t.is((await get(server, `${g}&pin=V0&pin=V0`)).text, "1.0", "one distinct pin: the bare value");
  t.is((await get(server, `${g}&V2`)).text, errorBody(MSG.noValue));
  t.is((await get(server, `${g}&V9`)).text, errorBody(MSG.noDatastream));
  t.is((await get(server, `${g}&Q1`)).text, errorBody(MSG.wrongPin));
  t.is((await get(server, `/external/api/getAll?token=${TOKEN}`)).text, '{"v0":1.0,"v1":2,"v3":true,"v5":"a b","v6":[24.5,56]}');
  t.is((await get(server, `/external/api/getAll?token=x`)).text, errorBody(MSG.invalidToken));
  await server.close();
});

test("isHardwareConnected: true while the device wrote within the last 60 s", async (t) => {
  const clock = fakeClock();
  const server = await start({ clock: clock.now });
  const ask = async () => (await get(server, `/external/api/isHardwareConnected?token=${TOKEN}`)).text;
  t.is(await ask(), "false");
  await postBatch(server, points(1, clock.now()));
  t.is(await ask(), "true");
  clock.advance(60_000);
  t.is(await ask(), "true");
  clock.advance(1);
  t.is(await ask(), "false");
  t.is((await get(server, `/external/api/isHardwareConnected?token=nope`)).text, errorBody(MSG.invalidToken));
  await server.close();
});

test("logEvent stores events, at most the daily limit per device", async (t) => {
  const clock = fakeClock();
  const server = await start({ clock: clock.now, limits: { dailyEvents: 3 } });
  const e = `/external/api/logEvent?token=${TOKEN}`;
  for (let i = 0; i < 3; i++) t.is((await get(server, `${e}&code=overheat&description=t%3D${90 + i}`)).status, 200);
  const over = await get(server, `${e}&code=overheat`);
  t.is(over.status, 429);
  t.is(over.text, errorBody(MSG.events(3)));
  t.is((await get(server, e)).status, 400, "code is required");
  const events = JSON.parse((await get(server, "/api/events?device=bench")).text);
  t.deepEqual(
    events.map((x: { description: string }) => x.description),
    ["t=92", "t=91", "t=90"],
  );
  clock.advance(DAY);
  t.is((await get(server, `${e}&code=overheat`)).status, 200);
  t.is(server.stats().events, 4);
  await server.close();
});

test("the history API reads a pin's points by device id, name or token, within a time range", async (t) => {
  const clock = fakeClock();
  const server = await start({ clock: clock.now });
  const body = points(10, clock.now());
  await postBatch(server, body);
  const byId = JSON.parse((await get(server, "/api/history?device=1&pin=V0")).text);
  t.deepEqual(byId.points, body);
  t.is(byId.type, "double");
  const byName = JSON.parse((await get(server, `/api/history?device=bench&pin=v0&from=${body[2][0]}&to=${body[4][0]}`)).text);
  t.deepEqual(byName.points, body.slice(2, 5));
  const byToken = JSON.parse((await get(server, `/api/history?token=${TOKEN}&pin=V0&limit=3`)).text);
  t.deepEqual(byToken.points, body.slice(7), "the newest `limit` points");
  t.is((await get(server, "/api/history?device=99&pin=V0")).status, 404);
  t.is((await get(server, "/api/history?device=1&pin=V999")).status, 400);
  t.is((await get(server, "/api/history?device=1&pin=V0&from=yesterday")).status, 400);
  const devices = JSON.parse((await get(server, "/api/devices")).text);
  t.is(devices[0].token, "test…tuv0", "tokens are masked on the page API");
  t.false(JSON.stringify(devices).includes(TOKEN));
  await server.close();
});
