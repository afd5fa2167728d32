/** Helpers to set up a simulated world in tests and demos. */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BoardProfile } from "../boards.ts";
import { SimClock, type SimClockOptions } from "./clock.ts";
import { SimNetwork, type SimNetworkOptions } from "./network.ts";
import { SimEspruino, type SimEspruinoOptions } from "./espruino.ts";
import { binaryBytes, bytesBinary } from "./storage.ts";

const BOARDS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "boards");

/** A board profile from `boards/<id>.json`, parsed without validation. @throws when missing. */
export function readBoard(id: string): BoardProfile {
  return JSON.parse(readFileSync(join(BOARDS_DIR, `${id}.json`), "utf8")) as BoardProfile;
}

/** A clock, a network on it, and a device factory sharing both. */
export function simWorld(options: { clock?: SimClockOptions; network?: Omit<SimNetworkOptions, "clock"> } = {}) {
  const clock = new SimClock(options.clock);
  const network = new SimNetwork({ clock, ...options.network });
  return {
    clock,
    network,
    device(opts: Omit<SimEspruinoOptions, "clock" | "network">): SimEspruino {
      return new SimEspruino({ clock, network, ...opts });
    },
  };
}

/**
 * Puts files into the device's Storage unless it already holds them as they are: what
 * `npm run flash` leaves on a board besides the boot code (a build's `parts`).
 */
export function installFiles(sim: SimEspruino, files: ReadonlyArray<{ storage: string; code: string }>): void {
  for (const f of files) {
    const have = sim.storage.read(f.storage);
    if (!have || bytesBinary(have) !== f.code) sim.storage.write(f.storage, binaryBytes(f.code));
  }
}
