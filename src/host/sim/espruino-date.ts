/**
 * Date as Espruino's jswrap_date.c has it, over V8's Date on the interpreter's clock:
 * - `Date()` called as a function builds a Date too (jswrap_date_constructor has one path);
 * - the time is a double: `new Date(1.7).getTime()` is 1.7 (a fraction of a ms V8 drops is
 *   kept beside the Date until a setter recomputes the time from its fields);
 * - text it cannot read is 0 (`Date.parse('nope')`, `new Date('nope')` are the epoch), never NaN;
 * - `toString` is `Thu Jan 1 2026 00:00:00 GMT+0000` and `toUTCString` `Thu, 1 Jan 2026 00:00:00 GMT`
 *   (the day not padded, no zone name).
 */
import * as vm from "node:vm";

const DATE_SOURCE = `(function (nowMs) {
  var RD = Date, R = Reflect, slice = Array.prototype.slice, DP = RD.prototype;
  var rdGetTime = DP.getTime, rdSetTime = DP.setTime, rdParse = RD.parse;
  var fraction = new WeakMap(), trunc = Math.trunc;
  var DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  function define(o, k, v) { Object.defineProperty(o, k, { value: v, writable: true, configurable: true, enumerable: false }); }
  function parse(s) {
    if (typeof s !== "string") return 0;
    var t = rdParse(s);
    return t === t ? t : 0;
  }
  function D() {
    var a = arguments.length === 0 ? [nowMs()] : slice.call(arguments);
    if (a.length === 1 && typeof a[0] === "string") a[0] = parse(a[0]);
    var d = R.construct(RD, a, new.target || D);
    if (a.length === 1 && typeof a[0] === "number") setFraction(d, a[0]);
    return d;
  }
  function setFraction(d, t) {
    var f = t - trunc(t);
    if (f && t - t === 0) fraction.set(d, f); else fraction.delete(d);
  }
  function time() { return rdGetTime.call(this) + (fraction.get(this) || 0); }
  D.prototype = DP;
  define(DP, "constructor", D);
  define(D, "now", function () { return nowMs(); });
  define(D, "parse", parse);
  define(DP, "getTime", time);
  define(DP, "valueOf", time);
  define(DP, "setTime", function (t) { var r = rdSetTime.call(this, t); setFraction(this, +t); return r + (fraction.get(this) || 0); });
  Object.getOwnPropertyNames(DP).forEach(function (k) {
    if (!/^set(?!Time$)/.test(k)) return;
    var set = DP[k];
    define(DP, k, function () { fraction.delete(this); return set.apply(this, arguments); });
  });
  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  define(DP, "toString", function () {
    var zone = -this.getTimezoneOffset(), sign = zone < 0 ? "-" : "+";
    zone = Math.abs(zone);
    var z = ((zone / 60) | 0) * 100 + (zone % 60);
    return DAYS[this.getDay()] + " " + MONTHS[this.getMonth()] + " " + this.getDate() + " " + this.getFullYear() + " " +
      pad(this.getHours()) + ":" + pad(this.getMinutes()) + ":" + pad(this.getSeconds()) + " GMT" + sign + ("000" + z).slice(-4);
  });
  define(DP, "toUTCString", function () {
    return DAYS[this.getUTCDay()] + ", " + this.getUTCDate() + " " + MONTHS[this.getUTCMonth()] + " " + this.getUTCFullYear() + " " +
      pad(this.getUTCHours()) + ":" + pad(this.getUTCMinutes()) + ":" + pad(this.getUTCSeconds()) + " GMT";
  });
  define(globalThis, "Date", D);
})`;

/** Installs Espruino's Date in a fresh context, on the clock `nowMs` (epoch ms). */
export function installEspruinoDate(ctx: vm.Context, nowMs: () => number): void {
  vm.runInContext(DATE_SOURCE, ctx)(nowMs);
}
