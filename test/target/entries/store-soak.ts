/**
 * Device entry for the real-interpreter store tests and bench: mounts Spool's store on the
 * board's raw region and, at boot, prints what it holds; then the host drives it over the REPL
 * through the global `soak`.
 *
 * Lines printed (one each, parsed by test/target/store.test.ts):
 *   M <ms>            mount time of this boot (createStore)
 *   D <first> <last>  a run of consecutive integer values found on V1, oldest first
 *   N <count> <next>  V1 readings found, and the value the next append takes
 *   A <n>             value n was appended and append() returned (durable)
 */
import { espruinoHal } from "../../../src/device/espruino-hal.ts";
import { createStore } from "../../../src/device/store/maintenance.ts";
import { keepStorageNonEmpty } from "../../../src/device/api/store-open.ts";

// Espruino's globals (the host tsconfig knows Node's, not these).
declare const getTime: () => number;
declare const setTime: (sec: number) => void;
declare const print: (line: string) => void;
declare const global: any;

const BOARD = __BOARD__;
// Held in a variable so that the bundler leaves Espruino's modules to the interpreter.
const espruinoRequire: (name: string) => any = require;
const PIN = 1;
/** The bench appends Doubles (float32, as the firmware's default datastream) on this pin. */
const BENCH_PIN = 2;

const hal = espruinoHal({ hasWifi: false });
keepStorageNonEmpty(hal, BOARD);
const t0 = getTime();
const store = createStore({ hal: hal, region: BOARD.flash, datastreams: { "1": { type: "integer" }, "2": { type: "double" } } });
print("M " + Math.round((getTime() - t0) * 10000) / 10);

let next = 0;
let found = 0;
let runFirst = -1;
let runLast = -1;
store.scan({ from: store.oldestPos(), pin: PIN }, (rec) => {
  const v = rec.reading.value as number;
  found++;
  if (runFirst >= 0 && v === runLast + 1) runLast = v;
  else {
    if (runFirst >= 0) print("D " + runFirst + " " + runLast);
    runFirst = v;
    runLast = v;
  }
  if (v + 1 > next) next = v + 1;
});
if (runFirst >= 0) print("D " + runFirst + " " + runLast);
print("N " + found + " " + next);

let timer: any;

function appendOne(): void {
  store.append({ pin: PIN, stamp: { epochMs: Math.floor(getTime() * 1000) }, value: next });
  print("A " + next);
  next++;
}

global.soak = {
  /** Appends `perTick` readings every `everyMs`, printing each once durable. */
  run: (perTick: number, everyMs: number) => {
    if (timer) clearInterval(timer);
    timer = setInterval(() => {
      for (let i = 0; i < perTick; i++) appendOne();
    }, everyMs);
  },
  stop: () => {
    if (timer) clearInterval(timer);
    timer = undefined;
  },
  /** Appends n Double readings on the bench pin without printing; µs per append. */
  bench: (n: number) => {
    const s = getTime();
    for (let i = 0; i < n; i++)
      store.append({ pin: BENCH_PIN, stamp: { epochMs: Math.floor(getTime() * 1000) }, value: 20 + (i % 100) / 10 });
    return ((getTime() - s) * 1e6) / n;
  },
  /** The naive baseline: one JSON line per reading appended to a Storage file; µs per append. */
  naive: (n: number) => {
    const f = espruinoRequire("Storage").open("naive.log", "a");
    const s = getTime();
    for (let i = 0; i < n; i++) f.write(JSON.stringify({ pin: BENCH_PIN, t: Math.floor(getTime() * 1000), v: 20 + (i % 100) / 10 }) + "\n");
    return ((getTime() - s) * 1e6) / n;
  },
  stats: () => store.stats(),
  next: () => next,
};
// The Linux build exits when no timer is left; this one keeps the REPL open for the host.
setInterval(() => undefined, 60000);
print("READY");
