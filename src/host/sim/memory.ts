/**
 * A rough estimate of how many JsVars a value takes in Espruino (`E.getSizeOf`,
 * `process.memory().usage`). Rules, per jsvar.h: every object/array/function is one var plus one
 * per property (the name var; an integer or other small value fits in it), a string takes one
 * var for its first few chars and one more per (bytesEach - 2) chars, a typed array takes two
 * vars plus its backing string, a function's code counts only when `codeInRam` (code uploaded
 * from the console; a bundle loaded from Storage keeps its code in flash).
 *
 * What it cannot see: variables captured in closures (V8 gives no access to scopes), so
 * module-level state of a bundle is invisible unless reachable from a global, a timer or a
 * listener. Use it for trends and for `E.getSizeOf` of explicit values, not as a budget gate.
 */

export interface VarCountOptions {
  bytesEach: number;
  codeInRam?: boolean;
}

/** JsVars for a string of `len` chars. */
export function stringVars(len: number, bytesEach: number): number {
  const first = Math.max(4, bytesEach - 8);
  const ext = Math.max(8, bytesEach - 2);
  return len <= first ? 1 : 1 + Math.ceil((len - first) / ext);
}

/** Counts the vars reachable from `roots`, each object once. */
export function countVars(roots: unknown[], options: VarCountOptions, seen = new Set<unknown>()): number {
  const B = options.bytesEach;
  let total = 0;
  const stack: unknown[] = [...roots];
  while (stack.length) {
    const v = stack.pop();
    if (v === null || v === undefined) continue;
    const t = typeof v;
    if (t === "number" || t === "boolean") {
      total += 1;
      continue;
    }
    if (t === "string") {
      total += stringVars((v as string).length, B);
      continue;
    }
    if (t !== "object" && t !== "function") continue;
    if (seen.has(v)) continue;
    seen.add(v);
    if (ArrayBuffer.isView(v)) {
      total += 2 + stringVars((v as ArrayBufferView).byteLength, B);
      continue;
    }
    if (t === "function") {
      total += 2;
      if (options.codeInRam) total += stringVars(Function.prototype.toString.call(v).length, B);
    } else total += 1;
    let keys: string[];
    try {
      keys = Object.keys(v as object);
    } catch {
      continue;
    }
    for (const k of keys) {
      let val: unknown;
      try {
        val = (v as Record<string, unknown>)[k];
      } catch {
        continue;
      }
      // The name var; a small int or bool value lives inside it.
      total += k.length > 4 ? stringVars(k.length, B) : 1;
      if (typeof val === "number" && Number.isInteger(val) && Math.abs(val) < 2 ** 31) continue;
      if (typeof val === "boolean") continue;
      stack.push(val);
    }
  }
  return total;
}
