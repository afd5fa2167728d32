import test from "ava";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NorFlash } from "../src/host/sim/nor-flash.ts";
import { run } from "../src/host/commands/inspect.ts";
import { EPOCH0, openStore, regionOf } from "./store-helpers.ts";

async function capture(argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => lines.push(a.join(" "));
  try {
    const code = await run(argv);
    return { code, out: lines.join("\n") };
  } finally {
    console.log = log;
  }
}

test("inspect decodes a simulation's flash file: sectors, records, anchors, counters", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "spool-inspect-"));
  const file = join(dir, "flash.bin");
  const flash = new NorFlash({ base: 0x310000, size: 65536, pageSize: 4096, alignment: 4, file });
  const s = openStore(flash, regionOf(flash));
  for (let i = 0; i < 1500; i++) s.append({ pin: 1 + (i % 2), stamp: { epochMs: EPOCH0 + i * 10000 }, value: i });
  s.appendAnchor({ bootId: s.bootId, uptimeMs: 5, epochMs: EPOCH0 });
  s.markDelivered({ pin: 1, from: 0, to: s.headPos() });
  s.countDrop("rejected", 2);
  flash.close();
  const json = await capture([file, "--board", "esp32", "--json"]);
  t.is(json.code, 0);
  const o = JSON.parse(json.out);
  t.is(o.stats.appended, 1500);
  t.is(o.stats.pending, 750);
  t.is(o.stats.dropped.rejected, 2);
  t.deepEqual(o.anchors, [{ bootId: s.bootId, uptimeMs: 5, epochMs: EPOCH0 }]);
  const readings = o.records.filter((r: any) => r.kind === "reading");
  t.is(readings.length, 1500);
  t.is(readings.filter((r: any) => !r.delivered).length, 750);
  t.true(o.sectors.filter((x: any) => x.state === "data").length >= 2);
  const text = await capture([file]);
  t.is(text.code, 0);
  t.regex(text.out, /pos \d+ {2}V2 {2}2026-.*integer 1499/);
  t.regex(text.out, /anchor {2}boot 1 \+5 ms/);
  t.regex(text.out, /appended 1500, pending 750/);
  t.is((await capture([])).code, 2);
  rmSync(dir, { recursive: true });
});
