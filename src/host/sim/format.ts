/**
 * Printing values the way Espruino's console does (jsfPrintJSON): `print`/`console.log` quote
 * object keys, the REPL echo (`=value`) drops the quotes. Numbers print as the interpreter
 * prints them (number-text.ts).
 */
import { espruinoNumberText } from "./number-text.ts";
import { espruinoErrorType } from "./espruino-errors.ts";

/** A number as Espruino prints it (src/host/sim/number-text.ts). */
export function formatNumber(n: number): string {
  return espruinoNumberText(n);
}

function quote(s: string): string {
  return JSON.stringify(s);
}

const TYPED = /^(Uint8|Int8|Uint8Clamped|Uint16|Int16|Uint32|Int32|Float32|Float64)Array$/;

/** Formats a value of the interpreter for the console. */
export function formatValue(v: unknown, options: { dropQuotes?: boolean; depth?: number } = {}): string {
  const seen = new Set<unknown>();
  const drop = options.dropQuotes ?? false;
  const maxDepth = options.depth ?? 6;
  function key(k: string): string {
    return drop && /^[A-Za-z_$][\w$]*$/.test(k) ? k : quote(k);
  }
  function fmt(x: unknown, depth: number): string {
    if (x === undefined) return "undefined";
    if (x === null) return "null";
    switch (typeof x) {
      case "number":
        return formatNumber(x);
      case "string":
        return quote(x);
      case "boolean":
        return String(x);
      case "function": {
        const src = Function.prototype.toString.call(x);
        return src.startsWith("class") || src.startsWith("function") || src.includes("=>")
          ? src.replace(/\s+/g, " ")
          : "function () { [native code] }";
      }
      case "object": {
        if (seen.has(x) || depth > maxDepth) return "{ ... }";
        seen.add(x);
        try {
          const ctor = (x as { constructor?: { name?: string } }).constructor?.name ?? "";
          if (ArrayBuffer.isView(x) && TYPED.test(ctor)) {
            const arr = Array.prototype.slice.call(x as unknown as ArrayLike<number>);
            return `new ${ctor}([${arr.map((n) => formatNumber(n as number)).join(", ")}])`;
          }
          if (Array.isArray(x)) {
            if (x.length === 0) return "[ ]";
            return `[ ${x.map((e) => fmt(e, depth + 1)).join(", ")} ]`;
          }
          const errorType = espruinoErrorType(x);
          // An instance of a builtin class prints as the class name and its toString.
          if (errorType !== undefined) return `${errorType}: ${String(x)}`;
          if (Object.prototype.toString.call(x) === "[object Error]" || x instanceof Error) {
            const e = x as Error;
            return `${e.name}: ${e.message}`;
          }
          const keys = Object.keys(x as object);
          if (keys.length === 0) return "{ }";
          const body = keys.map((k) => `${key(k)}: ${fmt((x as Record<string, unknown>)[k], depth + 1)}`).join(", ");
          return `{ ${body} }`;
        } finally {
          seen.delete(x);
        }
      }
      default:
        return String(x);
    }
  }
  return fmt(v, 0);
}

/** What `print(a, b, ...)` writes: strings as they are, other values formatted, space separated. */
export function formatPrintArgs(args: unknown[]): string {
  return args.map((a) => (typeof a === "string" ? a : formatValue(a))).join(" ");
}

/**
 * How the interpreter reports an uncaught exception, first line: `Uncaught Error: msg`, or
 * `Uncaught ` and the thrown value as a string.
 */
export function formatUncaught(e: unknown): string {
  // jsiConsolePrintf("Uncaught %v"): an Espruino error as its toString.
  if (espruinoErrorType(e) !== undefined) return `Uncaught ${String(e)}`;
  if (e && typeof e === "object" && "message" in e) {
    const err = e as { name?: string; message?: string };
    return `Uncaught ${err.name ?? "Error"}: ${err.message ?? ""}`;
  }
  // jsiConsolePrintf("Uncaught %v"): the value as a string, so a string shows without quotes.
  if (typeof e === "number") return `Uncaught ${formatNumber(e)}`;
  if (e === null || typeof e !== "object") return `Uncaught ${String(e)}`;
  try {
    return `Uncaught ${String(e)}`;
  } catch {
    return `Uncaught ${formatValue(e)}`;
  }
}
