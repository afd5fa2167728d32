/**
 * Power cuts at an exact flash operation of the real interpreter. The Linux build's flash is
 * the file espruino.flash, and every flash write or page erase is one write(2) to it (fopen,
 * fseek, fwrite, fclose: targets/linux/jshardware.c). strace counts those writes and kills the
 * interpreter (SIGKILL) as it enters the n-th, before it lands: the cut a wall-clock delay
 * cannot aim. A write(2) to a file lands whole or not at all, so these are the "nothing of
 * the operation written" cuts (torn writes are the simulation's part).
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { EspruinoProcess } from "./espruino-process.ts";

/** strace, when installed. */
export const STRACE = ["/usr/bin/strace", "/bin/strace"].find((p) => existsSync(p));

function straceArgs(cwd: string, extra: string[], binary: string): string[] {
  return ["-f", "-qq", "-e", "trace=write", "-P", join(cwd, "espruino.flash"), ...extra, binary];
}

/**
 * Starts the interpreter under strace so that its `n`-th write to espruino.flash (counted from
 * its start) is never made: it is killed on entering it.
 */
export function interpreterCutAt(o: { binary: string; cwd: string; file: string; n: number }): EspruinoProcess {
  return new EspruinoProcess({
    binary: STRACE!,
    cwd: o.cwd,
    file: o.file,
    args: straceArgs(o.cwd, ["-e", `inject=write:signal=KILL:when=${o.n}`, "-o", "/dev/null"], o.binary),
  });
}

/** Starts the interpreter under strace, logging its writes to espruino.flash into `log`. */
export function interpreterCountingWrites(o: { binary: string; cwd: string; file: string; log: string }): EspruinoProcess {
  return new EspruinoProcess({ binary: STRACE!, cwd: o.cwd, file: o.file, args: straceArgs(o.cwd, ["-o", o.log], o.binary) });
}

/** Writes to espruino.flash in a log of {@link interpreterCountingWrites}. */
export function flashWrites(log: string): number {
  return readFileSync(log, "utf8")
    .split("\n")
    .filter((l) => /\bwrite\(/.test(l)).length;
}

/**
 * Kills a traced run: the interpreter (strace's child) first, by its pid, then strace. (A
 * tracer killed first would leave the interpreter running, detached.)
 */
export async function killTraced(dev: EspruinoProcess): Promise<void> {
  const pid = dev.pid;
  if (pid !== undefined) {
    let kids: number[] = [];
    try {
      for (const task of readdirSync(`/proc/${pid}/task`)) {
        kids = kids.concat(
          readFileSync(`/proc/${pid}/task/${task}/children`, "utf8")
            .split(" ")
            .filter((x) => x.trim() !== "")
            .map(Number),
        );
      }
    } catch {
      // strace has exited
    }
    for (const k of kids) {
      try {
        process.kill(k, "SIGKILL");
      } catch {
        // gone already
      }
    }
  }
  await dev.kill();
}
