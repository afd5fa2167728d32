/**
 * What `spool flash` keeps across its own Storage compactions (pure: no I/O but the backup file).
 *
 * A power cut while Storage compacts loses the files the compaction held in RAM, and often
 * leaves a bank the next start calls corrupt and erases whole (docs/flash-format.md, "Storage
 * files and compaction"): Spool's configuration, its quota and region files, and on linux, where
 * the ring lies in Storage's bank, every reading. The host is connected at that moment, so
 * before each compaction it reads those files (and the ring pages where they share the bank)
 * off the board into a local backup file; after it, it reads them again and writes back
 * whatever is missing or different. No firmware runs in between (the CLI sends `reset()` before
 * each script), so any difference is a loss. The backup file stays until the flash completes:
 * a run cut by a power loss leaves it, and the next `spool flash` of the same board writes back
 * what the board then lacks.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { CONFIG_SLOTS, IMPORT_FILE } from "../../device/api/config-store.ts";
import { KEEP_FILE } from "../../device/api/store-open.ts";
import { QUOTA_FILES } from "../../device/uplink/quota.ts";
import { REGION_FILE } from "../../device/uplink/uplink.ts";
import type { BoardProfile } from "../../device/board.ts";

/** Spool's own Storage files, kept across compactions (not the code: the upload rewrites it). */
export const KEPT_FILES = [...CONFIG_SLOTS, IMPORT_FILE, ...QUOTA_FILES, REGION_FILE, KEEP_FILE];
/** Default directory of the backup files. */
export const BACKUP_DIR = join(homedir(), ".spool", "backups");

const FILE_MARK = "SPOOL-KEEP";
const PAGE_MARK = "SPOOL-PAGE";
const END_MARK = "SPOOL-KEEP-END";
const REPAIR_MARK = "SPOOL-REPAIRED";

/** The ring's pages where they lie in Storage's bank (linux), else undefined. */
export interface RingArea {
  address: number;
  length: number;
  pageSize: number;
}

/** What a snapshot reads: the ring (where it shares Storage's bank) and where Storage's free space must be blank. */
export interface KeepArea {
  ring: RingArea | undefined;
  /** Storage's first address, and where its free space ends (the ring, or the bank's end). */
  storageStart: number;
  storageEnd: number;
  pageSize: number;
}

/**
 * Files and ring pages read off a board: binary strings; ring pages by address (CRC-32 only,
 * when read as `crc`). `dirty`: the first address after Storage's last file that is not blank
 * (-1: none): a compaction cut there leaves bytes that make later writes fail ("File already
 * written with different data": Espruino writes a new file where the last one ends).
 */
export interface Snapshot {
  serial: string;
  files: Record<string, string>;
  pages: Record<string, string | number>;
  dirty: number;
}

/** What to keep on `board`: the ring only where the raw region shares Storage's bank. */
export function keepAreaOf(board: BoardProfile): KeepArea {
  const f = board.flash;
  const s = board.storage;
  const shared = f.address >= s.address && f.address < s.address + s.size;
  return {
    ring: shared ? { address: f.address, length: f.length, pageSize: f.pageSize } : undefined,
    storageStart: s.address,
    storageEnd: shared ? f.address : s.address + s.size,
    pageSize: f.pageSize,
  };
}

/**
 * Code for the board that prints Spool's files (base64) and each ring page (base64, or its
 * CRC-32 when `ring` is "crc"), then {@link END_MARK}. ES5, as Espruino runs it.
 */
export function snapshotScript(k: KeepArea, ring: "data" | "crc"): string {
  const names = JSON.stringify(KEPT_FILES);
  let s =
    `(function(){var S=require("Storage"),F=require("Flash"),o={serial:typeof getSerial=="function"?getSerial():"",files:{},dirty:-1};` +
    `${names}.forEach(function(n){var d=S.read(n);if(d!==undefined)o.files[n]=btoa(d);});` +
    // Storage's free space, from where its files end (Espruino 2v2x packs them without gaps).
    `var t=S.getStats(),a=${k.storageStart}+t.fileBytes+t.trashBytes,n;` +
    `for(;a<${k.storageEnd}&&o.dirty<0;a+=n){n=Math.min(${k.pageSize}-(a-${k.storageStart})%${k.pageSize},${k.storageEnd}-a);if(E.sum(F.read(n,a))!=255*n)o.dirty=a;}` +
    `print("${FILE_MARK} "+JSON.stringify(o));`;
  const r = k.ring;
  if (r) {
    s +=
      `for(a=${r.address};a<${r.address + r.length};a+=${r.pageSize}){var d=F.read(${r.pageSize},a);` +
      `print("${PAGE_MARK} "+a+" "+(${ring === "crc" ? "E.CRC32(d)" : "btoa(E.toString(d))"}));}`;
  }
  return s + `print("${END_MARK}");})();`;
}

/**
 * Reads the output of a {@link snapshotScript} run.
 * @returns undefined when the board did not print a whole snapshot (e.g. the run was cut).
 */
export function parseSnapshot(output: string, k: KeepArea): Snapshot | undefined {
  const area = k.ring;
  if (!new RegExp(END_MARK + "(\\r?\\n|$)").test(output)) return undefined;
  const m = new RegExp(FILE_MARK + " (\\{[^\\r\\n]*\\})").exec(output);
  if (!m) return undefined;
  const o = JSON.parse(m[1]) as { serial: string; files: Record<string, string>; dirty: number };
  const files: Record<string, string> = {};
  for (const [n, b64] of Object.entries(o.files)) files[n] = Buffer.from(b64, "base64").toString("latin1");
  const pages: Record<string, string | number> = {};
  const re = new RegExp(PAGE_MARK + " (\\d+) (\\S+)", "g");
  for (let p = re.exec(output); p; p = re.exec(output))
    pages[p[1]] = /^\d+$/.test(p[2]) ? Number(p[2]) : Buffer.from(p[2], "base64").toString("latin1");
  if (area && Object.keys(pages).length !== area.length / area.pageSize) return undefined;
  return { serial: String(o.serial), files, pages, dirty: o.dirty };
}

const crcOf = (s: string) => crc32(Buffer.from(s, "latin1")) >>> 0;
const blank = (s: string) => /^\xff*$/.test(s);

/**
 * What a board lacks against a backup: file names, and ring page addresses; `wipe`: Storage must
 * be erased whole before they are written back (its free space is not blank, or a compaction
 * was cut: stale bytes may lie past its last file).
 */
export interface Loss {
  files: string[];
  pages: number[];
  wipe: boolean;
}

/**
 * Compares a board's snapshot (ring pages as data or CRC) with the backup taken before.
 * `only` "missing": count only files the board no longer has and a ring erased whole (a backup
 * left by an interrupted run, which the firmware may since have changed).
 */
export function lossAgainst(backup: Snapshot, now: Snapshot, only?: "missing"): Loss {
  const files = Object.keys(backup.files).filter((n) => (only ? now.files[n] === undefined : now.files[n] !== backup.files[n]));
  const keys = Object.keys(backup.pages);
  const nowCrc = (k: string) => (typeof now.pages[k] === "number" ? now.pages[k] : crcOf(String(now.pages[k])));
  let pages = keys.filter((k) => typeof backup.pages[k] === "string" && nowCrc(k) !== crcOf(backup.pages[k] as string));
  if (only) {
    const erased = keys.every((k) => nowCrc(k) === crcOf("\xff".repeat((backup.pages[k] as string).length)));
    pages = erased ? pages : [];
  }
  return { files, pages: pages.map(Number), wipe: now.dirty >= 0 || (!only && (files.length > 0 || pages.length > 0)) };
}

/**
 * What to write back from a backup `left` by an interrupted run, given the board's snapshot `now`
 * (ring pages as data) and their {@link lossAgainst} in "missing" mode: the files the board
 * still has win over the older copies, the ring comes from the backup only when it was erased.
 */
export function mergeLeftover(left: Snapshot, now: Snapshot, loss: Loss): Snapshot {
  return { ...now, files: { ...left.files, ...now.files }, pages: loss.pages.length ? left.pages : now.pages };
}

/** Whether anything is lost. */
export function isLoss(l: Loss): boolean {
  return l.wipe || l.files.length > 0 || l.pages.length > 0;
}

/**
 * Code for the board that writes back what `loss` names from `backup` (after a wipe: every file
 * and ring page of the backup; the code is uploaded again), then prints {@link REPAIR_MARK} (and
 * boots the firmware when `restart`). Files go before ring pages: on linux an empty Storage with
 * a written ring reads as corrupt at the next start.
 */
export function repairScript(backup: Snapshot, loss: Loss, restart: boolean): string {
  let s = `var S=require("Storage"),F=require("Flash");`;
  const files = loss.wipe ? Object.keys(backup.files) : loss.files;
  const pages = loss.wipe ? Object.keys(backup.pages).map(Number) : loss.pages;
  if (loss.wipe) s += "S.eraseAll();";
  for (const n of files) s += `S.write(${JSON.stringify(n)},atob("${Buffer.from(backup.files[n], "latin1").toString("base64")}"));`;
  for (const a of pages) {
    const d = backup.pages[String(a)] as string;
    if (!loss.wipe) s += `F.erasePage(${a});`;
    if (!blank(d)) s += `F.write(atob("${Buffer.from(d, "latin1").toString("base64")}"),${a});`;
  }
  return s + `print("${REPAIR_MARK}");` + (restart ? "load();" : "");
}

/** Whether a {@link repairScript} run completed. */
export function repaired(output: string): boolean {
  return new RegExp(REPAIR_MARK + "(\\r?\\n|$)").test(output);
}

/** One line for the user: what a loss was. */
export function describeLoss(l: Loss): string {
  const parts = [...l.files];
  if (l.pages.length) parts.push(`${l.pages.length} ring page${l.pages.length === 1 ? "" : "s"}`);
  if (l.wipe) parts.push("a clean Storage (erased whole, then written back)");
  return parts.join(", ");
}

/** The backup file of one board on one port. */
export function backupPath(dir: string, board: string, port: string, serial: string): string {
  return join(dir, `${board}-${(serial || "noserial").replace(/[^\w-]/g, "")}-${port.replace(/[^\w]+/g, "_")}.json`);
}

/** Writes a backup (owner-only: it holds the configuration, secrets included). */
export function saveBackup(path: string, s: Snapshot): void {
  mkdirSync(join(path, ".."), { recursive: true });
  const enc = (r: Record<string, string | number>) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "string" ? Buffer.from(v, "latin1").toString("base64") : v]));
  writeFileSync(path, JSON.stringify({ serial: s.serial, files: enc(s.files), pages: enc(s.pages), dirty: s.dirty }), { mode: 0o600 });
  chmodSync(path, 0o600);
}

/**
 * Reads a backup left by an earlier run, if any.
 * @throws Error naming the file when it is not a backup.
 */
export function loadBackup(path: string): Snapshot | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const o = JSON.parse(readFileSync(path, "utf8")) as Snapshot;
    const dec = (r: Record<string, string | number>) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "string" ? Buffer.from(v, "base64").toString("latin1") : v]));
    return { serial: o.serial, files: dec(o.files) as Record<string, string>, pages: dec(o.pages), dirty: -1 };
  } catch (e) {
    throw new Error(`${path} is not a spool flash backup (${(e as Error).message}): move it away and flash again`);
  }
}

export function removeBackup(path: string): void {
  rmSync(path, { force: true });
}
