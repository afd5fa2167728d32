// The page's API: charts downsampled in SQLite to min/max per pixel column of the visible range,
// the device panel read from the status pin, a bounded history.
import test from "ava";
import { TOKEN, fakeClock, get, postBatch, start } from "./helpers/server-client.ts";

type Column = [number, number, number, number, number];

/** The same columns computed the slow way, in JS, from every point. */
function expectedColumns(points: [number, number][], from: number, to: number, width: number): Column[] {
  const byCol = new Map<number, Column>();
  for (const [ts, v] of points) {
    if (ts < from || ts > to) continue;
    const col = Math.floor(((ts - from) * width) / (to - from + 1));
    const c = byCol.get(col);
    if (!c) byCol.set(col, [ts, ts, v, v, 1]);
    else byCol.set(col, [Math.min(c[0], ts), Math.max(c[1], ts), Math.min(c[2], v), Math.max(c[3], v), c[4] + 1]);
  }
  return [...byCol.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c);
}

test("/api/chart: min, max, count and first/last time per pixel column of the asked range, as computed from every point", async (t) => {
  const clock = fakeClock();
  const server = await start({ clock: clock.now, limits: { dailyQuota: 1_000_000 } });
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pts: [number, number][] = [];
  let ts = clock.now() - 20 * 86_400_000;
  for (let i = 0; i < 20_000; i++) {
    ts += 1 + Math.floor(rand() * 120_000);
    if (i % 5000 < 300) continue; // holes, for empty columns
    pts.push([ts, Math.round(rand() * 1e6) / 1e3 - 500]);
  }
  for (let i = 0; i < pts.length; i += 10_000) t.is((await postBatch(server, pts.slice(i, i + 10_000))).status, 200);
  for (const [from, to, width] of [
    [pts[0][0], pts[pts.length - 1][0], 440],
    [pts[100][0] - 5, pts[9000][0] + 5, 1000],
    [pts[500][0], pts[520][0], 4096],
    [0, Number.MAX_SAFE_INTEGER, 1],
  ]) {
    const r = await get(server, `/api/chart?device=1&pin=V0&from=${from}&to=${to}&width=${width}`);
    t.is(r.status, 200);
    const body = JSON.parse(r.text) as { columns: Column[]; width: number };
    t.true(body.columns.length <= width);
    t.deepEqual(body.columns, expectedColumns(pts, from, to, width), `${from}..${to} at ${width}`);
  }
  const bytes = (await get(server, `/api/chart?device=1&pin=V0&from=${pts[0][0]}&to=${pts[pts.length - 1][0]}&width=440`)).text.length;
  t.true(bytes < 30_000, `${pts.length} points answered in ${bytes} bytes`);
  await server.close();
});

test("/api/chart refuses what it cannot chart with a clear 4xx", async (t) => {
  const server = await start();
  const ask = async (q: string) => {
    const r = await get(server, `/api/chart?${q}`);
    return [r.status, JSON.parse(r.text).error?.message ?? ""] as [number, string];
  };
  t.deepEqual(await ask("device=99&pin=V0&width=10"), [404, "No such device: give device=<id or name> (or token=<token>)."]);
  t.regex((await ask("device=1&pin=V5&width=10"))[1], /V5 is not a numeric datastream: read its points with \/api\/history/);
  t.regex((await ask("device=1&pin=V9&width=10"))[1], /not a numeric datastream/, "no datastream on that pin");
  t.regex((await ask("device=1&pin=V0"))[1], /^width must be/);
  t.regex((await ask("device=1&pin=V0&width=5000"))[1], /^width must be/);
  t.regex((await ask("device=1&pin=V0&width=10&from=5&to=4"))[1], /must not be before/);
  t.regex((await ask("device=1&pin=V0&width=10&from=x"))[1], /from must be a number/);
  t.is((await get(server, `/api/chart?token=${TOKEN}&pin=V0&width=10`)).status, 200);
  await server.close();
});

test("/api/devices carries the device's last status line, parsed, with the time it was recorded", async (t) => {
  const clock = fakeClock();
  const server = await start({ clock: clock.now });
  const devices = async () => JSON.parse((await get(server, "/api/devices")).text) as { status: null | Record<string, unknown> }[];
  t.is((await devices())[0].status, null, "no status pin: no panel");
  await postBatch(server, [[clock.now() - 5000, "just a note"]], { pin: "V5" });
  t.is((await devices())[0].status, null, "a string pin with other text is not a status pin");
  const line = "queue 12, free 97%, drops 3, clock ok, uplink backoff, quota 40/10000, sample errors 1, mem 900/1200";
  await postBatch(server, [[clock.now() - 2000, line]], { pin: "V5" });
  t.deepEqual((await devices())[0].status, {
    pin: "V5",
    ts: clock.now() - 2000,
    received: clock.now(),
    text: line,
    fields: {
      queue: "12",
      free: "97%",
      drops: "3",
      clock: "ok",
      uplink: "backoff",
      quota: "40/10000",
      "sample errors": "1",
      mem: "900/1200",
    },
  });
  t.is((await devices())[1].status, null);
  await server.close();
});

test("/api/history serves at most 100,000 points per call", async (t) => {
  const clock = fakeClock();
  const server = await start({ clock: clock.now, limits: { dailyQuota: 1_000_000 } });
  const pts: [number, number][] = [];
  for (let i = 0; i < 100_005; i++) pts.push([clock.now() - 200_000_000 + i * 1000, i]);
  for (let i = 0; i < pts.length; i += 10_000) t.is((await postBatch(server, pts.slice(i, i + 10_000))).status, 200);
  const h = JSON.parse((await get(server, "/api/history?device=1&pin=V0&limit=1000000")).text) as { points: [number, number][] };
  t.is(h.points.length, 100_000);
  t.deepEqual(h.points[0], pts[5], "the newest 100,000");
  await server.close();
});
