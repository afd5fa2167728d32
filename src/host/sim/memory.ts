/**
 * A rough estimate of how many JsVars a value takes in Espruino (`E.getSizeOf`,
 * `process.memory().usage`). Rules, per jsvar.h: every object/array/function is one var plus one
 * per property (the name var; an integer or other small value fits in it), names and strings
 * take blocks as {@link stringBlocks} says for the board's JsVar size, a typed array takes two
 * vars plus its bytes ({@link bufferVars}), a function's code counts only when `codeInRam` (code
 * uploaded from the console; a bundle loaded from Storage keeps its code in flash).
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
  /**
   * Strings `Storage.read` returned: on the interpreter they stay in flash (jsflash.c
   * `jsfReadFile`: one JsVar whatever their length).
   */
  flashStrings?: Set<string>;
}

/**
 * A function made at run time, beyond the function var itself: its code (a pointer into flash),
 * its name and the link to its scope (measured 5.1-5.3 JsVars each made inside a function on the
 * 2v29 Linux build, docs/memory.md), plus one per parameter.
 */
const FUNCTION_VARS = 4;
/** A scope: the object that holds its variables. */
const SCOPE_VARS = 1;

/** What one JsVar holds of a name, of a string's first block and of each further block, in characters. */
export interface StringBlocks {
  name: number;
  first: number;
  ext: number;
}

/**
 * Per JsVar size, from src/jsutils.h (2v29): a name holds JSVAR_DATA_STRING_NAME_LEN characters
 * (8 on a 64-bit build, 4 on a 32-bit chip), a string JSVAR_DATA_STRING_LEN in its first block
 * and JSVAR_DATA_STRING_MAX_LEN in each further one (the name length plus what the references
 * leave). Measured with `E.getSizeOf` of names and strings on the 2v29 Linux build (27 bytes:
 * 32-bit references) and its 1,600-JsVar variant (16 bytes: 11-bit references); derived for the
 * chips: ESP32 (14 bytes, 14-bit references) and ESP8266 (12 bytes, 11-bit references), which no
 * build on this machine has (a 32-bit Linux build would need 32-bit system libraries).
 */
const STRING_BLOCKS: Record<number, StringBlocks> = {
  27: { name: 8, first: 20, ext: 21 },
  16: { name: 8, first: 12, ext: 12 },
  14: { name: 4, first: 9, ext: 10 },
  12: { name: 4, first: 8, ext: 8 },
};

/** The block sizes of a board's JsVars (the nearest smaller size measured or derived). */
export function stringBlocks(bytesEach: number): StringBlocks {
  let best = 12;
  for (const k of Object.keys(STRING_BLOCKS)) if (+k <= bytesEach && +k > best) best = +k;
  return STRING_BLOCKS[best];
}

/** JsVars for a string of `len` chars. */
export function stringVars(len: number, bytesEach: number): number {
  const b = stringBlocks(bytesEach);
  return len <= b.first ? 1 : 1 + Math.ceil((len - b.first) / b.ext);
}

/** JsVars for a name (a property's, a variable's) of `len` chars, its value aside. */
export function nameVars(len: number, bytesEach: number): number {
  const b = stringBlocks(bytesEach);
  return len <= b.name ? 1 : 1 + Math.ceil((len - b.name) / b.ext);
}

/**
 * JsVars of an ArrayBuffer's bytes: past JSV_FLAT_STRING_BREAK_EVEN (the first and a further
 * block) one flat string, a header and then whole JsVars of bytes (jswrap_arraybuffer.c), else a
 * string of blocks.
 */
export function bufferVars(len: number, bytesEach: number): number {
  const b = stringBlocks(bytesEach);
  return len > b.first + b.ext ? 1 + Math.ceil(len / bytesEach) : stringVars(len, bytesEach);
}

/**
 * A class's prototype as Espruino stores it (jsparse.c jspeClassDefinition): the `prototype` name,
 * the object, its `constructor` name, and per method its name and the method (a function made in
 * the class's scope: 4 plus one per parameter), per getter/setter its name and a pair of 2 plus
 * the functions. V8 keeps methods non-enumerable, so the walk of own keys does not see them.
 * Each method is made in the class's scopes (`chain` of them: see {@link chainVars}).
 */
function prototypeVars(fn: Function, chain: number, bytesEach: number): number {
  const proto = Object.getOwnPropertyDescriptor(fn, "prototype")?.value as object | undefined;
  if (!proto || typeof proto !== "object") return 0;
  const names = Object.getOwnPropertyNames(proto).filter((n) => n !== "constructor");
  if (!names.length) return 0;
  let n = 3;
  for (const name of names) {
    const d = Object.getOwnPropertyDescriptor(proto, name)!;
    n += nameVars(name.length, bytesEach);
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
      total += nameVars(sc.names[i].length, B);
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
      total += options.flashStrings?.has(v as string) ? 1 : stringVars((v as string).length, B);
      continue;
    }
    if (t !== "object" && t !== "function") continue;
    if (seen.has(v)) continue;
    seen.add(v);
    if (ArrayBuffer.isView(v)) {
      total += 2 + bufferVars((v as ArrayBufferView).byteLength, B);
      continue;
    }
    if (t === "function") {
      total += 2;
      if (options.codeInRam) total += stringVars(Function.prototype.toString.call(v).length, B);
      if (options.scopes) {
        const { scopes, outer, evaluated } = options.scopes(v as Function);
        const chain = outer + scopes.filter((sc) => sc.function).length;
        if (evaluated) total += prototypeVars(v as Function, chain, B);
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
      total += nameVars(k.length, B);
      if (typeof val === "number" && Number.isInteger(val) && Math.abs(val) < 2 ** 31) continue;
      if (typeof val === "boolean") continue;
      stack.push(val);
    }
  }
  return total;
}
