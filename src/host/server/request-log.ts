/**
 * Structured request log: one JSON line per request, with the token masked.
 */
import type { Writable } from "node:stream";

/** One request as logged. */
export interface LogEntry {
  time: string;
  method: string;
  path: string;
  /** Masked token, e.g. `abcd…wxyz`. */
  device?: string;
  pin?: string;
  points?: number;
  status: number | "hang" | "dropped";
  ms: number;
  fault?: string;
  error?: string;
  port?: "region";
  /** Protocol and cipher of an https request, e.g. `TLSv1.2 AES256-GCM-SHA384`. */
  tls?: string;
}

/** `abcd…wxyz` for tokens of 12+ characters; shorter ones show nothing of themselves. */
export function maskToken(token: string): string {
  return token.length >= 12 ? `${token.slice(0, 4)}…${token.slice(-4)}` : "…";
}

export type LogSink = (entry: LogEntry) => void;

/** A sink writing JSON lines to a stream or line callback, or nothing when `quiet`. */
export function createLogSink(options: { log?: Writable | ((line: string) => void); quiet?: boolean }): LogSink {
  if (options.quiet) return () => {};
  const out = options.log ?? process.stdout;
  const write = typeof out === "function" ? out : (line: string) => void out.write(line + "\n");
  return (entry) => write(JSON.stringify(entry));
}
