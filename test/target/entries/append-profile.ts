/**
 * Profile of Store.append on the real interpreter (not a test: run by hand).
 *
 *   npx tsx -e 'import("./src/host/build/index.ts").then(m => m.build({board: "linux",
 *     entry: "test/target/entries/append-profile.ts", outDir: "/tmp/prof"}))'
 *   cd $(mktemp -d) && /opt/espruino/espruino /tmp/prof/linux.js
 *
 * Prints µs per call of the whole bench loop (as soak.bench), of the loop alone (reading
 * objects and getTime), and of the pieces of an append measured one by one: value checks,
 * record encoding (CRC included), the CRC alone, one aligned flash write, the bookkeeping.
 * The store uses the first 48 KB of the linux region; the last 16 KB is scratch for writes.
 */
import { espruinoHal } from "../../../src/device/espruino-hal.ts";
import { Store } from "../../../src/device/store/store.ts";
import { BOOT, withMaintenance } from "../../../src/device/store/maintenance.ts";
import { EPOCH, PinTable, ROTATION_RESERVE, encodeReading, encodeReadingAt } from "../../../src/device/store/record.ts";
import { K_F32, recordLimit } from "../../../src/device/store/format.ts";
import { keepStorageNonEmpty } from "../../../src/device/api/store-open.ts";

declare const getTime: () => number;
declare const print: (line: string) => void;

const BOARD = __BOARD__;
const N = 2000;
const PIN = 2;
const SCRATCH = 16384;

const hal = espruinoHal({ hasWifi: false });
keepStorageNonEmpty(hal, BOARD);
const f = BOARD.flash;
const region = { address: f.address, length: f.length - SCRATCH, pageSize: f.pageSize, writeAlignment: f.writeAlignment };
const store = new Store(withMaintenance({ hal: hal, region: region, datastreams: { "2": { type: "double" } } }));
BOOT.mount(store);
store.eraseAll();

function us(t0: number, n: number): number {
  return Math.round(((getTime() - t0) * 1e6) / n);
}

function line(name: string, v: number): void {
  print(name + " " + v);
}

let t = getTime();
let _sink: any;
for (let i = 0; i < N; i++) _sink = { pin: PIN, stamp: { epochMs: Math.floor(getTime() * 1000) }, value: 20 + (i % 100) / 10 };
line("loop", us(t, N));

t = getTime();
for (let i = 0; i < N; i++) store.append({ pin: PIN, stamp: { epochMs: Math.floor(getTime() * 1000) }, value: 20 + (i % 100) / 10 });
line("bench", us(t, N));

t = getTime();
for (let i = 0; i < N; i++) store.append({ pin: PIN, stamp: { epochMs: Math.floor(getTime() * 1000) }, value: 20 + (i % 100) / 10 });
line("bench2", us(t, N));

const s: any = store;
t = getTime();
for (let i = 0; i < N; i++) _sink = s.kindOf(PIN, 20 + (i % 100) / 10);
line("kindOf", us(t, N));

const table = new PinTable();
table.apply(PIN, EPOCH, 1000, true);
t = getTime();
const crc = (d: Uint8Array) => hal.crc32(d);
const zeros = (d: Uint8Array) => hal.zeroBits(d);
for (let i = 0; i < N; i++) _sink = encodeReading(table, PIN, K_F32, EPOCH, 1000, 20 + (i % 100) / 10, zeros);
line("encode", us(t, N));

const wb = new Uint8Array(40);
const wdv = new DataView(wb.buffer);
const ff = new Uint8Array(40);
for (let i = 0; i < 40; i++) ff[i] = 255;
t = getTime();
for (let i = 0; i < N; i++) {
  wb.set(ff);
  _sink = encodeReadingAt(wb, wdv, 1, table, table.plan(PIN), PIN, K_F32, EPOCH, 1000, 20 + (i % 100) / 10, zeros);
}
line("encodeAt", us(t, N));

const rec = new Uint8Array(8);
t = getTime();
for (let i = 0; i < N; i++) _sink = crc(rec.subarray(0, 5));
line("crc", us(t, N));

const w = new Uint8Array(8);
w[0] = 0x20;
w[5] = 0x33;
const base = f.address + f.length - SCRATCH;
for (let p = 0; p < SCRATCH; p += f.pageSize) hal.flash.erasePage(base + p);
t = getTime();
for (let i = 0; i < N; i++) hal.flash.write(w, base + 8 * i);
line("write8", us(t, N));

t = getTime();
for (let i = 0; i < N; i++) {
  _sink = !s.headFull && s.headOff + 6 + ROTATION_RESERVE <= recordLimit(s.sectorBytes, s.counts[s.head] + 1);
  table.apply(PIN, EPOCH, 1000 + i, false);
}
line("room+apply", us(t, N));

// The fast path of append split in its steps (a replica over the store's fields).
const rd = { pin: PIN, stamp: { epochMs: 1700000000000 }, value: 21.5 };
t = getTime();
for (let i = 0; i < N; i++) {
  if (!s.mounted) throw new Error();
  if (s.readOnly) throw new Error();
  if (!rd || typeof rd !== "object") throw new Error();
  const pin = rd.pin;
  if ((pin & 255) !== pin) throw new Error();
  const st = rd.stamp;
  if (!st || typeof st !== "object") throw new Error();
  let ms = st.epochMs;
  if (ms !== undefined) {
    if (typeof ms !== "number" || !(ms >= 0 && ms < 281474976710656)) throw new Error();
  }
  ms -= ms % 1;
  _sink = ms;
}
line("step.validate", us(t, N));
t = getTime();
for (let i = 0; i < N; i++) {
  const value = rd.value;
  const c = s.ds[PIN];
  let kind = -1;
  if (c && typeof value === "number" && value - value === 0) {
    const ty = c.type;
    if (ty === "double") {
      const a = value < 0 ? -value : value;
      kind = c.precision === "float64" || a > 3.4e38 || (a < 1e-30 && a !== 0) ? 2 : 1;
    }
  }
  if (kind === 5 || !s.bootPersisted) throw new Error();
  _sink = kind;
}
line("step.kind", us(t, N));
t = getTime();
for (let i = 0; i < N; i++) {
  const w = s.wbuf;
  w.fill(255);
  const p = table.plan(PIN);
  _sink = encodeReadingAt(w, s.wdv, 1, table, p, PIN, K_F32, EPOCH, 1000, 21.5, s.zeros);
}
line("step.encode", us(t, N));
t = getTime();
for (let i = 0; i < N; i++) {
  const sb = s.sectorBytes;
  const h = s.head;
  if (s.headFull || s.headOff + 6 > sb - 4 * Math.ceil((s.counts[h] + 1) / 32)) _sink = 1;
}
line("step.fits", us(t, N));
for (let p = 0; p < SCRATCH; p += f.pageSize) hal.flash.erasePage(base + p);
t = getTime();
for (let i = 0; i < N; i++) {
  const w = s.wbuf;
  const end = 7;
  const align = s.align;
  s.flash.write(w.subarray(0, end + ((align - (end % align)) % align)), base + 8 * i);
}
line("step.write", us(t, N));
const cnts = new Uint16Array(4);
const bk = { headOff: 0, bytesSinceMount: 0, appendedTotal: 0, sectorPending: new Uint16Array(4) };
t = getTime();
for (let i = 0; i < N; i++) {
  const w = s.wbuf;
  const len = 6;
  const h = 0;
  const ms = 1000 + i;
  bk.headOff = 100 + len;
  bk.bytesSinceMount += len;
  table.f[2] = w[0] & 16 ? 0 : ms - table.f[1];
  table.f[0] = EPOCH;
  table.f[1] = ms;
  cnts[h]++;
  bk.sectorPending[h]++;
  bk.appendedTotal++;
  if (EPOCH >= 0) _sink = 0;
}
line("step.book", us(t, N));

t = getTime();
for (let i = 0; i < 6; i++) {
  store.append({ pin: PIN, stamp: { epochMs: Math.floor(getTime() * 1000) }, value: 1.5 });
  s.code.load("store").rotate(s);
}
line("rotate", us(t, 6));

const st = store.stats();
print("appended " + st.appended + " sectors " + st.sectors);
print("DONE");
