/**
 * What of the standard JavaScript library the Espruino interpreter (2v29: ESP32, ESP8266_4MB
 * and Linux builds, none with SAVE_ON_FLASH) has: the one list both the build gate
 * (src/host/build/gate.ts) and the simulation (src/host/sim/builtins.ts) go by.
 *
 * From Espruino's src/jswrap_*.c, checked on the Linux build (`/opt/espruino/espruino`) with
 * `typeof x[name]` for each name V8 has. Seen missing there, among others: `.at` (arrays,
 * strings, typed arrays), `.matchAll`, `.search`, array and typed-array `.keys()` / `.values()`
 * / `.entries()` / `.lastIndexOf`, `ArrayBuffer.prototype.slice`, `Date.prototype.setUTC*`,
 * `Object.prototype.isPrototypeOf`, `Number.prototype.toPrecision`, `Promise.prototype.finally`.
 */

/** Standard globals Espruino has (besides its own: E, require, print, setWatch...). */
export const ESPRUINO_STANDARD_GLOBALS: readonly string[] = [
  "Object", "Function", "Array", "String", "Number", "Boolean", "Math", "JSON", "Date", "RegExp", "Promise",
  "Error", "SyntaxError", "TypeError", "ReferenceError",
  "ArrayBuffer", "DataView", "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array",
  "Int32Array", "Uint32Array", "Float32Array", "Float64Array",
  "parseInt", "parseFloat", "isNaN", "isFinite", "eval", "encodeURIComponent", "decodeURIComponent",
  "NaN", "Infinity", "undefined", "globalThis",
];

/** Standard globals Espruino does not have at all. */
export const ESPRUINO_MISSING_GLOBALS: readonly string[] = [
  "Map", "Set", "WeakMap", "WeakSet", "WeakRef", "FinalizationRegistry", "Symbol", "Proxy",
  "Reflect", "BigInt", "BigInt64Array", "BigUint64Array", "Intl", "SharedArrayBuffer", "Atomics",
  "AggregateError", "TextEncoder", "TextDecoder", "queueMicrotask", "structuredClone",
  "escape", "unescape", "EvalError", "URIError",
];

/**
 * Own properties Espruino has, by object (`TypedArray` is the common base of the typed arrays).
 * Not listed and always there: constructor, prototype, length, name. Properties Espruino has
 * but the project bans are listed too (`Array.prototype.fill`, `String.prototype.repeat`: see
 * docs/target-espruino.md); the gate refuses them separately and the simulation drops them.
 */
export const ESPRUINO_PROPS: Readonly<Record<string, readonly string[]>> = {
  Object: ["assign", "create", "defineProperties", "defineProperty", "entries", "fromEntries", "getOwnPropertyDescriptor",
    "getOwnPropertyDescriptors", "getOwnPropertyNames", "getPrototypeOf", "keys", "setPrototypeOf", "values"],
  "Object.prototype": ["hasOwnProperty", "toString", "valueOf", "__proto__"],
  // arguments and caller: V8 accessors the simulation keeps; Espruino has neither.
  "Function.prototype": ["apply", "bind", "call", "toString", "arguments", "caller"],
  Array: ["isArray"],
  "Array.prototype": ["concat", "every", "fill", "filter", "find", "findIndex", "forEach", "includes", "indexOf", "join", "map",
    "pop", "push", "reduce", "reverse", "shift", "slice", "some", "sort", "splice", "toString", "unshift"],
  String: ["fromCharCode"],
  "String.prototype": ["charAt", "charCodeAt", "concat", "endsWith", "includes", "indexOf", "lastIndexOf", "match",
    "padEnd", "padStart", "repeat", "replace", "replaceAll", "slice", "split", "startsWith", "substr", "substring",
    "toLowerCase", "toUpperCase", "trim", "toString", "valueOf"],
  Number: ["MAX_VALUE", "MIN_VALUE", "NaN", "NEGATIVE_INFINITY", "POSITIVE_INFINITY"],
  "Number.prototype": ["toFixed", "toString", "valueOf"],
  "Boolean.prototype": ["toString", "valueOf"],
  // randInt, clip and wrap are Espruino's own (jswrap_math.c).
  Math: ["E", "LN10", "LN2", "LOG10E", "LOG2E", "PI", "SQRT1_2", "SQRT2", "abs", "acos", "asin", "atan", "atan2", "ceil",
    "cos", "exp", "floor", "log", "max", "min", "pow", "random", "round", "sign", "sin", "sqrt", "tan",
    "randInt", "clip", "wrap"],
  JSON: ["parse", "stringify"],
  Promise: ["all", "resolve", "reject"],
  "Promise.prototype": ["then", "catch"],
  // Espruino has only source, flags and lastIndex of these; V8's other flag accessors stay
  // because its own string methods (replace, split with a RegExp) read them.
  "RegExp.prototype": ["exec", "test", "toString", "flags", "global", "ignoreCase", "multiline", "source", "sticky",
    "unicode", "dotAll", "hasIndices", "lastIndex"],
  Date: ["now", "parse"],
  "Date.prototype": ["getDate", "getDay", "getFullYear", "getHours", "getMilliseconds", "getMinutes", "getMonth",
    "getSeconds", "getTime", "getTimezoneOffset", "getUTCDate", "getUTCDay", "getUTCFullYear", "getUTCHours",
    "getUTCMilliseconds", "getUTCMinutes", "getUTCMonth", "getUTCSeconds", "setDate", "setFullYear", "setHours",
    "setMilliseconds", "setMinutes", "setMonth", "setSeconds", "setTime", "toISOString", "toJSON", "toString",
    "toUTCString", "valueOf"],
  "Error.prototype": ["message", "toString"],
  ArrayBuffer: [],
  "ArrayBuffer.prototype": ["byteLength"],
  TypedArray: [],
  "TypedArray.prototype": ["buffer", "byteLength", "byteOffset", "every", "fill", "filter", "find", "findIndex", "forEach",
    "includes", "indexOf", "join", "map", "reduce", "reverse", "set", "slice", "some", "sort", "subarray", "toString"],
  "DataView.prototype": ["buffer", "byteLength", "byteOffset", "getFloat32", "getFloat64", "getInt8", "getInt16",
    "getInt32", "getUint8", "getUint16", "getUint32", "setFloat32", "setFloat64", "setInt8", "setInt16", "setInt32",
    "setUint8", "setUint16", "setUint32"],
};

/** Builtins Espruino 2v29 has but the project's target list bans (docs/target-espruino.md). */
export const BANNED_PROPS: Readonly<Record<string, readonly string[]>> = {
  "Array.prototype": ["fill"],
  "String.prototype": ["repeat"],
};

/** The constructors whose instances share `TypedArray.prototype`. */
export const TYPED_ARRAYS: readonly string[] = [
  "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array",
  "Float32Array", "Float64Array",
];
