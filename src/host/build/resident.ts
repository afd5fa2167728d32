/**
 * What the bundle keeps for as long as it runs: the functions its module level makes (function
 * declarations, class methods, functions in module-level objects), per TypeScript source module,
 * through the build's source map. Each costs JsVars on the device whether or not it is ever
 * called (about 4 at global scope plus one per parameter, docs/memory.md), so this is the list
 * to read when deciding what moves into a part.
 *
 * `npx tsx src/host/build/resident.ts linux-small` prints the table for a board.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import * as acorn from "acorn";
import { build } from "./pipeline.ts";
import { chainMapper } from "./sourcemap.ts";

/** Functions one source module leaves at the bundle's module level. */
export interface ResidentModule {
  /** Path of the source module, relative to the working directory ("?" when unmapped). */
  file: string;
  functions: number;
  parameters: number;
}

/**
 * Counts the functions made by the module level of `code` (those not inside another function),
 * attributed to source modules by `map` (the bundle's source map; its sources are resolved
 * against `mapDir`). Largest first.
 */
export function residentFunctions(code: string, map: object, mapDir: string): ResidentModule[] {
  const mapper = chainMapper([map as never], mapDir);
  const per = new Map<string, ResidentModule>();
  const visit = (node: any, inFunction: boolean): void => {
    if (!node || typeof node.type !== "string") return;
    const isFunction = /Function/.test(node.type);
    if (isFunction && !inFunction) {
      const at = mapper(node.loc.start.line, node.loc.start.column);
      const file = at ? at.file : "?";
      const m = per.get(file) ?? { file, functions: 0, parameters: 0 };
      m.functions++;
      m.parameters += node.params.length;
      per.set(file, m);
    }
    for (const key of Object.keys(node)) {
      if (key === "loc") continue;
      const v = node[key];
      if (Array.isArray(v)) for (const c of v) visit(c, inFunction || isFunction);
      else if (v && typeof v.type === "string") visit(v, inFunction || isFunction);
    }
  };
  visit(acorn.parse(code, { ecmaVersion: 2022, locations: true }), false);
  return [...per.values()].sort((a, b) => b.functions - a.functions || a.file.localeCompare(b.file));
}

/** Builds the default firmware for `board` with a source map and counts its resident functions. */
export async function residentOfBoard(board: string): Promise<ResidentModule[]> {
  const outDir = mkdtempSync(join(tmpdir(), "spool-resident-"));
  try {
    const r = await build({ board, outDir, sourcemap: true });
    const code = readFileSync(r.file, "utf8").replace(/\/\/# sourceMappingURL=\S*\s*$/, "");
    return residentFunctions(code, JSON.parse(readFileSync(`${r.file}.map`, "utf8")), outDir);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await residentOfBoard(process.argv[2] ?? "linux-small");
  let f = 0;
  let p = 0;
  for (const r of rows) {
    console.log(`${String(r.functions).padStart(4)} ${String(r.parameters).padStart(4)}  ${r.file}`);
    f += r.functions;
    p += r.parameters;
  }
  console.log(`${String(f).padStart(4)} ${String(p).padStart(4)}  functions, parameters in all`);
}
