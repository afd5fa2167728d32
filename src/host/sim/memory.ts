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
import type { ClosureScope, FunctionScopes } from "./scopes.ts";

export interface VarCountOptions {
  bytesEach: number;
  codeInRam?: boolean;
  /**
   * The closure scopes of a function (scopes.ts): given, each scope a reachable function was made
   * in is counted once (its object, a name per variable, the values), and each function pays its
   * parameters and the link to its scope, as Espruino stores them.
   */
  scopes?: (fn: Function) => FunctionScopes;
  /**
   * Scopes held by the running code (its frames on the stack, scopes.ts `stackHold`): counted as
   * roots, each once, like a function's.
   */
  stackScopes?: ClosureScope[];
}

/**
 * A function made at run time, beyond the function var itself: its code (a pointer into flash),
 * its name and the link to its scope (measured 5.1-5.3 JsVars each made inside a function on the
 * 2v29 Linux build, docs/memory.md), plus one per parameter.
 */
const FUNCTION_VARS = 4;
/** Characters a name block holds (measured on the 2v29 Linux build, code-vars.ts). */
const NAME_CHARS = 8;
/** A scope: the object that holds its variables. */
const SCOPE_VARS = 1;

/**
 * Characters in a string's first block and in each further block, by JsVar size, where measured
 * (jsutils.h JSVAR_DATA_STRING_LEN and JSVAR_DATA_STRING_MAX_LEN; `E.getSizeOf` of strings of 300
 * and 1,000 characters on 2v29): the 64-bit Linux build (27 bytes: 32-bit references) and its
 * 1,600-JsVar variant (16 bytes).
 */
const STRING_BLOCKS: Record<number, { first: number; ext: number }> = {
  27: { first: 20, ext: 21 },
  16: { first: 12, ext: 12 },
};

/** JsVars for a string of `len` chars. */
export function stringVars(len: number, bytesEach: number): number {
  const first = STRING_BLOCKS[bytesEach]?.first ?? Math.max(4, bytesEach - 8);
  const ext = STRING_BLOCKS[bytesEach]?.ext ?? Math.max(8, bytesEach - 2);
  return len <= first ? 1 : 1 + Math.ceil((len - first) / ext);
}

/**
 * A class's prototype as Espruino stores it (jsparse.c jspeClassDefinition): the `prototype` name,
 * the object, its `constructor` name, and per method its name and the method (a function made in
 * the class's scope: 4 plus one per parameter), per getter/setter its name and a pair of 2 plus
 * the functions. V8 keeps methods non-enumerable, so the walk of own keys does not see them.
 * Each method is made in the class's scopes (`chain` of them: see {@link chainVars}).
 */
function prototypeVars(fn: Function, chain: number): number {
  const proto = Object.getOwnPropertyDescriptor(fn, "prototype")?.value as object | undefined;
  if (!proto || typeof proto !== "object") return 0;
  const names = Object.getOwnPropertyNames(proto).filter((n) => n !== "constructor");
  if (!names.length) return 0;
  let n = 3;
  for (const name of names) {
    const d = Object.getOwnPropertyDescriptor(proto, name)!;
    n += name.length > NAME_CHARS ? 1 + Math.ceil((name.length - NAME_CHARS) / 12) : 1;
    for (const f of [d.value, d.get, d.set]) if (typeof f === "function") n += FUNCTION_VARS + f.length + chainVars(chain);
    if (d.get || d.set) n += 2;
  }
  return n;
}

/**
 * A function made inside `chain` function scopes: inside more than one, Espruino stores a copy of
 * the scope chain with it (jsparse.c jspeiGetScopesAsVar: an array, one element per scope)
 * instead of a link to the one scope.
 */
function chainVars(chain: number): number {
  return chain > 1 ? 1 + chain : 0;
}

/** Counts the vars reachable from `roots`, each object once. */
export function countVars(roots: unknown[], options: VarCountOptions, seen = new Set<unknown>()): number {
  const B = options.bytesEach;
  let total = 0;
  const seenScopes = new Set<string>();
  const stack: unknown[] = [...roots];
  /** A scope: its object, a name var per variable, and the values pushed to be counted. */
  const scope = (sc: ClosureScope): void => {
    if (seenScopes.has(sc.key)) return;
    seenScopes.add(sc.key);
    total += SCOPE_VARS;
    for (let i = 0; i < sc.names.length; i++) {
      total += sc.names[i].length > 4 ? stringVars(sc.names[i].length, B) : 1;
      const val = sc.values[i];
      if (typeof val === "number" && Number.isInteger(val) && Math.abs(val) < 2 ** 31) continue;
      if (typeof val === "boolean") continue;
      stack.push(val);
    }
  };
  for (const sc of options.stackScopes ?? []) scope(sc);
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
        const { scopes, outer, evaluated } = options.scopes(v as Function);
        const chain = outer + scopes.filter((sc) => sc.function).length;
        if (evaluated) total += prototypeVars(v as Function, chain);
        if (scopes.length || outer) total += FUNCTION_VARS - 2 + (v as Function).length + chainVars(chain);
        for (const sc of scopes) scope(sc);
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
