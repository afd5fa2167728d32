import test from "ava";
import { readBoard, simWorld, type SimEspruino } from "../src/host/sim/index.ts";
import type { BoardProfile } from "../src/device/board.ts";

const esp32 = readBoard("esp32");
/** ESP32 with a 16 KB Storage bank, so "full" is quick to reach. */
const small: BoardProfile = { ...esp32, storage: { ...esp32.storage, size: 4 * 4096 } };

function device(board: BoardProfile = esp32): SimEspruino {
  const sim = simWorld().device({ board });
  sim.boot('var S = require("Storage");');
  return sim;
}

test("write/read round-trip binary strings; missing files read undefined; readJSON, readArrayBuffer", (t) => {
  const sim = device();
  const bin = "\x00\x01\xfe\xffabc";
  sim.eval(`S.write("b", ${JSON.stringify(bin)}); S.writeJSON("j", {a: [1, 2], s: "x"});`);
  t.is(sim.eval('S.read("b")'), bin);
  t.is(sim.eval('S.read("nope")'), undefined);
  t.is(sim.eval('S.readJSON("j").a[1]'), 2);
  t.is(sim.eval('S.readJSON("nope")'), undefined);
  sim.eval('S.write("bad", "{not json")');
  t.throws(() => sim.eval('S.readJSON("bad")'));
  t.is(sim.eval('S.readJSON("bad", true)'), undefined);
  t.is(sim.eval('new Uint8Array(S.readArrayBuffer("b"))[3]'), 0xff);
  t.is(sim.eval('S.read("b", 5, 2)'), "bc");
  t.deepEqual([...(sim.eval("S.list()") as string[])], ["b", "j", "bad"]);
  t.deepEqual([...(sim.eval("S.list(/^b/)") as string[])], ["b", "bad"]);
});

test("preallocate with size, then write into the 0xFF bytes at offsets", (t) => {
  const sim = device();
  sim.eval('S.write("log", "HEAD", 0, 16)');
  t.is(sim.eval('S.read("log")'), "HEAD" + "\xff".repeat(12));
  sim.eval('S.write("log", "abc", 4)');
  sim.eval('S.write("log", "Z", 15)');
  t.is(sim.eval('S.read("log")'), "HEADabc" + "\xff".repeat(8) + "Z");
  t.throws(() => sim.eval('S.write("log", "q", 5)'), { message: "File already written with different data" });
  t.throws(() => sim.eval('S.write("log", "toolong", 12)'), { message: "Too much data for file size" });
  t.throws(() => sim.eval('S.write("nofile", "x", 3)'), { message: "Unable to find or create file" });
  t.throws(() => sim.eval('S.write("empty", "")'), { message: "Can't create zero length file" });
});

test("offset 0: same content is a no-op, same size still blank rewrites in place, else a new copy and trash", (t) => {
  const sim = device();
  sim.eval('S.write("f", "hello")');
  const s1 = sim.eval("S.getStats()") as { fileCount: number; trashCount: number };
  sim.eval('S.write("f", "hello")');
  t.like(sim.eval("S.getStats()"), { fileCount: s1.fileCount, trashCount: 0 });
  sim.eval('S.write("f", "HELLO")');
  t.like(sim.eval("S.getStats()"), { fileCount: 1, trashCount: 1 });
  t.is(sim.eval('S.read("f")'), "HELLO");
  // Preallocated and still blank where written: in place, no new trash.
  sim.eval('S.write("p", "\\xff\\xff", 0, 8)');
  sim.eval('S.write("p", "ab", 0, 8)');
  t.like(sim.eval("S.getStats()"), { trashCount: 1 });
  t.is(sim.eval('S.read("p")'), "ab" + "\xff".repeat(6));
});

test("getStats accounts headers and alignment; erase makes trash; compact returns the space", (t) => {
  const sim = device();
  const total = esp32.storage.size;
  t.deepEqual(
    { ...(sim.eval("S.getStats()") as object) },
    {
      fileBytes: 0,
      fileCount: 0,
      trashBytes: 0,
      trashCount: 0,
      freeBytes: total,
      totalBytes: total,
    },
  );
  sim.eval('S.write("a", "12345"); S.write("b", "1234567890")');
  // 32-byte header + data padded to 4.
  t.like(sim.eval("S.getStats()"), { fileBytes: 32 + 8 + 32 + 12, fileCount: 2, freeBytes: total - 84 });
  sim.eval('S.erase("a")');
  t.like(sim.eval("S.getStats()"), { fileBytes: 44, fileCount: 1, trashBytes: 40, trashCount: 1, freeBytes: total - 84 });
  t.is(sim.eval("S.getFree()"), total - 84);
  t.is(sim.eval('S.read("a")'), undefined);
  sim.eval("S.compact()");
  t.like(sim.eval("S.getStats()"), { fileBytes: 44, fileCount: 1, trashBytes: 0, trashCount: 0, freeBytes: total - 44 });
  t.is(sim.eval('S.read("b")'), "1234567890");
});

test("full: a write compacts first when that makes room, else throws; replacing erases the old copy first", (t) => {
  const sim = device(small);
  const total = small.storage.size;
  const big = 5000;
  sim.eval(`var big = E.toString({data: 65, count: ${big}});`);
  sim.eval('S.write("one", big); S.write("two", big); S.write("three", big)');
  t.like(sim.eval("S.getStats()"), { fileCount: 3, freeBytes: total - 3 * (32 + big) });
  // No room for a 4th, and no trash to compact: refused.
  t.throws(() => sim.eval('S.write("four", big)'), { message: "Unable to find or create file" });
  sim.eval('S.erase("two")');
  // Now the trash makes room: Storage compacts by itself, then writes.
  sim.eval('S.write("four", big)');
  t.like(sim.eval("S.getStats()"), { fileCount: 3, trashCount: 0 });
  t.deepEqual([...(sim.eval("S.list()") as string[])], ["one", "three", "four"]);
  // A slightly bigger copy fits once the old one is compacted away...
  const erasesBefore = sim.storageFlash.erases;
  sim.eval('S.write("one", big + "x")');
  t.true(sim.storageFlash.erases > erasesBefore, "it compacted");
  t.is((sim.eval('S.read("one")') as string).length, big + 1);
  // ...but when even that cannot make room, the old copy is already gone (as on the device).
  t.throws(() => sim.eval('S.write("one", big + big.substr(0, 1500))'), { message: "Unable to find or create file" });
  t.is(sim.eval('S.read("one")'), undefined);
});

test("names: up to 28 characters; a longer one is cut to 28, as Espruino does, so it can collide", (t) => {
  const sim = device();
  const n28 = "n".repeat(28);
  sim.eval(`S.write("${n28}", "ok")`);
  t.is(sim.eval(`S.read("${n28}")`), "ok");
  sim.eval(`S.write("${n28}x", "replaced")`);
  t.is(sim.eval(`S.read("${n28}")`), "replaced");
  t.deepEqual([...(sim.eval("S.list()") as string[])], [n28]);
});

test("eraseAll empties the bank", (t) => {
  const sim = device();
  sim.eval('S.write("a", "1"); S.write("b", "2"); S.eraseAll()');
  t.deepEqual([...(sim.eval("S.list()") as string[])], []);
  t.like(sim.eval("S.getStats()"), { freeBytes: esp32.storage.size });
});

test("StorageFile: append across chunks, readLine gives undefined at the end", (t) => {
  const sim = device();
  sim.eval('var f = S.open("log", "w"); f.write("line one\\n"); f.write("line two\\n");');
  sim.eval(`var f2 = S.open("log", "a"); f2.write(E.toString({data: 66, count: ${esp32.flash.pageSize}}) + "\\nend\\n");`);
  sim.eval('var r = S.open("log", "r");');
  t.is(sim.eval("r.readLine()"), "line one\n");
  t.is(sim.eval("r.readLine()"), "line two\n");
  t.is((sim.eval("r.readLine()") as string).length, esp32.flash.pageSize + 1);
  t.is(sim.eval("r.readLine()"), "end\n");
  t.is(sim.eval("r.readLine()"), undefined);
  t.deepEqual([...(sim.eval("S.list()") as string[])], ["log\x01"]);
  t.throws(() => sim.eval('S.open("log", "a").write("\\xff")'), { message: /0xFF/ });
});

test("Storage survives reboots and keeps .bootcde: boot() without code runs it", (t) => {
  const sim = device();
  sim.eval("E.setBootCode(\"print('from bootcde')\")");
  sim.reboot();
  t.deepEqual(sim.output(), ["from bootcde"]);
});

test("power cut while Storage writes: the device dies, the file is partly there or not at all", (t) => {
  const sim = device();
  sim.eval('S.write("keep", "safe")');
  // Cut on the header write of the next file's new copy.
  sim.storageFlash.armPowerCut({ atOp: sim.storageFlash.ops + 1, tornBytes: 2 });
  t.throws(() => sim.eval('S.write("next", "data")'));
  t.true(sim.dead);
  sim.reboot();
  t.is(sim.eval('require("Storage").read("keep")'), "safe");
  t.is(sim.eval('require("Storage").read("next")'), undefined);
});
