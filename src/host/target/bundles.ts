/**
 * Linux bundles for the real-interpreter suite and bench, built once per process into a
 * temporary directory (firmware/build is left to `npm run build`).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "../build/index.ts";
import type { StorageFile } from "./storage-boot.ts";
export { seededRandom } from "../random.ts";

/** Device entry of the store soak (test/target/store.test.ts, bench/target.ts). */
export const STORE_SOAK_ENTRY = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "..",
  "test",
  "target",
  "entries",
  "store-soak.ts",
);

const built = new Map<string, Promise<string>>();
let outRoot: string | undefined;

/**
 * Builds `entry` (default: the firmware, firmware/main.ts) for the linux profile.
 * @returns the bundle's path.
 * @throws BuildError when the entry does not bundle or fails the gate.
 */
export function linuxBundle(entry?: string): Promise<string> {
  const key = entry ?? "";
  let p = built.get(key);
  if (!p) {
    outRoot ??= mkdtempSync(join(tmpdir(), "spool-target-build-"));
    const outDir = join(outRoot, entry ? basename(entry, ".ts") : "firmware");
    p = build({ board: "linux", entry, outDir }).then((r) => r.file);
    built.set(key, p);
  }
  return p;
}

const firmware = new Map<string, Promise<StorageFile[]>>();

/**
 * The default firmware (firmware/main.ts) built for `board`, as the Storage files a board
 * holds after `npm run flash`.
 * @throws BuildError when it does not build.
 */
export function firmwareFiles(board: string): Promise<StorageFile[]> {
  let p = firmware.get(board);
  if (!p) {
    outRoot ??= mkdtempSync(join(tmpdir(), "spool-target-build-"));
    p = build({ board, outDir: join(outRoot, `firmware-${board}`) }).then((r) => r.storageFiles);
    firmware.set(board, p);
  }
  return p;
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
