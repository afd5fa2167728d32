/** Runs probes on the real interpreter: one fresh process (and flash file) per probe. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EspruinoProcess } from "../target/espruino-process.ts";
import { END_MARK, normalizeOutput, probeSource, type PeerPorts, type Probe } from "./probe.ts";

/** Real ms an async probe may take before it counts as hung. */
const ASYNC_TIMEOUT_MS = 15_000;
const SYNC_TIMEOUT_MS = 10_000;

export interface RealRunOptions {
  binary: string;
  ports: PeerPorts;
}

/**
 * The probe's console output on the interpreter at `binary`, normalized (probe.ts).
 * @throws when the probe does not finish in time (the process is killed either way).
 */
export async function runProbeReal(probe: Probe, options: RealRunOptions): Promise<string[]> {
  const cwd = mkdtempSync(join(tmpdir(), "spool-conf-"));
  const file = join(cwd, "probe.js");
  // The Linux build reads the file as bytes: UTF-8 source stays UTF-8, as a terminal sends it.
  writeFileSync(file, probeSource(probe, options.ports), "utf8");
  const proc = new EspruinoProcess({ binary: options.binary, cwd, file });
  try {
    let out: string[];
    if (probe.async) {
      await proc.waitFor(new RegExp(`^${END_MARK}$`), ASYNC_TIMEOUT_MS);
      out = proc.output();
      out = out.slice(0, out.indexOf(END_MARK));
    } else {
      // Given a file, the Linux build runs it, then its timers, and exits.
      const timer = setTimeout(() => void proc.kill(), SYNC_TIMEOUT_MS);
      await proc.closed;
      clearTimeout(timer);
      out = proc.output();
    }
    return normalizeOutput(out);
  } finally {
    await proc.kill();
    rmSync(cwd, { recursive: true, force: true });
  }
}
