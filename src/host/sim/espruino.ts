/**
 * A simulated Espruino: runs a bundle in a Node `vm` context that offers what the interpreter
 * offers (globals, modules, builtins) and nothing more, over simulated flash, a virtual clock
 * and a simulated network.
 *
 * This file keeps the device's life (boot, power cut, reset), its context and the memory count,
 * and wires in the parts, each a module given the device through {@link SimHost} (host.ts) and
 * made anew at each boot: timers.ts, e-object.ts (`E`), flash-module.ts (`require("Flash")`),
 * storage-module.ts (`require("Storage")`), http.ts, dgram.ts, wifi.ts; listeners.ts keeps the
 * event listeners (cleared at each boot). The flash under them is board-flash.ts (nor-flash.ts,
 * flash-bus.ts) and storage.ts.
 */
import * as vm from "node:vm";
import type { BoardProfile } from "../boards.ts";
import type { SimClock } from "./clock.ts";
import type { SimNetwork } from "./network.ts";
import { type NorFlash, PowerCutError } from "./nor-flash.ts";
import type { FlashBus } from "./flash-bus.ts";
import { boardFlash } from "./board-flash.ts";
import { JsfStorage, StorageError, bytesBinary } from "./storage.ts";
import { KEEP_GLOBALS, KEEP_PROPS, PRUNE_SOURCE } from "./builtins.ts";
import { installEspruinoNumber } from "./espruino-number.ts";
import { formatPrintArgs, formatUncaught, formatValue } from "./format.ts";
import { installEspruinoDate } from "./espruino-date.ts";
import { installEspruinoTyped } from "./espruino-typed.ts";
import { installEspruinoText } from "./espruino-text.ts";
import { espruinoErrorType, installEspruinoErrors, type EspruinoErrors } from "./espruino-errors.ts";
import { espruinoSource, HOOKS_GLOBAL } from "./espruino-source.ts";
import { sourceHooks } from "./source-hooks.ts";
import { countVars } from "./memory.ts";
import { closureScopes, evalScriptName, functionScriptName, stackHold } from "./scopes.ts";
import { moduleVars } from "./code-vars.ts";
import { createHttpModule, ESPRUINO_VERSION } from "./http.ts";
import { createDgramModule } from "./dgram.ts";
import { createWifi, type WifiControl } from "./wifi.ts";
import { createFlashModule } from "./flash-module.ts";
import { createStorageModule } from "./storage-module.ts";
import { createEObject } from "./e-object.ts";
import { SimTimers } from "./timers.ts";
import { SimListeners } from "./listeners.ts";
import type { NetStats, SimHost } from "./host.ts";
import { seededRandom as prng } from "../random.ts";

export interface SimEspruinoOptions {
  board: BoardProfile;
  clock: SimClock;
  network: SimNetwork;
  /** File holding the raw flash region (created erased); a new SimEspruino on it = power cycle. */
  flashFile?: string;
  /** File holding the Storage area (raw NOR bytes, Espruino's layout). */
  storageFile?: string;
  /** Seed of `Math.random` (and `E.hwRand`). Default 1. */
  seed?: number;
  /** How fast the device's clock runs against true time, in ppm (+100 = 100 µs/s fast). */
  driftPpm?: number;
  /** Receives every console line as it is printed. */
  console?: (line: string) => void;
  /** IP the device gets from DHCP. Default 192.168.1.50. */
  ip?: string;
  /** Count function source as RAM in the memory estimate (code typed at the console). Default false. */
  codeInRam?: boolean;
  /**
   * The board's `jsVars.count` is a hard limit (default true): code whose module level does not
   * fit beside what is in use runs out of memory as it loads, as on the interpreter (printed
   * `OUT OF MEMORY`, nothing of it runs). See code-vars.ts for what the estimate sees.
   */
  jsVarLimit?: boolean;
  /**
   * `process.memory()` counts what closures hold (scopes.ts: a heap walk through V8's
   * inspector, about 75 ms for the linux firmware). Default: on boards of at most
   * {@link CLOSURE_COUNT_MAX_VARS} JsVars, where the limit bites; elsewhere only the check after
   * the boot counts them (long simulations ask for the status, and so the memory, every minute).
   */
  countClosures?: boolean;
  /**
   * Samples the JsVars in use inside the program's tasks, at each hal call it makes (`Flash.read`,
   * `Storage.read*`, `http.request`, a request's `write`/`end`): what globals, timers, listeners
   * and closures reach plus what the frames on the stack hold, as the interpreter's garbage
   * collector would count it at that moment. The highest is {@link SimEspruino.memoryPeak}; with
   * the limit on, a sample over `jsVars.count` runs out of memory there, as the interpreter would
   * inside the task. Each sample walks the heap (tens of ms): default on where closures are
   * counted by default (boards of at most {@link CLOSURE_COUNT_MAX_VARS} JsVars).
   */
  samplePeaks?: boolean;
}

/** What {@link SimEspruino.memoryPeak} reports. */
export interface MemoryPeak {
  /** Highest JsVars in use sampled inside a task since the boot or {@link SimEspruino.resetMemoryPeak}. */
  peak: number;
  samples: number;
}

/**
 * Thrown into the running code at a hal call that ran out of JsVars: the interpreter stops the
 * code it runs (jsvar.c: `jspSetInterrupted`), which no `catch` sees; here any further hal call
 * of the same task throws it again.
 */
class MemoryInterrupt extends Error {
  constructor() {
    super("Execution Interrupted (out of memory)");
    this.name = "MemoryInterrupt";
  }
}

const NO_SCOPES = { scopes: [], outer: 0, evaluated: false };

/** Boards up to this many JsVars count closures at every `process.memory()` by default. */
export const CLOSURE_COUNT_MAX_VARS = 4096;

/**
 * RAM the interpreter itself holds at rest, in JsVars: `process.memory().usage` of an empty
 * Espruino 2v29 measured 42 (Linux build) and 44 (1,600-JsVar build).
 */
const BASE_VARS = 44;

/** Shorter strings count as they are either way: a short file's text is one or two JsVars. */
const FLASH_STRING_MIN = 32;

/**
 * A built-in module once required: the interpreter's own object, cached under `\xFF.modules`
 * (measured on the 1,600-JsVar 2v29 build: an object holding `require("Storage")` took 8 JsVars,
 * its own 2 aside 6; three more modules 12, about 3 each with their names). Its methods are not
 * properties there, so the simulated module's own objects and functions do not count.
 */
const MODULE_VARS: Record<string, number> = { Storage: 6 };
const MODULE_VARS_OTHER = 3;
const BOOT_FILES = [".boot0", ".boot1", ".boot2", ".boot3"];

/**
 * One simulated device. Construct it, then {@link boot} a bundle. Virtual time comes from the
 * shared {@link SimClock}: `clock.advance(ms)` runs this device's timers; real sockets need
 * `await clock.advanceAsync(ms)` (or `await sim.settle()`), see {@link SimClock}.
 *
 * Power: {@link powerCut} (or an armed flash cut, `sim.flash.armPowerCut`) kills the device:
 * timers cancelled, sockets destroyed, callbacks dropped, flash keeps what was written.
 * {@link reboot} powers it on again and boots the same code; a new SimEspruino on the same
 * files is a power cycle too.
 */
export class SimEspruino {
  readonly board: BoardProfile;
  readonly clock: SimClock;
  readonly network: SimNetwork;
  /** The raw flash region of the board profile (NOR): arm power cuts here. */
  readonly flash: NorFlash;
  /** The flash under Storage (the same object as {@link flash} when the regions overlap). */
  readonly storageFlash: NorFlash;
  readonly bus: FlashBus;
  readonly storage: JsfStorage;
  /** Traffic counters (cumulative across reboots; reset them by assigning 0). */
  readonly net: NetStats = { maxWriteBytes: 0, totalWriteBytes: 0, requests: 0, udpSent: 0 };
  /** Calls of `E.defrag()` (V8's memory does not fragment: the simulation only counts them). */
  defrags = 0;
  readonly ip: string;
  /** Drift of the device clock, ppm. */
  driftPpm: number;
  private readonly consoleFn?: (line: string) => void;
  private readonly codeInRam: boolean;
  private readonly jsVarLimit: boolean;
  /**
   * Globals that are not the device's (see usedVars): made once with the natives, not at every
   * memory sample.
   */
  private builtinGlobals = new Set<string>([...KEEP_GLOBALS, HOOKS_GLOBAL, "InternalError"]);
  private readonly countClosures: boolean;
  private readonly samplePeaks: boolean;
  private peak: MemoryPeak = { peak: 0, samples: 0 };
  /** Ran out of JsVars inside the running task: the rest of it is interrupted. */
  private interrupted = false;
  /** What the runtime holds for the program (open requests: http.ts), counted as in use. */
  private runtimeVars: (() => number)[] = [];
  private taskEnders: (() => void)[] = [];
  /** Ran out of JsVars (the error flags say so until the next boot). */
  private memoryErrors = false;
  /** JsVars the module level of the code run this boot holds (code-vars.ts). */
  private codeVars = 0;
  /** What `Storage.read` returned (memory.ts `flashStrings`), for this generation. */
  private flashStrings = new Set<string>();
  /** The functions the module level of the code run this boot defined (counted in {@link codeVars}). */
  private moduleFunctions = new Set<unknown>();
  /** Of {@link codeVars}: functions the module level assigned to a global name, freed once it is deleted. */
  private assignedCode = new Map<string, number>();
  private lines: string[] = [];
  private random: () => number;
  private ctx: vm.Context | undefined;
  /** The context's own global object (builtins live here, not on the sandbox). */
  private G: any;
  private drainScript = new vm.Script("undefined");
  private gen = 0;
  private alive = false;
  private deadReason: string | undefined;
  private bootTrue = 0;
  private offsetMs = 0;
  private timers: SimTimers | undefined;
  private readonly listeners = new SimListeners();
  private modules = new Map<string, unknown>();
  private killers: (() => void)[] = [];
  private linkWatchers: (() => void)[] = [];
  private wifi: WifiControl | undefined;
  private lastCode: string | undefined;
  private errors: EspruinoErrors | undefined;
  private unsubscribeNet: (() => void) | undefined;
  private protoObject: any;
  /** The context's Function.prototype: a function with it is device code (its closures are counted). */
  private protoFunction: any;
  private protoArray: any;

  constructor(options: SimEspruinoOptions) {
    const { board, clock, network } = options;
    this.board = board;
    this.clock = clock;
    this.network = network;
    this.driftPpm = options.driftPpm ?? 0;
    this.consoleFn = options.console;
    this.codeInRam = options.codeInRam ?? false;
    this.jsVarLimit = options.jsVarLimit ?? true;
    this.countClosures = options.countClosures ?? this.board.jsVars.count <= CLOSURE_COUNT_MAX_VARS;
    this.samplePeaks = options.samplePeaks ?? this.board.jsVars.count <= CLOSURE_COUNT_MAX_VARS;
    this.ip = options.ip ?? "192.168.1.50";
    this.random = prng(options.seed ?? 1);
    const chips = boardFlash({ board, flashFile: options.flashFile, storageFile: options.storageFile });
    this.flash = chips.flash;
    this.storageFlash = chips.storageFlash;
    this.bus = chips.bus;
    const st = board.storage;
    this.storage = new JsfStorage({
      bus: this.bus,
      start: st.address,
      size: st.size,
      pageSize: board.flash.pageSize,
      console: (line) => this.print(line),
    });
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * Powers on and boots: runs Storage's `.boot0`-`.boot3`, then `code` (or Storage's
   * `.bootcde` when omitted), then `E.on('init')` handlers and `onInit()`. Time since boot
   * restarts; a saved WiFi configuration connects by itself.
   */
  boot(code?: string): void {
    this.kill();
    this.flash.powerOn();
    this.storageFlash.powerOn();
    this.deadReason = undefined;
    this.bootTrue = this.clock.now;
    this.offsetMs = this.clockAtPowerOn();
    this.newContext();
    if (code !== undefined) this.lastCode = code;
    this.guardBoot(() => {
      if (!this.storage.isValidAtBoot()) {
        // jsiInit: "Storage is corrupt." then jsfResetStorage() erases the whole bank.
        this.print("Storage is corrupt.");
        this.print("Erasing Storage Area...");
        this.storage.eraseAll();
        this.print("Erase complete.");
      }
    });
    for (const f of BOOT_FILES) {
      const c = this.guardBoot(() => this.storage.read(f));
      if (c) this.runCode(bytesBinary(c), f);
    }
    let main = code;
    if (main === undefined) {
      const c = this.guardBoot(() => this.storage.read(".bootcde"));
      main = c ? bytesBinary(c) : this.lastCode;
    }
    if (main !== undefined) this.runCode(main, `${this.board.id}.js`);
    if (!this.alive) return;
    this.wifi?.restore();
    this.emitInit();
    this.checkMemory();
  }

  /**
   * The interpreter's clock at power-on: the host's (true) time on a board whose clock is valid
   * at boot (the Linux build reads the system clock), else 0 (1970), as a board without RTC.
   */
  private clockAtPowerOn(): number {
    return this.board.clock?.validAtBoot ? this.clock.trueEpochMs() : 0;
  }

  /** Power cycle: cut, power on, boot the last code again (flash kept). */
  reboot(): void {
    this.boot(undefined);
  }

  /**
   * Cuts power now: the context stops, timers are cancelled, sockets destroyed, later
   * callbacks dropped. Flash keeps what was written.
   */
  powerCut(): void {
    this.die("power cut");
  }

  /** Espruino's `reset()`: clears the interpreter (no code runs), flash kept. */
  reset(): void {
    this.kill();
    this.deadReason = undefined;
    this.bootTrue = this.clock.now;
    this.offsetMs = 0;
    this.newContext();
  }

  /** True once power was cut (by {@link powerCut} or a flash power cut) until the next boot. */
  get dead(): boolean {
    return this.deadReason !== undefined;
  }

  /** Why the device died ("power cut", "power cut at flash operation N"), if it did. */
  get deathReason(): string | undefined {
    return this.deadReason;
  }

  /** True while a context is running. */
  get running(): boolean {
    return this.alive;
  }

  /** Closes the flash files. The device must not be used afterwards. */
  close(): void {
    this.kill();
    this.bus.close();
  }

  // ------------------------------------------------------------------ console

  /** Every line printed since boot of the simulation (not cleared by reboots). */
  output(): string[] {
    return this.lines.slice();
  }

  /** Forgets the captured output. */
  clearOutput(): void {
    this.lines = [];
  }

  /**
   * Evaluates `expr` in the device (microtasks drained) and returns the value.
   * @throws what the code throws; Error when the device is not running.
   */
  eval(expr: string): unknown {
    this.requireAlive();
    try {
      return vm.runInContext(espruinoSource(expr), this.ctx!, { filename: "repl" });
    } catch (e) {
      throw this.hostError(e);
    } finally {
      this.afterCall();
    }
  }

  /**
   * What Espruino's REPL prints for a line: output, then `=value` (keys unquoted), or
   * `Uncaught Error: ...` when it throws.
   */
  repl(line: string): string {
    this.requireAlive();
    const start = this.lines.length;
    let result: string;
    try {
      const v = vm.runInContext(espruinoSource(line), this.ctx!, { filename: "repl" });
      result = "=" + formatValue(v, { dropQuotes: true });
    } catch (e) {
      if (this.isPowerCut(e)) this.die(String((e as Error).message));
      result = formatUncaught(this.errors?.caught(e) ?? e);
    }
    this.afterCall();
    return [...this.lines.slice(start), result].join("\n");
  }

  /** Lets real I/O finish without moving virtual time (`clock.settle`). */
  settle(options?: Parameters<SimClock["settle"]>[0]): Promise<void> {
    return this.clock.settle(options);
  }

  // ------------------------------------------------------------------ time

  /** ms the device's clock has run since boot (drift applied). */
  uptimeMs(): number {
    return (this.clock.now - this.bootTrue) * (1 + this.driftPpm / 1e6);
  }

  /** The interpreter's clock, epoch ms (what `Date.now()` returns). */
  deviceNowMs(): number {
    return this.uptimeMs() + this.offsetMs;
  }

  /** Pending timers of the device. */
  get timerCount(): number {
    return this.timers?.count ?? 0;
  }

  private trueAt(dueDev: number): number {
    return this.bootTrue + dueDev / (1 + this.driftPpm / 1e6);
  }

  // ------------------------------------------------------------------ internals

  private requireAlive(): void {
    if (!this.alive || !this.ctx) throw new Error(this.dead ? `device is dead (${this.deadReason})` : "device is not booted");
  }

  private print(line: string): void {
    if (!this.alive) return;
    for (const l of line.split("\n")) {
      this.lines.push(l);
      this.consoleFn?.(l);
    }
  }

  private isPowerCut(e: unknown): boolean {
    return e instanceof PowerCutError || (!!e && typeof e === "object" && (e as Error).name === "PowerCutError");
  }

  /** Runs flash access: a power cut kills the device before the error reaches the code. */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (this.isPowerCut(e)) {
        this.die((e as Error).message);
        throw e;
      }
      if (e instanceof StorageError) throw this.newError(e.message);
      throw e;
    }
  }

  /** Flash access by the firmware itself during boot: a power cut there just leaves it dead. */
  private guardBoot<T>(fn: () => T): T | undefined {
    if (!this.alive) return undefined;
    try {
      return fn();
    } catch (e) {
      if (this.isPowerCut(e)) {
        this.die((e as Error).message);
        return undefined;
      }
      throw e;
    }
  }

  private die(reason: string): void {
    if (this.deadReason === undefined) this.deadReason = reason;
    this.kill();
  }

  private kill(): void {
    if (this.alive && this.ctx) {
      // Espruino emits E.on('kill') before a reset; not on a power cut.
      if (this.deadReason === undefined) this.fireSync(this.G.E, "kill", []);
    }
    this.alive = false;
    this.gen++;
    this.timers?.cancelAll();
    for (const k of this.killers.splice(0)) {
      try {
        k();
      } catch {
        // cleanup of a dead device must not throw
      }
    }
    this.linkWatchers = [];
    this.runtimeVars = [];
    this.taskEnders = [];
    this.unsubscribeNet?.();
    this.unsubscribeNet = undefined;
    this.listeners.clear();
    this.modules.clear();
    this.wifi = undefined;
    liveSims.delete(this);
  }

  private afterCall(): void {
    this.interrupted = false;
    for (const f of this.taskEnders) f();
    if (!this.ctx) return;
    try {
      this.drainScript.runInContext(this.ctx);
    } catch {
      // nothing runs in the drain script itself
    }
  }

  private runCode(code: string, filename: string): void {
    if (!this.alive) return;
    let load = 0;
    let assigned: Map<string, number> | undefined;
    try {
      const vars = moduleVars(code, this.board.jsVars.bytesEach);
      load = vars.total;
      assigned = vars.assigned;
    } catch {
      // Not a script the estimate can parse: running it reports the SyntaxError.
    }
    if (this.jsVarLimit && BASE_VARS + this.codeVars - this.forgottenCode() + load > this.board.jsVars.count) {
      // What the interpreter prints when a load runs out of blocks (jsvar.c, jsiCheckErrors).
      this.memoryErrors = true;
      this.print("OUT OF MEMORY");
      this.print("New interpreter error: LOW_MEMORY,MEMORY");
      return;
    }
    this.codeVars += load;
    if (assigned) for (const [name, n] of assigned) this.assignedCode.set(name, n);
    const before = new Set(Object.getOwnPropertyNames(this.G));
    try {
      vm.runInContext(espruinoSource(code), this.ctx!, { filename });
    } catch (e) {
      this.reportUncaught(e);
    }
    // The functions its module level defined are in codeVars already: the walk must not count them again.
    for (const k of Object.getOwnPropertyNames(this.G)) {
      const v = before.has(k) ? undefined : Object.getOwnPropertyDescriptor(this.G, k)?.value;
      if (typeof v === "function") this.moduleFunctions.add(v);
    }
    this.afterCall();
  }

  private reportUncaught(e: unknown): void {
    if (this.isPowerCut(e)) {
      this.die((e as Error).message);
      return;
    }
    if (e instanceof MemoryInterrupt) return;
    if (!this.alive) return;
    const handlers = this.ctx && this.listeners.of(this.G.process, "uncaughtException");
    if (handlers?.length) {
      this.fireSync(this.G.process, "uncaughtException", [e]);
      return;
    }
    this.print(formatUncaught(this.errors?.caught(e) ?? e));
  }

  /**
   * What `eval` throws to its host caller: an error of the device (Espruino's plain object, or
   * one V8 raised) as a host Error named by its type; anything else as it is.
   */
  private hostError(e: unknown): unknown {
    const d = this.errors?.caught(e) ?? e;
    const type = espruinoErrorType(d);
    if (type === undefined) return e;
    const err = new Error(String((d as { message?: unknown }).message ?? ""));
    err.name = type;
    return err;
  }

  private invoke(gen: number, fn: unknown, thisArg: unknown, args: unknown[]): void {
    if (gen !== this.gen || !this.alive) return;
    try {
      if (typeof fn === "string") vm.runInContext(espruinoSource(fn), this.ctx!);
      else (fn as (...a: unknown[]) => unknown).apply(thisArg, args);
    } catch (e) {
      this.reportUncaught(e);
    }
    this.afterCall();
  }

  private fire(gen: number, obj: object, event: string, args: unknown[]): void {
    if (gen !== this.gen || !this.alive) return;
    const list = this.listeners.of(obj, event);
    if (!list) return;
    for (const fn of list.slice()) this.invoke(gen, fn, obj, args);
  }

  /** Calls listeners directly (errors propagate, as `emit` does). */
  private fireSync(obj: object, event: string, args: unknown[]): void {
    const list = this.listeners.of(obj, event);
    if (!list) return;
    for (const fn of list.slice()) {
      try {
        (fn as (...a: unknown[]) => unknown).apply(obj, args);
      } catch (e) {
        this.reportUncaught(e);
      }
    }
  }

  private newObject(props?: Record<string, unknown>, proto?: object): any {
    const o = proto ? this.G.Object.create(proto) : new this.G.Object();
    if (props) for (const k of Object.keys(props)) o[k] = props[k];
    return o;
  }

  private newArray(items: unknown[]): any {
    const a = new this.G.Array();
    for (const x of items) a.push(x);
    return a;
  }

  private newError(message: string, type: "Error" | "InternalError" | "TypeError" | "SyntaxError" = "Error"): any {
    return new this.errors!.made[type](message);
  }

  private linkUp(): boolean {
    if (!this.network.online) return false;
    if (this.board.network === "wifi") return !!this.wifi && this.wifi.connected();
    return true;
  }

  private host(): SimHost {
    const self = this;
    const gen = this.gen;
    return {
      board: this.board,
      clock: this.clock,
      network: this.network,
      netStats: this.net,
      storage: this.storage,
      bus: this.bus,
      ip: this.ip,
      generation: gen,
      isLive: (g) => g === self.gen && self.alive,
      invoke: (g, fn, t, a) => self.invoke(g, fn, t, a),
      fire: (g, o, e, a) => self.fire(g, o, e, a),
      release: (o) => {
        self.listeners.forget(o);
      },
      newObject: (p, proto) => self.newObject(p, proto),
      newArray: (i) => self.newArray(i),
      newError: (m, t) => self.newError(m, t),
      newBytes: (b) => self.newBytes(b),
      guard: (fn) => self.guard(fn),
      sampleMemory: () => self.sampleMemory(),
      inFlash: (s) => {
        if (s.length > FLASH_STRING_MIN) self.flashStrings.add(s);
        return s;
      },
      holdsVars: (count) => {
        if (gen === self.gen) self.runtimeVars.push(count);
      },
      onTaskEnd: (fn) => {
        if (gen === self.gen) self.taskEnders.push(fn);
      },
      linkUp: () => self.linkUp(),
      onKill: (fn) => {
        if (gen === self.gen) self.killers.push(fn);
        else fn();
      },
      linkChanged: () => {
        for (const w of self.linkWatchers.slice()) w();
      },
      onLinkChange: (fn) => {
        if (gen === self.gen) self.linkWatchers.push(fn);
      },
    };
  }

  private emitInit(): void {
    if (!this.alive || !this.ctx) return;
    this.fireSync(this.G.E, "init", []);
    this.afterCall();
    const onInit = this.G.onInit;
    if (typeof onInit === "function") this.invoke(this.gen, onInit, undefined, []);
  }

  // ------------------------------------------------------------------ the context

  private newContext(): void {
    const ctx = vm.createContext(
      {},
      { name: `espruino-${this.board.id}`, microtaskMode: "afterEvaluate", codeGeneration: { strings: true, wasm: false } },
    );
    this.ctx = ctx;
    this.codeVars = 0;
    this.flashStrings = new Set<string>();
    this.moduleFunctions = new Set();
    this.assignedCode = new Map();
    this.memoryErrors = false;
    this.G = vm.runInContext("globalThis", ctx);
    this.alive = true;
    liveSims.add(this);
    const self = this;
    this.protoObject = vm.runInContext("Object.prototype", ctx);
    this.protoFunction = vm.runInContext("Function.prototype", ctx);
    this.protoArray = vm.runInContext("Array.prototype", ctx);
    installEspruinoNumber(ctx);
    // Kept by the pruning below; installEspruinoErrors then makes it Espruino's.
    vm.runInContext(
      `(function () {
        class InternalError extends Error {}
        Object.defineProperty(InternalError.prototype, "name", { value: "InternalError", writable: true, configurable: true });
        Object.defineProperty(globalThis, "InternalError", { value: InternalError, writable: true, configurable: true });
      })`,
      ctx,
    )();
    installEspruinoDate(ctx, () => self.deviceNowMs());
    installEspruinoTyped(ctx);
    installEspruinoText(ctx, () => self.random());
    vm.runInContext(PRUNE_SOURCE, ctx)(this.newArray([...KEEP_GLOBALS, "InternalError"]), this.toCtxJson(KEEP_PROPS));
    const errors = installEspruinoErrors(ctx);
    this.errors = errors;
    Object.defineProperty(this.G, HOOKS_GLOBAL, {
      value: sourceHooks(errors, ctx, {
        evalName: this.countClosures ? evalScriptName : undefined,
        functionName: this.countClosures ? functionScriptName : undefined,
      }),
      writable: false,
      configurable: false,
      enumerable: false,
    });

    const defs = this.listeners.methods((m) => self.newError(m));
    for (const [k, v] of Object.entries(defs))
      Object.defineProperty(this.protoObject, k, { value: v, writable: true, configurable: true, enumerable: false });

    const math = this.G.Math;
    math.random = () => self.random();
    const host = this.host();
    const timers = new SimTimers({ host, uptimeMs: () => self.uptimeMs(), trueAt: (uptimeMs) => self.trueAt(uptimeMs) });
    this.timers = timers;
    const g: Record<string, unknown> = {
      global: this.G,
      print: (...args: unknown[]) => self.print(formatPrintArgs(args)),
      console: this.newObject({
        log: (...a: unknown[]) => self.print(formatPrintArgs(a)),
        debug: (...a: unknown[]) => self.print(formatPrintArgs(a)),
        info: (...a: unknown[]) => self.print(formatPrintArgs(a)),
        warn: (...a: unknown[]) => self.print(formatPrintArgs(a)),
        error: (...a: unknown[]) => self.print(formatPrintArgs(a)),
        trace: (...a: unknown[]) => self.print(formatPrintArgs(a)),
      }),
      getTime: () => self.deviceNowMs() / 1000,
      setTime: (sec: unknown) => {
        // Timers are kept in uptime, so pending ones keep their remaining delay.
        self.offsetMs = Number(sec) * 1000 - self.uptimeMs();
      },
      setTimeout: (fn: unknown, ms?: unknown, ...args: unknown[]) => timers.add(fn, ms, args, false),
      setInterval: (fn: unknown, ms?: unknown, ...args: unknown[]) => timers.add(fn, ms, args, true),
      clearTimeout: (...a: unknown[]) => timers.clear(a, "Timeout"),
      clearInterval: (...a: unknown[]) => timers.clear(a, "Interval"),
      changeInterval: (id: unknown, ms: unknown) => timers.change(id, ms),
      require: (name: unknown) => self.require(String(name)),
      load: () => self.later(() => self.boot(undefined), "load()"),
      reset: () => self.later(() => self.reset(), "reset()"),
      save: () => {
        throw self.newError("save() is not simulated: deploy code with E.setBootCode or Storage");
      },
      echo: () => {},
      setDeepSleep: () => {},
      setBusyIndicator: () => {},
      setSleepIndicator: () => {},
      dump: () => {},
      trace: () => {},
      getSerial: () => "sim-" + self.board.id,
      // Pins are not simulated: an analog input reads mid-scale, digital ones low.
      analogRead: () => 0.5,
      digitalRead: () => 0,
      digitalWrite: () => {},
      pinMode: () => {},
      btoa: (s: unknown) => Buffer.from(String(s), "latin1").toString("base64"),
      atob: (s: unknown) => Buffer.from(String(s), "base64").toString("latin1"),
      E: createEObject({
        host,
        defrag: () => {
          self.defrags++;
        },
        sizeOf: (v) => countVars([v], { bytesEach: self.board.jsVars.bytesEach, codeInRam: self.codeInRam }),
        errorFlags: () => (self.memoryErrors ? ["LOW_MEMORY", "MEMORY"] : []),
        reboot: () => self.later(() => self.boot(undefined), "E.reboot()"),
        random: () => self.random(),
        reseed: (seed) => {
          self.random = prng(seed);
        },
      }),
      process: this.newObject({
        version: ESPRUINO_VERSION,
        env: this.newObject({ VERSION: ESPRUINO_VERSION, BOARD: this.board.espruinoBoard, CONSOLE: "Serial1" }),
        memory: () => self.memory(),
      }),
    };
    this.builtinGlobals = new Set([...KEEP_GLOBALS, HOOKS_GLOBAL, "InternalError", ...Object.keys(g).filter((k) => k !== "global")]);
    for (const [k, v] of Object.entries(g))
      Object.defineProperty(this.G, k, { value: v, writable: true, configurable: true, enumerable: false });

    if (this.board.network === "wifi") this.wifi = createWifi(host);
    this.unsubscribeNet = this.network.onChange((what) => {
      if (what === "online") for (const w of this.linkWatchers.slice()) w();
    });
  }

  private toCtxJson(v: unknown): any {
    return this.G.JSON.parse(JSON.stringify(v));
  }

  private later(fn: () => void, label: string): void {
    const gen = this.gen;
    this.clock.after(
      0,
      () => {
        if (gen === this.gen && this.alive) fn();
      },
      label,
    );
  }

  // ------------------------------------------------------------------ memory

  /**
   * With the limit on: when what the code holds (its module level and what its closures and
   * globals reach, memory.ts) exceeds the board's JsVars, the interpreter would have run out on
   * the way: it prints OUT OF MEMORY and the code stops (its timers and listeners dropped here).
   * Checked after the boot and at each `process.memory()` (a walk of the heap, too slow per task;
   * see {@link SimEspruinoOptions.countClosures}).
   */
  private checkMemory(used?: number): void {
    if (!this.jsVarLimit || !this.alive || this.memoryErrors) return;
    if ((used ?? this.usedVars(true)) <= this.board.jsVars.count) return;
    this.memoryErrors = true;
    this.print("OUT OF MEMORY");
    this.print("New interpreter error: LOW_MEMORY,MEMORY");
    this.timers?.cancelAll();
    this.listeners.clear();
  }

  /** The highest JsVars in use sampled inside the program's tasks ({@link SimEspruinoOptions.samplePeaks}). */
  get memoryPeak(): MemoryPeak {
    return { ...this.peak };
  }

  /** Starts {@link memoryPeak} afresh (as the flush sampler of the target bench does before a flush). */
  resetMemoryPeak(): void {
    this.peak = { peak: 0, samples: 0 };
  }

  /**
   * A hal call of the running code: with {@link SimEspruinoOptions.samplePeaks}, counts what is in
   * use now (the stack included) and, over the limit, runs out of memory here.
   * @throws MemoryInterrupt when the task ran out of memory (now or at an earlier hal call).
   */
  private sampleMemory(): void {
    if (this.interrupted) throw new MemoryInterrupt();
    if (!this.samplePeaks || !this.alive) return;
    const used = this.usedVars(true, true);
    this.peak.samples++;
    if (used > this.peak.peak) this.peak.peak = used;
    if (!this.jsVarLimit || this.memoryErrors || used <= this.board.jsVars.count) return;
    this.checkMemory(used);
    this.interrupted = true;
    throw new MemoryInterrupt();
  }

  /**
   * JsVars in use: the interpreter's own, the code's module level and what the globals, timers and
   * listeners reach; with `closures` what device functions' scopes hold, with `stack` (called from
   * inside the program) what its frames on the stack hold.
   */
  private usedVars(closures: boolean, stack = false): number {
    const roots: unknown[] = [];
    // The rewritten code's hooks are the simulation's own, not the device's. The interpreter's
    // own globals (print, setTimeout, E, process, console... and the InternalError class) are
    // natives there, in the base count: made here as objects and functions in the context, they
    // were counted as the device's (about 180 JsVars, InternalError's scope alone about 100).
    const builtin = this.builtinGlobals;
    for (const k of Object.getOwnPropertyNames(this.G)) if (!builtin.has(k)) roots.push(this.G[k]);
    if (this.timers) roots.push(...this.timers.roots());
    roots.push(...this.listeners.roots());
    const seen = new Set<unknown>([this.G, this.protoObject, this.protoArray, ...this.moduleFunctions, ...this.modules.values()]);
    let modules = 0;
    for (const name of this.modules.keys()) modules += MODULE_VARS[name] ?? MODULE_VARS_OTHER;
    const fnProto = this.protoFunction;
    // Device code's closures only: the simulation's own builtins are host functions.
    const scopes = closures ? (fn: Function) => (Object.getPrototypeOf(fn) === fnProto ? closureScopes(fn) : NO_SCOPES) : undefined;
    const held = stack ? stackHold(this.G) : undefined;
    if (held) roots.push(...held.values);
    return (
      BASE_VARS +
      modules +
      this.codeVars -
      this.forgottenCode() +
      this.runtimeVars.reduce((n, count) => n + count(), 0) +
      countVars(
        roots,
        {
          bytesEach: this.board.jsVars.bytesEach,
          codeInRam: this.codeInRam,
          scopes,
          stackScopes: held?.scopes,
          flashStrings: this.flashStrings,
        },
        seen,
      )
    );
  }

  /** JsVars of {@link assignedCode} whose names the code deleted since. */
  private forgottenCode(): number {
    let n = 0;
    for (const [name, vars] of this.assignedCode) if (!Object.hasOwn(this.G, name)) n += vars;
    return n;
  }

  private memory(): any {
    const total = this.board.jsVars.count;
    // Called by the program: its frames on the stack are in use too (the interpreter's collector
    // keeps what a running function holds).
    const used = this.usedVars(this.countClosures, this.countClosures);
    if (this.countClosures) this.checkMemory(used);
    const usage = Math.min(total, used);
    return this.newObject({ free: total - usage, usage, total, history: 0, gc: 0, gctime: 0, blocksize: this.board.jsVars.bytesEach });
  }

  private newBytes(b: Uint8Array): any {
    const u = new this.G.Uint8Array(b.length);
    u.set(b);
    return u;
  }

  // ------------------------------------------------------------------ modules

  private require(name: string): unknown {
    const cached = this.modules.get(name);
    if (cached) return cached;
    let m: unknown;
    switch (name) {
      case "Flash":
        m = createFlashModule(this.host());
        break;
      case "Storage":
        m = createStorageModule(this.host());
        break;
      case "Wifi":
        if (this.wifi) m = this.wifi.module;
        break;
      case "http":
        m = createHttpModule(this.host());
        break;
      case "dgram":
        m = createDgramModule(this.host());
        break;
    }
    if (!m) throw this.newError(`Module ${name} not found`);
    this.modules.set(name, m);
    return m;
  }
}

/** Devices with a running context: unhandled promise rejections are routed to them. */
const liveSims = new Set<SimEspruino>();

let rejectionHookInstalled = false;
function installRejectionHook(): void {
  if (rejectionHookInstalled) return;
  rejectionHookInstalled = true;
  process.on("unhandledRejection", (reason, promise) => {
    for (const sim of liveSims) {
      const G = (sim as unknown as { G: any }).G;
      if (G && promise instanceof G.Promise) {
        (sim as unknown as { print(l: string): void }).print(formatUncaught(reason));
        return;
      }
    }
    // Not ours: behave as Node does without a listener.
    if (process.listenerCount("unhandledRejection") <= 1) {
      process.nextTick(() => {
        throw reason;
      });
    }
  });
}
installRejectionHook();
