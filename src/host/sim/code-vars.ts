/**
 * JsVars a bundle takes on Espruino just by being loaded from Storage: what its module level
 * defines before any of its functions runs (functions, classes and their methods, constants,
 * literal tables). Function bodies stay in flash and cost nothing; each function costs its
 * structure. Costs per construct were measured on Espruino 2v29's Linux build with code booted
 * from Storage (docs/memory.md):
 *
 * | construct | JsVars |
 * |---|---|
 * | function, arrow or method | 5, plus 1 per parameter (4 at global scope: no scope link) |
 * | getter or setter | 7, plus 1 per parameter (6 at global scope) |
 * | class | 8, plus 2 for `extends`; its constructor 2 plus 1 per parameter |
 * | `var` with nothing, an integer, true/false | 1 |
 * | `var` with a float | 2 |
 * | `var` with a string | 1 plus the string's blocks |
 * | array or object literal | 1, plus per element or property its name (1) and value |
 * | a method or property name over 8 characters | 1 more per 12 characters beyond 8 |
 * | a RegExp literal | 3 plus its source's blocks |
 * | `new X(...)` at load time (the bundle's are small typed arrays and their views) | 8 |
 * | a function marked `"ram"` (kept only where the board's `hotCode.inRam` says so) | its body's text in blocks: Espruino copies it into RAM |
 *
 * It sees what the syntax shows: other values made by calls at load time count as one JsVar.
 */
import * as acorn from "acorn";
import { nameVars, stringVars } from "./memory.ts";

const FUNCTION = 5;
const ACCESSOR = 7;
const CLASS = 8;
const EXTENDS = 2;
const CONSTRUCTOR = 2;
const REGEXP = 3;
const NEW_OBJECT = 8;
/**
 * The RAM copy of a `"ram"` function is pretokenised (keywords and operators one byte each):
 * measured, the bundle's encodeReadingAt (294 characters of body) takes 25 JsVars on the
 * 27-byte build where the estimate without a copy is 15, that is about 0.75 of its text.
 */
const PRETOKENISED = 0.75;
/** JsVars beyond the first that a name of `len` characters takes (memory.ts `nameVars`). */
function nameExtra(len: number, bytesEach: number): number {
  return nameVars(len, bytesEach) - 1;
}

function keyName(key: Node | undefined): string {
  if (!key) return "";
  return key.type === "Identifier" ? key.name : String(key.value ?? "");
}

/** What a bundle's module level is made of, and the JsVars it takes. */
export interface ModuleVars {
  functions: number;
  methods: number;
  params: number;
  /** Top-level variables that hold data (not functions or classes). */
  values: number;
  total: number;
  /**
   * Functions the module level assigns to a global name (`f = function(){...}`: the build's
   * forgotten boot code), by name: in `total`, and freed when the code deletes the name.
   */
  assigned: Map<string, number>;
}

type Node = acorn.Node & Record<string, any>;

/**
 * The statements of the bundle's module level: the body of a `(()=>{...})()` wrapper (`wrapped`),
 * else the script's (the firmware's module level is global, see the build's globalModuleScope).
 */
function moduleBody(program: Node): { body: Node[]; wrapped: boolean } {
  const body = program.body as Node[];
  if (body.length === 1 && body[0].type === "ExpressionStatement") {
    const e = body[0].expression as Node;
    const callee = e.type === "CallExpression" ? (e.callee as Node) : undefined;
    if (
      callee &&
      (callee.type === "ArrowFunctionExpression" || callee.type === "FunctionExpression") &&
      callee.body.type === "BlockStatement"
    ) {
      return { body: callee.body.body as Node[], wrapped: true };
    }
  }
  return { body, wrapped: false };
}

/**
 * Estimates the JsVars `code` (a bundle as the build writes it) holds once loaded.
 * @param bytesEach the board's JsVar size (strings take blocks by it).
 * @throws SyntaxError when `code` does not parse.
 */
export function moduleVars(code: string, bytesEach: number): ModuleVars {
  const out: ModuleVars = { functions: 0, methods: 0, params: 0, values: 0, total: 0, assigned: new Map() };
  const ast = acorn.parse(code, { ecmaVersion: 2020, sourceType: "script" }) as Node;
  const { body, wrapped } = moduleBody(ast);
  // A function made inside the wrapper links to the wrapper's scope; one made at global scope links to none.
  const scopeLink = wrapped ? 0 : -1;

  function fn(node: Node, base: number): number {
    out.params += node.params.length;
    const body = node.body as Node;
    const first = body.type === "BlockStatement" ? (body.body as Node[])[0] : undefined;
    const inRam = first?.directive === "ram" ? stringVars(Math.round((body.end - body.start) * PRETOKENISED), bytesEach) : 0;
    return base + scopeLink + node.params.length + inRam;
  }

  function cls(node: Node): number {
    let n = CLASS + (node.superClass ? EXTENDS : 0);
    for (const m of node.body.body as Node[]) {
      if (m.type !== "MethodDefinition") continue;
      if (m.kind === "constructor") n += CONSTRUCTOR + fn(m.value, 0);
      else {
        out.methods++;
        n += fn(m.value, m.kind === "get" || m.kind === "set" ? ACCESSOR : FUNCTION) + nameExtra(keyName(m.key).length, bytesEach);
      }
    }
    return n;
  }

  /** A value stored under a name: the name's JsVar is counted by the caller. */
  function value(node: Node | null | undefined): number {
    if (!node) return 0;
    switch (node.type) {
      case "Literal":
        if (node.regex) return REGEXP + stringVars(node.regex.pattern.length, bytesEach);
        if (typeof node.value === "string") return stringVars(node.value.length, bytesEach);
        if (typeof node.value === "number") return Number.isInteger(node.value) && Math.abs(node.value) < 2 ** 31 ? 0 : 1;
        return 0;
      case "TemplateLiteral":
        return stringVars(
          node.quasis.reduce((n: number, q: Node) => n + q.value.cooked.length, 0),
          bytesEach,
        );
      case "UnaryExpression":
        return value(node.argument);
      case "ArrayExpression":
        return 1 + (node.elements as Node[]).reduce((n, e) => n + 1 + value(e), 0);
      case "ObjectExpression":
        return (
          1 +
          (node.properties as Node[]).reduce(
            (n, p) => n + 1 + (p.type === "Property" ? nameExtra(keyName(p.key).length, bytesEach) + value(p.value) : 0),
            0,
          )
        );
      case "FunctionExpression":
      case "ArrowFunctionExpression":
        out.functions++;
        return fn(node, FUNCTION) - 1;
      case "ClassExpression":
        return cls(node) - 1;
      case "NewExpression":
        return NEW_OBJECT;
      default:
        return 1;
    }
  }

  for (const s of body) {
    if (s.type === "FunctionDeclaration") {
      out.functions++;
      out.total += fn(s, FUNCTION);
    } else if (s.type === "ExpressionStatement") {
      // The minifier joins consecutive assignments into one sequence.
      const e = s.expression as Node;
      for (const a of (e.type === "SequenceExpression" ? e.expressions : [e]) as Node[]) {
        if (
          a.type !== "AssignmentExpression" ||
          a.operator !== "=" ||
          a.left.type !== "Identifier" ||
          a.right.type !== "FunctionExpression"
        )
          continue;
        out.functions++;
        const n = fn(a.right, FUNCTION);
        out.assigned.set(a.left.name, n);
        out.total += n;
      }
    } else if (s.type === "ClassDeclaration") {
      out.total += 1 + cls(s) - 1;
    } else if (s.type === "VariableDeclaration") {
      for (const d of s.declarations as Node[]) {
        const init = d.init as Node | null;
        if (init && init.type !== "FunctionExpression" && init.type !== "ArrowFunctionExpression" && init.type !== "ClassExpression")
          out.values++;
        out.total += 1 + value(init);
      }
    }
  }
  return out;
}
