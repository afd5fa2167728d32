/**
 * The summary printed at the end of the demo.
 */
import { n } from "./progress.ts";
import { clockText } from "./scenario.ts";
import type { DemoResult } from "./run.ts";

function ms(x: number): string {
  if (x < 1) return `${x.toFixed(2)} ms`;
  if (x < 10_000) return `${Math.round(x)} ms`;
  return `${(x / 1000).toFixed(1)} s`;
}

function utc(epochMs: number): string {
  return new Date(epochMs).toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

/** The summary's lines. */
export function formatSummary(r: DemoResult): string[] {
  const a = r.account;
  const t = r.timeline;
  const drops = Object.entries(a.dropped).filter(([, v]) => v > 0);
  const lines = [
    "",
    `Summary of ${utc(r.startEpochMs)} .. ${utc(r.startEpochMs + t.endMs)} (virtual), played in ${(r.wallMs / 1000).toFixed(1)} s`,
    `  scenario    online; WiFi gone ${clockText(t.outageStartMs)}-${clockText(t.outageEndMs)}; power cut and reboot without time at ${clockText(t.powerCutMs)}; ${r.boots} boots`,
    `  produced    ${n(a.produced)} readings by the simulated sensors (ground truth)`,
    `  recorded    ${n(a.recorded)} confirmed by the device's spool.sample counters; sampling errors ${n(a.sampleErrors)}`,
    `  delivered   ${n(a.delivered)} distinct readings on the server (${a.pins.map((p) => `V${p.pin} ${n(p.delivered)}`).join(", ")})`,
    `  duplicates  ${n(a.duplicates)} (the same reading stored twice after a lost reply)`,
    `  dropped     ${drops.length ? drops.map(([k, v]) => `${k} ${n(v)}`).join(", ") : "none"}`,
  ];
  if (a.pending)
    lines.push(
      `  waiting     ${n(a.pending)} readings still in flash (${r.status.uplink.state}${r.status.uplink.warning ? ": " + r.status.uplink.warning : ""})`,
    );
  if (a.unmatched) lines.push(`  unmatched   ${n(a.unmatched)} stored points match no reading (wrong value or time)`);
  lines.push(
    `  lost        ${n(a.lost)}   (produced - delivered - dropped${a.pending ? " - waiting" : ""})${a.lost === 0 ? "" : "   <-- READINGS WERE LOST"}`,
    `  timestamps  max |uploaded - true| ${ms(a.maxErrorMs)}, mean ${ms(a.meanErrorMs)} (device clock ${r.driftPpm} ppm fast, SNTP from the simulated network)`,
    `  chart gaps  largest interval between delivered points ${ms(a.maxGapMs)}`,
    `  traffic     ${n(r.requests)} HTTP requests, ${n(r.sntpAnswers)} SNTP replies; daily quota at most ${n(r.peakQuota)}/${n(r.status.uplink.quotaDaily)} used in a UTC day`,
    `  device RAM  at most ${n(r.peakVars)} of ${n(r.status.memory.total)} JsVars in use: ESTIMATED by the simulation (it counts the objects it can reach, not closures; sampled between steps); measured on the interpreter: npm run bench, target.memory.*`,
  );
  if (r.deviceErrors.length) lines.push(`  device errors: ${r.deviceErrors.slice(0, 5).join(" | ")}`);
  lines.push("", `Charts: ${r.pageUrl}${r.portNote ? `   (${r.portNote})` : ""}`);
  return lines;
}
