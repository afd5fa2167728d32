/** Values the build (src/host/build) compiles into the bundle with esbuild `define`. */

/** Spool's version, from package.json. */
declare const __SPOOL_VERSION__: string;
/** The board profile (boards/<id>.json) the bundle was built for, as the device reads it. */
declare const __BOARD__: import("./board.ts").DeviceBoard;
/** {@link __BOARD__} as JSON text (a string literal in the code: no object made until parsed). */
declare const __BOARD_JSON__: string;
/**
 * The firmware's parts (src/host/build FIRMWARE_PARTS): the Storage file that holds each part's
 * code, `spool.<name>.<tag>`, each preceded by one space, as a string literal in the code (no
 * object at rest). Defined for every entry; empty when built without parts.
 */
declare const __SPOOL_PART_FILES__: string;
/**
 * Forgets module-level functions the boot alone runs, once it has run: the build rewrites the
 * call into `delete`s (each such function costs 4 JsVars at rest on Espruino). The build refuses
 * a function that anything running later could call (src/host/build/pipeline.ts `forgetBootCode`).
 */
declare function __SPOOL_FORGET__(...fns: Function[]): void;
