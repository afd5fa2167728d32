/**
 * The bytes Espruino takes from a value given as data (`E.toUint8Array`, `E.CRC32`,
 * `Flash.write`, `Storage.write`...): a string's chars (UTF-8 when it holds a char above 0xFF,
 * as a Unicode string does), a number's low byte, a typed array's or ArrayBuffer's bytes, an
 * array's elements one after another, `{data, count}` repeated.
 */
import { binaryBytes } from "./storage.ts";

export function valueBytes(v: unknown): Uint8Array {
  // A string with a char above 0xFF is a Unicode string on Espruino: its bytes are UTF-8.
  if (typeof v === "string") return /[^\0-\xff]/.test(v) ? new Uint8Array(Buffer.from(v, "utf8")) : binaryBytes(v);
  if (typeof v === "number") return new Uint8Array([v & 0xff]);
  if (v && typeof v === "object") {
    if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice();
    if (Object.prototype.toString.call(v) === "[object ArrayBuffer]") return new Uint8Array(v as ArrayBuffer).slice();
    if (Array.isArray(v)) {
      const parts = v.map((x) => valueBytes(x));
      const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) {
        out.set(p, o);
        o += p.length;
      }
      return out;
    }
    const o = v as { data?: unknown; count?: number };
    if ("data" in o) {
      const one = valueBytes(o.data);
      const n = o.count ?? 1;
      const out = new Uint8Array(one.length * n);
      for (let i = 0; i < n; i++) out.set(one, i * one.length);
      return out;
    }
  }
  return binaryBytes(String(v));
}
