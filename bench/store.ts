/**
 * Store benchmark: flash bytes per reading, appends per second and boot-recovery time of the
 * store, beside a naive baseline measured in the same run: JSON lines appended to a Storage
 * file (the simulated Espruino Storage of src/host/sim/storage.ts), the way a user would write
 * it by hand with StorageFile: chunk files of one page each (32 B header + data) filled with
 * `[ms,value]\n` lines (`JSON.stringify([Math.floor(Date.now()), v])`, numbers as Espruino
 * prints them) written at increasing offsets. Both sides get the same
 * 64 KB of flash (the esp32 profile's region): Storage's every write scans the file headers
 * before it, so a larger Storage would slow the naive side for no reason of its own.
 */
import { crc32 as zcrc32 } from "node:zlib";
import { NorFlash, flashPort } from "../src/host/sim/nor-flash.ts";
import { FlashBus } from "../src/host/sim/flash-bus.ts";
import { HEADER_BYTES, JsfStorage } from "../src/host/sim/storage.ts";
import { Store } from "../src/device/store/store.ts";
import { BOOT, withMaintenance } from "../src/device/store/maintenance.ts";
import type { Reading } from "../src/device/types.ts";
import { espruinoNumberText } from "../src/host/sim/number-text.ts";

const crc32 = (d: Uint8Array): number => zcrc32(d);
/** The esp32 profile's region: 64 KB of 4 KB pages. */
const ESP32 = { address: 0x310000, length: 65536, pageSize: 4096, writeAlignment: 4, eraseCycles: 100000 };
const T0 = 1795771674422;
const EVERY_MS = 10000;

function temperature(i: number): number {
  return Math.round((22 + 3 * Math.sin(i / 90) + ((i * 7919) % 13) / 100) * 100) / 100;
}

function newStore(flash: NorFlash): Store {
  const s = new Store(
    withMaintenance({
      flash: flashPort(flash),
      crc32,
      region: ESP32,
      datastreams: { "1": { type: "double" }, "2": { type: "double" }, "3": { type: "double" }, "4": { type: "double" } },
    }),
  );
  BOOT.mount(s);
  return s;
}

function esp32Flash(): NorFlash {
  return new NorFlash({ base: ESP32.address, size: ESP32.length, pageSize: ESP32.pageSize, alignment: 4 });
}

/**
 * Appends until the ring is full (the next reading would overwrite the oldest) and returns how
 * many readings the whole region held: region bytes / that count is the cost per reading,
 * headers, bitmaps, check bytes and the boot record included.
 */
function fill(next: (i: number) => Reading): { readings: number; flash: NorFlash } {
  const flash = esp32Flash();
  const s = newStore(flash);
  let i = 0;
  for (;;) {
    s.append(next(i));
    if (s.stats().dropped.overwritten > 0) return { readings: i, flash };
    i++;
  }
}

function naiveLine(t: number, v: number): Uint8Array {
  return new TextEncoder().encode("[" + t + "," + espruinoNumberText(v) + "]\n");
}

/** JSON lines into Storage chunk files until Storage is full; returns lines stored and seconds spent. */
function naive(size: number, from = 0): { lines: number; seconds: number } {
  const flash = new NorFlash({ base: 0, size, pageSize: 4096, alignment: 4 });
  const storage = new JsfStorage({ bus: new FlashBus([flash]), start: 0, size, pageSize: 4096 });
  const CHUNK = 4096 - HEADER_BYTES;
  let chunk = 0;
  let off = CHUNK;
  let lines = 0;
  const t0 = performance.now();
  for (let i = 0; ; i++) {
    const line = naiveLine(T0 + (from + i) * EVERY_MS, temperature(from + i));
    try {
      if (off + line.length > CHUNK) {
        chunk++;
        off = 0;
        storage.write("log" + chunk, line, 0, CHUNK);
      } else storage.write("log" + chunk, line, off);
    } catch {
      break;
    }
    off += line.length;
    lines++;
  }
  return { lines, seconds: (performance.now() - t0) / 1000 };
}

/** Flat metrics (see bench/run.ts). */
export async function benchStore(): Promise<Record<string, number>> {
  const m: Record<string, number> = {};
  const one = fill((i) => ({ pin: 1, stamp: { epochMs: T0 + i * EVERY_MS }, value: temperature(i) }));
  m["store.bytes_per_reading"] = ESP32.length / one.readings;
  m["store.readings_per_64k"] = one.readings;
  // a timer that drifts by a few ms each time, as on a real device
  let jitter = 0;
  const jit = fill((i) => {
    jitter = (jitter * 1103515245 + 12345) >>> 0;
    return { pin: 1, stamp: { epochMs: T0 + i * EVERY_MS + (jitter % 41) - 20 }, value: temperature(i) };
  });
  m["store.bytes_per_reading_jitter20ms"] = ESP32.length / jit.readings;
  const four = fill((i) => ({ pin: 1 + (i % 4), stamp: { epochMs: T0 + Math.floor(i / 4) * EVERY_MS }, value: temperature(i) }));
  m["store.bytes_per_reading_4pins"] = ESP32.length / four.readings;

  // appends per second in Node, several laps of the ring
  const N = 50000;
  {
    const s = newStore(esp32Flash());
    const t0 = performance.now();
    for (let i = 0; i < N; i++) s.append({ pin: 1, stamp: { epochMs: T0 + i * EVERY_MS }, value: temperature(i) });
    m["store.appends_per_s"] = N / ((performance.now() - t0) / 1000);
  }
  // boot recovery of the full region
  {
    const R = 50;
    const t0 = performance.now();
    for (let k = 0; k < R; k++) newStore(one.flash);
    m["store.mount_ms_full"] = (performance.now() - t0) / R;
  }
  // naive: bytes per line in a 64 KB Storage; speed over as many fills of a fresh 64 KB Storage
  // as take N lines (a user's code would erase it when full)
  const small = naive(ESP32.length);
  m["naive.bytes_per_reading"] = ESP32.length / small.lines;
  let lines = 0;
  let seconds = 0;
  while (lines < N) {
    const lap = naive(ESP32.length, lines);
    lines += lap.lines;
    seconds += lap.seconds;
  }
  m["naive.appends_per_s"] = lines / seconds;
  return m;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) {
  benchStore().then((m) => console.log(m));
}
