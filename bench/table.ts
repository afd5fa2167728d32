/**
 * The bench table: rendered from `bench/results.json` alone, into `bench/results.md` and into
 * README.md between `<!-- bench:start -->` and `<!-- bench:end -->`. `npm run bench` writes
 * it after a run; `npx tsx bench/table.ts` rewrites it from the stored results (nothing is
 * measured, nothing typed by hand).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export type Metrics = Record<string, number>;

const HERE = dirname(fileURLToPath(import.meta.url));
export const RESULTS_JSON = join(HERE, "results.json");
const RESULTS_MD = join(HERE, "results.md");
const README = join(HERE, "..", "README.md");
const START = "<!-- bench:start -->";
const END = "<!-- bench:end -->";

/** Where the `target.*` rows come from: said in their labels, never "on Espruino" alone. */
const LINUX = "Espruino's Linux build, x86 here, flash in a file";

/** Pairs of Spool metric and naive metric shown side by side. */
const PAIRS: Array<[string, string, string]> = [
  ["flash bytes per reading (1 pin, Double, every 10 s; 64 KB each)", "store.bytes_per_reading", "naive.bytes_per_reading"],
  ["appends per second (Node, simulated flash, 64 KB each)", "store.appends_per_s", "naive.appends_per_s"],
  ["largest piece written, 10,000-point flush (bytes)", "uplink.max_piece_bytes_10k", "naive.max_piece_bytes_10k"],
  [
    `µs per spool.record vs naive append, 2,000 calls each, median run by the device's clock (${LINUX}; booted from Storage)`,
    "target.record.us_per_call",
    "target.naive.us_per_append",
  ],
  [
    `the same in the interpreter's CPU µs, which a loaded host does not inflate (${LINUX})`,
    "target.record.cpu_us_per_call",
    "target.naive.cpu_us_per_append",
  ],
  [`the same runs at 1,000 calls each, by the device's clock (${LINUX})`, "target.record.us_per_call_1k", "target.naive.us_per_append_1k"],
  [`the same at 1,000 calls, in CPU µs (${LINUX})`, "target.record.cpu_us_per_call_1k", "target.naive.cpu_us_per_append_1k"],
  [
    `thousands of user-space instructions per call, 500 calls each (callgrind; ${LINUX}): the kernel's file I/O, most of the naive append's time, not counted`,
    "target.record.kinstr_per_call",
    "target.naive.kinstr_per_append",
  ],
];

/** Labels of single rows; a metric without one is shown by its name. */
const LABELS: Record<string, string> = {
  "target.record.speedup": `naive µs / spool.record µs, 2,000 calls each, same run (${LINUX})`,
  "target.record.speedup_cpu": `the same in CPU µs (${LINUX})`,
  "target.record.speedup_1k": `naive µs / spool.record µs at 1,000 calls each, same runs (${LINUX})`,
  "target.record.speedup_cpu_1k": `the same in CPU µs (${LINUX})`,
  "target.record.host_load_1m": "the host's 1-minute load average after the timed runs (2 cores; other work inflates the clock figures)",
  "target.store.us_per_append": `µs per store.append alone (${LINUX}; booted from Storage)`,
  "target.store.mount_ms_full": `ms to mount a full 64 KB region (${LINUX}; loaded from a file)`,
  "target.memory.usage_empty": `JsVars in use, nothing buffered (${LINUX}; booted from Storage)`,
  "target.memory.usage_rest_10k": `JsVars in use, 10,000 readings buffered (${LINUX}; booted from Storage)`,
  "target.memory.usage_peak_flush_10k": `JsVars, live peak sampled inside a 10,000-point flush (${LINUX})`,
  "target.memory.peak_minus_rest_flush_10k": `JsVars, that peak minus rest (${LINUX})`,
  "target.memory.peak_minus_rest_flush_10k_nogc": `JsVars, the same without collecting: garbage since the previous sample counted (${LINUX})`,
  "target.memory.flush_10k_s": `seconds for that flush (${LINUX}; code read from the flash file)`,
  "target.small.usage_rest": `JsVars in use at rest after setup, linux-small, the build with 1,600 JsVars (ESP8266's memory) (${LINUX}; booted from Storage)`,
  "target.small.usage_peak_flush": `JsVars, live peak inside a 1,000-reading flush, linux-small, the build with 1,600 JsVars (${LINUX})`,
  "target.fixed.peak_minus_rest_flush_1k": `JsVars a 1,000-reading flush of linux-small rises above its start, a build with 2,100-4,000 fixed JsVars (${LINUX}): what upload.minFreeJsVars must cover`,
  "target.usage_rest": `JsVars in use at rest after setup, the linux firmware (${LINUX}; booted from Storage)`,
  "sim.memory.usage_rest_1k": "JsVars in use, 1,000 readings buffered (the linux firmware in the simulated Espruino: its estimate)",
  "sim.memory.usage_peak_flush_1k": "JsVars, the simulation's peak sampled inside their flush (at each hal call)",
  "sim.memory.peak_minus_rest_flush_1k": "JsVars, that simulated peak minus its rest",
};

function fmt(v: number | undefined): string {
  if (v === undefined) return "-";
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
}

/** The Markdown table of `m`: the pairs first, then every other metric by name. */
export function table(m: Metrics): string {
  const rows = ["| what | Spool | naive |", "|---|---:|---:|"];
  const shown = new Set<string>();
  for (const [label, a, b] of PAIRS) {
    if (m[a] === undefined && m[b] === undefined) continue;
    rows.push(`| ${label} | ${fmt(m[a])} | ${fmt(m[b])} |`);
    shown.add(a).add(b);
  }
  for (const key of Object.keys(m).sort()) {
    if (!shown.has(key)) rows.push(`| ${LABELS[key] ? `${LABELS[key]} (\`${key}\`)` : key} | ${fmt(m[key])} | |`);
  }
  return rows.join("\n");
}

/** README.md's text with the table between the markers replaced by `md`. @throws Error when a marker is missing. */
export function withTable(readme: string, md: string): string {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md lacks the ${START} ... ${END} markers`);
  return readme.slice(0, a + START.length) + "\n" + md + "\n" + readme.slice(b);
}

/** Writes bench/results.md and README.md's table from bench/results.json; returns the table. */
export function writeTables(): string {
  const md = table(JSON.parse(readFileSync(RESULTS_JSON, "utf8")) as Metrics);
  writeFileSync(RESULTS_MD, md + "\n");
  writeFileSync(README, withTable(readFileSync(README, "utf8"), md));
  return md;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) console.log(writeTables());
