/**
 * Parameters read from `arguments` instead of declared, for functions that are rarely running.
 *
 * Espruino keeps each declared parameter as a child of the function itself (a name JsVar), for
 * as long as the function exists: a module-level function, a class method or a part's function
 * costs one JsVar per parameter at rest, whether or not it is ever called (docs/memory.md, "What
 * costs JsVars"). Read from `arguments` at the top of the body, the same names exist only while
 * the function runs: a call then costs the `arguments` array too (one JsVar and one per
 * argument) and a little time, so functions on a hot path keep their parameters. A hot function
 * says so with the `"ram"` directive (Espruino's own hint to copy it into RAM; the build drops
 * it on boards that do not want it, after this pass) or with `"hot"`, which only this pass
 * reads.
 *
 * Arrow functions are left alone: in JavaScript they see their caller's `arguments`, in Espruino
 * their own. Setters must keep their one parameter. A function that makes functions keeps its
 * parameters: a closure that outlives the call keeps the call's scope, where Espruino holds each
 * argument anyway (an unnamed entry for one no parameter names) and the `arguments` array once
 * read, so there the rewrite would add JsVars, not save them (createSpool's options: about 40).
 */
import type { NodePath, PluginObj } from "@babel/core";
import * as t from "@babel/types";

/** Directives that keep a function's parameters declared. */
const HOT_DIRECTIVES = ["ram", "hot"];

/** What the pass did, for the build report and tests. */
export interface ParamsReport {
  /** Functions rewritten, and the parameters they no longer declare. */
  functions: number;
  params: number;
}

function isHot(body: t.BlockStatement): boolean {
  return body.directives.some((d) => HOT_DIRECTIVES.includes(d.value.value));
}

/** Rewrites `path` unless `keep`; whether it did. */
function rewrite(path: NodePath<t.Function>, keep: boolean, report: ParamsReport): boolean {
  const node = path.node;
  if (node.body.type === "BlockStatement") node.body.directives = node.body.directives.filter((d) => d.value.value !== "hot");
  if (keep) return false;
  if (node.type === "ArrowFunctionExpression" || node.generator || node.async) return false;
  if ((node.type === "ClassMethod" || node.type === "ObjectMethod") && (node.kind === "set" || node.kind === "get")) return false;
  const params = node.params;
  if (!params.length || !params.every((p) => p.type === "Identifier")) return false;
  const body = node.body;
  if (body.type !== "BlockStatement") return false;
  const names = params as t.Identifier[];
  const args = t.identifier("arguments");
  const decls =
    names.length === 1
      ? [t.variableDeclarator(t.identifier(names[0].name), t.memberExpression(args, t.numericLiteral(0), true))]
      : (() => {
          const all = path.scope.generateUidIdentifier("a");
          return [
            t.variableDeclarator(all, args),
            ...names.map((p, i) =>
              t.variableDeclarator(t.identifier(p.name), t.memberExpression(t.identifier(all.name), t.numericLiteral(i), true)),
            ),
          ];
        })();
  node.params = [];
  body.body.unshift(t.variableDeclaration("var", decls));
  report.functions++;
  report.params += names.length;
  return true;
}

/**
 * Babel plugin: each function that is not an arrow, a getter or setter, or marked hot, declares
 * no parameter and reads each from `arguments` instead, decided on the way out of the program,
 * once the parameters are lowered (defaults and rests read `arguments` already).
 *
 * Espruino caches `arguments` in the running function's scope the first time it is read, and a
 * function nested inside looks names up through that scope before its own `arguments`: once the
 * outer function has read it, the inner one gets the outer one's (checked on 2v29,
 * docs/target-espruino.md). So no function that reads `arguments` may be nested in another that
 * does: of such a chain only the outermost is rewritten, and none around or inside a function
 * that reads `arguments` of its own accord.
 */
export function paramsFromArguments(report: ParamsReport = { functions: 0, params: 0 }): () => PluginObj {
  return () => {
    // Read on the way in: the "ram" directive may be dropped before the way out.
    const hot = new WeakSet<t.Node>();
    return {
      visitor: {
        Function(path) {
          const body = path.node.body;
          if (body.type === "BlockStatement" && isHot(body)) hot.add(path.node);
        },
        Program: {
          exit(program) {
            const reads = new WeakSet<t.Node>();
            const readsInside = new WeakSet<t.Node>();
            program.traverse({
              Identifier(id) {
                if (id.node.name !== "arguments" || !id.isReferencedIdentifier()) return;
                const own = id.getFunctionParent();
                if (!own) return;
                reads.add(own.node);
                for (let p = own.parentPath?.getFunctionParent(); p; p = p.parentPath?.getFunctionParent()) readsInside.add(p.node);
              },
            });
            // A function that makes functions keeps its parameters: a closure keeps the call's
            // scope, where Espruino holds every argument (as an unnamed entry when no parameter
            // names it) and, once read, the arguments array besides.
            const encloses = new WeakSet<t.Node>();
            program.traverse({
              Function(path) {
                const outer = path.parentPath.getFunctionParent();
                if (outer) encloses.add(outer.node);
              },
            });
            const rewritten = new WeakSet<t.Node>();
            program.traverse({
              Function(path) {
                const node = path.node;
                const blocked =
                  readsInside.has(node) ||
                  encloses.has(node) ||
                  !!path.findParent((p) => p.isFunction() && (reads.has(p.node) || rewritten.has(p.node)));
                if (rewrite(path, hot.has(node) || blocked, report)) rewritten.add(node);
              },
            });
          },
        },
      },
    };
  };
}
