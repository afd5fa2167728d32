import test from "ava";
import { mkdtempSync, writeFileSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import vm from "node:vm";
import { execFileSync } from "node:child_process";
import * as acorn from "acorn";
import * as walk from "acorn-walk";
import { build, BuildError, checkBundle, type Violation } from "../src/host/build/index.ts";
import { ROOT } from "../src/host/build/pipeline.ts";
import { MANGLE_CACHE, MANGLED_PROPS } from "../src/host/build/mangle.ts";
import { BOARD_IDS, loadBoard } from "../src/host/boards.ts";
import { MISSING_ARRAY_METHODS, MISSING_METHODS } from "../src/host/build/espruino-builtins.ts";
import { BANNED_PROPS, ESPRUINO_PROPS } from "../src/host/espruino-builtins.ts";
import { espruinoBinary, targetSkipReason } from "../src/host/target/espruino-process.ts";
import { readBoard, simWorld } from "../src/host/sim/index.ts";
import { NorFlash } from "../src/host/sim/nor-flash.ts";
import { moduleVars } from "../src/host/sim/code-vars.ts";
import { openStore } from "./store-helpers.ts";

const ESPRUINO = espruinoBinary();

const work = mkdtempSync(join(tmpdir(), "spool-build-"));
let n = 0;

/** Writes a device source file and returns its path. */
function source(code: string): string {
  const file = join(work, `case${++n}.ts`);
  writeFileSync(file, `declare const print: (s: string) => void;\n${code}\n`);
  return file;
}

/** Builds `code` for linux without writing, returns the bundle. */
async function lower(code: string): Promise<string> {
  return (await build({ board: "linux", entry: source(code), write: false })).code;
}

/** Runs a bundle in a bare Node vm context with `print`, returns what it printed. */
function runInVm(code: string): string[] {
  const out: string[] = [];
  vm.runInNewContext(code, { print: (s: string) => out.push(String(s)) }, { timeout: 1000 });
  return out;
}

/** Builds `code` and expects it refused; returns the violations. */
async function refused(t: any, code: string): Promise<Violation[]> {
  const entry = source(code);
  const err = (await t.throwsAsync(build({ board: "linux", entry, write: false }), { instanceOf: BuildError })) as BuildError;
  t.true(err.violations.length > 0, err.message);
  for (const v of err.violations) {
    t.true(v.line >= 1 && v.column >= 0);
    t.truthy(v.source, `${v.rule} maps back to the source`);
    t.true(v.source!.file.endsWith(entry.split("/").pop()!), `${v.rule} names ${entry}: ${v.source?.file}`);
  }
  return err.violations;
}

const rulesOf = (vs: Violation[]): string[] => [...new Set(vs.map((v) => v.rule))].sort();

// --- Lowered correctly: the bundle has none of the feature left and behaves as in Node. ---

test("spread is lowered and behaves the same", async (t) => {
  const code = await lower(`const a = [1, 2]; function sum(x: number, y: number, z: number) { return x + y + z; }
print(JSON.stringify([[...a, 3], sum(...([4, 5, 6] as [number, number, number])), Math.max(...a)]));`);
  t.false(code.includes("..."));
  t.deepEqual(runInVm(code), ["[[1,2,3],15,2]"]);
});

test("default and rest parameters are lowered and behave the same", async (t) => {
  const code = await lower(`function f(a = 10, ...rest: number[]) { return a + rest.length; }
print(String(f()) + "," + String(f(1, 2, 3)));`);
  t.deepEqual(checkBundle(code), []);
  t.deepEqual(runInVm(code), ["10,3"]);
});

test("destructuring is lowered and behaves the same", async (t) => {
  const code = await lower(`const { x, y } = { x: 1, y: 2 }; const [p, q] = [3, 4];
function g(o: { k: number }) { const { k } = o; return k; }
print([x, y, p, q, g({ k: 5 })].join(","));`);
  t.deepEqual(checkBundle(code), []);
  t.deepEqual(runInVm(code), ["1,2,3,4,5"]);
});

test("loop closures over let get their own binding (0,1,2 as in Node)", async (t) => {
  const code = await lower(`const fs: Array<() => number> = [];
for (let i = 0; i < 3; i++) fs.push(() => i);
let j = 0; while (j < 3) { const k = j * 10; fs.push(() => k); j++; }
print(fs.map((f) => f()).join(","));`);
  t.false(/\blet\b|\bconst\b/.test(code), "no let/const left");
  t.deepEqual(runInVm(code), ["0,1,2,0,10,20"]);
});

test("** and ?. and ?? are lowered", async (t) => {
  const code = await lower(`const o: { a?: { b?: number } } = { a: {} }; const e = 3;
print(String(2 ** e) + "," + String(o.a?.b ?? 7) + "," + String(o.a?.b?.toFixed(1)));`);
  t.false(code.includes("**") || code.includes("?.") || code.includes("??"));
  t.deepEqual(runInVm(code), ["8,7,undefined"]);
});

test("class fields and static members are lowered to assignments", async (t) => {
  const code = await lower(`class A { v = 1; static S = 2; get w() { return this.v + A.S; } }
class B extends A { constructor() { super(); this.v = 5; } }
print(String(new B().w));`);
  t.deepEqual(checkBundle(code), []);
  t.deepEqual(runInVm(code), ["7"]);
});

// --- Refused, with rule and position. ---

test("Map is refused", async (t) => {
  const vs = await refused(t, `const m = new Map<string, number>(); print(String(m));`);
  t.deepEqual(rulesOf(vs), ["missing-builtin"]);
  t.is(vs[0].source!.line, 2);
  t.is(vs[0].source!.column, 14);
});

test("async/await is refused", async (t) => {
  const vs = await refused(t, `async function f() { await 1; return 2; }\nprint(String(f));`);
  t.deepEqual(rulesOf(vs), ["async"]);
  t.is(vs[0].source!.line, 2);
});

test("a label is refused", async (t) => {
  const vs = await refused(
    t,
    `let n = 0;\nouter: for (let i = 0; i < 3; i++) { for (let j = 0; j < 3; j++) { n++; if (j) continue outer; } }\nprint(String(n));`,
  );
  t.deepEqual(rulesOf(vs), ["label"]);
  t.is(vs[0].source!.line, 3);
});

test("a use before declaration is refused", async (t) => {
  const vs = await refused(t, `print(String(early()));\nfunction early() { return 1; }`);
  t.deepEqual(rulesOf(vs), ["use-before-declaration"]);
  t.is(vs[0].source!.line, 2);
});

test("object spread, Math.trunc, .repeat and Array fill are refused", async (t) => {
  const vs = await refused(
    t,
    `const a: any = { x: 1 }; const b = { ...a, y: 2 };
print(JSON.stringify(b) + Math.trunc(1.5) + "a".repeat(2) + [1, 2].fill(0) + Number.isFinite(1));`,
  );
  t.deepEqual(rulesOf(vs), ["banned-builtin", "missing-builtin", "rest-spread"]);
});

test("the build error message names rule, bundle position and source file:line", async (t) => {
  const entry = source(`const s = new Set<number>();\nprint(String(s));`);
  const err = await t.throwsAsync(build({ board: "linux", entry, write: false }));
  t.regex(err!.message, new RegExp(`missing-builtin at bundle 1:\\d+ \\([^)]*case\\d+\\.ts:2:15\\): Set does not exist`));
});

// --- The gate on its own. ---

const rules = (code: string): string[] => rulesOf(checkBundle(code));

test("checkBundle refuses each syntax Espruino lacks", (t) => {
  t.deepEqual(rules("function f(a = 1) { return a }"), ["default-param"]);
  t.deepEqual(rules("function f(...a) { return a }"), ["rest-spread"]);
  t.deepEqual(rules("var a = [1]; var b = [...a];"), ["rest-spread"]);
  t.deepEqual(rules("var { a } = { a: 1 };"), ["destructuring"]);
  t.deepEqual(rules("var [a] = [1];"), ["destructuring"]);
  t.deepEqual(rules("async function f() {}"), ["async"]);
  t.deepEqual(rules("function* g() { yield 1 }"), ["generator"]);
  t.deepEqual(rules("var x = 2 ** 3;"), ["exponent"]);
  t.deepEqual(rules("var o = {}; var x = o?.a;"), ["optional-chaining"]);
  t.deepEqual(rules("var x; x ??= 1;"), ["logical-assignment"]);
  t.deepEqual(rules("a: for (;;) { break a; }"), ["label"]);
  t.deepEqual(rules("class A { x = 1 }"), ["class-field"]);
  t.deepEqual(rules("class A { #x; }"), ["class-field"]);
  t.deepEqual(rules("var k = 'a'; var o = { [k]: 1 };"), ["computed-key"]);
  t.deepEqual(rules("function t(s) { return s } t`x`;"), ["tagged-template"]);
  t.deepEqual(rules("var f = () => arguments[0];"), ["arrow-arguments"]);
  t.deepEqual(rules("function m() { return class {} } class B extends m() {}"), ["class-extends"]);
  t.deepEqual(rules("var C = class D { m() { return D } };"), ["named-class-expression"]);
  t.deepEqual(rules("var r = /(?<y>\\d+)/;"), ["regexp-feature"]);
  t.deepEqual(rules("var s = '\\u{1F600}';"), ["unicode-escape"]);
  t.deepEqual(rules("var fs = []; for (let i = 0; i < 3; i++) fs.push(function () { return i });"), ["loop-closure"]);
  t.deepEqual(rules("var x = "), ["syntax"]);
});

test("checkBundle refuses missing builtins and accepts what Espruino has", (t) => {
  for (const code of [
    "new Map()",
    "new Set()",
    "new WeakMap()",
    "Symbol('x')",
    "new Proxy({}, {})",
    "Reflect.ownKeys({})",
    "Array.from([1])",
    "Array.of(1)",
    "Math.trunc(1)",
    "Math.fround(1)",
    "Math.log2(8)",
    "Math.hypot(3, 4)",
    "Number.isFinite(1)",
    "Number.isInteger(1)",
    "Number.MAX_SAFE_INTEGER",
    "Number.EPSILON",
    "Object.freeze({})",
    "Promise.race([])",
    "Promise.allSettled([])",
    "'a'.codePointAt(0)",
    "Promise.resolve().finally(function () {})",
  ])
    t.deepEqual(rules(code + ";"), ["missing-builtin"], code);
  for (const code of ["'a'.repeat(2)", "[1, 2].fill(0)", "new Array(3).fill(0)", "Array(3).fill(0)"])
    t.deepEqual(rules(code + ";"), ["banned-builtin"], code);
  t.deepEqual(
    checkBundle(`var o = Object.assign({}, { a: 1 }); Object.keys(o); Object.entries(o); Object.values(o);
[1, 2].find(function (x) { return x > 1 }); [1].findIndex(function (x) { return x }); [1].includes(1);
'ab'.startsWith('a'); 'ab'.endsWith('b'); 'ab'.includes('a'); 'a'.padStart(3); Math.sign(-1); Date.now();
Promise.all([Promise.resolve(1), Promise.reject(2)]).then(function () {}).catch(function () {});
new DataView(new ArrayBuffer(4)).getUint32(0); new Uint8Array(4).fill(0); new Float64Array(2);
JSON.stringify(JSON.parse('{}')); var x = null; var y = x != null ? x : 1; class A { get v() { return 1 } static s() { return 2 } }
class B extends A { constructor() { super() } } for (var c of [1, 2]) c; var t = \`a\${y}\`;`),
    [],
  );
});

test("checkBundle refuses .at, .matchAll, .search, array keys/values/entries and lastIndexOf", (t) => {
  for (const code of [
    "[1].at(0)",
    "'ab'.at(0)",
    "new Uint8Array(2).at(0)",
    "'ab'.matchAll(/a/g)",
    "'ab'.search(/b/)",
    "[1].keys()",
    "[1].values()",
    "[1].entries()",
    "new Uint8Array(2).keys()",
    "[1, 2].lastIndexOf(2)",
    "new Date().setUTCHours(1)",
    "({}).isPrototypeOf({})",
    "(1).toPrecision(2)",
  ])
    t.deepEqual(rules(code + ";"), ["missing-builtin"], code);
  t.deepEqual(
    checkBundle("Object.keys({}); Object.values({}); Object.entries({}); 'ab'.lastIndexOf('b'); function f(a) { return a.lastIndexOf(1) }"),
    [],
    "statics, and a receiver that may be a string",
  );
});

test("methods the bundle defines itself are not refused, whatever their name", (t) => {
  t.deepEqual(
    checkBundle(
      "class Q { keys() { return [] } values() { return [] } at(i) { return i } } var q = new Q(); q.keys(); q.values(); q.at(1);",
    ),
    [],
  );
  t.deepEqual(checkBundle("var idx = { search: function (s) { return s } }; idx.search('x');"), []);
});

test("the gate refuses exactly the builtin methods the simulation lacks", (t) => {
  const sim = simWorld().device({ board: readBoard("linux"), seed: 1 });
  sim.boot("");
  const receivers = [
    "[]",
    "''",
    "new Uint8Array(1)",
    "(1)",
    "({})",
    "(function(){})",
    "Promise.resolve()",
    "/a/",
    "new Date()",
    "new Error('x')",
    "new ArrayBuffer(1)",
    "new DataView(new ArrayBuffer(1))",
  ];
  for (const name of MISSING_METHODS) {
    for (const r of receivers) t.is(sim.eval(`typeof ${r}[${JSON.stringify(name)}]`), "undefined", `${r}.${name}`);
  }
  for (const [path, names] of Object.entries(ESPRUINO_PROPS)) {
    if (!path.endsWith(".prototype")) continue;
    for (const name of names) {
      const banned = BANNED_PROPS[path]?.includes(name);
      if (!banned) t.false(MISSING_METHODS.has(name), `${path}.${name} is on Espruino`);
    }
  }
});

if (!ESPRUINO) test.skip(`the gate's missing methods against the real Espruino: ${targetSkipReason()}`, () => undefined);

(ESPRUINO ? test : test.skip)("every method the gate calls missing is missing on the real Espruino too", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "spool-esp-"));
  const names = [...MISSING_METHODS, ...MISSING_ARRAY_METHODS];
  writeFileSync(
    join(dir, "probe.js"),
    `var r={arr:[1],str:'ab',ta:new Uint8Array(2),num:1,bool:true,obj:{},fn:function(){},pr:Promise.resolve(),re:/a/,date:new Date(),err:new Error('x'),ab:new ArrayBuffer(2),dv:new DataView(new ArrayBuffer(8))};
var found=[];${JSON.stringify(names)}.forEach(function(k){Object.keys(r).forEach(function(o){var t;try{t=typeof r[o][k]}catch(e){t='undefined'}if(t!=='undefined')found.push(o+'.'+k)})});
print('PRESENT:'+found.join(' '));`,
  );
  const out = execFileSync(ESPRUINO!, ["probe.js"], { cwd: dir, timeout: 10000, encoding: "utf8" });
  const present = /PRESENT:(.*)/.exec(out)?.[1].trim().split(" ").filter(Boolean);
  t.deepEqual(present, ["str.lastIndexOf"], "only lastIndexOf, on strings (refused on arrays only)");
});

test("a local named like a missing builtin, and feature tests, are not refused", (t) => {
  t.deepEqual(checkBundle("function f(Map) { return new Map() } f(Object);"), []);
  t.deepEqual(checkBundle("var P = typeof Proxy < 'u' ? new Proxy({}, {}) : {};"), []);
  t.deepEqual(checkBundle("var S = typeof Symbol !== 'undefined' && Symbol.iterator;"), []);
  t.deepEqual(checkBundle("var o = { repeat: function () {} }; o.repeat();"), [], "own method named like a banned one");
});

test("use-before-declaration: refuses what runs before the declaration, not what runs later", (t) => {
  const ubd = (code: string): number => checkBundle(code).filter((v) => v.rule === "use-before-declaration").length;
  t.is(ubd("f(); function f() {}"), 1, "call at top level");
  t.is(ubd("var h = { a: f }; function f() {}"), 1, "a reference is undefined too");
  t.is(ubd("(function () { f() })(); function f() {}"), 1, "inside an IIFE");
  t.is(ubd("[1].map(function () { return f() }); function f() {}"), 1, "inside a callback that runs now");
  t.is(ubd("function g() { return f() } g(); function f() {}"), 1, "through a function called now");
  t.is(ubd("new A(); class A {}"), 1, "a class");
  t.is(ubd("class B extends A {} class A {}"), 1, "extends");
  t.is(ubd("(() => { function k() { return f() } var x = k(); function f() {} })();"), 1, "in esbuild's iife wrapper");
  t.is(ubd("function g() { return f() } function f() {} g();"), 0, "called after the declaration");
  t.is(ubd("setTimeout(function () { f() }, 10); function f() {}"), 0, "deferred by setTimeout");
  t.is(ubd("var p = Promise.resolve(); p.then(function () { f() }); function f() {}"), 0, "deferred by then");
  t.is(ubd("function f() { return f() }"), 0, "recursion");
  t.is(ubd("function outer() { return inner(); function inner() { return 1 } }"), 1, "inside a function body too");
  t.is(ubd("function f() {} f();"), 0);
});

test("use-before-declaration: methods run at load time through an object, this, or a static call", (t) => {
  const ubd = (code: string): number => checkBundle(code).filter((v) => v.rule === "use-before-declaration").length;
  // Each refused case fails on Espruino 2v29 with ReferenceError: "f" is not defined.
  t.is(ubd("var o={m:function(){return f()}}; o.m(); function f(){}"), 1, "object literal method");
  t.is(ubd("function f(){} var o={m:function(){return f()}}; o.m();"), 0, "object literal method, declaration first");
  t.is(ubd("class B{constructor(){this.x()} x(){g()}} new B(); function g(){}"), 1, "this.method() in a constructor");
  t.is(ubd("function g(){} class B{constructor(){this.x()} x(){g()}} new B();"), 0, "this.method(), declaration first");
  t.is(ubd("class C{static s(){return h()}} C.s(); function h(){}"), 1, "static method");
  t.is(ubd("function h(){} class C{static s(){return h()}} C.s();"), 0, "static method, declaration first");
  t.is(ubd("class A{x(){f()}} class B extends A{constructor(){super();this.x()}} new B(); function f(){}"), 1, "inherited method");
  t.is(ubd("class K{get v(){return f()}} print(new K().v); function f(){}"), 1, "getter read");
  t.is(ubd("function mk(){return {m:function(){return f()}}} mk().m(); function f(){}"), 1, "method of an object a factory returned");
  t.is(ubd("var o={m:function(){return f()}}; function f(){} o.m();"), 0, "called after the declaration");
  t.is(ubd("var o={m:function(){return f()}}; var p={m:function(){}}; p.m(); function f(){}"), 0, "another object's method of that name");
  t.is(ubd("class C{static s(){return h()}} new C().s; function h(){}"), 0, "an instance has no static method");
  t.is(ubd("var o={m:function(){return f()}}; setTimeout(function(){o.m()}, 1); function f(){}"), 0, "deferred");
  t.is(ubd("Object.keys({}); var o={keys:function(){return f()}}; function f(){}"), 0, "a builtin of that name");
});

test("violations carry line and column of the bundle", (t) => {
  const [v] = checkBundle("var a = 1;\nvar b = new Map();");
  t.like(v, { rule: "missing-builtin", line: 2, column: 12 });
});

// --- Whole builds. ---

/** A minimal entry like the firmware's: builds the Hal over the globals and prints the banner. */
const BANNER_ENTRY = writeBannerEntry();
function bannerEntry(): string {
  return BANNER_ENTRY;
}
function writeBannerEntry(): string {
  const file = join(work, "banner.ts");
  writeFileSync(
    file,
    `import { createEspruinoHal } from ${JSON.stringify(join(ROOT, "src/device/hal.ts"))};
const hal = createEspruinoHal({ require: require, E: E, getTime: getTime, setTime: setTime, setTimeout: setTimeout,
  clearTimeout: clearTimeout, setInterval: setInterval, clearInterval: clearInterval, print: print, process: process,
  hasWifi: __BOARD__.network === "wifi" });
hal.log("Spool " + __SPOOL_VERSION__ + " on " + __BOARD__.id);
`,
  );
  return file;
}

for (const id of BOARD_IDS) {
  test(`a clean build for ${id} passes the gate, is under budget and prints the banner`, async (t) => {
    const outDir = mkdtempSync(join(tmpdir(), "spool-out-"));
    const r = await build({ board: id, entry: bannerEntry(), outDir, version: "9.8.7" });
    t.is(r.file, join(outDir, `${id}.js`));
    t.true(existsSync(r.file));
    t.is(readFileSync(r.file, "utf8"), r.code);
    t.true(r.bytes <= r.budget);
    t.is(r.budget, loadBoard(id).codeBudgetBytes);
    t.deepEqual(checkBundle(r.code), []);
    const out: string[] = [];
    const fake = () => ({});
    const context: Record<string, unknown> = {
      require: fake,
      E: {},
      getTime: () => 0,
      setTime: () => {},
      setTimeout,
      clearTimeout,
      setInterval,
      clearInterval,
      process: { memory: () => ({}) },
      print: (s: string) => out.push(s),
    };
    // Espruino's `global` is the global object; the hardware boundary reads `require` from it.
    context.global = context;
    vm.runInNewContext(r.code, context);
    t.deepEqual(out, [`Spool 9.8.7 on ${id}`]);
    t.false(r.code.includes('why:"This'), "documentation strings are not compiled in");
  });
}

test("the firmware entry builds for every board under budget", async (t) => {
  for (const id of BOARD_IDS) {
    const r = await build({ board: id, write: false });
    t.true(r.bytes <= r.budget, `${id}: ${r.bytes} of ${r.budget}`);
    t.log(`${id}: ${r.bytes} bytes of ${r.budget}`);
  }
});

test("the firmware bundle carries no dynamic-require shim (esbuild's `typeof Proxy ... new Proxy`)", async (t) => {
  const r = await build({ board: "esp8266", write: false });
  t.false(r.code.includes("Proxy"), "no Proxy");
  t.false(r.code.includes("Dynamic require"), "no shim error text");
});

test("internal member names are shortened alike in the bundle and every part, and no short name is used otherwise", async (t) => {
  const r = await build({ board: "esp8266", write: false });
  const listed = new Set(MANGLED_PROPS);
  for (const c of [r.code, ...r.parts.map((p) => p.code)]) {
    const props = new Set<string>();
    // A part is a function's body: its `return` is outside any function of its own.
    walk.full(acorn.parse(c, { ecmaVersion: 2020, allowReturnOutsideFunction: true }) as any, (n: any) => {
      if (n.type === "MemberExpression" && !n.computed) props.add(n.property.name);
      if ((n.type === "Property" || n.type === "MethodDefinition") && n.key.type === "Identifier") props.add(n.key.name);
    });
    for (const p of props) {
      t.false(listed.has(p), `${p} is listed in mangle.ts but left long`);
      if (p.startsWith("$")) t.true(Object.values(MANGLE_CACHE).includes(p), `${p}: a property starting with $ that is not a mangled name`);
    }
  }
  // The store part reads the Store's fields under the bundle's names.
  const store = r.parts.find((p) => p.name === "store")!;
  t.true(store.code.includes("." + MANGLE_CACHE.sectorBytes) && r.code.includes("." + MANGLE_CACHE.sectorBytes));
});

test("a part is stored as a function body: new Function(body)() gives its default export, and the gate checks it", async (t) => {
  const good = join(work, "part-good.ts");
  writeFileSync(good, "const K = 3;\nfunction times(x: number) { return x * K; }\nexport default { times };\n");
  const r = await build({ board: "linux", entry: bannerEntry(), parts: [{ name: "demo", entry: good }], write: false });
  const code = r.parts[0].code;
  t.false(code.startsWith("(function"), "no wrapper: the device makes the function");
  t.regex(code, /return [\w$]+\/\/[0-9a-f]{8}$/, "ends with its value and its tag");
  t.is(new Function(code)().times(2), 6);
  const bad = join(work, "part-bad.ts");
  writeFileSync(bad, "export default { first: (a: number[]) => a.at(0) };\n");
  const e = await t.throwsAsync(build({ board: "linux", entry: bannerEntry(), parts: [{ name: "bad", entry: bad }], write: false }), {
    instanceOf: BuildError,
  });
  t.true(
    e?.violations?.some((v) => v.rule === "missing-builtin"),
    e?.message,
  );
});

/** Functions that read `arguments` themselves (not through an arrow's own), each with the chain of functions around it. */
function argumentReaders(code: string): Array<{ at: number; outer: number[] }> {
  const ast = acorn.parse(code, { ecmaVersion: 2020, allowReturnOutsideFunction: true }) as any;
  const out: Array<{ at: number; outer: number[] }> = [];
  walk.fullAncestor(ast, (n: any, _s: unknown, ancestors: any[]) => {
    if (n.type !== "Identifier" || n.name !== "arguments") return;
    const fns = ancestors.filter(
      (a) => a.type === "FunctionDeclaration" || a.type === "FunctionExpression" || a.type === "ArrowFunctionExpression",
    );
    if (!fns.length) return;
    const own = fns[fns.length - 1];
    out.push({ at: own.start, outer: fns.slice(0, -1).map((f) => f.start) });
  });
  return out;
}

const NESTED_ARGUMENTS = `function outer(a: number, b: number) {
  function inner(x: number, y: number) { return x * 10 + y; }
  const f = function (p: number, q = 2) { return p - q; };
  return [inner(7, 8), f(5), f(5, 1), a, b, inner(a, b)];
}
class C { v: number; constructor(v: number) { function chk(n: number, lo: number, hi: number) { return n < lo ? lo : n > hi ? hi : n; } this.v = chk(v, 0, 10); } }
print(JSON.stringify([outer(1, 2), new C(12).v, new C(-3).v]));`;

test("no function that reads arguments is nested in another that reads them (Espruino gives the inner one the outer one's)", async (t) => {
  const code = await lower(NESTED_ARGUMENTS);
  t.deepEqual(runInVm(code), [JSON.stringify([[78, 3, 4, 1, 2, 12], 10, 0])]);
  const r = await build({ board: "linux", write: false });
  // The sample and the bundle read arguments (lowered default parameters); a part may not.
  t.true(argumentReaders(code).length > 0 && argumentReaders(r.code).length > 0);
  for (const c of [code, r.code, ...r.parts.map((p) => p.code)]) {
    const readers = argumentReaders(c);
    const starts = new Set(readers.map((x) => x.at));
    const nested = readers.filter((x) => x.outer.some((o) => starts.has(o)));
    t.deepEqual(nested, [], "a function reading arguments inside another that does");
  }
});

if (!ESPRUINO) test.skip(`nested functions' arguments on the real Espruino: ${targetSkipReason()}`, () => undefined);

(ESPRUINO ? test : test.skip)("nested functions read their own parameters on the real Espruino, as in Node", async (t) => {
  const code = await lower(NESTED_ARGUMENTS);
  const dir = mkdtempSync(join(tmpdir(), "spool-esp-"));
  writeFileSync(join(dir, "nested.js"), code);
  const out = execFileSync(ESPRUINO!, ["nested.js"], { cwd: dir, timeout: 10000, encoding: "utf8" });
  t.true(out.includes(runInVm(code)[0]), out);
});

test("module-level constants are written in where they are used; a reassigned one and a long repeated string stay variables", async (t) => {
  const mod = join(work, "consts.ts");
  writeFileSync(
    mod,
    `export const LIMIT = 32;
export const NEG = -7;
export const OFF = false;
export const NAME = "spool.x";
export const LONG = "${"x".repeat(60)}";
export let counter = 0;
export function bump(): number { counter += 1; return counter; }
`,
  );
  const code = await lower(`import { LIMIT, NEG, OFF, NAME, LONG, bump } from ${JSON.stringify(mod)};
const o = { NAME };
print(JSON.stringify([LIMIT * 2, NEG - 1, OFF ? "on" : "off", o, LONG.length, LONG.charAt(1), LONG + LONG, bump(), bump()]));`);
  t.deepEqual(runInVm(code), [JSON.stringify([64, -8, "off", { NAME: "spool.x" }, 60, "x", "x".repeat(120), 1, 2])]);
  const ast = acorn.parse(code, { ecmaVersion: 2020 }) as any;
  const literals: string[] = [];
  for (const s of ast.body)
    if (s.type === "VariableDeclaration")
      for (const d of s.declarations)
        if (d.init?.type === "Literal" || d.init?.type === "UnaryExpression") literals.push(code.slice(d.init.start, d.init.end));
  t.false(literals.includes("32") || literals.includes("-7") || literals.includes('"spool.x"'), `still variables: ${literals.join(" ")}`);
  t.true(literals.includes("0"), "the counter, assigned again, stays a variable");
  t.true(
    literals.some((l) => l.length > 60),
    "a long string used four times stays a variable",
  );
  // A part inlines its own copy of a constant too.
  const part = join(work, "part-consts.ts");
  writeFileSync(part, `import { LIMIT } from ${JSON.stringify(mod)};\nexport default { twice: (x: number) => x * LIMIT * 2 };\n`);
  const r = await build({ board: "linux", entry: bannerEntry(), parts: [{ name: "demo", entry: part }], write: false });
  t.is(new Function(r.parts[0].code)().twice(1), 64);
  t.false(/var [\w$]+=32\b/.test(r.parts[0].code), r.parts[0].code);
});

test("a function's parameters are read from arguments unless it is hot or makes functions; arrows and setters keep theirs", async (t) => {
  const code = await lower(`function add(a: number, b: number, c = 4) { return a + b + c; }
function hot(a: number, b: number) { "hot"; return a * b; }
function maker(a: number, b: number) { return function () { return a + b; }; }
function one(s: string) { return s + "!"; }
class K { private v = 0; constructor(v: number) { this.v = v; } plus(n: number) { return this.v + n; } set w(x: number) { this.v = x; } get w() { return this.v; } }
const arrow = (x: number, y: number) => x - y;
const k = new K(5); k.w = 7;
print(JSON.stringify([add(1, 2), add(1, 2, 3), hot(3, 4), one("a"), k.plus(1), k.w, arrow(9, 2), add.length, maker(2, 3)()]));`);
  t.deepEqual(runInVm(code), [JSON.stringify([7, 6, 12, "a!", 8, 7, 7, 0, 5])]);
  const ast = acorn.parse(code, { ecmaVersion: 2020 }) as any;
  const declared: number[] = [];
  let arrows = 0;
  let setters = 0;
  walk.full(ast, (n: any) => {
    if (n.type === "FunctionDeclaration" || n.type === "FunctionExpression") declared.push(n.params.length);
    if (n.type === "ArrowFunctionExpression" && n.params.length === 2) arrows++;
    if (n.type === "MethodDefinition" && n.kind === "set" && n.value.params.length === 1) {
      setters++;
      declared.splice(declared.indexOf(1), 1);
    }
  });
  t.deepEqual(
    declared.filter((p) => p > 0),
    [2, 2],
    "only the hot function and the one whose closure keeps its scope declare parameters",
  );
  t.is(arrows, 1, "the arrow keeps its parameters");
  t.is(setters, 1, "the setter keeps its parameter");
  t.false(code.includes('"hot"'), "the hot directive is the build's own: dropped");
});

test("the firmware's module level is global, each name prefixed, and runs as before", async (t) => {
  const r = await build({ board: "esp8266", write: false });
  const ast = acorn.parse(r.code, { ecmaVersion: 2020 }) as any;
  t.true(ast.body.length > 20, "statements at the top, not one wrapper call");
  const names: string[] = [];
  for (const s of ast.body) {
    if (s.type === "FunctionDeclaration" || s.type === "ClassDeclaration") names.push(s.id.name);
    if (s.type === "VariableDeclaration") for (const d of s.declarations) names.push(d.id.name);
  }
  // A floor that only a wrapper would miss: removing globals is what the memory work does.
  t.true(names.length > 30, `${names.length} module-level names`);
  t.deepEqual(
    names.filter((n) => !/^\$[0-9a-z]+$/.test(n)),
    [],
    "every global the bundle makes is $<n>",
  );
  t.is(new Set(names).size, names.length, "no name declared twice");
});

test("a module-level class that names itself keeps working at global scope", async (t) => {
  const code = await lower(`class A { static k = 2; v = 1; get w() { return this.v + A.k; } }
class B extends A { constructor() { super(); this.v = 5; } }
print(String(new B().w));`);
  t.false(/^\(\(\)=>\{/.test(code), "no wrapper");
  t.deepEqual(runInVm(code), ["7"]);
});

/**
 * The bundle as a canonical sequence of syntax nodes: local names renumbered by first use (the
 * minifier picks short names by frequency, so they differ between builds), and the board profile
 * (`{id:"..."...}` compiled in from __BOARD__, or its JSON text from __BOARD_JSON__) replaced by
 * one marker.
 */
function canonical(code: string): string[] {
  const ast = acorn.parse(code, { ecmaVersion: 2020 });
  const names = new Map<string, string>();
  const out: string[] = [];
  const skip = new WeakSet<object>();
  walk.full(ast, (node: any) => {
    if (
      node.type === "ObjectExpression" &&
      node.properties[0]?.key?.name === "id" &&
      node.properties.some((p: any) => p.key?.name === "upload")
    ) {
      skip.add(node);
      walk.full(node, (inner: any) => skip.add(inner));
      out.push("BOARD");
      return;
    }
    // The profile as JSON text (`__BOARD_JSON__`, parsed by the firmware when it needs it).
    if (node.type === "Literal" && typeof node.value === "string" && node.value.startsWith('{"id":')) {
      skip.add(node);
      out.push("BOARD");
      return;
    }
    if (skip.has(node)) return;
    if (node.type === "MemberExpression" && !node.computed) skip.add(node.property);
    if (node.type === "Property" && !node.computed) skip.add(node.key);
  });
  walk.full(ast, (node: any) => {
    if (skip.has(node)) {
      if (node.type === "Identifier" || (node.type !== "ObjectExpression" && node.type !== "Property"))
        out.push(node.type === "Identifier" ? `.${node.name}` : "");
      return;
    }
    if (node.type === "Identifier") {
      if (!names.has(node.name)) names.set(node.name, `n${names.size}`);
      out.push(names.get(node.name)!);
    } else if (node.type === "Literal") out.push(`L${JSON.stringify(node.value)}`);
    else out.push(node.type);
  });
  return out.filter((x) => x !== "");
}
test("linux-small and esp8266 differ only in the hardware boundary: same code, same budget and features", async (t) => {
  const small = loadBoard("linux-small");
  const esp = loadBoard("esp8266");
  const linux = loadBoard("linux");
  // ESP8266's budget and feature set...
  t.is(small.jsVars.count, esp.jsVars.count);
  t.is(small.tls, esp.tls);
  t.deepEqual(small.upload, esp.upload);
  t.is(small.blynk.scheme, esp.blynk.scheme);
  t.is(small.blynk.port, esp.blynk.port);
  // The ring the store keeps a table of in RAM, a few numbers per sector: the same sectors, of
  // the same size, on both (esp8266 had 64 where linux-small has 16: about 150 JsVars that the
  // interpreter's figure for linux-small did not show).
  const ring = (f: typeof esp.flash) => {
    const s = openStore(new NorFlash({ base: f.address, size: f.length, pageSize: f.pageSize, alignment: f.writeAlignment }), {
      address: f.address,
      length: f.length,
      pageSize: f.pageSize,
      writeAlignment: f.writeAlignment,
    });
    return { sectors: s.n, sectorBytes: s.sectorBytes };
  };
  t.deepEqual(ring(esp.flash), ring(small.flash));
  // ...on the Linux hardware boundary.
  t.deepEqual({ ...small.flash, why: "" }, { ...linux.flash, why: "" });
  t.deepEqual(small.storage, linux.storage);
  t.is(small.network, linux.network);
  t.deepEqual(small.sampler, linux.sampler);
  t.is(small.espruinoBoard, linux.espruinoBoard);
  // The compiled code is the same once the profile literal is masked: only the data differs.
  const [a, b] = await Promise.all([build({ board: "linux-small", write: false }), build({ board: "esp8266", write: false })]);
  t.deepEqual(canonical(a.code), canonical(b.code));
  t.deepEqual(
    a.parts.map((p) => p.code),
    b.parts.map((p) => p.code),
    "the parts are the same code",
  );
  t.not(a.code, b.code);
});

test("an over-budget build fails and prints size against budget", async (t) => {
  const board = { ...loadBoard("esp8266"), codeBudgetBytes: 600 };
  const err = await t.throwsAsync(build({ board, entry: bannerEntry(), write: false }), { instanceOf: BuildError });
  t.regex(err!.message, /esp8266: bundle is \d+ bytes, over the board's code budget of 600 bytes/);
});

test("a bundling error names the file", async (t) => {
  const entry = source(`import { nothing } from "./does-not-exist.ts";\nprint(String(nothing));`);
  const err = await t.throwsAsync(build({ board: "linux", entry, write: false }), { instanceOf: BuildError });
  t.regex(err!.message, /case\d+\.ts:2:\d+: Could not resolve/);
});

test("--sourcemap writes a map that leads back to the TypeScript sources", async (t) => {
  const outDir = mkdtempSync(join(tmpdir(), "spool-map-"));
  const r = await build({ board: "esp32", entry: bannerEntry(), outDir, sourcemap: true });
  const map = JSON.parse(readFileSync(`${r.file}.map`, "utf8")) as { sources: string[] };
  t.true(map.sources.some((s) => s.endsWith("src/device/hal.ts")));
  t.true(map.sources.some((s) => s.endsWith("banner.ts")));
  t.true(readFileSync(r.file, "utf8").endsWith("//# sourceMappingURL=esp32.js.map\n"));
});

/** Names declared at the top of `program` (a script or a part's body). */
function topNames(program: any): Set<string> {
  const names = new Set<string>();
  for (const s of program.body) {
    if ((s.type === "FunctionDeclaration" || s.type === "ClassDeclaration") && s.id) names.add(s.id.name);
    if (s.type === "VariableDeclaration") for (const d of s.declarations) if (d.id.type === "Identifier") names.add(d.id.name);
  }
  return names;
}

/**
 * A module-level function's code with its own names numbered in order of appearance, the
 * bundle's global names (`$<n>`) kept and the other names of its file's module level as `@`:
 * the same for two copies of one function, whatever the minifier named them in each file, as
 * long as what they call is the bundle's (a copy calling another copy of the part is not seen,
 * the copy it calls is).
 */
function canonicalFunctions(code: string): Map<string, string> {
  const program = acorn.parse(code, { ecmaVersion: 2020, allowReturnOutsideFunction: true }) as any;
  const top = topNames(program);
  const out = new Map<string, string>();
  for (const fn of program.body) {
    if (fn.type !== "FunctionDeclaration") continue;
    const own = new Set<string>();
    walk.full(fn, (n: any) => {
      if (n.type === "VariableDeclarator" && n.id.type === "Identifier") own.add(n.id.name);
      if ((n.type === "FunctionDeclaration" || n.type === "FunctionExpression") && n.id && n !== fn) own.add(n.id.name);
      if (/Function/.test(n.type)) for (const p of n.params) if (p.type === "Identifier") own.add(p.name);
      if (n.type === "CatchClause" && n.param?.type === "Identifier") own.add(n.param.name);
    });
    const edits = new Map<number, { end: number; name: string }>();
    const numbered = new Map<string, string>();
    walk.fullAncestor(fn, (n: any, _s: unknown, ancestors: any[]) => {
      if (n.type !== "Identifier" || n === fn.id) return;
      const parent = ancestors[ancestors.length - 2];
      if (parent?.type === "MemberExpression" && parent.property === n && !parent.computed) return;
      if ((parent?.type === "Property" || parent?.type === "MethodDefinition") && parent.key === n && !parent.computed && !parent.shorthand)
        return;
      let name = n.name;
      if (own.has(name)) {
        if (!numbered.has(name)) numbered.set(name, `#${numbered.size}`);
        name = numbered.get(name)!;
      } else if (top.has(name) && !/^\$[0-9a-z]+$/.test(name)) name = "@";
      edits.set(n.start, { end: n.end, name });
    });
    let text = "";
    let at = fn.start;
    for (const [start, e] of [...edits].sort((a, b) => a[0] - b[0])) {
      text += code.slice(at, start) + e.name;
      at = e.end;
    }
    text += code.slice(at, fn.end);
    out.set(text.slice(text.indexOf("(")), fn.id.name);
  }
  return out;
}

test("a part carries no copy of a function the bundle defines: it calls the bundle's global name", async (t) => {
  const r = await build({ board: "esp8266", write: false });
  const bundle = canonicalFunctions(r.code);
  const bundleAst = acorn.parse(r.code, { ecmaVersion: 2020 }) as any;
  const bundleTop = topNames(bundleAst);
  const statementOf = (name: string) => bundleAst.body.findIndex((s: any) => topNames({ body: [s] }).has(name));
  for (const p of r.parts) {
    const body = p.code.slice(0, p.code.lastIndexOf("//"));
    // A part the early passes load may use only what is declared before it runs: copies of the rest.
    const limit = p.linkLimit ? statementOf(p.linkLimit) : Number.POSITIVE_INFINITY;
    for (const [text, name] of canonicalFunctions(body)) {
      const of = bundle.get(text);
      t.true(of === undefined || statementOf(of) >= limit, `part ${p.name}: its function ${name} is the bundle's ${of}`);
    }
    // Every global name of the bundle's form it calls is one the bundle declares.
    const program = acorn.parse(body, { ecmaVersion: 2020, allowReturnOutsideFunction: true }) as any;
    const own = topNames(program);
    walk.full(program, (n: any) => {
      if (n.type === "Identifier" && /^\$[0-9a-z]+$/.test(n.name) && !own.has(n.name))
        t.true(bundleTop.has(n.name), `part ${p.name} calls ${n.name}, which the bundle does not declare`);
    });
  }
  t.truthy(r.parts.find((p) => p.name === "config")!.linkLimit, "the configuration pass loads the config part");
  t.truthy(r.parts.find((p) => p.name === "check")!.linkLimit, "the config part loads the check part at that pass");
  const mount = r.parts.find((p) => p.name === "mount")!;
  t.truthy(mount.linkLimit, "the store pass loads the mount part");
  t.true(
    mount.linked.some((l) => l.endsWith("=putVarint")),
    `the mount part calls the bundle's putVarint: ${mount.linked.join(" ")}`,
  );
});

test("a part loaded while the bundle's module level runs links only what is declared before that moment", async (t) => {
  writeFileSync(join(work, "link-before.ts"), "export function before(x: number) { return x + 1; }\n");
  writeFileSync(join(work, "link-after.ts"), "export function after(x: number) { return x * 2; }\n");
  // Loads part "early" at load, as the firmware's early passes do.
  writeFileSync(join(work, "link-early.ts"), 'declare const parts: any;\nif (typeof parts !== "undefined") parts.load("early");\n');
  const entry = join(work, "link-entry.ts");
  writeFileSync(
    entry,
    'import { before } from "./link-before.ts";\nimport "./link-early.ts";\nimport { after } from "./link-after.ts";\nconsole.log(before(1) + after(2));\n',
  );
  const part = join(work, "link-part.ts");
  writeFileSync(
    part,
    'import { before } from "./link-before.ts";\nimport { after } from "./link-after.ts";\nexport default { f: (x: number) => before(x) + after(x) };\n',
  );
  const r = await build({
    board: "linux",
    entry,
    parts: [
      { name: "early", entry: part },
      { name: "late", entry: part },
    ],
    write: false,
  });
  const names = (p: string) => r.parts.find((x) => x.name === p)!.linked.map((l) => l.split("=")[1]);
  t.deepEqual(names("early"), ["before"], "after is declared once the part may already run: it keeps its copy");
  t.deepEqual(names("late").sort(), ["after", "before"]);
  // The linked part runs against the bundle's globals.
  const g: any = vm.createContext({ console: { log: () => undefined } });
  vm.runInContext(r.code, g);
  for (const p of r.parts) t.is(vm.runInContext(`new Function(${JSON.stringify(p.code)})()`, g).f(3), 10, p.name);
});

test("__SPOOL_FORGET__ deletes boot-only functions once the boot ran; one that later code calls is refused", async (t) => {
  const code = await lower(`function bootOnly(): number { return helper() * 2; }
function helper(): number { return 21; }
function kept(): number { return 1; }
function boot(): void {
  print("boot " + bootOnly() + " " + kept());
  __SPOOL_FORGET__(bootOnly, helper);
  print(typeof bootOnly + " " + typeof helper + " " + typeof kept);
}
(() => { print("early " + helper()); })();
boot();
print("after " + kept());`);
  t.deepEqual(runInVm(code), ["early 21", "boot 42 1", "undefined undefined function", "after 1"]);
  t.regex(code, /delete \$[0-9a-z]+,\s*delete \$[0-9a-z]+/);
  t.false(/__SPOOL_FORGET__/.test(code));
  // Declared by assignment: a JavaScript engine deletes that global (the simulation's), not a declared function.
  const vars = moduleVars(code, 16);
  t.is(vars.assigned.size, 2, "the simulation counts them, by name");
  t.true([...vars.assigned.values()].every((n) => n === 4));

  const err = (await t.throwsAsync(
    lower(`function bootOnly(): number { return 2; }
function later(): number { return bootOnly(); }
function boot(): void { print(String(later())); __SPOOL_FORGET__(bootOnly); }
boot();
setInterval(later, 1000);`),
    { instanceOf: BuildError },
  )) as BuildError;
  t.regex(err.message, /bootOnly is used by later, which can run after the boot forgot it/);
  const notFn = (await t.throwsAsync(
    lower(`const x = { a: 1 };\nfunction boot(): void { print(String(x.a)); __SPOOL_FORGET__(x as any); }\nboot();`),
    {
      instanceOf: BuildError,
    },
  )) as BuildError;
  t.regex(notFn.message, /x is not a function declared at the module level/);
});

test("the firmware forgets its boot code only when it runs as Storage's boot code", async (t) => {
  const r = await build({ board: "linux-small", write: false });
  const forget = /([\w$.]+)\.read\("\.bootcde"\)!==void 0&&\((delete \$[0-9a-z]+,?)+\)/.exec(r.code);
  t.truthy(forget, "a guarded delete of the boot code");
  t.true(forget![0].split("delete").length - 1 >= 8, forget![0]);
});
