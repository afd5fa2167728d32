/** Finds a built bundle's parts (src/device/parts.ts) beside it: `<board>.<name>.js`. */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { FlashError } from "./port.ts";

/**
 * A part's Storage file name as the build compiles it into the bundle: each preceded by a space
 * in one string (`__SPOOL_PART_FILES__`), or quoted on its own (bundles built before that).
 */
const PART_NAME = /[" ](spool\.([a-z]+)\.([0-9a-f]{8}))(?=[" ])/g;

/**
 * The parts a bundle names, each with the file beside it that holds its code.
 * @throws FlashError when a part's file is missing or is not the code the bundle expects (a
 *   bundle and parts of different builds), so that nothing is uploaded.
 */
export function partsOfBundle(bundle: string, boardId: string): Array<{ storage: string; path: string }> {
  const code = readFileSync(bundle, "latin1");
  const out: Array<{ storage: string; path: string }> = [];
  for (const m of code.matchAll(PART_NAME)) {
    const path = join(dirname(bundle), `${boardId}.${m[2]}.js`);
    if (!existsSync(path))
      throw new FlashError(
        `${bundle} needs its part ${m[2]} in ${path}, which is missing: build again (npm run build -- --board ${boardId})`,
      );
    if (!readFileSync(path, "latin1").endsWith(`//${m[3]}`)) {
      throw new FlashError(`${path} is not the ${m[2]} part ${bundle} was built with: build again (npm run build -- --board ${boardId})`);
    }
    if (!out.some((p) => p.storage === m[1])) out.push({ storage: m[1], path });
  }
  return out;
}
