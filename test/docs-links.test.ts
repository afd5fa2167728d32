/**
 * What the documentation points at exists: every Markdown link of README.md and docs/*.md, every
 * path of this repository named in them or in the code's comments (src/, test/, docs/, boards/,
 * bench/, firmware/, .ci/), and every module and name docs/reading-path.md walks a newcomer
 * through. Paths of Espruino's own source (`src/jsflash.c`, `boards/ESP32.py`) end in other
 * extensions and are left alone; build output (firmware/build/) and globs are not checked.
 */
import test from "ava";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize } from "node:path";

const ROOT = join(import.meta.dirname, "..");
const SCANNED = ["README.md", "docs", "src", "test", "bench", "firmware", "boards", ".ci"];
const SKIPPED = new Set(["node_modules", "test/fixtures", "firmware/build"]);
/** A path of this repository: a top-level directory of it, then a file name of ours. */
const REPO_PATH = /(?<![\w./-])((?:\.\.\/)*(?:src|test|docs|boards|bench|firmware|\.ci)\/[\w./*<>{}-]*\.(?:ts|md|json))(?![\w*])/g;
/** A Markdown link's target. */
const MD_LINK = /\]\(([^)\s]+)\)/g;
/** In reading-path.md: a module and a name of it, side by side (`api/spool.ts` `record(...)`). */
const MODULE_AND_NAME = /`([\w/.-]+\.ts)` `([A-Za-z_$][\w$]*)/g;

function filesUnder(path: string): string[] {
  const full = join(ROOT, path);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [path];
  return readdirSync(full, { withFileTypes: true })
    .filter((d) => !SKIPPED.has(d.name) && !SKIPPED.has(join(path, d.name)))
    .flatMap((d) => filesUnder(join(path, d.name)))
    .filter((f) => /\.(ts|md|json|js)$/.test(f) || !f.includes("."));
}

/** Whether `target`, named in `file`, exists: from the repository's root or next to the file. */
function exists(file: string, target: string): boolean {
  return [target, join(dirname(file), target)].some((p) => existsSync(join(ROOT, normalize(p))));
}

const FILES = SCANNED.flatMap(filesUnder);

test("every path of this repository named in the docs and the code exists", (t) => {
  const missing: string[] = [];
  for (const file of FILES) {
    const text = readFileSync(join(ROOT, file), "utf8");
    for (const m of text.matchAll(REPO_PATH)) {
      const target = m[1];
      if (/[*<>{}]/.test(target) || target.startsWith("firmware/build/")) continue;
      if (!exists(file, target)) missing.push(`${file}: ${target}`);
    }
  }
  t.deepEqual(missing, []);
});

test("every relative Markdown link of README.md and docs/ leads to a file", (t) => {
  const missing: string[] = [];
  for (const file of FILES.filter((f) => f.endsWith(".md"))) {
    const text = readFileSync(join(ROOT, file), "utf8");
    for (const m of text.matchAll(MD_LINK)) {
      const target = m[1].replace(/#.*$/, "");
      if (!target || /^[a-z]+:/i.test(target)) continue;
      if (!existsSync(join(ROOT, dirname(file), target))) missing.push(`${file}: ${m[1]}`);
    }
  }
  t.deepEqual(missing, []);
});

test("docs/reading-path.md: every module it names exists, with the names it gives each", (t) => {
  const file = "docs/reading-path.md";
  const text = readFileSync(join(ROOT, file), "utf8");
  // Its paths are under src/device/ unless they say otherwise.
  const resolve = (p: string) => (/^(src|test|docs)\//.test(p) ? p : join("src", "device", p));
  const problems: string[] = [];
  const modules = new Set<string>();
  for (const m of text.matchAll(/`([\w/.-]+\.ts)`/g)) modules.add(m[1]);
  for (const p of modules) if (!existsSync(join(ROOT, resolve(p)))) problems.push(`${p}: no such module (${resolve(p)})`);
  let pairs = 0;
  for (const m of text.matchAll(MODULE_AND_NAME)) {
    const path = join(ROOT, resolve(m[1]));
    if (!existsSync(path)) continue;
    pairs++;
    if (!new RegExp(`\\b${m[2].replace(/\$/g, "\\$")}\\b`).test(readFileSync(path, "utf8"))) problems.push(`${m[1]} has no ${m[2]}`);
  }
  t.deepEqual(problems, []);
  t.true(modules.size >= 15 && pairs >= 8, `the map names ${modules.size} modules and ${pairs} names beside them`);
});
