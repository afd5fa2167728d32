/**
 * The simulation's code rewrite: what V8 does inside its own operators, where the simulation
 * cannot reach at run time, is routed through hooks that do what Espruino does.
 *
 * - `a + b` and `a += b`: a number meeting a string is written as Espruino writes numbers
 *   (jsvAsString: `'' + 1/3` is `0.33333333333`, `'' + 1e21` is `10e+20`), not V8's shortest
 *   round trip.
 * - `${x}` in a template literal: the same.
 * - `catch (e)`: an error V8 raised itself (reading a property of undefined, calling a
 *   non-function, an undefined variable) is turned into the one Espruino raises (jsparse.c).
 * - A decimal literal with a fraction or exponent takes the value Espruino's lexer gives it
 *   (stringToFloat is not correctly rounded: `123456.789012345` is one ulp off).
 * - `X.prototype.name` read (not written, not called): Espruino finds a builtin method by the
 *   type of the value it is read from, so `Array.prototype.map` is undefined there (only
 *   Object's methods are found on a prototype object); what code added is found.
 *
 * - `eval(code)` and `o.eval`: the code evaluated is rewritten too (a direct call keeps its
 *   scope; `global.eval` runs it in global scope).
 * - `new Function(...params, body)`, `Function(...)` and `o.Function`: the body is rewritten too
 *   (Spool's HAL hands out `global.Function` as `compile`, which runs each part).
 *
 * Code made at run time by `eval` or `Function` reached another way is not rewritten.
 */
import * as acorn from "acorn";
import { espruinoStringToFloat } from "./number-text.ts";

/** The global (non-enumerable) holding the hooks in the simulation's context. */
export const HOOKS_GLOBAL = "__espruinoSim";

/** The hooks rewritten code calls. */
export interface SourceHooks {
  /** `a + b` */
  add(a: unknown, b: unknown): unknown;
  /** `o[k] += v` */
  addTo(o: Record<PropertyKey, unknown>, k: PropertyKey, v: unknown): unknown;
  /** A template literal's substitution. */
  text(v: unknown): unknown;
  /** A caught exception. */
  caught(e: unknown): unknown;
  /** `proto[key]` read from a prototype object. */
  protoGet(proto: Record<PropertyKey, unknown>, key: string): unknown;
  /** The code a direct `eval` runs. */
  source(code: unknown): unknown;
  /** `o.eval` */
  evalOf(o: Record<PropertyKey, unknown>): unknown;
  /** `new Function(...)` or `Function(...)`: the last argument is the body. */
  newFunction(...args: unknown[]): unknown;
  /** `o.Function` */
  functionOf(o: Record<PropertyKey, unknown>): unknown;
}

type Node = acorn.Node & Record<string, any>;

/** A leading space: minified code puts an operand right after a keyword (`return"a"+b`). */
const H = ` ${HOOKS_GLOBAL}`;
/** Sources rewritten lately (boots run the same bundle again and again). */
const CACHE_SIZE = 32;
const cache = new Map<string, string>();

function isNode(v: unknown): v is Node {
  return !!v && typeof v === "object" && typeof (v as Node).type === "string" && typeof (v as Node).start === "number";
}

function children(node: Node): Node[] {
  const out: Node[] = [];
  for (const key of Object.keys(node)) {
    const v = node[key];
    if (key === "loc" || key === "range") continue;
    if (isNode(v)) out.push(v);
    else if (Array.isArray(v)) for (const x of v) if (isNode(x)) out.push(x);
  }
  return out.sort((a, b) => a.start - b.start);
}

/** A `+` whose text cannot differ: two string literals, or a small integer literal on a side. */
function plainAdd(left: Node, right: Node): boolean {
  const smallInt = (n: Node) =>
    n.type === "Literal" && typeof n.value === "number" && Number.isInteger(n.value) && Math.abs(n.value) < 2147483648;
  const str = (n: Node) => n.type === "Literal" && typeof n.value === "string";
  return smallInt(left) || smallInt(right) || (str(left) && str(right));
}

/** A decimal literal whose value Espruino's lexer reads differently, written so V8 reads that value. */
function literalText(node: Node, src: string): string | undefined {
  const raw = src.slice(node.start, node.end);
  if (typeof node.value !== "number" || !/^[\d.]+([eE][+-]?\d+)?$/.test(raw) || !/[.eE]/.test(raw)) return undefined;
  const v = espruinoStringToFloat(raw).value;
  return v === node.value || Number.isNaN(v) ? undefined : String(v);
}

/** `X.prototype.name`, read as a value. */
function isProtoRead(node: Node): boolean {
  const o = node.object;
  return (
    !node.computed &&
    !node.optional &&
    node.property.type === "Identifier" &&
    o.type === "MemberExpression" &&
    !o.computed &&
    o.object.type === "Identifier" &&
    o.property.type === "Identifier" &&
    o.property.name === "prototype"
  );
}

/** Members that make code from text, and the hook each is read through. */
const MAKER_HOOKS = new Map([
  ["eval", "evalOf"],
  ["Function", "functionOf"],
]);

/** The name of `o.name` (not `o[k]`, `o?.name` or `super.name`). */
function memberName(node: Node): string | undefined {
  return !node.computed && !node.optional && node.property.type === "Identifier" && node.object.type !== "Super"
    ? node.property.name
    : undefined;
}

/** `Function(...)` or `new Function(...)` by that name, no spread argument. */
function isFunctionCall(node: Node): boolean {
  return (
    node.callee.type === "Identifier" && node.callee.name === "Function" && node.arguments.every((a: Node) => a.type !== "SpreadElement")
  );
}

function rewrite(src: string, program: Node): string {
  /** Nodes written to or called as methods: left as they are. */
  const targets = new Set<Node>();
  /** Nodes written to. */
  const writes = new Set<Node>();
  const isWrite = (n: Node) => writes.has(n);
  /** Property names written as literals (`{1.5: x}`): not expressions, left as they are. */
  const keys = new Set<Node>();
  function emit(node: Node): string {
    switch (node.type) {
      case "Property":
      case "MethodDefinition":
      case "PropertyDefinition":
        if (!node.computed) keys.add(node.key);
        break;
      case "UpdateExpression":
        targets.add(node.argument);
        writes.add(node.argument);
        break;
      case "UnaryExpression":
        if (node.operator === "delete") {
          targets.add(node.argument);
          writes.add(node.argument);
        }
        break;
      case "CallExpression":
        targets.add(node.callee);
        if (
          node.callee.type === "Identifier" &&
          node.callee.name === "eval" &&
          node.arguments.length &&
          node.arguments[0].type !== "SpreadElement"
        ) {
          const [code, ...rest] = node.arguments as Node[];
          return `eval(${H}.source(${emit(code)})${rest.map((a) => `, ${emit(a)}`).join("")})`;
        }
        if (isFunctionCall(node)) return `${H}.newFunction(${node.arguments.map((a: Node) => emit(a)).join(", ")})`;
        break;
      case "NewExpression":
        if (isFunctionCall(node)) return `${H}.newFunction(${node.arguments.map((a: Node) => emit(a)).join(", ")})`;
        break;
      case "ForInStatement":
      case "ForOfStatement":
        targets.add(node.left);
        writes.add(node.left);
        break;
      case "MemberExpression": {
        // `o.eval` and `o.Function` read (not written): what they make is rewritten too.
        const hook = MAKER_HOOKS.get(memberName(node) ?? "");
        if (hook && !isWrite(node)) return `(${H}.${hook}(${emit(node.object)}))`;
        if (!targets.has(node) && isProtoRead(node))
          return `${H}.protoGet(${src.slice(node.object.start, node.object.end)}, ${JSON.stringify(node.property.name)})`;
        break;
      }
      case "BinaryExpression":
        if (node.operator === "+" && !plainAdd(node.left, node.right)) return `${H}.add(${emit(node.left)}, ${emit(node.right)})`;
        break;
      case "AssignmentExpression": {
        targets.add(node.left);
        writes.add(node.left);
        if (node.operator !== "+=" || plainAdd(node.left, node.right)) break;
        const l = node.left;
        if (l.type === "Identifier") return `${l.name} =${H}.add(${l.name}, ${emit(node.right)})`;
        if (l.type === "MemberExpression" && l.object.type !== "Super" && l.property.type !== "PrivateIdentifier") {
          const key = l.computed ? emit(l.property) : JSON.stringify(l.property.name);
          return `${H}.addTo(${emit(l.object)}, ${key}, ${emit(node.right)})`;
        }
        break;
      }
      case "TemplateLiteral":
        return splice(node, (c) => (c.type === "TemplateElement" ? undefined : `${H}.text(${emit(c)})`));
      case "TaggedTemplateExpression":
        // The tag gets the values as they are.
        return splice(node, (c) => (c === node.quasi ? splice(c, () => undefined) : undefined));
      case "CatchClause":
        if (node.param?.type === "Identifier") {
          const body = emit(node.body);
          const name = node.param.name;
          return `${src.slice(node.start, node.body.start)}{ ${name} =${H}.caught(${name});${body.slice(1)}`;
        }
        break;
      case "Literal": {
        const t = keys.has(node) ? undefined : literalText(node, src);
        if (t !== undefined) return `(${t})`;
        break;
      }
    }
    return splice(node, () => undefined);
  }
  /** The node's text with each child emitted (or as `special` gives it). */
  function splice(node: Node, special: (child: Node) => string | undefined): string {
    let out = "";
    let pos = node.start;
    for (const c of children(node)) {
      if (c.start < pos) continue;
      out += src.slice(pos, c.start) + (special(c) ?? emit(c));
      pos = c.end;
    }
    return out + src.slice(pos, node.end);
  }
  return src.slice(0, program.start) + emit(program) + src.slice(program.end);
}

/**
 * `code` with the rewrites above: a script, or a function's body (a `return` outside a function
 * is let through, V8 refuses it in a script). Code acorn cannot parse is returned as it is, so
 * that running it reports V8's SyntaxError.
 */
export function espruinoSource(code: string): string {
  const hit = cache.get(code);
  if (hit !== undefined) {
    cache.delete(code);
    cache.set(code, hit);
    return hit;
  }
  let out = code;
  try {
    const program = acorn.parse(code, {
      ecmaVersion: "latest",
      sourceType: "script",
      preserveParens: true,
      allowHashBang: true,
      allowReturnOutsideFunction: true,
    }) as Node;
    out = rewrite(code, program);
  } catch {
    // not parseable: V8 reports it when it runs
  }
  cache.set(code, out);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return out;
}
