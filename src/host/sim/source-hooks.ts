/**
 * The run-time side of the source rewrite (espruino-source.ts): the functions the rewritten
 * code calls for `+` with text, number-to-text conversions, caught errors, builtin members
 * looked up through a prototype, `eval` and `new Function`.
 */
import * as vm from "node:vm";
import type { EspruinoErrors } from "./espruino-errors.ts";
import { espruinoSource, type SourceHooks } from "./espruino-source.ts";
import { espruinoNumberText } from "./number-text.ts";

/** A number as Espruino turns it into text: int32s as V8 does, others by Espruino's ftoa. */
function numberText(n: number): string {
  return (n | 0) === n ? String(n) : espruinoNumberText(n);
}

/** The builtin members of each builtin prototype but Object's, as the context starts. */
function builtinMembers(G: any): Map<object, Map<string, unknown>> {
  const out = new Map<object, Map<string, unknown>>();
  const protos = Object.getOwnPropertyNames(G).map((k) => Object.getOwnPropertyDescriptor(G, k)?.value?.prototype);
  protos.push(Object.getPrototypeOf(G.Uint8Array.prototype));
  for (const p of protos) {
    if (!p || (typeof p !== "object" && typeof p !== "function") || p === G.Object.prototype || out.has(p)) continue;
    const members = new Map<string, unknown>();
    for (const k of Object.getOwnPropertyNames(p)) {
      const d = Object.getOwnPropertyDescriptor(p, k)!;
      if ("value" in d && k !== "constructor") members.set(k, d.value);
    }
    out.set(p, members);
  }
  return out;
}

/** The hooks the rewritten code calls (espruino-source.ts). */
export function sourceHooks(
  errors: EspruinoErrors,
  ctx: vm.Context,
  options: {
    /** The script name for code the global `eval` runs, asked for as it is called (the memory count's, scopes.ts). */
    evalName?: () => string;
    /** The script name for the body given to `Function` (scopes.ts), asked for as it is called; absent: V8's own `Function`. */
    functionName?: () => string;
  } = {},
): SourceHooks {
  const G = vm.runInContext("globalThis", ctx);
  const builtins = builtinMembers(G);
  const v8Eval = G.eval;
  const source = (code: unknown) => (typeof code === "string" ? espruinoSource(code) : code);
  // Indirect eval: global scope, as V8 runs it.
  const globalEval = (code: unknown) =>
    typeof code === "string" ? vm.runInContext(espruinoSource(code), ctx, { filename: options.evalName?.() }) : code;
  const objectProto = G.Object.prototype;
  // A plain function, not an arrow: called with `new` or without, it returns the function made.
  const newFunction = function (...args: unknown[]): unknown {
    const last = args.length - 1;
    if (last >= 0) args[last] = source(args[last]);
    if (!options.functionName) return new G.Function(...args);
    // What V8's Function compiles, under a script name the memory count recognises.
    const params = args.slice(0, Math.max(last, 0)).join(",");
    const body = last >= 0 ? String(args[last]) : "";
    return vm.runInContext("(function anonymous(" + params + "\n) {\n" + body + "\n})", ctx, { filename: options.functionName() });
  };
  const add = (a: any, b: any): any => {
    if (typeof a === "string") return typeof b === "number" ? a + numberText(b) : a + b;
    if (typeof b === "string" && typeof a === "number") return numberText(a) + b;
    return a + b;
  };
  return {
    add,
    addTo: (o, k, v) => (o[k] = add(o[k], v)),
    text: (v) => (typeof v === "number" ? numberText(v) : v),
    caught: (e) => errors.caught(e),
    protoGet: (proto, key) => {
      const v = proto[key];
      let owner: any = proto;
      while (owner && owner !== objectProto && !Object.hasOwn(owner, key)) owner = Object.getPrototypeOf(owner);
      if (!owner || owner === objectProto || builtins.get(owner)?.get(key) !== v || !builtins.has(proto)) return v;
      return Object.hasOwn(objectProto, key) ? objectProto[key] : undefined;
    },
    source,
    evalOf: (o) => (o.eval === v8Eval ? globalEval : o.eval),
    newFunction,
    functionOf: (o) => (o.Function === G.Function ? newFunction : o.Function),
  };
}
