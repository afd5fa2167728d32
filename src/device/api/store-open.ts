/** Opens the reading store for a board and keeps its datastream table and policy in step with the configuration. */
import type { Hal } from "../hal.ts";
import type { DeviceBoard } from "../board.ts";
import type { Parts } from "../parts.ts";
import { Store } from "../store/store.ts";
import type { DatastreamSettings as StoreDatastream } from "../codec/value.ts";
import type { SpoolConfig } from "./config.ts";
import { guardStorageWrites, usableBytes } from "./storage-tidy.ts";

/** The store's per-pin table from the configured datastreams. */
export function datastreamTable(c: SpoolConfig): { [pin: string]: StoreDatastream } {
  const t: { [pin: string]: StoreDatastream } = {};
  for (let i = 0; i < c.datastreams.length; i++) {
    const d = c.datastreams[i];
    const e: StoreDatastream = { type: d.type };
    if (d.precision) e.precision = d.precision;
    t["" + d.pin] = e;
  }
  return t;
}

/** Storage file that keeps Storage non-empty where the raw region shares its bank. */
export const KEEP_FILE = "spool.keep";

/**
 * Where the raw region lies inside Storage's bank (linux), Espruino checks at start-up that an
 * empty Storage is all 0xFF and otherwise erases the whole bank, ring included (seen on 2v29).
 * One small file, written before the region is first written, prevents that.
 */
export function keepStorageNonEmpty(hal: Hal, board: DeviceBoard): void {
  const f = board.flash;
  const s = board.storage;
  if (f.address < s.address || f.address >= s.address + s.size) return;
  if (hal.storage.list().length !== 0) return;
  try {
    hal.storage.write(KEEP_FILE, "1");
  } catch (e) {
    // A Storage left unreadable (a cut during compaction) refuses the write: the device must
    // still boot and record; the interpreter's start-up check decides what happens to the bank.
    hal.log("spool: Storage is damaged, " + KEEP_FILE + " not written: " + e);
  }
}

/**
 * Creates and mounts the store over the board's raw flash region. From here on every Storage
 * write is kept within the board's usable bytes (see {@link guardStorageWrites}).
 * @throws Error when the region does not suit the store.
 */
export function openStore(o: { hal: Hal; board: DeviceBoard; config: SpoolConfig; parts: Parts }): Store {
  const parts = o.parts;
  // No datastream table here: the constructor would load the mount part for it, which
  // the part's mountStore does with one load for everything the boot needs of it.
  const store = new Store({
    hal: o.hal,
    region: o.board.flash,
    policy: o.config.buffer.policy,
    code: parts,
  });
  parts.load("mount").mountStore({ hal: o.hal, board: o.board, config: o.config, store: store });
  guardStorageWrites(o.hal, usableBytes(o.board));
  return store;
}
