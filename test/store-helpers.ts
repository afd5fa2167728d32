/** Shared set-up of the store tests: simulated NOR flash and a store over it. */
import { crc32 as zcrc32 } from "node:zlib";
import { NorFlash } from "../src/host/sim/nor-flash.ts";
import { Store, type StoreOptions } from "../src/device/store/store.ts";
import type { FlashPort } from "../src/device/hal.ts";

export const crc32 = (d: Uint8Array): number => zcrc32(d);

export const EPOCH0 = 1795771674422;

export interface Geometry {
  base?: number;
  pages: number;
  pageSize: number;
  alignment?: number;
}

export function makeFlash(g: Geometry): NorFlash {
  return new NorFlash({ base: g.base ?? 0x310000, size: g.pages * g.pageSize, pageSize: g.pageSize, alignment: g.alignment ?? 4 });
}

export function regionOf(flash: NorFlash): StoreOptions["region"] {
  return { address: flash.base, length: flash.size, pageSize: flash.pageSize, writeAlignment: flash.alignment, eraseCycles: 100000 };
}

/** A FlashPort that counts calls and bytes read (to check boot recovery reads per sector, not per reading). */
export class CountingFlash implements FlashPort {
  reads = 0;
  bytesRead = 0;
  constructor(readonly inner: FlashPort) {}
  read(addr: number, length: number): Uint8Array {
    this.reads++;
    this.bytesRead += length;
    return this.inner.read(addr, length);
  }
  write(addr: number, data: Uint8Array): void {
    this.inner.write(addr, data);
  }
  erasePage(addr: number): void {
    this.inner.erasePage(addr);
  }
}

export function openStore(flash: NorFlash | FlashPort, region: StoreOptions["region"], extra: Partial<StoreOptions> = {}): Store {
  const s = new Store({ flash, crc32, region, ...extra });
  s.mount();
  return s;
}

/** Every undelivered record, oldest first. */
export function pendingOf(store: Store, pin?: number): Array<{ pos: number; reading: any; type?: string }> {
  const out: Array<{ pos: number; reading: any; type?: string }> = [];
  store.scan({ from: 0, pin }, (r) => {
    out.push(r);
  });
  return out;
}
