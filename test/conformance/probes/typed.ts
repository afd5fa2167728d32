/** Typed arrays, ArrayBuffer and DataView: what the flash ring and the codecs use. */
import type { ProbeTopic } from "../../../src/host/conformance/probe.ts";
import { printEach } from "./util.ts";

export default {
  topic: "typed",
  probes: printEach({
    "uint8 wrap": "new Uint8Array([256, 257, -1, 1.9]).join()",
    "int8 wrap": "new Int8Array([128, 255, -129]).join()",
    clamped: "new Uint8ClampedArray([300, -5, 1.5, 2.5]).join()",
    "uint16 int16": "new Uint16Array([65536, -1]).join() + ' ' + new Int16Array([32768]).join()",
    "int32 uint32": "new Int32Array([2147483648]).join() + ' ' + new Uint32Array([-1]).join()",
    "float32 rounding": "new Float32Array([0.1, 23.45, 1e40])[0] + ' ' + new Float32Array([23.45])[0] + ' ' + new Float32Array([1e40])[0]",
    float64: "new Float64Array([0.1])[0]",
    "NaN to int": "new Uint8Array([NaN, undefined, '7']).join()",
    length: "new Uint8Array(5).length + ' ' + new Uint16Array(5).byteLength",
    "shared buffer":
      "(function () { var b = new ArrayBuffer(4); var u = new Uint8Array(b); var v = new Uint32Array(b); v[0] = 0x01020304; return u.join(); })()",
    "offset view":
      "(function () { var b = new ArrayBuffer(8); var u = new Uint8Array(b, 2, 3); u[0] = 9; return new Uint8Array(b).join() + ' ' + u.byteOffset + ' ' + u.length; })()",
    "subarray shares":
      "(function () { var u = new Uint8Array([1, 2, 3, 4]); var s = u.subarray(1, 3); s[0] = 9; return u.join() + ' ' + s.length; })()",
    "slice copies":
      "(function () { var u = new Uint8Array([1, 2, 3, 4]); var s = u.slice(1, 3); s[0] = 9; return u.join() + ' ' + s.join(); })()",
    set: "(function () { var u = new Uint8Array(5); u.set([7, 8], 2); u.set(new Uint8Array([1]), 0); return u.join(); })()",
    "set overflow": "(function () { var u = new Uint8Array(2); u.set([1, 2, 3]); return u.join(); })()",
    fill: "new Uint8Array(4).fill(0xFF).join() + ' ' + new Uint8Array(4).fill(1, 1, 3).join()",
    "indexOf includes": "new Uint8Array([5, 6, 7]).indexOf(6) + ' ' + new Uint8Array([5]).includes(5)",
    "map filter":
      "new Uint8Array([1, 2, 3]).map(function (x) { return x * 100; }).join() + ' ' + new Uint8Array([1, 2, 3]).filter(function (x) { return x > 1; }).join()",
    reduce: "new Uint8Array([1, 2, 3]).reduce(function (a, b) { return a + b; }, 0)",
    sort: "new Uint8Array([3, 10, 2]).sort().join() + ' ' + new Int8Array([3, -1, 2]).sort().join()",
    reverse: "new Uint8Array([1, 2, 3]).reverse().join()",
    "out of range index": "(function () { var u = new Uint8Array(2); u[5] = 1; return u[5] + ' ' + u.length; })()",
    "from array of strings": "new Uint8Array(['1', '2x']).join()",
    "Array from typed": "Array.prototype.slice.call(new Uint8Array([1, 2])).length",
    "print typed": "new Uint8Array([1, 2, 3])",
    "print float32 array": "new Float32Array([0.5, 23.45])",
    "ArrayBuffer byteLength": "new ArrayBuffer(10).byteLength",
    "DataView ints":
      "(function () { var d = new DataView(new ArrayBuffer(8)); d.setUint16(0, 0x1234); d.setInt16(2, -2, true); d.setUint32(4, 0xDEADBEEF); return new Uint8Array(d.buffer).join() + ' ' + d.getUint16(0, true) + ' ' + d.getInt16(2, true) + ' ' + d.getUint32(4); })()",
    "DataView floats":
      "(function () { var d = new DataView(new ArrayBuffer(12)); d.setFloat32(0, 23.45, true); d.setFloat64(4, 0.1); return new Uint8Array(d.buffer).join() + ' ' + d.getFloat32(0, true) + ' ' + d.getFloat64(4); })()",
    "DataView offset":
      "(function () { var b = new ArrayBuffer(8); var d = new DataView(b, 4); d.setUint8(0, 7); return new Uint8Array(b).join() + ' ' + d.byteOffset + ' ' + d.byteLength; })()",
    "DataView out of range":
      "(function () { var d = new DataView(new ArrayBuffer(2)); d.setUint32(0, 1); return 'no error ' + new Uint8Array(d.buffer).join(); })()",
    "E.mapInPlace nibbles through a table":
      "(function () { var o = new Uint8Array(6); E.mapInPlace(new Uint8Array([0x20, 0xff, 0x9a]), o, new Uint8Array([4, 3, 3, 2, 3, 2, 2, 1, 3, 2, 2, 1, 2, 1, 1, 0]), 4); return o.join(); })()",
    "E.mapInPlace lsb first, to runs out":
      "(function () { var o = new Uint8Array(3); E.mapInPlace(new Uint8Array([0x12, 0x34]), o, undefined, -4); return o.join(); })()",
    "E.mapInPlace 12 bits, array and function maps":
      "(function () { var a = new Uint8Array([0x12, 0x34, 0x56]), b = new Uint16Array(2), c = new Uint8Array(3); E.mapInPlace(a, b, undefined, 12); E.mapInPlace(a, c, [9, 8, 7], 1); var d = new Uint8Array(3); E.mapInPlace(a, d, function (v, i) { return v + i; }); return b.join() + ' ' + c.join() + ' ' + d.join(); })()",
    "E.sum": "E.sum(new Uint8Array([1, 2, 250])) + ' ' + E.sum([1.5, 2]) + ' ' + E.sum('AB') + ' ' + E.sum(new Uint8Array(0))",
    "DataView int8 uint8":
      "(function () { var d = new DataView(new ArrayBuffer(2)); d.setInt8(0, -1); return d.getUint8(0) + ' ' + d.getInt8(0); })()",
  }),
} satisfies ProbeTopic;
