/** Values the build (src/host/build) compiles into the bundle with esbuild `define`. */

/** Spool's version, from package.json. */
declare const __SPOOL_VERSION__: string;
/**
 * The board profile (boards/<id>.json) the bundle was built for; its documentation strings
 * (`flash.why`, `jsVars.note`) are left out to save bytes.
 */
declare const __BOARD__: import("./board.ts").BoardProfile;
