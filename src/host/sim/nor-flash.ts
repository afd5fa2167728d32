import * as fs from "node:fs";

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
}

/** Where to cut power: at operation number `atOp` (1-based, writes and erases counted), after `tornBytes` of it. */
export interface PowerCut {
  atOp: number;
  /** How many bytes of that operation reach the flash before power goes (0 = none). */
  tornBytes: number;
}

/**
 * NOR flash as ESP32/ESP8266 have it: erased pages read 0xFF, a write ANDs into what is there,
 * writes must be aligned. Supports a power cut at any operation, torn after any byte.
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
  private cut: PowerCut | undefined;
  private powered = true;
  private fd: number | undefined;

  constructor(options: NorFlashOptions) {
    const { base, size, pageSize, alignment, file } = options;
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

  /** Arms a power cut; {@link PowerCutError} is thrown from that operation. */
  armPowerCut(cut: PowerCut | undefined): void {
    this.cut = cut;
  }

  /** True after a cut, until {@link powerOn}. */
  get isOff(): boolean {
    return !this.powered;
  }

  powerOn(): void {
    this.powered = true;
    this.cut = undefined;
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
    const n = this.nextOp(data.length);
    for (let i = 0; i < n; i++) this.bytes[off + i] &= data[i];
    this.writes++;
    this.sync(off, n);
    if (n < data.length) this.powerFail();
  }

  erasePage(addr: number): void {
    this.check(addr, 1);
    const off = addr - this.base - ((addr - this.base) % this.pageSize);
    const n = this.nextOp(this.pageSize);
    // A torn erase leaves the page partly erased: modelled as its first n bytes at 0xFF.
    this.bytes.fill(0xff, off, off + n);
    this.erases++;
    this.sync(off, n);
    if (n < this.pageSize) this.powerFail();
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private nextOp(length: number): number {
    this.ops++;
    if (this.cut && this.ops === this.cut.atOp) return Math.min(this.cut.tornBytes, length - 1 < 0 ? 0 : length - 1);
    return length;
  }

  private powerFail(): never {
    this.powered = false;
    throw new PowerCutError(`power cut at flash operation ${this.ops}`);
  }

  private check(addr: number, length: number): void {
    if (!this.powered) throw new PowerCutError("flash accessed while powered off");
    if (addr < this.base || addr + length > this.base + this.size || length < 0) {
      throw new Error(`flash access out of range: ${length} bytes at 0x${addr.toString(16)}`);
    }
  }

  private sync(off: number, length: number): void {
    if (this.fd !== undefined && length > 0) fs.writeSync(this.fd, this.bytes, off, length, off);
  }
}
