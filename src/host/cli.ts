#!/usr/bin/env node
/**
 * `spool <command> [options]`: the host-side command line. Each command lives in
 * `src/host/commands/<name>.ts` and exports `run(argv: string[]): Promise<number>` (exit code)
 * and `summary` (one line for the help).
 */
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const COMMANDS_DIR = join(dirname(fileURLToPath(import.meta.url)), "commands");

interface Command {
  run(argv: string[]): Promise<number>;
  summary: string;
}

async function load(name: string): Promise<Command | undefined> {
  if (!/^[a-z][a-z-]*$/.test(name)) return undefined;
  try {
    return (await import(join(COMMANDS_DIR, `${name}.ts`))) as Command;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND" && String(err).includes(`${name}.ts`)) return undefined;
    throw err;
  }
}

async function help(): Promise<void> {
  const names = readdirSync(COMMANDS_DIR)
    .filter((f) => f.endsWith(".ts"))
    .map((f) => f.slice(0, -3))
    .sort();
  console.log("usage: spool <command> [options]   (spool <command> --help for its options)\n\ncommands:");
  for (const name of names) {
    const cmd = await load(name);
    console.log(`  ${name.padEnd(10)} ${cmd?.summary ?? ""}`);
  }
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    await help();
    return name ? 0 : 2;
  }
  const cmd = await load(name);
  if (!cmd) {
    console.error(`spool: unknown command "${name}"; run "spool --help" for the list`);
    return 2;
  }
  return cmd.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(`spool: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
