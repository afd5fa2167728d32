/**
 * Options of `spool demo` (`npm start`): parsing, defaults, checks and the help text.
 */
import { parseArgs } from "node:util";

export const HOUR_MS = 3_600_000;
export const DEFAULT_DB_FILE = "./spool-demo.sqlite";
export const DEFAULT_PORT = 8080;
/**
 * Two pins every 30 s make 5,760 points a day: inside Blynk's 10,000 points per device per day.
 * Below about 17.3 s two pins exceed the quota and the rest of the day waits in flash.
 */
export const DEFAULT_RATE_S = 30;
export const DEFAULT_DURATION_H = 24;
export const DEFAULT_OUTAGE_H = 6;
/** The scenario needs some connected time after the outage to deliver the backlog. */
export const MIN_ONLINE_AFTER_MS = 10 * 60_000;

/** What the demo runs. */
export interface DemoOptions {
  /** Virtual hours played. */
  durationH: number;
  /** Hours without WiFi (the power cut happens in its middle). */
  outageH: number;
  /** Seconds between two readings of a pin. */
  rateS: number;
  /** Virtual time = wall clock (the day starts now and takes `durationH` real hours / speed). */
  realtime: boolean;
  /** With real-time pacing: virtual ms per wall ms (default 1 with --realtime, unpaced without). */
  speed: number | undefined;
  /** Port of the local server; undefined = 8080, or any free port when 8080 is taken. */
  port: number | undefined;
  /** SQLite file of the server. */
  db: string;
  /** Reuse the database of earlier runs (the new day follows the last one) instead of a fresh one. */
  keep: boolean;
  /**
   * Stop the server after the summary instead of serving the page until Ctrl-C. Default: stop
   * when the output is not a terminal (scripts, CI), serve when a person is watching.
   */
  exit: boolean;
}

export const HELP = `usage: npm start -- [options]      (or: spool demo [options])

Plays a day in the life of a Spool device without hardware: a local Blynk-compatible server,
a simulated ESP32 running the compiled firmware, and a scripted day in virtual time:
online, a WiFi outage, a power cut and a reboot without the time while offline, reconnection,
SNTP sync, flush. Readings: V1 temperature and V2 humidity, one per pin every --rate seconds.
At the end: a summary (recorded, delivered, duplicates, dropped, lost - which must be 0) and
the address of the server's page with the charts.

options:
  --duration H     virtual hours to play (default ${DEFAULT_DURATION_H})
  --outage H       hours without WiFi, starting a third of the way into the online time;
                   the power cut comes halfway through it (default ${DEFAULT_OUTAGE_H})
  --rate S         seconds between readings of each pin (default ${DEFAULT_RATE_S}; two pins faster than
                   every 17.3 s exceed Blynk's 10,000 points a day, and the rest waits in flash)
  --realtime       virtual time = the wall clock: the day starts now and takes --duration
                   real hours (combine with --speed to go faster)
  --speed X        pace virtual time at X times the wall clock (default: as fast as possible;
                   1 with --realtime)
  --port N         port of the local server and its page (default ${DEFAULT_PORT}, or a free one
                   when ${DEFAULT_PORT} is taken; 0 = any free port)
  --db FILE        SQLite file of the server (default ${DEFAULT_DB_FILE}), emptied at the start
  --keep           keep the points of earlier runs in --db; this run's day follows the last one
  --exit           stop after the summary instead of serving the page until Ctrl-C (the
                   default when the output is not a terminal, as in scripts and CI)
  --serve          serve the page after the summary until Ctrl-C, even without a terminal
  -h, --help       this text

Exit code 1 when a reading was lost.
`;

/** Bad command-line input; the message names the option to fix. */
export class DemoUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DemoUsageError";
  }
}

function positive(name: string, text: string | undefined, fallback: number, opts: { integer?: boolean; min?: number } = {}): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  const min = opts.min ?? 0;
  if (text.trim() === "" || !Number.isFinite(n) || n <= min || (opts.integer && !Number.isInteger(n))) {
    throw new DemoUsageError(`--${name} needs ${opts.integer ? "a whole number" : "a number"} greater than ${min}, not "${text}"`);
  }
  return n;
}

/**
 * Checks option values against each other.
 * @throws DemoUsageError naming the option to change.
 */
export function checkOptions(o: DemoOptions): DemoOptions {
  const durationMs = o.durationH * HOUR_MS;
  const outageMs = o.outageH * HOUR_MS;
  if (durationMs - outageMs < MIN_ONLINE_AFTER_MS * 1.5) {
    throw new DemoUsageError(
      `--outage ${o.outageH} leaves too little online time in --duration ${o.durationH}: keep at least ${(MIN_ONLINE_AFTER_MS * 1.5) / 60_000} minutes online (for instance --outage ${Math.max(0.1, Math.floor((o.durationH - 0.25) * 10) / 10)})`,
    );
  }
  if (o.rateS < 0.1 || o.rateS > 3600) throw new DemoUsageError(`--rate must be 0.1..3600 seconds, not ${o.rateS}`);
  if (o.rateS * 1000 * 4 > outageMs)
    throw new DemoUsageError(`--rate ${o.rateS} s is too slow for a ${o.outageH} h outage: take at least 4 readings during it`);
  if (o.port !== undefined && (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535))
    throw new DemoUsageError(`--port must be 0..65535, not ${o.port}`);
  return o;
}

/**
 * Parses `spool demo` arguments; `"help"` when help was asked for.
 * @throws DemoUsageError for an unknown option or a bad value, naming it.
 */
export function parseDemoArgs(argv: string[]): DemoOptions | "help" {
  const s = { type: "string" } as const;
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: "boolean", short: "h" },
        duration: s,
        outage: s,
        rate: s,
        realtime: { type: "boolean" },
        speed: s,
        port: s,
        db: s,
        keep: { type: "boolean" },
        exit: { type: "boolean" },
        serve: { type: "boolean" },
      },
    }));
  } catch (err) {
    throw new DemoUsageError((err as Error).message);
  }
  if (values.help) return "help";
  const port = values.port === undefined ? undefined : Number(values.port);
  if (values.port !== undefined && (values.port.trim() === "" || !Number.isInteger(port)))
    throw new DemoUsageError(`--port needs a whole number, not "${values.port}"`);
  if (values.db !== undefined && values.db.trim() === "") throw new DemoUsageError("--db needs a file name");
  return checkOptions({
    durationH: positive("duration", values.duration, DEFAULT_DURATION_H),
    outageH: positive("outage", values.outage, DEFAULT_OUTAGE_H),
    rateS: positive("rate", values.rate, DEFAULT_RATE_S),
    realtime: values.realtime ?? false,
    speed: values.speed === undefined ? undefined : positive("speed", values.speed, 1),
    port,
    db: values.db ?? DEFAULT_DB_FILE,
    keep: values.keep ?? false,
    exit: values.exit ?? (values.serve ? false : !process.stdout.isTTY),
  });
}
