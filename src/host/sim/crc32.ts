/** CRC-32 (IEEE 802.3, reflected, as zlib and Espruino's `E.CRC32`): Node's zlib computes it. */
import { crc32 as zlibCrc32 } from "node:zlib";

/** CRC-32 of bytes (each taken modulo 256), as an unsigned 32-bit number. */
export function crc32(data: ArrayLike<number>): number {
  return zlibCrc32(data instanceof Uint8Array ? data : Uint8Array.from(data, (b) => b & 0xff));
}
