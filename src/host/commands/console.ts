/**
 * `spool console --port /dev/ttyUSB0 [--baud 115200]`: the board's REPL, through the espruino
 * CLI with the options `spool flash` uses, after the same port checks.
 */
import { parseArgs } from "node:util";
import { consolePlan, runConsole } from "../console/session.ts";
import { parseBaud } from "../flash/plan.ts";
import { checkPort, FlashError } from "../flash/port.ts";
import { portName } from "../flash/run.ts";
import { CONNECTION_OPTIONS, ESPRUINO_CLI, shellLine } from "./flash.ts";

export const summary = "open the board's REPL (espruino CLI terminal) to configure and inspect Spool";

const USAGE = `usage: spool console --port <device|tcp://HOST:PORT> [options]

Opens the board's REPL. Type spool.report() first; press Ctrl-C twice to leave.

  --port PORT       serial device (/dev/ttyUSB0, COM3) or tcp://HOST:PORT (a telnet console)
  --baud N          serial speed (default 115200)
  --espruino PATH   espruino CLI to use (default: the project's)
  --dry-run         print the espruino CLI invocation and stop`;

/** What to type first, shown once the port is open. */
export const FIRST_STEPS =
  "Type spool.report() and Enter for Spool's status; spool.setup({...}) configures it (see docs/device-api.md). Press Ctrl-C twice to leave.";

/** Runs the command; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  let values: { [k: string]: string | boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: CONNECTION_OPTIONS,
      strict: true,
    }));
  } catch (err) {
    console.error(`spool console: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.port) {
    console.error(`spool console: --port is required\n\n${USAGE}`);
    return 2;
  }
  let plan;
  try {
    plan = consolePlan({
      port: String(values.port),
      baud: parseBaud(values.baud as string | undefined),
      espruino: values.espruino ? String(values.espruino) : ESPRUINO_CLI,
    });
  } catch (err) {
    console.error(`spool console: ${(err as Error).message}`);
    return 2;
  }
  if (values["dry-run"]) {
    console.log(shellLine(plan.command, plan.args));
    return 0;
  }
  // Until the CLI puts the terminal in raw mode, Ctrl-C signals the whole process group: the CLI
  // then ends, and this process reports that rather than dying first.
  const ignore = (): void => undefined;
  process.on("SIGINT", ignore);
  try {
    await checkPort(plan.port);
    console.log(
      `spool console: opening ${portName(plan.port)}${plan.port.kind === "serial" ? ` at ${plan.args[plan.args.indexOf("-b") + 1]} baud` : ""}`,
    );
    const end = await runConsole(plan, {
      write: (s) => process.stdout.write(s),
      onConnected: () => process.stdout.write(`spool console: connected. ${FIRST_STEPS}\n`),
    });
    if (end === "interrupted") console.log("spool console: interrupted");
    return 0;
  } catch (err) {
    if (err instanceof FlashError) {
      console.error(`spool console: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    process.off("SIGINT", ignore);
  }
}
