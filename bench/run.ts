/**
 * `npm run bench`: Spool beside the naive baseline on the same work, in one run. Writes
 * `bench/results.json` (flat metric name -> number), then from it `bench/results.md` and the
 * README's table (bench/table.ts), and prints the table. Set ESPRUINO to the real
 * interpreter's binary to add `target.*` metrics.
 */
import { writeFileSync } from "node:fs";
import { RESULTS_JSON, writeTables, type Metrics } from "./table.ts";

const SUITES: Array<{ name: string; load: () => Promise<() => Promise<Metrics>> }> = [
  { name: "store", load: async () => (await import("./store.ts")).benchStore },
  { name: "uplink", load: async () => (await import("./uplink.ts")).benchUplink },
  { name: "server", load: async () => (await import("./server.ts")).benchServer },
  { name: "sim-memory", load: async () => (await import("./sim-memory.ts")).benchSimMemory },
  { name: "target", load: async () => (await import("./target.ts")).benchTarget },
];

async function main(): Promise<void> {
  const metrics: Metrics = {};
  const start = Date.now();
  for (const suite of SUITES) {
    const run = await suite.load();
    const t0 = Date.now();
    const got = await run();
    Object.assign(metrics, got);
    // Printed as each suite ends: a later suite that fails does not take these figures with it.
    console.error(`bench: ${suite.name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${JSON.stringify(got)}`);
  }
  console.error(`bench: all done in ${((Date.now() - start) / 1000).toFixed(0)} s`);
  writeFileSync(RESULTS_JSON, JSON.stringify(metrics, null, 2) + "\n");
  console.log(writeTables());
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
