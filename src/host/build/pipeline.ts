/**
 * TypeScript -> one Espruino-ready script: esbuild bundles at es2015 with the board profile
 * defined in, Babel lowers exactly what Espruino lacks, esbuild minifies, and the gate checks
 * the result.
 *
 * Why this shape (docs/target-espruino.md): Espruino runs ES2015 classes, arrows and template
 * literals natively but has no default params, rest/spread, destructuring or `**`, and gives a
 * `let` loop variable one binding for all iterations. Lowering everything to ES5 would break
 * classes (ES5 class output calls `__extends` before the function declaration, and Espruino
 * does not hoist), so only those features are lowered.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import * as esbuild from "esbuild";
import { transformAsync, types as t, type NodePath, type PluginObj } from "@babel/core";
import type { Binding } from "@babel/traverse";
import type { ClassExpression } from "@babel/types";
import type { SourceMapInput } from "@jridgewell/trace-mapping";
import pluginParameters from "@babel/plugin-transform-parameters";
import pluginDestructuring from "@babel/plugin-transform-destructuring";
import pluginSpread from "@babel/plugin-transform-spread";
import pluginExponent from "@babel/plugin-transform-exponentiation-operator";
import pluginBlockScoping from "@babel/plugin-transform-block-scoping";
import type { DeviceBoard } from "../../device/board.ts";
import { loadBoard, type BoardProfile } from "../boards.ts";
import { checkBundle, formatViolation, type Violation } from "./gate.ts";
import { chainMapper } from "./sourcemap.ts";
import { MANGLE_ALL, MANGLE_SEED } from "./mangle.ts";
import { inlineConstants } from "./constants.ts";
import { paramsFromArguments } from "./params.ts";
import {
  bindingKey,
  bundleLoadOrder,
  keysThrough,
  linkToBundle,
  partsLoadedBy,
  throughParts,
  type KeyOf,
  type LinkReport,
  type LinkTable,
  type LoadOrder,
} from "./link.ts";

/** The repository root (src/host/build -> ../../..). */
export const ROOT = resolve(import.meta.dirname, "..", "..", "..");
/** Default firmware entry. */
export const DEFAULT_ENTRY = join(ROOT, "firmware", "main.ts");
/** Default output directory. */
export const DEFAULT_OUT_DIR = join(ROOT, "firmware", "build");

const TARGET = "es2015";

/**
 * Syntax esbuild would otherwise lower into helper code (generators, WeakMaps, Symbol lookups)
 * that fails on Espruino far from its source. Declared "supported" so it stays as written and
 * the gate refuses it at its own position.
 */
const KEEP_FOR_GATE: Record<string, boolean> = {
  "async-await": true,
  "async-generator": true,
  generator: true,
  "for-await": true,
  "object-rest-spread": true,
  "class-private-field": true,
  "class-private-method": true,
  "class-private-accessor": true,
  "class-private-static-field": true,
  "class-private-static-method": true,
  "class-private-static-accessor": true,
  "class-private-brand-check": true,
  "class-static-blocks": true,
  "regexp-named-capture-groups": true,
  "regexp-lookbehind-assertions": true,
  "regexp-dot-all-flag": true,
  "regexp-sticky-and-unicode-flags": true,
  "regexp-match-indices": true,
  "regexp-unicode-property-escapes": true,
  "regexp-set-notation": true,
  bigint: true,
};

export interface BuildOptions {
  /** Board id (`boards/<id>.json`) or a profile object. */
  board: string | BoardProfile;
  /** Entry file; default firmware/main.ts. */
  entry?: string;
  /** Output directory; default firmware/build. */
  outDir?: string;
  /** Also write `<id>.js.map`, which leads back to the TypeScript sources. */
  sourcemap?: boolean;
  /** Spool version compiled in; default package.json's. */
  version?: string;
  /** Do not write files (tests). */
  write?: boolean;
  /**
   * Code kept out of the bundle in Storage files of its own, evaluated when called
   * (docs/memory.md). Default: {@link FIRMWARE_PARTS} for the default firmware entry, none for
   * other entries.
   */
  parts?: PartSpec[];
}

/** A part of the firmware: an entry module whose default export the device loads from Storage. */
export interface PartSpec {
  /** The name the device asks for (`parts.load(name)`); also in the Storage file name. */
  name: string;
  entry: string;
}

/** The default firmware's parts: code that is rarely called, so it costs no RAM until it is. */
export const FIRMWARE_PARTS: PartSpec[] = [
  { name: "setup", entry: join(ROOT, "src", "device", "parts", "setup.ts") },
  { name: "check", entry: join(ROOT, "src", "device", "parts", "check.ts") },
  { name: "config", entry: join(ROOT, "src", "device", "parts", "config.ts") },
  { name: "save", entry: join(ROOT, "src", "device", "parts", "save.ts") },
  { name: "apply", entry: join(ROOT, "src", "device", "parts", "apply.ts") },
  { name: "report", entry: join(ROOT, "src", "device", "parts", "report.ts") },
  { name: "uplink", entry: join(ROOT, "src", "device", "parts", "uplink.ts") },
  { name: "make", entry: join(ROOT, "src", "device", "parts", "make.ts") },
  { name: "date", entry: join(ROOT, "src", "device", "parts", "date.ts") },
  { name: "pick", entry: join(ROOT, "src", "device", "parts", "pick.ts") },
  { name: "stream", entry: join(ROOT, "src", "device", "parts", "stream.ts") },
  { name: "reply", entry: join(ROOT, "src", "device", "parts", "reply.ts") },
  { name: "rare", entry: join(ROOT, "src", "device", "parts", "rare.ts") },
  { name: "sntp", entry: join(ROOT, "src", "device", "parts", "sntp.ts") },
  { name: "clock", entry: join(ROOT, "src", "device", "parts", "clock.ts") },
  { name: "survey", entry: join(ROOT, "src", "device", "parts", "survey.ts") },
  { name: "store", entry: join(ROOT, "src", "device", "parts", "store.ts") },
  { name: "mount", entry: join(ROOT, "src", "device", "parts", "mount.ts") },
  { name: "read", entry: join(ROOT, "src", "device", "parts", "read.ts") },
  { name: "anchor", entry: join(ROOT, "src", "device", "parts", "anchor.ts") },
];

/** One built part. */
export interface BuiltPart {
  name: string;
  /**
   * Its Storage file, `spool.<name>.<tag>`: the tag (a hash of the code) changes with the code, so
   * an upload cut short never leaves a firmware next to parts of another build under its names.
   */
  storage: string;
  /** Written as `<board>.<name>.js` beside the bundle. */
  file: string;
  /** Minified; ends with `//<tag>`, which the device checks before evaluating it. */
  code: string;
  /** The bundle's global names the part calls instead of carrying copies (src/host/build/link.ts). */
  linked: string[];
  /**
   * When the part may be loaded while the bundle's module level still runs: the first global the
   * bundle declares after that moment. The part carries copies of what it uses from there on.
   */
  linkLimit?: string;
}

export interface BuildResult {
  /** The written bundle (or where it would have been written). */
  file: string;
  /** Bytes of the bundle and its parts: what the board's Storage holds. */
  bytes: number;
  budget: number;
  code: string;
  parts: BuiltPart[];
  /** What a board's Storage holds: the parts, then the bundle as `.bootcde` (the order to upload them). */
  storageFiles: Array<{ storage: string; path: string; code: string }>;
}

/** A build that failed: bundling errors, gate violations, or over budget. */
export class BuildError extends Error {
  constructor(
    message: string,
    readonly violations: Violation[] = [],
    /** The final bundle, when the failure is about it. */
    readonly code?: string,
  ) {
    super(message);
    this.name = "BuildError";
  }
}

/** The profile as compiled in: only what the device reads (src/device/board.ts `DeviceBoard`). */
export function boardForDevice(board: BoardProfile): DeviceBoard {
  // Every `why` (the profile's documentation) is dropped on the way.
  const copy = JSON.parse(JSON.stringify(board), (key, value) => (key === "why" ? undefined : value)) as BoardProfile & {
    $schema?: string;
  };
  // fakeFlash is read by the host only; of wifi the device needs only who rejoins after a drop.
  const { $schema, name, espruinoBoard, jsVars, codeBudgetBytes, hotCode, wifi, fakeFlash, ...device } = copy;
  const out = device as DeviceBoard;
  if (wifi) out.wifiReconnect = wifi.reconnect;
  return out;
}

/**
 * Drops the `"ram"` directive (Espruino: copy this function into RAM, pretokenised, when it is
 * loaded from flash) on boards that do not want it: see {@link BoardProfile.hotCode}.
 */
function dropRamDirectives(): PluginObj {
  return {
    visitor: {
      Directive(path) {
        if (path.node.value.value === "ram") path.remove();
      },
    },
  };
}

/**
 * esbuild writes a class with static members as `var _A = class _A { m() { _A.x } }`. Espruino
 * does not bind a class expression's own name, which works only while the outer var has the
 * same name, and the minifier renames the two apart. Dropping the inner name makes the inner
 * references resolve to the outer var (never reassigned) before minifying.
 */
function unnameSelfNamedClasses(): PluginObj {
  return { visitor: { ClassExpression: unnameSelfNamedClass } };
}

function unnameSelfNamedClass(path: NodePath<ClassExpression>): void {
  const { node, parent } = path;
  if (node.id && parent.type === "VariableDeclarator" && parent.id.type === "Identifier" && parent.id.name === node.id.name) node.id = null;
}

/** Prefix of the bundle's module-level names once they are global (see {@link globalModuleScope}). */
export const GLOBAL_PREFIX = "$";

/**
 * Takes the module level out of esbuild's `(()=>{...})()` wrapper, renaming each of its names to
 * `$<n>` (`n` in base 36, the most used names shortest). Espruino gives every function the scope it was made in: inside the wrapper each
 * module-level function keeps a link to the wrapper's scope (1 JsVar), and each closure made by
 * a factory a copy of the two-scope chain (4 JsVars), where at global level the former needs
 * none and the latter one. Measured on the 1,600-JsVar build: 40 one-parameter functions 246
 * JsVars in the wrapper, 200 global; 40 closures of a factory 409, 287 (docs/memory.md). The
 * prefix keeps the names apart from a user's globals; nothing else of the bundle is global.
 */
function globalModuleScope(link: { table: LinkTable; keyOf: KeyOf; order: LoadOrder }): () => PluginObj {
  return () => ({
    visitor: {
      Program(path) {
        const body = path.get("body");
        const only = body.length === 1 ? body[0] : undefined;
        const call = only?.isExpressionStatement() ? only.get("expression") : undefined;
        const wrapper = call?.isCallExpression() && call.node.arguments.length === 0 ? call.get("callee") : undefined;
        if (!wrapper?.isArrowFunctionExpression())
          throw new BuildError("the bundle is not esbuild's (()=>{...})() wrapper: cannot move its module level to global scope");
        const block = wrapper.get("body");
        if (!block.isBlockStatement()) throw new BuildError("the bundle's wrapper has no block body");
        block.traverse({
          ReturnStatement(r) {
            if (r.getFunctionParent() === wrapper) throw new BuildError("the bundle's module level returns: it cannot run at global scope");
          },
          ThisExpression(t) {
            if (t.getFunctionParent() === wrapper) throw new BuildError("the bundle's module level uses `this`");
          },
        });
        // Before renaming: the inner name of `var _A = class _A {...}` must go while it still matches.
        block.traverse({ ClassExpression: unnameSelfNamedClass });
        wrapper.scope.crawl();
        const forget = forgetBootCode(wrapper);
        const forgotten = forget.bindings;
        const bindings = wrapper.scope.bindings;
        const names = Object.keys(bindings).sort((a, b) => bindings[b].references - bindings[a].references);
        const renamed = new Map(names.map((name, n) => [bindings[name], GLOBAL_PREFIX + n.toString(36)]));
        // What the parts link to, found by where each declaration comes from, and when.
        const { order, declaredAt } = bundleLoadOrder(block.get("body"), wrapper.scope);
        for (const [part, at] of order) link.order.set(part, at);
        for (const [b, to] of renamed) {
          // A part never links to what the boot forgets: it carries its own copy.
          if (forgotten.has(b)) continue;
          const key = bindingKey(b, link.keyOf);
          if (key) link.table.set(key, { name: to, at: declaredAt(b) });
        }
        // One pass over the identifiers (scope.rename walks the whole bundle once per name).
        block.traverse({
          Identifier(id) {
            const to = renamed.get(id.scope.getBinding(id.node.name)!);
            if (to && (id.isReferenced() || id.isBindingIdentifier())) id.node.name = to;
          },
        });
        forget.apply();
        path.node.body = block.node.body;
        path.scope.crawl();
      },
    },
  });
}

/** The build's intrinsic for boot-only functions (src/device/build-defines.d.ts). */
const FORGET = "__SPOOL_FORGET__";

/**
 * `__SPOOL_FORGET__(f, g)` in the bundle: each named function becomes `f = function(){...}` and
 * the call `(delete f, delete g)`, so that once the boot has run they cost nothing (4 JsVars
 * each at global scope). Declared by assignment, not as a function, because a function
 * declaration is a global no `delete` removes in a JavaScript engine (the simulation's);
 * Espruino deletes either, at the same cost.
 *
 * Safe only where nothing that runs later calls them: each may be used only at the module level
 * (its top-level statements and the functions they call at once), by the function that forgets
 * them, or by one another.
 * @returns the bindings forgotten, and what rewrites the code once they are renamed.
 * @throws {BuildError} naming a function used elsewhere, or an argument that is not a module-level function.
 */
function forgetBootCode(wrapper: NodePath<t.ArrowFunctionExpression>): { bindings: Set<Binding>; apply(): void } {
  const calls: NodePath<t.CallExpression>[] = [];
  wrapper.traverse({
    CallExpression(c) {
      const callee = c.get("callee");
      if (callee.isIdentifier({ name: FORGET }) && !c.scope.getBinding(FORGET)) calls.push(c);
    },
  });
  const forgotten = new Set<Binding>();
  const owners = new Map<Binding, NodePath>();
  for (const c of calls) {
    const owner = c.getFunctionParent();
    if (!owner || owner === wrapper || owner.getFunctionParent() !== wrapper)
      throw new BuildError(`${FORGET} must be called in a module-level function (the boot), not at the module level or deeper`);
    for (const a of c.get("arguments")) {
      const b = a.isIdentifier() ? wrapper.scope.getBinding(a.node.name) : undefined;
      if (!b || b.scope !== wrapper.scope || !b.path.isFunctionDeclaration())
        throw new BuildError(`${FORGET}: ${a.toString()} is not a function declared at the module level`);
      forgotten.add(b);
      owners.set(b, owner);
    }
  }
  const declaredBy = new Map<NodePath, Binding>();
  for (const b of forgotten) declaredBy.set(b.path, b);
  for (const b of forgotten) {
    for (const ref of b.referencePaths) {
      const fn = ref.getFunctionParent();
      if (!fn || fn === wrapper || fn === owners.get(b) || declaredBy.has(fn)) continue;
      // A function expression called where it stands, at the module level (the early passes).
      const run = fn.parentPath;
      if (run?.isCallExpression() && run.node.callee === fn.node && fn.getFunctionParent() === wrapper) continue;
      const where = fn.isFunctionDeclaration() && fn.node.id ? fn.node.id.name : `the function at line ${fn.node.loc?.start.line}`;
      throw new BuildError(
        `${FORGET}: ${b.identifier.name} is used by ${where}, which can run after the boot forgot it; keep it, or forget that function too`,
      );
    }
  }
  return {
    bindings: forgotten,
    apply() {
      for (const c of calls)
        c.replaceWith(t.sequenceExpression(c.node.arguments.map((a) => t.unaryExpression("delete", t.cloneNode(a as t.Identifier)))));
      for (const b of forgotten) {
        const d = b.path as NodePath<t.FunctionDeclaration>;
        const f = t.functionExpression(null, d.node.params, d.node.body, d.node.generator, d.node.async);
        const stmt = t.expressionStatement(t.assignmentExpression("=", t.identifier(d.node.id!.name), f));
        stmt.loc = d.node.loc;
        d.replaceWith(stmt);
      }
    },
  };
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
}

/** Stands for a part's tag in the bundle until the part is built: 8 characters, as a tag. */
const TAG_PLACEHOLDER = "########";
/** Name the part's value is held in while minifying. */
const PART_VAR = "__spoolPart";
/** A minified part: its wrapper function, called once; group 1 is the body. */
const PART_WRAPPER = /^\(function\(\)\{([\s\S]*)\}\)\(\);?\s*$/;

interface Compiled {
  code: string;
  map: string;
}

/** The bundle's first global declared at or after top-level statement `at`. */
function firstDeclaredFrom(table: LinkTable, at: number | undefined): string | undefined {
  let first: { name: string; at: number } | undefined;
  if (at !== undefined) for (const t of table.values()) if (t.at >= at && (!first || t.at < first.at)) first = t;
  return first?.name;
}

/** `entry` bundled and nothing else: to read which parts it loads. */
async function bundleOnly(entry: string, defines: Record<string, string>): Promise<string> {
  const r = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    target: TARGET,
    supported: KEEP_FOR_GATE,
    absWorkingDir: ROOT,
    logLevel: "silent",
    define: defines,
    tsconfigRaw: { compilerOptions: { useDefineForClassFields: false, verbatimModuleSyntax: false } },
  });
  return r.outputFiles[0].text;
}

/**
 * Bundles `entry` (esbuild, es2015), lowers what Espruino lacks (Babel), minifies and gates it.
 * With `part`, the code is a function body ending `return <default export>`: on the device
 * `new Function(body)()` gives the part's functions one scope to link to (Espruino's `eval`
 * would make each copy the loader's scope chain, docs/memory.md).
 */
async function compile(o: {
  entry: string;
  file: string;
  outDir: string;
  sourcefile: string;
  defines: Record<string, string>;
  part: boolean;
  ramCode: boolean;
  /** Short names given so far (mangle.ts's table and the state's); the new ones are added. */
  mangleCache: Record<string, string | false>;
  /**
   * The bundle: filled with what its module level keeps. A part: linked against it, what it
   * links written to `report`.
   */
  link: { table: LinkTable; order: LoadOrder; report?: LinkReport; name?: string };
}): Promise<Compiled> {
  const { entry, file } = o;
  // 1. Bundle.
  let bundled: esbuild.BuildResult<{ write: false; sourcemap: "external" }>;
  try {
    bundled = (await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: o.part ? "esm" : "iife",
      platform: "neutral",
      target: TARGET,
      supported: KEEP_FOR_GATE,
      outfile: file,
      sourcemap: "external",
      sourcesContent: false,
      absWorkingDir: ROOT,
      logLevel: "silent",
      legalComments: "none",
      charset: "ascii",
      define: o.defines,
      // Inlines constants (before Babel turns const into var, which cannot be inlined): each
      // top-level var left costs a JsVar or two on the device for as long as it runs.
      minifySyntax: true,
      // Internal members get short names, the same in the bundle and every part: the store's and
      // clock's from mangle.ts's fixed table, the shared state's (`_` names) as esbuild gives them.
      mangleProps: MANGLE_ALL,
      mangleCache: o.mangleCache,
      // Class fields become constructor assignments (TypeScript's behaviour before ES2022).
      tsconfigRaw: { compilerOptions: { useDefineForClassFields: false, verbatimModuleSyntax: false } },
    })) as typeof bundled;
  } catch (err) {
    const errors = (err as esbuild.BuildFailure).errors ?? [];
    const lines = errors.map((e) => (e.location ? `${e.location.file}:${e.location.line}:${e.location.column + 1}: ${e.text}` : e.text));
    throw new BuildError(`bundling ${basename(entry)} failed:\n  ${lines.join("\n  ") || String(err)}`);
  }
  Object.assign(o.mangleCache, bundled.mangleCache);
  let js = bundled.outputFiles.find((f) => f.path.endsWith(".js"))!.text;
  const bundleMap = JSON.parse(bundled.outputFiles.find((f) => f.path.endsWith(".map"))!.text) as SourceMapInput;
  if (o.part) {
    const exported = /export\s*\{\s*([\w$]+) as default\s*\};?\s*(\/\/# sourceMappingURL=\S*\s*)?$/.exec(js);
    if (!exported) throw new BuildError(`${basename(entry)}: a part must have a default export and nothing else exported`);
    // Same line count before the body: the map still fits. Held in a global var for minifying
    // only (the minifier drops an unused call of a function without side effects); the var is
    // cut off afterwards, so that the script's value is the part.
    js = `var ${PART_VAR}=(function(){` + js.slice(0, exported.index) + "return " + exported[1] + ";})();\n";
  }
  const keyOf = keysThrough(bundleMap, o.outDir, o.part ? `var ${PART_VAR}=(function(){`.length : 0);
  const report = o.link.report;

  // 2. Lower what Espruino lacks, and nothing else.
  const lowered = await transformAsync(js, {
    babelrc: false,
    configFile: false,
    filename: file,
    sourceType: "script",
    sourceMaps: true,
    inputSourceMap: bundleMap as any,
    compact: false,
    comments: false,
    // Espruino only iterates arrays (and strings / typed arrays): spread and array destructuring
    // become index access and concat, not Symbol.iterator / Array.from helpers.
    assumptions: { iterableIsArray: true, arrayLikeIsIterable: false, ignoreFunctionLength: true, objectRestNoSymbols: true },
    plugins: [
      inlineConstants(),
      o.part
        ? linkToBundle({
            table: o.link.table,
            keyOf,
            prefix: GLOBAL_PREFIX,
            report: report ?? { linked: [], dropped: 0 },
            before: o.link.order.get(o.link.name ?? "") ?? Number.POSITIVE_INFINITY,
          })
        : globalModuleScope({ table: o.link.table, keyOf, order: o.link.order }),
      pluginParameters,
      pluginDestructuring,
      pluginSpread,
      pluginExponent,
      pluginBlockScoping,
      unnameSelfNamedClasses,
      paramsFromArguments(),
      ...(o.ramCode ? [] : [dropRamDirectives]),
    ],
  });
  if (!lowered?.code || !lowered.map) throw new BuildError("Babel produced no output");

  // 3. Minify. Same target, so esbuild adds no syntax Espruino lacks (no `?.`, `??`, `**`).
  // esbuild follows an inline input map, so the minified map leads straight back to the .ts files.
  const inlineMap = Buffer.from(JSON.stringify(lowered.map)).toString("base64");
  const min = await esbuild.transform(`${lowered.code}\n//# sourceMappingURL=data:application/json;base64,${inlineMap}`, {
    minify: true,
    target: TARGET,
    supported: KEEP_FOR_GATE,
    sourcemap: "external",
    sourcefile: o.sourcefile,
    legalComments: "none",
    charset: "ascii",
  });
  let code = min.code;
  if (o.part) {
    if (!code.startsWith(`var ${PART_VAR}=`)) throw new BuildError(`${basename(entry)}: the minified part does not start with its value`);
    code = code.slice(`var ${PART_VAR}=`.length);
  }

  // 4. Gate.
  const mapBack = chainMapper([JSON.parse(min.map) as SourceMapInput], o.outDir);
  const violations = checkBundle(code, { mapBack });
  if (violations.length) {
    throw new BuildError(
      `${basename(file)}: the bundle contains ${violations.length} thing(s) Espruino cannot run:\n  ${violations.map(formatViolation).join("\n  ")}`,
      violations,
      code,
    );
  }
  if (o.part) {
    // Checked as a script above; stored as the wrapper's body, which the device runs as
    // `new Function(body)()` (src/device/parts.ts).
    const body = PART_WRAPPER.exec(code);
    if (!body) throw new BuildError(`${basename(entry)}: the minified part is not one function called once`);
    code = body[1];
  }
  return { code, map: min.map };
}

/**
 * Builds the firmware for one board: the bundle, and its parts (each in a Storage file of its
 * own, named in the bundle).
 * @throws {BuildError} when bundling fails, the gate refuses the bundle or a part (each
 *   violation named with its rule, bundle position and source file:line), or bundle and parts
 *   together exceed the board's code budget.
 * @throws {BoardProfileError} when the board profile is missing or invalid.
 */
export async function build(opts: BuildOptions): Promise<BuildResult> {
  const board = typeof opts.board === "string" ? loadBoard(opts.board) : opts.board;
  const entry = resolve(opts.entry ?? DEFAULT_ENTRY);
  const outDir = resolve(opts.outDir ?? DEFAULT_OUT_DIR);
  const file = join(outDir, `${board.id}.js`);
  const version = opts.version ?? packageVersion();
  const defines: Record<string, string> = {
    __SPOOL_VERSION__: JSON.stringify(version),
    __BOARD__: JSON.stringify(boardForDevice(board)),
    __BOARD_JSON__: JSON.stringify(JSON.stringify(boardForDevice(board))),
  };
  const specs = opts.parts ?? (entry === DEFAULT_ENTRY ? FIRMWARE_PARTS : []);

  const ramCode = !!board.hotCode?.inRam;
  // Seeded with the fixed table, so the names esbuild makes for the rest never take one of its.
  const mangleCache: Record<string, string | false> = { ...MANGLE_SEED };
  // The bundle first: the parts link against its module level. It names their files, whose tags
  // are known only once they are built: a placeholder of the same length, replaced after.
  const placeholders: { [name: string]: string } = {};
  for (const spec of specs) placeholders[spec.name] = `spool.${spec.name}.${TAG_PLACEHOLDER}`;
  const table: LinkTable = new Map();
  const bundleOrder: LoadOrder = new Map();
  const main = await compile({
    entry,
    file,
    outDir,
    sourcefile: `${board.id}.babel.js`,
    defines: { ...defines, __SPOOL_PART_FILES__: JSON.stringify(specs.map((s) => ` ${placeholders[s.name]}`).join("")) },
    part: false,
    ramCode,
    mangleCache,
    link: { table, order: bundleOrder },
  });
  const loads = new Map<string, string[]>();
  for (const spec of specs) loads.set(spec.name, partsLoadedBy(await bundleOnly(spec.entry, defines)));
  const order = throughParts(bundleOrder, loads);
  const parts: BuiltPart[] = [];
  for (const spec of specs) {
    const partFile = join(outDir, `${board.id}.${spec.name}.js`);
    const report: LinkReport = { linked: [], dropped: 0 };
    const c = await compile({
      entry: spec.entry,
      file: partFile,
      outDir,
      sourcefile: `${board.id}.${spec.name}.babel.js`,
      defines,
      part: true,
      ramCode,
      mangleCache,
      link: { table, order, report, name: spec.name },
    });
    const tag = createHash("sha256").update(c.code).digest("hex").slice(0, 8);
    parts.push({
      name: spec.name,
      storage: `spool.${spec.name}.${tag}`,
      file: partFile,
      code: `${c.code}//${tag}`,
      linked: report.linked,
      linkLimit: firstDeclaredFrom(table, order.get(spec.name)),
    });
  }
  let code = main.code;
  for (const p of parts) {
    const placeholder = ` ${placeholders[p.name]}`;
    // Absent when the entry does not read __SPOOL_PART_FILES__ (a test's entry).
    if (code.split(placeholder).length > 2) throw new BuildError(`the bundle names part ${p.name}'s file more than once`);
    code = code.replace(placeholder, ` ${p.storage}`);
  }

  // 5. Budget: everything the board's Storage must hold.
  const bytes = [code, ...parts.map((p) => p.code)].reduce((n, c) => n + Buffer.byteLength(c, "utf8"), 0);
  if (bytes > board.codeBudgetBytes) {
    throw new BuildError(
      `${board.id}: ${parts.length ? "bundle and parts are" : "bundle is"} ${bytes} bytes, over the board's code budget of ${board.codeBudgetBytes} bytes (boards/${board.id}.json codeBudgetBytes)`,
    );
  }

  if (opts.write !== false) {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(file, opts.sourcemap ? `${code}//# sourceMappingURL=${board.id}.js.map\n` : code);
    if (opts.sourcemap) writeFileSync(`${file}.map`, main.map);
    for (const p of parts) writeFileSync(p.file, p.code);
  }
  const storageFiles = parts.map((p) => ({ storage: p.storage, path: p.file, code: p.code }));
  storageFiles.push({ storage: ".bootcde", path: file, code });
  return { file, bytes, budget: board.codeBudgetBytes, code, parts, storageFiles };
}
