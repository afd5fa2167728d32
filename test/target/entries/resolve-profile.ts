/**
 * Profile of the clock part's classify on the real interpreter (not a test: run by hand, booted from
 * Storage as a board runs it, e.g. with bootFromStorage in src/host/target/scenarios.ts).
 * The anchor log of a device on a network that blocks NTP: boots 1-24 with one HTTP-Date anchor
 * each, boots 25-30 offline with 5 readings each, boot 31 anchored, this boot 32. Prints ms per
 * call for a reading of an anchored boot and for one of a boot that is estimated. Driven by
 * hand: build it with linuxBundle(entry) and boot it with bootFromStorage({binary, bundle,
 * ready: /^estimated /}) (src/host/target), then read the two lines it prints.
 */
import { espruinoHal } from "../../../src/device/espruino-hal.ts";
import { TimeKeeper } from "../../../src/device/clock/timekeeper.ts";
import { classify } from "../../../src/device/clock/past-boots.ts";
import { survey } from "../../../src/device/clock/survey.ts";
import type { Anchor, Stamp } from "../../../src/device/types.ts";

declare const getTime: () => number;
declare const print: (line: string) => void;

const N = 200;
const T0 = 1_780_000_000_000;
const hal = espruinoHal({ hasWifi: false });
const anchors: Anchor[] = [];
const stamps: Stamp[] = [];
for (let b = 1; b <= 31; b++) {
  const start = T0 + b * 5000;
  if (b <= 24 || b === 31) anchors.push({ bootId: b, uptimeMs: 2000, epochMs: start + 2000, coarse: true });
  for (let i = 0; i < 5; i++) stamps.push({ bootId: b, uptimeMs: 2500 + i * 100 });
}
const keeper = new TimeKeeper({ hal: hal, log: { bootId: 32, appendAnchor: () => undefined, anchors: () => anchors } });
survey(keeper, (visit) => {
  for (let i = 0; i < stamps.length; i++) visit(stamps[i], true);
});
function perCall(stamp: Stamp): string {
  const t = getTime();
  let kind = "";
  for (let i = 0; i < N; i++) kind = classify(keeper, stamp).kind;
  return kind + " " + (((getTime() - t) * 1000) / N).toFixed(2) + " ms";
}
print("anchored " + perCall({ bootId: 10, uptimeMs: 2600 }));
print("estimated " + perCall({ bootId: 27, uptimeMs: 2600 }));
