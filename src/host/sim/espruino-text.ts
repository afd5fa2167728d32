/**
 * Where Espruino's builtins make text differently from V8's, the simulation's context gets
 * Espruino's behaviour (each one seen in the conformance fixtures, test/conformance/):
 * numbers in `String(n)`, `n.toString()`, `toFixed`, `join` and `JSON.stringify` (number-text.ts);
 * `String.fromCharCode` keeping only the low byte of each code; JSON.stringify and JSON.parse
 * as Espruino's writer and reader (espruino-json.ts); parseInt and parseFloat as its parsers;
 * `split` ignoring its limit; `replace` without `$&`-style patterns; `Math.round` rounding halves away from zero; `Math.pow` and `Math.sqrt` as Espruino computes them; `toUpperCase`/`toLowerCase` and `encodeURIComponent`/`decodeURIComponent` as its byte-wise versions; Espruino's own Math.clip, Math.wrap, Math.randInt.
 * Number-to-text inside `+` and template literals is the source rewrite's (espruino-source.ts).
 */
import * as vm from "node:vm";
import { espruinoJson, espruinoJsonParse, jsonWhitespace, STRINGIFY } from "./espruino-json.ts";
import { espruinoNumberText, espruinoParseFloat, espruinoParseInt, espruinoToFixed } from "./number-text.ts";

/**
 * The source of the patch, run in the context before pruning; called with the host helpers
 * (number text, JSON, number parsing) and Math.random's source.
 */
const PATCH_SOURCE = `(function (text, toFixed, random, H) {
  var R = Reflect, RS = String, NP = Number.prototype, AP = Array.prototype, SP = RS.prototype;
  var TAP = Object.getPrototypeOf(Uint8Array.prototype);
  var numValue = NP.valueOf, fromCharCode = RS.fromCharCode, join = AP.join;
  var split = SP.split, indexOf = SP.indexOf, exec = RegExp.prototype.exec;
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
  // jswrap_json.c: Espruino's own writer and reader (espruino-json.ts).
  define(JSON, "stringify", function (value, replacer, space) { return H.stringify(value, space); });
  function newObject() { return {}; }
  function newArray() { return []; }
  define(JSON, "parse", function (v) {
    var r = H.parse(S(v), false, newObject, newArray);
    if (r.error !== undefined) throw new SyntaxError(r.error);
    return r.value;
  });
  // jswrap_parseInt / jswrap_parseFloat: Espruino's parsers (number-text.ts).
  define(globalThis, "parseInt", function (v, radix) {
    if (typeof v === "number" && v - v !== 0) return NaN;
    return H.parseInt(S(v), typeof radix === "number" ? radix | 0 : 0);
  });
  define(globalThis, "parseFloat", function (v) { return H.parseFloat(S(v)); });
  // jswrap_string_split: the limit argument is ignored.
  define(SP, "split", function (separator) { return split.call(this, separator); });
  // _jswrap_string_replace: with a string pattern the replacement is used as it is (no $
  // patterns, a function turned to text); with a RegExp only $1-$9 expand, and a function gets
  // (match, groups..., index, input).
  function replace(str, pattern, replacement, all) {
    str = S(str);
    if (pattern instanceof RegExp) {
      var global = all || pattern.global, out = "", last = 0, m;
      pattern.lastIndex = 0;
      m = exec.call(pattern, str);
      while (m) {
        out += str.slice(last, m.index);
        if (typeof replacement === "function") {
          out += S(replacement.apply(undefined, m.slice(0, 11).concat([m.index, m.input])));
        } else {
          var rep = S(replacement);
          for (var i = 0; i < rep.length; i++) {
            var ch = rep[i];
            if (ch === "$") {
              var d = rep[++i];
              if (d > "0" && d <= "9" && m[+d] !== undefined) out += m[+d];
              else out += "$" + (d === undefined ? "" : d);
            } else out += ch;
          }
        }
        last = m.index + m[0].length;
        var empty = m[0].length === 0;
        m = null;
        if (global) {
          pattern.lastIndex = last + (empty ? 1 : 0);
          m = exec.call(pattern, str);
        }
      }
      if (global) pattern.lastIndex = 0;
      return out + str.slice(last);
    }
    var sub = S(pattern), rep2 = S(replacement), idx = indexOf.call(str, sub);
    while (idx >= 0) {
      str = str.slice(0, idx) + rep2 + str.slice(idx + sub.length);
      idx = all ? indexOf.call(str, sub, idx + rep2.length) : -1;
    }
    return str;
  }
  define(SP, "replace", function (pattern, replacement) { return replace(this, pattern, replacement, false); });
  define(SP, "replaceAll", function (pattern, replacement) { return replace(this, pattern, replacement, true); });
  define(Math, "round", function (x) {
    x = +x;
    if (x !== x || x - x !== 0 || (x === 0 && 1 / x < 0)) return x;
    x += x < 0 ? -0.5 : 0.5;
    var i = x < 0 ? Math.ceil(x) : Math.floor(x);
    return i === 0 && x < 0 ? -0 : i;
  });
  // jswrap_string_toUpperLowerCase: byte by byte with charToUpperCase, whose à-þ ranges never
  // hold for a signed char (x86, as recorded): only a-z (A-Z) change; 'é' stays, and so do the
  // bytes of UTF-8 text.
  function caseMap(str, upper) {
    var out = "";
    for (var i = 0; i < str.length; i++) {
      var c = str.charCodeAt(i);
      if (upper ? c >= 97 && c <= 122 : c >= 65 && c <= 90) c += upper ? -32 : 32;
      out += fromCharCode(c);
    }
    return out;
  }
  define(SP, "toUpperCase", function () { return caseMap(S(this), true); });
  define(SP, "toLowerCase", function () { return caseMap(S(this), false); });
  // jswrap_encodeURIComponent: byte by byte; the byte is a signed char, so one above 0x7F
  // gets a wrong first hex digit (0xE9 is "%59"). A char above 0xFF is its UTF-8 bytes, as a
  // Unicode build stores it.
  function hexDigit(d) { return fromCharCode(d > 9 ? (65 + d - 10) & 255 : 48 + d); }
  function escapeByte(b) { return "%" + hexDigit((b < 128 ? b : (b | 0xffffff00) >>> 0) >>> 4) + hexDigit(b & 15); }
  function utf8(code) {
    if (code < 0x800) return [0xc0 | (code >> 6), 0x80 | (code & 63)];
    if (code < 0x10000) return [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63)];
    return [0xf0 | (code >> 18), 0x80 | ((code >> 12) & 63), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63)];
  }
  var URI_KEEP = "-.!~*'()_";
  define(globalThis, "encodeURIComponent", function (v) {
    var str = S(v), out = "";
    for (var i = 0; i < str.length; i++) {
      var c = str.charCodeAt(i);
      if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || indexOf.call(URI_KEEP, str[i]) >= 0) { out += str[i]; continue; }
      if (c <= 0xff) { out += escapeByte(c); continue; }
      if (c >= 0xd800 && c < 0xdc00 && i + 1 < str.length) {
        var lo = str.charCodeAt(i + 1);
        if (lo >= 0xdc00 && lo < 0xe000) { c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00); i++; }
      }
      utf8(c).forEach(function (b) { out += escapeByte(b); });
    }
    return out;
  });
  // jswrap_decodeURIComponent: ASCII only; an escape is hexToByte cast to a signed char, so one
  // of a byte above 0x7F is "Invalid URI" (and chtod takes any letter: "%zz" is "S").
  function hexValue(ch) {
    var c = ch === undefined ? 0 : ch.charCodeAt(0);
    if (c >= 48 && c <= 57) return c - 48;
    if (c >= 97 && c <= 122) return c - 87;
    if (c >= 65 && c <= 90) return c - 55;
    return -1;
  }
  define(globalThis, "decodeURIComponent", function (v) {
    var str = S(v), out = "";
    for (var i = 0; i < str.length; i++) {
      if (str.charCodeAt(i) > 0x7f) throw new Error("ASCII only");
      if (str[i] !== "%") { out += str[i]; continue; }
      var hi = hexValue(str[i + 1]), lo = hexValue(str[i + 2]);
      i += 2;
      var byte = hi < 0 || lo < 0 ? -1 : ((hi << 4) | lo) & 255;
      if (byte < 0 || byte > 0x7f) throw new Error("Invalid URI");
      out += fromCharCode(byte);
    }
    return out;
  });
  // jswrap_math_pow: small integer powers by repeated multiplication, others as exp(log(x) * y)
  // (so Math.pow(10, 22) is not 1e22); Math.sqrt is pow(x, 0.5) the same way. The C library's
  // exp and log (glibc on Linux, newlib on boards) can differ from V8's in the last bit.
  var exp = Math.exp, log = Math.log;
  function pow(x, y) {
    x = +x; y = +y;
    var yi = y < 0 ? Math.ceil(y) : Math.floor(y);
    if (yi >= 0 && yi < 10 && yi === y) {
      if (yi === 0) return 1;
      var p = x;
      for (; yi > 1; yi--) p *= x;
      return p;
    }
    if (x < 0 && y % 1 === 0) return y % 2 === 0 ? exp(log(-x) * y) : -exp(log(-x) * y);
    return x !== 0 || 0 >= y ? exp(log(x) * y) : 0;
  }
  define(Math, "pow", pow);
  define(Math, "sqrt", function (x) { x = +x; return x >= 0 ? exp(log(x) * 0.5) : NaN; });
  define(Math, "clip", function (x, min, max) { x = +x; if (x < min) x = +min; if (x > max) x = +max; return x; });
  define(Math, "wrap", function (x, max) { x = +x; max = +max; var r = x % max; return r < 0 ? r + max : r; });
  define(Math, "randInt", function (range) {
    var r = Math.floor(random() * 2147483648);
    return range > 0 ? r % range : (Math.floor(random() * 4294967296) | 0);
  });
})`;

/** Installs Espruino's text behaviour in a fresh context (before its builtins are pruned). */
/** The host side of the patch: JSON and number parsing as Espruino does them. */
const HELPERS = {
  stringify: (value: unknown, space: unknown) => espruinoJson(value, { ...STRINGIFY, whitespace: jsonWhitespace(space) }),
  parse: (text: string, dropQuotes: boolean, newObject: () => Record<string, unknown>, newArray: () => unknown[]) =>
    espruinoJsonParse(text, { dropQuotes, newObject, newArray }),
  parseInt: espruinoParseInt,
  parseFloat: espruinoParseFloat,
};

export function installEspruinoText(ctx: vm.Context, random: () => number): void {
  vm.runInContext(PATCH_SOURCE, ctx)(espruinoNumberText, espruinoToFixed, random, HELPERS);
}
