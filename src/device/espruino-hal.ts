/**
 * The hardware boundary over the interpreter's own globals: what a firmware entry calls. Only
 * for code that runs on Espruino (or the simulated one); host code never calls it.
 */
import { createEspruinoHal, type Hal } from "./hal.ts";

// Espruino's globals, declared for this module alone so that entries type-check under both the
// device lib and Node's.
declare const E: any;
declare const getTime: () => number;
declare const setTime: (sec: number) => void;
declare const print: (line: string) => void;
declare const global: { require: (name: string) => any; Function: (code: string) => () => any };

/**
 * When the bundle started to run. This module comes first in the bundle, so this is read before
 * the interpreter walks the rest of the code (on the Linux build booting from Storage about 0.4 s
 * idle, seconds on a loaded host): time the firmware's uptime would otherwise not count, and
 * that no boot without a time source could later be placed by (docs/clock.md).
 */
const LOADED_SEC = getTime();

/** Builds the {@link Hal} from the running interpreter's globals. */
export function espruinoHal(options: { hasWifi: boolean; defragForTls?: boolean }): Hal {
  // Read from `global`: a bare `require` makes esbuild wrap it in its dynamic-require shim
  // (`typeof Proxy ... new Proxy(...)`), dead code on Espruino that still costs JsVars.
  const espruinoRequire = global.require;
  /** Longer than any start-up: the hal is made later than that after a save()/E.on("init") restore. */
  const START_UP_MAX_SEC = 60;
  return createEspruinoHal({
    require: espruinoRequire,
    E: E,
    getTime: getTime,
    setTime: setTime,
    setTimeout: setTimeout as any,
    clearTimeout: clearTimeout as any,
    setInterval: setInterval as any,
    clearInterval: clearInterval as any,
    print: print,
    process: process as any,
    Function: global.Function,
    hasWifi: options.hasWifi,
    defragForTls: options.defragForTls,
    startSec: getTime() - LOADED_SEC < START_UP_MAX_SEC ? LOADED_SEC : undefined,
  });
}
