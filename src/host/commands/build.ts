/**
 * `spool build [--board <id>] [--out DIR] [--entry FILE] [--sourcemap] [--no-typecheck]`:
 * type-checks the device code, then builds `firmware/build/<id>.js` for one board, or for every
 * board when none is named.
 */
import { relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import ts from "typescript";
import { BOARD_IDS, BoardProfileError, loadBoard } from "../boards.ts";
import { build, BuildError, DEFAULT_ENTRY, DEFAULT_OUT_DIR } from "../build/index.ts";
import { ROOT } from "../build/pipeline.ts";

export const summary = "type-check and build the firmware bundle for a board (all boards by default)";

const USAGE = `usage: spool build [--board <${BOARD_IDS.join("|")}>] [options]

  --board ID       board profile (boards/<id>.json); default: every board
  --out DIR        output directory (default firmware/build)
  --entry FILE     entry file (default firmware/main.ts)
  --sourcemap      also write <id>.js.map
  --no-typecheck   skip type-checking the device code (tsconfig.device.json)`;

/** Type-checks the device project; returns the formatted errors (empty when clean). */
export function typecheckDevice(): string[] {
  const configPath = resolve(ROOT, "tsconfig.device.json");
  const cfg = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  if (cfg.error) return [ts.flattenDiagnosticMessageText(cfg.error.messageText, "\n")];
  const parsed = ts.parseJsonConfigFileContent(cfg.config, ts.sys, ROOT);
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
  const diags = ts.getPreEmitDiagnostics(program);
  return diags.map((d) => {
    const msg = ts.flattenDiagnosticMessageText(d.messageText, "\n");
    if (!d.file || d.start === undefined) return msg;
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${relative(process.cwd(), d.file.fileName)}:${line + 1}:${character + 1}: ${msg}`;
  });
}

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        board: { type: "string" },
        out: { type: "string" },
        entry: { type: "string" },
        sourcemap: { type: "boolean", default: false },
        "no-typecheck": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
    }));
  } catch (err) {
    console.error(`spool build: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const boards = values.board ? [values.board] : [...BOARD_IDS];
  // An unknown board is said before the type check, which takes seconds.
  if (values.board !== undefined) {
    try {
      loadBoard(values.board);
    } catch (err) {
      if (!(err instanceof BoardProfileError)) throw err;
      console.error(`spool build: --board ${JSON.stringify(values.board)}: ${err.message}`);
      return 2;
    }
  }

  if (!values["no-typecheck"]) {
    const errors = typecheckDevice();
    if (errors.length) {
      console.error(`spool build: device code does not type-check (tsconfig.device.json):\n  ${errors.join("\n  ")}`);
      return 1;
    }
  }

  let failed = 0;
  for (const board of boards) {
    try {
      const r = await build({
        board,
        entry: values.entry ?? DEFAULT_ENTRY,
        outDir: values.out ?? DEFAULT_OUT_DIR,
        sourcemap: values.sourcemap,
      });
      const pct = ((100 * r.bytes) / r.budget).toFixed(1);
      console.log(`${board}: ${relative(process.cwd(), r.file)}  ${r.bytes} bytes of ${r.budget} budget (${pct}%)`);
    } catch (err) {
      if (err instanceof BuildError || err instanceof BoardProfileError) {
        console.error(`spool build: ${err.message}`);
        failed++;
      } else throw err;
    }
  }
  return failed ? 1 : 0;
}
