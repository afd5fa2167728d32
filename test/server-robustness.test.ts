// Bad input never crashes the server and always gets a clear 4xx; data survives a restart; 100
// devices flushing at once lose nothing.
import test from "ava";
import fc from "fast-check";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { connect } from "node:net";
import { join } from "node:path";
import { MSG, startServer, type DeviceConfig } from "../src/host/server/index.ts";
import { TOKEN, errorBody, get, httpRequest, points, postBatch, rawRequest, start } from "./helpers/server-client.ts";

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "spool-server-"));
}

function messageOf(text: string): string {
  return (JSON.parse(text) as { error: { message: string } }).error.message;
}

test("malformed JSON and wrong shapes get 400 with a message that says what is wrong", async (t) => {
  const server = await start();
  const ts = Date.now();
  const cases: [string, RegExp][] = [
    ["[", /^Malformed JSON: /],
    ["[[1,2],]", /^Malformed JSON: /],
    ["", /^Malformed JSON: the body is empty/],
    ["   \n", /^Malformed JSON: the body is empty/],
    ["{}", /^Body must be a JSON array of \[timestamp, value\] pairs\.$/],
    ["null", /^Body must be a JSON array/],
    ['"[[1,2]]"', /^Body must be a JSON array/],
    ["42", /^Body must be a JSON array/],
    ["[1,2]", /^Point 0 must be a \[timestamp, value\] pair\.$/],
    [`[[${ts},1],[${ts}]]`, /^Point 1 must be a \[timestamp, value\] pair\.$/],
    [`[[${ts},1,2]]`, /^Point 0 must be a \[timestamp, value\] pair/],
    ['[["2026-01-01",1]]', /^Point 0: the timestamp must be a whole number of milliseconds/],
    [`[[${ts}.5,1]]`, /^Point 0: the timestamp must be a whole number/],
    ["[[-1,1]]", /^Point 0: the timestamp must be a whole number/],
    ["[[1e300,1]]", /^Point 0: the timestamp must be a whole number/],
    [`[{"ts":${ts},"value":1}]`, /^Point 0 must be a \[timestamp, value\] pair/],
  ];
  for (const [body, re] of cases) {
    const r = await postBatch(server, body);
    t.is(r.status, 400, body);
    t.regex(messageOf(r.text), re, body);
  }
  t.is((await postBatch(server, [])).status, 200, "an empty batch is accepted and stores nothing");
  t.is((await postBatch(server, points(1, ts))).status, 200, "still serving");
  t.is(server.history(TOKEN, "V0").length, 1);
  await server.close();
});

test("odd encodings: UTF-8 BOM accepted; UTF-16, Latin-1 and NUL-padded bodies get 400", async (t) => {
  const server = await start();
  const ts = Date.now();
  const json = `[[${ts},"héllo"]]`;
  const send = (body: Buffer, contentType = "application/json") =>
    httpRequest(`${server.url}/external/api/batch/update?token=${TOKEN}&pin=V5`, {
      method: "POST",
      headers: { "content-type": contentType },
      body,
    });
  const bom = await send(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)]));
  t.is(bom.status, 200);
  t.deepEqual(server.history(TOKEN, "V5"), [[ts, "héllo"]]);
  for (const [name, body] of [
    ["UTF-16LE with BOM", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(json, "utf16le")])],
    ["UTF-16BE with BOM", Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(json, "utf16le").swap16()])],
    ["Latin-1", Buffer.from(json, "latin1")],
    ["lone continuation byte", Buffer.from([0x5b, 0x80, 0x5d])],
  ] as [string, Buffer][]) {
    const r = await send(body);
    t.is(r.status, 400, name);
    t.is(messageOf(r.text), "Malformed JSON: the body is not valid UTF-8 (send JSON encoded as UTF-8).", name);
  }
  const utf16NoBom = await send(Buffer.from(json, "utf16le"));
  t.is(utf16NoBom.status, 400);
  t.regex(messageOf(utf16NoBom.text), /^Malformed JSON/);
  t.is((await send(Buffer.from(json), "application/json; charset=utf-16")).text, errorBody(MSG.contentType));
  t.is(server.history(TOKEN, "V5").length, 1);
  await server.close();
});

test("request size: 2 MiB including the headers passes, one byte more gets 413", async (t) => {
  const server = await start({ limits: { dailyQuota: 1_000_000 } });
  const limit = server.limits.maxRequestBytes;
  t.is(limit, 2 * 1024 * 1024);
  const request = (total: number) => {
    const path = `/external/api/batch/update?token=${TOKEN}&pin=V0`;
    const json = `[[${Date.now()},1]]`;
    const head = (len: number) =>
      `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${len}\r\nConnection: close\r\n\r\n`;
    const bodyLen = total - Buffer.byteLength(head(1_000_000)); // same digit count as the real length
    return Buffer.concat([Buffer.from(head(bodyLen)), Buffer.from(json + " ".repeat(bodyLen - json.length))]);
  };
  const at = await rawRequest(server, request(limit));
  t.regex(at, /^HTTP\/1\.1 200 /);
  const over = await rawRequest(server, request(limit + 1));
  t.regex(over, /^HTTP\/1\.1 413 /);
  t.true(over.includes("Request too large. Maximum request size is 2097152 bytes"));
  const huge = await postBatch(server, "[" + " ".repeat(5_000_000) + "]");
  t.is(huge.status, 413);
  t.is(server.history(TOKEN, "V0").length, 1);
  t.is((await postBatch(server, points(1, Date.now()))).status, 200, "still serving");
  await server.close();
});

test("unknown paths and methods: 404 / 405 with a JSON error, never a crash", async (t) => {
  const server = await start();
  for (const path of [
    "/nope",
    "/external/api/",
    "/external/api/Update",
    "/external/api/batch/update/",
    "/external/api/%ff%fe",
    "/api/nothing",
    "/favicon.ico",
    "/external/api/batch/update/../get",
  ]) {
    const r = await get(server, path);
    t.is(r.status, 404, path);
    t.truthy(messageOf(r.text), path);
  }
  for (const method of ["PUT", "DELETE", "PATCH"]) {
    const r = await fetch(`${server.url}/external/api/batch/update?token=${TOKEN}&pin=V0`, { method });
    t.is(r.status, 405, method);
    t.regex(messageOf(await r.text()), /use GET or POST/);
  }
  t.is((await get(server, `/external/api/update?token=%zz&V0=1`)).text, errorBody(MSG.invalidToken));
  const garbage = await rawRequest(server, Buffer.from("GARBAGE\r\n\r\n"));
  t.regex(garbage, /^HTTP\/1\.1 400 /);
  t.is((await get(server, `/external/api/update?token=${TOKEN}&V0=1`)).status, 200, "still serving");
  await server.close();
});

test("random bodies, content types and query strings never get a 5xx", async (t) => {
  const server = await start({ limits: { rateLimit: 0 } });
  const ts = Date.now();
  const value = fc.oneof(fc.jsonValue(), fc.double(), fc.string(), fc.tuple(fc.double(), fc.double()));
  const body = fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
    fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? "")),
    fc
      .array(fc.tuple(fc.oneof(fc.constant(ts), fc.integer(), fc.double()), value), { maxLength: 20 })
      .map((v) => Buffer.from(JSON.stringify(v))),
  );
  await fc.assert(
    fc.asyncProperty(
      body,
      fc.constantFrom("V0", "V1", "V3", "V4", "V5", "V6", "V9", "x"),
      fc.constantFrom("application/json", "text/plain", ""),
      async (b, pin, ct) => {
        const headers: Record<string, string> = ct ? { "content-type": ct } : {};
        const r = await httpRequest(`${server.url}/external/api/batch/update?token=${TOKEN}&pin=${pin}`, {
          method: "POST",
          headers,
          body: b,
        });
        if (r.status !== 200) JSON.parse(r.text); // every error is Blynk's JSON body
        return r.status === 200 || r.status === 400;
      },
    ),
    { numRuns: 300 },
  );
  await fc.assert(
    fc.asyncProperty(
      fc.string({ maxLength: 60 }),
      fc.constantFrom("update", "get", "batch/update", "getAll", "logEvent", "isHardwareConnected"),
      async (q, path) => {
        const r = await httpRequest(`${server.url}/external/api/${path}?token=${TOKEN}&${encodeURI(q).replace(/#/g, "%23")}`, {});
        return r.status === 200 || r.status === 400;
      },
    ),
    { numRuns: 200 },
  );
  t.false("500" in server.stats().byStatus, "no 500 answers");
  await server.close();
});

test("points, quota usage and the demo token survive a restart on the same file", async (t) => {
  const dir = tempDir();
  const db = join(dir, "server.sqlite");
  try {
    const first = await startServer({ db, quiet: true, limits: { dailyQuota: 15 } });
    const token = first.demoToken as string;
    t.regex(token, /^[A-Za-z0-9_-]{32}$/);
    const body = points(10, Date.now(), (i) => i * 1.5);
    t.is((await postBatch(first, body, { token, pin: "V3" })).status, 200);
    await first.close();

    const second = await startServer({ db, quiet: true, limits: { dailyQuota: 15 } });
    t.is(second.demoToken, token, "the demo token is kept in the database");
    t.deepEqual(second.history(token, "V3"), body);
    t.is((await postBatch(second, points(6, Date.now()), { token, pin: "V3" })).status, 429, "today's usage was kept");
    t.is((await get(second, `/external/api/get?token=${token}&V3`)).text, "13.5");
    await second.close();

    const configured: DeviceConfig[] = [
      { name: "new", token: "configuredToken_0123456789abcdef", datastreams: [{ pin: "V3", type: "double" }] },
    ];
    const third = await startServer({ db, quiet: true, devices: configured });
    t.is(third.demoToken, undefined);
    t.is(
      (await postBatch(third, points(1, Date.now()), { token, pin: "V3" })).text,
      errorBody(MSG.invalidToken),
      "unconfigured devices are disabled",
    );
    t.is((await postBatch(third, points(1, Date.now()), { token: configured[0].token, pin: "V3" })).status, 200);
    await third.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("100 devices flushing concurrently: every point stored exactly once", async (t) => {
  const DEVICE_COUNT = 100;
  const BATCHES = 10;
  const BATCH_POINTS = 200;
  const devices: DeviceConfig[] = [];
  for (let i = 0; i < DEVICE_COUNT; i++) {
    devices.push({
      name: `dev${i}`,
      token: `device${String(i).padStart(3, "0")}_abcdefghijklmnopqrstu`,
      datastreams: [
        { pin: "V1", type: "double" },
        { pin: "V2", type: "integer" },
      ],
    });
  }
  const dir = tempDir();
  const server = await startServer({ db: join(dir, "load.sqlite"), quiet: true, devices });
  try {
    const now = Date.now();
    const sent = new Map<string, [number, number][]>();
    const t0 = performance.now();
    await Promise.all(
      devices.map(async (d, di) => {
        const mine: [number, number][] = [];
        for (let b = 0; b < BATCHES; b++) {
          const batch: [number, number][] = [];
          for (let i = 0; i < BATCH_POINTS; i++) batch.push([now - 3_600_000 + (b * BATCH_POINTS + i) * 100, di * 1000 + b + i / 1000]);
          const r = await postBatch(server, batch, { token: d.token, pin: "V1" });
          if (r.status !== 200) throw new Error(`device ${d.name} batch ${b}: ${r.status} ${r.text}`);
          mine.push(...batch);
        }
        sent.set(d.token, mine);
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const total = DEVICE_COUNT * BATCHES * BATCH_POINTS;
    t.log(
      `${total} points in ${DEVICE_COUNT * BATCHES} requests from ${DEVICE_COUNT} devices: ${seconds.toFixed(2)} s, ${Math.round(total / seconds)} points/s`,
    );
    for (const d of devices) t.deepEqual(server.history(d.token, "V1"), sent.get(d.token), d.name);
    t.is(server.stats().pointsStored, total);
    t.is(server.stats().duplicates, 0);
    t.is(server.db.prepare("SELECT count(*) FROM points").pluck().get(), total);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a client that aborts a body on a page route is a quiet drop, not a 500 with a stack trace", async (t) => {
  const lines: string[] = [];
  const server = await startServer({
    db: ":memory:",
    log: (l) => lines.push(l),
    devices: [{ name: "d", token: TOKEN, datastreams: [{ pin: 0, type: "double" }] }],
  });
  try {
    for (const path of ["/api/faults", "/"]) {
      await new Promise<void>((resolve, reject) => {
        const sock = connect(server.port, "127.0.0.1");
        sock.on("error", reject);
        sock.write(
          `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"fail`,
          () => {
            sock.destroy();
            resolve();
          },
        );
      });
    }
    const deadline = Date.now() + 5_000;
    while (lines.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const entries = lines.map((l) => JSON.parse(l));
    t.is(entries.length, 2, lines.join("\n"));
    for (const e of entries) {
      t.is(e.status, "dropped");
      t.is(e.error, "client closed the connection mid-body");
    }
    t.false(lines.join("\n").includes("    at "), "no stack trace");
    t.is((await get(server, "/api/faults")).status, 200, "still serving");
  } finally {
    await server.close();
  }
});

test("a JSON string with a lone surrogate is refused with a clear 400, and nothing is stored", async (t) => {
  const server = await start();
  const ts = Date.now();
  for (const body of [`[[${ts},"x\\ud800y"]]`, `[[${ts},"ok"],[${ts + 1},"\\udc00"]]`, `[[${ts},"\\ud800"]]`]) {
    const r = await postBatch(server, body, { pin: "V5" });
    t.is(r.status, 400, body);
    t.regex(messageOf(r.text), /^Malformed JSON: the string at \[\d\]\[1\] has a lone UTF-16 surrogate/, body);
  }
  t.deepEqual(server.history(TOKEN, "V5"), []);
  const paired = await postBatch(server, `[[${ts},"x\\ud83d\\ude00y"]]`, { pin: "V5" });
  t.is(paired.status, 200, "a surrogate pair (an emoji) is fine");
  t.deepEqual(server.history(TOKEN, "V5"), [[ts, "x😀y"]]);
  t.is(server.db.prepare("SELECT count(*) FROM points WHERE value = ?").pluck().get("x😀y"), 1, "stored as valid UTF-8");
  await server.close();
});
