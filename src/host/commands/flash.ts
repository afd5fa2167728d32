/**
 * `spool flash --board esp32 --port /dev/ttyUSB0 [--config config.json] [--baud 115200]`:
 * builds the firmware for the board and stores it on the board as boot code, with the espruino
 * CLI, compacting the board's Storage before and after (the firmware never does). See
 * src/host/flash/plan.ts for the exact invocations.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadBoard } from "../boards.ts";
import { build } from "../build/index.ts";
import { readConfigFile, writeTempConfig } from "../flash/config-file.ts";
import { compactPlan, compactScript, flashPlan, parseBaud, parsePort, type FlashPlan } from "../flash/plan.ts";
import { checkPort, FlashError } from "../flash/port.ts";
import { interpretCompactOutput, runEspruino } from "../flash/run.ts";
import { partsOfBundle } from "../flash/parts.ts";

export const summary = "build the firmware and store it on a board as boot code (espruino CLI)";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
/** The CLI the project depends on (espruino 0.1.67). */
export const ESPRUINO_CLI = join(ROOT, "node_modules", ".bin", "espruino");
const BASE_TIMEOUT_MS = 60000;
/** Upload time allowance per KB (a throttled tcp upload runs at about 3.5 KB/s). */
const MS_PER_KB = 1000;

const USAGE = `usage: spool flash --board <esp32|esp8266|linux> --port <device|tcp://HOST:PORT> [options]

  --board ID        board profile (boards/<id>.json)
  --port PORT       serial device (/dev/ttyUSB0, COM3) or tcp://HOST:PORT (a telnet console,
                    e.g. the Linux interpreter started with --telnet: tcp://127.0.0.1:2323)
  --config FILE     initial configuration (JSON, as spool.setup takes), stored as spool.json;
                    checked here first. Secrets stay in the file, off the command line.
  --baud N          serial speed (default 115200)
  --bundle FILE     flash this bundle instead of building firmware/build/<id>.js
  --espruino PATH   espruino CLI to use (default: the project's)
  --dry-run         print the espruino CLI invocation and stop`;

async function buildBundle(boardId: string): Promise<string> {
  const result = await build({ board: boardId, entry: join(ROOT, "firmware", "main.ts"), outDir: join(ROOT, "firmware", "build") });
  console.log(`spool flash: built ${relative(process.cwd(), result.file) || result.file} (${result.bytes} of ${result.budget} bytes)`);
  return result.file;
}

/** The options `spool flash` and `spool console` share (for node:util parseArgs). */
export const CONNECTION_OPTIONS = {
  port: { type: "string" },
  baud: { type: "string" },
  espruino: { type: "string" },
  "dry-run": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** A CLI invocation as one shell line (for --dry-run). */
export function shellLine(command: string, args: string[]): string {
  return [command, ...args].map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(" ");
}

/** Runs the command; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  let values: { [k: string]: string | boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { ...CONNECTION_OPTIONS, board: { type: "string" }, config: { type: "string" }, bundle: { type: "string" } },
      strict: true,
    }));
  } catch (err) {
    console.error(`spool flash: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.board || !values.port) {
    console.error(`spool flash: ${!values.board ? "--board" : "--port"} is required\n\n${USAGE}`);
    return 2;
  }
  let removeConfig: (() => void) | undefined;
  let scripts: string | undefined;
  try {
    const board = loadBoard(String(values.board));
    const port = parsePort(String(values.port));
    const baud = parseBaud(values.baud as string | undefined);
    let configFile: string | undefined;
    if (values.config) {
      const tmp = writeTempConfig(readConfigFile(String(values.config), board));
      configFile = tmp.path;
      removeConfig = tmp.remove;
    }
    const espruino = values.espruino ? String(values.espruino) : ESPRUINO_CLI;
    if (values["dry-run"]) {
      const bundle = values.bundle ? String(values.bundle) : join("firmware", "build", `${board.id}.js`);
      const parts = existsSync(bundle) ? partsOfBundle(bundle, board.id) : [];
      const plan = flashPlan({ port: String(values.port), bundle, parts, configFile, baud, espruino });
      const steps = compactSteps(String(values.port), baud, espruino, "spool-compact");
      console.log(`# ${steps.before.script}: ${compactScript(false)}`);
      console.log(`# ${steps.after.script}: ${compactScript(true)}`);
      console.log(shellLine(steps.before.plan.command, steps.before.plan.args));
      console.log(shellLine(plan.command, plan.args));
      console.log(shellLine(steps.after.plan.command, steps.after.plan.args));
      return 0;
    }
    const bundle = values.bundle ? String(values.bundle) : await buildBundle(board.id);
    if (!existsSync(bundle)) throw new FlashError(`no such bundle ${bundle}`);
    const parts = partsOfBundle(bundle, board.id);
    const plan = flashPlan({ port: String(values.port), bundle, parts, configFile, baud, espruino });
    await checkPort(port);
    scripts = mkdtempSync(join(tmpdir(), "spool-compact-"));
    const steps = compactSteps(String(values.port), baud, espruino, scripts);
    writeFileSync(steps.before.script, compactScript(false));
    writeFileSync(steps.after.script, compactScript(true));
    console.log(`spool flash: compacting Storage on ${values.port} (the firmware is stopped first)`);
    await compactStep(steps.before.plan);
    console.log(
      `spool flash: storing ${relative(process.cwd(), bundle) || bundle} as boot code on ${values.port}${configFile ? " with the configuration from " + values.config : ""}`,
    );
    const outcome = await runEspruino(plan, {
      timeoutMs: BASE_TIMEOUT_MS + Math.ceil((await fileKb([bundle, ...parts.map((p) => p.path)])) * MS_PER_KB),
      onOutput: (s) => process.stdout.write(s),
    });
    for (const e of outcome.deviceErrors) console.error(`spool flash: the board reported: ${e}`);
    console.log("spool flash: compacting Storage again (the replaced code's trash), then restarting the firmware");
    await compactStep(steps.after.plan);
    if (outcome.banner) {
      console.log(`spool flash: done; the board booted Spool ${outcome.banner.version} on ${outcome.banner.board}`);
      if (outcome.banner.board !== board.id)
        console.error(`spool flash: warning: the firmware says board "${outcome.banner.board}", not "${board.id}"`);
    } else console.log("spool flash: uploaded, but the boot banner was not seen; check the board's console");
    return outcome.deviceErrors.length ? 1 : 0;
  } catch (err) {
    if (err instanceof FlashError || (err as Error).name === "BoardProfileError" || (err as Error).name === "BuildError") {
      console.error(`spool flash: ${(err as Error).message}`);
      return 1;
    }
    throw err;
  } finally {
    removeConfig?.();
    if (scripts) rmSync(scripts, { recursive: true, force: true });
  }
}

/** The compaction runs before and after the upload: their script files (in `dir`) and CLI invocations. */
function compactSteps(
  port: string,
  baud: number | undefined,
  espruino: string,
  dir: string,
): { before: { script: string; plan: FlashPlan }; after: { script: string; plan: FlashPlan } } {
  const step = (name: string) => {
    const script = join(dir, name);
    return { script, plan: compactPlan({ port, baud, espruino, script }) };
  };
  return { before: step("compact.js"), after: step("compact-restart.js") };
}

/**
 * Runs one compaction step.
 * @throws FlashError when the board did not say it compacted.
 */
async function compactStep(plan: FlashPlan): Promise<void> {
  const stats = await runEspruino(plan, {
    timeoutMs: BASE_TIMEOUT_MS,
    onOutput: (s) => process.stdout.write(s),
    interpret: interpretCompactOutput,
  });
  console.log(`spool flash: Storage compacted: ${stats.fileBytes} bytes of files, ${stats.trashBytes} of trash, ${stats.freeBytes} free`);
}

async function fileKb(paths: string[]): Promise<number> {
  const { stat } = await import("node:fs/promises");
  let bytes = 0;
  for (const p of paths) bytes += (await stat(p)).size;
  return bytes / 1024;
}
