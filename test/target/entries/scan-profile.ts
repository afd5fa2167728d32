/**
 * Profile of Store.scan on the real interpreter (not a test: run by hand, booted from Storage).
 * Prints ms per 1,000 readings for a bare scan, and for a scan that decodes each stamp.
 */
import { espruinoHal } from "../../../src/device/espruino-hal.ts";
import { Store } from "../../../src/device/store/store.ts";
import { BOOT, withMaintenance } from "../../../src/device/store/maintenance.ts";
import { keepStorageNonEmpty } from "../../../src/device/api/store-open.ts";

declare const getTime: () => number;
declare const print: (line: string) => void;

const BOARD = __BOARD__;
const N = 1500;
const hal = espruinoHal({ hasWifi: false });
keepStorageNonEmpty(hal, BOARD);
const store = new Store(withMaintenance({ hal: hal, region: BOARD.flash, datastreams: { "1": { type: "double" } } }));
BOOT.mount(store);
store.eraseAll();
let t = getTime();
for (let i = 0; i < N; i++) store.append({ pin: 1, stamp: { bootId: store.bootId, uptimeMs: i * 100 }, value: 20 + (i % 100) / 10 });
print("append ms/1000 " + Math.round(((getTime() - t) * 1e6) / N));
t = getTime();
let n = 0;
store.scan({ from: 0 }, () => {
  n++;
});
print("scan ms/1000 " + Math.round(((getTime() - t) * 1e6) / n) + " n " + n);
t = getTime();
n = 0;
store.scan({ from: 0, delivered: true }, (rec) => {
  if ((rec.reading.stamp as any).uptimeMs >= 0) n++;
});
print("scan+delivered ms/1000 " + Math.round(((getTime() - t) * 1e6) / n) + " n " + n);
t = getTime();
n = 0;
store.scan({ from: 0, pin: 1 }, () => {
  n++;
});
print("scan pin ms/1000 " + Math.round(((getTime() - t) * 1e6) / n) + " n " + n);
