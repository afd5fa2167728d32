import test from "ava";
import { compactPlan, compactScript, flashPlan, parsePort } from "../src/host/flash/plan.ts";
import { interpretCliOutput, interpretCompactOutput } from "../src/host/flash/run.ts";

const CLI = "/repo/node_modules/.bin/espruino";

test("serial: --no-ble, the port, 115200 baud, the bundle as .bootcde code", (t) => {
  const plan = flashPlan({ port: "/dev/ttyUSB0", bundle: "firmware/build/esp32.js", espruino: CLI });
  t.is(plan.command, CLI);
  t.deepEqual(plan.args, [
    "--no-ble",
    "-p",
    "/dev/ttyUSB0",
    "-b",
    "115200",
    "--sleep",
    "3",
    "--storage",
    ".bootcde:-",
    "firmware/build/esp32.js",
  ]);
  t.deepEqual(plan.files, [{ storage: ".bootcde", path: "firmware/build/esp32.js" }]);
  t.deepEqual(plan.port, { kind: "serial", path: "/dev/ttyUSB0" });
});

test("serial with a config file and a baud rate: spool.json goes in before the code", (t) => {
  const plan = flashPlan({
    port: "/dev/ttyACM1",
    bundle: "b.js",
    configFile: "/tmp/spool-flash-x/spool.json",
    baud: 921600,
    espruino: CLI,
  });
  t.deepEqual(plan.args, [
    "--no-ble",
    "-p",
    "/dev/ttyACM1",
    "-b",
    "921600",
    "--storage",
    "spool.json:/tmp/spool-flash-x/spool.json",
    "--sleep",
    "3",
    "--storage",
    ".bootcde:-",
    "b.js",
  ]);
  t.deepEqual(
    plan.files.map((f) => f.storage),
    ["spool.json", ".bootcde"],
  );
});

test("tcp: no baud, throttled writes, the port made explicit", (t) => {
  const plan = flashPlan({ port: "tcp://127.0.0.1:2323", bundle: "firmware/build/linux.js", espruino: CLI });
  t.deepEqual(plan.args, [
    "--no-ble",
    "-p",
    "tcp://127.0.0.1:2323",
    "--config",
    "SERIAL_THROTTLE_SEND=1",
    "--sleep",
    "3",
    "--storage",
    ".bootcde:-",
    "firmware/build/linux.js",
  ]);
  t.deepEqual(plan.port, { kind: "tcp", host: "127.0.0.1", port: 2323, url: "tcp://127.0.0.1:2323" });
  const board = flashPlan({ port: "tcp://esp32.local", bundle: "b.js", espruino: CLI });
  t.is(board.args[2], "tcp://esp32.local:23", "telnet's port 23 when none is given");
});

test("bad ports and options are refused with what would be valid", (t) => {
  t.throws(() => parsePort(""), { message: /--port is required/ });
  t.throws(() => parsePort("ttyUSB0"), { message: /expected a serial device path such as \/dev\/ttyUSB0/ });
  t.throws(() => parsePort("http://1.2.3.4"), { message: /only serial devices and tcp:\/\/ are supported/ });
  t.throws(() => parsePort("tcp://host:99999"), { message: /expected tcp:\/\/HOST or tcp:\/\/HOST:PORT/ });
  t.throws(() => parsePort("tcp://"), { message: /expected tcp:\/\/HOST/ });
  t.is(parsePort("COM3").kind, "serial");
  t.throws(() => flashPlan({ port: "tcp://h:23", bundle: "b.js", baud: 115200, espruino: CLI }), {
    message: /--baud applies to serial ports only/,
  });
  t.throws(() => flashPlan({ port: "/dev/ttyUSB0", bundle: "b.js", baud: 12, espruino: CLI }), {
    message: /--baud 12: expected a serial speed/,
  });
  t.throws(() => flashPlan({ port: "/dev/ttyUSB0", bundle: "b.js", configFile: "C:\\x.json", espruino: CLI }), {
    message: /must not contain ":"/,
  });
});

// Outputs as the espruino CLI 0.1.67 printed them here (it exits 0 in every case).
const serial = flashPlan({ port: "/dev/ttyNOPE", bundle: "b.js", espruino: CLI });
const tcp = flashPlan({ port: "tcp://127.0.0.1:2399", bundle: "b.js", espruino: CLI });

test("CLI output: missing port, refused connection, no answer, dropped connection", (t) => {
  t.throws(() => interpretCliOutput(`Connecting to '/dev/ttyNOPE'\nserial: Port "/dev/ttyNOPE" not found\nUnable to connect!\n`, serial), {
    message: "no such serial port /dev/ttyNOPE",
  });
  t.throws(
    () =>
      interpretCliOutput(
        `Connecting to 'tcp://127.0.0.1:2399'\nRECEIVE ERROR: {"errno":-111,"code":"ECONNREFUSED","syscall":"connect"}\n`,
        tcp,
      ),
    { message: "nothing listens at tcp://127.0.0.1:2399" },
  );
  t.throws(
    () =>
      interpretCliOutput(
        `Connected\nUnable to retrieve board information.\nConnection Error?\nYou have pre-1v96 firmware - unable to upload to Storage\n`,
        tcp,
      ),
    {
      message: /did not answer the CLI's query \(process\.env\)/,
    },
  );
  t.throws(() => interpretCliOutput(`Connected\nRECEIVE ERROR: {"code":"ECONNRESET"}\nDisconnected.\n`, tcp), {
    message: /did not complete \(the connection dropped\)/,
  });
  t.throws(() => interpretCliOutput(`Error: Error Resource temporarily unavailable Cannot lock port\nUnable to connect!\n`, serial), {
    message: /port busy/,
  });
});

test("CLI output: a completed upload, with the banner and with an error at boot", (t) => {
  const ok = interpretCliOutput(`Connected\n--] >\n--] Spool 0.1.0 on linux\nUpload Complete\n`, tcp);
  t.deepEqual(ok.banner, { version: "0.1.0", board: "linux" });
  t.deepEqual(ok.deviceErrors, []);
  const bad = interpretCliOutput(`Connected\n--] Uncaught ReferenceError: "Map" is not defined\nUpload Complete\n`, tcp);
  t.is(bad.banner, undefined);
  t.deepEqual(bad.deviceErrors, [`Uncaught ReferenceError: "Map" is not defined`]);
});

test("the firmware's parts go into Storage before the boot code, under their own names", (t) => {
  const parts = [
    { storage: "spool.setup.0123abcd", path: "firmware/build/esp8266.setup.js" },
    { storage: "spool.report.89ef4567", path: "firmware/build/esp8266.report.js" },
  ];
  const plan = flashPlan({ port: "/dev/ttyUSB0", bundle: "firmware/build/esp8266.js", parts, espruino: CLI });
  t.deepEqual(plan.args.slice(5), [
    "--storage",
    "spool.setup.0123abcd:firmware/build/esp8266.setup.js",
    "--storage",
    "spool.report.89ef4567:firmware/build/esp8266.report.js",
    "--sleep",
    "3",
    "--storage",
    ".bootcde:-",
    "firmware/build/esp8266.js",
  ]);
  t.deepEqual(
    plan.files.map((f) => f.storage),
    ["spool.setup.0123abcd", "spool.report.89ef4567", ".bootcde"],
  );
});

test("compaction before and after the upload: a script sent as code (so the CLI stops the firmware with reset() first), its stats read back", (t) => {
  const plan = compactPlan({ port: "/dev/ttyUSB0", espruino: CLI, script: "/tmp/x/compact.js" });
  t.deepEqual(plan.args, ["--no-ble", "-p", "/dev/ttyUSB0", "-b", "115200", "--sleep", "5", "/tmp/x/compact.js"]);
  t.deepEqual(plan.files, [], "nothing is stored");
  const compact = 'require("Storage").compact();print("SPOOL-COMPACTED "+JSON.stringify(require("Storage").getStats()));';
  t.is(
    compactScript(false),
    'require("Storage").list(/^spool\\.[a-z]+\\.[0-9a-f]{8}$/).forEach(function(f){require("Storage").erase(f);});' + compact,
    "before the upload: the old firmware's parts are erased first",
  );
  t.is(compactScript(true), compact + "load();", "after the upload: the new firmware boots from where compaction moved it");
  const tcp = compactPlan({ port: "tcp://127.0.0.1:2323", espruino: CLI, script: "c.js" });
  t.deepEqual(tcp.args.slice(0, 5), ["--no-ble", "-p", "tcp://127.0.0.1:2323", "--config", "SERIAL_THROTTLE_SEND=1"]);
  const out =
    'Connected\n--] >Compacting... \n--] SPOOL-COMPACTED {"totalBytes":262144,"freeBytes":164656,"fileBytes":97488,"fileCount":5,"trashBytes":0,"trashCount":0}\nUpload Complete\n';
  t.like(interpretCompactOutput(out, plan), { fileBytes: 97488, trashBytes: 0, freeBytes: 164656 });
  t.throws(() => interpretCompactOutput('Connected\n>Uncaught Error: Function "compact" not found!\n', plan), {
    message: /did not compact Storage: Uncaught Error: Function "compact" not found!; nothing was uploaded/,
  });
  t.throws(() => interpretCompactOutput('Port "/dev/ttyUSB0" not found', plan), { message: /no such serial port/ });
});
