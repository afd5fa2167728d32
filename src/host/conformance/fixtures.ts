/**
 * Recorded outputs (test/conformance/fixtures/<topic>.json: probe name to output lines, one
 * char per byte as the interpreter printed them) and the known gaps of the simulation
 * (test/conformance/known-gaps.json: "topic/probe" to the reason it cannot match).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ProbeTopic } from "./probe.ts";

export const CONFORMANCE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "test", "conformance");
const FIXTURES_DIR = join(CONFORMANCE_DIR, "fixtures");
const GAPS_FILE = join(CONFORMANCE_DIR, "known-gaps.json");

export type Fixture = Record<string, string[]>;

function fixtureFile(topic: string): string {
  return join(FIXTURES_DIR, `${topic}.json`);
}

/** The recorded outputs of a topic ({} when none were recorded). */
export function readFixture(topic: string): Fixture {
  const f = fixtureFile(topic);
  return existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as Fixture) : {};
}

export function writeFixture(topic: string, fixture: Fixture): void {
  writeFileSync(fixtureFile(topic), JSON.stringify(fixture, null, 1) + "\n");
}

/** Known gaps: "topic/probe" to why the simulation differs there. */
export function readKnownGaps(): Record<string, string> {
  return JSON.parse(readFileSync(GAPS_FILE, "utf8")) as Record<string, string>;
}

export type Verdict = "match" | "gap" | "differs" | "stale gap" | "not recorded";

export interface Outcome {
  id: string;
  verdict: Verdict;
  expected?: string[];
  actual: string[];
  reason?: string;
}

/**
 * Compares an output with the fixture. A known gap must still differ: one that matches is a
 * stale entry to remove.
 */
export function judge(id: string, actual: string[], expected: string[] | undefined, gapReason: string | undefined): Outcome {
  if (!expected) return { id, verdict: "not recorded", actual };
  const same = actual.length === expected.length && actual.every((l, i) => l === expected[i]);
  if (gapReason !== undefined) return { id, verdict: same ? "stale gap" : "gap", expected, actual, reason: gapReason };
  return { id, verdict: same ? "match" : "differs", expected, actual };
}

/** "topic/name" of every probe, for checks that each fixture and gap names a real probe. */
export function probeIds(topics: ProbeTopic[]): string[] {
  return topics.flatMap((t) => t.probes.map((p) => `${t.topic}/${p.name}`));
}
