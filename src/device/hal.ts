/**
 * The hardware boundary: the only way device code reaches Espruino's globals and modules.
 *
 * Device modules take a {@link Hal} (or the narrow port they need) in their options object and
 * never touch `require`, `E`, `getTime`, timers or `print` directly. {@link createEspruinoHal}
 * builds the one implementation, over whatever globals the interpreter offers: the real
 * Espruino, or the simulated one in `src/host/sim`, which provides the same globals.
 */
import { NIBBLE_ZEROS } from "./store/format.ts";

/** Raw NOR flash. Addresses are absolute; erase sets a page to 0xFF, write can only clear bits. */
export interface FlashPort {
  /** Reads `length` bytes at `addr` (Espruino's `Flash.read` order). */
  read(length: number, addr: number): Uint8Array;
  /**
   * Writes `data` at `addr`: the result is old AND new. `addr` and `data.length` must be
   * multiples of the board's write alignment. The order of Espruino's `Flash.write`, so that the
   * hardware boundary hands over the interpreter's own function: a wrapper was one more call on
   * every append (about 3 % of spool.record's instructions) and about 5 JsVars more.
   */
  write(data: Uint8Array, addr: number): void;
  /** Erases the page that contains `addr` to 0xFF. */
  erasePage(addr: number): void;
}

/** What `Storage.getStats()` reports, in bytes (file headers and alignment included). */
export interface StorageStats {
  /** Live files. */
  fileBytes: number;
  /** Erased and replaced files: space that only {@link StoragePort.compact} returns. */
  trashBytes: number;
  /** After the last file, to the end of the bank. */
  freeBytes: number;
  /** The whole bank. */
  totalBytes: number;
}

/** Espruino's `require("Storage")`, the part Spool uses. */
export interface StoragePort {
  /** The file's contents, or undefined when there is no such file. */
  read(name: string): string | undefined;
  /**
   * Replaces (or creates) a file. Replacing erases the old copy FIRST (it becomes trash), so a
   * power cut in between leaves no file of that name. With `offset` > 0, writes `data` into the
   * existing file at `offset` instead, where its bytes must still be 0xFF; `size` is the size of
   * a file created at offset 0 (src/jsflash.c jsfWriteFile). @throws when Storage is full, the
   * file is missing (offset > 0) or the bytes at `offset` are already written.
   */
  write(name: string, data: string, offset?: number, size?: number): boolean;
  erase(name: string): void;
  list(): string[];
  getStats(): StorageStats;
  /**
   * Rewrites the files after the first page holding trash so that the trash becomes free
   * space. Slow (pages are erased and rewritten); a power cut in the middle loses the files
   * that were only in RAM at that moment.
   */
  compact(): void;
}

/** Options of `require("http").request`. */
export interface HttpRequestOptions {
  host: string;
  port: number;
  path: string;
  method: string;
  protocol: "http:" | "https:";
  headers: { [name: string]: string };
}

/**
 * Espruino's http response: `statusCode` may be a number or a numeric string. Its listeners are
 * called with the response as `this` (recorded from the interpreter: test/conformance, net).
 */
export interface HttpResponse {
  statusCode: number | string;
  headers: { [name: string]: string };
  on(event: "data", cb: (this: HttpResponse, chunk: string) => void): void;
  on(event: "end" | "close", cb: (this: HttpResponse) => void): void;
  on(event: "error", cb: (this: HttpResponse, err: unknown) => void): void;
}

/**
 * Espruino's http client request. `write`/`end` throw when the network is down. Its listeners,
 * and the callback given to {@link HttpPort.request}, are called with the request as `this`.
 */
export interface HttpRequest {
  write(data: string): boolean;
  end(data?: string): void;
  on(event: "drain" | "close", cb: (this: HttpRequest) => void): void;
  on(event: "error", cb: (this: HttpRequest, err: unknown) => void): void;
}

export interface HttpPort {
  request(options: HttpRequestOptions, cb: (this: HttpRequest, res: HttpResponse) => void): HttpRequest;
}

/** A UDP socket from `require("dgram")`; messages arrive as binary strings. */
export interface UdpSocket {
  bind(port: number, cb?: () => void): void;
  send(data: string, port: number, host: string): void;
  on(event: "message", cb: (msg: string, info: { address: string; port: number }) => void): void;
  on(event: "error", cb: (err: unknown) => void): void;
  /** Drops every listener, the bind callback included (Espruino keeps that one as `#onbind`). */
  removeAllListeners(): void;
  close(): void;
}

export interface DgramPort {
  createSocket(type: "udp4"): UdpSocket;
}

/** `require("Wifi")` on ESP32/ESP8266. */
export interface WifiPort {
  connect(ssid: string, options: { password?: string }, cb: (err: unknown) => void): void;
  disconnect(cb?: () => void): void;
  on(event: "connected", cb: (details: { ip?: string }) => void): void;
  on(event: "disconnected", cb: (details: { reason?: string | number }) => void): void;
  on(event: string, cb: (details: unknown) => void): void;
  getIP(): { ip: string };
}

/** What `process.memory()` reports, in JsVars. */
export interface MemoryInfo {
  free: number;
  usage: number;
  total: number;
}

/** Timer handle as returned by the interpreter. */
export type TimerId = unknown;

/** Everything device code may use of the interpreter. */
export interface Hal {
  flash: FlashPort;
  storage: StoragePort;
  /** Absent on boards without WiFi (linux): the network is simply there. */
  wifi?: WifiPort;
  http: HttpPort;
  dgram: DgramPort;
  /** The interpreter's clock in epoch ms, fraction included (`Date.now()`). Set by {@link Hal.setTime}. */
  now(): number;
  /** Milliseconds since this boot. Monotonic: {@link Hal.setTime} does not move it. */
  uptime(): number;
  /** Steps the interpreter's clock (Espruino's `setTime`); pending timers keep their delays. */
  setTime(epochMs: number): void;
  /**
   * Calls `fn(a, b, c)` once after `ms`. The arguments are Espruino's (kept in the timer): a
   * function at module level given what it needs this way costs less than a closure, whose
   * scope stays alive as long as the timer (docs/memory.md).
   */
  setTimeout(fn: (a?: any, b?: any, c?: any) => void, ms: number, a?: unknown, b?: unknown, c?: unknown): TimerId;
  clearTimeout(id: TimerId): void;
  /** Calls `fn(a, b)` every `ms` (the arguments as {@link Hal.setTimeout}'s). */
  setInterval(fn: (a?: any, b?: any) => void, ms: number, a?: unknown, b?: unknown): TimerId;
  clearInterval(id: TimerId): void;
  /**
   * CRC-32 (IEEE, as zlib) of bytes, or of a string's bytes (its UTF-8 for a Unicode one), native
   * `E.CRC32`: a string needs no byte copy (of a Storage file's text, none at all).
   */
  crc32(data: Uint8Array | string): number;
  /** Number of 0 bits in `data`: the store's record check (natively, `E.mapInPlace` and `E.sum`). */
  zeroBits(data: Uint8Array): number;
  /** Bytes to a binary string (`E.toString`). */
  bytesToString(data: Uint8Array): string;
  /** Binary string to bytes (`E.toUint8Array`). */
  stringToBytes(data: string): Uint8Array;
  /** A number in [0, 1): `Math.random` on the device, seeded in the simulation. */
  random(): number;
  /** Prints one line to the console. */
  log(line: string): void;
  memory(): MemoryInfo;
  /**
   * A function whose body is `code` (the `Function` constructor); nothing is run yet. Such a
   * function has no defining scope, so each function its body makes when called links to that
   * call's one scope, where `eval` would give each a copy of the caller's scope chain. Given a
   * string read from Storage, the body and the functions it makes stay in flash.
   */
  compile(code: string): () => any;
}

/** The interpreter globals {@link createEspruinoHal} is built from. */
export interface EspruinoGlobals {
  require: (name: string) => any;
  E: any;
  getTime: () => number;
  setTime: (sec: number) => void;
  setTimeout: (fn: () => void, ms: number) => TimerId;
  clearTimeout: (id: TimerId) => void;
  setInterval: (fn: () => void, ms: number) => TimerId;
  clearInterval: (id: TimerId) => void;
  print: (line: string) => void;
  process: { memory: () => MemoryInfo };
  Function: (code: string) => () => any;
  hasWifi: boolean;
  /** Run `E.defrag()` before each https request: TLS buffers are JsVars (BoardProfile.tlsBuffers). */
  defragForTls?: boolean;
  /** `getTime()` when the code started to run, where known; uptime counts from it. */
  startSec?: number;
}

/**
 * JsVars that must be free for a TLS connection where its buffers are JsVars (the Linux build:
 * two records of 16,717 B in 27-byte JsVars and mbedtls's own allocations). Measured in the
 * ninth round: one request completed with 1,783 free of 4,096, failed with 1,633
 * (docs/memory.md, TLS).
 */
const TLS_FREE_JSVARS = 2500;

/**
 * Builds the hardware boundary over Espruino's globals.
 *
 * Uptime is derived from `getTime()` minus every step this boundary made with `setTime`, so it
 * stays monotonic as long as nothing else sets the clock (Spool never calls `Wifi.setSNTP`).
 */
export function createEspruinoHal(g: EspruinoGlobals): Hal {
  const flash = g.require("Flash");
  const E = g.E;
  const getTime = g.getTime;
  const setTime = g.setTime;
  const http: HttpPort = g.require("http");
  // getTime() counts from boot until the clock is first set; every step we make is remembered
  // so that uptime survives it.
  let stepSec = 0;
  const bootSec = g.startSec !== undefined ? g.startSec : getTime();
  // Where the interpreter's own function fits, it is stored as is: a wrapper costs about seven
  // JsVars for as long as the Hal lives, a stored builtin about two (docs/memory.md). Storage is
  // the module itself (its read gives a string, or undefined when there is no such file). The
  // closures below share this function's scope, which lives as long as the Hal: only what they
  // use is in it.
  const hal: Hal = {
    flash: {
      read: flash.read,
      write: flash.write,
      // Espruino's Flash.erasePage accepts only an integer-typed address ("Address should be an
      // integer, got Number"); sums with a division in them are floats there, so cast.
      erasePage: (addr) => flash.erasePage(addr | 0),
    },
    storage: g.require("Storage"),
    // http and dgram are loaded at once: a lazy getter costs about seven JsVars each for good,
    // more than the module itself, and every running firmware loads both (SNTP, the first flush).
    // Espruino quirk (Linux build): mbedtls takes its buffers as contiguous JsVars and the
    // interpreter asserts instead of failing the handshake when they are scattered, so where
    // TLS buffers are JsVars each https request defragments first. That build grows its JsVars
    // only when none is free, never for such a buffer: with less than TLS_FREE_JSVARS free, the
    // store is made to grow first (filled with a throwaway array until its total doubles).
    http: g.defragForTls
      ? {
          request: (o, cb) => {
            if (o.protocol === "https:") {
              const m = hal.memory();
              if (m.total - m.usage < TLS_FREE_JSVARS) {
                const fill: number[] = [];
                for (let n = 0; n < m.total && hal.memory().total === m.total; n += 256) {
                  for (let i = 0; i < 256; i++) fill.push(0);
                }
              }
              E.defrag();
            }
            return http.request(o, cb);
          },
        }
      : http,
    dgram: g.require("dgram"),
    now: () => getTime() * 1000,
    uptime: () => {
      "ram";
      return (getTime() - stepSec - bootSec) * 1000;
    },
    setTime: (epochMs) => {
      const before = getTime();
      setTime(epochMs / 1000);
      stepSec += getTime() - before;
    },
    setTimeout: g.setTimeout,
    clearTimeout: g.clearTimeout,
    setInterval: g.setInterval,
    clearInterval: g.clearInterval,
    crc32: (data) => {
      "ram";
      return E.CRC32(data) >>> 0;
    },
    zeroBits: (data) => {
      "ram";
      // Each nibble through a table of its 0 bits, then summed: two native calls, where a JS
      // loop costs about 20 us per byte on the interpreter.
      const out = new Uint8Array(data.length * 2);
      E.mapInPlace(data, out, NIBBLE_ZEROS, 4);
      return E.sum(out);
    },
    bytesToString: E.toString,
    stringToBytes: E.toUint8Array,
    random: Math.random,
    log: g.print,
    memory: g.process.memory,
    compile: g.Function,
  };
  // Set only where there is WiFi: a property holding undefined still costs a JsVar.
  if (g.hasWifi) hal.wifi = g.require("Wifi");
  // Espruino keeps a closure's whole scope, not just what it uses: without this the globals
  // object (a dozen properties) would live as long as the Hal.
  g = undefined as unknown as EspruinoGlobals;
  return hal;
}
