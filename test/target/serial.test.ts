/**
 * Flashing and configuring the real Espruino Linux interpreter through a serial device node, as
 * a user does an ESP32 over USB: a pty pair (socat) with one end the interpreter's console and
 * the other a ttyUSB0 device that the espruino CLI opens with serialport. `spool flash` stores
 * the linux bundle and a config; the interpreter restarts on the same flash (a reboot) while
 * `spool console`, run in a terminal, watches; then Spool is configured by typing at its REPL.
 * Runs only when ESPRUINO names the interpreter's binary (npm run test:target) and socat is
 * installed.
 */
import test from "ava";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "../../src/host/build/index.ts";
import { ROOT } from "../../src/host/build/pipeline.ts";
import { DEFAULT_BAUD } from "../../src/host/flash/plan.ts";
import { espruinoBinary, targetSkipReason } from "../../src/host/target/espruino-process.ts";
import { SerialLine, serialLineSkipReason } from "../../src/host/target/serial-line.ts";
import { Terminal } from "../../src/host/target/terminal.ts";

const BIN = espruinoBinary();
const TOKEN = "Tok3nAbcdefghijklmnopqrstuvwxyz9";
const NEW_TOKEN = "NewT0kenabcdefghijklmnopqrstuv42";
const SPOOL = join(ROOT, "bin", "spool.js");

/** Runs `spool ...args` to completion; resolves with its exit code and everything it printed. */
function spool(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SPOOL, ...args], { env, cwd, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (out += b.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, out }));
  });
}

const title =
  "real interpreter over a serial device: spool flash with a config, reboot, spool console shows the banner, spool.setup typed at the REPL is applied and kept";
const skip = targetSkipReason() ?? serialLineSkipReason();
if (skip) {
  test.skip(`${title} (skipped: ${skip})`, () => {});
} else {
  test.serial(title, async (t) => {
    // A guard, not a speed check: on a loaded 2-core host the flash alone has taken over 4 min.
    t.timeout(600_000);
    const dir = mkdtempSync(join(tmpdir(), "spool-serial-target-"));
    const line = await SerialLine.open();
    let board = line.boot(BIN!, dir);
    let term: Terminal | undefined;
    try {
      const bundle = (await build({ board: "linux", outDir: dir })).file;
      const cfg = join(dir, "config.json");
      writeFileSync(
        cfg,
        JSON.stringify({
          blynk: { token: TOKEN, region: "lon1" },
          datastreams: [{ pin: 1, type: "double" }],
          schedules: [{ pin: 1, everyMs: 1000 }],
        }),
      );

      const flash = await spool(["flash", "--board", "linux", "--port", line.device, "--config", cfg, "--bundle", bundle], line.env, dir);
      t.is(flash.code, 0, flash.out);
      t.regex(flash.out, /spool flash: done; the board booted Spool 0\.1\.0 on linux/);
      t.notRegex(flash.out, /the board reported/);
      t.false(flash.out.includes(TOKEN), "the token is not echoed by the upload");

      // The user opens the console, then resets the board: it restarts on the same flash.
      term = new Terminal({ command: [process.execPath, SPOOL, "console", "--port", line.device], env: line.env, cwd: dir });
      await term.waitFor(/spool console: connected\. Type spool\.report\(\) and Enter/, { timeoutMs: 30_000 });
      const boot = term.text.length;
      await board.kill();
      board = line.boot(BIN!, dir);
      // The interpreter's ">" prompt may come out just before the banner on the same line.
      await term.waitFor(/(^|\n)>?Spool 0\.1\.0 on linux\n/, { from: boot, timeoutMs: 15_000 });
      const baud = DEFAULT_BAUD;
      // The prompt comes back once the console has input again: Enter on an empty line, as a
      // user does who sees no ">".
      const prompt = async (): Promise<void> => {
        const from = term!.text.length;
        await term!.type("\r", baud);
        await term!.waitFor(/\n>$/, { from });
      };
      await prompt();
      /** Types one line and Enter (a terminal sends CR), then waits for what follows its echo. */
      const enter = async (text: string, after: RegExp, timeoutMs = 10_000): Promise<string> => {
        const from = term!.text.length;
        await term!.type(text + "\r", baud);
        const echo = await term!.waitFor(new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "\n"), { from, timeoutMs });
        const m = await term!.waitFor(after, { from: echo.index + echo[0].length - 1, timeoutMs });
        return term!.text.slice(from, m.index + m[0].length);
      };

      await enter(
        `print("CFG " + spool.config().blynk.host + " " + spool.config().blynk.token)`,
        /\nCFG lon1\.blynk\.cloud Tok3\.\.\.xyz9\n/,
      );
      await new Promise((r) => setTimeout(r, 2500));
      await enter(
        `print("Q " + JSON.stringify(spool.status().sampling))`,
        /\nQ \[\{"pin":1,"everyMs":1000,"source":"synthetic","samples":[1-9]\d*,"errors":0\}\]\n/,
      );

      // Configure as the README shows: one statement over several lines, each answered by the
      // continuation prompt ":" until the brackets close; the result then "=undefined" and ">".
      const setup = [
        `spool.setup({ blynk: { token: "${NEW_TOKEN}" },`,
        `  datastreams: [{ pin: 1, type: "double" }, { pin: 2, type: "integer" }],`,
        `  schedules: [{ pin: 1, everyMs: 1000 }, { pin: 2, everyMs: 2000 }] })`,
      ];
      await enter(setup[0], /^:/m);
      await enter(setup[1], /^:/m);
      const done = await enter(setup[2], /\n=undefined\n>/);
      t.notRegex(done, /Uncaught|Error/, done);

      const report = await enter("spool.report()", /\nmemory +\d+ of \d+ JsVars free\n/);
      t.regex(report, /\nuplink +\S+ -> https:\/\/lon1\.blynk\.cloud:443 \(token NewT\.\.\.uv42\)/, report);
      t.regex(
        report,
        /\nsampling V1 synthetic every 1 s: \d+ samples?, 0 errors\n +V2 synthetic every 2 s: \d+ samples?, 0 errors\n/,
        report,
      );

      // Another reboot: the configuration typed at the REPL was stored.
      const from = term.text.length;
      await board.kill();
      board = line.boot(BIN!, dir);
      // The last command's prompt may still arrive after `from`: the banner then follows its ">".
      await term.waitFor(/(^|\n)>?Spool 0\.1\.0 on linux\n/, { from, timeoutMs: 15_000 });
      await prompt();
      const again = await enter("spool.report()", /\nmemory +\d+ of \d+ JsVars free\n/);
      t.regex(again, /\(token NewT\.\.\.uv42\)/, again);
      t.regex(again, /\n +V2 synthetic every 2 s/, again);

      // Ctrl-C twice leaves. The board is switched off first: the Linux build, unlike a board's
      // firmware, quits on a second Ctrl-C at an empty prompt (jsinteractive.c, !EMBEDDED), and
      // its "Press Ctrl-C again to exit" counts for the CLI as an answer that cancels the first.
      await board.kill();
      const leave = term.text.length;
      await term.type("\x03", baud);
      await term.waitFor(/Press Ctrl-C again to exit/, { from: leave });
      await term.type("\x03", baud);
      t.is(await term.exited, 0, term.text);
      t.notRegex(term.text, /spool console: (?!opening|connected)|Unable to retrieve board information/, "no error from the console");
    } finally {
      await term?.kill();
      await board.kill();
      await line.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
