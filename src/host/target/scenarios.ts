/**
 * Scenarios on the real interpreter shared by the target suite (test/target/) and the bench
 * (bench/target.ts): the local Blynk-compatible server and SNTP responder the linux firmware
 * talks to, and the measurements (append cost, mount time, memory during a large flush).
 */
import { rmSync } from "node:fs";
import { startServer, type BlynkServer, type TlsOptions } from "../server/index.ts";
import type { DeviceConfig } from "../server/options.ts";
import { EspruinoProcess } from "./espruino-process.ts";
import { STORE_SOAK_ENTRY, firmwareFiles, linuxBundle, sleep } from "./bundles.ts";
import { bootStorage, installStorage } from "./storage-boot.ts";
import { startSntpServer, type SntpServer } from "./sntp-server.ts";

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
export async function startLocalCloud(options: { tls?: TlsOptions; log?: (line: string) => void; device?: DeviceConfig } = {}): Promise<LocalCloud> {
  const devices = options.device ? [options.device] : undefined;
  const server = await startServer({ port: 0, db: ":memory:", quiet: !options.log, log: options.log, limits: { dailyQuota: QUOTA }, tls: options.tls, devices });
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

/** Polls `cond` every `everyMs` until it holds. @throws Error after `timeoutMs`, naming `what`. */
export async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * Boots the firmware from Storage, configures it with `setup` and waits for its first SNTP sync.
 * @returns the running interpreter and `process.memory().usage` then (JsVars after GC: at rest).
 * @throws Error when it does not boot or sync; the interpreter is stopped then.
 */
export async function bootAtRest(o: { binary: string; board?: string; setup: Record<string, unknown> }): Promise<{ dev: EspruinoProcess; usage: number }> {
  const dev = await bootFirmware(o.binary, undefined, o.board);
  try {
    await dev.eval(`spool.setup(${JSON.stringify(o.setup)})`);
    await until("the first SNTP sync", async () => (await dev.eval<boolean>("spool.status().clock.synced")) === true, 20_000);
    return { dev, usage: await dev.eval<number>("process.memory().usage") };
  } catch (err) {
    await dev.kill();
    throw err;
  }
}

export interface FlushMemory {
  /** `process.memory().usage` (JsVars, after GC) with the firmware running and nothing buffered. */
  usageEmpty: number;
  /** The same with `points` readings buffered, before the flush. */
  usageFull: number;
  /** Highest usage seen while polling during the flush. */
  usagePeakFlush: number;
  /** `process.memory().total`. */
  total: number;
  /** Polls made during the flush. */
  polls: number;
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
 * Records `points` readings while the uplink is stopped (offline), then lets one flush send
 * them, polling `process.memory().usage` over the REPL as fast as it answers.
 * @throws Error when the device fails or the flush does not complete within four minutes.
 */
export async function measureFlushMemory(o: { binary: string; cloud: LocalCloud; points: number; board?: string }): Promise<FlushMemory> {
  const { cloud, points } = o;
  // V1 as an Integer datastream: 10,000 Doubles (about 7 B each with 1 ms apart stamps) do not
  // fit the linux profile's 64 KB region (about 8,800 do), small integers (about 4 B) do.
  const setup = cloud.config({ limits: { batchSize: Math.min(points, 10000) }, datastreams: [{ pin: 1, type: "integer" }] });
  const { dev, usage: usageEmpty } = await bootAtRest({ binary: o.binary, board: o.board, setup });
  try {
    const total = await dev.eval<number>("process.memory().total");
    await dev.eval("spool.stop()");
    const chunk = 1000;
    for (let i = 0; i < points; i += chunk) {
      const n = Math.min(chunk, points - i);
      await dev.eval(`(function(){for(var i=${i};i<${i + n};i++)spool.record(1,i%1000);})()`, 120_000);
    }
    const pending = await dev.eval<number>("spool.status().queue.pending");
    if (pending !== points) throw new Error(`expected ${points} readings buffered, the device holds ${pending}`);
    const usageFull = await dev.eval<number>("process.memory().usage");
    const before = cloud.server.history(cloud.token, 1).length;
    const t0 = Date.now();
    await dev.eval("spool.start(),spool.flush()");
    let peak = 0;
    let polls = 0;
    let delivered = 0;
    const deadline = t0 + 240_000;
    for (;;) {
      // Each poll runs a garbage collection on the device: leave it some time to flush.
      await sleep(50);
      const u = await dev.eval<number>("process.memory().usage", 60_000);
      polls++;
      if (u > peak) peak = u;
      delivered = cloud.server.history(cloud.token, 1).length - before;
      if (delivered >= points) break;
      if (Date.now() > deadline) throw new Error(`the flush delivered ${delivered} of ${points} points in 240 s`);
    }
    const flushMs = Date.now() - t0;
    // The interpreter's own lines ("OUT OF MEMORY", "New interpreter error: ..."), not our REPL traffic.
    const printed = dev.output().filter((l) => /^(OUT OF MEMORY|New interpreter error)/.test(l.trim()));
    const errors = printed.concat(await dev.eval<string[]>("E.getErrorFlags()"));
    return { usageEmpty, usageFull, usagePeakFlush: peak, total, polls, flushMs, delivered, errors };
  } finally {
    await dev.kill();
    rmSync(dev.cwd, { recursive: true, force: true });
  }
}

export interface AppendCost {
  /** µs per `store.append` of one Double reading, Spool's store on the raw region. */
  storeUs: number;
  /** µs per naive append: one JSON line written to a Storage file opened with mode "a". */
  naiveUs: number;
}

/**
 * Times `n` appends each way on the interpreter (median of `rounds` runs of n/rounds each;
 * separate flash files, so neither appender sees the other's data).
 */
export async function measureAppendCost(o: { binary: string; n: number; rounds?: number }): Promise<AppendCost> {
  const rounds = o.rounds ?? 4;
  const per = Math.max(1, Math.floor(o.n / rounds));
  const bundle = await linuxBundle(STORE_SOAK_ENTRY);
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const run = async (fn: string): Promise<number> => {
    const dev = new EspruinoProcess({ binary: o.binary, file: bundle });
    try {
      await dev.waitFor(/^READY$/, 15_000);
      const xs: number[] = [];
      for (let r = 0; r < rounds; r++) xs.push(await dev.eval<number>(`soak.${fn}(${per})`, 120_000));
      return median(xs);
    } finally {
      await dev.kill();
      rmSync(dev.cwd, { recursive: true, force: true });
    }
  };
  return { storeUs: await run("bench"), naiveUs: await run("naive") };
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
