/** Runs probes on the simulation: a fresh SimEspruino (Linux board, empty flash) per probe. */
import { readBoard, simWorld } from "../sim/testing.ts";
import { END_MARK, normalizeOutput, probeSource, type PeerPorts, type Probe } from "./probe.ts";

/** Virtual ms an async probe may take. */
const ASYNC_VIRTUAL_MS = 60_000;
/** Virtual ms between two looks at real sockets while an async probe runs. */
const STEP_MS = 100;
/** Real ms the local peer may take to answer on a starved machine. */
const SETTLE_MAX_MS = 60_000;

const BOARD = readBoard("linux");

/**
 * A console line as the interpreter's stdout carries it, one char per byte: the simulation's
 * strings are taken as Unicode text and sent as UTF-8, as the Unicode build prints its UTF-8
 * strings (a byte string with chars 0x80-0xFF prints raw there: see the known gaps).
 */
export function consoleBytes(line: string): string {
  return /^[\0-\x7f]*$/.test(line) ? line : Buffer.from(line, "utf8").toString("latin1");
}

/**
 * The probe's console output on the simulation, normalized as the interpreter's is.
 * @throws when an async probe does not call done() within a minute of virtual time.
 */
export async function runProbeSim(probe: Probe, ports: PeerPorts): Promise<string[]> {
  const world = simWorld();
  const sim = world.device({ board: BOARD });
  try {
    sim.boot(probeSource(probe, ports));
    if (probe.async) {
      const deadline = world.clock.now + ASYNC_VIRTUAL_MS;
      while (!sim.output().includes(END_MARK)) {
        if (world.clock.now >= deadline)
          throw new Error(
            `probe ${probe.name} did not call done() within ${ASYNC_VIRTUAL_MS} virtual ms; output:\n${sim.output().join("\n")}`,
          );
        await world.clock.advanceAsync(STEP_MS, { maxMs: SETTLE_MAX_MS });
      }
    }
    const out = sim.output();
    const end = out.indexOf(END_MARK);
    return normalizeOutput((end >= 0 ? out.slice(0, end) : out).map(consoleBytes));
  } finally {
    sim.close();
  }
}
