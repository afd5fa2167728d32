/** Math: rounding, powers, logs, trig, min/max and Espruino's own helpers. */
import type { ProbeTopic } from "../../../src/host/conformance/probe.ts";
import { printEach } from "./util.ts";

export default {
  topic: "math",
  probes: printEach({
    "pow cases":
      "[Math.pow(2, 0.5), Math.pow(-2, 3), Math.pow(-8, 1 / 3), Math.pow(0, 0), Math.pow(0, -1), Math.pow(2, -1), Math.pow(1.5, 2.5), Math.pow(-2, 10), Math.pow(10, 9)].join()",
    "pow equalities":
      "[Math.pow(2, 0.5) === Math.SQRT2, Math.pow(10, -3) === 0.001, Math.pow(10, 15) === 1e15, Math.pow(2, 31) === 2147483648, Math.pow(3, 9) === 19683].join()",
    "sqrt exact": "[Math.sqrt(4) === 2, Math.sqrt(16) === 4, Math.sqrt(0.25) === 0.5, Math.sqrt(-1)].join()",
    "sqrt of 9": "Math.sqrt(9) === 3",
    "round halves": "[Math.round(0.5), Math.round(1.5), Math.round(2.5), Math.round(-0.5), Math.round(-1.5), Math.round(-2.5)].join()",
    "round big": "Math.round(4503599627370497) + ' ' + Math.round(1767225600123.6)",
    "floor ceil": "[Math.floor(-1.5), Math.ceil(-1.5), Math.floor(2.9999999), Math.ceil(1e-300)].join()",
    "floor of big": "Math.floor(1767225600123.9) + ' ' + Math.floor(-1767225600123.1)",
    "trunc via bitwise": "(3.7 | 0) + ' ' + (-3.7 | 0) + ' ' + (4294967296.5 | 0)",
    pow: "[Math.pow(2, 10), Math.pow(10, 22), Math.pow(10, -3), Math.pow(2, 0.5), Math.pow(-8, 1 / 3)].join()",
    "pow exact": "Math.pow(10, 15) === 1e15",
    sqrt: "Math.sqrt(2) + ' ' + Math.sqrt(-1)",
    "log exp": "Math.log(Math.E) + ' ' + Math.exp(1) + ' ' + Math.log(0)",
    "log10 via LN10": "Math.log(1000) / Math.LN10",
    trig: "[Math.sin(Math.PI / 6), Math.cos(0), Math.tan(Math.PI / 4), Math.atan2(1, 1)].join()",
    "inverse trig": "[Math.asin(1), Math.acos(0), Math.atan(1)].join()",
    "min max": "Math.min(3, 1, 2) + ' ' + Math.max(3, 1, 2) + ' ' + Math.max() + ' ' + Math.min()",
    "min max NaN": "Math.max(1, NaN) + ' ' + Math.min(1, 'x')",
    "min max strings": "Math.max('7', 3)",
    "abs sign": "Math.abs(-3.5) + ' ' + Math.sign(-3) + ' ' + Math.sign(0) + ' ' + Math.sign(5)",
    constants: "[Math.PI, Math.E, Math.LN2, Math.LN10, Math.LOG2E, Math.LOG10E, Math.SQRT2, Math.SQRT1_2].join()",
    "random range":
      "(function () { for (var i = 0; i < 100; i++) { var r = Math.random(); if (!(r >= 0 && r < 1)) return 'bad ' + r; } return 'ok'; })()",
    clip: "E.clip(5, 0, 3) + ' ' + E.clip(-1, 0, 3)",
    "Math clip wrap": "Math.clip(5, 0, 3) + ' ' + Math.wrap(7, 5)",
    "hypot via sqrt": "Math.sqrt(3 * 3 + 4 * 4)",
  }),
} satisfies ProbeTopic;
