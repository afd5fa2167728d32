/**
 * Storage hygiene. Storage never rewrites in place: every replaced or erased file stays as
 * trash until a compaction. The firmware NEVER compacts (see docs/flash-format.md, "Storage and
 * compaction"): Espruino's compaction holds the files it moves only in RAM between erasing a
 * page and rewriting it, so a power cut there loses them or leaves Storage unreadable (the
 * interpreter then erases the whole bank at the next start: on linux the ring too); and on
 * ESP32/ESP8266 it moves the boot code under the running firmware's feet (code runs from
 * memory-mapped flash, which compaction does not re-point). `spool flash` compacts instead,
 * before it uploads, with the firmware stopped.
 *
 * So every Storage write of the firmware is kept within the board's `storage.usableBytes`
 * (files plus trash): past it Espruino would compact by itself, and on linux, where the raw
 * region shares Storage's bank, write into the region.
 */
import type { Hal, StoragePort } from "../hal.ts";
import type { DeviceBoard } from "../board.ts";

/** Past this fraction of the usable bytes (files plus trash) the firmware asks for a compaction. */
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

/** What the log says of a Storage that needs compacting. */
function trashText(trashBytes: number): string {
  return "spool: Storage has " + trashBytes + " B of trash; spool flash compacts it";
}

/**
 * Whether Storage with stats `s` and `needBytes` more passes {@link COMPACT_AT} of `limit`
 * while it holds trash.
 */
function pastCompactAt(s: { fileBytes: number; trashBytes: number }, needBytes: number, limit: number): boolean {
  return s.trashBytes > 0 && s.fileBytes + s.trashBytes + needBytes > limit * COMPACT_AT;
}

/**
 * Reports (in the log) a Storage whose files plus trash, with `needBytes` more, pass
 * {@link COMPACT_AT} of the usable bytes while it holds trash. Never compacts: `spool flash`
 * does, with the firmware stopped.
 * @returns whether Storage would need a compaction.
 */
export function tidyStorage(hal: Hal, board: DeviceBoard, needBytes: number): boolean {
  const s = hal.storage.getStats();
  if (!pastCompactAt(s, needBytes, usableBytes(board))) return false;
  hal.log(trashText(s.trashBytes));
  return true;
}

/**
 * Makes sure `needBytes` more (see {@link footprint}) keep files plus trash within `limit`, the
 * board's {@link usableBytes}. Never compacts.
 * @returns Storage's stats before the write.
 * @throws Error saying how full Storage is when they do not fit.
 */
export function makeRoom(storage: StoragePort, limit: number, needBytes: number): { fileBytes: number; trashBytes: number } {
  const s = storage.getStats();
  if (s.fileBytes + s.trashBytes + needBytes <= limit) return s;
  throw new Error(
    "Storage is full: files take " + s.fileBytes + " of " + limit + " usable bytes, " + needBytes + " more needed (spool flash compacts)",
  );
}

/** Storage with the guard of {@link guardStorageWrites}: the module's own write and the limit. */
interface GuardedStorage extends StoragePort {
  _write: StoragePort["write"];
  _limit: number;
  _log: Hal["log"];
}

/**
 * `hal.storage.write` once guarded: {@link makeRoom} first (a write at an offset fills an
 * existing file: it takes no new space), then, for a new file, what {@link tidyStorage} says.
 * Trash grows only when a file is replaced or erased, and each of the firmware's writes is one
 * of a replacement (the configuration, the quota and region files), so this is where Storage
 * comes to need a compaction: a check here instead of a timer (about 10 JsVars at rest).
 * At module level, reading the module's own write, the limit and the log from the Storage object
 * it is called on: a closure would keep its scope for good.
 */
function guardedWrite(this: GuardedStorage, name: string, data: string, offset?: number, size?: number): boolean {
  const need = offset ? 0 : footprint(size || data.length);
  const s = makeRoom(this, this._limit, need);
  const ok = this._write(name, data, offset, size);
  if (need && pastCompactAt(s, need, this._limit)) this._log(trashText(s.trashBytes));
  return ok;
}

/**
 * Makes every later `hal.storage.write` check {@link makeRoom} first (the quota and region
 * files, the configuration): a write that does not fit throws, as a full Storage does, instead
 * of letting Espruino compact or, on linux, write into the raw region; and a new file that leaves
 * Storage past {@link COMPACT_AT} is reported in the log. `limit`: the board's
 * {@link usableBytes} (the number, not the profile: it is kept for good).
 */
export function guardStorageWrites(hal: Hal, limit: number): void {
  const st = hal.storage as GuardedStorage;
  // Guarded already (a boot that opened the store again): the module's own write is kept.
  if (st.write !== guardedWrite) st._write = st.write;
  st._limit = limit;
  st._log = hal.log;
  st.write = guardedWrite;
}
