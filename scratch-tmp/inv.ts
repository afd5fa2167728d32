import * as acorn from "acorn";
import { readFileSync } from "node:fs";
import { TraceMap, originalPositionFor } from "@jridgewell/trace-mapping";
import { moduleVars } from "/work/wt-memapi/src/host/sim/code-vars.ts";
const file = process.argv[2];
const code = readFileSync(file, "latin1");
const map = new TraceMap(readFileSync(file + ".map", "utf8"));
const ast: any = acorn.parse(code, { ecmaVersion: 2020, sourceType: "script", locations: true });
const bySrc = new Map<string, number>();
const rows: [number, string, string][] = [];
for (const s of ast.body) {
  const text = code.slice(s.start, s.end);
  const v = moduleVars(text, 16).total;
  const pos = originalPositionFor(map, { line: s.loc.start.line, column: s.loc.start.column + 1 });
  const src = (pos.source || "?").replace(/.*\/src\//, "") ;
  bySrc.set(src, (bySrc.get(src) || 0) + v);
  rows.push([v, src + ":" + pos.line, text.slice(0, 60)]);
}
const tot = [...bySrc.values()].reduce((a, b) => a + b, 0);
console.log("total", tot);
for (const [k, v] of [...bySrc].sort((a, b) => b[1] - a[1])) console.log(String(v).padStart(5), k);
if (process.argv[3]) for (const r of rows.sort((a, b) => b[0] - a[0])) console.log(String(r[0]).padStart(5), r[1], r[2]);
