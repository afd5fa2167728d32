// Fault injection: each kind, from options, setFaults() and the admin call; seeded, so repeatable.
import test from "ava";
import { startServer } from "../src/host/server/index.ts";
import { TOKEN, fakeClock, get, httpRequest, points, postBatch, start } from "./helpers/server-client.ts";

const FAST = { limits: { rateLimit: 0, dailyQuota: 1_000_000 } };

test("failNext fails exactly the next N API requests with the given status, storing nothing", async (t) => {
  const server = await start({ ...FAST, faults: { failNext: 3, failStatus: 500 } });
  const statuses = [];
  for (let i = 0; i < 5; i++) statuses.push((await postBatch(server, [[Date.now(), i]])).status);
  t.deepEqual(statuses, [500, 500, 500, 200, 200]);
  t.deepEqual(
    server.history(TOKEN, "V0").map((p) => p[1]),
    [3, 4],
  );
  t.is(server.stats().faults.fail, 3);
  server.setFaults({ failNext: 1 });
  const r = await postBatch(server, points(1, Date.now()));
  t.is(r.status, 503, "503 by default");
  t.is(JSON.parse(r.text).error.message, "Injected fault: status 503.");
  t.is((await get(server, "/api/devices")).status, 200, "the page API is never faulted");
  await server.close();
});

test("failRate fails about that fraction, the same requests for the same seed", async (t) => {
  const run = async (seed: number) => {
    const server = await start({ ...FAST, faults: { failRate: 0.3, seed } });
    const pattern: boolean[] = [];
    for (let i = 0; i < 200; i++) pattern.push((await postBatch(server, [[Date.now(), i]])).status === 503);
    const stored = server.history(TOKEN, "V0").length;
    await server.close();
    return { pattern, stored };
  };
  const a = await run(7);
  const b = await run(7);
  const c = await run(8);
  const failures = a.pattern.filter(Boolean).length;
  t.true(failures > 35 && failures < 85, `${failures} of 200 failed`);
  t.is(a.stored, 200 - failures, "failed requests stored nothing");
  t.deepEqual(a.pattern, b.pattern);
  t.notDeepEqual(a.pattern, c.pattern);
});

test("latency delays each API request", async (t) => {
  const server = await start({ ...FAST, faults: { latencyMs: 150 } });
  const t0 = performance.now();
  t.is((await postBatch(server, points(1, Date.now()))).status, 200);
  t.true(performance.now() - t0 >= 145);
  server.setFaults({});
  await postBatch(server, points(1, Date.now()));
  // Not timed (a loaded machine can be slow for other reasons): the server counts delays.
  t.is(server.stats().faults.delayed, 1, "no latency once the faults are cleared");
  await server.close();
});

test("hang never answers and stores nothing; close() still returns", async (t) => {
  const server = await start({ ...FAST, faults: { hangRate: 1 } });
  let error: unknown;
  try {
    await fetch(`${server.url}/external/api/batch/update?token=${TOKEN}&pin=V0`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(points(3, Date.now())),
      signal: AbortSignal.timeout(300),
    });
  } catch (err) {
    error = err;
  }
  t.is((error as DOMException | undefined)?.name, "TimeoutError");
  t.deepEqual(server.history(TOKEN, "V0"), []);
  const left = fetch(`${server.url}/external/api/update?token=${TOKEN}&V0=1`).then(
    (r) => `answered ${r.status}`,
    () => "cut",
  );
  // Wait for the request to arrive (a loaded machine can take a while), not for a fixed time.
  for (let i = 0; i < 250 && server.stats().faults.hang < 2; i++) await new Promise((r) => setTimeout(r, 20));
  t.is(server.stats().faults.hang, 2);
  await server.close();
  t.is(await left, "cut", "close() cuts a hung request");
});

test("dropBefore closes the connection without storing; dropAfter stores first: the lost 200", async (t) => {
  const server = await start({ ...FAST, faults: { dropBeforeRate: 1 } });
  const body = points(5, Date.now());
  await t.throwsAsync(postBatch(server, body), { message: /fetch failed/ });
  t.deepEqual(server.history(TOKEN, "V0"), []);

  server.setFaults({ dropAfterRate: 1 });
  await t.throwsAsync(postBatch(server, body), { message: /fetch failed/ });
  t.deepEqual(server.history(TOKEN, "V0"), body, "stored although the device never heard back");
  server.setFaults({});
  t.is((await postBatch(server, body)).status, 200, "the device's retry");
  t.is(server.stats().duplicates, 5, "the retry after a lost 200 duplicates every point");
  t.deepEqual(server.stats().faults, { fail: 0, hang: 0, dropBefore: 1, dropAfter: 1, redirect: 0, delayed: 0 });
  await server.close();
});

test("redirect answers 308 with the full URL on the region port, which serves the same data", async (t) => {
  const server = await start({ ...FAST, regionPort: 0, faults: { redirect: true } });
  t.truthy(server.regionUrl);
  t.not(server.regionUrl, server.url);
  const body = points(4, Date.now());
  const r = await postBatch(server, body);
  t.is(r.status, 308);
  const location = r.headers.get("location") ?? "";
  t.is(location, `${server.regionUrl}/external/api/batch/update?token=${TOKEN}&pin=V0`);
  t.deepEqual(server.history(TOKEN, "V0"), []);
  const again = await fetch(location, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  t.is(again.status, 200);
  t.is(await again.text(), "OK");
  t.deepEqual(server.history(TOKEN, "V0"), body);
  const followed = await fetch(`${server.url}/external/api/batch/update?token=${TOKEN}&pin=V1`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "[[1790000000000,5]]",
  });
  t.is(followed.status, 200, "fetch repeats the POST with its body after a 308");
  t.is(server.stats().faults.redirect, 2);
  await server.close();
  const plain = await start();
  t.throws(() => plain.setFaults({ redirect: true }), { message: /needs a region listener/ });
  await plain.close();
});

test("faults can be set at run time through POST /api/faults, and bad ones are refused", async (t) => {
  const server = await start(FAST);
  const set = (body: string) =>
    fetch(`${server.url}/api/faults`, { method: "POST", headers: { "content-type": "application/json" }, body });
  const ok = await set('{"failNext":2,"failStatus":502}');
  t.is(ok.status, 200);
  t.deepEqual(await ok.json(), { failNext: 2, failStatus: 502 });
  t.is((await postBatch(server, points(1, Date.now()))).status, 502);
  t.deepEqual(JSON.parse((await get(server, "/api/faults")).text), { failNext: 1, failStatus: 502 });
  for (const bad of ['{"failRate":2}', '{"hangs":1}', "{", '{"failStatus":"x"}']) {
    const r = await set(bad);
    t.is(r.status, 400, bad);
    t.truthy(((await r.json()) as { error: { message: string } }).error.message, bad);
  }
  t.is((await postBatch(server, points(1, Date.now()))).status, 502, "a refused update leaves the faults as they were");
  t.is((await set("{}")).status, 200);
  t.is((await postBatch(server, points(1, Date.now()))).status, 200);
  await server.close();
});

test("failForMs answers any status and message to every request for a while (server clock), then recovers", async (t) => {
  const clock = fakeClock();
  const HOUR = 3_600_000;
  const message = "Plan limits reached. Please contact your administrator.";
  const server = await start({ ...FAST, clock: clock.now, faults: { failForMs: HOUR, failStatus: 400, failMessage: message } });
  for (let i = 0; i < 3; i++) {
    const r = await postBatch(server, points(2, clock.now()));
    t.is(r.status, 400);
    t.is(JSON.parse(r.text).error.message, message);
    clock.advance(HOUR / 3 - 1);
  }
  t.deepEqual(server.history(TOKEN, "V0"), [], "nothing stored while failing");
  clock.advance(3);
  t.is((await postBatch(server, points(2, clock.now()))).status, 200, "recovered after the hour");
  t.is(server.stats().faults.fail, 3);

  server.setFaults({ failForMs: 1000, failStatus: 502, failBody: "<html>Bad gateway</html>" });
  const raw = await postBatch(server, points(1, clock.now()));
  t.is(raw.status, 502);
  t.is(raw.text, "<html>Bad gateway</html>", "the exact body");
  t.regex(raw.headers.get("content-type") ?? "", /^text\/plain/);
  server.setFaults({ failNext: 1, failStatus: 400, failBody: "" });
  const empty = await postBatch(server, points(1, clock.now()));
  t.is(empty.status, 400);
  t.is(empty.text, "");
  t.throws(() => server.setFaults({ failMessage: "a", failBody: "b" }), { message: /not both/ });
  await server.close();
});

test("POST /api/faults refuses cross-site requests: wrong Origin or Host, Sec-Fetch-Site, other content types", async (t) => {
  const server = await start(FAST);
  const host = `127.0.0.1:${server.port}`;
  const post = (headers: Record<string, string>) =>
    httpRequest(`${server.url}/api/faults`, { method: "POST", headers: { host, ...headers }, body: '{"failNext":5}' });
  const JSON_CT = { "content-type": "application/json" };
  const refused: [string, Record<string, string>, number][] = [
    ["a form post from another site", { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" }, 403],
    ["JSON from another origin", { ...JSON_CT, origin: "https://evil.example" }, 403],
    ["same host, another port", { ...JSON_CT, origin: `http://127.0.0.1:${server.port + 1}` }, 403],
    ["Sec-Fetch-Site cross-site", { ...JSON_CT, "sec-fetch-site": "cross-site" }, 403],
    [
      "DNS rebinding (a foreign Host, same-origin to the browser)",
      { ...JSON_CT, host: `evil.example:${server.port}`, origin: `http://evil.example:${server.port}` },
      403,
    ],
    ["text/plain (a no-preflight fetch)", { "content-type": "text/plain" }, 415],
    ["no content type", {}, 415],
  ];
  for (const [what, headers, status] of refused) {
    const r = await post(headers);
    t.is(r.status, status, what);
    t.truthy(JSON.parse(r.text).error.message, what);
  }
  t.deepEqual(server.faults(), {}, "no refused request changed the faults");
  const page = await post({ ...JSON_CT, origin: `http://${host}`, "sec-fetch-site": "same-origin" });
  t.is(page.status, 200, "the page itself");
  t.is((await post({ ...JSON_CT, host: `localhost:${server.port}` })).status, 200, "curl on localhost");
  t.deepEqual(server.faults(), { failNext: 5 });
  await server.close();
});

test("invalid fault options are refused at start", async (t) => {
  await t.throwsAsync(startServer({ db: ":memory:", quiet: true, faults: { failRate: -1 } }), { message: /failRate must be >= 0/ });
  await t.throwsAsync(startServer({ db: ":memory:", quiet: true, faults: { redirect: true } }), { message: /region/ });
});

test("the request log has one JSON line per API request with a masked token", async (t) => {
  const lines: string[] = [];
  const clock = fakeClock();
  const server = await startServer({
    db: ":memory:",
    log: (l) => lines.push(l),
    devices: [{ name: "d", token: TOKEN, datastreams: [{ pin: 1, type: "double" }] }],
    clock: clock.now,
  });
  await postBatch(server, points(3, clock.now()), { pin: "V1" });
  await postBatch(server, points(3, clock.now()), { pin: "V2" });
  server.setFaults({ dropAfterRate: 1 });
  await postBatch(server, points(3, clock.now()), { pin: "V1" }).catch(() => undefined);
  await get(server, "/api/devices");
  await server.close();
  const entries = lines.map((l) => JSON.parse(l));
  t.is(entries.length, 3, "page requests are not logged");
  t.like(entries[0], { method: "POST", path: "/external/api/batch/update", device: "test…tuv0", pin: "V1", points: 3, status: 200 });
  t.like(entries[1], { pin: "V2", status: 400, error: "No datastream setup for that pin." });
  t.like(entries[2], { status: "dropped", fault: "dropAfter" });
  t.is(typeof entries[0].ms, "number");
  t.false(lines.join("\n").includes(TOKEN));
});
