/**
 * Where Espruino's builtins make text differently from V8's, the simulation's context gets
 * Espruino's behaviour (each one seen in the conformance fixtures, test/conformance/):
 * numbers in `String(n)`, `n.toString()`, `toFixed`, `join` and `JSON.stringify` (number-text.ts);
 * `String.fromCharCode` keeping only the low byte of each code; JSON strings escaping every
 * char from 0x7F as `\uXXXX` (upper-case hex), typed arrays as arrays, the replacer ignored;
 * `Math.round` rounding halves away from zero; Espruino's own Math.clip, Math.wrap, Math.randInt.
 * Number-to-text inside `+` and template literals cannot be changed: see the known gaps.
 */
import * as vm from "node:vm";
import { espruinoNumberText, espruinoToFixed } from "./number-text.ts";

/** Marks a number JSON.stringify has to write (a char no JSON text of V8 leaves unescaped). */
const NUMBER_MARK = "\u0001#";

/**
 * The source of the patch, run in the context before pruning; called with the number helpers
 * and Math.random's source.
 */
const PATCH_SOURCE = `(function (text, toFixed, random, MARK) {
  var R = Reflect, RS = String, NP = Number.prototype, AP = Array.prototype;
  var TAP = Object.getPrototypeOf(Uint8Array.prototype);
  var numValue = NP.valueOf, fromCharCode = RS.fromCharCode, join = AP.join;
  var stringify = JSON.stringify, isView = ArrayBuffer.isView, slice = AP.slice;
  function define(o, k, v) { Object.defineProperty(o, k, { value: v, writable: true, configurable: true, enumerable: false }); }
  define(NP, "toString", function (radix) { return text(numValue.call(this), radix === undefined ? 10 : +radix); });
  define(NP, "toFixed", function (digits) { return toFixed(numValue.call(this), digits); });
  function S(v) {
    if (new.target) return R.construct(RS, arguments.length ? [v] : [], new.target);
    if (!arguments.length) return "";
    return typeof v === "number" ? text(v) : RS(v);
  }
  S.prototype = RS.prototype;
  define(RS.prototype, "constructor", S);
  define(S, "fromCharCode", function () {
    var codes = [];
    for (var i = 0; i < arguments.length; i++) codes.push(arguments[i] & 255);
    return fromCharCode.apply(RS, codes);
  });
  define(globalThis, "String", S);
  function textOf(list) {
    var out = [];
    for (var i = 0; i < list.length; i++) out.push(typeof list[i] === "number" ? text(list[i]) : list[i]);
    return out;
  }
  define(AP, "join", function (sep) { return join.call(textOf(this), sep); });
  define(TAP, "join", function (sep) { return join.call(textOf(this), sep); });
  define(JSON, "stringify", function (value, replacer, indent) {
    var out = stringify(value, function (k, v) {
      if (typeof v === "number" && v - v === 0) return MARK + text(v) + MARK;
      if (v && typeof v === "object" && isView(v) && !(v instanceof DataView)) return slice.call(v);
      return v;
    }, indent);
    if (out === undefined) return out;
    return out.replace(/"\\\\u0001#([^"\\\\]*)\\\\u0001#"/g, "$1").replace(/(\\\\\\\\)|\\\\u([0-9a-f]{4})|([\\u007f-\\uffff])/g, function (m, bs, hex, ch) {
      if (bs) return bs;
      if (hex) return "\\\\u" + hex.toUpperCase();
      return "\\\\u" + ("000" + ch.charCodeAt(0).toString(16)).slice(-4).toUpperCase();
    });
  });
  define(Math, "round", function (x) {
    x = +x;
    if (x !== x || x - x !== 0 || (x === 0 && 1 / x < 0)) return x;
    x += x < 0 ? -0.5 : 0.5;
    var i = x < 0 ? Math.ceil(x) : Math.floor(x);
    return i === 0 && x < 0 ? -0 : i;
  });
  define(Math, "clip", function (x, min, max) { x = +x; if (x < min) x = +min; if (x > max) x = +max; return x; });
  define(Math, "wrap", function (x, max) { x = +x; max = +max; var r = x % max; return r < 0 ? r + max : r; });
  define(Math, "randInt", function (range) {
    var r = Math.floor(random() * 2147483648);
    return range > 0 ? r % range : (Math.floor(random() * 4294967296) | 0);
  });
})`;

/** Installs Espruino's text behaviour in a fresh context (before its builtins are pruned). */
export function installEspruinoText(ctx: vm.Context, random: () => number): void {
  vm.runInContext(PATCH_SOURCE, ctx)(espruinoNumberText, espruinoToFixed, random, NUMBER_MARK);
}
