/**
 * `require("Flash")` of the simulation (jswrap_flash.c): pages, reads and writes of the board's
 * flash by address, over the simulated NOR flash (alignment and power cuts as nor-flash.ts
 * models them).
 */
import type { SimHost } from "./host.ts";
import { valueBytes } from "./value-bytes.ts";

export function createFlashModule(host: SimHost): any {
  const b = host.board;
  const intAddr = (addr: unknown): number => {
    if (typeof addr !== "number" || !Number.isInteger(addr))
      throw host.newError(`Address should be an integer, got ${typeof addr === "string" ? "String" : typeof addr}`);
    return addr;
  };
  return host.newObject({
    getFree: () => {
      // An emulated flash (the Linux build's file) is listed whole; a chip's free areas are
      // given as the raw region, which is the one the profile vouches for.
      const area = b.fakeFlash
        ? { addr: b.fakeFlash.address, length: b.fakeFlash.length }
        : { addr: b.flash.address, length: b.flash.length };
      return host.newArray([host.newObject(area)]);
    },
    getPage: (addr: unknown) => {
      const p = host.bus.getPage(Number(addr));
      return p ? host.newObject({ addr: p.addr, length: p.length }) : undefined;
    },
    erasePage: (addr: unknown) => host.guard(() => host.bus.erasePage(intAddr(addr))),
    write: (data: unknown, addr: unknown) => {
      if (data === undefined) throw host.newError("Data is not defined");
      const bytes = valueBytes(data);
      host.guard(() => host.bus.writeAligned(Number(addr) | 0, bytes));
    },
    read: (length: unknown, addr: unknown) => {
      host.sampleMemory();
      const n = Number(length) | 0;
      if (n <= 0) return undefined;
      return host.newBytes(host.guard(() => host.bus.read(Number(addr) | 0, n)));
    },
  });
}
