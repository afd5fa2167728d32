/**
 * The quota log (src/device/uplink/quota.ts) on the real interpreter, driven from the REPL by
 * test/target/quota.test.ts: `qlog.add(day, points)` counts delivered points, `qlog.files()`
 * gives both log files in base64, `qlog.count()` what a new Quota (a reboot) reads.
 */
import { espruinoHal } from "../../../src/device/espruino-hal.ts";
import { createQuota, QUOTA_FILES, type Quota } from "../../../src/device/uplink/quota.ts";

declare const btoa: (s: string) => string;

const DAY_MS = 86400000;
const hal = espruinoHal({ hasWifi: false });
const open = (): Quota => createQuota({ storage: hal.storage, daily: 1000000, persistStep: 10 });
let q = open();

(globalThis as unknown as { qlog: unknown }).qlog = {
  add: (day: number, points: number) => {
    q.add(day * DAY_MS + 1000, points);
    return q.used();
  },
  files: () =>
    QUOTA_FILES.map((n) => {
      const d = hal.storage.read(n);
      return d === undefined ? null : btoa(d);
    }),
  count: () => {
    q = open();
    return { day: q.day(), used: q.used() };
  },
  trash: () => hal.storage.getStats().trashBytes,
};

// The Linux build exits once no timer is left: keep the REPL open.
setInterval(() => undefined, 3600000);
