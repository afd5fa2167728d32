/**
 * spool flash keeps the board's own files across its Storage compactions (src/host/flash/keep.ts):
 * the scripts it sends, run in the simulated Espruino on the firmware's real Storage, with the
 * compaction cut at its flash operations on the power-loss harness. On linux the ring lies in
 * Storage's bank: a cut that leaves Storage corrupt erases it at the next start, and the host
 * writes back the configuration and the ring it read before compacting.
 */
import test from "ava";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { loadBoard } from "../src/host/boards.ts";
import { build } from "../src/host/build/index.ts";
import { compactScript } from "../src/host/flash/plan.ts";
import {
  backupPath,
  isLoss,
  keepAreaOf,
  loadBackup,
  lossAgainst,
  parseSnapshot,
  repairScript,
  saveBackup,
  snapshotScript,
  type Snapshot,
} from "../src/host/flash/keep.ts";
import { SimClock, SimEspruino, SimNetwork, installFiles } from "../src/host/sim/index.ts";
import { binaryBytes } from "../src/host/sim/storage.ts";
import { describeSweep, sweepPowerCuts } from "./helpers/power-cut.ts";

const TOKEN = "Tok3nAbcdefghijklmnopqrstuvwxyz9";
const SETUP = `spool.setup({wifi:{ssid:"home",password:"s3cret-wifi-pass"},blynk:{token:"${TOKEN}",host:"127.0.0.1",scheme:"http",port:1},datastreams:[{pin:1,type:"double"}]})`;
const READINGS = 40;

for (const id of ["linux", "esp32"] as const) {
  const board = loadBoard(id);
  const area = keepAreaOf(board);
  const built = build({ board: board.id, write: false });

  /** A configured board with readings and trash, as it is when spool flash starts (firmware stopped). */
  async function device(): Promise<SimEspruino> {
    const b = await built;
    const clock = new SimClock();
    const sim = new SimEspruino({ board, clock, network: new SimNetwork({ clock, online: false }) });
    installFiles(sim, b.parts);
    sim.storage.write(".bootcde", binaryBytes(b.code));
    sim.storage.write("junk", new Uint8Array(3000));
    sim.reboot();
    sim.repl(SETUP);
    for (let i = 0; i < READINGS; i++) sim.repl(`spool.record(1, ${i + 0.5})`);
    // Trash ahead of the configuration: the compaction moves the files after it.
    sim.storage.erase("junk");
    sim.repl(SETUP.replace("port:1", "port:2"));
    sim.reset();
    return sim;
  }

  function snap(sim: SimEspruino, ring: "data" | "crc"): Snapshot {
    const s = parseSnapshot(sim.repl(snapshotScript(area, ring)), area);
    if (!s) throw new Error("no snapshot");
    return s;
  }

  /**
   * Flashes again as `spool flash` does after a cut (plan.ts: its compaction erases the parts
   * and reclaims the trash the cut one left, then the parts and the code go in), boots the
   * firmware and reads what it has: the token's ends, the port, the readings waiting. Without
   * that compaction the parts would be written after the trash, past the usable bytes.
   */
  async function booted(sim: SimEspruino): Promise<string> {
    const b = await built;
    sim.repl(compactScript(false));
    installFiles(sim, b.parts);
    if (!sim.storage.read(".bootcde")) sim.storage.write(".bootcde", binaryBytes(b.code));
    sim.reboot();
    return String(
      sim.repl(`print(spool.config().blynk.token+" "+spool.config().blynk.port+" "+spool.status().queue.pending)`).split("\n")[0],
    );
  }

  test(`${id}: the snapshot lists the configuration slots${area.ring ? " and every ring page" : ""}; an uncut compaction loses nothing`, async (t) => {
    const sim = await device();
    const kept = snap(sim, "data");
    t.true(
      Object.keys(kept.files).some((n) => /^spool\.cfg[01]$/.test(n)),
      Object.keys(kept.files).join(", "),
    );
    t.is(Object.keys(kept.pages).length, area.ring ? area.ring.length / area.ring.pageSize : 0);
    t.is(kept.dirty, -1, "Storage's free space is blank");
    const out = sim.repl(compactScript(false, snapshotScript(area, "crc")));
    t.regex(out, /SPOOL-COMPACTED/);
    t.false(isLoss(lossAgainst(kept, parseSnapshot(out, area)!)));
    t.is(await booted(sim), `Tok3...xyz9 2 ${READINGS}`);
  });

  test(`${id}: a cut at every flash operation of the compaction (every failure mode): what the next start lacks is written back from the host's copy`, async (t) => {
    t.timeout(30 * 60_000);
    const expect = `Tok3...xyz9 2 ${READINGS}`;
    let kept: Snapshot | undefined;
    const tally = { cuts: 0, lost: 0, erased: 0, restored: 0 };
    const res = await sweepPowerCuts<SimEspruino>(
      {
        prepare: async () => {
          const sim = await device();
          kept = snap(sim, "data");
          return sim;
        },
        flashes: (sim) => (sim.flash === sim.storageFlash ? [sim.flash] : [sim.flash, sim.storageFlash]),
        act: (sim) => {
          sim.repl(compactScript(false, snapshotScript(area, "crc")));
          if (sim.dead) throw new Error("power cut");
        },
        recover: (sim) => void sim.boot(""),
        check: (sim, where) => {
          tally.cuts++;
          // Power on with no code of ours (the CLI's reset()); the start-up check runs first.
          sim.boot("");
          if (sim.output().slice(-3).includes("Storage is corrupt.")) tally.erased++;
          sim.clearOutput();
          const loss = lossAgainst(kept!, snap(sim, "crc"));
          if (isLoss(loss)) {
            tally.lost++;
            sim.repl(repairScript(kept!, loss, false));
            if (isLoss(lossAgainst(kept!, snap(sim, "crc")))) return `${where}: still lacking after the write-back`;
            tally.restored++;
          }
          return booted(sim).then((got) => (got === expect ? undefined : `${where}: the firmware boots with "${got}", not "${expect}"`));
        },
      },
      // Every 8th operation (all of them: many minutes more), each in every failure mode.
      { maxFailures: 5, sample: (k) => k % 8 === 1 },
    );
    t.log(describeSweep(res));
    t.log(
      `${tally.cuts} cuts: ${tally.erased} left Storage the start-up check erased, ${tally.lost} lost kept files or ring pages, ${tally.restored} written back whole`,
    );
    t.deepEqual(res.failures, []);
  });
}

test("a backup left by a cut spool flash: the next run writes back only what the board no longer has, from a file only its owner reads", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "spool-keep-"));
  try {
    const page = (c: string) => c.repeat(1024);
    const left: Snapshot = {
      serial: "abc",
      files: { "spool.cfg0": '{"seq":3}', "spool.quota": "\x01\x02\xff" },
      pages: { "100": page("A"), "1124": page("\xff") },
      dirty: -1,
    };
    const path = backupPath(dir, "linux", "tcp://127.0.0.1:2323", "abc");
    saveBackup(path, left);
    t.is(statSync(path).mode & 0o777, 0o600);
    const back = loadBackup(path)!;
    t.deepEqual(back, left);
    const ff = crc32(Buffer.from(page("\xff"), "latin1")) >>> 0;
    // The board since: a newer configuration, no quota file, the ring erased whole.
    const erased: Snapshot = { serial: "abc", files: { "spool.cfg0": '{"seq":4}' }, pages: { "100": ff, "1124": ff }, dirty: -1 };
    t.deepEqual(lossAgainst(back, erased, "missing"), { files: ["spool.quota"], pages: [100], wipe: false });
    // A ring still written (readings since): left alone.
    const written = { ...erased, pages: { "100": 12345, "1124": ff } };
    t.deepEqual(lossAgainst(back, written, "missing"), { files: ["spool.quota"], pages: [], wipe: false });
    t.deepEqual(lossAgainst(back, { ...written, files: { ...written.files, "spool.quota": "x" } }, "missing"), {
      files: [],
      pages: [],
      wipe: false,
    });
    writeFileSync(path, "not json");
    t.throws(() => loadBackup(path), { message: /is not a spool flash backup .*move it away and flash again/ });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
