/** Runs the espruino CLI for a {@link FlashPlan} and reads what it printed. */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { COMPACTED_MARK, type FlashPlan, type PortSpec } from "./plan.ts";
import { FlashError } from "./port.ts";

/** The line the firmware prints at boot. */
export const BANNER = /Spool (\S+) on (\S+)/;

export interface FlashOutcome {
  /** Version and board from the boot banner, when the board printed it after the upload. */
  banner?: { version: string; board: string };
  /** Errors the board printed after the upload (e.g. "Uncaught ..."). */
  deviceErrors: string[];
  output: string;
}

/** How the user named a port: its device path or tcp:// URL. */
export function portName(port: PortSpec): string {
  return port.kind === "tcp" ? port.url : port.path;
}

/**
 * Why the CLI could not open `port`, read from what it printed; undefined when nothing there
 * says it failed to connect.
 */
export function connectionFailure(output: string, port: PortSpec): FlashError | undefined {
  const where = portName(port);
  if (/Port "[^"]*" not found/.test(output)) {
    if (port.kind === "serial" && existsSync(port.path)) {
      // The CLI opens only what serialport lists (on Linux, udev's tty devices by their own name).
      return new FlashError(
        `the espruino CLI does not list ${where} among the serial ports: give the device itself (such as /dev/ttyUSB0), not a link to it`,
      );
    }
    return new FlashError(`no such serial port ${where}`);
  }
  if (/EBUSY|Resource busy|Cannot lock port/i.test(output))
    return new FlashError(`port busy: ${where} is in use by another program; close it and try again`);
  if (/EACCES|Permission denied/.test(output)) return new FlashError(`permission denied on ${where}`);
  if (/ECONNREFUSED/.test(output)) return new FlashError(`nothing listens at ${where}`);
  if (/Unable to connect/.test(output)) return new FlashError(`could not open ${where}`);
  return undefined;
}

/**
 * Reads the CLI's output (it exits 0 whether or not it connected).
 * @throws FlashError with a clear cause when the upload did not complete.
 */
export function interpretCliOutput(output: string, plan: FlashPlan): FlashOutcome {
  const where = portName(plan.port);
  const done = output.includes("Upload Complete");
  const failed = connectionFailure(output, plan.port);
  if (failed) throw failed;
  if (/pre-1v96 firmware|Unable to retrieve board information/.test(output)) {
    throw new FlashError(
      `the board at ${where} did not answer the CLI's query (process.env): is Espruino running there, at the right baud rate? Nothing was stored`,
    );
  }
  if (!done) {
    const lost = /ECONNRESET|Disconnected\./.test(output) ? " (the connection dropped)" : "";
    throw new FlashError(`upload to ${where} did not complete${lost}; the board may keep its previous firmware`);
  }
  const deviceErrors: string[] = [];
  let banner: FlashOutcome["banner"];
  // The CLI sends reset() first, so the only banner printed is the new firmware's.
  for (const raw of output.split(/\r?\n/)) {
    const line = raw.replace(/^--\] ?/, "");
    const m = BANNER.exec(line);
    if (m) banner = { version: m[1], board: m[2] };
    if (/^Uncaught |ASSERT\(|OUT OF MEMORY/.test(line.trim())) deviceErrors.push(line.trim());
  }
  return { banner, deviceErrors, output };
}

/**
 * Reads the output of a compaction run (plan.ts compactPlan): Storage's stats after it.
 * @throws FlashError when the board did not say it compacted.
 */
export function interpretCompactOutput(output: string, plan: FlashPlan): StorageStatsLike {
  const failed = connectionFailure(output, plan.port);
  if (failed) throw failed;
  const m = new RegExp(COMPACTED_MARK + " (\\{[^\\n]*\\})").exec(output);
  if (!m) {
    const said = output
      .split(/\r?\n/)
      .filter((l) => /Uncaught|Error/.test(l))
      .map((l) => l.replace(/^>/, "").trim());
    throw new FlashError(
      `the board at ${portName(plan.port)} did not compact Storage${said.length ? ": " + said.join("; ") : ""}; nothing was uploaded`,
    );
  }
  return JSON.parse(m[1]) as StorageStatsLike;
}

/** `Storage.getStats()` as the board printed it. */
export interface StorageStatsLike {
  fileBytes: number;
  trashBytes: number;
  freeBytes: number;
  totalBytes: number;
}

/**
 * Runs the CLI, streaming its output to `onOutput`; `interpret` reads the output (default: an
 * upload's, {@link interpretCliOutput}). With `until`, the run is over as soon as the output
 * matches it: the CLI is stopped then (it otherwise waits for the board to fall quiet, which a
 * running firmware that logs may never do).
 * @throws FlashError when the CLI is missing, times out, or the upload failed.
 */
export function runEspruino<T = FlashOutcome>(
  plan: FlashPlan,
  options: {
    timeoutMs: number;
    onOutput?: (text: string) => void;
    cwd?: string;
    interpret?: (output: string, plan: FlashPlan) => T;
    until?: RegExp;
  },
): Promise<T> {
  const interpret = options.interpret ?? (interpretCliOutput as unknown as (output: string, plan: FlashPlan) => T);
  return new Promise((resolve, reject) => {
    const child = spawn(plan.command, plan.args, { cwd: options.cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const take = (b: Buffer): void => {
      const s = b.toString("utf8");
      output += s;
      options.onOutput?.(s);
      if (options.until?.test(output)) child.kill("SIGTERM");
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      reject(
        new FlashError(
          `the espruino CLI did not finish within ${Math.round(options.timeoutMs / 1000)} s; the board may keep its previous firmware`,
        ),
      );
    }, options.timeoutMs);
    child.once("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new FlashError(
          err.code === "ENOENT"
            ? `espruino CLI not found at ${plan.command}: run npm install`
            : `cannot run ${plan.command}: ${err.message}`,
        ),
      );
    });
    child.once("close", () => {
      clearTimeout(timer);
      try {
        resolve(interpret(output, plan));
      } catch (err) {
        reject(err);
      }
    });
  });
}
