/**
 * Storage hygiene: compaction at boot and from time to time once files plus trash pass half of
 * the board's usable bytes, room made (or refused) before a configuration write, and on linux
 * (raw region inside Storage's bank) a Storage that is never empty and never reaches the ring.
 */
import test from "ava";
import { loadBoard } from "../src/host/boards.ts";
import { build } from "../src/host/build/index.ts";
import { createSpool } from "../src/device/api/spool.ts";
import { readNewest } from "../src/device/api/config-store.ts";
import { KEEP_FILE } from "../src/device/api/store-open.ts";
import { COMPACT_AT, usableBytes } from "../src/device/api/storage-tidy.ts";
import { SimClock, SimEspruino, SimNetwork, installFiles } from "../src/host/sim/index.ts";
import { binaryBytes } from "../src/host/sim/storage.ts";
import { bootHal, newDevice, type Device } from "./api-hal.ts";
import { directParts } from "./helpers/parts.ts";

const linux = loadBoard("linux");
const T0 = Date.UTC(2026, 4, 1);
const SETUP = { blynk: { token: "Tok3nAbcdefghijklmnopqrstuvwxyz9", host: "127.0.0.1", scheme: "http", port: 1 }, datastreams: [{ pin: 1, type: "double" }] };

function boot(dev: Device) {
  const hal = bootHal(dev, { epochMs: T0 });
  return { hal, spool: createSpool({ hal, board: dev.board, version: "test", parts: directParts }) };
}

/** Writes `name` with `size` bytes of `fill` (replacing it leaves the old copy as trash). */
function put(dev: Device, name: string, size: number, fill: number): void {
  dev.storage.write(name, new Uint8Array(size).fill(fill));
}

test("boot compacts once files plus trash pass half the usable bytes, and not before", (t) => {
  const usable = usableBytes(linux);
  t.is(usable, linux.storage.usableBytes);
  const dev = newDevice(linux);
  boot(dev).spool.setup(SETUP);
  put(dev, "big", 40000, 1);
  put(dev, "big", 40000, 2);
  let s = dev.storage.getStats();
  t.true(s.fileBytes + s.trashBytes < usable * COMPACT_AT);
  boot(dev);
  t.is(dev.storage.getStats().trashBytes, s.trashBytes, "below half: left alone");
  put(dev, "big", 40000, 3);
  s = dev.storage.getStats();
  t.true(s.fileBytes + s.trashBytes > usable * COMPACT_AT);
  const { spool } = boot(dev);
  s = dev.storage.getStats();
  t.is(s.trashBytes, 0, "compacted at boot");
  t.deepEqual(dev.storage.read("big"), new Uint8Array(40000).fill(3));
  t.is(spool.config().datastreams.length, 1, "the configuration survived the compaction");
});

test("a running Spool checks every hour; stop() ends the check", (t) => {
  const dev = newDevice(linux);
  const { hal, spool } = boot(dev);
  spool.setup(SETUP);
  spool.start();
  for (let i = 0; i < 3; i++) put(dev, "quota-like", 40000, i + 1);
  t.true(dev.storage.getStats().trashBytes > 0);
  dev.clock.advance(3600000);
  t.is(dev.storage.getStats().trashBytes, 0);
  spool.stop();
  t.is(hal.timers(), 0);
});

test("setup compacts when its write would pass the usable bytes; with no room it fails and the old configuration stays", (t) => {
  const dev = newDevice(linux);
  const { spool } = boot(dev);
  spool.setup(SETUP);
  // After boot: trash that brings files plus trash right up to the limit.
  put(dev, "big", 100000, 1);
  put(dev, "big", 94400, 2);
  let s = dev.storage.getStats();
  t.true(s.fileBytes + s.trashBytes > usableBytes(linux) - 700, JSON.stringify(s));
  spool.setup({ flushDelayMs: 5000 });
  s = dev.storage.getStats();
  t.true(s.trashBytes < 1000, `compacted before the write: only the older config slot is trash now (${s.trashBytes} bytes)`);
  t.is(readNewest(bootHal(dev))!.seq, 2);
  t.is(boot(dev).spool.config().flushDelayMs, 5000);

  const full = newDevice(linux);
  const a = boot(full);
  a.spool.setup(SETUP);
  put(full, "huge", usableBytes(linux) - full.storage.getStats().fileBytes - 100, 7);
  const before = JSON.stringify(a.spool.config());
  t.throws(() => a.spool.setup({ flushDelayMs: 5000 }), { message: /spool\.setup: the configuration could not be stored \(Storage is full: files take \d+ of 194560 usable bytes, \d+ more needed\); the previous one stays in force/ });
  t.is(JSON.stringify(a.spool.config()), before);
  const used = full.storage.getStats();
  t.true(used.fileBytes + used.trashBytes <= usableBytes(linux), "Storage stayed below the raw region");
  t.is(JSON.stringify(boot(full).spool.config()), before);
});

const linuxBuild = build({ board: "linux", write: false });

test("linux in the simulated Espruino: Storage is never empty, and a boot-time compaction leaves the ring intact", async (t) => {
  const clock = new SimClock();
  const network = new SimNetwork({ clock, online: false });
  const sim = new SimEspruino({ board: linux, clock, network });
  t.deepEqual(sim.storage.list(), []);
  const built = await linuxBuild;
  installFiles(sim, built.parts);
  sim.boot(built.code);
  t.deepEqual(sim.storage.list().sort(), built.parts.map((p) => p.storage).sort(), "the parts keep Storage non-empty before the ring is first written");
  t.false(sim.storage.list().includes(KEEP_FILE));
  t.is(sim.repl(`spool.record(1, 1.5); spool.record(1, 2.5)`), "=undefined");
  sim.reboot();
  t.false(sim.output().includes("Storage is corrupt."));
  t.is(sim.repl(`spool.status().queue.pending`), "=2", "the ring survived the reboot");
  // Trash well past half of the usable bytes: the next boot compacts.
  sim.storage.write("junk", binaryBytes("a".repeat(60000)));
  sim.storage.write("junk", binaryBytes("b".repeat(60000)));
  const st = sim.storage.getStats();
  t.true(st.fileBytes + st.trashBytes > usableBytes(linux) * COMPACT_AT);
  sim.reboot();
  t.is(sim.storage.getStats().trashBytes, 0, "compacted at boot");
  t.is(sim.repl(`spool.status().queue.pending`), "=2", "the ring is outside what compaction erases");
  t.is(sim.repl(`require("Storage").read("junk").charAt(0)`), `="b"`);
});
