/**
 * The exact espruino CLI invocation that puts Spool on a board (pure: no I/O).
 *
 * The bundle is sent as code into the Storage file `.bootcde` (`--storage .bootcde:-`), the
 * file Espruino runs at every boot (what `E.setBootCode` writes), so the firmware lives in
 * flash rather than RAM; the CLI then runs `load(".bootcde")`, which boots it at once. An
 * initial configuration goes in as the Storage file `spool.json` (`--storage spool.json:FILE`),
 * written before the code, so the firmware finds it at its first boot and secrets never
 * appear on a command line. The firmware's parts (code it loads from Storage when called,
 * `spool.<name>.<tag>`, src/device/parts.ts) go in before the code too. The compaction before the
 * upload erases the previous firmware's parts: an upload cut after it leaves the previous boot
 * code, which says at its first part load to flash again (the configuration and the readings
 * stay), or the new code with all of its parts.
 *
 * Storage is compacted before the upload and after it ({@link compactPlan}): the firmware never
 * compacts (src/device/api/storage-tidy.ts), so the trash of the replaced code and of the quota
 * and region files is reclaimed here, with the firmware stopped.
 */
import { partFilePattern } from "../../device/parts.ts";

/** Storage file the firmware is stored in and booted from. */
export const BOOT_FILE = ".bootcde";
/** Storage file holding the configuration (as src/device/api/config.ts). */
export const CONFIG_STORAGE_FILE = "spool.json";
/** Console speed of Espruino on ESP32/ESP8266 (the CLI's own default is 9600). */
export const DEFAULT_BAUD = 115200;
/**
 * Seconds the CLI keeps listening after the upload. It otherwise leaves after 500 ms without
 * output, which a board booting an 80 KB bundle from Storage can take before its banner (seen
 * on the Linux interpreter on a busy machine), so the banner that confirms the flash is missed.
 */
export const BOOT_WAIT_S = 3;
/** Port of a telnet console when tcp:// gives none (the CLI's default). */
export const DEFAULT_TCP_PORT = 23;

export type PortSpec = { kind: "serial"; path: string } | { kind: "tcp"; host: string; port: number; url: string };

export interface FlashOptions {
  /** `/dev/ttyUSB0`, `COM3`, or `tcp://HOST[:PORT]`. */
  port: string;
  /** The built bundle, firmware/build/<id>.js. */
  bundle: string;
  /** A JSON file to store as spool.json (already validated), if any. */
  configFile?: string;
  /** The bundle's parts: Storage file name and the local file that holds it. */
  parts?: Array<{ storage: string; path: string }>;
  /** Serial speed; serial ports only. */
  baud?: number;
  /** The espruino CLI (default: the project's node_modules/.bin/espruino). */
  espruino: string;
}

export interface FlashPlan {
  command: string;
  args: string[];
  /** What ends up in the board's Storage: name -> local file ("-" = the bundle as code). */
  files: Array<{ storage: string; path: string }>;
  port: PortSpec;
}

/**
 * Reads a port argument.
 * @throws Error when it is neither a device path nor tcp://HOST[:PORT].
 */
export function parsePort(port: string): PortSpec {
  if (typeof port !== "string" || port.trim() === "")
    throw new Error("--port is required: a serial device such as /dev/ttyUSB0, or tcp://HOST:PORT");
  if (port.startsWith("tcp://")) {
    const m = /^tcp:\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(?::(\d{1,5}))?\/?$/.exec(port);
    const n = m && m[2] !== undefined ? Number(m[2]) : DEFAULT_TCP_PORT;
    if (!m || n < 1 || n > 65535) throw new Error(`--port ${port}: expected tcp://HOST or tcp://HOST:PORT (port 1..65535)`);
    const host = m[1].replace(/^\[|\]$/g, "");
    return { kind: "tcp", host, port: n, url: `tcp://${m[1]}:${n}` };
  }
  if (/^[a-z]+:\/\//i.test(port)) throw new Error(`--port ${port}: only serial devices and tcp:// are supported`);
  if (!port.startsWith("/") && !/^COM\d+$/i.test(port)) {
    throw new Error(`--port ${port}: expected a serial device path such as /dev/ttyUSB0 (or COM3), or tcp://HOST:PORT`);
  }
  return { kind: "serial", path: port };
}

/**
 * Reads a --baud argument.
 * @throws Error when it is not a whole number.
 */
export function parseBaud(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`--baud ${value}: expected a number such as 115200`);
  return Number(value);
}

/**
 * The espruino CLI arguments that open `port`: the same for flashing and for the console.
 * @throws Error on a bad baud rate, or a baud rate given for a tcp port.
 */
export function connectionArgs(port: PortSpec, baud?: number): string[] {
  // --no-ble: without it the CLI loads its Bluetooth module and dies where there is no D-Bus.
  const args = ["--no-ble", "-p", port.kind === "tcp" ? port.url : port.path];
  if (port.kind === "serial") {
    const speed = baud ?? DEFAULT_BAUD;
    if (!Number.isInteger(speed) || speed < 300 || speed > 4000000)
      throw new Error(`--baud ${speed}: expected a serial speed such as 115200`);
    args.push("-b", String(speed));
  } else {
    if (baud !== undefined) throw new Error("--baud applies to serial ports only, not to " + port.url);
    // Small, paced writes: the Linux interpreter's telnet console asserts (jsdevices.c,
    // len <= 64) and dies when one TCP read brings more than 64 bytes; a board's telnet
    // console has small buffers too.
    args.push("--config", "SERIAL_THROTTLE_SEND=1");
  }
  return args;
}

/** Printed by {@link compactScript} once Storage is compacted, with its stats as JSON. */
export const COMPACTED_MARK = "SPOOL-COMPACTED";
/**
 * Seconds the CLI keeps listening after sending the compaction script: compacting 200 KB of
 * ESP32 Storage takes seconds with no output, and the CLI otherwise leaves after 500 ms of silence.
 */
export const COMPACT_WAIT_S = 5;

/**
 * The code `spool flash` runs on the board to compact Storage, before the upload (room for the
 * new code: the old firmware's part files are erased first, so the upload needs room for the old
 * `.bootcde` beside the new files, not for two whole firmwares) and after it (the old code's trash; `restart`: then boots the new firmware from
 * where compaction moved it). Sent as a file, so the CLI sends reset() first: the running
 * firmware is stopped entirely (timers, sockets) before compaction moves its code - on
 * ESP32/ESP8266 functions already defined would run whatever then lies at their old address.
 * `then` runs after the compaction (spool flash reads back the files it keeps: keep.ts), before
 * the firmware boots (`load`, by default when `restart`).
 */
export function compactScript(restart: boolean, then = "", load = restart): string {
  const sweep = restart ? "" : `require("Storage").list(${partFilePattern()}).forEach(function(f){require("Storage").erase(f);});`;
  return (
    sweep +
    `require("Storage").compact();print("${COMPACTED_MARK} "+JSON.stringify(require("Storage").getStats()));` +
    then +
    (load ? "load();" : "")
  );
}

/**
 * The espruino CLI invocation that runs a {@link compactScript} stored in the local file
 * `script` (in RAM: nothing of it is stored), listening `waitS` seconds for what it prints.
 * @throws Error on a bad port or baud rate.
 */
export function compactPlan(options: Pick<FlashOptions, "port" | "baud" | "espruino"> & { script: string; waitS?: number }): FlashPlan {
  const port = parsePort(options.port);
  const args = connectionArgs(port, options.baud);
  args.push("--sleep", String(options.waitS ?? COMPACT_WAIT_S), options.script);
  return { command: options.espruino, args, files: [], port };
}

/**
 * Builds the espruino CLI invocation.
 * @throws Error on a bad port or baud rate.
 */
export function flashPlan(options: FlashOptions): FlashPlan {
  const port = parsePort(options.port);
  const args = connectionArgs(port, options.baud);
  const files: FlashPlan["files"] = [];
  if (options.configFile) {
    // The CLI splits --storage at the first ":" and keeps only the next piece.
    if (options.configFile.includes(":")) throw new Error(`config file path ${options.configFile} must not contain ":"`);
    args.push("--storage", `${CONFIG_STORAGE_FILE}:${options.configFile}`);
    files.push({ storage: CONFIG_STORAGE_FILE, path: options.configFile });
  }
  for (const p of options.parts ?? []) {
    if (p.path.includes(":")) throw new Error(`part file path ${p.path} must not contain ":"`);
    args.push("--storage", `${p.storage}:${p.path}`);
    files.push({ storage: p.storage, path: p.path });
  }
  args.push("--sleep", String(BOOT_WAIT_S), "--storage", `${BOOT_FILE}:-`, options.bundle);
  files.push({ storage: BOOT_FILE, path: options.bundle });
  return { command: options.espruino, args, files, port };
}
