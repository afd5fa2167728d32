import test from "ava";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
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

test("inspect reads a whole Linux espruino.flash from the profile's emulated flash (linux and linux-small alike)", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "spool-inspect-"));
  const file = join(dir, "espruino.flash");
  // The whole file: Storage below, the raw region at its top (boards/linux-small.json).
  const flash = new NorFlash({ base: 0x10000000, size: 256 * 1024, pageSize: 1024, alignment: 4, file });
  const s = openStore(flash, { address: 0x10030000, length: 65536, pageSize: 1024, writeAlignment: 4, eraseCycles: 100000 });
  for (let i = 0; i < 40; i++) s.append({ pin: 1, stamp: { epochMs: EPOCH0 + i * 1000 }, value: i });
  flash.close();
  for (const board of ["linux", "linux-small"]) {
    const json = await capture([file, "--board", board, "--json"]);
    t.is(json.code, 0, board);
    const o = JSON.parse(json.out);
    t.is(o.region.base, 0x10000000, board);
    t.is(o.stats.appended, 40, board);
  }
  rmSync(dir, { recursive: true });
});

test("inspect decodes format-1 sectors (an image of earlier firmware) beside format-2 ones", async (t) => {
  const fixture = JSON.parse(readFileSync(new URL("./fixtures/store-v1.json", import.meta.url), "utf8"));
  const dir = mkdtempSync(join(tmpdir(), "spool-inspect-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const v1 = join(dir, "v1.bin");
  copyFileSync(new URL("./fixtures/store-v1.bin", import.meta.url), v1);
  const o1 = JSON.parse((await capture([v1, "--json"])).out);
  const pending = (o: any) => o.records.filter((r: any) => r.kind === "reading" && !r.delivered).map((r: any) => r.reading);
  t.deepEqual(
    pending(o1),
    fixture.pending.map((p: any) => p.reading),
  );
  t.false(o1.records.some((r: any) => r.kind === "corrupt"));
  // The new firmware appends: format-2 sectors join the format-1 ones.
  const flash = new NorFlash({ base: 0, size: 4096, pageSize: 512, alignment: 4, file: v1 });
  const s = openStore(flash, regionOf(flash), { sectorPages: 1 });
  for (let i = 0; i < 100; i++) s.append({ pin: 7, stamp: { epochMs: EPOCH0 + i * 1000 }, value: i });
  flash.close();
  const o2 = JSON.parse((await capture([v1, "--json"])).out);
  t.deepEqual(pending(o2), [
    ...fixture.pending.map((p: any) => p.reading),
    ...Array.from({ length: 100 }, (_, i) => ({ pin: 7, stamp: { epochMs: EPOCH0 + i * 1000 }, value: i })),
  ]);
  t.false(o2.records.some((r: any) => r.kind === "corrupt"));
});
