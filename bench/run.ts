/**
 * `npm run bench`: Spool beside the naive baseline on the same work, in one run. Writes
 * `bench/results.json` (flat metric name -> number) and `bench/results.md` (a table), and
 * prints the table. Set ESPRUINO to the real interpreter's binary to add `target.*` metrics.
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

type Metrics = Record<string, number>;

const HERE = dirname(fileURLToPath(import.meta.url));

const SUITES: Array<{ name: string; load: () => Promise<() => Promise<Metrics>> }> = [
  { name: "store", load: async () => (await import("./store.ts")).benchStore },
  { name: "uplink", load: async () => (await import("./uplink.ts")).benchUplink },
  { name: "server", load: async () => (await import("./server.ts")).benchServer },
  { name: "target", load: async () => (await import("./target.ts")).benchTarget },
];

/** Pairs of Spool metric and naive metric shown side by side. */
const PAIRS: Array<[string, string, string]> = [
  ["flash bytes per reading (1 pin, Double, every 10 s)", "store.bytes_per_reading", "naive.bytes_per_reading"],
  ["appends per second (Node)", "store.appends_per_s", "naive.appends_per_s"],
  ["largest piece written, 10,000-point flush (bytes)", "uplink.max_piece_bytes_10k", "naive.max_piece_bytes_10k"],
  ["µs per append on Espruino", "target.store.us_per_append", "target.naive.us_per_append"],
];

function fmt(v: number | undefined): string {
  if (v === undefined) return "-";
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
}

function table(m: Metrics): string {
  const rows = ["| what | Spool | naive |", "|---|---:|---:|"];
  const shown = new Set<string>();
  for (const [label, a, b] of PAIRS) {
    if (m[a] === undefined && m[b] === undefined) continue;
    rows.push(`| ${label} | ${fmt(m[a])} | ${fmt(m[b])} |`);
    shown.add(a).add(b);
  }
  for (const key of Object.keys(m).sort()) {
    if (!shown.has(key)) rows.push(`| ${key} | ${fmt(m[key])} | |`);
  }
  return rows.join("\n");
}

async function main(): Promise<void> {
  const metrics: Metrics = {};
  for (const suite of SUITES) {
    const run = await suite.load();
    const t0 = Date.now();
    Object.assign(metrics, await run());
    console.error(`bench: ${suite.name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  writeFileSync(join(HERE, "results.json"), JSON.stringify(metrics, null, 2) + "\n");
  const md = table(metrics);
  writeFileSync(join(HERE, "results.md"), md + "\n");
  console.log(md);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
