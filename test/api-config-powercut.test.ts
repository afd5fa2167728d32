/**
 * The stored configuration under power cuts: Espruino's Storage on simulated NOR flash, a cut
 * at every flash operation (every failure mode of the power-loss harness) while `spool.setup`
 * stores a new configuration, or while the boot adopts a plain `spool.json`. After the cut the
 * next boot must run the old or the new configuration - never the defaults.
 */
import test from "ava";
import { loadBoard } from "../src/host/boards.ts";
import { createSpool } from "../src/device/api/spool.ts";
import { CONFIG_SLOTS, IMPORT_FILE, readNewest } from "../src/device/api/config-store.ts";
import { binaryBytes } from "../src/host/sim/storage.ts";
import type { BoardProfile } from "../src/device/board.ts";
import { bootHal, newDevice, type Device } from "./api-hal.ts";
import { directParts } from "./helpers/parts.ts";
import { describeSweep, sweepPowerCuts } from "./helpers/power-cut.ts";

const T0 = Date.UTC(2026, 4, 1);
const A = {
  wifi: { ssid: "home", password: "s3cret-wifi-pass" },
  blynk: { token: "Tok3nAbcdefghijklmnopqrstuvwxyz9", host: "127.0.0.1", scheme: "http", port: 1 },
  datastreams: [{ pin: 1, type: "double" }],
};
const B = {
  wifi: { ssid: "office" },
  datastreams: [
    { pin: 1, type: "double" },
    { pin: 2, type: "integer" },
  ],
  flushDelayMs: 5000,
};
const C = { ...A, wifi: { ssid: "imported", password: "an0ther-pass" }, limits: { dailyQuota: 1234 } };

function boot(dev: Device) {
  const hal = bootHal(dev, { epochMs: T0 });
  return { hal, spool: createSpool({ hal, board: dev.board, version: "test", parts: directParts }) };
}

/** A device whose stored configuration went through `history`. */
function prepared(board: BoardProfile, history: object[]): Device {
  const dev = newDevice(board);
  const { spool } = boot(dev);
  for (const h of history) spool.setup(h);
  return dev;
}

/** The configuration the next boot runs (masked, as text). */
function inForce(dev: Device): string {
  dev.storageFlash.powerOn();
  dev.raw.powerOn();
  return JSON.stringify(boot(dev).spool.config());
}

interface Outcome {
  cuts: number;
  old: number;
  new: number;
}

/**
 * Cuts power at every flash operation of `act` (Storage's and the store's, in every failure mode
 * of test/helpers/power-cut.ts) on a device prepared by `prepare`, and checks the boot after
 * each cut - and after a second cut at each operation of that boot, for one cut in three -
 * against the configurations before (that of `oldState`) and after.
 */
async function sweep(t: any, prepare: () => Device, act: (dev: Device) => void, oldState = prepare): Promise<Outcome> {
  const defaults = JSON.stringify(boot(newDevice(prepare().board)).spool.config());
  const oldCfg = inForce(oldState());
  const done = prepare();
  act(done);
  const newCfg = inForce(done);
  t.not(oldCfg, newCfg);
  t.not(oldCfg, defaults, "the old configuration is not the defaults");
  const out: Outcome = { cuts: 0, old: 0, new: 0 };
  const res = await sweepPowerCuts<Device>(
    {
      prepare,
      flashes: (dev) => [dev.raw, dev.storageFlash],
      act,
      recover: (dev) => void boot(dev),
      check: (dev, where) => {
        const c = inForce(dev);
        out.cuts++;
        if (c === oldCfg) out.old++;
        else if (c === newCfg) out.new++;
        else return `${where}: neither the old nor the new configuration in force${c === defaults ? " (defaults)" : ""}`;
        return undefined;
      },
    },
    { recoverySample: (k) => k % 3 === 0 },
  );
  t.true(res.ops >= 2, `the change takes ${res.ops} flash operations`);
  t.deepEqual(res.failures, []);
  t.log(describeSweep(res));
  return out;
}

// esp32's layout (Storage in its own bank) without WiFi: this test Hal has no Wifi module.
const BOARDS: BoardProfile[] = [loadBoard("linux"), { ...loadBoard("esp32"), network: "none" }];

for (const board of BOARDS) {
  const id = board.id;

  test(`${id}: a cut at every flash operation of setup leaves the old or the new configuration`, async (t) => {
    const first = await sweep(
      t,
      () => prepared(board, [A]),
      (dev) => boot(dev).spool.setup(B),
    );
    // The other direction: the newest copy in the second slot, the first slot written again.
    const second = await sweep(
      t,
      () => prepared(board, [A, B]),
      (dev) => boot(dev).spool.setup({ flushDelayMs: 7000 }),
    );
    for (const o of [first, second]) t.true(o.old > 0 && o.new > 0, `both outcomes seen: ${JSON.stringify(o)}`);
    t.log(
      `${id}: setup A->B ${first.cuts} cuts (${first.old} old, ${first.new} new); B->B' ${second.cuts} cuts (${second.old} old, ${second.new} new)`,
    );
  });
}

test("linux: a cut at every flash operation while the boot adopts spool.json leaves the stored or the imported configuration", async (t) => {
  const board = loadBoard("linux");
  const withImport = () => {
    const dev = prepared(board, [A]);
    dev.storage.write(IMPORT_FILE, binaryBytes(JSON.stringify(C)));
    return dev;
  };
  const out = await sweep(
    t,
    withImport,
    (dev) => void boot(dev),
    () => prepared(board, [A]),
  );
  t.log(`boot adopting spool.json: ${out.cuts} cuts (${out.old} stored kept, ${out.new} imported)`);
  t.is(out.new, out.cuts, "spool.json stays until it is stored, so the next boot adopts it");
  // Adopted once: stored in a slot, the plain file gone, nothing rewritten at the next boot.
  const dev = withImport();
  boot(dev);
  t.is(dev.storage.read(IMPORT_FILE), undefined);
  const ops = dev.storageFlash.ops;
  t.regex(inForce(dev), /"imported"/);
  t.is(dev.storageFlash.ops, ops, "no write at a plain reboot");
});

test("the slots: one file at rest, torn and foreign copies are not taken, the higher seq wins", (t) => {
  const board = loadBoard("linux");
  const dev = prepared(board, [A, B, { flushDelayMs: 7000 }]);
  const { hal } = boot(dev);
  const live = hal.storage.list().filter((n) => CONFIG_SLOTS.includes(n));
  t.is(live.length, 1, "the older slot is erased once the newer one is complete");
  const newest = readNewest(hal)!;
  t.is(newest.seq, 3);
  t.is(JSON.parse(newest.text).flushDelayMs, 7000);
  const file = hal.storage.read(CONFIG_SLOTS[newest.slot])!;
  t.deepEqual(Object.keys(JSON.parse(file)), ["seq", "crc", "config"], "the slot file is JSON (Storage.readJSON reads it)");
  // A newer seq whose text does not match its CRC (a torn or edited copy) is not taken.
  const other = CONFIG_SLOTS[1 - newest.slot];
  hal.storage.write(other, file.replace('"seq":3', '"seq":9').replace("7000", "7001"));
  t.is(readNewest(hal)!.seq, 3);
  hal.storage.write(other, "garbage");
  t.is(readNewest(hal)!.seq, 3);
  // A valid newer copy wins (a cut after the write, before the older one was erased).
  hal.storage.write(other, file.replace('"seq":3', '"seq":4'));
  t.is(readNewest(hal)!.seq, 4);
  t.is(readNewest(hal)!.slot, 1 - newest.slot);
});

test("an unchanged setup writes nothing; a reboot does not rewrite the stored configuration", (t) => {
  const dev = prepared(BOARDS[1], [A]);
  const { spool } = boot(dev);
  const ops = dev.storageFlash.ops;
  spool.setup({ wifi: { ssid: "home" } });
  spool.setup({});
  t.is(dev.storageFlash.ops, ops);
  boot(dev);
  t.is(dev.storageFlash.ops, ops);
});
