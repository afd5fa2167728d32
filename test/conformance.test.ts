/**
 * The simulation against behaviour recorded from the real interpreter (test/conformance/):
 * every probe's output must equal its fixture, or differ as a listed known gap.
 * With ESPRUINO set, the live interpreter is compared with the fixtures too.
 */
import test from "ava";
import { TOPICS } from "./conformance/probes/index.ts";
import { judge, probeIds, readFixture, readKnownGaps } from "../src/host/conformance/fixtures.ts";
import { startPeer, type Peer } from "../src/host/conformance/peer.ts";
import { runProbeSim } from "../src/host/conformance/run-sim.ts";
import { runProbeReal } from "../src/host/conformance/run-real.ts";
import { espruinoBinary, targetSkipReason } from "../src/host/target/espruino-process.ts";

const GAPS = readKnownGaps();
let peer: Peer;

test.before(async () => {
  peer = await startPeer();
});
test.after.always(async () => {
  await peer?.close();
});

test("every fixture entry and known gap names a probe, and every probe is recorded", (t) => {
  const ids = new Set(probeIds(TOPICS));
  t.true(ids.size >= 200, `only ${ids.size} probes`);
  t.deepEqual(
    Object.keys(GAPS).filter((id) => !ids.has(id)),
    [],
    "known gaps naming no probe",
  );
  t.deepEqual(
    Object.keys(GAPS).filter((id) => GAPS[id].trim().length < 20),
    [],
    "known gaps without a reason",
  );
  for (const topic of TOPICS) {
    const fx = readFixture(topic.topic);
    const names = new Set(topic.probes.map((p) => p.name));
    t.deepEqual(
      Object.keys(fx).filter((n) => !names.has(n)),
      [],
      `fixtures of ${topic.topic} naming no probe`,
    );
    t.deepEqual(
      [...names].filter((n) => !(n in fx)),
      [],
      `probes of ${topic.topic} not recorded (npm run conformance -- --record)`,
    );
  }
});

for (const topic of TOPICS) {
  test(`simulation matches the interpreter: ${topic.topic}`, async (t) => {
    const fx = readFixture(topic.topic);
    for (const p of topic.probes) {
      const id = `${topic.topic}/${p.name}`;
      const o = judge(id, await runProbeSim(p, peer.ports), fx[p.name], GAPS[id]);
      if (o.verdict === "differs") t.deepEqual(o.actual, o.expected, `${id} differs from the interpreter`);
      else t.not(o.verdict, "stale gap", `${id} is listed as a known gap but matches: remove it from known-gaps.json`);
    }
  });
}

const binary = espruinoBinary();
if (binary) {
  // One test, probes one after the other: interpreters started all at once on a busy machine
  // shift their timers.
  test("the interpreter still gives the recorded outputs", async (t) => {
    for (const topic of TOPICS) {
      const fx = readFixture(topic.topic);
      for (const p of topic.probes)
        t.deepEqual(await runProbeReal(p, { binary, ports: peer.ports }), fx[p.name], `${topic.topic}/${p.name}`);
    }
  });
} else {
  test.skip(`the interpreter still gives the recorded outputs: ${targetSkipReason()}`, () => undefined);
}
