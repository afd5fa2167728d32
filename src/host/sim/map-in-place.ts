/**
 * Espruino's `E.mapInPlace(from, to, map, bits)` as jswrap_espruino.c does it: elements of
 * `from` regrouped into `bits`-bit values (msb first; lsb first when negative; default the
 * element size), each looked up in `map` (array, typed array or function; none: as is) and
 * written to `to` until either runs out.
 */
export function mapInPlace(from: unknown, to: unknown, map: unknown, bits = 0): void {
  if (!ArrayBuffer.isView(from) || !ArrayBuffer.isView(to)) throw new Error("First 2 arguments should be array buffers");
  const src = from as unknown as { length: number; BYTES_PER_ELEMENT: number; [i: number]: number };
  const dst = to as unknown as { length: number; [i: number]: number };
  if (map !== undefined && map !== null && typeof map !== "function" && !Array.isArray(map) && !ArrayBuffer.isView(map)) {
    throw new Error("Third argument should be a function or array");
  }
  const bitsFrom = 8 * src.BYTES_PER_ELEMENT;
  const msbFirst = bits >= 0;
  if (bits < 0) bits = -bits;
  if (bits === 0) bits = bitsFrom;
  let el = 0;
  let b = 0;
  let i = 0;
  for (let j = 0; (i < src.length || b >= bits) && j < dst.length; j++) {
    const index = i;
    while (b < bits) {
      const x = i < src.length ? src[i] : 0;
      el = msbFirst ? el * 2 ** bitsFrom + x : el + x * 2 ** b;
      i++;
      b += bitsFrom;
    }
    let v: number;
    if (msbFirst) v = Math.floor(el / 2 ** (b - bits)) % 2 ** bits;
    else {
      v = el % 2 ** bits;
      el = Math.floor(el / 2 ** bits);
    }
    b -= bits;
    if (msbFirst) el %= 2 ** b;
    const m = map as ((v: number, i: number) => unknown) | ArrayLike<unknown> | undefined | null;
    dst[j] = Number(typeof m === "function" ? m(v, index) : m ? m[v] : v) || 0;
  }
}
