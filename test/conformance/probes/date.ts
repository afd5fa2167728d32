/** Date: construction, parsing, UTC getters, ISO and string forms. Fixed epochs only. */
import type { ProbeTopic } from "../../../src/host/conformance/probe.ts";
import { printEach } from "./util.ts";

const T = "1767225600123"; // 2026-01-01T00:00:00.123Z

export default {
  topic: "date",
  probes: printEach({
    toISOString: `new Date(${T}).toISOString()`,
    toJSON: `new Date(${T}).toJSON()`,
    toString: `new Date(${T}).toString()`,
    toUTCString: `new Date(${T}).toUTCString()`,
    getTime: `new Date(${T}).getTime()`,
    "valueOf plus": `+new Date(${T})`,
    "utc getters": `(function (d) { return [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCDay(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()].join(); })(new Date(${T} + 86400000 * 45 + 3723000))`,
    "local getters": `(function (d) { return [d.getFullYear(), d.getMonth(), d.getDate(), d.getHours(), d.getTimezoneOffset()].join(); })(new Date(${T}))`,
    components: "new Date(2026, 0, 31, 12, 30, 15, 250).getTime()",
    "month overflow": "new Date(2026, 12, 1).getTime()",
    "parse iso": "Date.parse('2026-01-01T00:00:00.123Z')",
    "parse iso no ms": "Date.parse('2026-03-04T05:06:07Z')",
    "parse date only": "Date.parse('2026-01-02')",
    "parse http date": "Date.parse('Thu, 01 Jan 2026 00:00:00 GMT')",
    "parse offset": "Date.parse('2026-01-01T02:00:00+02:00')",
    "parse bad": "Date.parse('not a date')",
    "invalid date": "new Date('nope').getTime()",
    "date from string": "new Date('2026-06-15T12:00:00Z').getTime()",
    "before epoch": "new Date(-86400000).toISOString()",
    "year 2100": "new Date(4102444800000).toISOString()",
    setters: `(function (d) { d.setSeconds(30); d.setMinutes(5); d.setMilliseconds(7); return d.toISOString(); })(new Date(${T}))`,
    setTime: "(function (d) { d.setTime(0); return d.toISOString(); })(new Date())",
    setFullYear: `(function (d) { d.setFullYear(2030); return d.getTime(); })(new Date(${T}))`,
    "Date called as function": "typeof Date()",
    "now is number": "typeof Date.now() + ' ' + (Date.now() > 0)",
    "fractional ms": "new Date(1.7).getTime()",
    "subtract dates": "new Date(2026, 0, 2) - new Date(2026, 0, 1)",
    "date plus string": `'' + new Date(${T}).getTime()`,
  }),
} satisfies ProbeTopic;
