/**
 * The store on the real interpreter (issue 3): the soak entry appends readings (values 0, 1,
 * 2, ... in order) to the raw region of the linux profile and prints `A n` once append(n)
 * returned; the host cuts the power (SIGKILL) at seeded random moments - during appends, sector
 * rotations, mount and the boot-time dump - and restarts on the same espruino.flash. Every boot
 * lists what the store holds, and the test checks it against what was acknowledged.
 *
 * Runs only when ESPRUINO names the interpreter (npm run test:target).
 */
import test from "ava";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EspruinoProcess, espruinoBinary, targetSkipReason } from "../../src/host/target/espruino-process.ts";
import { STORE_SOAK_ENTRY, linuxBundle, seededRandom, sleep } from "../../src/host/target/bundles.ts";
import { bootFirmware } from "../../src/host/target/scenarios.ts";
import { STRACE, flashWrites, interpreterCountingWrites, interpreterCutAt, killTraced } from "../../src/host/target/flash-cut.ts";

const BINARY = espruinoBinary();
const reason = targetSkipReason();
if (reason) test.skip(`real interpreter: ${reason}`, () => undefined);

const SEED = Number(process.env.SPOOL_TARGET_SEED ?? 20260527);
const CUTS = 26;
/** Share of cuts made right after start, before the entry is ready (mount, dump). */
const EARLY_CUT_SHARE = 0.2;
const PER_TICK = 3;
const TICK_MS = 10;
/** At 300 readings/s and at most 1 s per run, 26 runs stay well under the 64 KB region's ~12,800 readings: no wrap-around. */
const MAX_RUN_MS = 1000;

interface Boot {
  found: number[];
  count: number;
  next: number;
  mountMs: number;
}

/** Parses the boot dump (M, D, N lines). */
function bootDump(dev: EspruinoProcess): Boot {
  const found: number[] = [];
  let count = -1;
  let next = -1;
  let mountMs = NaN;
  for (const line of dev.lines) {
    let m = /^M ([\d.]+)$/.exec(line);
    if (m) mountMs = Number(m[1]);
    m = /^D (\d+) (\d+)$/.exec(line);
    if (m) for (let v = Number(m[1]); v <= Number(m[2]); v++) found.push(v);
    m = /^N (\d+) (\d+)$/.exec(line);
    if (m) {
      count = Number(m[1]);
      next = Number(m[2]);
    }
  }
  return { found, count, next, mountMs };
}

function acknowledged(dev: EspruinoProcess): number[] {
  const out: number[] = [];
  for (const line of dev.lines) {
    const m = /^A (\d+)$/.exec(line);
    if (m) out.push(Number(m[1]));
  }
  return out;
}

function problems(dev: EspruinoProcess): string[] {
  return dev.lines.filter((l) => /Uncaught|Error|ASSERT|OUT OF MEMORY|corrupt/i.test(l));
}

const run = BINARY ? test.serial : test.skip;

run("every acknowledged append survives seeded power cuts on the real interpreter", async (t) => {
  const bundle = await linuxBundle(STORE_SOAK_ENTRY);
  const rand = seededRandom(SEED);
  let cwd: string | undefined;
  /** Highest value acknowledged so far (-1: none). */
  let maxAcked = -1;
  let acked = 0;
  let early = 0;
  let checkedBoots = 0;
  let checkedReadings = 0;
  const mounts: number[] = [];

  // Checks one boot's dump against everything acknowledged before it.
  const check = (dev: EspruinoProcess, label: string): Boot => {
    const b = bootDump(dev);
    t.is(b.count, b.found.length, `${label}: N count matches the D runs`);
    // Appends are sequential, so the store must hold exactly 0..max, each once: a gap is a lost
    // reading, anything else a reading that was never appended (or one returned twice).
    const max = b.found.length ? b.found[b.found.length - 1] : -1;
    const exact = b.found.every((v, i) => v === i);
    if (!exact)
      t.fail(`${label}: the store holds ${b.found.length} readings but not exactly 0..${max}: ${JSON.stringify(b.found.slice(0, 20))}...`);
    t.true(max >= maxAcked, `${label}: acknowledged up to ${maxAcked} but the store holds only up to ${max}`);
    // Beyond the last acknowledged value only appends whose "A" line was still in the pipe, or the one in flight.
    t.true(max - maxAcked <= PER_TICK * 50, `${label}: ${max - maxAcked} readings beyond the last acknowledged one`);
    t.is(b.next, max + 1, `${label}: next value`);
    checkedBoots++;
    checkedReadings += b.found.length;
    if (Number.isFinite(b.mountMs)) mounts.push(b.mountMs);
    return b;
  };

  for (let cut = 0; cut < CUTS; cut++) {
    const dev = new EspruinoProcess({ binary: BINARY!, file: bundle, cwd });
    cwd = dev.cwd;
    try {
      if (cut > 0 && rand() < EARLY_CUT_SHARE) {
        // Power cut while mounting (boot id persisted) or dumping.
        early++;
        await sleep(Math.floor(rand() * 150));
      } else {
        await dev.waitFor(/^READY$/, 30_000);
        check(dev, `boot ${cut}`);
        dev.send(`soak.run(${PER_TICK},${TICK_MS})`);
        await sleep(50 + Math.floor(rand() * (MAX_RUN_MS - 50)));
      }
    } finally {
      await dev.kill();
    }
    const a = acknowledged(dev);
    t.deepEqual(problems(dev), [], `boot ${cut} printed errors`);
    acked += a.length;
    if (a.length) maxAcked = Math.max(maxAcked, a[a.length - 1]);
  }

  // After the last cut: everything is there, and appends work again (and are found once more).
  let dev = new EspruinoProcess({ binary: BINARY!, file: bundle, cwd });
  try {
    await dev.waitFor(/^READY$/, 30_000);
    const b = check(dev, "after the last cut");
    dev.send(`soak.run(${PER_TICK},${TICK_MS})`);
    await dev.waitFor(new RegExp(`^A ${b.next + 30}$`), 10_000);
    await dev.eval("soak.stop()");
    const stats = await dev.eval<{ dropped: Record<string, number>; quarantinedSectors: number; bytesUsed: number }>("soak.stats()");
    const a = acknowledged(dev);
    maxAcked = a[a.length - 1];
    acked += a.length;
    t.is(stats.quarantinedSectors, 0);
    t.is(stats.dropped.overwritten, 0, "sized so that the ring never turned over undelivered readings");
    t.is(stats.dropped.corrupt, 0);
    t.log(`region bytes used: ${stats.bytesUsed} of 65536`);
  } finally {
    await dev.kill();
  }
  dev = new EspruinoProcess({ binary: BINARY!, file: bundle, cwd });
  try {
    await dev.waitFor(/^READY$/, 30_000);
    check(dev, "final boot");
    t.deepEqual(problems(dev), []);
  } finally {
    await dev.kill();
  }
  rmSync(cwd!, { recursive: true, force: true });
  mounts.sort((x, y) => x - y);
  t.log(
    `seed ${SEED}: ${CUTS} power cuts (${early} during mount/dump), ${acked} acknowledged appends, ${checkedBoots} boots checked, ${checkedReadings} readings compared`,
  );
  t.log(`mount ms on the interpreter: median ${mounts[Math.floor(mounts.length / 2)]}, max ${mounts[mounts.length - 1]}`);
});

// Storage shares the linux bank with the region: its compaction must not touch the region.
run("Storage.compact() on the shared linux bank leaves the region's readings intact", async (t) => {
  const bundle = await linuxBundle(STORE_SOAK_ENTRY);
  let dev = new EspruinoProcess({ binary: BINARY!, file: bundle });
  const cwd = dev.cwd;
  let last: number;
  try {
    await dev.waitFor(/^READY$/, 15_000);
    dev.send(`soak.run(10,5)`);
    await dev.waitFor(/^A 2000$/, 30_000);
    await dev.eval("soak.stop()");
    const a = acknowledged(dev);
    last = a[a.length - 1];
    const before = await dev.eval<{ trashBytes: number }>(
      '(function(){var S=require("Storage");for(var i=0;i<60;i++)S.write("t"+(i%3),"trash "+i);return S.getStats();})()',
    );
    t.true(before.trashBytes > 0);
    const after = await dev.eval<{ trashBytes: number }>(
      '(function(){var S=require("Storage");S.compact();return S.getStats();})()',
      60_000,
    );
    t.is(after.trashBytes, 0);
  } finally {
    await dev.kill();
  }
  dev = new EspruinoProcess({ binary: BINARY!, file: bundle, cwd });
  try {
    await dev.waitFor(/^READY$/, 30_000);
    const b = bootDump(dev);
    t.true(b.found.length >= last + 1 && b.found.every((v, i) => v === i), `found ${b.found.length} readings, acknowledged 0..${last}`);
    t.deepEqual(problems(dev), []);
  } finally {
    await dev.kill();
    rmSync(cwd, { recursive: true, force: true });
  }
});

/** A configuration slot as spool.setup stores it (config-store.ts), built on the device. */
const SLOT_LINE =
  '(function(){var t=JSON.stringify({wifi:{ssid:"home",password:"s3cret"},datastreams:[{pin:1,type:"double"}],flushDelayMs:5000});' +
  'var f=\'{"seq":3,"crc":\'+E.CRC32(t)+\',"config":\'+t+"}";require("Storage").write("spool.cfg1",f);return f;})()';
/** Files around the slot, some erased: trash before and after it, so that compaction moves it. */
const TRASH_LINE =
  '(function(){var S=require("Storage"),s="";for(var j=0;j<40;j++)s+="0123456789abcdef";' +
  'for(var i=0;i<4;i++)S.write("junk"+i,s+i);S.write("spool.cfg0",s);' +
  `var c=${SLOT_LINE};for(var i=4;i<7;i++)S.write("junk"+i,s+i);` +
  'S.erase("spool.cfg0");for(var i=0;i<7;i+=2)S.erase("junk"+i);return c;})()';
const COMPACT_LINE = 'require("Storage").compact(),print("COMPACTED")';

const runCuts = BINARY && STRACE ? test.serial : test.skip;
if (BINARY && !STRACE) test.skip("real interpreter: cuts during Storage.compact() (skipped: strace is not installed)", () => undefined);

// Storage.compact() cut before each of its flash writes, on the real interpreter: what a cut
// there loses. The firmware never compacts for this reason (src/device/api/storage-tidy.ts);
// `spool flash` does, before it uploads.
runCuts("Storage.compact() cut at each of its flash operations on the real interpreter (strace): what survives", async (t) => {
  t.timeout(20 * 60_000);
  const bundle = await linuxBundle(STORE_SOAK_ENTRY);
  let dev = new EspruinoProcess({ binary: BINARY!, file: bundle });
  const base = dev.cwd;
  let slot: string;
  let maxAcked: number;
  try {
    await dev.waitFor(/^READY$/, 30_000);
    dev.send("soak.run(10,5)");
    await dev.waitFor(/^A 500$/, 30_000);
    await dev.eval("soak.stop()");
    const a = acknowledged(dev);
    maxAcked = a[a.length - 1];
    slot = await dev.eval<string>(TRASH_LINE);
    const s = await dev.eval<{ trashBytes: number }>('require("Storage").getStats()');
    t.true(s.trashBytes > 0);
  } finally {
    await dev.kill();
  }
  const image = readFileSync(join(base, "espruino.flash"));
  const fresh = (): string => {
    const d = mkdtempSync(join(tmpdir(), "spool-compact-cut-"));
    writeFileSync(join(d, "espruino.flash"), image);
    return d;
  };
  // Writes of a boot alone, then of a boot and the compaction: the compaction's are the difference.
  const counts: number[] = [];
  for (const compact of [false, true]) {
    const d = fresh();
    const log = join(d, "writes.log");
    dev = interpreterCountingWrites({ binary: BINARY!, cwd: d, file: bundle, log });
    try {
      await dev.waitFor(/^READY$/, 30_000);
      if (compact) await dev.eval(COMPACT_LINE, 60_000);
      else await sleep(300);
    } finally {
      await killTraced(dev);
      await dev.closed;
    }
    counts.push(flashWrites(log));
    rmSync(d, { recursive: true, force: true });
  }
  const bootWrites = counts[0];
  const ops = counts[1] - counts[0];
  t.true(ops >= 4, `the compaction made ${ops} flash writes`);
  const out = { cuts: 0, landed: 0, storageErased: 0, configLost: 0, readingsLost: 0 };
  const perCut: string[] = [];
  for (let k = 1; k <= ops; k++) {
    const d = fresh();
    dev = interpreterCutAt({ binary: BINARY!, cwd: d, file: bundle, n: bootWrites + k });
    try {
      await dev.waitFor(/^READY$/, 30_000);
      dev.send(COMPACT_LINE);
      // Killed (no exit code) inside the compaction: it never printed its end.
      if ((await dev.exited) === null && !dev.lines.some((l) => l.trim() === "COMPACTED")) out.landed++;
      await dev.closed;
    } finally {
      await killTraced(dev);
    }
    out.cuts++;
    const after = new EspruinoProcess({ binary: BINARY!, file: bundle, cwd: d });
    try {
      await after.waitFor(/^READY$/, 30_000);
      const erased = after.lines.some((l) => /Storage is corrupt/.test(l));
      const b = bootDump(after);
      const exact = b.found.every((v, i) => v === i);
      t.true(exact, `cut ${k}: the store holds readings that are not exactly 0..n`);
      const max = b.found.length ? b.found[b.found.length - 1] : -1;
      const lost = max < maxAcked!;
      const cfg = await after.eval<string | null>('require("Storage").read("spool.cfg1")');
      const cfgLost = cfg !== slot!;
      if (erased) out.storageErased++;
      if (cfgLost) out.configLost++;
      if (lost) out.readingsLost++;
      perCut.push(`${k}:${erased ? "E" : ""}${cfgLost ? "C" : ""}${lost ? "R" : ""}${erased || cfgLost || lost ? "" : "ok"}`);
    } finally {
      await after.kill();
      rmSync(d, { recursive: true, force: true });
    }
  }
  rmSync(base, { recursive: true, force: true });
  t.log(`${ops} flash writes in the compaction (after ${bootWrites} of the boot), a cut before each: ${JSON.stringify(out)}`);
  t.log(`per cut (E Storage erased at start-up, C configuration slot lost, R acknowledged readings lost): ${perCut.join(" ")}`);
  t.is(out.landed, out.cuts, "every cut landed inside the compaction");
});

// What compaction does to code running from Storage (src/jsflash.c jsfCompactInternal calls
// jsvUpdateMemoryAddress with flash addresses): on the Linux build functions loaded from Storage
// are flash strings holding flash addresses, which it re-points, so the firmware keeps working.
// On ESP32/ESP8266 they hold memory-mapped addresses, which it does not re-point: not measurable
// here, and why the firmware never compacts (docs/flash-format.md).
run("linux: the firmware booted from Storage keeps working after Storage.compact() moves its code", async (t) => {
  const dev = await bootFirmware(BINARY!);
  try {
    // Where the live .bootcde's header is in the flash file (an erased file's name starts with 4 zero bytes).
    const bootAt = () => readFileSync(join(dev.cwd, "espruino.flash")).indexOf(Buffer.from(".bootcde\0", "latin1")) - 4;
    const from = bootAt();
    const first = (await dev.eval<string[]>('require("Storage").list()'))[0];
    t.not(first, ".bootcde");
    // The first file rewritten at the end: its old copy is trash before everything else.
    await dev.eval(
      `(function(){var S=require("Storage"),f=${JSON.stringify(first)},d=E.toString(S.read(f),"");S.erase(f);S.write(f,d);return 0;})()`,
    );
    await dev.eval('(require("Storage").compact(),0)', 60_000);
    const moved = bootAt();
    t.true(from > 0 && moved < from, `.bootcde moved from ${from} to ${moved}`);
    // Code defined before the compaction, in .bootcde and in the parts, still runs.
    await dev.eval('spool.setup({datastreams:[{pin:1,type:"double"}]}),spool.record(1,2.5),spool.record(1,3.5),0');
    t.is(await dev.eval<number>("spool.status().queue.pending"), 2);
    const printed = dev.lines.length;
    t.is(await dev.eval<number>("(spool.report(),1)"), 1);
    t.true(dev.lines.length - printed > 3, "the report part (loaded from Storage) printed its lines");
    t.deepEqual(
      dev.output().filter((l) => /Uncaught|Error|ASSERT/.test(l)),
      [],
    );
    t.log(`.bootcde moved from ${from} to ${moved} (flash offset); spool.setup, record, status and report ran afterwards`);
  } finally {
    await dev.kill();
    rmSync(dev.cwd, { recursive: true, force: true });
  }
});
