/**
 * A rough estimate of how many JsVars a value takes in Espruino (`E.getSizeOf`,
 * `process.memory().usage`). Rules, per jsvar.h: every object/array/function is one var plus one
 * per property (the name var; an integer or other small value fits in it), a string takes one
 * var for its first few chars and one more per (bytesEach - 2) chars, a typed array takes two
 * vars plus its backing string, a function's code counts only when `codeInRam` (code uploaded
 * from the console; a bundle loaded from Storage keeps its code in flash).
 *
 * Variables captured in closures are counted only with {@link VarCountOptions.scopes} (the
 * program itself cannot see them; the simulation reads them through V8's inspector).
 */
import type { ClosureScope } from "./scopes.ts";

export interface VarCountOptions {
  bytesEach: number;
  codeInRam?: boolean;
  /**
   * The closure scopes of a function (scopes.ts): given, each scope a reachable function was made
   * in is counted once (its object, a name per variable, the values), and each function pays its
   * parameters and the link to its scope, as Espruino stores them.
   */
  scopes?: (fn: Function) => ClosureScope[];
}

/**
 * A function made at run time, beyond the function var itself: its code (a pointer into flash),
 * its name and the link to its scope (measured 5.1-5.3 JsVars each made inside a function on the
 * 2v29 Linux build, docs/memory.md), plus one per parameter.
 */
const FUNCTION_VARS = 4;
/** A scope: the object that holds its variables. */
const SCOPE_VARS = 1;

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
  const seenScopes = new Set<string>();
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
      if (options.scopes) {
        const scopes = options.scopes(v as Function);
        if (scopes.length) total += FUNCTION_VARS - 2 + (v as Function).length;
        for (const sc of scopes) {
          if (seenScopes.has(sc.key)) continue;
          seenScopes.add(sc.key);
          total += SCOPE_VARS;
          for (let i = 0; i < sc.names.length; i++) {
            total += sc.names[i].length > 4 ? stringVars(sc.names[i].length, B) : 1;
            const val = sc.values[i];
            if (typeof val === "number" && Number.isInteger(val) && Math.abs(val) < 2 ** 31) continue;
            if (typeof val === "boolean") continue;
            stack.push(val);
          }
        }
      }
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
