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
import { COMPACT_WAIT_S, compactPlan, compactScript, flashPlan, parseBaud, parsePort, type FlashPlan } from "../flash/plan.ts";
import { checkPort, FlashError } from "../flash/port.ts";
import { interpretCompactOutput, runEspruino, BANNER } from "../flash/run.ts";
import {
  BACKUP_DIR,
  backupPath,
  describeLoss,
  isLoss,
  loadBackup,
  lossAgainst,
  mergeLeftover,
  parseSnapshot,
  removeBackup,
  repaired,
  repairScript,
  keepAreaOf,
  saveBackup,
  snapshotScript,
  type KeepArea,
  type Snapshot,
} from "../flash/keep.ts";
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
  --backup-dir DIR  where the board's own files (configuration, quota; on linux the ring) are
                    kept while Storage compacts (default ~/.spool/backups); a flash cut by a
                    power loss leaves the backup there, and the next spool flash of the board
                    writes back what it lost
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
      options: {
        ...CONNECTION_OPTIONS,
        board: { type: "string" },
        config: { type: "string" },
        bundle: { type: "string" },
        "backup-dir": { type: "string" },
      },
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
      const area = keepAreaOf(board);
      console.log(`# spool-compact/snapshot.js (before each compaction): ${snapshotScript(area, "data")}`);
      console.log(`# ${steps.before.script}: ${compactScript(false, snapshotScript(area, "crc"))}`);
      console.log(`# ${steps.after.script}: ${compactScript(true, snapshotScript(area, "crc"), false)}`);
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
    const link: Link = { port: String(values.port), baud, espruino, dir: scripts, area: keepAreaOf(board) };
    const backupDir = values["backup-dir"] ? String(values["backup-dir"]) : BACKUP_DIR;
    // The board's own files (and on linux the ring), kept on disk while Storage compacts.
    let kept = await snapshot(link, "data");
    const backup = backupPath(backupDir, board.id, link.port, kept.serial);
    const left = loadBackup(backup);
    if (left) {
      const loss = lossAgainst(left, kept, "missing");
      if (isLoss(loss)) {
        console.log(`spool flash: an earlier spool flash was cut; the board lost ${describeLoss(loss)}: writing back from ${backup}`);
        await repair(link, mergeLeftover(left, kept, loss), loss, false);
        kept = await snapshot(link, "data");
      }
    }
    saveBackup(backup, kept);
    console.log(`spool flash: kept ${keptSummary(kept)} in ${backup} until the flash completes`);
    console.log(`spool flash: compacting Storage on ${values.port} (the firmware is stopped first)`);
    await compactStep(link, kept, compactScript(false, snapshotScript(link.area, "crc")), false);
    console.log(
      `spool flash: storing ${relative(process.cwd(), bundle) || bundle} as boot code on ${values.port}${configFile ? " with the configuration from " + values.config : ""}`,
    );
    const upload = async () =>
      runEspruino(plan, {
        timeoutMs: BASE_TIMEOUT_MS + Math.ceil((await fileKb([bundle, ...parts.map((p) => p.path)])) * MS_PER_KB),
        onOutput: (s) => process.stdout.write(s),
      });
    let outcome = await upload();
    for (const e of outcome.deviceErrors) console.error(`spool flash: the board reported: ${e}`);
    // The new firmware has booted (it may have adopted the configuration): keep its files as they are now.
    kept = await snapshot(link, "data");
    saveBackup(backup, kept);
    console.log("spool flash: compacting Storage again (the replaced code's trash), then restarting the firmware");
    if (await compactStep(link, kept, compactScript(true, snapshotScript(link.area, "crc"), false), true)) {
      console.log("spool flash: storing the code again (Storage was erased whole)");
      outcome = await upload();
    }
    removeBackup(backup);
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

/** How to reach the board: the CLI, the port, a directory for script files, the ring to keep. */
interface Link {
  port: string;
  baud: number | undefined;
  espruino: string;
  dir: string;
  area: KeepArea;
}

/** Runs of the snapshot script before giving up. */
const SNAPSHOT_TRIES = 3;
/** Seconds of listening per KB the board prints (a console of a few KB/s; the ring's pages in base64). */
const WAIT_S_PER_KB = 0.15;

/**
 * Runs `code` on the board (sent as a file: the CLI sends reset() first) and returns what it
 * printed, listening long enough for `printsKb` of output.
 */
/** The firmware's banner, a whole line: the board restarted. */
const RESTARTED = new RegExp(`${BANNER.source}\\r?\\n`);

async function runScript(
  link: Link,
  name: string,
  code: string,
  printsKb = 0,
  timeoutMs = BASE_TIMEOUT_MS,
  until?: RegExp,
): Promise<string> {
  const script = join(link.dir, name);
  writeFileSync(script, code);
  const waitS = COMPACT_WAIT_S + Math.ceil(printsKb * WAIT_S_PER_KB);
  return runEspruino(compactPlan({ port: link.port, baud: link.baud, espruino: link.espruino, script, waitS }), {
    timeoutMs: timeoutMs + waitS * 1000 + Math.ceil((code.length / 1024) * MS_PER_KB),
    interpret: (out) => out,
    until,
  });
}

/**
 * Reads the kept files (and ring pages) off the board.
 * @throws FlashError when the board did not print them.
 */
async function snapshot(link: Link, ring: "data" | "crc"): Promise<Snapshot> {
  const ringKb = link.area.ring && ring === "data" ? (link.area.ring.length * 1.4) / 1024 : 0;
  // A board still booting the new code (read from flash, seconds on linux) may miss the first try.
  for (let attempt = 1; ; attempt++) {
    const out = await runScript(link, "snapshot.js", snapshotScript(link.area, ring), 2 + ringKb);
    const s = parseSnapshot(out, link.area);
    if (s) return s;
    if (attempt === SNAPSHOT_TRIES) throw new FlashError(`the board at ${link.port} did not list its files; nothing was changed`);
  }
}

/**
 * Writes back what the board lost.
 * @throws FlashError when the board did not confirm it.
 */
async function repair(link: Link, backup: Snapshot, loss: ReturnType<typeof lossAgainst>, restart: boolean): Promise<void> {
  const out = await runScript(link, "repair.js", repairScript(backup, loss, restart));
  if (!repaired(out)) throw new FlashError(`the board at ${link.port} did not confirm the files written back; flash again`);
}

function keptSummary(s: Snapshot): string {
  const pages = Object.keys(s.pages).length;
  return `${Object.keys(s.files).length} files (${Object.keys(s.files).join(", ")})${pages ? ` and the ring (${pages} pages)` : ""}`;
}

/**
 * Runs one compaction step, then checks the kept files against `kept` and writes back what is
 * missing or different (and boots the firmware when `restart`).
 * @returns whether Storage was erased whole (the code must be stored again).
 * @throws FlashError when the board did not say it compacted.
 */
async function compactStep(link: Link, kept: Snapshot, code: string, restart: boolean): Promise<boolean> {
  const script = join(link.dir, restart ? "compact-restart.js" : "compact.js");
  writeFileSync(script, code);
  const plan = compactPlan({ port: link.port, baud: link.baud, espruino: link.espruino, script });
  let out = "";
  const stats = await runEspruino(plan, {
    timeoutMs: BASE_TIMEOUT_MS,
    onOutput: (s) => process.stdout.write(s),
    interpret: (o, p) => {
      out = o;
      return interpretCompactOutput(o, p);
    },
  });
  console.log(`spool flash: Storage compacted: ${stats.fileBytes} bytes of files, ${stats.trashBytes} of trash, ${stats.freeBytes} free`);
  const now = parseSnapshot(out, link.area);
  if (!now) throw new FlashError(`the board at ${link.port} did not list its files after compacting; flash again`);
  const loss = lossAgainst(kept, now);
  if (isLoss(loss)) {
    console.log(`spool flash: the compaction lost ${describeLoss(loss)}: writing back`);
    await repair(link, kept, loss, restart && !loss.wipe);
    console.log("spool flash: written back");
    return loss.wipe;
  }
  console.log("spool flash: every kept file checked after the compaction");
  // Done once the firmware's banner is out: a firmware that logs (an uplink retrying an
  // unreachable host) never lets the CLI see the quiet it waits for.
  if (restart) await runScript(link, "restart.js", "load();", 0, BASE_TIMEOUT_MS, RESTARTED);
  return false;
}

async function fileKb(paths: string[]): Promise<number> {
  const { stat } = await import("node:fs/promises");
  let bytes = 0;
  for (const p of paths) bytes += (await stat(p)).size;
  return bytes / 1024;
}
