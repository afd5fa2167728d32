/**
 * The scripted day: when the WiFi goes, when the power is cut, when the WiFi returns, when the
 * day ends. Times are virtual ms from the start of the run.
 */
import { HOUR_MS, type DemoOptions } from "./options.ts";

export interface Timeline {
  /** The access point goes away. */
  outageStartMs: number;
  /** Power cut and immediate reboot (a power cycle): the new boot has no time and no WiFi. */
  powerCutMs: number;
  /** The access point is back. */
  outageEndMs: number;
  /** Sampling stops and the last readings are flushed. */
  endMs: number;
}

/**
 * The outage starts a third of the way into the online time (6 h into a 24 h day with a 6 h
 * outage), so there is online time before it to see normal delivery and twice as much after
 * it to deliver the backlog; the power cut is in its middle.
 */
export function timeline(o: Pick<DemoOptions, "durationH" | "outageH">): Timeline {
  const endMs = o.durationH * HOUR_MS;
  const outageMs = o.outageH * HOUR_MS;
  const outageStartMs = Math.round((endMs - outageMs) / 3);
  return {
    outageStartMs,
    powerCutMs: outageStartMs + Math.round(outageMs / 2),
    outageEndMs: outageStartMs + outageMs,
    endMs,
  };
}

/** `hh:mm` of a virtual offset from the start (hours go on past 24: `30:15`). */
export function clockText(ms: number): string {
  const totalMin = Math.floor(ms / 60_000);
  return `${String(Math.floor(totalMin / 60)).padStart(2, "0")}:${String(totalMin % 60).padStart(2, "0")}`;
}
