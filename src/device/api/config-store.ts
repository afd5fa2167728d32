/**
 * The configuration in Storage, power-safe.
 *
 * Espruino's `Storage.write` of an existing name erases the old copy before it writes the new
 * one, so rewriting one file loses the configuration to a power cut in between. Instead it
 * alternates between two files, {@link CONFIG_SLOTS}, each `{"seq":N,"crc":C,"config":{...}}`
 * (C = CRC-32 of the config text exactly as stored). A write goes to the slot that does NOT
 * hold the newest valid configuration; only once it is complete is the other slot erased. At
 * boot the valid slot with the higher seq wins; a torn or missing slot is simply not valid.
 *
 * The plain-JSON file {@link IMPORT_FILE} (`spool.json`, what `spool flash --config` uploads and
 * what earlier versions wrote) is adopted at boot: stored into a slot, then erased.
 */
import type { Hal } from "../hal.ts";
import { CONFIG_FILE } from "./config.ts";
import { CONFIG_CACHE, CONFIG_SLOTS, SLOT_BODY, textCrc } from "./config-load.ts";
import { footprint, makeRoom } from "./storage-tidy.ts";

export { CONFIG_SLOTS };
/** A plain-JSON configuration to adopt at boot. */
export const IMPORT_FILE = CONFIG_FILE;

const SEQ = '{"seq":';
const CRC = ',"crc":';
const BODY = SLOT_BODY;

/** Where the configuration in force is stored. */
export interface ConfigSlot {
  slot: number;
  seq: number;
}

/** A slot's configuration text, as stored. */
export interface StoredConfig extends ConfigSlot {
  text: string;
}

/** The head of a slot file holding `text`: the file is this, `text` and "}". */
export function slotHead(hal: Hal, seq: number, text: string): string {
  return SEQ + seq + CRC + textCrc(hal, text) + BODY;
}

/** A slot file's seq and config text, or undefined when it is torn, foreign or corrupt. */
export function decodeSlot(hal: Hal, file: string | undefined): { seq: number; text: string } | undefined {
  if (file === undefined || file.substr(0, SEQ.length) !== SEQ || file.charAt(file.length - 1) !== "}") return undefined;
  const c = file.indexOf(CRC);
  const b = file.indexOf(BODY);
  if (c < 0 || b < c) return undefined;
  const seq = parseInt(file.substring(SEQ.length, c), 10);
  const crc = parseInt(file.substring(c + CRC.length, b), 10);
  const text = file.substring(b + BODY.length, file.length - 1);
  if (!(seq >= 1) || crc !== textCrc(hal, text)) return undefined;
  return { seq: seq, text: text };
}

/** The newest valid stored configuration, or undefined when neither slot holds one. */
export function readNewest(hal: Hal): StoredConfig | undefined {
  let best: StoredConfig | undefined;
  for (let i = 0; i < CONFIG_SLOTS.length; i++) {
    const d = decodeSlot(hal, hal.storage.read(CONFIG_SLOTS[i]));
    if (d && (!best || d.seq > best.seq)) best = { slot: i, seq: d.seq, text: d.text };
  }
  return best;
}

/**
 * Stores `text` as the newest configuration: into the slot other than `current`, read back,
 * then the older slot erased. A power cut at any point leaves the previous configuration or
 * this one in force. Checks for room first (see {@link makeRoom}: the firmware never compacts).
 * @param usable the Storage bytes Spool may fill (storage-tidy.ts `usableBytes`).
 * @param current where the configuration in force is stored (undefined: nowhere).
 * @returns where it is now.
 * @throws Error when Storage has no room or the file did not read back as written.
 */
export function writeConfig(o: { hal: Hal; usable: number; current: ConfigSlot | undefined; text: string }): ConfigSlot {
  const hal = o.hal;
  const cur = o.current;
  const slot = cur ? 1 - cur.slot : 0;
  const seq = cur ? cur.seq + 1 : 1;
  const head = slotHead(hal, seq, o.text);
  const size = head.length + o.text.length + 1;
  makeRoom(hal.storage, o.usable, footprint(size));
  // The boot's cached configuration (config-load.ts) goes first: a cut after the slot is written
  // must not leave a cache that still describes the slots before it.
  hal.storage.erase(CONFIG_CACHE);
  const name = CONFIG_SLOTS[slot];
  // In three pieces (the head, the text, "}"): no string of the whole file is made. A cut between
  // them leaves a file that does not end with "}" (Storage keeps the rest 0xFF), which no boot
  // takes (decodeSlot). The text is JSON.stringify's: ASCII, so its length is its bytes.
  hal.storage.write(name, head, 0, size);
  hal.storage.write(name, o.text, head.length);
  hal.storage.write(name, "}", size - 1);
  // Checked as boot will read it (the CRC covers the bytes Storage keeps).
  const back = decodeSlot(hal, hal.storage.read(name));
  if (!back || back.seq !== seq) throw new Error(name + " did not read back as written");
  // Only now is the older copy redundant. Erasing a missing file is a no-op.
  hal.storage.erase(CONFIG_SLOTS[1 - slot]);
  return { slot: slot, seq: seq };
}
