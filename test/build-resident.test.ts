/** src/host/build/resident.ts: the functions a bundle's module level keeps, per source module. */
import test from "ava";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { build } from "../src/host/build/index.ts";
import { residentFunctions, residentOfBoard } from "../src/host/build/resident.ts";

test("counts the module level's functions, methods and object-literal functions per source module, not the inner ones", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "spool-resident-test-"));
  writeFileSync(
    join(dir, "lib.ts"),
    `export class Pair { a = 1; first(x: number): number { return x + this.a; } second(x: number, y: number): number { return x * y + this.a; } }
export const table = { one: (x: number) => x + 1, two(): number { return 2; } };
`,
  );
  writeFileSync(
    join(dir, "main.ts"),
    `declare const print: (s: string) => void;
import { Pair, table } from "./lib.ts";
function outer(n: number, m: number): () => number { return () => n + m + new Pair().first(1) + table.one(1) + table.two(); }
print(String(outer(1, 2)()));
`,
  );
  const out = join(dir, "out");
  const r = await build({ board: "linux", entry: join(dir, "main.ts"), outDir: out, sourcemap: true });
  const code = readFileSync(r.file, "utf8").replace(/\/\/# sourceMappingURL=\S*\s*$/, "");
  const rows = residentFunctions(code, JSON.parse(readFileSync(`${r.file}.map`, "utf8")), out);
  const of = (name: string) => rows.find((m) => m.file === relative(process.cwd(), join(dir, name)));
  // lib.ts: the constructor (from the field), two methods, two functions of the object literal.
  // The build reads the methods' parameters from arguments (params.ts), so only the arrow's
  // one declared parameter is left.
  t.like(of("lib.ts"), { functions: 5, parameters: 1 });
  // main.ts: outer, not the arrow it returns; outer makes a function, so it keeps its parameters.
  t.like(of("main.ts"), { functions: 1, parameters: 2 });
});

test("the linux-small firmware's resident functions come from its device modules", async (t) => {
  const rows = await residentOfBoard("linux-small");
  const total = rows.reduce((n, m) => n + m.functions, 0);
  t.log(rows.map((m) => `${m.functions} ${m.parameters} ${m.file}`).join("\n"));
  t.true(total > 0);
  t.true(
    rows.every((m) => m.file.startsWith("firmware/") || m.file.startsWith("src/device/")),
    rows.map((m) => m.file).join(", "),
  );
});
