/**
 * `Number` as Espruino has it: only the constants jswrap_number.c defines (a new constructor,
 * since V8's `Number.MAX_SAFE_INTEGER` and `EPSILON` cannot be deleted), and text turned into a
 * number only as a whole, untrimmed (number-text.ts).
 */
import * as vm from "node:vm";
import { espruinoStringToNumber } from "./number-text.ts";

const NUMBER_SOURCE = `(function (strNum) {
  var R = Reflect;
  var RN = Number;
  function N(v) {
    if (new.target) return R.construct(RN, arguments.length ? [v] : [], new.target);
    if (!arguments.length) return 0;
    // jsvGetFloat: a string is a number only as a whole, untrimmed (Number(' 7 ') is NaN).
    return typeof v === "string" ? strNum(v) : RN(v);
  }
  N.prototype = RN.prototype;
  Object.defineProperty(RN.prototype, "constructor", { value: N, writable: true, configurable: true });
  ["MAX_VALUE", "MIN_VALUE", "NaN", "NEGATIVE_INFINITY", "POSITIVE_INFINITY"].forEach(function (k) { N[k] = RN[k]; });
  Object.defineProperty(globalThis, "Number", { value: N, writable: true, configurable: true });
})`;

export function installEspruinoNumber(ctx: vm.Context): void {
  vm.runInContext(NUMBER_SOURCE, ctx)(espruinoStringToNumber);
}
