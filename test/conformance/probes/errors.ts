/** Errors: types, messages of common mistakes, toString, uncaught reports. */
import type { ProbeTopic } from "../../../src/host/conformance/probe.ts";
import { printEach, scripts } from "./util.ts";

export default {
  topic: "errors",
  probes: [
    ...printEach({
      "Error toString": "new Error('boom').toString()",
      "Error fields": "(function (e) { return e.name + '|' + e.message; })(new Error('m'))",
      "TypeError fields": "(function (e) { return e.name + '|' + e.message + '|' + (e instanceof Error); })(new TypeError('t'))",
      "Error without message": "String(new Error())",
      "Error called as function": "String(Error('x'))",
      "custom error name": "(function () { var e = new Error('x'); e.name = 'MyError'; return String(e); })()",
      "read property of undefined": "(function () { try { var u; return u.x; } catch (e) { return e.name + ': ' + e.message; } })()",
      "read property of null": "(function () { try { var n = null; return n.x; } catch (e) { return e.name + ': ' + e.message; } })()",
      "call undefined": "(function () { try { var o = {}; o.nope(); } catch (e) { return e.name + ': ' + e.message; } })()",
      "undefined variable": "(function () { try { return notDefinedAnywhere; } catch (e) { return e.name + ': ' + e.message; } })()",
      "new non-constructor": "(function () { try { return new Math.max(); } catch (e) { return e.name; } })()",
      "throw string": "(function () { try { throw 'plain'; } catch (e) { return typeof e + ' ' + e; } })()",
      "throw object": "(function () { try { throw { code: 5 }; } catch (e) { return e.code; } })()",
      "finally order": "(function () { var s = ''; try { s += 'a'; throw 1; } catch (e) { s += 'b'; } finally { s += 'c'; } return s; })()",
      "finally return": "(function () { try { return 'try'; } finally { print('finally runs'); } })()",
      "JSON parse error": "(function () { try { JSON.parse('{x'); } catch (e) { return e.name; } })()",
      instanceof: "(new TypeError('x') instanceof TypeError) + ' ' + (new TypeError('x') instanceof Error)",
      "stack is string": "typeof new Error('x').stack",
      "print error": "new Error('shown')",
      "error in JSON": "JSON.stringify(new Error('m'))",
      "TypeError toString": "String(new TypeError('t'))",
      "Error own keys": "JSON.stringify(Object.keys(new Error('m')))",
      "caught error type":
        "(function () { try { var n = null; return n.x; } catch (e) { return e.type + ' ' + (e instanceof Error) + ' ' + String(e); } })()",
      "call a number": "(function () { try { var o = { f: 1 }; o.f(); } catch (e) { return String(e); } })()",
      "call undefined variable": "(function () { try { var f; f(); } catch (e) { return String(e); } })()",
      subclass:
        "(function () { class A extends Error { constructor(m) { super(m); this.name = 'A'; } } var a = new A('q'); return String(a) + ' ' + (a instanceof A) + ' ' + (a instanceof Error) + ' ' + a.name + ' ' + a.message; })()",
      "print TypeError": "new TypeError('t')",
    }),
    ...scripts({
      "uncaught at top": "print('before');\nthrow new Error('top level');",
      "uncaught string": "throw 'just a string';",
      "uncaught TypeError": "var o = undefined;\no.field = 1;",
      "code after uncaught": "print(1);\nnull.x;\nprint(2);",
      "uncaught ReferenceError": "missingFunction();",
    }),
    ...scripts(
      {
        "uncaught in timer":
          "setTimeout(function () { var u; u.y = 2; }, 1);\nsetTimeout(function () { print('next timer runs'); done(); }, 5);",
      },
      true,
    ),
  ],
} satisfies ProbeTopic;
