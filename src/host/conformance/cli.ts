/**
 * `npm run conformance`: runs every probe on the simulation and compares with the recorded
 * fixtures; with ESPRUINO set, runs them on the interpreter too.
 * `npm run conformance -- --record` (ESPRUINO set) records the interpreter's outputs.
 * `--topic NAME` limits the run to one topic; `--verbose` shows every difference.
 */
import { TOPICS } from "../../../test/conformance/probes/index.ts";
import { espruinoBinary } from "../target/espruino-process.ts";
import { judge, readFixture, readKnownGaps, writeFixture, type Fixture, type Outcome } from "./fixtures.ts";
import { startPeer } from "./peer.ts";
import type { PeerPorts, Probe, ProbeTopic } from "./probe.ts";
import { runProbeReal } from "./run-real.ts";
import { runProbeSim } from "./run-sim.ts";

/** Interpreter processes run at once (the machine's cores are shared). */
const PARALLEL = 2;

async function mapLimit<T, R>(items: T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

type Runner = (p: Probe, ports: PeerPorts) => Promise<string[]>;

async function runAll(topics: ProbeTopic[], run: Runner, ports: PeerPorts, parallel: number): Promise<Map<string, string[]>> {
  const jobs = topics.flatMap((t) => t.probes.map((p) => ({ id: `${t.topic}/${p.name}`, p })));
  const results = await mapLimit(jobs, parallel, async (j) => {
    try {
      return await run(j.p, ports);
    } catch (e) {
      return [`!! ${(e as Error).message.split("\n")[0]}`];
    }
  });
  return new Map(jobs.map((j, i) => [j.id, results[i]]));
}

/**
 * Prints what differs (and, with --verbose, each known gap's outputs), then one line:
 * `N probes, M match`, then the known gaps (which still differ, for the reason listed in
 * known-gaps.json) and anything that fails the run, each counted apart.
 */
function report(label: string, outcomes: Outcome[], verbose: boolean): boolean {
  const count = (v: Outcome["verdict"]) => outcomes.filter((o) => o.verdict === v).length;
  for (const o of outcomes) {
    if (o.verdict === "match") continue;
    if (o.verdict === "gap") {
      console.log(`${label} known gap: ${o.id}: ${o.reason}`);
      if (verbose) console.log(`  expected: ${JSON.stringify(o.expected)}\n  actual:   ${JSON.stringify(o.actual)}`);
      continue;
    }
    console.log(`${label} ${o.verdict}: ${o.id}${o.reason ? ` (${o.reason})` : ""}`);
    if (o.verdict === "differs") console.log(`  expected: ${JSON.stringify(o.expected)}\n  actual:   ${JSON.stringify(o.actual)}`);
  }
  const parts = [`${outcomes.length} probes`, `${count("match")} match`];
  const gaps = count("gap");
  if (gaps) parts.push(`${gaps} known gaps (listed with reasons in test/conformance/known-gaps.json)`);
  const failing: Array<[Outcome["verdict"], string]> = [
    ["differs", "differ"],
    ["stale gap", "listed as gaps but match (remove them from known-gaps.json)"],
    ["not recorded", "not recorded (npm run conformance -- --record with ESPRUINO set)"],
  ];
  for (const [v, text] of failing) if (count(v)) parts.push(`${count(v)} ${text}`);
  console.log(`${label}: ${parts.join(", ")}`);
  return outcomes.every((o) => o.verdict === "match" || o.verdict === "gap");
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const record = args.includes("--record");
  const verbose = args.includes("--verbose");
  const ti = args.indexOf("--topic");
  const topics = ti >= 0 ? TOPICS.filter((t) => t.topic === args[ti + 1]) : TOPICS;
  if (!topics.length) throw new Error(`no topic ${args[ti + 1]}; topics: ${TOPICS.map((t) => t.topic).join(", ")}`);
  const binary = espruinoBinary();
  if (record && !binary) throw new Error("--record needs ESPRUINO set to Espruino's Linux build (e.g. ESPRUINO=/opt/espruino/espruino)");
  const gaps = readKnownGaps();
  const peer = await startPeer();
  let ok = true;
  try {
    if (binary) {
      const real = await runAll(topics, (p, ports) => runProbeReal(p, { binary, ports }), peer.ports, PARALLEL);
      if (record) {
        for (const t of topics) {
          const fx: Fixture = {};
          for (const p of t.probes) fx[p.name] = real.get(`${t.topic}/${p.name}`)!;
          writeFixture(t.topic, fx);
        }
        console.log(`recorded ${real.size} probes from ${binary}`);
      }
      const outcomes = topics.flatMap((t) => {
        const fx = readFixture(t.topic);
        return t.probes.map((p) => judge(`${t.topic}/${p.name}`, real.get(`${t.topic}/${p.name}`)!, fx[p.name], undefined));
      });
      ok = report("interpreter", outcomes, verbose) && ok;
    }
    const sim = await runAll(topics, runProbeSim, peer.ports, 1);
    const outcomes = topics.flatMap((t) => {
      const fx = readFixture(t.topic);
      return t.probes.map((p) => {
        const id = `${t.topic}/${p.name}`;
        return judge(id, sim.get(id)!, fx[p.name], gaps[id]);
      });
    });
    ok = report("simulation", outcomes, verbose) && ok;
  } finally {
    await peer.close();
  }
  if (!ok) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(2);
});
