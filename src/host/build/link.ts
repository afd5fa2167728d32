/**
 * Parts linked against the bundle: a part that imports a function (or any module-level binding)
 * the bundle also keeps calls the bundle's global name for it (`$<n>`, see the pipeline's
 * `globalModuleScope`) instead of carrying a copy. A copy costs its code twice in Storage and,
 * while the part is loaded, the JsVars of a function (docs/memory.md, "Parts linked against
 * the bundle").
 *
 * Bindings are matched by where they come from: the TypeScript file, line and column their
 * declaration maps back to through esbuild's source map, the same for the bundle and for every
 * part of one build. A binding the bundle does not keep (tree-shaken) stays in the part.
 *
 * Why a mismatch cannot happen on a device: the part's code holds the global names it calls, so
 * its tag (a hash of the code) changes with them, and the bundle names the exact files of the
 * parts built with it (`__SPOOL_PARTS__`); other builds' part files are refused by name and
 * swept at boot (src/device/parts.ts).
 */
import type { NodePath, PluginObj } from "@babel/core";
import type { SourceMapInput } from "@jridgewell/trace-mapping";
import type { Binding, Scope } from "@babel/traverse";
import { chainMapper } from "./sourcemap.ts";
import { BuildError } from "./pipeline.ts";

/** Source position of a module-level declaration (`file:line:column`) -> the bundle's global name. */
export type LinkTable = Map<string, string>;

/** Maps a declaration's position in esbuild's output to its key in a {@link LinkTable}. */
export type KeyOf = (line: number, column: number) => string | undefined;

/** The key function for code esbuild produced with `map` (sources relative to `mapDir`). */
export function keysThrough(map: SourceMapInput, mapDir: string, firstLineShift = 0): KeyOf {
  const mapper = chainMapper([map], mapDir);
  return (line, column) => {
    const at = mapper(line, line === 1 ? column - firstLineShift : column);
    return at && !at.file.startsWith("<") ? `${at.file}:${at.line}:${at.column}` : undefined;
  };
}

/** The key of a binding's declaring identifier, when it maps back to a source file. */
export function bindingKey(b: Binding, keyOf: KeyOf): string | undefined {
  const loc = b.identifier.loc;
  return loc ? keyOf(loc.start.line, loc.start.column) : undefined;
}

/** What linking did to one part. */
export interface LinkReport {
  /** Global names of the bundle the part now calls, each `<global>=<name in the source>`, sorted. */
  linked: string[];
  /** Declarations dropped because nothing in the part used them any more. */
  dropped: number;
}

/**
 * Babel plugin for a part (its module level the function wrapped around it by the pipeline):
 * each module-level binding found in `table` is removed and its references renamed to the
 * bundle's global name; then declarations nothing uses any more (their initialiser pure) are
 * dropped, repeatedly.
 * @throws {BuildError} when a part declares a name of the bundle's global form.
 */
export function linkToBundle(o: { table: LinkTable; keyOf: KeyOf; prefix: string; report: LinkReport }): () => PluginObj {
  return () => ({
    visitor: {
      Program(path) {
        const fn = partFunction(path);
        const scope = fn.scope;
        scope.crawl();
        const own = new RegExp(`^\\${o.prefix}[0-9a-z]+$`);
        fn.traverse({
          Scopable(s) {
            for (const name of Object.keys(s.scope.bindings))
              if (own.test(name)) throw new BuildError(`a part declares ${name}, a name of the bundle's global form`);
          },
        });
        const renamed = new Map<Binding, string>();
        for (const name of Object.keys(scope.bindings)) {
          const b = scope.bindings[name];
          const key = bindingKey(b, o.keyOf);
          const to = key && o.table.get(key);
          if (to) renamed.set(b, to);
        }
        fn.traverse({
          Identifier(id) {
            const b = id.scope.getBinding(id.node.name);
            const to = b && renamed.get(b);
            if (to && id.isReferenced()) id.node.name = to;
          },
          AssignmentExpression(a) {
            const left = a.get("left");
            const b = left.isIdentifier() ? a.scope.getBinding(left.node.name) : undefined;
            const to = b && renamed.get(b);
            if (to && left.isIdentifier()) left.node.name = to;
          },
        });
        for (const [b, to] of renamed) {
          removeDeclaration(b);
          o.report.linked.push(`${to}=${b.identifier.name}`);
        }
        o.report.linked.sort();
        o.report.dropped = dropUnused(fn.scope);
      },
    },
  });
}

/** The function whose body is the part's module level: `var <name>=(function(){...})();`. */
function partFunction(program: NodePath): NodePath {
  const body = program.get("body") as NodePath[];
  const decl = body.length === 1 && body[0].isVariableDeclaration() ? body[0].get("declarations")[0] : undefined;
  const init = decl?.get("init");
  const callee = init && !Array.isArray(init) && init.isCallExpression() ? init.get("callee") : undefined;
  if (!callee?.isFunctionExpression()) throw new BuildError("a part is not one function called once: cannot link it");
  return callee;
}

function removeDeclaration(b: Binding): void {
  const p = b.path;
  if (p.isVariableDeclarator() || p.isFunctionDeclaration() || p.isClassDeclaration()) p.remove();
  else throw new BuildError(`cannot link ${b.identifier.name}: declared by a ${p.node.type}`);
}

/** Removes module-level declarations nobody reads whose value has no side effect; returns how many. */
function dropUnused(scope: Scope): number {
  let dropped = 0;
  for (let again = true; again; ) {
    again = false;
    scope.crawl();
    for (const name of Object.keys(scope.bindings)) {
      const b = scope.bindings[name];
      if (b.referenced || b.constantViolations.length || b.kind === "param") continue;
      const p = b.path;
      const pure = p.isVariableDeclarator()
        ? !p.node.init || scope.isPure(p.node.init)
        : (p.isFunctionDeclaration() || p.isClassDeclaration()) && scope.isPure(p.node);
      if (!pure) continue;
      p.remove();
      dropped++;
      again = true;
    }
  }
  return dropped;
}
