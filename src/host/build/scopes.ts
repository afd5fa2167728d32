/**
 * A small scope resolver over an acorn (ESTree) AST: which declaration each identifier refers
 * to, with parent links. Enough for the build gate, which needs to tell a global `Map` from a
 * minified local `Map`, and to follow references to function declarations.
 */
import type * as acorn from "acorn";

/** Any ESTree node; fields are read loosely because the walker is generic. */
export type Node = acorn.Node & { [key: string]: any };

export type DeclKind = "var" | "let" | "const" | "function" | "class" | "param" | "catch" | "class-name";

export interface Binding {
  name: string;
  kind: DeclKind;
  /** The declaring node: FunctionDeclaration, ClassDeclaration, VariableDeclaration, the function of a param, ... */
  decl: Node;
  scope: Scope;
  refs: Node[];
}

export interface Scope {
  node: Node;
  /** Function scopes hold `var`s and function declarations; block scopes hold `let`/`const`/`class`. */
  isFunction: boolean;
  parent: Scope | undefined;
  names: Map<string, Binding>;
}

export interface ScopeInfo {
  parentOf: WeakMap<Node, Node>;
  /** Binding each reference identifier resolves to; absent for globals. */
  bindingOf: WeakMap<Node, Binding>;
  /** Identifier nodes that are references to undeclared (global) names. */
  globals: Node[];
  bindings: Binding[];
  /** Every property or method name the code defines (object keys, class members, `x.name =`). */
  definedProps: Set<string>;
}

const FUNCTION_TYPES = new Set(["FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression"]);
const BLOCK_SCOPED = new Set(["BlockStatement", "ForStatement", "ForInStatement", "ForOfStatement", "SwitchStatement", "StaticBlock"]);

export function isFunction(n: Node | undefined): boolean {
  return !!n && FUNCTION_TYPES.has(n.type);
}

function children(node: Node): Node[] {
  const out: Node[] = [];
  for (const key of Object.keys(node)) {
    if (key === "loc" || key === "start" || key === "end" || key === "range") continue;
    const v = node[key];
    if (Array.isArray(v)) {
      for (const c of v) if (c && typeof c.type === "string") out.push(c);
    } else if (v && typeof v === "object" && typeof v.type === "string") out.push(v);
  }
  return out;
}

function patternIds(p: Node | null | undefined, out: Node[] = []): Node[] {
  if (!p) return out;
  switch (p.type) {
    case "Identifier":
      out.push(p);
      break;
    case "ObjectPattern":
      for (const prop of p.properties) patternIds(prop.type === "RestElement" ? prop.argument : prop.value, out);
      break;
    case "ArrayPattern":
      for (const e of p.elements) patternIds(e, out);
      break;
    case "RestElement":
      patternIds(p.argument, out);
      break;
    case "AssignmentPattern":
      patternIds(p.left, out);
      break;
  }
  return out;
}

/** Resolves every identifier of `program`. */
export function analyzeScopes(program: Node): ScopeInfo {
  const parentOf = new WeakMap<Node, Node>();
  const scopeOf = new WeakMap<Node, Scope>();
  const bindings: Binding[] = [];
  const declIds = new WeakSet<Node>();
  const definedProps = new Set<string>();

  const declare = (scope: Scope, id: Node, kind: DeclKind, decl: Node): void => {
    declIds.add(id);
    let target = scope;
    if (kind === "var" || kind === "function") while (!target.isFunction && target.parent) target = target.parent;
    if (target.names.has(id.name)) return;
    const b: Binding = { name: id.name, kind, decl, scope: target, refs: [] };
    target.names.set(id.name, b);
    bindings.push(b);
  };

  // Pass 1: scopes, declarations, parent links.
  const build = (node: Node, parent: Node | undefined, scope: Scope): void => {
    if (parent) parentOf.set(node, parent);
    let inner = scope;
    if (node.type === "Program" || isFunction(node)) {
      inner = { node, isFunction: true, parent: node.type === "Program" ? undefined : scope, names: new Map() };
      if (node.type === "FunctionDeclaration" && node.id) declare(scope, node.id, "function", node);
      if (node.type === "FunctionExpression" && node.id) declare(inner, node.id, "function", node);
      for (const p of node.params ?? []) for (const id of patternIds(p)) declare(inner, id, "param", node);
    } else if (node.type === "ClassDeclaration" || node.type === "ClassExpression") {
      if (node.type === "ClassDeclaration" && node.id) declare(scope, node.id, "class", node);
      inner = { node, isFunction: false, parent: scope, names: new Map() };
      if (node.type === "ClassExpression" && node.id) declare(inner, node.id, "class-name", node);
    } else if (node.type === "CatchClause") {
      inner = { node, isFunction: false, parent: scope, names: new Map() };
      for (const id of patternIds(node.param)) declare(inner, id, "catch", node);
    } else if (BLOCK_SCOPED.has(node.type)) {
      inner = { node, isFunction: false, parent: scope, names: new Map() };
    } else if (node.type === "VariableDeclaration") {
      for (const d of node.declarations) for (const id of patternIds(d.id)) declare(scope, id, node.kind, node);
    }
    scopeOf.set(node, inner);
    if ((node.type === "Property" || node.type === "MethodDefinition" || node.type === "PropertyDefinition") && !node.computed) {
      const k = node.key;
      if (k.type === "Identifier") definedProps.add(k.name);
      else if (k.type === "Literal") definedProps.add(String(k.value));
    }
    if (
      node.type === "AssignmentExpression" &&
      node.left.type === "MemberExpression" &&
      !node.left.computed &&
      node.left.property.type === "Identifier"
    ) {
      definedProps.add(node.left.property.name);
    }
    for (const c of children(node)) build(c, node, inner);
  };
  build(program, undefined, { node: program, isFunction: true, parent: undefined, names: new Map() });

  // Pass 2: references.
  const bindingOf = new WeakMap<Node, Binding>();
  const globals: Node[] = [];
  const isReference = (id: Node, parent: Node | undefined): boolean => {
    if (declIds.has(id) || !parent) return false;
    switch (parent.type) {
      case "MemberExpression":
        return parent.object === id || parent.computed;
      case "Property":
        return parent.value === id || (parent.computed && parent.key === id);
      case "MethodDefinition":
      case "PropertyDefinition":
        return parent.computed && parent.key === id ? true : parent.value === id;
      case "LabeledStatement":
      case "BreakStatement":
      case "ContinueStatement":
        return false;
      case "MetaProperty":
        return false;
      default:
        return true;
    }
  };
  const resolve = (node: Node): void => {
    if (node.type === "Identifier") {
      const parent = parentOf.get(node);
      if (isReference(node, parent)) {
        let s = enclosingScope(node);
        let b: Binding | undefined;
        while (s && !b) {
          b = s.names.get(node.name);
          s = s.parent;
        }
        if (b) {
          b.refs.push(node);
          bindingOf.set(node, b);
        } else globals.push(node);
      }
    }
    for (const c of children(node)) resolve(c);
  };
  const enclosingScope = (id: Node): Scope | undefined => {
    // The nearest ancestor that opens a scope (a parameter default resolves in its function's).
    let n: Node | undefined = parentOf.get(id);
    while (n) {
      const s = scopeOf.get(n);
      if (s && s.node === n) return s;
      n = parentOf.get(n);
    }
    return undefined;
  };
  resolve(program);
  return { parentOf, bindingOf, globals, bindings, definedProps };
}
