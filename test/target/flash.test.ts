/**
 * Flashing the real Espruino Linux interpreter over its telnet console, as a board is flashed
 * over a serial port: `espruino --telnet` in a temp dir, the linux bundle stored as boot code
 * with an initial config, then a restart (a reboot) must boot it from Storage with that config.
 * Runs only when ESPRUINO names the interpreter's binary (npm run test:target).
 */
import test from "ava";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build, FIRMWARE_PARTS } from "../../src/host/build/index.ts";
import { loadBoard } from "../../src/host/boards.ts";
import { readConfigFile, writeTempConfig } from "../../src/host/flash/config-file.ts";
import { flashPlan, parsePort } from "../../src/host/flash/plan.ts";
import { checkPort } from "../../src/host/flash/port.ts";
import { runEspruino } from "../../src/host/flash/run.ts";
import { ESPRUINO_CLI, run } from "../../src/host/commands/flash.ts";
import { withCapturedOutput } from "../helpers/captured-output.ts";
import { espruinoBinary, targetSkipReason } from "../../src/host/target/espruino-process.ts";
import { partsOfBundle } from "../../src/host/flash/parts.ts";

const BIN = espruinoBinary();
const TELNET_PORT = 2323;
const TOKEN = "Tok3nAbcdefghijklmnopqrstuvwxyz9";

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.once("error", () => resolve(true));
  });
}

/** Starts the interpreter in `dir`; resolves once `ready(output)` holds. */
function startInterpreter(
  dir: string,
  args: string[],
  ready: (out: string) => boolean,
): Promise<{ child: ChildProcess; out: () => string }> {
  const child = spawn(BIN!, args, { cwd: dir, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the interpreter did not get ready within 10 s; it printed:\n${out}`)), 10000);
    const take = (b: Buffer) => {
      out += b.toString("latin1");
      if (ready(out)) {
        clearTimeout(timer);
        resolve({ child, out: () => out });
      }
    };
    child.stdout!.on("data", take);
    child.stderr!.on("data", take);
    child.once("error", reject);
  });
}

/** The interpreter hooks SIGTERM and keeps running: it is killed outright. */
function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

async function waitFor(pred: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pred()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return pred();
}

const title = "real interpreter: flash the linux bundle over tcp://127.0.0.1:2323 with a config, reboot, it boots from Storage";
if (!BIN) {
  test.skip(`${title} (skipped: ${targetSkipReason()})`, () => {});
} else {
  test.serial(title, async (t) => {
    t.timeout(90000);
    if (!(await portFree(TELNET_PORT))) {
      t.fail(`port ${TELNET_PORT} is in use: another interpreter with --telnet is running (another test run?)`);
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), "spool-flash-target-"));
    const board = loadBoard("linux");
    const bundle = (await build({ board: "linux", outDir: dir })).file;
    const cfgFile = join(dir, "config.json");
    writeFileSync(
      cfgFile,
      JSON.stringify({
        blynk: { token: TOKEN, region: "lon1" },
        datastreams: [{ pin: 1, type: "double" }],
        schedules: [{ pin: 1, everyMs: 1000 }],
      }),
    );
    const tmp = writeTempConfig(readConfigFile(cfgFile, board));

    let dev = await startInterpreter(dir, ["--telnet"], (o) => o.includes("espruino.com"));
    try {
      // The telnet console listens a moment after the banner on a loaded machine.
      for (let i = 0; i < 100 && (await portFree(TELNET_PORT)); i++) await new Promise((r) => setTimeout(r, 100));
      const port = parsePort(`tcp://127.0.0.1:${TELNET_PORT}`);
      await checkPort(port);
      // The parts found beside the bundle, as `npm run flash -- --bundle FILE` does.
      const parts = partsOfBundle(bundle, "linux");
      t.deepEqual(parts.map((p) => p.storage.split(".")[1]).sort(), FIRMWARE_PARTS.map((p) => p.name).sort(), "the parts go along");
      const plan = flashPlan({ port: `tcp://127.0.0.1:${TELNET_PORT}`, bundle, parts, configFile: tmp.path, espruino: ESPRUINO_CLI });
      const outcome = await runEspruino(plan, { timeoutMs: 80000, cwd: dir });
      t.deepEqual(outcome.banner, { version: "0.1.0", board: "linux" }, "the CLI saw the banner after load");
      t.deepEqual(outcome.deviceErrors, []);
      t.false(outcome.output.includes(TOKEN), "the token is not echoed by the upload");
    } finally {
      tmp.remove();
      await kill(dev.child);
    }

    // A reboot: the same espruino.flash, no upload. The boot code and spool.json are in Storage.
    dev = await startInterpreter(dir, [], (o) => o.includes("Spool 0.1.0 on linux"));
    try {
      dev.child.stdin!.write(`print("CFG " + spool.config().blynk.host + " " + spool.config().blynk.token)\n`);
      t.true(await waitFor(() => /CFG lon1\.blynk\.cloud Tok3\.\.\.xyz9/.test(dev.out()), 5000), dev.out());
      // Let the configured schedule sample for a few seconds: readings are stored without errors.
      await new Promise((r) => setTimeout(r, 2500));
      dev.child.stdin!.write(`print("Q " + JSON.stringify(spool.status().sampling))\n`);
      t.true(
        await waitFor(() => /Q \[\{"pin":1,"everyMs":1000,"source":"synthetic","samples":[1-9]\d*,"errors":0\}\]/.test(dev.out()), 5000),
        dev.out(),
      );
    } finally {
      await kill(dev.child);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test.serial(
    "real interpreter: spool flash over the running firmware compacts Storage before and after the upload (the firmware never does); it boots with its configuration",
    async (t) => {
      t.timeout(300000);
      if (!(await portFree(TELNET_PORT))) {
        t.fail(`port ${TELNET_PORT} is in use: another interpreter with --telnet is running (another test run?)`);
        return;
      }
      const dir = mkdtempSync(join(tmpdir(), "spool-reflash-target-"));
      const bundle = (await build({ board: "linux", outDir: dir })).file;
      const cfgFile = join(dir, "config.json");
      writeFileSync(cfgFile, JSON.stringify({ blynk: { token: TOKEN, region: "lon1" }, datastreams: [{ pin: 1, type: "double" }] }));
      const port = `tcp://127.0.0.1:${TELNET_PORT}`;
      const said: string[] = [];
      try {
        for (let round = 0; round < 2; round++) {
          const dev = await startInterpreter(dir, ["--telnet"], (o) => o.includes("espruino.com") || o.includes("Spool 0.1.0 on linux"));
          try {
            if (round === 1) {
              // The firmware runs (booted from Storage), recording every 100 ms.
              dev.child.stdin!.write(`spool.sample(1,function(){return 1.5;},100),print("RUNS "+spool.status().queue.pending)\n`);
              t.true(await waitFor(() => /RUNS \d+/.test(dev.out()), 10000), dev.out());
            }
            const lines: string[] = [];
            // The telnet console listens once the interpreter is up (booting 96 KB from Storage first).
            for (let i = 0; i < 200 && (await portFree(TELNET_PORT)); i++) await new Promise((r) => setTimeout(r, 100));
            let code = -1;
            await withCapturedOutput(async (captured) => {
              try {
                code = await run([
                  "--board",
                  "linux",
                  "--port",
                  port,
                  "--bundle",
                  bundle,
                  "--backup-dir",
                  join(dir, "backups"),
                  ...(round === 0 ? ["--config", cfgFile] : []),
                ]);
              } finally {
                lines.push(...captured);
              }
            });
            t.is(code, 0, `round ${round}: spool flash printed:\n${lines.join("\n")}\nthe interpreter printed:\n${dev.out()}`);
            said.push(...lines.filter((l) => /^spool flash: Storage compacted/.test(l)).map((l) => `round ${round}: ${l}`));
          } finally {
            await kill(dev.child);
          }
        }
        t.is(said.length, 4, said.join("\n"));
        // A reboot: the new firmware boots with the configuration; the old code's trash is gone.
        const dev = await startInterpreter(dir, [], (o) => o.includes("Spool 0.1.0 on linux"));
        try {
          dev.child.stdin!.write(`print("CFG "+spool.config().blynk.token+" "+JSON.stringify(require("Storage").getStats()))\n`);
          t.true(await waitFor(() => /CFG Tok3\.\.\.xyz9 /.test(dev.out()), 10000), dev.out());
          t.false(/Uncaught|Storage is corrupt/.test(dev.out()), dev.out());
          const after = JSON.parse(/CFG \S+ (\{.*\})/.exec(dev.out())![1]) as { fileBytes: number; trashBytes: number };
          t.log(said.join("\n"));
          t.log(`Storage after the second spool flash and a reboot: ${JSON.stringify(after)}`);
          t.true(after.trashBytes < 4096, "the replaced code's trash was compacted after the upload");
        } finally {
          await kill(dev.child);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
}
