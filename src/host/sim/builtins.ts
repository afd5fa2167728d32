/**
 * Which JavaScript builtins the Espruino interpreter (2v29) has: everything else is deleted
 * from the simulation's context, so code that needs it fails there as it would on the device.
 *
 * The lists are src/host/espruino-builtins.ts, shared with the build gate.
 * Symbol-keyed properties (iterators) stay: the engine needs them and code cannot name them
 * without the `Symbol` global, which is gone.
 */

import { BANNED_PROPS, ESPRUINO_PROPS, ESPRUINO_STANDARD_GLOBALS } from "../espruino-builtins.ts";

/** Globals the context keeps from V8 (the simulation adds Espruino's own on top). */
export const KEEP_GLOBALS: string[] = [...ESPRUINO_STANDARD_GLOBALS];

/**
 * Own properties kept, by object: what Espruino has (src/host/espruino-builtins.ts) minus what
 * the project bans. Always kept: constructor, prototype, length, name.
 */
export const KEEP_PROPS: { [path: string]: string[] } = Object.fromEntries(
  Object.entries(ESPRUINO_PROPS).map(([path, names]) => [path, names.filter((k) => !BANNED_PROPS[path]?.includes(k))]),
);

/**
 * Source of the pruning step, run inside the context once the simulation's globals are in:
 * deletes every global not in `keepGlobals` and every string-keyed property not in the lists.
 */
export const PRUNE_SOURCE = `(function (keepGlobals, keepProps) {
  // Null-prototype sets: a plain {} would "have" every Object.prototype name and keep it.
  var always = Object.create(null);
  ["constructor", "prototype", "length", "name"].forEach(function (k) { always[k] = 1; });
  var TA = Object.getPrototypeOf(Uint8Array);
  var targets = {};
  Object.keys(keepProps).forEach(function (path) {
    var parts = path.split(".");
    var o = parts[0] === "TypedArray" ? TA : globalThis[parts[0]];
    if (parts[1]) o = o && o[parts[1]];
    if (o) targets[path] = o;
  });
  Object.keys(targets).forEach(function (path) {
    var o = targets[path], keep = Object.create(null);
    keepProps[path].forEach(function (k) { keep[k] = 1; });
    Object.getOwnPropertyNames(o).forEach(function (k) {
      if (!always[k] && !keep[k]) delete o[k];
    });
  });
  Object.getOwnPropertyNames(globalThis).forEach(function (k) {
    if (keepGlobals.indexOf(k) < 0) delete globalThis[k];
  });
})`;
