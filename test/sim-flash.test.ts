import test from "ava";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NorFlash, PowerCutError, readBoard, simWorld } from "../src/host/sim/index.ts";

const esp32 = readBoard("esp32");
const linux = readBoard("linux");

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "spool-sim-flash-"));
}

test("NorFlash: erased pages read 0xFF, writes AND, erase restores the page only", (t) => {
  const f = new NorFlash({ base: 0x1000, size: 8192, pageSize: 4096, alignment: 4 });
  t.deepEqual([...f.read(0x1000, 4)], [0xff, 0xff, 0xff, 0xff]);
  f.write(0x1000, new Uint8Array([0xf0, 0x0f, 0xaa, 0xff]));
  f.write(0x1000, new Uint8Array([0x3c, 0x3c, 0xff, 0x00]));
  t.deepEqual([...f.read(0x1000, 4)], [0x30, 0x0c, 0xaa, 0x00]);
  f.write(0x2000, new Uint8Array([1, 2, 3, 4]));
  f.erasePage(0x1ffc);
  t.deepEqual([...f.read(0x1000, 4)], [0xff, 0xff, 0xff, 0xff]);
  t.deepEqual([...f.read(0x2000, 4)], [1, 2, 3, 4]);
  t.throws(() => f.write(0x1001, new Uint8Array(4)), { message: /unaligned/ });
  t.throws(() => f.read(0x3000, 8), { message: /out of range/ });
});

test("NorFlash: power cut at op N leaves exactly K bytes of that write, then refuses access", (t) => {
  for (const torn of [0, 1, 5, 7]) {
    const f = new NorFlash({ base: 0, size: 4096, pageSize: 4096, alignment: 4 });
    f.write(0, new Uint8Array([0, 0, 0, 0]));
    f.armPowerCut({ atOp: 2, tornBytes: torn });
    const err = t.throws(() => f.write(4, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])));
    t.true(err instanceof PowerCutError);
    t.true(f.isOff);
    t.throws(() => f.read(0, 4), { instanceOf: PowerCutError });
    f.powerOn();
    const got = [...f.read(4, 8)];
    t.deepEqual(
      got,
      [1, 2, 3, 4, 5, 6, 7, 8].map((b, i) => (i < torn ? b : 0xff)),
      `torn after ${torn}`,
    );
  }
});

test("Flash module: getFree lists the board's raw region, getPage, read returns a Uint8Array of the context", (t) => {
  const w = simWorld();
  const sim = w.device({ board: esp32 });
  sim.boot("");
  const free = sim.eval('require("Flash").getFree()') as { addr: number; length: number }[];
  t.deepEqual(JSON.parse(JSON.stringify(free)), [{ addr: esp32.flash.address, length: esp32.flash.length }]);
  t.deepEqual(JSON.parse(JSON.stringify(sim.eval(`require("Flash").getPage(${esp32.flash.address + 5000})`))), {
    addr: esp32.flash.address + 4096,
    length: 4096,
  });
  t.is(sim.eval(`require("Flash").read(4, ${esp32.flash.address}) instanceof Uint8Array`), true);
  t.is(sim.eval(`require("Flash").read(0, ${esp32.flash.address})`), undefined);
  t.throws(() => sim.eval(`require("Flash").erasePage({addr: ${esp32.flash.address}})`), { message: /Address should be an integer/ });
});

test("Flash module: unaligned writes are read-merge-written in words, AND semantics hold", (t) => {
  const w = simWorld();
  const sim = w.device({ board: esp32 });
  sim.boot("");
  const a = esp32.flash.address;
  sim.eval(`var F = require("Flash"); F.erasePage(${a}); F.write([0x11, 0x22, 0x33], ${a + 1});`);
  t.deepEqual([...(sim.eval(`F.read(8, ${a})`) as Uint8Array)], [0xff, 0x11, 0x22, 0x33, 0xff, 0xff, 0xff, 0xff]);
  const before = sim.flash.writes;
  sim.eval(`F.write("ABCDEFG", ${a + 6})`);
  // head word (2 bytes), aligned middle (4), tail word (1 byte): three flash writes.
  t.is(sim.flash.writes - before, 3);
  t.is(sim.eval(`E.toString(F.read(7, ${a + 6}))`), "ABCDEFG");
  sim.eval(`F.write(new Uint8Array([0x0f]), ${a + 1})`);
  t.is(sim.eval(`F.read(1, ${a + 1})[0]`), 0x11 & 0x0f);
  t.throws(() => sim.eval(`F.write([1], 0x100)`), { message: /outside the simulated regions/ });
});

test("Flash: a new SimEspruino on the same flash file sees what was written (power cycle)", (t) => {
  const dir = tmp();
  try {
    const flashFile = join(dir, "flash.bin");
    const storageFile = join(dir, "storage.bin");
    const w = simWorld();
    const a = esp32.flash.address;
    const one = w.device({ board: esp32, flashFile, storageFile });
    one.boot(`require("Flash").write("SPOOL123", ${a}); require("Storage").write("cfg", "x=1");`);
    one.powerCut();
    one.close();
    t.is(statSync(flashFile).size, esp32.flash.length);
    const two = w.device({ board: esp32, flashFile, storageFile });
    two.boot("");
    t.is(two.eval(`E.toString(require("Flash").read(8, ${a}))`), "SPOOL123");
    t.is(two.eval(`require("Storage").read("cfg")`), "x=1");
    two.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("Flash: an armed power cut inside bundle code kills the device, torn write persists", (t) => {
  const w = simWorld();
  const sim = w.device({ board: esp32 });
  const a = esp32.flash.address;
  sim.boot(`var F = require("Flash"); var n = 0;
    setInterval(function () { F.write(E.toUint8Array("ABCDEFGH"), ${a} + 8 * n); n++; print("wrote " + n); }, 1000);`);
  sim.flash.armPowerCut({ atOp: sim.flash.ops + 3, tornBytes: 5 });
  w.clock.advance(10_000);
  t.true(sim.dead);
  t.regex(sim.deathReason ?? "", /power cut at flash operation/);
  t.deepEqual(sim.output(), ["wrote 1", "wrote 2"]);
  t.is(sim.timerCount, 0);
  t.throws(() => sim.eval("1"), { message: /dead/ });
  sim.reboot();
  t.false(sim.dead);
  t.is(sim.eval(`E.toString(require("Flash").read(24, ${a}))`), "ABCDEFGHABCDEFGHABCDE\xff\xff\xff");
});

test("Flash: even a bundle that catches the PowerCutError is dead: nothing runs after the cut", (t) => {
  const w = simWorld();
  const sim = w.device({ board: esp32 });
  const a = esp32.flash.address;
  sim.boot(`setTimeout(function () {
      try { require("Flash").write("ABCD", ${a}); } catch (e) { print("caught " + e.name); }
      setTimeout(function () { print("still alive"); }, 10);
    }, 100);`);
  sim.flash.armPowerCut({ atOp: sim.flash.ops + 1, tornBytes: 0 });
  w.clock.advance(1000);
  t.true(sim.dead);
  t.deepEqual(sim.output(), []);
});

test("Flash: on linux the raw region lies in the Storage bank: one NOR flash, getFree lists the bank (as the interpreter does)", (t) => {
  const w = simWorld();
  const sim = w.device({ board: linux });
  sim.boot("");
  t.is(sim.flash, sim.storageFlash);
  const free = JSON.parse(JSON.stringify(sim.eval('require("Flash").getFree()')));
  // Recorded from the Linux build: test/conformance/fixtures/flash.json "getFree".
  t.deepEqual(free, [{ addr: linux.storage.address, length: linux.storage.size }]);
  t.true(
    linux.flash.address >= linux.storage.address && linux.flash.address + linux.flash.length <= linux.storage.address + linux.storage.size,
  );
  t.is(sim.eval(`require("Flash").getPage(${linux.flash.address + 1500}).length`), linux.flash.pageSize);
});

test("Flash: linux-small is the same Linux build: getFree lists the whole emulated flash file too", (t) => {
  const small = readBoard("linux-small");
  const w = simWorld();
  const sim = w.device({ board: small });
  sim.boot("");
  // Recorded from the Linux build: test/conformance/fixtures/flash.json "getFree".
  const recorded = JSON.parse(JSON.parse(readFileSync(new URL("./conformance/fixtures/flash.json", import.meta.url), "utf8")).getFree[0]);
  t.deepEqual(JSON.parse(JSON.stringify(sim.eval('require("Flash").getFree()'))), recorded);
});

test("Flash: boot with empty Storage but a dirty bank erases the whole bank (linux start-up check)", (t) => {
  const w = simWorld();
  const sim = w.device({ board: linux });
  sim.boot(`require("Flash").write("RINGDATA", ${linux.flash.address});`);
  sim.boot("");
  t.true(sim.output().includes("Storage is corrupt."));
  t.is(sim.eval(`require("Flash").read(1, ${linux.flash.address})[0]`), 0xff);
  // With a file in Storage the check passes and the raw region survives.
  sim.eval(`require("Storage").write(".keep", "1"); require("Flash").write("RINGDATA", ${linux.flash.address});`);
  sim.clearOutput();
  sim.boot("");
  t.false(sim.output().includes("Storage is corrupt."));
  t.is(sim.eval(`E.toString(require("Flash").read(8, ${linux.flash.address}))`), "RINGDATA");
});
