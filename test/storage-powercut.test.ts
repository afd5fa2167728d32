/**
 * Storage files under power cuts, on the power-loss harness: Spool's own files in Espruino's
 * Storage (the configuration slots, the quota file `spool.quota`, the region file
 * `spool.region`) while they are rewritten, and while Storage compacts - which only
 * `spool flash` does (the firmware never compacts: storage-tidy.ts); this measures what a cut
 * there costs (docs/flash-format.md, "Storage files and compaction").
 */
import test from "ava";
import { loadBoard } from "../src/host/boards.ts";
import { createSpool } from "../src/device/api/spool.ts";
import { QUOTA_FILE, QUOTA_FILES, REGION_FILE } from "../src/device/uplink/index.ts";
import { binaryBytes, bytesBinary } from "../src/host/sim/storage.ts";
import type { BoardProfile } from "../src/device/board.ts";
import { bootHal, newDevice, type Device } from "./api-hal.ts";
import { describeSweep, sweepPowerCuts } from "./helpers/power-cut.ts";
import { directParts } from "./helpers/parts.ts";

const T0 = Date.UTC(2026, 4, 1);
const CFG = { wifi: { ssid: "home", password: "s3cret-wifi-pass" }, datastreams: [{ pin: 1, type: "double" }] };

function boot(dev: Device) {
  const hal = bootHal(dev, { epochMs: T0 });
  return { hal, spool: createSpool({ hal, board: dev.board, version: "test", parts: directParts }) };
}

function fileOf(dev: Device, name: string): string | undefined {
  const b = dev.storage.read(name);
  return b === undefined ? undefined : bytesBinary(b);
}

/** Readings recorded before the compaction (values 0.5, 1.5, ...). */
const READINGS = 20;

/** A device with readings in the ring, its configuration stored, quota and region files, and trash from rewrites of all three. */
function withTrash(board: BoardProfile): Device {
  const dev = newDevice(board);
  const { spool } = boot(dev);
  for (let i = 0; i < 6; i++) {
    spool.setup({ ...CFG, flushDelayMs: 1000 * (i + 1) });
    if (i === 0) for (let k = 0; k < READINGS; k++) spool.record(1, k + 0.5);
    dev.storage.write(QUOTA_FILE, binaryBytes(JSON.stringify({ day: 20000, used: 10 * i, req: i })));
    dev.storage.write(
      REGION_FILE,
      binaryBytes(JSON.stringify({ from: "blynk.cloud", scheme: "http", host: "fra1.blynk.cloud", port: 80 + i })),
    );
  }
  return dev;
}

for (const board of [loadBoard("linux"), { ...loadBoard("esp32"), network: "none" as const }]) {
  test(`${board.id}: a cut at every flash operation of Storage.compact() (every failure mode): what survives`, async (t) => {
    const before = withTrash(board);
    const cfg = JSON.stringify(boot(before).spool.config());
    const quota = fileOf(before, QUOTA_FILE) ?? fileOf(before, QUOTA_FILES[1]);
    const region = fileOf(before, REGION_FILE);
    const lost = { config: 0, quota: 0, region: 0, readings: 0, storageErased: 0, checks: 0 };
    // The cuts the real interpreter makes (test/target/store.test.ts): nothing of the operation landed.
    const whole = { cuts: 0, storageErased: 0, config: 0 };
    const res = await sweepPowerCuts<Device>(
      {
        prepare: () => withTrash(board),
        flashes: (dev) => [dev.raw, dev.storageFlash],
        act: (dev) => void dev.storage.compact(),
        recover: (dev) => void boot(dev),
        check: (dev, _where, cut) => {
          lost.checks++;
          const none = cut.variant === "write none" || cut.variant === "erase not started";
          if (none) whole.cuts++;
          // The interpreter's start-up check (jsiInit, jsfIsBankStorageValid): "Storage is
          // corrupt" and the whole bank is erased - on linux the ring with it.
          if (!dev.storage.isValidAtBoot()) {
            lost.storageErased++;
            if (none) whole.storageErased++;
            dev.storage.eraseAll();
            if (board.id === "linux") dev.raw.load(new Uint8Array(dev.raw.bytes.length).fill(0xff));
          }
          const b = boot(dev).spool;
          if (JSON.stringify(b.config()) !== cfg) {
            lost.config++;
            if (none) whole.config++;
          }
          if (b.status().queue.pending !== READINGS) lost.readings++;
          if ((fileOf(dev, QUOTA_FILE) ?? fileOf(dev, QUOTA_FILES[1])) !== quota) lost.quota++;
          if (fileOf(dev, REGION_FILE) !== region) lost.region++;
          return undefined;
        },
      },
      { recoverySample: (k) => k % 4 === 0 },
    );
    t.log(describeSweep(res));
    t.log(`all modes: ${JSON.stringify(lost)}; cuts where nothing of the operation landed: ${JSON.stringify(whole)}`);
    t.deepEqual(res.failures, []);
    if (board.id !== "linux") t.is(lost.readings, 0, "the ring, in its own partition, keeps every reading");
  });
}
