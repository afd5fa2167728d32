/**
 * src/device/lib/espruino.d.ts is generated (scripts/gen-espruino-dts.ts) from lib.es5.d.ts and
 * scripts/espruino-extras.d.ts, filtered by the one list of Espruino builtins.
 */
import test from "ava";
import { readFileSync } from "node:fs";
import ts from "typescript";
import { DTS_FILE, generateEspruinoDts } from "../scripts/gen-espruino-dts.ts";

test("the committed espruino.d.ts is what the generator makes (npx tsx scripts/gen-espruino-dts.ts)", (t) => {
  t.true(
    readFileSync(DTS_FILE, "utf8") === generateEspruinoDts(),
    "src/device/lib/espruino.d.ts differs from the generator's output: run npx tsx scripts/gen-espruino-dts.ts",
  );
});

/** Type errors of `code` compiled against the generated lib alone, as device code is. */
function typeErrors(code: string): string[] {
  const lib = generateEspruinoDts();
  const files: Record<string, string> = { "/lib.d.ts": lib, "/main.ts": code };
  const options: ts.CompilerOptions = { noLib: true, strict: true, noEmit: true, target: ts.ScriptTarget.ES2015, types: [] };
  const host = ts.createCompilerHost(options);
  host.getSourceFile = (name, version) => (files[name] !== undefined ? ts.createSourceFile(name, files[name], version) : undefined);
  host.fileExists = (name) => files[name] !== undefined;
  host.readFile = (name) => files[name];
  const program = ts.createProgram(["/lib.d.ts", "/main.ts"], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
}

test("members the list says Espruino lacks do not type-check; those it has do", (t) => {
  for (const missing of [
    '"a".search(/a/)',
    "new Date().setUTCHours(1)",
    "Date.UTC(2026, 0)",
    "(1).toPrecision(3)",
    "Object.freeze({})",
    "[1].lastIndexOf(1)",
    '"a".repeat(2)',
    "[1].fill(0)",
  ]) {
    t.true(typeErrors(`export const x = ${missing};`).length > 0, `${missing} should not type-check`);
  }
  t.deepEqual(
    typeErrors(
      'export const x = ["a".padStart(3), [1].includes(1), new Date(0).toISOString(), Date.now(), (1.5).toFixed(1), Object.assign({}, {}), Math.sign(-1)];',
    ),
    [],
  );
});
