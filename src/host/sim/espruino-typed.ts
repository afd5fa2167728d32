/**
 * Typed arrays and DataView as Espruino's jswrap_arraybuffer.c and jswrap_dataview.c have them:
 * - `TypedArray#set` writes what fits and drops the rest (V8 throws RangeError);
 * - a DataView is a window with no bounds of its own: `byteLength` is the one given or the whole
 *   buffer's (even with an offset), reads and writes go by the buffer's bounds, and one that
 *   does not fit there reads 0 and writes nothing (V8 throws RangeError).
 * Not reproduced: Uint8ClampedArray truncating before it clamps (1.5 is 1): V8 rounds, and an
 *   indexed write cannot be intercepted (see the known gaps).
 */
import * as vm from "node:vm";

const TYPED_SOURCE = `(function () {
  var R = Reflect, RDV = DataView, DVP = RDV.prototype, slice = Array.prototype.slice;
  var TAP = Object.getPrototypeOf(Uint8Array.prototype), taSet = TAP.set;
  var getOwn = Object.getOwnPropertyDescriptor;
  var viewOffset = getOwn(DVP, "byteOffset").get, viewBuffer = getOwn(DVP, "buffer").get;
  var bufferLength = getOwn(ArrayBuffer.prototype, "byteLength").get;
  var given = new WeakMap(), whole = new WeakMap();
  function define(o, k, v) { Object.defineProperty(o, k, { value: v, writable: true, configurable: true, enumerable: false }); }
  define(TAP, "set", function (source, offset) {
    offset = offset === undefined ? 0 : +offset | 0;
    var fits = Math.max(0, Math.min(source.length, this.length - offset));
    return taSet.call(this, slice.call(source, 0, fits), offset);
  });
  function DV(buffer, byteOffset, byteLength) {
    var d = R.construct(RDV, [buffer, byteOffset === undefined ? 0 : byteOffset], new.target || DV);
    if (byteLength) given.set(d, byteLength | 0);
    return d;
  }
  DV.prototype = DVP;
  define(DVP, "constructor", DV);
  Object.defineProperty(DVP, "byteLength", { configurable: true, get: function () {
    return given.has(this) ? given.get(this) : bufferLength.call(viewBuffer.call(this));
  } });
  Object.getOwnPropertyNames(DVP).forEach(function (k) {
    var m = /^(get|set)(Int|Uint|Float)(8|16|32|64)$/.exec(k);
    if (!m) return;
    var fn = DVP[k], size = m[3] / 8, isGet = m[1] === "get";
    define(DVP, k, function (byteOffset) {
      var buffer = viewBuffer.call(this), at = viewOffset.call(this) + (+byteOffset | 0);
      if (at < 0 || at + size > bufferLength.call(buffer)) return isGet ? 0 : undefined;
      var args = slice.call(arguments);
      args[0] = at;
      var w = whole.get(buffer);
      if (!w) whole.set(buffer, (w = new RDV(buffer)));
      return fn.apply(w, args);
    });
  });
  define(globalThis, "DataView", DV);
})`;

/** Installs Espruino's typed-array and DataView bounds in a fresh context. */
export function installEspruinoTyped(ctx: vm.Context): void {
  vm.runInContext(TYPED_SOURCE, ctx)();
}
