/**
 * Storage hygiene: Storage never rewrites in place, so every replaced or erased file stays as
 * trash until a compaction. Where the raw region shares Storage's bank (linux), Storage must
 * also stay below the board's `storage.usableBytes`: Espruino writes a new file after the last
 * one, and past that limit it would write into the raw region.
 */
import type { Hal } from "../hal.ts";
import type { DeviceBoard } from "../board.ts";

/** Storage is compacted once files plus trash pass this fraction of the usable bytes. */
export const COMPACT_AT = 0.5;
/** Espruino's file header (size word and 28-byte name); data is padded to 4 bytes. */
export const FILE_HEADER_BYTES = 32;

/** Bytes Storage may fill with files and trash on this board. */
export function usableBytes(board: DeviceBoard): number {
  return board.storage.usableBytes || board.storage.size;
}

/** Bytes a file of `dataLength` bytes takes in Storage. */
export function footprint(dataLength: number): number {
  return FILE_HEADER_BYTES + ((dataLength + 3) & ~3);
}

/**
 * Compacts Storage when it holds trash and its files plus trash, with `needBytes` about to be
 * written, pass {@link COMPACT_AT} of the usable bytes. Called at boot and from time to time,
 * when nothing is half-written: a compaction is the one Storage operation during which a power
 * cut can lose files.
 * @returns whether it compacted.
 */
export function tidyStorage(hal: Hal, board: DeviceBoard, needBytes: number): boolean {
  const s = hal.storage.getStats();
  if (s.trashBytes > 0 && s.fileBytes + s.trashBytes + needBytes > usableBytes(board) * COMPACT_AT) {
    hal.storage.compact();
    return true;
  }
  return false;
}

/**
 * Makes sure `needBytes` more (see {@link footprint}) keep files plus trash within the usable
 * bytes, compacting only when that is the only way.
 * @throws Error saying how full Storage is when it does not fit even after compacting.
 */
export function makeRoom(hal: Hal, board: DeviceBoard, needBytes: number): void {
  const limit = usableBytes(board);
  let s = hal.storage.getStats();
  if (s.fileBytes + s.trashBytes + needBytes <= limit) return;
  if (s.trashBytes > 0) {
    hal.storage.compact();
    s = hal.storage.getStats();
    if (s.fileBytes + s.trashBytes + needBytes <= limit) return;
  }
  throw new Error("Storage is full: files take " + s.fileBytes + " of " + limit + " usable bytes, " + needBytes + " more needed");
}
