#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx spool ...` works from a checkout.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tsx = createRequire(import.meta.url).resolve("tsx/cli");
// Ctrl-C reaches the whole process group: the command decides how to end, and we wait for it.
process.on("SIGINT", () => {});
const r = spawnSync(process.execPath, [tsx, join(root, "src/host/cli.ts"), ...process.argv.slice(2)], { stdio: "inherit" });
process.exit(r.status ?? 1);
