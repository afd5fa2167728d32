/** The simulated address space of flash: one or more {@link NorFlash} regions. */
import type { NorFlash } from "./nor-flash.ts";

/** A page of flash: where it starts and how long it is. */
export interface FlashPage {
  addr: number;
  length: number;
}

/** Flash the simulation models: reads, writes and erases outside these regions throw. */
export class FlashBus {
  readonly regions: NorFlash[];

  constructor(regions: NorFlash[]) {
    this.regions = regions;
  }

  /** The region holding `[addr, addr+length)`. @throws when it is not modelled. */
  region(addr: number, length = 1): NorFlash {
    for (const r of this.regions) if (addr >= r.base && addr + length <= r.base + r.size) return r;
    throw new Error(
      `flash 0x${addr.toString(16)}+${length} is outside the simulated regions (${this.regions
        .map((r) => `0x${r.base.toString(16)}+${r.size}`)
        .join(", ")})`,
    );
  }

  /** The page holding `addr`, or undefined outside the modelled regions (as `Flash.getPage`). */
  getPage(addr: number): FlashPage | undefined {
    for (const r of this.regions) {
      if (addr >= r.base && addr < r.base + r.size) {
        const start = r.base + Math.floor((addr - r.base) / r.pageSize) * r.pageSize;
        return { addr: start, length: r.pageSize };
      }
    }
    return undefined;
  }

  read(addr: number, length: number): Uint8Array {
    return this.region(addr, length).read(addr, length);
  }

  erasePage(addr: number): void {
    this.region(addr).erasePage(addr);
  }

  /**
   * Writes bytes at any address, as Espruino's `jshFlashWriteAligned`: an unaligned head and
   * tail are read, merged and written back as whole words (AND-ing a byte with itself keeps it),
   * the aligned middle is written in one operation.
   */
  writeAligned(addr: number, data: Uint8Array): void {
    if (data.length === 0) return;
    const r = this.region(addr, data.length);
    const A = r.alignment;
    let p = 0;
    let len = data.length;
    const head = (addr - r.base) % A;
    if (head) {
      const word = r.read(addr - head, A);
      const n = Math.min(A - head, len);
      word.set(data.subarray(0, n), head);
      r.write(addr - head, word);
      addr += n;
      p += n;
      len -= n;
      if (len === 0) return;
    }
    const tail = len % A;
    const mid = len - tail;
    if (mid) r.write(addr, data.subarray(p, p + mid));
    addr += mid;
    p += mid;
    if (tail) {
      const word = r.read(addr, A);
      word.set(data.subarray(p, p + tail), 0);
      r.write(addr, word);
    }
  }

  close(): void {
    for (const r of this.regions) r.close();
  }
}
