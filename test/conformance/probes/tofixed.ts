/** Number.prototype.toFixed, which users format readings with. */
import type { ProbeTopic } from "../../../src/host/conformance/probe.ts";
import { printEach } from "./util.ts";

export default {
  topic: "tofixed",
  probes: printEach({
    "1.005 to 2": "(1.005).toFixed(2)",
    "2.5 to 0": "(2.5).toFixed(0)",
    "3.5 to 0": "(3.5).toFixed(0)",
    "-2.5 to 0": "(-2.5).toFixed(0)",
    "1.45 to 1": "(1.45).toFixed(1)",
    "1.55 to 1": "(1.55).toFixed(1)",
    "23.45 to 1": "(23.45).toFixed(1)",
    "third to 3": "(1 / 3).toFixed(3)",
    "no arg": "(12.5).toFixed()",
    "zero to 2": "(0).toFixed(2)",
    "negative small": "(-0.004).toFixed(2)",
    big: "(1e21).toFixed(2)",
    large: "(123456789.123).toFixed(2)",
    "many digits": "(0.1).toFixed(20)",
    float32: "new Float32Array([23.45])[0].toFixed(3)",
    NaN: "NaN.toFixed(2)",
    "string digits": "(1.5).toFixed('1')",
    "negative digits": "(1.5).toFixed(-1)",
  }),
} satisfies ProbeTopic;
