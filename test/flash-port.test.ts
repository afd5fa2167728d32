import test from "ava";
import { mkdtempSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compactScript, flashPlan, parsePort } from "../src/host/flash/plan.ts";
import { loadBoard } from "../src/host/boards.ts";
import { keepAreaOf, snapshotScript } from "../src/host/flash/keep.ts";
import { checkPort, FlashError, portHolders } from "../src/host/flash/port.ts";
import { runEspruino } from "../src/host/flash/run.ts";
import { ESPRUINO_CLI, run } from "../src/host/commands/flash.ts";
import { withCapturedOutput } from "./helpers/captured-output.ts";
import { holdPort, withPty } from "./helpers/pty.ts";

test("a missing serial port: says so, and lists the ports that are there", async (t) => {
  const err = await t.throwsAsync(checkPort(parsePort("/dev/ttyUSB97")), { instanceOf: FlashError });
  t.regex(
    err!.message,
    /^no such serial port \/dev\/ttyUSB97: is the board plugged in, .*(serial ports present: |no USB serial ports are present)/,
  );
});

test("a path that is not a device is refused", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "spool-port-"));
  writeFileSync(join(dir, "ttyFAKE"), "");
  await t.throwsAsync(checkPort(parsePort(join(dir, "ttyFAKE"))), { message: /is not a serial device \(it is a file\)/ });
});

test("a busy serial port names the program holding it; the pty's own provider does not count", async (t) => {
  await withPty(t, async (pty) => {
    // python3 holds the master and the slave, as socat does: the far end of the line, not a user.
    await t.notThrowsAsync(checkPort(parsePort(pty.path)));
    const holder = holdPort(pty.path);
    try {
      t.true(portHolders(pty.path).some((h) => h.pid === holder.pid));
      const err = await t.throwsAsync(checkPort(parsePort(pty.path)), { instanceOf: FlashError });
      t.regex(err!.message, new RegExp(`^port busy: ${pty.path} is in use by sleep \\(pid ${holder.pid}\\)\\. Close whatever holds it`));
    } finally {
      holder.kill("SIGKILL");
      await new Promise((r) => holder.once("exit", r));
    }
    // Once released it is free again (the test process opens and closes it itself).
    await t.notThrowsAsync(checkPort(parsePort(pty.path)));
  });
});

test("tcp: nothing listening is refused clearly; a listener passes", async (t) => {
  const server = net.createServer((s) => s.end());
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as net.AddressInfo).port;
  await t.notThrowsAsync(checkPort(parsePort(`tcp://127.0.0.1:${port}`)));
  await new Promise((r) => server.close(r));
  await t.throwsAsync(checkPort(parsePort(`tcp://127.0.0.1:${port}`)), {
    message: new RegExp(`^nothing listens at tcp://127\\.0\\.0\\.1:${port}: is the board on with its telnet console enabled`),
  });
});

test("the real espruino CLI against a missing port: mapped to a clear error", async (t) => {
  const plan = flashPlan({ port: "/dev/ttyNOPE", bundle: "b.js", espruino: ESPRUINO_CLI });
  // The CLI is called even though the bundle does not exist: it fails at the port first.
  await t.throwsAsync(runEspruino(plan, { timeoutMs: 30000 }), { message: "no such serial port /dev/ttyNOPE" });
});

test.serial("spool flash --dry-run prints the invocation; missing options exit 2", async (t) => {
  await withCapturedOutput(async (lines) => {
    t.is(await run(["--board", "esp32", "--port", "/dev/ttyUSB0", "--dry-run"]), 0);
    t.deepEqual(lines.slice(0, 3), [
      `# spool-compact/snapshot.js (before each compaction): ${snapshotScript(keepAreaOf(loadBoard("esp32")), "data")}`,
      `# spool-compact/compact.js: ${compactScript(false, snapshotScript(keepAreaOf(loadBoard("esp32")), "crc"))}`,
      `# spool-compact/compact-restart.js: ${compactScript(true, snapshotScript(keepAreaOf(loadBoard("esp32")), "crc"), false)}`,
    ]);
    lines.shift();
    t.true(lines[2].endsWith("espruino --no-ble -p /dev/ttyUSB0 -b 115200 --sleep 5 spool-compact/compact.js"), lines[2]);
    // the parts go in first when a build has left them beside the bundle
    t.regex(
      lines[3],
      /espruino --no-ble -p \/dev\/ttyUSB0 -b 115200 (--storage spool\.[a-z]+\.[0-9a-f]{8}:\S+ )*--sleep 3 --storage \.bootcde:- firmware\/build\/esp32\.js$/,
    );
    t.true(lines[4].endsWith("espruino --no-ble -p /dev/ttyUSB0 -b 115200 --sleep 5 spool-compact/compact-restart.js"), lines[4]);
    lines.length = 0;
    t.is(await run(["--board", "esp32"]), 2);
    t.regex(lines[0], /--port is required/);
    lines.length = 0;
    t.is(await run(["--board", "esp99", "--port", "/dev/ttyUSB0", "--dry-run"]), 1);
    t.regex(lines[0], /no such board profile \(known: esp32, esp8266, linux, linux-small\)/);
    lines.length = 0;
    t.is(await run(["--board", "esp32", "--port", "/dev/ttyUSB97", "--bundle", "package.json"]), 1);
    t.regex(lines[0], /^spool flash: no such serial port \/dev\/ttyUSB97/);
  });
});

test.serial("spool flash --config: a bad file fails on the host with the device's message", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "spool-cfg-"));
  const file = join(dir, "config.json");
  writeFileSync(file, JSON.stringify({ blynk: { token: "Abcdefghijklmnopqrstuvwxyz012345", scheme: "https" } }));
  const lines: string[] = [];
  const error = console.error;
  console.error = (s: string) => lines.push(String(s));
  try {
    t.is(await run(["--board", "esp8266", "--port", "/dev/ttyUSB0", "--config", file, "--dry-run"]), 1);
  } finally {
    console.error = error;
  }
  t.regex(lines[0], /--config .*config\.json: blynk\.scheme must be "http" on esp8266, which has no TLS/);
});
