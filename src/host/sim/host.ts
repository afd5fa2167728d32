/**
 * What the simulated modules (Flash, Storage, http, dgram, Wifi), the `E` object and the timers
 * need from the device they run on.
 */
import type { BoardProfile } from "../boards.ts";
import type { SimClock } from "./clock.ts";
import type { FlashBus } from "./flash-bus.ts";
import type { SimNetwork } from "./network.ts";
import type { JsfStorage } from "./storage.ts";

/** Traffic counters of one device, for memory and protocol tests. */
export interface NetStats {
  /** Largest single string passed to `req.write`/`req.end`. */
  maxWriteBytes: number;
  /** Bytes passed to `req.write`/`req.end` in total (body, not headers). */
  totalWriteBytes: number;
  /** HTTP requests connected. */
  requests: number;
  /** UDP datagrams sent. */
  udpSent: number;
}

export interface SimHost {
  readonly board: BoardProfile;
  readonly clock: SimClock;
  readonly network: SimNetwork;
  readonly netStats: NetStats;
  readonly storage: JsfStorage;
  /** The raw flash region and Storage's flash, by address. */
  readonly bus: FlashBus;
  /** The device's IP address on the network. */
  readonly ip: string;
  /** Boot generation: callbacks of an older generation (before a reboot or cut) are dropped. */
  readonly generation: number;
  /** True while generation `gen` is running. */
  isLive(gen: number): boolean;
  /** Calls into the interpreter: errors are reported as uncaught, microtasks drained. */
  invoke(gen: number, fn: unknown, thisArg: unknown, args: unknown[]): void;
  /** Calls the listeners of `event` on an interpreter object (Espruino's `on`). */
  fire(gen: number, obj: object, event: string, args: unknown[]): void;
  /**
   * Forgets the listeners of an object the runtime no longer holds (a closed connection): the
   * interpreter frees them with it, so they must not count as memory in use.
   */
  release(obj: object): void;
  /** Objects of the interpreter's realm. */
  newObject(props?: Record<string, unknown>, proto?: object): any;
  newArray(items: unknown[]): any;
  newError(message: string, type?: "Error" | "InternalError" | "TypeError" | "SyntaxError"): any;
  /** A Uint8Array of the interpreter's realm holding a copy of `bytes`. */
  newBytes(bytes: Uint8Array): any;
  /**
   * Runs flash access for the program: a power cut kills the device before the error reaches
   * the code; a Storage error reaches it as the interpreter's Error.
   * @throws what `fn` throws, so translated.
   */
  guard<T>(fn: () => T): T;
  /**
   * A hal call of the running code: the device samples the JsVars in use here (its peak inside a
   * task) and runs out of memory here when they exceed the board's.
   * @throws the interpreter's interrupt when the task ran out of memory.
   */
  sampleMemory(): void;
  /** Marks `s`, what `Storage.read` returned, as a string in flash (one JsVar in the memory count). */
  inFlash(s: string): string;
  /** Adds what `count` says the runtime holds for the program (JsVars) to the memory in use, for this generation. */
  holdsVars(count: () => number): void;
  /** Runs `fn` after each task of the program ends (Espruino's idle loop), for this generation. */
  onTaskEnd(fn: () => void): void;
  /** Whether the device can reach the internet now (WiFi associated with an IP, and online). */
  linkUp(): boolean;
  /** Registers cleanup run when this generation ends (cut, reset, reboot). */
  onKill(fn: () => void): void;
  /** Tells modules the link changed (called by the Wifi module). */
  linkChanged(): void;
  /** Subscribes to link changes for this generation. */
  onLinkChange(fn: () => void): void;
}
