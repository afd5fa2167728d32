// The server page in headless Chromium: it shows a chart per datastream with the uploaded points,
// updates live, and leaves a gap where readings were lost.
import test from "ava";
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { TOKEN, fakeClock, points, postBatch, start } from "./helpers/server-client.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const SCREENSHOT = "/tmp/spool-server-page.png";
const hasChromium = existsSync(CHROMIUM);
const pageTest = hasChromium ? test : test.skip;
if (!hasChromium) console.warn(`server-page: SKIPPED, ${CHROMIUM} not found (apt-get install chromium)`);

pageTest(`the page charts the uploaded points and follows new uploads${hasChromium ? "" : ` (skipped: no ${CHROMIUM})`}`, async (t) => {
  const clock = fakeClock(Date.now());
  const server = await start({ clock: clock.now });
  let browser: Browser | undefined;
  try {
    // 50 readings a minute apart with 10 lost in the middle: the chart should show a gap.
    const minuteApart: [number, number][] = [];
    for (let i = 0; i < 60; i++) if (i < 25 || i >= 35) minuteApart.push([clock.now() - (59 - i) * 60_000, 20 + 5 * Math.sin(i / 6)]);
    t.is((await postBatch(server, minuteApart, { pin: "V0" })).status, 200);
    t.is((await postBatch(server, points(3, clock.now(), (i) => `note ${i}`), { pin: "V5" })).status, 200);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(server.url + "/");
    const v0 = page.locator('.stream[data-pin="V0"]');
    await v0.locator(".caption", { hasText: /^50 points/ }).waitFor({ timeout: 10_000 });
    t.is(await v0.locator("canvas").count(), 1, "one uPlot canvas for V0");
    const box = await v0.locator("canvas").boundingBox();
    t.true((box?.width ?? 0) > 300 && (box?.height ?? 0) > 100);
    t.is(await page.locator("section.device h2").first().textContent(), "bench");
    t.regex((await page.locator("section.device .meta").first().textContent()) ?? "", /token test…tuv0/);
    t.is(await page.locator("section.device").first().locator(".stream").count(), 8, "a card per datastream of the first device");
    t.is(await page.locator(".stream").count(), 9, "and the second device's one");
    await page.locator('.stream[data-pin="V5"] li', { hasText: "note 2" }).waitFor({ timeout: 5_000 });

    // The chart's data: the 50 points plus one null where the 10 readings were lost.
    const data = await page.evaluate(() => (globalThis as unknown as { spoolCharts: Record<string, { data: (number | null)[][] }> }).spoolCharts["1/V0"].data);
    t.is(data[0].length, 51);
    t.is(data[1].filter((v) => v === null).length, 1);
    t.is(data[1].indexOf(null), 25);
    await page.screenshot({ path: SCREENSHOT, fullPage: false });
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
