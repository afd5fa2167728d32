/**
 * What the Espruino interpreter (2v29: ESP32, ESP8266_4MB and Linux builds, none with
 * SAVE_ON_FLASH) offers of the standard library, from src/jswrap_*.c in Espruino's source and
 * checked on the Linux build. The build gate refuses what is not here.
 */

/** Globals Espruino does not have at all. */
export const MISSING_GLOBALS: ReadonlySet<string> = new Set([
  "Map", "Set", "WeakMap", "WeakSet", "WeakRef", "FinalizationRegistry", "Symbol", "Proxy",
  "Reflect", "BigInt", "BigInt64Array", "BigUint64Array", "Intl", "SharedArrayBuffer", "Atomics",
  "AggregateError", "TextEncoder", "TextDecoder", "queueMicrotask", "structuredClone",
  "escape", "unescape", "EvalError", "URIError",
]);

/**
 * Static members each builtin constructor has (src/jswrap_math.c, jswrap_number.c,
 * jswrap_object.c, jswrap_promise.c, jswrap_array.c, jswrap_string.c, jswrap_date.c,
 * jswrap_json.c). Any other static member of these is refused.
 */
export const STATIC_MEMBERS: Readonly<Record<string, ReadonlySet<string>>> = {
  Math: new Set([
    "E", "PI", "LN2", "LN10", "LOG2E", "LOG10E", "SQRT2", "SQRT1_2", "abs", "acos", "asin", "atan",
    "atan2", "cos", "pow", "random", "randInt", "round", "sin", "tan", "sqrt", "ceil", "floor", "exp",
    "log", "clip", "wrap", "min", "max", "sign",
  ]),
  Number: new Set(["NaN", "MAX_VALUE", "MIN_VALUE", "NEGATIVE_INFINITY", "POSITIVE_INFINITY", "prototype"]),
  Object: new Set([
    "keys", "getOwnPropertyNames", "values", "entries", "fromEntries", "create",
    "getOwnPropertyDescriptor", "getOwnPropertyDescriptors", "defineProperty", "defineProperties",
    "getPrototypeOf", "setPrototypeOf", "assign", "prototype",
  ]),
  Promise: new Set(["all", "resolve", "reject", "prototype"]),
  Array: new Set(["isArray", "prototype"]),
  String: new Set(["fromCharCode", "prototype"]),
  Date: new Set(["now", "parse", "prototype"]),
  JSON: new Set(["stringify", "parse"]),
  ArrayBuffer: new Set(["prototype"]),
  Uint8Array: new Set(["prototype"]),
  Int8Array: new Set(["prototype"]),
  Uint8ClampedArray: new Set(["prototype"]),
  Uint16Array: new Set(["prototype"]),
  Int16Array: new Set(["prototype"]),
  Uint32Array: new Set(["prototype"]),
  Int32Array: new Set(["prototype"]),
  Float32Array: new Set(["prototype"]),
  Float64Array: new Set(["prototype"]),
};

/**
 * Method names no Espruino builtin has. A call `x.name(...)` is refused unless the bundle itself
 * defines a method or property of that name (then `x` may well be one of its own objects).
 */
export const MISSING_METHODS: ReadonlySet<string> = new Set([
  "codePointAt", "normalize", "localeCompare", "trimStart", "trimEnd", "finally", "flat", "flatMap",
  "findLast", "findLastIndex", "copyWithin", "reduceRight", "toPrecision", "toExponential",
  "toSorted", "toReversed", "toSpliced",
]);

/**
 * Methods Espruino 2v29 has (src/jswrap_array.c, jswrap_string.c: present unless SAVE_ON_FLASH)
 * but that the project's target list bans (docs/target-espruino.md), so the gate refuses them too.
 * `fill` is refused only on receivers that are plainly arrays (typed arrays have their own fill).
 */
export const BANNED_METHODS: ReadonlySet<string> = new Set(["repeat"]);
export const BANNED_ARRAY_METHODS: ReadonlySet<string> = new Set(["fill"]);

/**
 * Calls whose function arguments run later, not during the call: a function passed to these is
 * not treated as running "now" by the use-before-declaration rule.
 */
export const DEFERRING_CALLS: ReadonlySet<string> = new Set([
  "setTimeout", "setInterval", "setWatch", "on", "once", "addListener", "then", "catch",
  "prependListener",
]);
