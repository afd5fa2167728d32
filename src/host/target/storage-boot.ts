/**
 * Boots firmware on the real interpreter the way a board runs it: from Storage. The files are
 * written into the interpreter's flash (`espruino.flash` in its working directory) over the REPL,
 * in pieces, with `require("Storage").write(name, piece, offset, size)`; then the interpreter is
 * started again in that directory with no script, so it runs `.bootcde` from Storage and the
 * function bodies stay in flash. Loaded from a file instead, the source text itself sits in RAM
 * and memory figures mean nothing (docs/memory.md).
 */
import { readFileSync } from "node:fs";
import { crc32 } from "node:zlib";
import { EspruinoProcess } from "./espruino-process.ts";

/** One Storage file: its name and its contents (a path to read, or the text itself). */
export interface StorageFile {
  storage: string;
  path?: string;
  code?: string;
}

/**
 * Bytes per REPL line. Small enough for a 1,600-JsVar interpreter to hold the line twice (the
 * typed line and the string it makes) next to whatever is already in Storage.
 */
const PIECE = 512;

function contents(f: StorageFile): string {
  if (f.code !== undefined) return f.code;
  if (f.path === undefined) throw new Error(`Storage file ${f.storage}: give its path or its code`);
  return readFileSync(f.path, "latin1");
}

/**
 * Writes `files` into the Storage of a fresh interpreter in `cwd` (nothing of ours runs), then
 * stops it.
 * @throws Error when a write fails on the device or a file does not read back whole.
 */
export async function installStorage(o: { binary: string; cwd?: string; files: StorageFile[] }): Promise<string> {
  const dev = new EspruinoProcess({ binary: o.binary, cwd: o.cwd });
  try {
    await dev.waitFor(/espruino\.com\/Donate/, 15_000);
    await writeStorageFiles(dev, o.files);
  } finally {
    await dev.kill();
  }
  return dev.cwd;
}

/**
 * Writes `files` into the Storage of a running interpreter (nothing of ours may run: its guard
 * on Storage.write would refuse them), each in pieces, and reads each back.
 * @throws Error when a write fails on the device or a file does not read back whole.
 */
export async function writeStorageFiles(dev: EspruinoProcess, files: StorageFile[]): Promise<void> {
  for (const f of files) {
    const text = contents(f);
    const name = JSON.stringify(f.storage);
    for (let at = 0; at < text.length; at += PIECE) {
      await dev.eval(`require("Storage").write(${name},${JSON.stringify(text.slice(at, at + PIECE))},${at},${text.length})`, 20_000);
    }
    const back = await dev.eval<number>(`(require("Storage").read(${name})||"").length`);
    if (back !== text.length) throw new Error(`Storage file ${f.storage}: ${back} of ${text.length} bytes read back`);
  }
}

/**
 * The files of `files` whose copy in the running interpreter's Storage is missing or differs
 * (CRC-32 of the bytes): what an upload must write again.
 */
export async function damagedStorageFiles(dev: EspruinoProcess, files: StorageFile[]): Promise<StorageFile[]> {
  const names = JSON.stringify(files.map((f) => f.storage));
  const crcs = await dev.eval<(number | null)[]>(
    `${names}.map(function(n){var d=require("Storage").read(n);return d===undefined?null:E.CRC32(d)>>>0;})`,
    60_000,
  );
  return files.filter((f, i) => crcs[i] !== crc32(Buffer.from(contents(f), "latin1")));
}

/**
 * Starts the interpreter in `cwd` with no script: it boots from Storage (`.bootcde`).
 * @param banner waited for before returning (the interpreter is killed when it does not come).
 */
export async function bootStorage(o: { binary: string; cwd: string; banner?: RegExp; timeoutMs?: number }): Promise<EspruinoProcess> {
  const dev = new EspruinoProcess({ binary: o.binary, cwd: o.cwd });
  try {
    if (o.banner) {
      const line = await dev.waitFor(new RegExp(`${o.banner.source}|OUT OF MEMORY`), o.timeoutMs ?? 20_000);
      if (/OUT OF MEMORY/.test(line))
        throw new Error(`OUT OF MEMORY while booting from Storage; output:\n${dev.lines.slice(-20).join("\n")}`);
    }
  } catch (err) {
    await dev.kill();
    throw err;
  }
  return dev;
}
