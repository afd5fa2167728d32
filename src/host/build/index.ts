/**
 * The firmware build: TypeScript -> one minified script Espruino runs, checked by the gate.
 *
 * `build({ board })` writes `firmware/build/<id>.js`; `checkBundle(code)` runs the gate alone.
 */
export {
  build,
  boardForDevice,
  BuildError,
  DEFAULT_ENTRY,
  DEFAULT_OUT_DIR,
  FIRMWARE_PARTS,
  type BuildOptions,
  type BuildResult,
  type BuiltPart,
  type PartSpec,
} from "./pipeline.ts";
export { checkBundle, formatViolation, RULES, type CheckOptions, type RuleName, type Violation } from "./gate.ts";
export type { SourcePosition } from "./sourcemap.ts";
