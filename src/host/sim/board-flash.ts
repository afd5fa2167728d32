/**
 * The simulated flash chips of a board: its raw region (the ring buffer's) and its Storage
 * area, each a NOR flash, reached by address through one bus.
 */
import type { BoardProfile } from "../boards.ts";
import { FlashBus } from "./flash-bus.ts";
import { NorFlash } from "./nor-flash.ts";

export interface BoardFlashOptions {
  board: BoardProfile;
  /** File holding the raw flash region (created erased). */
  flashFile?: string;
  /** File holding the Storage area (raw NOR bytes, Espruino's layout). */
  storageFile?: string;
}

export interface BoardFlash {
  /** The raw flash region of the board profile (NOR): arm power cuts here. */
  flash: NorFlash;
  /** The flash under Storage (the same object as `flash` when the regions overlap). */
  storageFlash: NorFlash;
  bus: FlashBus;
}

function overlaps(a0: number, a1: number, b0: number, b1: number): boolean {
  return a0 < b1 && b0 < a1;
}

/** Opens (or creates) the board's flash. */
export function boardFlash(options: BoardFlashOptions): BoardFlash {
  const f = options.board.flash;
  const st = options.board.storage;
  if (overlaps(f.address, f.address + f.length, st.address, st.address + st.size)) {
    // Espruino's Linux build: the free flash IS the Storage area. One region over both.
    const base = Math.min(f.address, st.address);
    const end = Math.max(f.address + f.length, st.address + st.size);
    const flash = new NorFlash({
      base,
      size: end - base,
      pageSize: f.pageSize,
      alignment: f.writeAlignment,
      file: options.flashFile ?? options.storageFile,
    });
    return { flash, storageFlash: flash, bus: new FlashBus([flash]) };
  }
  const flash = new NorFlash({
    base: f.address,
    size: f.length,
    pageSize: f.pageSize,
    alignment: f.writeAlignment,
    file: options.flashFile,
  });
  // One supply: a cut powers both off, and a cut armed on the rail counts both's operations.
  const storageFlash = new NorFlash({
    base: st.address,
    size: st.size,
    pageSize: f.pageSize,
    alignment: f.writeAlignment,
    file: options.storageFile,
    rail: flash.rail,
  });
  return { flash, storageFlash, bus: new FlashBus([flash, storageFlash]) };
}
