/** Timers and promises: order of callbacks, ids, clearing, intervals. Short delays only. */
import type { ProbeTopic } from "../../../src/host/conformance/probe.ts";
import { scripts } from "./util.ts";

export default {
  topic: "timers",
  probes: scripts(
    {
      "order by delay":
        "setTimeout(function () { print('b'); }, 200);\nsetTimeout(function () { print('a'); }, 100);\nsetTimeout(function () { print('c'); done(); }, 300);",
      "same delay in order":
        "setTimeout(function () { print(1); }, 10);\nsetTimeout(function () { print(2); }, 10);\nsetTimeout(function () { print(3); done(); }, 10);",
      "zero delay after sync": "setTimeout(function () { print('timer'); done(); }, 0);\nprint('sync');",
      "timer ids":
        "var a = setTimeout(function () {}, 50);\nvar b = setTimeout(function () {}, 50);\nclearTimeout(a);\nvar c = setTimeout(function () {}, 50);\nprint(a, b, c);\nsetTimeout(function () { done(); }, 60);",
      clearTimeout:
        "var t = setTimeout(function () { print('not cleared'); }, 10);\nclearTimeout(t);\nsetTimeout(function () { print('end'); done(); }, 30);",
      "interval count":
        "var n = 0;\nvar i = setInterval(function () { n++; if (n === 3) { clearInterval(i); print('ticks', n); done(); } }, 10);",
      "args passed": "setTimeout(function (a, b) { print(a, b); done(); }, 5, 'x', 2);",
      "string callback": "setTimeout(\"print('from string'); done();\", 5);",
      "promise before timer":
        "setTimeout(function () { print('timer'); done(); }, 50);\nPromise.resolve().then(function () { print('then'); });\nprint('sync');",
      "promise chain":
        "Promise.resolve(1).then(function (v) { print('a', v); return v + 1; }).then(function (v) { print('b', v); throw new Error('x'); }).catch(function (e) { print('caught', e.message); done(); });",
      "promise all":
        "Promise.all([Promise.resolve(1), 2, new Promise(function (r) { setTimeout(function () { r(3); }, 5); })]).then(function (v) { print(JSON.stringify(v)); done(); });",
      "promise reject order":
        "Promise.reject(new Error('r')).catch(function (e) { print('caught', e.message); });\nPromise.resolve().then(function () { print('resolved'); });\nsetTimeout(function () { done(); }, 10);",
      "nested timers":
        "setTimeout(function () { print('outer'); setTimeout(function () { print('inner'); done(); }, 0); print('outer end'); }, 5);",
      "uncaught in timer":
        "setTimeout(function () { throw new Error('in timer'); }, 1);\nsetTimeout(function () { print('still running'); done(); }, 10);",
      "clearTimeout undefined":
        "try { clearTimeout(undefined); print('no error'); } catch (e) { print('threw', e.message); }\nsetTimeout(function () { done(); }, 1);",
      "setTimeout no function":
        "try { setTimeout(5, 10); print('no error'); } catch (e) { print('threw', e.message); }\nsetTimeout(function () { done(); }, 1);",
      changeInterval:
        "var n = 0;\nvar i = setInterval(function () { n++; if (n === 2) { clearInterval(i); print('done', n); done(); } }, 1000);\nchangeInterval(i, 10);",
    },
    true,
  ),
} satisfies ProbeTopic;
