/**
 * Board profiles: `boards/<id>.json`, checked against `boards/schema.json` (ajv) and then
 * against the rules a schema cannot express (alignment, the raw region staying clear of Storage).
 */
import { readFileSync, readdirSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type ErrorObject } from "ajv";
import type { BoardProfile as DeviceProfile } from "../device/board.ts";

/**
 * A board profile as the host reads it: the device's type (src/device/board.ts) and the fields
 * only the host reads so far (boards/schema.json documents each).
 */
export interface BoardProfile extends DeviceProfile {
  /**
   * The board's WiFi: which of Espruino's WiFi libraries it has and how that reconnects.
   * Present exactly when `network` is "wifi".
   */
  wifi?: {
    /** libs/network/esp32 or libs/network/esp8266: the shape of events and status objects. */
    driver: "esp32" | "esp8266";
    /**
     * `manual`: `connect()` makes a few attempts, then stops until the program calls it again
     * (also after a drop); `sdk`: the vendor SDK retries by itself, each failure an event.
     */
    reconnect: "manual" | "sdk";
    why: string;
  };
  /**
   * Where the interpreter emulates its flash in one file (the Linux build's espruino.flash):
   * what `Flash.getFree()` lists, and where a whole-file image starts. Absent: a flash chip.
   */
  fakeFlash?: { address: number; length: number; why: string };
}

/** The directory that holds the profiles and their schema. */
export const BOARDS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "boards");

/** The boards Spool ships profiles for, in build order. */
export const BOARD_IDS = ["esp32", "esp8266", "linux", "linux-small"] as const;

const SCHEMA_FILE = "schema.json";

/** A profile that failed its schema or a semantic check. The message names the file and field. */
export class BoardProfileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.join("; ")}`);
    this.name = "BoardProfileError";
  }
}

type Validator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };
const validators = new Map<string, Validator>();

function validatorFor(dir: string): Validator {
  let v = validators.get(dir);
  if (!v) {
    const schema = JSON.parse(readFileSync(join(dir, SCHEMA_FILE), "utf8"));
    v = new Ajv({ allErrors: true, strict: true }).compile(schema) as Validator;
    validators.set(dir, v);
  }
  return v;
}

function describe(err: ErrorObject): string {
  const at = err.instancePath ? err.instancePath.slice(1).replace(/\//g, ".") : "(top level)";
  switch (err.keyword) {
    case "required":
      return `${at === "(top level)" ? "" : at + "."}${(err.params as { missingProperty: string }).missingProperty} is missing`;
    case "additionalProperties":
      return `${at === "(top level)" ? "" : at + "."}${(err.params as { additionalProperty: string }).additionalProperty} is not a known field`;
    case "enum":
      return `${at} must be one of ${JSON.stringify((err.params as { allowedValues: unknown[] }).allowedValues)}`;
    default:
      return `${at} ${err.message ?? "is invalid"}`;
  }
}

const hex = (n: number): string => "0x" + n.toString(16).toUpperCase();

/**
 * The checks beyond the schema. The raw region must be page aligned and must not overlap the
 * part of Storage's bank that Storage may use. Where the region shares the bank (linux), Storage
 * also needs a guard page: after its last file it reads the header at the start of the next
 * page, and anything there but 0xFF or a valid header makes it declare itself corrupt and erase
 * the whole bank (src/jsflash.c, jsfIsBankStorageValid).
 */
function semanticProblems(p: BoardProfile, fileId: string): string[] {
  const out: string[] = [];
  const { flash, storage } = p;
  if (p.id !== fileId) out.push(`id is "${p.id}" but the file is named ${fileId}.json`);
  if (flash.address % flash.pageSize !== 0)
    out.push(`flash.address ${hex(flash.address)} is not a multiple of flash.pageSize ${flash.pageSize}`);
  if (flash.length % flash.pageSize !== 0) out.push(`flash.length ${flash.length} is not a multiple of flash.pageSize ${flash.pageSize}`);
  if (flash.length < 2 * flash.pageSize) out.push(`flash.length ${flash.length} is less than two pages (a ring buffer needs at least two)`);
  if (flash.pageSize % flash.writeAlignment !== 0)
    out.push(`flash.writeAlignment ${flash.writeAlignment} does not divide flash.pageSize ${flash.pageSize}`);
  if (storage.usableBytes > storage.size) out.push(`storage.usableBytes ${storage.usableBytes} exceeds storage.size ${storage.size}`);
  if (p.network === "wifi" && !p.wifi) out.push('network is "wifi" but wifi (the board\'s WiFi driver and how it reconnects) is missing');
  if (p.network !== "wifi" && p.wifi) out.push(`wifi is given but network is "${p.network}": drop wifi or set network to "wifi"`);
  if (p.fakeFlash) {
    const { address, length } = p.fakeFlash;
    const inside = (a: number, n: number) => a >= address && a + n <= address + length;
    if (!inside(flash.address, flash.length))
      out.push(`flash region ${hex(flash.address)}+${flash.length} lies outside fakeFlash ${hex(address)}+${length}`);
    if (!inside(storage.address, storage.size))
      out.push(`Storage ${hex(storage.address)}+${storage.size} lies outside fakeFlash ${hex(address)}+${length}`);
  }

  const regionEnd = flash.address + flash.length;
  const bankEnd = storage.address + storage.size;
  const sharesBank = flash.address < bankEnd && regionEnd > storage.address;
  if (sharesBank) {
    const usedEnd = storage.address + storage.usableBytes;
    if (flash.address < storage.address || regionEnd > bankEnd) {
      out.push(
        `flash region ${hex(flash.address)}-${hex(regionEnd - 1)} straddles the edge of Storage (${hex(storage.address)}-${hex(bankEnd - 1)})`,
      );
    } else if (usedEnd + flash.pageSize >= flash.address) {
      out.push(
        `flash region ${hex(flash.address)}-${hex(regionEnd - 1)} overlaps Storage: Storage may use up to ${hex(usedEnd - 1)} ` +
          `(storage.usableBytes ${storage.usableBytes}) and needs one blank guard page before the region, ` +
          `so storage.usableBytes must be below ${flash.address - storage.address - flash.pageSize}`,
      );
    }
  }
  return out;
}

/**
 * Checks a parsed profile.
 * @param data the parsed JSON.
 * @param file the file it came from, for messages (e.g. `boards/esp32.json`).
 * @throws {BoardProfileError} naming the file and every field that is wrong.
 */
export function validateProfile(data: unknown, file: string, opts: { dir?: string } = {}): BoardProfile {
  const validate = validatorFor(opts.dir ?? BOARDS_DIR);
  if (!validate(data)) throw new BoardProfileError(file, (validate.errors ?? []).map(describe));
  const problems = semanticProblems(data as BoardProfile, basename(file, ".json"));
  if (problems.length) throw new BoardProfileError(file, problems);
  return data as BoardProfile;
}

/**
 * Loads and checks `boards/<id>.json`.
 * @throws {BoardProfileError} when the file is missing, not JSON, or fails a check.
 */
export function loadBoard(id: string, opts: { dir?: string } = {}): BoardProfile {
  const dir = opts.dir ?? BOARDS_DIR;
  const path = join(dir, `${id}.json`);
  const shown = relative(process.cwd(), path) || path;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new BoardProfileError(shown, [`no such board profile (known: ${listBoardIds({ dir }).join(", ")})`]);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new BoardProfileError(shown, [`not valid JSON: ${(err as Error).message}`]);
  }
  return validateProfile(data, shown, { dir });
}

/** Ids of every profile in the boards directory. */
export function listBoardIds(opts: { dir?: string } = {}): string[] {
  return readdirSync(opts.dir ?? BOARDS_DIR)
    .filter((f) => f.endsWith(".json") && f !== SCHEMA_FILE)
    .map((f) => f.slice(0, -5))
    .sort();
}

/**
 * Loads every shipped profile ({@link BOARD_IDS}).
 * @throws {BoardProfileError} on the first bad profile.
 */
export function loadAllBoards(opts: { dir?: string } = {}): BoardProfile[] {
  return BOARD_IDS.map((id) => loadBoard(id, opts));
}
