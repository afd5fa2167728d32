/**
 * The build gate: parses a finished bundle and lists everything in it the Espruino interpreter
 * cannot run, or runs differently from Node (see docs/target-espruino.md). Each rule below was
 * checked against Espruino's source or its Linux build (2v29).
 */
import * as acorn from "acorn";
import { analyzeScopes, isFunction, type Binding, type Node, type ScopeInfo } from "./scopes.ts";
import {
  BANNED_ARRAY_METHODS,
  BANNED_METHODS,
  DEFERRING_CALLS,
  MISSING_ARRAY_METHODS,
  MISSING_GLOBALS,
  MISSING_METHODS,
  STATIC_MEMBERS,
} from "./espruino-builtins.ts";
import type { SourcePosition } from "./sourcemap.ts";

/** Rule names, as they appear in violations. */
export const RULES = {
  syntax: "the bundle does not parse",
  "default-param": "default parameter values (Espruino: SyntaxError)",
  "rest-spread": "rest/spread `...` (Espruino: SyntaxError)",
  destructuring: "destructuring patterns (Espruino: SyntaxError)",
  async: "async functions / await (Espruino has neither)",
  generator: "generators / yield (Espruino has neither)",
  exponent: "the `**` operator (Espruino: SyntaxError)",
  "optional-chaining": "optional chaining `?.` (Espruino: SyntaxError)",
  "logical-assignment": "`??=`, `||=`, `&&=` (Espruino: SyntaxError)",
  label: "labelled statements (Espruino: ReferenceError)",
  "class-field": "class fields, private members, static blocks (Espruino: missing or wrong semantics)",
  "computed-key": "computed keys `{[k]: v}` in object literals and classes (Espruino: SyntaxError)",
  "tagged-template": "tagged template literals (Espruino: SyntaxError)",
  "meta-property": "`new.target` / `import.meta` (Espruino: SyntaxError)",
  "arrow-arguments": "`arguments` inside an arrow function (Espruino: undefined)",
  "class-extends": "`extends` of anything but a name or member (Espruino: SyntaxError)",
  "named-class-expression": "a class expression that refers to its own inner name (Espruino does not bind it)",
  bigint: "BigInt literals",
  "regexp-feature": "regular-expression features Espruino lacks (named groups, flags other than g i m u)",
  "unicode-escape": "`\\u{...}` escapes (Espruino: Invalid escape sequence)",
  "loop-closure": "a closure over a `let`/`const` loop variable (Espruino: one binding for all iterations)",
  "use-before-declaration": "a function or class used before its declaration has run (Espruino does not hoist)",
  "missing-builtin": "a builtin Espruino does not have",
  "banned-builtin": "a builtin the project's target list bans",
} as const;

export type RuleName = keyof typeof RULES;

/** One thing the gate refuses, at a 1-based line and 0-based column of the bundle. */
export interface Violation {
  rule: RuleName;
  message: string;
  line: number;
  column: number;
  /** Where it came from in the TypeScript source, when a source map chain was given. */
  source?: SourcePosition;
}

export interface CheckOptions {
  /** Maps a bundle position back to the source, for messages. */
  mapBack?: (line: number, column: number) => SourcePosition | undefined;
}

/** Formats a violation as `rule at bundle L:C (source file:L:C): message` (the source when known). */
export function formatViolation(v: Violation): string {
  const src = v.source ? ` (${v.source.file}:${v.source.line}:${v.source.column + 1})` : "";
  return `${v.rule} at bundle ${v.line}:${v.column + 1}${src}: ${v.message}`;
}

/**
 * Lists what in `code` Espruino cannot run.
 * @param code a complete script (the minified bundle, or any test input).
 * @returns the violations in source order; empty when the code passes.
 */
export function checkBundle(code: string, opts: CheckOptions = {}): Violation[] {
  let program: Node;
  try {
    program = acorn.parse(code, {
      ecmaVersion: "latest",
      sourceType: "script",
      locations: true,
      allowReturnOutsideFunction: false,
    }) as Node;
  } catch (err) {
    const e = err as SyntaxError & { loc?: { line: number; column: number } };
    return [withSource({ rule: "syntax", message: e.message, line: e.loc?.line ?? 1, column: e.loc?.column ?? 0 }, opts)];
  }
  const info = analyzeScopes(program);
  const out: Violation[] = [];
  const add = (rule: RuleName, node: Node, message: string): void => {
    out.push({ rule, message, line: node.loc!.start.line, column: node.loc!.start.column });
  };
  syntaxRules(program, info, add);
  builtinRules(program, info, add);
  loopClosureRule(info, add);
  useBeforeDeclarationRule(program, info, add);
  out.sort((a, b) => a.line - b.line || a.column - b.column);
  // One report per rule and position.
  const seen = new Set<string>();
  return out
    .filter((v) => {
      const k = `${v.rule}@${v.line}:${v.column}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .map((v) => withSource(v, opts));
}

function withSource(v: Violation, opts: CheckOptions): Violation {
  const source = opts.mapBack?.(v.line, v.column);
  return source ? { ...v, source } : v;
}

type Add = (rule: RuleName, node: Node, message: string) => void;

function walk(node: Node, visit: (n: Node) => void): void {
  visit(node);
  for (const key of Object.keys(node)) {
    if (key === "loc") continue;
    const v = node[key];
    if (Array.isArray(v)) {
      for (const c of v) if (c && typeof c.type === "string") walk(c, visit);
    } else if (v && typeof v === "object" && typeof v.type === "string") walk(v, visit);
  }
}

function nearestFunction(n: Node, info: ScopeInfo): Node | undefined {
  let p = info.parentOf.get(n);
  while (p && !isFunction(p)) p = info.parentOf.get(p);
  return p;
}

function syntaxRules(program: Node, info: ScopeInfo, add: Add): void {
  walk(program, (n) => {
    switch (n.type) {
      case "AssignmentPattern":
        if (isFunction(info.parentOf.get(n)))
          add("default-param", n, "default parameter value: give the parameter a value in the body instead");
        else add("destructuring", n, "default value inside a destructuring pattern");
        break;
      case "RestElement":
        add("rest-spread", n, "rest element `...`: pass an array, or read `arguments`");
        break;
      case "SpreadElement":
        add(
          "rest-spread",
          n,
          info.parentOf.get(n)?.type === "ObjectExpression" ? "object spread `{...x}`: use Object.assign" : "spread `...`",
        );
        break;
      case "ObjectPattern":
      case "ArrayPattern":
        if (info.parentOf.get(n)?.type !== "AssignmentPattern" || !isFunction(info.parentOf.get(info.parentOf.get(n)!)))
          add("destructuring", n, "destructuring: read the properties one by one");
        break;
      case "FunctionDeclaration":
      case "FunctionExpression":
      case "ArrowFunctionExpression":
        if (n.async) add("async", n, "async function: use Promise.then");
        if (n.generator) add("generator", n, "generator function");
        break;
      case "AwaitExpression":
        add("async", n, "await: use Promise.then");
        break;
      case "ForOfStatement":
        if (n.await) add("async", n, "for await");
        break;
      case "YieldExpression":
        add("generator", n, "yield");
        break;
      case "BinaryExpression":
        if (n.operator === "**") add("exponent", n, "`**`: use Math.pow");
        break;
      case "AssignmentExpression":
        if (n.operator === "**=") add("exponent", n, "`**=`: use Math.pow");
        if (n.operator === "??=" || n.operator === "||=" || n.operator === "&&=") add("logical-assignment", n, `\`${n.operator}\``);
        break;
      case "ChainExpression":
        add("optional-chaining", n, "`?.`: test for null/undefined explicitly");
        break;
      case "LabeledStatement":
        add("label", n, `label \`${n.label.name}:\`: restructure the loop (e.g. a flag, or a function and return)`);
        break;
      case "PropertyDefinition":
        add("class-field", n, "class field: assign it in the constructor");
        break;
      case "PrivateIdentifier":
        add("class-field", n, `private member #${n.name}`);
        break;
      case "StaticBlock":
        add("class-field", n, "static initialization block");
        break;
      case "Property":
      case "MethodDefinition":
        if (n.computed) add("computed-key", n, "computed key `[expr]`: assign the property after creating the object");
        break;
      case "TaggedTemplateExpression":
        add("tagged-template", n, "tagged template: call the function with a string");
        break;
      case "MetaProperty":
        add("meta-property", n, `\`${n.meta.name}.${n.property.name}\``);
        break;
      case "Identifier":
        if (n.name === "arguments" && !info.bindingOf.get(n)) {
          const fn = nearestFunction(n, info);
          if (fn?.type === "ArrowFunctionExpression")
            add("arrow-arguments", n, "`arguments` in an arrow function: use a function expression");
        }
        break;
      case "ClassDeclaration":
      case "ClassExpression":
        if (n.superClass && n.superClass.type !== "Identifier" && n.superClass.type !== "MemberExpression")
          add("class-extends", n.superClass, "`extends` an expression: assign it to a variable first");
        if (n.type === "ClassExpression" && n.id) namedClassExpression(n, info, add);
        break;
      case "Literal":
        if (typeof n.bigint === "string") add("bigint", n, "BigInt literal");
        if (n.regex) {
          const { pattern, flags } = n.regex as { pattern: string; flags: string };
          const badFlags = flags.replace(/[gimu]/g, "");
          if (badFlags) add("regexp-feature", n, `regular-expression flag(s) "${badFlags}"`);
          if (/\(\?<[^=!]/.test(pattern)) add("regexp-feature", n, "named capture group");
        } else if (typeof n.value === "string" && /\\u\{/.test(n.raw ?? ""))
          add("unicode-escape", n, "`\\u{...}` escape: use \\uXXXX (surrogate pairs)");
        break;
      case "TemplateElement":
        if (/\\u\{/.test(n.value.raw)) add("unicode-escape", n, "`\\u{...}` escape: use \\uXXXX (surrogate pairs)");
        break;
    }
  });
}

/**
 * `var A = class A { m() { return A } }` works on Espruino only because the outer `var A` has
 * the same name (Espruino does not bind the class expression's own name). Anything else fails.
 */
function namedClassExpression(cls: Node, info: ScopeInfo, add: Add): void {
  const inner = info.bindings.find((b) => b.decl === cls && b.kind === "class-name");
  if (!inner || inner.refs.length === 0) return;
  const parent = info.parentOf.get(cls);
  const outerSameName =
    (parent?.type === "VariableDeclarator" && parent.id.type === "Identifier" && parent.id.name === cls.id.name) ||
    (parent?.type === "AssignmentExpression" && parent.left.type === "Identifier" && parent.left.name === cls.id.name);
  if (!outerSameName)
    add("named-class-expression", inner.refs[0], `class expression \`${cls.id.name}\` refers to itself by its inner name`);
}

/** Is `typeof X` tested for "undefined" on the way to this reference (`typeof X < "u" ? X : ...`)? */
function featureTested(id: Node, info: ScopeInfo): boolean {
  const defines = (test: Node): boolean => {
    if (test.type === "LogicalExpression" && test.operator === "&&") return defines(test.left) || defines(test.right);
    if (test.type !== "BinaryExpression") return false;
    const [t, lit] = test.left.type === "UnaryExpression" ? [test.left, test.right] : [test.right, test.left];
    if (t.type !== "UnaryExpression" || t.operator !== "typeof" || t.argument.type !== "Identifier" || t.argument.name !== id.name)
      return false;
    if (lit.type !== "Literal" || (lit.value !== "undefined" && lit.value !== "u")) return false;
    // esbuild writes `typeof X !== "undefined"` as `typeof X < "u"` ("undefined" is the only typeof result >= "u").
    return test.operator === "!==" || test.operator === "!=" || (test.operator === "<" && test.left === t);
  };
  let child: Node = id;
  for (let p = info.parentOf.get(id); p; child = p, p = info.parentOf.get(p)) {
    if ((p.type === "ConditionalExpression" || p.type === "IfStatement") && p.consequent === child && defines(p.test)) return true;
    if (p.type === "LogicalExpression" && p.operator === "&&" && p.right === child && defines(p.left)) return true;
  }
  return false;
}

function isArrayReceiver(obj: Node): boolean {
  if (obj.type === "ArrayExpression") return true;
  if ((obj.type === "CallExpression" || obj.type === "NewExpression") && obj.callee.type === "Identifier" && obj.callee.name === "Array")
    return true;
  return false;
}

function builtinRules(program: Node, info: ScopeInfo, add: Add): void {
  for (const id of info.globals) {
    const parent = info.parentOf.get(id);
    if (MISSING_GLOBALS.has(id.name)) {
      if (parent?.type === "UnaryExpression" && parent.operator === "typeof") continue;
      if (featureTested(id, info)) continue;
      add("missing-builtin", id, `${id.name} does not exist on Espruino`);
      continue;
    }
    const statics = STATIC_MEMBERS[id.name];
    if (statics && parent?.type === "MemberExpression" && parent.object === id && !parent.computed && !statics.has(parent.property.name)) {
      add("missing-builtin", parent, `${id.name}.${parent.property.name} does not exist on Espruino`);
    }
  }
  // Method calls by name: `x.codePointAt(...)`, `[...].fill(...)`.
  walk(program, (n) => {
    if (
      n.type === "CallExpression" &&
      n.callee.type === "MemberExpression" &&
      !n.callee.computed &&
      n.callee.property.type === "Identifier"
    ) {
      const name: string = n.callee.property.name;
      const recv: Node = n.callee.object;
      // `Object.keys(o)`: a static member, checked above.
      if (recv.type === "Identifier" && STATIC_MEMBERS[recv.name] && !info.bindingOf.get(recv)) return;
      const ownDefined = info.definedProps.has(name);
      if (MISSING_METHODS.has(name) && !ownDefined) add("missing-builtin", n.callee.property, `.${name}() does not exist on Espruino`);
      else if (MISSING_ARRAY_METHODS.has(name) && isArrayReceiver(recv))
        add("missing-builtin", n.callee.property, `Array.prototype.${name}() does not exist on Espruino`);
      else if (BANNED_METHODS.has(name) && !ownDefined)
        add("banned-builtin", n.callee.property, `.${name}() is on the project's list of builtins not to use`);
      else if (BANNED_ARRAY_METHODS.has(name) && isArrayReceiver(n.callee.object))
        add("banned-builtin", n.callee.property, `Array.prototype.${name}() is on the project's list of builtins not to use: use a loop`);
    }
  });
}

const LOOPS = new Set(["ForStatement", "ForInStatement", "ForOfStatement", "WhileStatement", "DoWhileStatement"]);

/** A `let`/`const` declared in a loop (head or body) and read by a function created in that loop. */
function loopClosureRule(info: ScopeInfo, add: Add): void {
  for (const b of info.bindings) {
    if (b.kind !== "let" && b.kind !== "const") continue;
    // The loop the declaration sits in, within the same function.
    let loop: Node | undefined;
    for (let p = info.parentOf.get(b.decl); p && !isFunction(p); p = info.parentOf.get(p)) {
      if (LOOPS.has(p.type)) {
        loop = p;
        break;
      }
    }
    if (!loop) continue;
    const home = nearestFunction(b.decl, info);
    const captured = b.refs.find((r) => nearestFunction(r, info) !== home);
    if (captured)
      add(
        "loop-closure",
        captured,
        `closure over loop variable \`${b.name}\`: Espruino shares one binding across iterations (pass it to a function that creates the closure)`,
      );
  }
}

/**
 * A function or class declaration referenced before its declaration statement has run: by code
 * that runs in the same activation textually before it, or inside a function that is invoked
 * there (an IIFE, a callback passed to a call that is not a known deferring API, a function
 * declaration or `var f = function` called there, a class constructor run by `new`, or a
 * method of an object literal or class called there by name: see `sitesOf`).
 */
function useBeforeDeclarationRule(program: Node, info: ScopeInfo, add: Add): void {
  indexMembers(program, info);
  for (const b of info.bindings) {
    if (b.kind !== "function" && b.kind !== "class") continue;
    if (b.decl.type !== "FunctionDeclaration" && b.decl.type !== "ClassDeclaration") continue;
    const activation = b.scope.node;
    const declStart = b.decl.start;
    for (const ref of b.refs) {
      if (ref.start >= b.decl.start && ref.end <= b.decl.end) continue; // its own body (recursion)
      if (runsBefore(ref, activation, declStart, info, new Set())) {
        add(
          "use-before-declaration",
          ref,
          `\`${b.name}\` is used before its ${b.kind} declaration has run: Espruino does not hoist; move the declaration up`,
        );
        break;
      }
    }
  }
}

/** Does `node` run during `activation`, before position `before` is reached? */
function runsBefore(node: Node, activation: Node, before: number, info: ScopeInfo, seen: Set<Node>): boolean {
  const fn: Node | undefined = nearestFunction(node, info);
  if (activation.type === "Program" ? fn === undefined : fn === activation) return node.start < before;
  if (!fn) return false; // not inside the activation at all
  // `node` sits in a nested function: find the outermost one below the activation, and ask
  // whether each one on the way is invoked during its parent's activation.
  const chain: Node[] = [];
  for (let f: Node | undefined = fn; f && f !== activation; f = nearestFunction(f, info)) chain.push(f);
  if (chain.length === 0 || (activation.type !== "Program" && nearestFunction(chain[chain.length - 1], info) !== activation)) return false;
  for (let i = 0; i < chain.length; i++) {
    const f = chain[i];
    const parentActivation = i + 1 < chain.length ? chain[i + 1] : activation;
    const limit = i + 1 < chain.length ? Infinity : before;
    if (invokedDuring(f, parentActivation, limit, info, seen)) continue;
    // A method of an object made in a function that has returned (`mk().m()`): it runs when
    // called, wherever that is.
    return (
      i + 1 < chain.length && runsBefore(f, activation, before, info, seen) && escapedMethodRunsBefore(f, activation, before, info, seen)
    );
  }
  return true;
}

function escapedMethodRunsBefore(fn: Node, activation: Node, before: number, info: ScopeInfo, seen: Set<Node>): boolean {
  const method = methodOf(fn, info);
  if (!method || seen.has(fn)) return false;
  seen.add(fn);
  try {
    return sitesOf(method, info).some((site) => runsBefore(site, activation, before, info, seen));
  } finally {
    seen.delete(fn);
  }
}

/** Is function `fn` (directly inside `activation`) invoked during it, before `before`? */
function invokedDuring(fn: Node, activation: Node, before: number, info: ScopeInfo, seen: Set<Node>): boolean {
  if (seen.has(fn)) return false;
  seen.add(fn);
  try {
    const parent = info.parentOf.get(fn)!;
    const callsOf = (b: Binding | undefined): boolean =>
      !!b && b.refs.some((r) => isInvoked(r, info) && runsBefore(r, activation, before, info, seen));
    if (fn.type === "FunctionDeclaration")
      return callsOf(info.bindings.find((b) => b.decl === fn && b.kind === "function" && b.scope.node !== fn));
    // (function(){ ... })()  /  (() => ...)()  /  fn.call(...)
    if (isInvoked(fn, info)) return runsBefore(parent, activation, before, info, seen);
    // A callback passed to a call: runs now unless the callee is known to defer it.
    if ((parent.type === "CallExpression" || parent.type === "NewExpression") && parent.arguments.includes(fn)) {
      const callee = parent.callee;
      const name =
        callee.type === "Identifier"
          ? callee.name
          : callee.type === "MemberExpression" && !callee.computed
            ? callee.property.name
            : undefined;
      if (name && DEFERRING_CALLS.has(name)) return false;
      return runsBefore(parent, activation, before, info, seen);
    }
    // var f = function () {}; f();
    if (parent.type === "VariableDeclarator" && parent.id.type === "Identifier")
      return callsOf(info.bindingOf.get(parent.id) ?? info.bindings.find((b) => b.name === parent.id.name && b.scope.node === activation));
    // class C { constructor() { ... } }: runs at `new C`.
    if (parent.type === "MethodDefinition" && parent.kind === "constructor") {
      const cls = info.parentOf.get(info.parentOf.get(parent)!)!;
      const b = info.bindings.find((x) => x.decl === cls && (x.kind === "class" || x.kind === "class-name"));
      let outer: Binding | undefined = b;
      const clsParent = info.parentOf.get(cls);
      if (cls.type === "ClassExpression" && clsParent?.type === "VariableDeclarator" && clsParent.id.type === "Identifier")
        outer = info.bindings.find((x) => x.decl === info.parentOf.get(clsParent) && x.name === clsParent.id.name);
      return !!outer && outer.refs.some((r) => isNewed(r, info) && runsBefore(r, activation, before, info, seen));
    }
    // o.m() / this.m() / C.s(): a method of an object literal or a class, run by a call (or for
    // a getter, a read) of its name on a receiver that may be its owner.
    const method = methodOf(fn, info);
    if (method) return sitesOf(method, info).some((site) => runsBefore(site, activation, before, info, seen));
    return false;
  } finally {
    seen.delete(fn);
  }
}

function isInvoked(n: Node, info: ScopeInfo): boolean {
  const p = info.parentOf.get(n);
  if (!p) return false;
  if ((p.type === "CallExpression" || p.type === "NewExpression") && p.callee === n) return true;
  if (p.type === "MemberExpression" && p.object === n && !p.computed && (p.property.name === "call" || p.property.name === "apply")) {
    const gp = info.parentOf.get(p);
    return gp?.type === "CallExpression" && gp.callee === p;
  }
  return false;
}

function isNewed(n: Node, info: ScopeInfo): boolean {
  const p = info.parentOf.get(n);
  return (
    (p?.type === "NewExpression" && p.callee === n) ||
    ((p?.type === "ClassDeclaration" || p?.type === "ClassExpression") && p.superClass === n)
  );
}

/** A method of an object literal or class: its name, and what it belongs to. */
interface Method {
  key: string;
  /** The ObjectExpression, or the ClassDeclaration / ClassExpression. */
  owner: Node;
  isStatic: boolean;
  getter: boolean;
}

function keyName(prop: Node): string | undefined {
  if (prop.computed) return undefined;
  if (prop.key.type === "Identifier") return prop.key.name;
  if (prop.key.type === "Literal") return String(prop.key.value);
  return undefined;
}

function methodOf(fn: Node, info: ScopeInfo): Method | undefined {
  const p = info.parentOf.get(fn);
  if (!p || p.value !== fn || p.kind === "set") return undefined;
  const key = keyName(p);
  if (key === undefined) return undefined;
  if (p.type === "Property" && info.parentOf.get(p)?.type === "ObjectExpression")
    return { key, owner: info.parentOf.get(p)!, isStatic: false, getter: p.kind === "get" };
  if (p.type === "MethodDefinition" && p.kind !== "constructor")
    return { key, owner: info.parentOf.get(info.parentOf.get(p)!)!, isStatic: !!p.static, getter: p.kind === "get" };
  return undefined;
}

/** Non-computed member expressions `x.name` of the program, by name. */
const membersByName = new WeakMap<ScopeInfo, Map<string, Node[]>>();

function indexMembers(program: Node, info: ScopeInfo): void {
  const index = new Map<string, Node[]>();
  walk(program, (n) => {
    if (n.type !== "MemberExpression" || n.computed || n.property.type !== "Identifier") return;
    let list = index.get(n.property.name);
    if (!list) index.set(n.property.name, (list = []));
    list.push(n);
  });
  membersByName.set(info, index);
}

/**
 * Where `method` may run: each call `recv.key(...)` (or `recv.key.call(...)`; for a getter,
 * each read `recv.key`) whose receiver may be the method's owner. A receiver resolved
 * statically (`this` in a method, an object literal or `new C` or a class, directly or through
 * a variable) must match the owner; one that cannot be resolved (a parameter, a property, a
 * call's result) matches any owner, as the bundle's own objects reach code that way. Globals
 * (builtins such as `Object.keys`) match none.
 */
function sitesOf(method: Method, info: ScopeInfo): Node[] {
  const out: Node[] = [];
  for (const m of membersByName.get(info)?.get(method.key) ?? []) {
    const p = info.parentOf.get(m);
    let runs: boolean;
    if (method.getter) runs = !(p?.type === "AssignmentExpression" && p.left === m) && !(p?.type === "UpdateExpression");
    else runs = isInvoked(m, info);
    if (!runs) continue;
    const targets = receiverTargets(m.object, info, 0);
    if (targets === "unknown" || targets.some((t) => targetMatches(t, method, info))) out.push(m);
  }
  return out;
}

/** What a receiver can be: an object literal, a class itself (statics), or an instance of a class. */
type Target = { kind: "object"; node: Node } | { kind: "class"; node: Node } | { kind: "instance"; node: Node };

const MAX_ALIAS_DEPTH = 4;

function receiverTargets(recv: Node, info: ScopeInfo, depth: number): Target[] | "unknown" {
  if (depth > MAX_ALIAS_DEPTH) return "unknown";
  switch (recv.type) {
    case "ObjectExpression":
      return [{ kind: "object", node: recv }];
    case "ClassExpression":
      return [{ kind: "class", node: recv }];
    case "ParenthesizedExpression":
      return receiverTargets(recv.expression, info, depth);
    case "NewExpression": {
      const cls = classOf(recv.callee, info, depth);
      return cls === "unknown" ? "unknown" : cls.map((c) => ({ kind: "instance", node: c }));
    }
    case "ThisExpression": {
      let f = nearestFunction(recv, info);
      while (f?.type === "ArrowFunctionExpression") f = nearestFunction(f, info);
      const p = f && info.parentOf.get(f);
      if (p?.type === "MethodDefinition") {
        const cls = info.parentOf.get(info.parentOf.get(p)!)!;
        return [{ kind: p.static ? "class" : "instance", node: cls }];
      }
      if (p?.type === "Property" && info.parentOf.get(p)?.type === "ObjectExpression")
        return [{ kind: "object", node: info.parentOf.get(p)! }];
      return "unknown";
    }
    case "Identifier": {
      const b = info.bindingOf.get(recv);
      if (!b) return [];
      if (b.kind === "class") return [{ kind: "class", node: b.decl }];
      if (b.kind === "class-name") return [{ kind: "class", node: b.decl }];
      if (b.kind !== "var" && b.kind !== "let" && b.kind !== "const") return "unknown";
      // Every value the variable is given: its initializer and each assignment.
      const values: Node[] = [];
      for (const d of b.decl.declarations ?? []) if (d.id.type === "Identifier" && d.id.name === b.name && d.init) values.push(d.init);
      for (const r of b.refs) {
        const rp = info.parentOf.get(r);
        if (rp?.type === "AssignmentExpression" && rp.left === r) {
          if (rp.operator !== "=") return "unknown";
          values.push(rp.right);
        } else if (rp?.type === "UpdateExpression" || ((rp?.type === "ForInStatement" || rp?.type === "ForOfStatement") && rp.left === r))
          return "unknown";
      }
      const out: Target[] = [];
      for (const v of values) {
        const t = receiverTargets(v, info, depth + 1);
        if (t === "unknown") return "unknown";
        out.push(...t);
      }
      return out;
    }
    default:
      return "unknown";
  }
}

/** The classes `callee` (of a `new`) may be. */
function classOf(callee: Node, info: ScopeInfo, depth: number): Node[] | "unknown" {
  const t = receiverTargets(callee, info, depth + 1);
  if (t === "unknown") return "unknown";
  return t.filter((x) => x.kind === "class").map((x) => x.node);
}

/** The classes `cls` extends, nearest first, as far as they resolve. */
function ancestors(cls: Node, info: ScopeInfo): Node[] {
  const out: Node[] = [];
  for (let c: Node | undefined = cls; c?.superClass && out.length < 16; ) {
    const t = receiverTargets(c.superClass, info, 0);
    c = t === "unknown" ? undefined : t.find((x) => x.kind === "class")?.node;
    if (c) out.push(c);
  }
  return out;
}

function targetMatches(t: Target, method: Method, info: ScopeInfo): boolean {
  if (method.owner.type === "ObjectExpression") return t.kind === "object" && t.node === method.owner;
  if (t.kind === "object") return false;
  if ((t.kind === "class") !== method.isStatic) return false;
  // Inherited (the owner is an ancestor of the receiver's class) or overriding (`this.m()` in a
  // base class reaching a subclass's m).
  return t.node === method.owner || ancestors(t.node, info).includes(method.owner) || ancestors(method.owner, info).includes(t.node);
}
