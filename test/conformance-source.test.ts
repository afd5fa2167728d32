/**
 * The simulation's source rewrite (src/host/sim/espruino-source.ts) on the shapes a minified
 * bundle has, and what it must leave alone. What it makes the code do is checked against the
 * interpreter by the conformance probes; these check the forms the probes do not write.
 */
import test from "ava";
import { espruinoSource } from "../src/host/sim/espruino-source.ts";
import { readBoard, simWorld } from "../src/host/sim/testing.ts";

const LINUX = readBoard("linux");

function booted(code: string) {
  const sim = simWorld().device({ board: LINUX });
  sim.boot(code);
  return sim;
}

test("minified code: an operand right after a keyword still parses, and numbers meet strings as Espruino writes them", (t) => {
  const sim = booted('function f(x){return"v"+x}function g(x){var s="";for(var i=0;i<2;i++)s+=x;return typeof"a"+s}');
  t.deepEqual(sim.output(), []);
  t.is(sim.eval("f(0.1+0.2)"), "v0.3");
  t.is(sim.eval("g(1/3)"), "string0.333333333330.33333333333");
  sim.close();
});

test("writes, deletes, updates and method calls on a prototype are left as they are", (t) => {
  const sim = booted(
    "function Foo(){this.k=2}Foo.prototype.bar=function(){return this===Foo.prototype};Foo.prototype.n=1;Foo.prototype.n++;Foo.prototype.n+=0.5;" +
      "Array.prototype.tmp=1;delete Array.prototype.tmp;var r=[Foo.prototype.bar(),Foo.prototype.n,typeof Array.prototype.tmp,Foo.prototype.bar.call(new Foo())].join();",
  );
  t.deepEqual(sim.output(), []);
  t.is(sim.eval("r"), "true,2.5,undefined,false");
  sim.close();
});

test("a tagged template gets its values as they are; a template literal writes them as Espruino does", (t) => {
  const sim = booted("function tag(s,v){return typeof v+s.length}");
  t.is(sim.eval("tag`a${1.5}b`"), "number2");
  t.is(sim.eval("`${2/3}`"), "0.66666666666");
  sim.close();
});

test("catch: V8's own errors become Espruino's; a destructured or missing parameter and a thrown value stay", (t) => {
  const sim = booted("");
  t.is(sim.eval("(function(){try{var u;u.q}catch(e){return e.message+'|'+e.type}})()"), "Can't read property 'q' of undefined|Error");
  t.is(sim.eval("(function(){try{throw 5}catch(e){return e}})()"), 5);
  t.is(sim.eval("(function(){try{var u;u.q}catch({message}){return typeof message}})()"), "string");
  t.is(sim.eval("(function(){try{var u;u.q}catch{return 'none'}})()"), "none");
  sim.close();
});

test("eval hands a device error to the host as an Error named by its type", (t) => {
  const sim = booted("");
  const e = t.throws(() => sim.eval("null.x"));
  t.is(e?.name, "Error");
  t.is(e?.message, "Can't read property 'x' of null");
  t.is(t.throws(() => sim.eval("nowhere"))?.name, "ReferenceError");
  sim.close();
});

test("a decimal literal used as a property name stays a name", (t) => {
  const sim = booted("var o={123456.789012345:1,0.1:2};class K{0.5(){return 3}}var r=Object.keys(o).join()+'|'+new K()['0.5']();");
  t.deepEqual(sim.output(), []);
  t.is(sim.eval("r"), "123456.789012345,0.1|3");
  sim.close();
});

test("code acorn cannot parse is returned as it is, so that V8 reports the SyntaxError", (t) => {
  t.is(espruinoSource("var = ;"), "var = ;");
  const sim = booted("var = ;");
  t.regex(sim.output().join("\n"), /^Uncaught SyntaxError: /);
  sim.close();
});
