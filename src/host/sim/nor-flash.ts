import * as fs from "node:fs";
import type { FlashPort } from "../../device/hal.ts";
import { seededRandom } from "../random.ts";

/** Thrown by {@link NorFlash} at the injected power cut, and on any access while powered off. */
export class PowerCutError extends Error {
  constructor(message = "power cut") {
    super(message);
    this.name = "PowerCutError";
  }
}

export interface NorFlashOptions {
  /** Absolute address of the first byte. */
  base: number;
  size: number;
  pageSize: number;
  /** Write alignment in bytes (4 on ESP32/ESP8266). */
  alignment: number;
  /**
   * Backing file, raw bytes of the whole region (the format of Espruino's Linux
   * `espruino.flash`). Created erased when missing; every write goes through to it, so a new
   * simulation on the same file sees what survived.
   */
  file?: string;
  /**
   * The power supply this flash shares with others (a board's raw region and its Storage bank):
   * a cut armed on it counts the operations of all of them and powers all of them off.
   */
  rail?: PowerRail;
}

/**
 * How a cut operation fails:
 * - `prefix`: its first `tornBytes` bytes land whole, the rest not at all (a write torn between
 *   words; an erase modelled as its first bytes erased);
 * - `bits` (writes): the first `tornBytes` bytes land, then each bit the rest would clear is
 *   cleared with probability `rate` - a program cut while cells were charging;
 * - `scatter` (erases): each 0 bit of the page reads 1 with probability `rate`, anywhere in the
 *   page - a sector erase cut part way (NOR erases the whole array at once, not front to back).
 */
export type CutMode = "prefix" | "bits" | "scatter";

/** Where to cut power: at operation number `atOp` (1-based, writes and erases counted), after `tornBytes` of it. */
export interface PowerCut {
  atOp: number;
  /** How many bytes of that operation reach the flash whole before power goes (0 = none). */
  tornBytes: number;
  /** Default `prefix`; `bits` applies to writes only, `scatter` to erases only (else `prefix`). */
  mode?: CutMode;
  /** Probability per bit for `bits` / `scatter` (default 0.5). */
  rate?: number;
  /** Seed of the bits a `bits` / `scatter` cut leaves (default 1): the same seed, the same bits. */
  seed?: number;
}

/** The operation a cut interrupted, as it was asked for. */
export interface CutOperation {
  flash: NorFlash;
  erase: boolean;
  /** Offset in the flash of the write, or of the page erased. */
  offset: number;
  /** Bytes of the write (erase: the page size, all 0xFF). */
  data: Uint8Array;
  /** For the operation a cut interrupted: the bytes it covered before it began. */
  before?: Uint8Array;
}

/**
 * A power supply: one operation counter and one power state over the flashes on it, so a cut
 * can be armed at "the k-th flash operation of the device" whichever flash it goes to.
 */
export class PowerRail {
  /** Operations on every flash of the rail so far. */
  ops = 0;
  powered = true;
  cut: PowerCut | undefined;
  /** The operation the last cut interrupted. */
  lastCut: CutOperation | undefined;
  /** When set, every operation is appended here (to plan a sweep from an uncut run). */
  log: CutOperation[] | undefined;

  /** Arms a cut at the rail's operation `cut.atOp` (absolute: add {@link ops} for "k from now"). */
  arm(cut: PowerCut | undefined): void {
    this.cut = cut;
  }

  powerOn(): void {
    this.powered = true;
    this.cut = undefined;
  }
}

/**
 * What `op` leaves in `bytes` (the flash's array) when power goes during it as `cut` says.
 * Shared by the armed cuts and by sweeps that replay one interrupted operation several ways.
 */
export function applyCut(bytes: Uint8Array, op: Omit<CutOperation, "flash">, cut: Omit<PowerCut, "atOp">): void {
  const len = op.data.length;
  const whole = Math.max(0, Math.min(cut.tornBytes, len - 1));
  const rate = cut.rate ?? 0.5;
  const rnd = seededRandom(cut.seed ?? 1);
  const mode = cut.mode ?? "prefix";
  if (op.erase) {
    if (mode === "scatter") {
      for (let i = 0; i < len; i++) {
        let up = 0;
        for (let b = 0; b < 8; b++) if (rnd() < rate) up |= 1 << b;
        bytes[op.offset + i] |= up;
      }
    } else bytes.fill(0xff, op.offset, op.offset + whole);
    return;
  }
  for (let i = 0; i < whole; i++) bytes[op.offset + i] &= op.data[i];
  if (mode !== "bits") return;
  for (let i = whole; i < len; i++) {
    let keep = 0;
    for (let b = 0; b < 8; b++) if (rnd() >= rate) keep |= 1 << b;
    // Bits the write clears, each cleared or not: d | keep leaves a kept bit at its old value.
    bytes[op.offset + i] &= op.data[i] | keep;
  }
}

/**
 * NOR flash as ESP32/ESP8266 have it: erased pages read 0xFF, a write ANDs into what is there,
 * writes must be aligned. Supports a power cut at any operation, failing as a {@link CutMode}
 * says.
 */
export class NorFlash {
  readonly base: number;
  readonly size: number;
  readonly pageSize: number;
  readonly alignment: number;
  readonly bytes: Uint8Array;
  /** Operations (writes + erases) so far. */
  ops = 0;
  writes = 0;
  erases = 0;
  readonly rail: PowerRail;
  private cut: PowerCut | undefined;
  private fd: number | undefined;

  constructor(options: NorFlashOptions) {
    const { base, size, pageSize, alignment, file } = options;
    this.rail = options.rail ?? new PowerRail();
    if (size % pageSize !== 0) throw new Error(`flash size ${size} is not a multiple of the page size ${pageSize}`);
    this.base = base;
    this.size = size;
    this.pageSize = pageSize;
    this.alignment = alignment;
    this.bytes = new Uint8Array(size).fill(0xff);
    if (file) {
      if (fs.existsSync(file)) {
        const data = fs.readFileSync(file);
        this.bytes.set(data.subarray(0, size));
      }
      this.fd = fs.openSync(file, fs.existsSync(file) ? "r+" : "w+");
      fs.writeSync(this.fd, this.bytes, 0, size, 0);
    }
  }

  /** Arms a power cut at this flash's operation `cut.atOp`; {@link PowerCutError} is thrown from it. */
  armPowerCut(cut: PowerCut | undefined): void {
    this.cut = cut;
  }

  /** True after a cut (on any flash of the rail), until {@link powerOn}. */
  get isOff(): boolean {
    return !this.rail.powered;
  }

  powerOn(): void {
    this.rail.powerOn();
    this.cut = undefined;
  }

  /** Replaces the whole contents (a snapshot taken with `bytes.slice()`), through to the file. */
  load(image: Uint8Array): void {
    this.bytes.set(image);
    this.sync(0, this.size);
  }

  read(addr: number, length: number): Uint8Array {
    this.check(addr, length);
    const off = addr - this.base;
    return this.bytes.slice(off, off + length);
  }

  write(addr: number, data: Uint8Array): void {
    this.check(addr, data.length);
    if ((addr - this.base) % this.alignment !== 0 || data.length % this.alignment !== 0) {
      throw new Error(`unaligned flash write: ${data.length} bytes at 0x${addr.toString(16)} (alignment ${this.alignment})`);
    }
    const off = addr - this.base;
    this.writes++;
    this.operate({ flash: this, erase: false, offset: off, data });
  }

  erasePage(addr: number): void {
    this.check(addr, 1);
    const off = addr - this.base - ((addr - this.base) % this.pageSize);
    this.erases++;
    this.operate({ flash: this, erase: true, offset: off, data: new Uint8Array(this.pageSize).fill(0xff) });
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  /** Counts the operation and carries it out, or the part of it an armed cut lets through. */
  private operate(op: CutOperation): void {
    this.ops++;
    const rail = this.rail;
    rail.ops++;
    if (rail.log) rail.log.push(op);
    const cut = this.cut && this.ops === this.cut.atOp ? this.cut : rail.cut && rail.ops === rail.cut.atOp ? rail.cut : undefined;
    if (!cut) {
      if (op.erase) this.bytes.fill(0xff, op.offset, op.offset + op.data.length);
      else for (let i = 0; i < op.data.length; i++) this.bytes[op.offset + i] &= op.data[i];
      this.sync(op.offset, op.data.length);
      return;
    }
    op.before = this.bytes.slice(op.offset, op.offset + op.data.length);
    applyCut(this.bytes, op, cut);
    this.sync(op.offset, op.data.length);
    rail.powered = false;
    rail.lastCut = op;
    throw new PowerCutError(`power cut at flash operation ${this.ops}`);
  }

  private check(addr: number, length: number): void {
    if (!this.rail.powered) throw new PowerCutError("flash accessed while powered off");
    if (addr < this.base || addr + length > this.base + this.size || length < 0) {
      throw new Error(`flash access out of range: ${length} bytes at 0x${addr.toString(16)}`);
    }
  }

  private sync(off: number, length: number): void {
    if (this.fd !== undefined && length > 0) fs.writeSync(this.fd, this.bytes, off, length, off);
  }
}

/**
 * The chip as the store's FlashPort: Espruino's `Flash` argument order (length or data first,
 * then the address), over NorFlash's own (address first, as the bus and the tests read it).
 */
export function flashPort(nor: NorFlash): FlashPort {
  return {
    read: (length, addr) => nor.read(addr, length),
    write: (data, addr) => nor.write(addr, data),
    erasePage: (addr) => nor.erasePage(addr),
  };
}
