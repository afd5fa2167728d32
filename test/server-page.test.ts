// The server page in headless Chromium: it shows a chart per datastream with the uploaded points,
// updates live, and leaves a gap where readings were lost.
import test from "ava";
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { TOKEN, fakeClock, points, postBatch, start } from "./helpers/server-client.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const SCREENSHOT = "/tmp/spool-server-page.png";
const hasChromium = existsSync(CHROMIUM);
const pageTest = hasChromium ? test : test.skip;
if (!hasChromium) console.warn(`server-page: SKIPPED, ${CHROMIUM} not found (apt-get install chromium)`);

pageTest(`the page charts the uploaded points and follows new uploads${hasChromium ? "" : ` (skipped: no ${CHROMIUM})`}`, async (t) => {
  const clock = fakeClock(Date.now());
  const server = await start({ clock: clock.now, limits: { dailyQuota: 100_000 } });
  let browser: Browser | undefined;
  try {
    // 50 readings a minute apart with 10 lost in the middle: the chart should show a gap.
    const minuteApart: [number, number][] = [];
    for (let i = 0; i < 60; i++) if (i < 25 || i >= 35) minuteApart.push([clock.now() - (59 - i) * 60_000, 20 + 5 * Math.sin(i / 6)]);
    t.is((await postBatch(server, minuteApart, { pin: "V0" })).status, 200);
    t.is(
      (
        await postBatch(
          server,
          points(3, clock.now() - 10_000, (i) => `note ${i}`),
          { pin: "V5" },
        )
      ).status,
      200,
    );
    // 20,000 readings a second apart on V1: more than the chart has pixels.
    const dense = points(20_000, clock.now(), (i) => (i === 7_000 ? 100 : i === 13_000 ? 0 : 40 + (i % 20)));
    for (let i = 0; i < dense.length; i += 10_000) t.is((await postBatch(server, dense.slice(i, i + 10_000), { pin: "V1" })).status, 200);
    const status = "queue 12, free 97%, drops 3, clock ok, uplink idle, quota 40/10000, sample errors 0, mem 900/1200";
    t.is((await postBatch(server, [[clock.now() - 2000, status]], { pin: "V5" })).status, 200);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    // A browser far from UTC: the page must still show UTC everywhere.
    const page = await browser.newPage({ viewport: { width: 1000, height: 1100 }, timezoneId: "Pacific/Auckland" });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const requests: string[] = [];
    page.on("request", (r) => requests.push(new URL(r.url()).pathname + new URL(r.url()).search));
    await page.goto(server.url + "/");
    const v0 = page.locator('.stream[data-pin="V0"]');
    await v0.locator(".caption", { hasText: /^50 points/ }).waitFor({ timeout: 10_000 });
    await page.waitForFunction(
      () => (globalThis as unknown as { spoolCharts: Record<string, unknown> }).spoolCharts["1/V0"] !== undefined,
      undefined,
      { timeout: 10_000 },
    );
    t.is(await v0.locator("canvas").count(), 1, "one uPlot canvas for V0");
    const box = await v0.locator("canvas").boundingBox();
    t.true((box?.width ?? 0) > 300 && (box?.height ?? 0) > 100);
    t.is(await page.locator("section.device h2").first().textContent(), "bench");
    t.regex((await page.locator("section.device .meta").first().textContent()) ?? "", /token test…tuv0/);

    // Datastreams without points collapse into one line per device.
    const first = page.locator("section.device").first();
    t.is(await first.locator(".stream").count(), 3, "cards for V0, V1, V5 only");
    t.is(await first.locator(".no-points").textContent(), "No points yet: V2, V3, V4, V6, V255");
    t.is(await page.locator("section.device").nth(1).locator(".no-points").textContent(), "No points yet: V0");
    t.is(await page.locator(".stream").count(), 3);
    await page.locator('.stream[data-pin="V5"] li', { hasText: "note 2" }).waitFor({ timeout: 5_000 });

    // The device panel from the status line on V5.
    const panel = first.locator(".panel");
    t.true(await panel.isVisible());
    t.is(await panel.locator('[data-field="queue"]').textContent(), "12 queued");
    t.is(await panel.locator('[data-field="drops"]').textContent(), "drops 3");
    t.is(await panel.locator('[data-field="clock"]').textContent(), "clock ok");
    t.regex((await panel.locator('[data-field="upload"]').textContent()) ?? "", new RegExp(`^last upload ${utc(clock.now())} \\(`));
    t.regex((await panel.textContent()) ?? "", new RegExp(`from V5, recorded ${utc(clock.now() - 2000)}`));
    t.false(await page.locator("section.device").nth(1).locator(".panel").isVisible(), "no status pin, no panel");

    // One time zone: UTC, said on the page, in captions, lists, the legend.
    t.is(await page.locator("#tz").textContent(), "all times UTC");
    t.regex((await v0.locator(".caption").textContent()) ?? "", new RegExp(`newest ${utc(minuteApart[minuteApart.length - 1][0])}$`));
    t.regex((await page.locator('.stream[data-pin="V5"] li').first().textContent()) ?? "", new RegExp(`^${utc(clock.now() - 2000)} `));
    const canvas = v0.locator(".u-over");
    const over = (await canvas.boundingBox())!;
    await page.mouse.move(over.x + 2, over.y + over.height / 2);
    const legendTime = (await v0.locator(".u-legend .u-series").first().locator(".u-value").textContent()) ?? "";
    t.regex(legendTime, new RegExp(`^${utc(minuteApart[0][0]).slice(0, 13)}`), "the legend shows the UTC hour, not Auckland's");

    // The chart's data: the 50 points plus one null where the 10 readings were lost.
    type Chart = { data: (number | null)[][] };
    const chartData = (key: string) =>
      page.evaluate((k) => (globalThis as unknown as { spoolCharts: Record<string, Chart> }).spoolCharts[k].data, key);
    const data = await chartData("1/V0");
    t.is(data[0].length, 51);
    t.is(data[1].filter((v) => v === null).length, 1);
    t.is(data[1].indexOf(null), 25);

    // 20,000 points drawn from at most one column per pixel, keeping the extremes.
    await page.waitForFunction(
      () => (globalThis as unknown as { spoolCharts: Record<string, unknown> }).spoolCharts["1/V1"] !== undefined,
      undefined,
      { timeout: 10_000 },
    );
    const v1 = await chartData("1/V1");
    t.true(v1[0].length <= 440, `${v1[0].length} columns`);
    t.is(Math.max(...(v1[2] as number[])), 100, "the one high reading survives downsampling");
    t.is(Math.min(...(v1[1] as number[])), 0, "and the one low one");
    t.false(
      requests.some((r) => r.startsWith("/api/history") && r.includes("pin=V1")),
      "numeric charts never read the raw history",
    );
    t.true(requests.some((r) => r.startsWith("/api/chart") && r.includes("pin=V1") && r.includes("width=")));

    // Dragging across a chart fetches that range at full width.
    const v1Over = (await page.locator('.stream[data-pin="V1"] .u-over').boundingBox())!;
    await page.mouse.move(v1Over.x + v1Over.width * 0.3, v1Over.y + 20);
    await page.mouse.down();
    await page.mouse.move(v1Over.x + v1Over.width * 0.4, v1Over.y + 20, { steps: 5 });
    await page.mouse.up();
    await page.locator('.stream[data-pin="V1"] .unzoom').waitFor({ state: "visible", timeout: 5_000 });
    await page.waitForFunction(
      () => {
        const d = (globalThis as unknown as { spoolCharts: Record<string, Chart> }).spoolCharts["1/V1"].data;
        return (d[0][d[0].length - 1] as number) - (d[0][0] as number) < 20_000 * 0.2;
      },
      undefined,
      { timeout: 5_000 },
    );
    const zoomed = await chartData("1/V1");
    const span = (zoomed[0][zoomed[0].length - 1] as number) - (zoomed[0][0] as number);
    t.true(span > 20_000 * 0.05 && span < 20_000 * 0.2, `zoomed to ${span} s of 20,000`);
    t.true(zoomed[0].length > 300, "at full width again");
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    t.log(`screenshot: ${SCREENSHOT}`);

    clock.advance(60_000);
    t.is((await postBatch(server, points(10, clock.now()), { pin: "V0" })).status, 200);
    await v0.locator(".caption", { hasText: /^60 points/ }).waitFor({ timeout: 5_000 });
    t.deepEqual(errors, []);
    t.is(server.history(TOKEN, "V0").length, 60);
  } finally {
    await browser?.close();
    await server.close();
  }
});

function utc(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").slice(0, 19);
}
