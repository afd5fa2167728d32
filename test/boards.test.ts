import test from "ava";
import { mkdtempSync, copyFileSync, writeFileSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BOARD_IDS, BOARDS_DIR, BoardProfileError, loadAllBoards, loadBoard, validateProfile } from "../src/host/boards.ts";
import type { BoardProfile } from "../src/host/boards.ts";
import { boardForDevice } from "../src/host/build/pipeline.ts";

const raw = (id: string): BoardProfile => JSON.parse(readFileSync(join(BOARDS_DIR, `${id}.json`), "utf8"));

/** A boards directory with the real schema and one profile written from `data`. */
function dirWith(id: string, data: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), "spool-boards-"));
  copyFileSync(join(BOARDS_DIR, "schema.json"), join(dir, "schema.json"));
  writeFileSync(join(dir, `${id}.json`), typeof data === "string" ? data : JSON.stringify(data));
  return dir;
}

function refused(t: any, id: string, data: unknown, ...expected: RegExp[]): void {
  const err = t.throws(() => loadBoard(id, { dir: dirWith(id, data) }), { instanceOf: BoardProfileError }) as BoardProfileError;
  t.regex(err.message, new RegExp(`${id}\\.json`), "names the file");
  for (const re of expected) t.regex(err.message, re);
}

for (const id of BOARD_IDS) {
  test(`${id} profile validates`, (t) => {
    const p = loadBoard(id);
    t.is(p.id, id);
    t.is(p.flash.address % p.flash.pageSize, 0);
    t.true(p.flash.length >= 2 * p.flash.pageSize);
    // The raw region stays clear of the part of Storage that Storage may use.
    const used = [p.storage.address, p.storage.address + p.storage.usableBytes];
    const region = [p.flash.address, p.flash.address + p.flash.length];
    t.true(region[1] <= used[0] || region[0] >= used[1] + p.flash.pageSize);
  });
}

test("the profiles carry the facts from Espruino's source", (t) => {
  const [esp32, esp8266, linux] = loadAllBoards();
  t.is(esp32.flash.address, 0x310000);
  t.is(esp32.flash.length, 64 * 1024);
  t.is(esp32.storage.address, 0x320000);
  t.is(esp8266.storage.address, 0x0cb000);
  t.is(esp8266.storage.size, 48 * 4096);
  t.is(esp8266.flash.length, 64 * 1024);
  t.true(esp8266.flash.address >= 0x200000, "not in the firmware, Storage or OTA area");
  t.is(linux.flash.pageSize, 1024);
  t.is(linux.storage.size, 256 * 1024);
  t.is(linux.flash.address + linux.flash.length, linux.storage.address + linux.storage.size, "the top of the flash file");
  t.deepEqual([esp32.tls, esp8266.tls, linux.tls], [true, false, true]);
  t.deepEqual([esp32.blynk.scheme, esp8266.blynk.scheme], ["https", "http"]);
  t.is(esp8266.blynk.port, 80);
  t.is(linux.network, "none");
});

test("a missing field is refused, naming the field", (t) => {
  const p = raw("esp32") as any;
  delete p.flash.pageSize;
  refused(t, "esp32", p, /flash\.pageSize is missing/);
});

test("a wrong type is refused, naming the field", (t) => {
  const p = raw("esp8266") as any;
  p.upload.maxPointsPerRequest = "many";
  refused(t, "esp8266", p, /upload\.maxPointsPerRequest must be integer/);
});

test("an unknown field and a bad enum are refused", (t) => {
  const p = raw("linux") as any;
  p.flash.colour = "blue";
  p.blynk.scheme = "ftp";
  refused(t, "linux", p, /flash\.colour is not a known field/, /blynk\.scheme must be one of/);
});

test("a raw region overlapping Storage is refused", (t) => {
  const p = raw("esp32");
  p.flash.address = 0x360000; // listed by Flash.getFree() on ESP32, but inside Storage
  refused(t, "esp32", p, /overlaps Storage|straddles/);
});

test("a raw region inside Storage's bank needs usableBytes below it and a guard page", (t) => {
  const p = raw("linux");
  p.storage.usableBytes = p.flash.address - p.storage.address; // no guard page left
  refused(t, "linux", p, /overlaps Storage.*guard page/);
  p.storage.usableBytes = p.storage.size;
  refused(t, "linux", p, /overlaps Storage/);
});

test("WiFi boards must say how their WiFi behaves, and only they", (t) => {
  const noWifi = raw("esp8266") as any;
  delete noWifi.wifi;
  refused(t, "esp8266", noWifi, /network is "wifi" but wifi .* is missing/);
  const stray = raw("linux") as any;
  stray.wifi = raw("esp32").wifi;
  refused(t, "linux", stray, /wifi is given but network is "none"/);
  const bad = raw("esp32") as any;
  bad.wifi.reconnect = "sometimes";
  refused(t, "esp32", bad, /wifi\.reconnect must be one of \["manual","sdk"\]/);
});

test("an emulated flash file must hold the raw region and Storage", (t) => {
  const p = raw("linux-small") as any;
  p.fakeFlash.length = 128 * 1024;
  refused(
    t,
    "linux-small",
    p,
    /flash region 0x10030000\+65536 lies outside fakeFlash 0x10000000\+131072/,
    /Storage 0x10000000\+262144 lies outside/,
  );
});

test("board behaviour is in the profile: which boards emulate their flash, which WiFi driver each has", (t) => {
  const boards = Object.fromEntries(loadAllBoards().map((b) => [b.id, b]));
  t.deepEqual(boards.linux.fakeFlash && [boards.linux.fakeFlash.address, boards.linux.fakeFlash.length], [0x10000000, 256 * 1024]);
  t.deepEqual(boards["linux-small"].fakeFlash?.address, boards.linux.fakeFlash?.address);
  t.is(boards.esp32.fakeFlash, undefined);
  t.deepEqual([boards.esp32.wifi?.driver, boards.esp32.wifi?.reconnect], ["esp32", "manual"]);
  t.deepEqual([boards.esp8266.wifi?.driver, boards.esp8266.wifi?.reconnect], ["esp8266", "sdk"]);
});

test("the host's profile fields are not compiled into the bundle (wifi, fakeFlash, every why)", (t) => {
  for (const board of loadAllBoards()) {
    const device = boardForDevice(board) as unknown as Record<string, unknown>;
    t.false("wifi" in device || "fakeFlash" in device, board.id);
    t.false(JSON.stringify(device).includes('"why"'), board.id);
    t.is(device.network, board.network);
  }
});

test("a misaligned region and a mismatched id are refused", (t) => {
  const p = raw("esp32");
  p.flash.address += 100;
  p.id = "esp33";
  refused(t, "esp32", p, /flash\.address 0x31[0-9A-F]+ is not a multiple of flash\.pageSize/, /id is "esp33"/);
});

test("a file that is not JSON is refused", (t) => {
  refused(t, "esp32", "{ nope", /not valid JSON/);
});

test("validateProfile accepts a good object and names the file it is given", (t) => {
  t.is(validateProfile(raw("esp32"), "boards/esp32.json").id, "esp32");
  const bad = { ...raw("esp32"), codeBudgetBytes: 10 };
  t.throws(() => validateProfile(bad, "boards/esp32.json"), { message: /^boards\/esp32\.json: codeBudgetBytes must be >= 4096/ });
});

test("an unknown board id lists the known ones", (t) => {
  t.throws(() => loadBoard("nope"), { message: /nope\.json: no such board profile \(known: esp32, esp8266, linux, linux-small\)/ });
});

test("host code reads board behaviour from the profile, never by comparing a board's id", (t) => {
  const root = join(import.meta.dirname, "..", "src", "host");
  const found: string[] = [];
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".ts")) continue;
    const path = join(entry.parentPath, entry.name);
    readFileSync(path, "utf8")
      .split("\n")
      .forEach((line, i) => {
        if (/\bid\s*[!=]==?\s*["'`]|["'`]\s*[!=]==?\s*\w+\.id\b/.test(line)) found.push(`${path}:${i + 1}: ${line.trim()}`);
      });
  }
  t.deepEqual(found, []);
});
