/**
 * Instructions per call on the real interpreter, counted by valgrind's callgrind: a figure this
 * host's load does not move, where its clock figures move by a third from run to run
 * (docs/reading-path.md). Used by the bench when valgrind is installed.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NAIVE_APPENDER, UPLOAD_HOLD_MS, bootFirmware, until, type LocalCloud } from "./scenarios.ts";

/** The Espruino function the count is taken inside: the firmware never calls `reduce`. */
const COLLECT_IN = "jswrap_array_reduce";
/** Calls before the counted ones, so that the first call's allocations are not counted. */
const WARMUP_CALLS = 20;

/** Why the count cannot run here, or undefined when valgrind and callgrind_control are installed. */
export function callgrindSkipReason(): string | undefined {
  for (const tool of ["valgrind", "callgrind_control"]) {
    const r = spawnSync(tool, ["--version"], { encoding: "utf8" });
    if (r.error || r.status !== 0) return `${tool} is not installed`;
  }
  return undefined;
}

/** Instructions per call, in thousands. */
export interface InstructionCount {
  /** `spool.record(1, 20 + (k % 50) / 10)`, the linux firmware set up and synced. */
  recordK: number;
  /** The naive appender's `f.write(JSON.stringify([Math.floor(Date.now()), v]) + "\n")`. */
  naiveK: number;
}

/**
 * Counts the user-space instructions of `calls` calls each way in one interpreter run under
 * callgrind, collecting only inside an `Array.prototype.reduce` whose callback makes the call:
 * the counters are dumped after WARMUP_CALLS calls and after WARMUP_CALLS + `calls`, and the
 * difference divided. The kernel's part (every flash write opens and closes the flash file;
 * the naive appender also reads Storage's file headers that way) is not counted.
 * @throws Error when valgrind is missing, or the boot, the setup or the clock sync fails.
 */
export async function countRecordInstructions(o: { binary: string; cloud: LocalCloud; calls?: number }): Promise<InstructionCount> {
  const skip = callgrindSkipReason();
  if (skip) throw new Error(`cannot count instructions: ${skip}`);
  const calls = o.calls ?? 500;
  const dir = mkdtempSync(join(tmpdir(), "spool-callgrind-"));
  const out = join(dir, "callgrind.out");
  const wrapper = join(dir, "espruino-under-callgrind");
  writeFileSync(
    wrapper,
    `#!/bin/sh\nexec valgrind --tool=callgrind --toggle-collect=${COLLECT_IN} --callgrind-out-file=${out} ${JSON.stringify(o.binary)} "$@"\n`,
  );
  chmodSync(wrapper, 0o755);
  const dev = await bootFirmware(wrapper);
  let dumps = 0;
  const dump = async (): Promise<number> => {
    const pid = dev.pid;
    if (pid === undefined) throw new Error("the interpreter has no pid");
    const r = spawnSync("callgrind_control", ["-d", String(pid)], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`callgrind_control -d failed: ${r.stderr || r.stdout}`);
    const file = `${out}.${++dumps}`;
    await until(`callgrind's dump ${file}`, () => existsSync(file) && /^totals: \d+/m.test(readFileSync(file, "utf8")), 60_000, 200);
    return Number(/^totals: (\d+)/m.exec(readFileSync(file, "utf8"))![1]);
  };
  const loop = (n: number, call: string): string =>
    `(function(){var a=[];for(var k=0;k<${n};k++)a.push(k);a.reduce(function(s,k){${call};return s;},0);return 0;})()`;
  try {
    await dev.eval(`spool.setup(${JSON.stringify(o.cloud.config({ flushDelayMs: UPLOAD_HOLD_MS }))})`, 120_000);
    await until("the first SNTP sync", async () => (await dev.eval<boolean>("spool.status().clock.synced", 120_000)) === true, 300_000);
    await dev.eval(`require("Storage").write("naive.js",${JSON.stringify(NAIVE_APPENDER)})`, 120_000);
    await dev.eval(`eval(require("Storage").read("naive.js"))`, 120_000);
    await dev.eval(`global.naiveFile=require("Storage").open("naive.log","a")`, 120_000);
    const per = async (call: string): Promise<number> => {
      await dump();
      await dev.eval(loop(WARMUP_CALLS, call), 600_000);
      const warm = await dump();
      await dev.eval(loop(WARMUP_CALLS + calls, call), 600_000);
      return (await dump()) - warm;
    };
    const record = await per("spool.record(1,20+(k%50)/10)");
    const naive = await per("naiveAppend(naiveFile,20+(k%50)/10)");
    return { recordK: record / calls / 1000, naiveK: naive / calls / 1000 };
  } finally {
    await dev.kill();
    rmSync(dev.cwd, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}
