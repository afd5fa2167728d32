/**
 * `spool console` without a board: its CLI invocation and the port checks it shares with
 * `spool flash` (missing, busy, no permission), with the same messages. Talking to a board
 * through it is tested on the real interpreter (test/target/serial.test.ts).
 */
import test from "ava";
import { spawnSync } from "node:child_process";
import { chmodSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../src/host/build/pipeline.ts";
import { run } from "../src/host/commands/console.ts";
import { withCapturedOutput } from "./helpers/captured-output.ts";
import { holdPort, withPty } from "./helpers/pty.ts";

const SPOOL = join(ROOT, "bin", "spool.js");
const NOBODY = 65534;

/** Runs `spool ...args` as a user would (as `uid` when given: root only); returns code and stderr. */
function spool(args: string[], uid?: number): { code: number | null; err: string } {
  const cmd =
    uid === undefined
      ? [process.execPath, SPOOL, ...args]
      : ["setpriv", `--reuid=${uid}`, `--regid=${uid}`, "--clear-groups", "--", process.execPath, SPOOL, ...args];
  const r = spawnSync(cmd[0], cmd.slice(1), { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status, err: r.stderr };
}

/** What console and flash say about `port`, without their "spool <command>: " prefix. */
function bothSay(port: string, uid?: number): { console: string; flash: string } {
  const c = spool(["console", "--port", port], uid);
  const f = spool(["flash", "--board", "esp32", "--port", port, "--bundle", "package.json"], uid);
  return {
    console: c.code === 1 ? c.err.replace(/^spool console: /, "").trim() : `exit ${c.code}: ${c.err}`,
    flash: f.code === 1 ? f.err.replace(/^spool flash: /, "").trim() : `exit ${f.code}: ${f.err}`,
  };
}

test.serial("spool console --dry-run: the CLI as a terminal with flash's connection options", async (t) => {
  await withCapturedOutput(async (lines) => {
    t.is(await run(["--port", "/dev/ttyUSB0", "--dry-run"]), 0);
    t.true(lines[0].endsWith("espruino --no-ble -p /dev/ttyUSB0 -b 115200"), lines[0]);
    lines.length = 0;
    t.is(await run(["--port", "/dev/ttyACM0", "--baud", "9600", "--dry-run"]), 0);
    t.true(lines[0].endsWith("espruino --no-ble -p /dev/ttyACM0 -b 9600"), lines[0]);
    lines.length = 0;
    t.is(await run(["--port", "tcp://esp32.local", "--dry-run"]), 0);
    t.true(lines[0].endsWith("espruino --no-ble -p tcp://esp32.local:23 --config SERIAL_THROTTLE_SEND=1"), lines[0]);
    lines.length = 0;
    t.is(await run(["--port", "tcp://esp32.local", "--baud", "9600"]), 2);
    t.regex(lines[0], /^spool console: --baud applies to serial ports only/);
    lines.length = 0;
    t.is(await run(["--port", "/dev/ttyUSB0", "--baud", "fast"]), 2);
    t.regex(lines[0], /^spool console: --baud fast: expected a number such as 115200/);
    lines.length = 0;
    t.is(await run([]), 2);
    t.regex(lines[0], /^spool console: --port is required/);
  });
});

test("a missing port: console says what flash says", (t) => {
  const said = bothSay("/dev/ttyUSB97");
  t.regex(said.console, /^no such serial port \/dev\/ttyUSB97: is the board plugged in, with a data \(not charge-only\) USB cable\?/);
  t.is(said.console, said.flash);
});

test("a busy port: console names the program holding it, as flash does", async (t) => {
  await withPty(t, async (pty) => {
    const holder = holdPort(pty.path);
    try {
      const said = bothSay(pty.path);
      t.is(
        said.console,
        `port busy: ${pty.path} is in use by sleep (pid ${holder.pid}). Close whatever holds it (a serial terminal such as screen or minicom, the Espruino Web IDE, another flash) and try again.`,
      );
      t.is(said.console, said.flash);
    } finally {
      holder.kill("SIGKILL");
      await new Promise((r) => holder.once("exit", r));
    }
  });
});

test("no permission on the port: console says how to get it, as flash does", async (t) => {
  await withPty(t, async (pty) => {
    const root = process.getuid?.() === 0;
    if (root && spawnSync("setpriv", ["--version"]).error) {
      t.pass("running as root without setpriv to drop to an unprivileged user; skipped");
      return;
    }
    // Root opens anything: the commands then run as nobody, outside the port's group.
    chmodSync(pty.path, root ? 0o600 : 0o000);
    const said = bothSay(pty.path, root ? NOBODY : undefined);
    t.is(
      said.console,
      `permission denied on ${pty.path}: add yourself to its group (on Debian/Ubuntu: sudo usermod -aG dialout $USER, then log in again)`,
    );
    t.is(said.console, said.flash);
  });
});
