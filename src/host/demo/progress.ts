/**
 * What the person watching sees while the day plays: one status line redrawn in place on a
 * terminal (plain periodic lines otherwise, for logs and CI), and the scenario's events as
 * lines above it.
 */
import { clockText } from "./scenario.ts";

/** The state shown on the progress line. */
export interface Snapshot {
  /** Virtual ms since the start of the run. */
  atMs: number;
  /** What is going on ("online", "WiFi outage"...). */
  phase: string;
  /** Undelivered readings in the device's flash. */
  queue: number;
  /** Points the server stored (duplicates excluded). */
  delivered: number;
  quotaUsed: number;
  quotaDaily: number;
}

export interface ProgressOptions {
  write: (text: string) => void;
  /** Redraw one line in place (`\r`); otherwise print a line every `plainEveryMs` of virtual time. */
  tty: boolean;
  /** Virtual length of the run, ms (shown as the total). */
  totalMs: number;
  /** Virtual ms between plain lines. */
  plainEveryMs: number;
  /** Least wall ms between two redraws on a terminal. */
  redrawMs?: number;
}

const REDRAW_MS = 80;
const CLEAR_LINE = "\r\x1b[K";

/** Numbers with thousands separators. */
export function n(x: number): string {
  return x.toLocaleString("en-US");
}

/** The progress line for a snapshot. */
export function progressLine(s: Snapshot, totalMs: number): string {
  return `${clockText(s.atMs)} / ${clockText(totalMs)}  ${s.phase.padEnd(28)} queue ${n(s.queue).padStart(6)}  delivered ${n(s.delivered).padStart(6)}  quota ${n(s.quotaUsed)}/${n(s.quotaDaily)}`;
}

/** Draws the progress line and event lines. */
export class Progress {
  private last: Snapshot | undefined;
  private drawnAt = 0;
  private nextPlainMs: number;
  private shown = false;

  constructor(private readonly o: ProgressOptions) {
    this.nextPlainMs = o.plainEveryMs;
  }

  /** New state; drawn when due. */
  update(s: Snapshot): void {
    this.last = s;
    if (this.o.tty) {
      const now = Date.now();
      if (now - this.drawnAt < (this.o.redrawMs ?? REDRAW_MS)) return;
      this.drawnAt = now;
      this.o.write(CLEAR_LINE + progressLine(s, this.o.totalMs));
      this.shown = true;
      return;
    }
    if (s.atMs >= this.nextPlainMs) {
      while (this.nextPlainMs <= s.atMs) this.nextPlainMs += this.o.plainEveryMs;
      this.o.write(progressLine(s, this.o.totalMs) + "\n");
    }
  }

  /** A scenario event at virtual `atMs`, printed on its own line. */
  event(atMs: number, text: string): void {
    const line = `${clockText(atMs)}  ${text}`;
    if (this.o.tty && this.shown) {
      this.o.write(CLEAR_LINE + line + "\n");
      if (this.last) this.o.write(progressLine(this.last, this.o.totalMs));
    } else {
      this.o.write(line + "\n");
    }
  }

  /** Draws the final state and ends the line. */
  done(): void {
    if (!this.last) return;
    if (this.o.tty) this.o.write(CLEAR_LINE + progressLine(this.last, this.o.totalMs) + "\n");
    else this.o.write(progressLine(this.last, this.o.totalMs) + "\n");
    this.shown = false;
  }
}
