/**
 * `spool heap [--board ID] [--at boot|rest] [--from FILE] ...`: what holds the JsVars of the
 * firmware booted from Storage on Espruino's Linux build, as a dominator tree of
 * `E.dumpVariables()` (src/host/target/heap.ts).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { espruinoBinary } from "../target/espruino-process.ts";
import { dumpVariables, formatHeapTree, heapByPath, heapTree, parseVariableDump } from "../target/heap.ts";
import { bootAtRest, bootFirmware, startLocalCloud } from "../target/scenarios.ts";
import { sleep } from "../target/bundles.ts";

export const summary = "what holds the firmware's JsVars on the real interpreter (dominator tree)";

const USAGE = `usage: spool heap [--board ID] [--binary PATH] [--at boot|rest] [--save FILE]
                  [--from FILE] [--depth N] [--min N] [--by-path N]

  --board ID     firmware to boot (default linux)
  --binary PATH  Espruino Linux build (default: $ESPRUINO)
  --at boot      dump once the banner is out and the boot has settled (1.5 s)
  --at rest      spool.setup with a local cloud, first sync, uplink idle (default)
  --save FILE    also write the dump's text to FILE
  --from FILE    read a saved dump instead of booting anything
  --depth N      levels of the tree to print (default 3)
  --min N        leave out entries retaining fewer JsVars (default 10)
  --by-path N    instead of the tree, sums by the first N names of each path`;

/** Waited after the banner for `--at boot`: the boot's own timers settle. */
const BOOT_SETTLE_MS = 1500;

async function dumpFirmware(o: { binary: string; board: string; at: string }): Promise<{ text: string; usage: number }> {
  const cloud = await startLocalCloud();
  try {
    const dev =
      o.at === "boot"
        ? await bootFirmware(o.binary, undefined, o.board)
        : (await bootAtRest({ binary: o.binary, board: o.board, setup: cloud.config() })).dev;
    try {
      if (o.at === "boot") await sleep(BOOT_SETTLE_MS);
      const usage = await dev.eval<number>("process.memory().usage", 30_000);
      return { text: await dumpVariables(dev), usage };
    } finally {
      await dev.kill();
    }
  } finally {
    await cloud.close();
  }
}

export async function run(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: Record<string, { type: "string" | "boolean"; short?: string }> }>>;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        board: { type: "string" },
        binary: { type: "string" },
        at: { type: "string" },
        save: { type: "string" },
        from: { type: "string" },
        depth: { type: "string" },
        min: { type: "string" },
        "by-path": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    console.error(`spool heap: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  const at = (v.at as string | undefined) ?? "rest";
  if (at !== "boot" && at !== "rest") {
    console.error(`spool heap: --at is "boot" or "rest", not "${at}"`);
    return 2;
  }
  const numbers: Record<string, number> = {};
  for (const [key, fallback] of [
    ["depth", 3],
    ["min", 10],
    ["by-path", 0],
  ] as const) {
    const n = v[key] === undefined ? fallback : Number(v[key]);
    if (!Number.isInteger(n) || n < 0) {
      console.error(`spool heap: --${key} takes a whole number, not "${v[key]}"`);
      return 2;
    }
    numbers[key] = n;
  }

  let text: string;
  if (v.from) {
    text = readFileSync(v.from as string, "latin1");
  } else {
    const binary = (v.binary as string | undefined) ?? espruinoBinary();
    if (!binary) {
      console.error("spool heap: name Espruino's Linux build with --binary or ESPRUINO, or read a saved dump with --from");
      return 2;
    }
    const board = (v.board as string | undefined) ?? "linux";
    const dump = await dumpFirmware({ binary, board, at });
    text = dump.text;
    console.log(`${board} at ${at}: process.memory().usage ${dump.usage}`);
    if (v.save) writeFileSync(v.save as string, text);
  }
  const tree = heapTree(parseVariableDump(text));
  if (numbers["by-path"] > 0) {
    for (const [path, n] of heapByPath(tree, numbers["by-path"])) if (n >= numbers.min) console.log(`${String(n).padStart(6)} ${path}`);
  } else {
    console.log(formatHeapTree(tree, { depth: numbers.depth, minRetained: numbers.min }));
  }
  return 0;
}
