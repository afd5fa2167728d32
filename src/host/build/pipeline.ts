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
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import * as esbuild from "esbuild";
import { transformAsync, type PluginObj } from "@babel/core";
import type { SourceMapInput } from "@jridgewell/trace-mapping";
import pluginParameters from "@babel/plugin-transform-parameters";
import pluginDestructuring from "@babel/plugin-transform-destructuring";
import pluginSpread from "@babel/plugin-transform-spread";
import pluginExponent from "@babel/plugin-transform-exponentiation-operator";
import pluginBlockScoping from "@babel/plugin-transform-block-scoping";
import type { BoardProfile } from "../../device/board.ts";
import { loadBoard } from "../boards.ts";
import { checkBundle, formatViolation, type Violation } from "./gate.ts";
import { chainMapper } from "./sourcemap.ts";

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
}

export interface BuildResult {
  /** The written bundle (or where it would have been written). */
  file: string;
  bytes: number;
  budget: number;
  code: string;
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

/** The profile as compiled in: without its documentation strings, which only cost bytes on the device. */
export function boardForDevice(board: BoardProfile): BoardProfile {
  const copy = JSON.parse(JSON.stringify(board)) as BoardProfile & { $schema?: string };
  delete copy.$schema;
  copy.flash.why = "";
  if (copy.hotCode) copy.hotCode.why = "";
  delete copy.jsVars.note;
  return copy;
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
  return {
    visitor: {
      ClassExpression(path) {
        const { node, parent } = path;
        if (node.id && parent.type === "VariableDeclarator" && parent.id.type === "Identifier" && parent.id.name === node.id.name) node.id = null;
      },
    },
  };
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
}

/**
 * Builds the firmware for one board.
 * @throws {BuildError} when bundling fails, the gate refuses the bundle (each violation named
 *   with its rule, bundle position and source file:line), or the bundle exceeds the board's
 *   code budget.
 * @throws {BoardProfileError} when the board profile is missing or invalid.
 */
export async function build(opts: BuildOptions): Promise<BuildResult> {
  const board = typeof opts.board === "string" ? loadBoard(opts.board) : opts.board;
  const entry = resolve(opts.entry ?? DEFAULT_ENTRY);
  const outDir = resolve(opts.outDir ?? DEFAULT_OUT_DIR);
  const file = join(outDir, `${board.id}.js`);
  const version = opts.version ?? packageVersion();

  // 1. Bundle.
  let bundled: esbuild.BuildResult<{ write: false; sourcemap: "external" }>;
  try {
    bundled = (await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: "iife",
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
      define: {
        __SPOOL_VERSION__: JSON.stringify(version),
        __BOARD__: JSON.stringify(boardForDevice(board)),
      },
      // Class fields become constructor assignments (TypeScript's behaviour before ES2022).
      tsconfigRaw: { compilerOptions: { useDefineForClassFields: false, verbatimModuleSyntax: false } },
    })) as typeof bundled;
  } catch (err) {
    const errors = (err as esbuild.BuildFailure).errors ?? [];
    const lines = errors.map((e) => (e.location ? `${e.location.file}:${e.location.line}:${e.location.column + 1}: ${e.text}` : e.text));
    throw new BuildError(`bundling ${basename(entry)} failed:\n  ${lines.join("\n  ") || String(err)}`);
  }
  const js = bundled.outputFiles.find((f) => f.path.endsWith(".js"))!.text;
  const bundleMap = JSON.parse(bundled.outputFiles.find((f) => f.path.endsWith(".map"))!.text) as SourceMapInput;

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
    plugins: [pluginParameters, pluginDestructuring, pluginSpread, pluginExponent, pluginBlockScoping, unnameSelfNamedClasses, ...(board.hotCode && board.hotCode.inRam ? [] : [dropRamDirectives])],
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
    sourcefile: `${board.id}.babel.js`,
    legalComments: "none",
    charset: "ascii",
  });
  const code = min.code;

  // 4. Gate.
  const mapBack = chainMapper([JSON.parse(min.map) as SourceMapInput], outDir);
  const violations = checkBundle(code, { mapBack });
  if (violations.length) {
    throw new BuildError(
      `${board.id}: the bundle contains ${violations.length} thing(s) Espruino cannot run:\n  ${violations.map(formatViolation).join("\n  ")}`,
      violations,
      code,
    );
  }

  // 5. Budget.
  const bytes = Buffer.byteLength(code, "utf8");
  if (bytes > board.codeBudgetBytes) {
    throw new BuildError(`${board.id}: bundle is ${bytes} bytes, over the board's code budget of ${board.codeBudgetBytes} bytes (boards/${board.id}.json codeBudgetBytes)`);
  }

  if (opts.write !== false) {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(file, opts.sourcemap ? `${code}//# sourceMappingURL=${board.id}.js.map\n` : code);
    if (opts.sourcemap) writeFileSync(`${file}.map`, min.map);
  }
  return { file, bytes, budget: board.codeBudgetBytes, code };
}
