// The README's bench table is what bench/table.ts renders from bench/results.json, never typed.
import test from "ava";
import { readFileSync } from "node:fs";
import { RESULTS_JSON, table, withTable } from "../bench/table.ts";

test("README.md's bench table is the one rendered from bench/results.json", (t) => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const md = table(JSON.parse(readFileSync(RESULTS_JSON, "utf8")));
  t.is(readme, withTable(readme, md), "run `npx tsx bench/table.ts` (or `npm run bench`) instead of editing the table");
});

test("rows name their metric and where they were measured; pairs sit side by side", (t) => {
  const md = table({
    "target.record.us_per_call": 400,
    "target.naive.us_per_append": 900,
    "target.record.cpu_us_per_call": 200,
    "target.naive.cpu_us_per_append": 500,
    "target.record.cpu_us_per_call_1k": 190,
    "target.naive.cpu_us_per_append_1k": 420,
    "target.record.speedup": 2.25,
    "x.y": 0.5,
  });
  t.regex(
    md,
    /\| µs per spool\.record vs naive append, 2,000 calls each, median run by the device's clock \(Espruino's Linux build, x86 here, flash in a file; booted from Storage\) \| 400 \| 900 \|/,
  );
  t.regex(md, /\| the same in the interpreter's CPU µs, .* \| 200 \| 500 \|/);
  t.regex(md, /\| the same at 1,000 calls, in CPU µs .* \| 190 \| 420 \|/);
  t.regex(md, /\| naive µs \/ spool\.record µs, 2,000 calls each, same run .*\(`target\.record\.speedup`\) \| 2\.25 \| \|/);
  t.regex(md, /\| x\.y \| 0\.500 \| \|/);
  t.notRegex(md, /on Espruino\b/);
});
