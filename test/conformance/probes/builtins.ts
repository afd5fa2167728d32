/**
 * The project's list of Espruino builtins (src/host/espruino-builtins.ts) checked against the
 * interpreter: every member the list has must be there, every standard member it leaves out
 * must be missing. The probes are built from the list, so a change to the list shows up as a
 * difference until the fixtures are recorded again.
 */
import type { Probe, ProbeTopic } from "../../../src/host/conformance/probe.ts";
import { ESPRUINO_MISSING_GLOBALS, ESPRUINO_PROPS, ESPRUINO_STANDARD_GLOBALS } from "../../../src/host/espruino-builtins.ts";

/** Standard members the list leaves out, by object: each must be missing on the interpreter. */
const LEFT_OUT: Record<string, string[]> = {
  Object: ["is", "freeze", "isFrozen", "seal", "preventExtensions", "getOwnPropertySymbols", "groupBy", "hasOwn"],
  "Object.prototype": ["isPrototypeOf", "propertyIsEnumerable", "toLocaleString"],
  Array: ["from", "of"],
  "Array.prototype": [
    "at",
    "copyWithin",
    "entries",
    "findLast",
    "findLastIndex",
    "flat",
    "flatMap",
    "keys",
    "lastIndexOf",
    "reduceRight",
    "values",
    "toReversed",
    "toSorted",
    "with",
  ],
  String: ["raw", "fromCodePoint"],
  "String.prototype": ["at", "codePointAt", "localeCompare", "matchAll", "normalize", "search", "trimStart", "trimEnd", "isWellFormed"],
  Number: ["isInteger", "isFinite", "isNaN", "isSafeInteger", "parseFloat", "parseInt", "EPSILON", "MAX_SAFE_INTEGER", "MIN_SAFE_INTEGER"],
  "Number.prototype": ["toPrecision", "toExponential", "toLocaleString"],
  Math: [
    "trunc",
    "log10",
    "log2",
    "log1p",
    "expm1",
    "cbrt",
    "hypot",
    "fround",
    "imul",
    "clz32",
    "sinh",
    "cosh",
    "tanh",
    "asinh",
    "acosh",
    "atanh",
  ],
  Promise: ["allSettled", "any", "race"],
  "Promise.prototype": ["finally"],
  Date: ["UTC"],
  "Date.prototype": [
    "setUTCDate",
    "setUTCFullYear",
    "setUTCHours",
    "setUTCMilliseconds",
    "setUTCMinutes",
    "setUTCMonth",
    "setUTCSeconds",
    "toDateString",
    "toTimeString",
    "toLocaleString",
    "getYear",
  ],
  ArrayBuffer: ["isView"],
  "ArrayBuffer.prototype": ["slice", "resize"],
  "TypedArray.prototype": ["at", "copyWithin", "entries", "keys", "values", "lastIndexOf", "reduceRight", "findLast"],
  "DataView.prototype": ["getBigInt64", "setBigInt64"],
};

/** An instance to look members up on: Espruino's `in` does not see builtin members, and V8's prototype accessors throw. */
const INSTANCES: Record<string, string> = {
  Object: "{}",
  Function: "(function () {})",
  Array: "[]",
  String: "''",
  Number: "0",
  Boolean: "true",
  Promise: "Promise.resolve()",
  RegExp: "/a/",
  Date: "new Date(0)",
  Error: "new Error('x')",
  ArrayBuffer: "new ArrayBuffer(1)",
  TypedArray: "new Uint8Array(1)",
  DataView: "new DataView(new ArrayBuffer(1))",
};

// Reading a member a string or number lacks throws on Espruino ("Field or method ... does not already exist").
const HAS = "function has(o, k) { try { return o[k] !== undefined; } catch (e) { return false; } }\n";

/** Source of the object whose members a path names. */
function objectSource(path: string): string {
  const [head, proto] = path.split(".");
  return proto ? INSTANCES[head] : head;
}

function membersProbe(path: string, names: string[], wantPresent: boolean): Probe {
  return {
    name: `${path} ${wantPresent ? "has" : "lacks"}`,
    code: `${HAS}var o = ${objectSource(path)}, odd = [];\n${JSON.stringify(names)}.forEach(function (k) { if (has(o, k) !== ${wantPresent}) odd.push(k); });\nprint(${JSON.stringify(wantPresent ? "missing:" : "present:")}, odd.join());`,
  };
}

export default {
  topic: "builtins",
  probes: [
    {
      name: "prototype members read directly",
      code: "print([typeof Array.prototype.map, typeof Function.prototype.call, typeof Object.prototype.hasOwnProperty, typeof String.prototype.charAt, typeof Uint8Array.prototype.set, typeof [].map, typeof ''.charAt].join());",
    },
    {
      name: "added prototype member",
      code: "Array.prototype.myX = function () { return 7; };\nprint(typeof Array.prototype.myX, [].myX());",
    },
    {
      name: "standard globals",
      code: `var odd = [];\n${JSON.stringify(ESPRUINO_STANDARD_GLOBALS)}.forEach(function (k) { if (k !== "undefined" && global[k] === undefined) odd.push(k); });\nprint("missing:", odd.join());`,
    },
    {
      name: "missing globals",
      code: `var odd = [];\n${JSON.stringify(ESPRUINO_MISSING_GLOBALS)}.forEach(function (k) { if (global[k] !== undefined) odd.push(k); });\nprint("present:", odd.join());`,
    },
    ...Object.entries(ESPRUINO_PROPS)
      .filter(([, names]) => names.length)
      .map(([path, names]) => membersProbe(path, names as string[], true)),
    ...Object.entries(LEFT_OUT).map(([path, names]) => membersProbe(path, names, false)),
  ],
} satisfies ProbeTopic;
