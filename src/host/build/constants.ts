/**
 * Module-level constants written into the code that uses them.
 *
 * esbuild keeps a module's top-level `const` as a variable once the module is bundled with
 * others (its own constant inlining stops at module boundaries and at anything it cannot prove
 * runs first). On Espruino such a variable is a JsVar or two for as long as the program runs
 * (1.1 for an integer, 2.1 for a short string, docs/memory.md), and every use is a lookup by
 * name through the global scope, which is a list. A literal in the code costs no RAM: the code
 * stays in flash and is parsed where it runs.
 */
import type { NodePath, PluginObj } from "@babel/core";
import type { Binding, Scope } from "@babel/traverse";
import { cloneNode, type Expression } from "@babel/types";

/**
 * A string constant is written in at each use only while that grows the code by at most this
 * many bytes in all: the code budget of the small boards is tight (boards/*.json `codeBudget`).
 */
const STRING_GROWTH_MAX = 24;

/** What the inlining did, for the build report and tests. */
export interface InlineReport {
  /** Names inlined, each `<name>=<literal>`. */
  inlined: string[];
}

/** The literal `init` is, printed, or undefined when it is not one this pass writes in. */
function literalText(init: Expression | null | undefined): string | undefined {
  if (!init) return undefined;
  switch (init.type) {
    case "NumericLiteral":
      return String(init.value);
    case "BooleanLiteral":
      return String(init.value);
    case "NullLiteral":
      return "null";
    case "StringLiteral":
      return JSON.stringify(init.value);
    case "UnaryExpression":
      // -1, !0, !1, void 0: what esbuild and Babel print for negatives, booleans and undefined.
      if ((init.operator === "-" || init.operator === "!" || init.operator === "void") && init.argument.type === "NumericLiteral")
        return init.operator + (init.operator === "void" ? " " : "") + String(init.argument.value);
      return undefined;
    default:
      return undefined;
  }
}

/** Whether writing `b`'s literal in at each use is worth it (and safe). */
function inlinable(b: Binding): string | undefined {
  const p = b.path;
  if (!p.isVariableDeclarator() || p.node.id.type !== "Identifier") return undefined;
  if (b.constantViolations.length || !b.referenced) return undefined;
  const text = literalText(p.node.init as Expression | null);
  if (text === undefined) return undefined;
  for (const r of b.referencePaths) if (!r.isIdentifier()) return undefined;
  if (p.node.init?.type === "StringLiteral") {
    const growth = (text.length - b.identifier.name.length) * b.references - text.length - b.identifier.name.length - 2;
    if (growth > STRING_GROWTH_MAX) return undefined;
  }
  return text;
}

/** Writes each inlinable constant of `scope` in at its uses and removes its declaration. */
function inlineIn(scope: Scope, report: InlineReport): void {
  scope.crawl();
  for (const name of Object.keys(scope.bindings)) {
    const b = scope.bindings[name];
    const text = inlinable(b);
    if (text === undefined) continue;
    const init = (b.path.node as { init: Expression }).init;
    for (const r of b.referencePaths) {
      const parent = r.parentPath;
      // `{x}` becomes `{x: <literal>}`.
      if (parent?.isObjectProperty() && parent.node.shorthand && parent.node.value === r.node) parent.node.shorthand = false;
      r.replaceWith(cloneNode(init));
    }
    b.path.remove();
    report.inlined.push(`${name}=${text}`);
  }
  scope.crawl();
}

/** The scope that is the code's module level: esbuild's `(()=>{...})()` or a part's function. */
function moduleLevel(program: NodePath): Scope {
  const body = program.get("body") as NodePath[];
  const only = body.length === 1 ? body[0] : undefined;
  let call: NodePath | undefined;
  if (only?.isExpressionStatement()) call = only.get("expression");
  else if (only?.isVariableDeclaration() && only.node.declarations.length === 1) call = only.get("declarations")[0].get("init") as NodePath;
  const callee = call?.isCallExpression() ? call.get("callee") : undefined;
  if (callee && (callee.isArrowFunctionExpression() || callee.isFunctionExpression())) return callee.scope;
  return program.scope;
}

/**
 * Babel plugin: each module-level `var`/`let`/`const` whose value is a number, boolean, null,
 * `void 0` or a short string and that is never assigned again is replaced by its value at every
 * use, and its declaration removed. Runs before the module level is made global and before a
 * part is linked against the bundle, so an inlined constant is in neither's table.
 */
export function inlineConstants(report: InlineReport = { inlined: [] }): () => PluginObj {
  return () => ({
    visitor: {
      Program(path) {
        inlineIn(moduleLevel(path), report);
      },
    },
  });
}
