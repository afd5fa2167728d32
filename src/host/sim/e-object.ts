/**
 * Espruino's `E` object in the simulation: the byte and text helpers as jswrap_espruino.c does
 * them, boot code in Storage, error flags and the random source of the device; the hardware it
 * would reach (temperature, watchdog, console) answers without effect.
 */
import { crc32 } from "./crc32.ts";
import { mapInPlace } from "./map-in-place.ts";
import { binaryBytes, bytesBinary } from "./storage.ts";
import { valueBytes } from "./value-bytes.ts";
import type { SimHost } from "./host.ts";

export interface EObjectOptions {
  host: SimHost;
  /** `E.defrag()`: V8's memory does not fragment, the device only counts the calls. */
  defrag: () => void;
  /** `E.getSizeOf(v)`: the JsVars a value takes (memory.ts). */
  sizeOf: (v: unknown) => number;
  /** The interpreter's error flags now (`E.getErrorFlags()`). */
  errorFlags: () => string[];
  /** `E.reboot()`: boots again once the current task returns. */
  reboot: () => void;
  /** The device's random source, and `E.srand(seed)` reseeding it. */
  random: () => number;
  reseed: (seed: number) => void;
}

/** Makes `E` for one boot of the device. */
export function createEObject(options: EObjectOptions): any {
  const { host } = options;
  return host.newObject({
    CRC32: (data: unknown) => crc32(valueBytes(data)),
    mapInPlace: (from: unknown, to: unknown, map?: unknown, bits?: number) => mapInPlace(from, to, map, bits),
    sum: (arr: unknown) => {
      if (typeof arr === "string") return [...binaryBytes(arr)].reduce((a, b) => a + b, 0);
      if (Array.isArray(arr) || ArrayBuffer.isView(arr))
        return Array.from(arr as ArrayLike<unknown>).reduce((a: number, b) => a + Number(b), 0);
      throw new Error(`First argument must be Array, not ${typeof arr}`);
    },
    toString: (...args: unknown[]) => bytesBinary(valueBytes(args.length === 1 ? args[0] : args)),
    toUint8Array: (...args: unknown[]) => host.newBytes(valueBytes(args.length === 1 ? args[0] : args)),
    toArrayBuffer: (s: unknown) => host.newBytes(valueBytes(String(s))).buffer,
    toJS: (v: unknown) => JSON.stringify(v),
    defrag: () => {
      options.defrag();
    },
    getSizeOf: (v: unknown) => options.sizeOf(v),
    setBootCode: (code: unknown, alwaysExec?: unknown) =>
      host.guard(() => {
        host.storage.erase(".bootcde");
        host.storage.erase(".bootrst");
        const s = code === undefined ? "" : String(code);
        if (s.length) host.storage.write(alwaysExec ? ".bootrst" : ".bootcde", binaryBytes(s));
      }),
    getErrorFlags: () => host.newArray(options.errorFlags()),
    reboot: () => options.reboot(),
    hwRand: () => Math.floor(options.random() * 4294967296) | 0,
    srand: (seed: unknown) => {
      options.reseed(Number(seed));
    },
    // The Unicode build: text from UTF-8 bytes, and back (ASCII stays as it is).
    asUTF8: (s: unknown) => Buffer.from(String(s), "latin1").toString("utf8"),
    fromUTF8: (s: unknown) => (/^[\0-\x7f]*$/.test(String(s)) ? String(s) : Buffer.from(String(s), "utf8").toString("latin1")),
    decodeUTF8: (s: unknown) => Buffer.from(String(s), "latin1").toString("utf8"),
    getTemperature: () => 25,
    setTimeZone: () => {},
    enableWatchdog: () => {},
    kickWatchdog: () => {},
    getConsole: () => "Serial1",
    setConsole: () => {},
    clip: (x: number, min: number, max: number) => Math.min(Math.max(x, min), max),
  });
}
