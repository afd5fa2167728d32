/**
 * An initial configuration for `spool flash --config FILE`: read, checked with the device's own
 * validator (so a bad file fails on the host, with the same message the REPL would give), and
 * written complete to a private temporary file for the CLI to store as spool.json.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BoardProfile } from "../../device/board.ts";
import { defaultConfig, mergeConfig, type SpoolConfig } from "../../device/api/config.ts";
import { FlashError } from "./port.ts";

/**
 * Reads and checks a configuration file against `board`.
 * @throws FlashError when the file is missing, not JSON, or not a valid configuration.
 */
export function readConfigFile(path: string, board: BoardProfile): SpoolConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new FlashError(
      `cannot read --config ${path}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new FlashError(`--config ${path} is not valid JSON: ${(err as Error).message}`);
  }
  try {
    return mergeConfig(data, defaultConfig(board), board);
  } catch (err) {
    throw new FlashError(`--config ${path}: ${(err as Error).message.replace(/^spool\.setup: /, "")}`);
  }
}

/** A private (0600) temporary copy of `config`, and how to remove it. */
export function writeTempConfig(config: SpoolConfig): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "spool-flash-"));
  const path = join(dir, "spool.json");
  writeFileSync(path, JSON.stringify(config), { mode: 0o600 });
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
