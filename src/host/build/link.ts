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
 * parts built with it (`__SPOOL_PART_FILES__`); other builds' part files are refused by name and
 * swept at boot (src/device/parts.ts).
 */
import type { NodePath, PluginObj } from "@babel/core";
import type { SourceMapInput } from "@jridgewell/trace-mapping";
import type { Binding, Scope } from "@babel/traverse";
import { chainMapper } from "./sourcemap.ts";
import { BuildError } from "./pipeline.ts";

/** Source position of a module-level declaration (`file:line:column`) -> the bundle's global name. */
export type LinkTable = Map<string, LinkTarget>;

/** A module-level binding of the bundle. */
export interface LinkTarget {
  name: string;
  /** Index of the bundle's top-level statement that declares it. */
  at: number;
}

/**
 * The bundle's module level runs in order and Espruino does not hoist, so a part loaded while it
 * runs (the early passes, firmware/early-*.ts) may call only what is declared before that
 * moment. Per part name: the first top-level statement that may load it, directly or through
 * another part; a part no statement reaches is loaded only once the whole bundle is defined.
 */
export type LoadOrder = Map<string, number>;

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
 * each module-level binding found in `table`, declared before statement `before` of the bundle,
 * is removed and its references renamed to the bundle's global name; then declarations nothing
 * uses any more (their initialiser pure) are dropped, repeatedly.
 * @throws {BuildError} when a part declares a name of the bundle's global form.
 */
export function linkToBundle(o: { table: LinkTable; keyOf: KeyOf; prefix: string; report: LinkReport; before: number }): () => PluginObj {
  return () => ({
    visitor: {
      Program(path) {
        const fn = partFunction(path);
        const scope = fn.scope;
        scope.crawl();
        const own = new RegExp(`^\\${o.prefix}[0-9a-z]+$`);
        const refuseOwn = (names: string[]): void => {
          for (const name of names) if (own.test(name)) throw new BuildError(`a part declares ${name}, a name of the bundle's global form`);
        };
        refuseOwn(Object.keys(scope.bindings));
        fn.traverse({
          Scopable(s) {
            refuseOwn(Object.keys(s.scope.bindings));
          },
        });
        const renamed = new Map<Binding, string>();
        for (const name of Object.keys(scope.bindings)) {
          const b = scope.bindings[name];
          const key = bindingKey(b, o.keyOf);
          const to = key ? o.table.get(key) : undefined;
          if (to && to.at < o.before) renamed.set(b, to.name);
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

/** `x.load("name")`: a part loaded. */
function loadedPart(n: NodePath): string | undefined {
  if (!n.isCallExpression()) return undefined;
  const callee = n.node.callee;
  const arg = n.node.arguments[0];
  const named =
    callee.type === "MemberExpression" && !callee.computed && callee.property.type === "Identifier" && callee.property.name === "load";
  return named && arg?.type === "StringLiteral" ? arg.value : undefined;
}

/** The parts `code` (a part's bundled source) loads by name. */
export function partsLoadedBy(code: string): string[] {
  const out = new Set<string>();
  for (const m of code.matchAll(/\.load\(\s*"([a-z]+)"\s*\)/g)) out.add(m[1]);
  return [...out];
}

/**
 * For the bundle's top-level statements (`body`, module-level scope `scope`): per part name, the
 * first statement that runs code reaching a `load("<name>")`, following the module-level names
 * each statement refers to (all of them, in nested functions too: an over-estimate, so a part
 * is never linked to a name declared later than it may be loaded).
 */
export function bundleLoadOrder(body: NodePath[], scope: Scope): { order: LoadOrder; declaredAt: (b: Binding) => number } {
  const index = new Map(body.map((s, i) => [s.node, i]));
  const declaredAt = (b: Binding): number => {
    let p: NodePath | null = b.path;
    while (p && !index.has(p.node)) p = p.parentPath;
    return p ? index.get(p.node)! : -1;
  };
  const refs: Array<Set<number>> = [];
  const loads: Array<Set<string>> = [];
  const runs: boolean[] = [];
  body.forEach((s, i) => {
    const r = new Set<number>();
    const l = new Set<string>();
    let run = false;
    const note = (n: NodePath): void => {
      const part = loadedPart(n);
      if (part) l.add(part);
      if (n.isIdentifier() && n.isReferenced()) {
        const b = n.scope.getBinding(n.node.name);
        if (b && b.scope === scope) r.add(declaredAt(b));
      }
    };
    s.traverse({
      enter(n) {
        note(n);
        // Code that runs while the statement does: not inside a function it only defines.
        if (
          (n.isCallExpression() || n.isNewExpression() || n.isTaggedTemplateExpression()) &&
          !n.findParent((x) => x.isFunction() || x === s)?.isFunction()
        )
          run = true;
      },
    });
    if (s.isExpressionStatement() || s.isVariableDeclaration() || s.isIfStatement() || s.isTryStatement()) runs[i] = run;
    refs.push(r);
    loads.push(l);
  });
  const order: LoadOrder = new Map();
  body.forEach((_s, i) => {
    if (!runs[i]) return;
    const seen = new Set<number>([i]);
    const todo = [i];
    while (todo.length) {
      const j = todo.pop()!;
      for (const part of loads[j]) if (!order.has(part)) order.set(part, i);
      for (const k of refs[j]) if (k >= 0 && !seen.has(k)) seen.add(k), todo.push(k);
    }
  });
  return { order, declaredAt };
}

/**
 * Adds to `order` the parts loaded by parts (`loads`: part name -> the parts its code loads):
 * a part loaded by another may be loaded as early as that one.
 */
export function throughParts(order: LoadOrder, loads: Map<string, string[]>): LoadOrder {
  const out = new Map(order);
  for (let changed = true; changed; ) {
    changed = false;
    for (const [by, parts] of loads) {
      const at = out.get(by);
      if (at === undefined) continue;
      for (const p of parts) {
        if ((out.get(p) ?? Number.POSITIVE_INFINITY) > at) {
          out.set(p, at);
          changed = true;
        }
      }
    }
  }
  return out;
}
