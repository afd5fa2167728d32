/** Values the build (src/host/build) compiles into the bundle with esbuild `define`. */

/** Spool's version, from package.json. */
declare const __SPOOL_VERSION__: string;
/** The board profile (boards/<id>.json) the bundle was built for, as the device reads it. */
declare const __BOARD__: import("./board.ts").DeviceBoard;
/**
 * The firmware's parts (src/host/build FIRMWARE_PARTS): part name -> the Storage file that holds
 * its code, `spool.<name>.<tag>`. Defined for every entry; empty when built without parts.
 */
declare const __SPOOL_PARTS__: { [name: string]: string };
