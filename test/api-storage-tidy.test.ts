/**
 * Storage hygiene: the firmware never compacts Storage (a cut there loses files, and on
 * ESP32/ESP8266 it moves the running code); it says when trash passes half of the board's usable
 * bytes, keeps every write within them (refused, not written past them), and on linux (raw
 * region inside Storage's bank) keeps Storage never empty and away from the ring.
 */
import { CONFIG_CACHE } from "../src/device/api/config-load.ts";
import test from "ava";
import { loadBoard } from "../src/host/boards.ts";
import { build } from "../src/host/build/index.ts";
import { createSpool } from "../src/device/api/spool.ts";
import { KEEP_FILE } from "../src/device/api/store-open.ts";
import { COMPACT_AT, usableBytes } from "../src/device/api/storage-tidy.ts";
import { compactScript } from "../src/host/flash/plan.ts";
import { partFilePattern } from "../src/device/parts.ts";
import { SimClock, SimEspruino, SimNetwork, installFiles } from "../src/host/sim/index.ts";
import { JsfStorage, binaryBytes } from "../src/host/sim/storage.ts";
import { QUOTA_FILE } from "../src/device/uplink/index.ts";
import { createQuota } from "../src/device/uplink/quota.ts";
import { bootHal, newDevice, type Device } from "./api-hal.ts";
import { directParts } from "./helpers/parts.ts";

const linux = loadBoard("linux");
const T0 = Date.UTC(2026, 4, 1);
const SETUP = {
  blynk: { token: "Tok3nAbcdefghijklmnopqrstuvwxyz9", host: "127.0.0.1", scheme: "http", port: 1 },
  datastreams: [{ pin: 1, type: "double" }],
};

function boot(dev: Device) {
  const hal = bootHal(dev, { epochMs: T0 });
  return { hal, spool: createSpool({ hal, board: dev.board, version: "test", parts: directParts }) };
}

/** Writes `name` with `size` bytes of `fill` (replacing it leaves the old copy as trash). */
function put(dev: Device, name: string, size: number, fill: number): void {
  dev.storage.write(name, new Uint8Array(size).fill(fill));
}

/** Makes any compaction of `dev`'s Storage fail the test: the firmware must never compact. */
function forbidCompaction(t: any, dev: Device): void {
  dev.storage.compact = () => {
    t.fail("the firmware compacted Storage");
    return false;
  };
}

test("boot and the write-time check never compact: past half the usable bytes with trash they say so in the log", (t) => {
  const usable = usableBytes(linux);
  t.is(usable, linux.storage.usableBytes);
  const dev = newDevice(linux);
  forbidCompaction(t, dev);
  const first = boot(dev);
  first.spool.setup(SETUP);
  put(dev, "big", 40000, 1);
  put(dev, "big", 40000, 2);
  let s = dev.storage.getStats();
  t.true(s.fileBytes + s.trashBytes < usable * COMPACT_AT);
  let b = boot(dev);
  t.false(
    b.hal.lines.some((l) => /trash/.test(l)),
    "below half: nothing said",
  );
  put(dev, "big", 40000, 3);
  s = dev.storage.getStats();
  t.true(s.fileBytes + s.trashBytes > usable * COMPACT_AT);
  b = boot(dev);
  t.is(dev.storage.getStats().trashBytes, s.trashBytes, "not compacted at boot");
  t.true(
    b.hal.lines.some((l) => /spool: Storage has \d+ B of trash; spool flash compacts it/.test(l)),
    b.hal.lines.join("\n"),
  );
  t.is(b.spool.config().datastreams.length, 1);
  b.spool.start();
  let logged = b.hal.lines.length;
  dev.clock.advance(3600000);
  t.false(
    b.hal.lines.slice(logged).some((l) => /B of trash/.test(l)),
    "no timer repeats it: nothing was written",
  );
  // A new file (here a configuration slot) is where trash grows: the write says so again.
  b.spool.setup({ flushDelayMs: 2500 });
  t.is(dev.storage.getStats().trashBytes >= s.trashBytes, true, "not compacted by the write");
  t.true(
    b.hal.lines.slice(logged).some((l) => /spool: Storage has \d+ B of trash; spool flash compacts it/.test(l)),
    "the write says so",
  );
  // Below half again (a file the firmware does not keep, erased by hand, and compacted): a write says nothing.
  dev.storage.erase("big");
  dev.storage.compact = undefined as any;
  delete (dev.storage as any).compact;
  dev.storage.compact();
  forbidCompaction(t, dev);
  logged = b.hal.lines.length;
  b.spool.setup({ flushDelayMs: 3000 });
  t.false(
    b.hal.lines.slice(logged).some((l) => /B of trash/.test(l)),
    b.hal.lines.slice(logged).join("\n"),
  );
  b.spool.stop();
  // The tasks setup left (the uplink's restart) run after the stop and leave no timer.
  dev.clock.advance(10);
  t.is(b.hal.timers(), 0);
});

test("setup with no room fails without compacting, and the old configuration stays", (t) => {
  const full = newDevice(linux);
  forbidCompaction(t, full);
  const a = boot(full);
  a.spool.setup(SETUP);
  // Trash that brings files plus trash right up to the limit: a compaction would make room.
  put(full, "big", 90000, 1);
  const s1 = full.storage.getStats();
  // Replacing it leaves its 90,032 bytes as trash; the new copy leaves 300 bytes to the limit.
  put(full, "big", usableBytes(linux) - (s1.fileBytes + s1.trashBytes) - 32 - 300, 2);
  const s = full.storage.getStats();
  t.true(s.trashBytes > 90000 && s.fileBytes + s.trashBytes === usableBytes(linux) - 300, JSON.stringify(s));
  const before = JSON.stringify(a.spool.config());
  t.throws(() => a.spool.setup({ flushDelayMs: 5000 }), {
    message:
      /spool\.setup: the configuration could not be stored \(Storage is full: files take \d+ of 194560 usable bytes, \d+ more needed \(spool flash compacts\)\); the previous one stays in force/,
  });
  t.is(JSON.stringify(a.spool.config()), before);
  const used = full.storage.getStats();
  t.true(used.fileBytes + used.trashBytes <= usableBytes(linux), "Storage stayed below the raw region");
  t.is(JSON.stringify(boot(full).spool.config()), before);
  // What spool flash does: compact (with the firmware stopped); then setup stores again.
  full.storage.compact = JsfStorage.prototype.compact.bind(full.storage);
  full.storage.compact();
  const b = boot(full);
  b.spool.setup({ flushDelayMs: 5000 });
  t.is(boot(full).spool.config().flushDelayMs, 5000);
});

test("every Storage write of the firmware stays within the usable bytes: the quota file's saves are refused, not written past them", (t) => {
  const dev = newDevice(linux);
  forbidCompaction(t, dev);
  const { hal, spool } = boot(dev);
  spool.setup(SETUP);
  // Filled to 60 bytes below the limit, counting the trash setup left (the boot's cached
  // configuration, config-load.ts, is replaced when setup stores a new one).
  const st0 = dev.storage.getStats();
  put(dev, "huge", usableBytes(linux) - st0.fileBytes - st0.trashBytes - 60, 7);
  const s0 = dev.storage.getStats();
  t.throws(() => hal.storage.write(QUOTA_FILE, JSON.stringify({ day: 1, used: 2, req: 3 })), {
    message: /^Storage is full: /,
    instanceOf: Error,
  });
  t.deepEqual(dev.storage.getStats(), s0, "nothing written");
  // The quota keeps its count in RAM when its file cannot be written (uplink/quota.ts).
  const q = createQuota({ storage: hal.storage, daily: 1000, persistStep: 1 });
  q.add(T0, 5);
  t.is(q.used(), 5);
  const s = dev.storage.getStats();
  t.true(s.fileBytes + s.trashBytes <= usableBytes(linux));
});

const linuxBuild = build({ board: "linux", write: false });

test("linux in the simulated Espruino: Storage is never empty; trash past half the usable bytes is not compacted at boot; the compaction of spool flash leaves the ring intact", async (t) => {
  const clock = new SimClock();
  const network = new SimNetwork({ clock, online: false });
  const sim = new SimEspruino({ board: linux, clock, network });
  t.deepEqual(sim.storage.list(), []);
  const built = await linuxBuild;
  installFiles(sim, built.parts);
  sim.boot(built.code);
  t.deepEqual(
    sim.storage.list().sort(),
    built.parts
      .map((p) => p.storage)
      .concat(CONFIG_CACHE)
      .sort(),
    "the parts (and the boot's cached configuration) keep Storage non-empty before the ring is first written",
  );
  t.false(sim.storage.list().includes(KEEP_FILE));
  t.is(sim.repl(`spool.record(1, 1.5); spool.record(1, 2.5)`), "=undefined");
  sim.reboot();
  t.false(sim.output().includes("Storage is corrupt."));
  t.is(sim.repl(`spool.status().queue.pending`), "=2", "the ring survived the reboot");
  // Trash past half of the usable bytes, sized from what the firmware holds so that both
  // writes stay below the raw region (Storage itself does not know where that starts): the
  // boot says so, and leaves it.
  const held = sim.storage.getStats();
  const junk = Math.ceil((usableBytes(linux) * COMPACT_AT - held.fileBytes - held.trashBytes) / 2) + 2048;
  sim.storage.write("junk", binaryBytes("a".repeat(junk)));
  sim.storage.write("junk", binaryBytes("b".repeat(junk)));
  const st = sim.storage.getStats();
  t.true(st.fileBytes + st.trashBytes > usableBytes(linux) * COMPACT_AT);
  t.true(st.fileBytes + st.trashBytes < usableBytes(linux), "the junk stays below the raw region");
  sim.reboot();
  t.is(sim.storage.getStats().trashBytes, st.trashBytes, "not compacted at boot");
  t.regex(sim.output().join("\n"), /B of trash; spool flash compacts it/);
  // The compaction of spool flash (src/host/flash/plan.ts), as the CLI runs it after reset().
  sim.repl("reset()");
  t.regex(sim.repl(compactScript(false)), /SPOOL-COMPACTED \{.*"trashBytes":0,/);
  t.deepEqual(
    sim.storage.list().filter((f) => partFilePattern().test(f)),
    [],
    "the old firmware's parts are erased before the upload",
  );
  installFiles(sim, built.parts);
  sim.reboot();
  t.is(sim.repl(`spool.status().queue.pending`), "=2", "the ring is outside what compaction erases");
  t.is(sim.repl(`require("Storage").read("junk").charAt(0)`), `="b"`);
});
