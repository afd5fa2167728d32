/**
 * Which JavaScript builtins the Espruino interpreter (2v29) has: everything else is deleted
 * from the simulation's context, so code that needs it fails there as it would on the device.
 *
 * Lists from the interpreter's wrapper sources (src/jswrap_*.c), minus what was seen missing
 * on 2v29 (Array.prototype.fill, String.prototype.repeat: see docs/target-espruino.md).
 * Symbol-keyed properties (iterators) stay: the engine needs them and code cannot name them
 * without the `Symbol` global, which is gone.
 */

/** Globals the context keeps from V8 (the simulation adds Espruino's own on top). */
export const KEEP_GLOBALS = [
  "Object", "Function", "Array", "String", "Number", "Boolean", "Math", "JSON", "Date", "RegExp", "Promise",
  "Error", "SyntaxError", "TypeError", "ReferenceError",
  "ArrayBuffer", "DataView", "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array",
  "Int32Array", "Uint32Array", "Float32Array", "Float64Array",
  "parseInt", "parseFloat", "isNaN", "isFinite", "eval", "encodeURIComponent", "decodeURIComponent",
  "NaN", "Infinity", "undefined", "globalThis",
];

/** Own properties kept, by object; `null` keeps all. Always kept: constructor, prototype, length, name. */
export const KEEP_PROPS: { [path: string]: string[] } = {
  Object: ["assign", "create", "defineProperties", "defineProperty", "entries", "fromEntries", "getOwnPropertyDescriptor",
    "getOwnPropertyDescriptors", "getOwnPropertyNames", "getPrototypeOf", "keys", "setPrototypeOf", "values"],
  "Object.prototype": ["hasOwnProperty", "toString", "valueOf", "__proto__"],
  "Function.prototype": ["apply", "bind", "call", "toString", "arguments", "caller"],
  Array: ["isArray"],
  "Array.prototype": ["concat", "every", "filter", "find", "findIndex", "forEach", "includes", "indexOf", "join", "map",
    "pop", "push", "reduce", "reverse", "shift", "slice", "some", "sort", "splice", "toString", "unshift"],
  String: ["fromCharCode"],
  "String.prototype": ["charAt", "charCodeAt", "concat", "endsWith", "includes", "indexOf", "lastIndexOf", "match",
    "padEnd", "padStart", "replace", "replaceAll", "slice", "split", "startsWith", "substr", "substring", "toLowerCase",
    "toUpperCase", "trim", "toString", "valueOf"],
  Number: ["MAX_VALUE", "MIN_VALUE", "NaN", "NEGATIVE_INFINITY", "POSITIVE_INFINITY"],
  "Number.prototype": ["toFixed", "toString", "valueOf"],
  "Boolean.prototype": ["toString", "valueOf"],
  Math: ["E", "LN10", "LN2", "LOG10E", "LOG2E", "PI", "SQRT1_2", "SQRT2", "abs", "acos", "asin", "atan", "atan2", "ceil",
    "cos", "exp", "floor", "log", "max", "min", "pow", "random", "round", "sign", "sin", "sqrt", "tan"],
  JSON: ["parse", "stringify"],
  Promise: ["all", "resolve", "reject"],
  "Promise.prototype": ["then", "catch"],
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
  "ArrayBuffer.prototype": ["byteLength", "slice"],
  TypedArray: [],
  "TypedArray.prototype": ["buffer", "byteLength", "byteOffset", "every", "fill", "filter", "find", "findIndex", "forEach",
    "includes", "indexOf", "join", "map", "reduce", "reverse", "set", "slice", "some", "sort", "subarray", "toString"],
  "DataView.prototype": ["buffer", "byteLength", "byteOffset", "getFloat32", "getFloat64", "getInt8", "getInt16",
    "getInt32", "getUint8", "getUint16", "getUint32", "setFloat32", "setFloat64", "setInt8", "setInt16", "setInt32",
    "setUint8", "setUint16", "setUint32"],
};

/**
 * Source of the pruning step, run inside the context once the simulation's globals are in:
 * deletes every global not in `keepGlobals` and every string-keyed property not in the lists.
 */
export const PRUNE_SOURCE = `(function (keepGlobals, keepProps) {
  var always = { constructor: 1, prototype: 1, length: 1, name: 1 };
  var TA = Object.getPrototypeOf(Uint8Array);
  var targets = {};
  Object.keys(keepProps).forEach(function (path) {
    var parts = path.split(".");
    var o = parts[0] === "TypedArray" ? TA : globalThis[parts[0]];
    if (parts[1]) o = o && o[parts[1]];
    if (o) targets[path] = o;
  });
  Object.keys(targets).forEach(function (path) {
    var o = targets[path], keep = {};
    keepProps[path].forEach(function (k) { keep[k] = 1; });
    Object.getOwnPropertyNames(o).forEach(function (k) {
      if (!always[k] && !keep[k]) delete o[k];
    });
  });
  Object.getOwnPropertyNames(globalThis).forEach(function (k) {
    if (keepGlobals.indexOf(k) < 0) delete globalThis[k];
  });
})`;
