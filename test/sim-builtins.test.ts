import test from "ava";
import { readBoard, simWorld } from "../src/host/sim/index.ts";

const esp32 = readBoard("esp32");
const linux = readBoard("linux");

function device(board = esp32) {
  const sim = simWorld().device({ board, seed: 7 });
  sim.boot("");
  return sim;
}

const MISSING = [
  "new Map()",
  "new Set()",
  "new WeakMap()",
  "new WeakSet()",
  "Symbol('x')",
  "new Proxy({}, {})",
  "Reflect.ownKeys({})",
  "structuredClone({})",
  "queueMicrotask(function(){})",
  "fetch('x')",
  "Buffer.from('x')",
  "new TextEncoder()",
  "new TextDecoder()",
  "BigInt(1)",
  "new RangeError('x')",
  "Intl.DateTimeFormat()",
  "encodeURI('x')",
];

for (const expr of MISSING) {
  test(`missing global: ${expr} throws ReferenceError`, (t) => {
    const sim = device();
    const e = t.throws(() => sim.eval(expr)) as Error;
    t.is(e.name, "ReferenceError");
  });
}

test("missing methods are undefined", (t) => {
  const sim = device();
  for (const expr of [
    "Array.from",
    "Array.of",
    "[].fill",
    "[].lastIndexOf",
    "[].flat",
    "Math.trunc",
    "Math.fround",
    "Math.hypot",
    "Number.isFinite",
    "Number.isInteger",
    "Number.MAX_SAFE_INTEGER",
    "Number.EPSILON",
    "''.repeat",
    "''.codePointAt",
    "Object.freeze",
    "Object.is",
    "Promise.race",
    "Promise.allSettled",
    "Promise.any",
    "Promise.prototype.finally",
    "Uint8Array.from",
    "Date.UTC",
    "(1).toPrecision",
    "globalThis.process && process.exit",
    "globalThis.process && process.nextTick",
  ]) {
    t.is(sim.eval(`typeof (${expr})`), "undefined", expr);
  }
});

test("what Espruino has is there", (t) => {
  const sim = device();
  for (const expr of [
    "new Uint8Array(4).fill(7)[3] === 7",
    "[1,2,3].includes(2)",
    "[1,2].find(function(x){return x>1}) === 2",
    "Object.assign({}, {a:1}).a === 1",
    "Object.entries({a:1})[0][0] === 'a'",
    "'ab'.padStart(4) === '  ab'",
    "Math.sign(-3) === -1",
    "typeof Promise.all === 'function'",
    "new DataView(new ArrayBuffer(4)).getUint8(0) === 0",
    "JSON.stringify({a:[1]}) === '{\"a\":[1]}'",
    "(function(){ var s = 0; for (var x of [1,2,3]) s += x; return s; })() === 6",
    "(function(){ class A { constructor(){ this.v = 2 } get d(){ return this.v * 2 } } return new A().d; })() === 4",
    "(function(){ var o = {}; o.on('x', function(v){ o.got = v; }); o.emit('x', 5); return o.got; })() === 5",
    "`t${1}` === 't1'",
    "(null ?? 3) === 3",
    "btoa('hi') === 'aGk='",
    "atob('aGk=') === 'hi'",
    "typeof InternalError === 'function'",
    "global === globalThis",
    "typeof E.CRC32 === 'function'",
  ]) {
    t.is(sim.eval(expr), true, expr);
  }
});

test("Math.random is seeded: same seed, same sequence", (t) => {
  const a = device();
  const b = device();
  const seqA = a.eval("[Math.random(), Math.random(), Math.random()]") as number[];
  t.deepEqual([...seqA], [...(b.eval("[Math.random(), Math.random(), Math.random()]") as number[])]);
  t.true(seqA.every((x) => x >= 0 && x < 1));
});

test("require: unknown modules throw 'Module X not found'; Wifi exists on ESP boards only", (t) => {
  t.throws(() => device().eval('require("fs")'), { message: "Module fs not found" });
  t.is(device(esp32).eval('typeof require("Wifi").connect'), "function");
  t.throws(() => device(linux).eval('require("Wifi")'), { message: "Module Wifi not found" });
  t.is(device().eval('require("Storage") === require("Storage")'), true);
});

test("E helpers: CRC32 as zlib, toString / toUint8Array, getSizeOf grows with content", (t) => {
  const sim = device();
  t.is(sim.eval('E.CRC32("123456789")'), 0xcbf43926);
  t.is(sim.eval("E.CRC32(new Uint8Array([49,50,51,52,53,54,55,56,57]))"), 0xcbf43926);
  t.is(sim.eval("E.toString([65, 66], new Uint8Array([67]))"), "ABC");
  t.is(sim.eval("E.toString(new Uint8Array([0, 255]))"), "\x00\xff");
  t.is(sim.eval('E.toUint8Array("\\x01\\xff") instanceof Uint8Array'), true);
  t.is(sim.eval('E.toUint8Array("\\x01\\xff")[1]'), 255);
  const small = sim.eval("E.getSizeOf({a: 1})") as number;
  const big = sim.eval("E.getSizeOf({a: 1, s: E.toString({data: 65, count: 1000})})") as number;
  t.true(big > small + 50, `${small} vs ${big}`);
});

test("process: version, env, memory() estimate moves with global data", (t) => {
  const sim = device();
  t.is(sim.eval("process.version"), "2v29");
  t.is(sim.eval("process.env.BOARD"), esp32.espruinoBoard);
  const before = sim.eval("process.memory()") as { usage: number; total: number; free: number };
  t.is(before.total, esp32.jsVars.count);
  t.is(before.free, before.total - before.usage);
  sim.eval("var big = []; for (var i = 0; i < 500; i++) big.push({v: i, s: 'some text ' + i});");
  const after = sim.eval("process.memory()") as { usage: number };
  t.true(after.usage > before.usage + 1000, `${before.usage} -> ${after.usage}`);
});

test("repl prints like the Espruino console", (t) => {
  const sim = device();
  t.is(sim.repl("1+2"), "=3");
  t.is(sim.repl('"a"'), '="a"');
  t.is(sim.repl("({a: 1, b: [1, 2]})"), "={ a: 1, b: [ 1, 2 ] }");
  t.is(sim.repl("0.1+0.2"), "=0.3");
  t.is(sim.repl('print("x"); undefined'), "x\n=undefined");
  t.is(sim.repl('throw new Error("bad")'), "Uncaught Error: bad");
  t.is(sim.repl("new Uint8Array([1,2])"), "=new Uint8Array([1, 2])");
  t.is(sim.repl("print({a: 1})"), '{ "a": 1 }\n=undefined');
});
