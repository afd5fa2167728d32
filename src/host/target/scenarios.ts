/**
 * Scenarios on the real interpreter shared by the target suite (test/target/) and the bench
 * (bench/target.ts): the local Blynk-compatible server and SNTP responder the linux firmware
 * talks to, and the measurements (append cost, mount time, memory during a large flush).
 */
import { readFileSync, rmSync } from "node:fs";
import { loadavg } from "node:os";
import { startServer, type BlynkServer, type TlsOptions } from "../server/index.ts";
import type { DeviceConfig } from "../server/options.ts";
import { EspruinoProcess } from "./espruino-process.ts";
import { STORE_SOAK_ENTRY, firmwareFiles, linuxBundle, sleep } from "./bundles.ts";
import { bootStorage, installStorage } from "./storage-boot.ts";
import { startSntpServer, type SntpServer } from "./sntp-server.ts";
import { build } from "../build/index.ts";
import { installFiles, readBoard, simWorld, type SimEspruino } from "../sim/index.ts";

/** The server and the SNTP responder on 127.0.0.1: the machine needs no network. */
export interface LocalCloud {
  server: BlynkServer;
  sntp: SntpServer;
  token: string;
  /**
   * A `spool.setup` argument that points the device at this cloud: V1 as a double (float32, the firmware default),
   * no sampling schedule, the given extras merged over it (one level deep).
   */
  config(extra?: Record<string, unknown>): Record<string, unknown>;
  close(): Promise<void>;
}

/** Daily point quota used on both sides: the suite sends far more than Blynk's 10,000. */
const QUOTA = 1_000_000;

/**
 * Starts the server (SQLite in memory; its request log goes to `log`, none without) and the
 * SNTP responder. The server knows `device` (and {@link LocalCloud.token} is its token), or
 * else its demo device (V0..V9 doubles). With `tls` the server speaks https and {@link LocalCloud.config} points the
 * device at it with scheme "https".
 * @throws Error when a port cannot be bound or the TLS key and certificate are unusable.
 */
export async function startLocalCloud(
  options: { tls?: TlsOptions; log?: (line: string) => void; device?: DeviceConfig } = {},
): Promise<LocalCloud> {
  const devices = options.device ? [options.device] : undefined;
  const server = await startServer({
    port: 0,
    db: ":memory:",
    quiet: !options.log,
    log: options.log,
    limits: { dailyQuota: QUOTA },
    tls: options.tls,
    devices,
  });
  const sntp = await startSntpServer();
  const token = options.device?.token ?? server.demoToken!;
  return {
    server,
    sntp,
    token,
    config(extra = {}) {
      const base: Record<string, any> = {
        blynk: { host: "127.0.0.1", port: server.port, scheme: options.tls ? "https" : "http", token },
        ntp: { servers: ["127.0.0.1"], port: sntp.port },
        datastreams: [{ pin: 1, type: "double" }],
        schedules: [],
        limits: { dailyQuota: QUOTA },
        flushDelayMs: 300,
      };
      for (const [k, v] of Object.entries(extra)) {
        base[k] = v && typeof v === "object" && !Array.isArray(v) && base[k] ? { ...base[k], ...v } : v;
      }
      return base;
    },
    async close() {
      await server.close();
      await sntp.close();
    },
  };
}

/** Working directories whose flash already holds the firmware, by board. */
const installed = new Map<string, string>();

/**
 * Boots the default firmware (built for `board`, default linux) from Storage, as a board runs it,
 * and waits for its banner. The first boot in a working directory installs it there (a fresh
 * temporary directory when `cwd` is not given); later boots in the same directory are power-ons.
 */
export async function bootFirmware(binary: string, cwd?: string, board = "linux"): Promise<EspruinoProcess> {
  let dir = cwd;
  if (!dir || installed.get(dir) !== board) {
    dir = await installStorage({ binary, cwd: dir, files: await firmwareFiles(board) });
    installed.set(dir, board);
  }
  const dev = await bootStorage({ binary, cwd: dir, banner: new RegExp(`^Spool \\S+ on ${board}$`) });
  try {
    // The Linux build exits when no timer is left (e.g. after spool.stop()): keep the REPL open.
    // A loaded host may keep a booting interpreter from answering for several seconds.
    await dev.eval("(setInterval(function(){},3600000),0)", 30_000);
  } catch (err) {
    await dev.kill();
    throw err;
  }
  return dev;
}

/** Characters of boot code sent per REPL line when storing it. */
const BOOT_CHUNK = 2048;

/**
 * Boots `bundle` as a board runs it: stored in Storage as `.bootcde` over the REPL of a bare
 * interpreter, which is then power-cycled (SIGKILL) and started again without a file, so that
 * the interpreter loads the code from Storage. Resolves once `ready` matches an output line.
 * @throws Error when the code has characters beyond Latin-1, or the boot fails.
 */
export async function bootFromStorage(o: { binary: string; bundle: string; ready: RegExp; cwd?: string }): Promise<EspruinoProcess> {
  const code = readFileSync(o.bundle, "latin1");
  if (/[^\x00-\xff]/.test(code)) throw new Error("the bundle has characters beyond Latin-1");
  const bare = new EspruinoProcess({ binary: o.binary, cwd: o.cwd });
  try {
    await bare.waitFor(/espruino\.com\/Donate/, 15_000);
    // The Linux build exits when no timer is left.
    await bare.eval("(setInterval(function(){},3600000),0)");
    for (let off = 0; off < code.length; off += BOOT_CHUNK) {
      const piece = JSON.stringify(code.slice(off, off + BOOT_CHUNK));
      const ok = await bare.eval<boolean>(`require("Storage").write(".bootcde",${piece},${off},${code.length})`, 30_000);
      if (!ok) throw new Error(`Storage.write of .bootcde failed at offset ${off}`);
    }
  } finally {
    await bare.kill();
  }
  const dev = new EspruinoProcess({ binary: o.binary, cwd: bare.cwd });
  try {
    await dev.waitFor(o.ready, 30_000);
    await dev.eval("(setInterval(function(){},3600000),0)");
  } catch (err) {
    await dev.kill();
    throw err;
  }
  return dev;
}

/** What the firmware says when a status is asked with too little memory free (src/device/api/spool.ts roomForStatus). */
const STATUS_REFUSED = /a status needs about \d+ .*ask again in a few seconds/;

/**
 * Polls `cond` every `everyMs` until it holds. A status the firmware refuses for want of memory
 * (a flush or a sync running beside it on a small build) counts as not yet.
 * @throws Error after `timeoutMs`, naming `what`; or what `cond` throws otherwise.
 */
export async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const ask = async () => {
    try {
      return await cond();
    } catch (e) {
      if (STATUS_REFUSED.test(String(e))) return false;
      throw e;
    }
  };
  while (!(await ask())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** What the interpreter prints when a REPL line fails: a thrown error, or a memory error. */
const LINE_FAILED = /^(Uncaught |OUT OF MEMORY|Execution Interrupted|New interpreter error)/;

/**
 * Types `line` at the REPL as it is, not inside {@link EspruinoProcess.eval}'s wrapper (a
 * function, a try and the JSON of its result, which cost JsVars on a 1,600-JsVar build while the
 * line runs), then waits until the REPL has run it and what it scheduled at once.
 * @throws Error with the interpreter's lines when it printed an uncaught error or a memory error
 * meanwhile.
 */
export async function replLine(dev: EspruinoProcess, line: string, timeoutMs = 30_000): Promise<void> {
  const from = dev.lines.length;
  dev.send(line);
  // Answered once the line above has run (the REPL runs lines in order).
  await dev.eval("0", timeoutMs);
  const out = dev.lines.slice(from).filter((l) => !l.includes("\u0001EV:"));
  if (out.some((l) => LINE_FAILED.test(l.trim()))) {
    throw new Error(`on the device: ${line.length > 60 ? line.slice(0, 57) + "..." : line}:\n${out.join("\n")}`);
  }
}

/** Longer than the firmware's check for a settled uplink (500 ms), with room for a loaded host. */
const REST_SETTLE_MS = 1500;

/**
 * Boots the firmware from Storage, configures it with `setup` and waits for its first SNTP sync
 * and the uplink's first pass to end.
 * @returns the running interpreter and `process.memory().usage` then (JsVars after GC: at rest);
 *   `noFlush`, the status's warning, when the firmware says it will not start a flush (too little
 *   memory free: board profile `upload.minFreeJsVars`).
 * @throws Error when it does not boot or sync; the interpreter is stopped then.
 */
export async function bootAtRest(o: {
  binary: string;
  board?: string;
  setup: Record<string, unknown>;
}): Promise<{ dev: EspruinoProcess; usage: number; noFlush?: string }> {
  const dev = await bootFirmware(o.binary, undefined, o.board);
  let noFlush: string | undefined;
  try {
    // A plain line: on the 1,600-JsVar build the eval wrapper's JsVars count while setup runs.
    await replLine(dev, `spool.setup(${JSON.stringify(o.setup)})`);
    await until("the first SNTP sync", async () => (await dev.eval<boolean>("spool.status().clock.synced", 30_000)) === true, 20_000);
    // At rest: the first pass after the sync is over and the uplink, with nothing to send, has
    // been dropped (the firmware checks every 500 ms, src/device/api/spool.ts UPLINK_CHECK_MS).
    // Idle with nothing scheduled: after its start the uplink may wait up to 3 s for the first
    // sync's answer (src/device/uplink/uplink.ts syncWaitMs) while it reads "idle" already.
    if (o.setup.blynk) {
      await until(
        "the uplink idle with nothing scheduled",
        async () => {
          const u = await dev.eval<{ state: string; nextAttemptInS: number | null; warning: string | null }>(
            "spool.status().uplink",
            30_000,
          );
          // The firmware's own check (board profile upload.minFreeJsVars): no flush will start.
          if (u.warning && /not enough memory/.test(u.warning)) noFlush = u.warning;
          return noFlush !== undefined || (u.state === "idle" && u.nextAttemptInS === null);
        },
        20_000,
      );
    }
    await sleep(REST_SETTLE_MS);
    return { dev, usage: await dev.eval<number>("process.memory().usage", 30_000), noFlush };
  } catch (err) {
    await dev.kill();
    throw err;
  }
}

export interface FlushMemory {
  /** `process.memory().usage` (JsVars, after GC) with the firmware running and nothing buffered. */
  usageEmpty: number;
  /** The same with `points` readings buffered, before the flush: the rest the peak is taken from. */
  usageFull: number;
  /**
   * Highest `process.memory().usage` sampled inside the flush, at every Flash read and every
   * write to the request: within the uplink's tasks, not between them. Each sample collects
   * garbage first (as the interpreter does itself when it runs out), so it counts what is live.
   */
  usagePeakFlush: number;
  /**
   * Highest `process.memory(false).usage` (no collection) at the same moments, taken just
   * before each collecting sample: live JsVars plus the garbage made since the previous sample.
   */
  usagePeakFlushNoGc: number;
  /** The same sampler's reading at rest just before the flush (after a collection). */
  usageRestSampled: number;
  /** `process.memory().total`. */
  total: number;
  /** Samples taken inside the flush. */
  samples: number;
  flushMs: number;
  /** Points the server stored. */
  delivered: number;
  /**
   * The interpreter's memory messages printed during the run, then `E.getErrorFlags()` after the
   * flush (on the Linux build's growable memory LOW_MEMORY also marks a growth, not a failure).
   */
  errors: string[];
}

/**
 * How long readings wait before they are sent, in a flush measurement: the readings are recorded
 * with Spool running (its timers and the clock's as on a device between flushes), none sent until
 * `spool.flush()` asks; `flushDelayMs`'s largest value.
 */
const FLUSH_HOLD_MS = 3_600_000;

/**
 * The `spool.setup` of a flush measurement: V1 as an Integer datastream (10,000 Doubles, about
 * 7 B each with 1 ms apart stamps, do not fit the linux profile's 64 KB region, about 8,800 do;
 * small integers, about 4 B, do), one batch of up to 10,000 points, readings held until
 * `spool.flush()` ({@link FLUSH_HOLD_MS}).
 */
export function flushSetup(cloud: LocalCloud, points: number): Record<string, unknown> {
  return cloud.config({
    limits: { batchSize: Math.min(points, 10000) },
    datastreams: [{ pin: 1, type: "integer" }],
    flushDelayMs: FLUSH_HOLD_MS,
  });
}

/** REPL lines that record `points` readings on V1, 1,000 a line. */
export function recordLines(points: number): string[] {
  const chunk = 1000;
  const out: string[] = [];
  for (let i = 0; i < points; i += chunk)
    out.push(`(function(){for(var i=${i};i<${Math.min(points, i + chunk)};i++)spool.record(1,i%1000);})()`);
  return out;
}

/**
 * Installed at the REPL before the flush: wraps the hal's `flash.read` (the store's reads: the
 * hal holds `Flash.read` itself, so the wrapper replaces it on the hal's flash object, found by
 * that identity on the spool state, a property of `spool.record`; the sampler fails rather than
 * sample less when it is not there) and the `write` and `end` of every HTTP request (on their
 * class, `httpCRq`, once: a wrapper made per request would count in the peak it measures), so
 * that each samples `process.memory(false).usage` and then `process.memory().usage` (after a
 * collection) and keeps the highest of each. The request wrappers call the native method by
 * taking themselves off the class for the call: the interpreter's own methods are not
 * properties to keep.
 */
const FLUSH_SAMPLER =
  "global.MEM={peak:0,raw:0,n:0,s:function(){var u=process.memory(false).usage;MEM.n++;if(u>MEM.raw)MEM.raw=u;" +
  "u=process.memory().usage;if(u>MEM.peak)MEM.peak=u;}}," +
  "(function(){var r=require('Flash').read,H;" +
  "for(var j in spool.record){var S=spool.record[j];for(var k in S){var o=S[k];if(o&&typeof o=='object'&&o.flash&&o.flash.read===r)H=o.flash;}}" +
  "if(!H)throw new Error('flush sampler: no flash object holding Flash.read on the spool state');" +
  "H.read=function(l,a){MEM.s();return r(l,a);};" +
  "require('http');var P=httpCRq.prototype;" +
  "P.write=function W(d){MEM.s();delete P.write;try{return this.write(d);}finally{P.write=W;}};" +
  "P.end=function N(d){MEM.s();delete P.end;try{return this.end(d);}finally{P.end=N;}};})(),0";

/**
 * Records `points` readings with Spool running and their upload held ({@link flushSetup}), then
 * lets one flush (`spool.flush()`) send them, the firmware (`board`, default linux) booted from
 * Storage with its parts as a board runs it; memory is sampled inside the flush
 * ({@link FLUSH_SAMPLER}), the host only watches the server (a REPL poll would collect garbage
 * on the device).
 * On the Linux build the code booted from Storage is read from the flash file 16 bytes at a
 * time, so the flush is slow there (about 18 points/s on a loaded two-core machine).
 * @throws Error when the device fails or the flush does not complete within `timeoutMs` (15 min).
 */
export async function measureFlushMemory(o: {
  binary: string;
  cloud: LocalCloud;
  points: number;
  board?: string;
  timeoutMs?: number;
}): Promise<FlushMemory> {
  const { cloud, points } = o;
  const { dev, usage: usageEmpty, noFlush } = await bootAtRest({ binary: o.binary, board: o.board, setup: flushSetup(cloud, points) });
  try {
    if (noFlush) throw new Error(`the firmware will not flush: ${noFlush}`);
    await dev.eval(FLUSH_SAMPLER, 30_000);
    const total = await dev.eval<number>("process.memory().total");
    for (const line of recordLines(points)) await dev.eval(line, 120_000);
    const pending = await dev.eval<number>("spool.status().queue.pending");
    if (pending !== points) throw new Error(`expected ${points} readings buffered, the device holds ${pending}`);
    const usageFull = await dev.eval<number>("process.memory().usage");
    const before = cloud.server.history(cloud.token, 1).length;
    const t0 = Date.now();
    // The rest is sampled by the line that starts the flush, before it does: the line itself (in
    // the REPL's history, its frame) then counts in both figures, as it would not if the rest were
    // taken by a line of its own.
    await dev.eval("(MEM.peak=0,MEM.raw=0,MEM.s(),MEM.rest=MEM.peak,MEM.peak=0,MEM.raw=0,MEM.n=0,spool.flush())");
    let delivered = 0;
    const timeoutMs = o.timeoutMs ?? 900_000;
    const deadline = t0 + timeoutMs;
    for (;;) {
      await sleep(100);
      delivered = cloud.server.history(cloud.token, 1).length - before;
      if (delivered >= points) break;
      if (Date.now() > deadline) throw new Error(`the flush delivered ${delivered} of ${points} points in ${timeoutMs / 1000} s`);
    }
    const flushMs = Date.now() - t0;
    // The interpreter's own lines ("OUT OF MEMORY", "New interpreter error: ..."), not our REPL traffic.
    const printed = dev.output().filter((l) => /^(OUT OF MEMORY|New interpreter error)/.test(l.trim()));
    const errors = printed.concat(await dev.eval<string[]>("E.getErrorFlags()", 60_000));
    const m = await dev.eval<{ peak: number; raw: number; n: number; rest: number }>(
      "{peak:MEM.peak,raw:MEM.raw,n:MEM.n,rest:MEM.rest}",
      60_000,
    );
    const usageRestSampled = m.rest;
    return {
      usageEmpty,
      usageFull,
      usagePeakFlush: m.peak,
      usagePeakFlushNoGc: m.raw,
      usageRestSampled,
      total,
      samples: m.n,
      flushMs,
      delivered,
      errors,
    };
  } finally {
    await dev.kill();
    rmSync(dev.cwd, { recursive: true, force: true });
  }
}

/** Medians of the runs that together made the first `calls` calls each way. */
export interface RecordCostAt {
  calls: number;
  /** µs per `spool.record(1, v)` (V1 a double datastream), the firmware booted from Storage: the median run, by the device's clock. */
  recordUs: number;
  /** µs per call of the naive appender, defined from Storage in the same interpreter: the median run, by the device's clock. */
  naiveUs: number;
  /** The same medians in the interpreter's CPU time (/proc schedstat): what a loaded host does not inflate. */
  recordCpuUs: number;
  naiveCpuUs: number;
}

export interface RecordCost {
  /** One entry per checkpoint asked for, in its order. */
  at: RecordCostAt[];
  /** The host's 1-minute load average before the first run and after the last (os.loadavg). */
  load: [number, number];
  /** µs per call of each run, in the order run: by the device's clock, and in CPU time. */
  runs: { record: number[]; naive: number[]; recordCpu: number[]; naiveCpu: number[] };
}

/**
 * What a user writes without Spool: one `[ms, value]` JSON line per reading appended to a
 * StorageFile. Kept in Storage and run from there, as the user's own boot code would be.
 */
export const NAIVE_APPENDER = 'global.naiveAppend=function(f,v){f.write(JSON.stringify([Math.floor(Date.now()),v])+"\\n")};';

/**
 * The upload delay while record is timed: the upload is scheduled by the first call and sent
 * after the last run (then checked), so that no upload runs between the runs and the CPU time
 * taken around a run is the run's own. Each call after the first finds the upload scheduled, as
 * it does while readings come in faster than the delay.
 */
export const UPLOAD_HOLD_MS = 600_000;

/** Middle value (the upper one of an even count). */
function median(xs: number[]): number {
  return xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

/**
 * Times the user-level call `spool.record(1, 20 + (k % 50) / 10)` beside the naive appender, in
 * one interpreter on fresh flash: the linux firmware booted from Storage (`.bootcde`), set up
 * against `cloud` (online, clock synced), then alternating runs of `per` calls each way (record
 * first) until the last checkpoint's calls are made. At each checkpoint (a multiple of `per`)
 * the median of the runs so far counts: both sides then hold the same number of readings, as
 * if the measurement had stopped there (the naive file grows, and its appends with it). Each
 * run is timed by the device's clock and by the interpreter's CPU time; the uploads wait until
 * the last run ({@link UPLOAD_HOLD_MS}), which must deliver every reading.
 * @throws Error when the boot, the setup or the clock sync fails, or a checkpoint is not a multiple of `per`.
 */
export async function measureRecordCost(o: {
  binary: string;
  cloud: LocalCloud;
  checkpoints: number[];
  per?: number;
}): Promise<RecordCost> {
  const per = o.per ?? 125;
  for (const c of o.checkpoints) if (c <= 0 || c % per !== 0) throw new Error(`checkpoint ${c} is not a positive multiple of ${per} calls`);
  const rounds = Math.max(...o.checkpoints) / per;
  const dev = await bootFirmware(o.binary);
  try {
    await dev.eval(`spool.setup(${JSON.stringify(o.cloud.config({ flushDelayMs: UPLOAD_HOLD_MS }))})`);
    await until("the first SNTP sync", async () => (await dev.eval<boolean>("spool.status().clock.synced")) === true, 20_000);
    await dev.eval(`require("Storage").write("naive.js",${JSON.stringify(NAIVE_APPENDER)})`);
    await dev.eval(`eval(require("Storage").read("naive.js"))`);
    await dev.eval(`global.naiveFile=require("Storage").open("naive.log","a")`);
    const timed = async (call: string): Promise<[number, number]> => {
      const cpu0 = dev.cpuUs();
      const us = await dev.eval<number>(
        `(function(){var s=getTime();for(var k=0;k<${per};k++)${call};return (getTime()-s)*1e6/${per};})()`,
        120_000,
      );
      return [us, (dev.cpuUs() - cpu0) / per];
    };
    const runs: RecordCost["runs"] = { record: [], naive: [], recordCpu: [], naiveCpu: [] };
    const load0 = loadavg()[0];
    for (let r = 0; r < rounds; r++) {
      const [rec, recCpu] = await timed("spool.record(1,20+(k%50)/10)");
      const [naive, naiveCpu] = await timed("naiveAppend(naiveFile,20+(k%50)/10)");
      runs.record.push(rec);
      runs.recordCpu.push(recCpu);
      runs.naive.push(naive);
      runs.naiveCpu.push(naiveCpu);
    }
    const load1 = loadavg()[0];
    await dev.eval("spool.flush()");
    const recorded = per * rounds;
    await until(
      `the server to store all ${recorded} readings`,
      () => o.cloud.server.history(o.cloud.token, 1).length >= recorded,
      600_000,
      200,
    );
    const at = o.checkpoints.map((calls) => {
      const n = calls / per;
      return {
        calls,
        recordUs: median(runs.record.slice(0, n)),
        naiveUs: median(runs.naive.slice(0, n)),
        recordCpuUs: median(runs.recordCpu.slice(0, n)),
        naiveCpuUs: median(runs.naiveCpu.slice(0, n)),
      };
    });
    return { at, load: [load0, load1], runs };
  } finally {
    await dev.kill();
    rmSync(dev.cwd, { recursive: true, force: true });
  }
}

/**
 * µs per `store.append` of one Double reading on the interpreter: the soak entry booted from
 * Storage, its `soak.bench` loop (which is in Storage too) timed over `rounds` runs of
 * n/rounds appends each; the median run counts.
 */
export async function measureAppendCost(o: { binary: string; n: number; rounds?: number }): Promise<{ storeUs: number }> {
  const rounds = o.rounds ?? 4;
  const per = Math.max(1, Math.floor(o.n / rounds));
  const dev = await bootFromStorage({ binary: o.binary, bundle: await linuxBundle(STORE_SOAK_ENTRY), ready: /^READY$/ });
  try {
    const xs: number[] = [];
    for (let r = 0; r < rounds; r++) xs.push(await dev.eval<number>(`soak.bench(${per})`, 120_000));
    xs.sort((a, b) => a - b);
    return { storeUs: xs[Math.floor(xs.length / 2)] };
  } finally {
    await dev.kill();
    rmSync(dev.cwd, { recursive: true, force: true });
  }
}

/**
 * Fills the linux region until the ring has turned (every sector written), restarts, and
 * returns the mount time the entry measured (median of `restarts`).
 */
export async function measureMountFull(o: { binary: string; restarts?: number }): Promise<{ mountMs: number; readings: number }> {
  const bundle = await linuxBundle(STORE_SOAK_ENTRY);
  let dev = new EspruinoProcess({ binary: o.binary, file: bundle });
  const cwd = dev.cwd;
  try {
    await dev.waitFor(/^READY$/, 15_000);
    for (let i = 0; i < 40; i++) {
      await dev.eval("soak.bench(500)", 120_000);
      const s = await dev.eval<{ dropped: { overwritten: number } }>("soak.stats()");
      if (s.dropped.overwritten > 0) break;
    }
  } finally {
    await dev.kill();
  }
  const times: number[] = [];
  let readings = 0;
  for (let r = 0; r < (o.restarts ?? 3); r++) {
    dev = new EspruinoProcess({ binary: o.binary, file: bundle, cwd });
    try {
      await dev.waitFor(/^READY$/, 60_000);
      times.push(Number(/^M ([\d.]+)$/.exec(await dev.waitFor(/^M /))![1]));
      readings = (await dev.eval<{ pending: number }>("soak.stats()")).pending;
    } finally {
      await dev.kill();
    }
  }
  rmSync(cwd, { recursive: true, force: true });
  times.sort((a, b) => a - b);
  return { mountMs: times[Math.floor(times.length / 2)], readings };
}

/**
 * The firmware (built for `board`, default linux) booted in the simulation from its Storage,
 * closures counted at every `process.memory()` and the peak sampled inside tasks; `jsVars`
 * replaces the board's JsVar count (the limit the simulation enforces).
 */
export async function bootSim(o: { board?: string; jsVars?: number } = {}): Promise<{ w: ReturnType<typeof simWorld>; sim: SimEspruino }> {
  const board = o.board ?? "linux";
  const { code, parts } = await build({ board, write: false });
  const profile = readBoard(board);
  if (o.jsVars !== undefined) profile.jsVars = { ...profile.jsVars, count: o.jsVars };
  // Today's date, as the Linux build reads the system clock: the server keeps only recent points.
  const w = simWorld({ clock: { startEpochMs: Date.now() } });
  const sim = w.device({ board: profile, countClosures: true, samplePeaks: true });
  // As a board runs it: `.bootcde` in Storage (the firmware forgets its boot code only then).
  installFiles(sim, [...parts, { storage: ".bootcde", code }]);
  sim.boot();
  return { w, sim };
}

/**
 * {@link bootAtRest} in the simulation, with the same waits in virtual time: `spool.setup(setup)`,
 * the first sync, the uplink idle and dropped, then 1.5 s.
 * @returns `process.memory().usage` then.
 */
export async function simAtRest(o: { w: ReturnType<typeof simWorld>; sim: SimEspruino; setup: Record<string, unknown> }): Promise<number> {
  const { w, sim } = o;
  sim.eval(`spool.setup(${JSON.stringify(o.setup)})`);
  const settled = () =>
    sim.eval('(function(s){return s.clock.synced&&s.uplink.state==="idle"&&s.uplink.nextAttemptInS===null})(spool.status())') === true;
  for (let i = 0; i < 60 && !settled(); i++) await w.clock.advanceAsync(500);
  await w.clock.advanceAsync(REST_SETTLE_MS);
  return sim.eval("process.memory().usage") as number;
}

/**
 * {@link measureFlushMemory} in the simulation: the same setup, readings and flush, virtual time
 * for the waits; the peak is the simulation's own sampler inside the flush (at every hal call the
 * code makes: Flash and Storage reads, the request and its writes, the frames on the stack
 * counted; `SimEspruinoOptions.samplePeaks`), against the rest read by `process.memory()` at the
 * REPL just before. The simulation keeps no garbage: the peak with and without a collection are
 * the same figure. `flushMs` is virtual time.
 * @throws Error when the readings are not buffered or the flush does not deliver them in 15 virtual minutes.
 */
export async function measureSimFlushMemory(o: { cloud: LocalCloud; points: number; board?: string }): Promise<FlushMemory> {
  const { cloud, points } = o;
  const { w, sim } = await bootSim({ board: o.board });
  try {
    const usageEmpty = await simAtRest({ w, sim, setup: flushSetup(cloud, points) });
    const total = sim.eval("process.memory().total") as number;
    for (const line of recordLines(points)) sim.eval(line);
    const pending = sim.eval("spool.status().queue.pending");
    if (pending !== points) throw new Error(`expected ${points} readings buffered, the simulation holds ${pending}`);
    const usageFull = sim.eval("process.memory().usage") as number;
    const usageRestSampled = usageFull;
    const before = cloud.server.history(cloud.token, 1).length;
    sim.resetMemoryPeak();
    const t0 = w.clock.now;
    sim.eval("spool.flush()");
    let delivered = 0;
    while (delivered < points) {
      if (w.clock.now - t0 > 900_000 || sim.dead)
        throw new Error(
          `the simulated flush delivered ${delivered} of ${points} points; its output:\n${sim.output().slice(-20).join("\n")}`,
        );
      await w.clock.advanceAsync(100);
      delivered = cloud.server.history(cloud.token, 1).length - before;
    }
    const flushMs = w.clock.now - t0;
    const printed = sim.output().filter((l) => /^(OUT OF MEMORY|New interpreter error)/.test(l.trim()));
    const errors = printed.concat(sim.eval("E.getErrorFlags()") as string[]);
    const { peak, samples } = sim.memoryPeak;
    return {
      usageEmpty,
      usageFull,
      usagePeakFlush: peak,
      usagePeakFlushNoGc: peak,
      usageRestSampled,
      total,
      samples,
      flushMs,
      delivered,
      errors,
    };
  } finally {
    sim.powerCut();
  }
}
