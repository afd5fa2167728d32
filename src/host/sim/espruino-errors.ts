/**
 * Espruino's Error objects in the simulation's context (jswrap_error.c): each of Error,
 * SyntaxError, TypeError, InternalError and ReferenceError makes a plain object with
 * enumerable `message` (when given), `type` and `stack`; there is no `name` (on the instance or
 * the prototype), `toString` writes `type: message` from the own fields, and no error class
 * inherits from Error (`new TypeError() instanceof Error` is false), and a class cannot extend
 * one (`super(message)` throws SyntaxError "Calling 'super' outside of class").
 *
 * Errors V8 raises itself are turned into the ones Espruino raises (jsparse.c, jsvar.c) where
 * the simulation sees them: in a `catch` (the rewrite in espruino-source.ts) and as uncaught.
 */
import * as vm from "node:vm";

/** Marks the prototypes of the context's error classes; the value is the class's type. */
export const ESPRUINO_ERROR: unique symbol = Symbol("espruino error");

export const ERROR_TYPES = ["Error", "SyntaxError", "TypeError", "InternalError", "ReferenceError"] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];

/** What Espruino raises where V8 raised `name: message`. */
export function espruinoErrorOf(name: string, message: string): { type: ErrorType; message: string } {
  let m = /^Cannot (?:read|set) properties of (undefined|null) \((?:reading|setting) '(.*)'\)$/.exec(message);
  // jspGetNamedField / jspeFactorMember: a write to a field of undefined fails on the read.
  if (m) return { type: "Error", message: `Can't read property '${m[2]}' of ${m[1]}` };
  m = /^(?:.*\.)?([A-Za-z_$][\w$]*) is not a function$/.exec(message);
  // jspeFunctionCall: the value called is not a function (jsExceptionHere "Function %q not found!").
  if (m) return { type: "Error", message: `Function "${m[1]}" not found!` };
  m = /^([A-Za-z_$][\w$]*) is not defined$/.exec(message);
  // jsvCheckReferenceError: "%q is not defined".
  if (name === "ReferenceError" && m) return { type: "ReferenceError", message: `"${m[1]}" is not defined` };
  const type = (ERROR_TYPES as readonly string[]).includes(name) ? (name as ErrorType) : "Error";
  return { type, message };
}

const INSTALL_SOURCE = `(function (MARK, types) {
  var made = {}, intrinsic = [];
  function define(o, k, v) { Object.defineProperty(o, k, { value: v, writable: true, configurable: true, enumerable: false }); }
  // jswrap_error_toString: the own "type" (else "Error"), then ": " and the own "message".
  function toString() {
    var t = Object.prototype.hasOwnProperty.call(this, "type") ? this.type : "Error";
    return Object.prototype.hasOwnProperty.call(this, "message") ? String(t) + ": " + String(this.message) : String(t);
  }
  types.forEach(function (type) {
    if (typeof globalThis[type] === "function") intrinsic.push(globalThis[type]);
    var E = function (message) {
      // jspeSuperCall: a class cannot call a builtin constructor as its super (2v29).
      if (new.target && new.target !== E) throw new made.SyntaxError("Calling 'super' outside of class");
      var o = this instanceof E ? this : Object.create(E.prototype);
      if (message !== undefined) o.message = String(message);
      o.type = type;
      o.stack = "";
      return o;
    };
    Object.defineProperty(E, "name", { value: type, configurable: true });
    var proto = {};
    define(proto, "constructor", E);
    define(proto, "toString", toString);
    Object.defineProperty(proto, MARK, { value: type });
    E.prototype = proto;
    define(globalThis, type, E);
    made[type] = E;
  });
  ["RangeError", "URIError", "EvalError"].forEach(function (k) {
    if (typeof globalThis[k] === "function") intrinsic.push(globalThis[k]);
  });
  function raisedByV8(e) {
    for (var i = 0; i < intrinsic.length; i++) if (e instanceof intrinsic[i]) return true;
    return false;
  }
  return { made: made, raisedByV8: raisedByV8 };
})`;

/** The context's error classes and the translation of V8's own errors. */
export interface EspruinoErrors {
  /** The context's constructors, by type. */
  made: Record<ErrorType, new (message?: string) => object>;
  /** `e` as Espruino would have raised it: V8's own errors translated, anything else as it is. */
  caught(e: unknown): unknown;
}

/**
 * Replaces the error classes of a context with Espruino's (after its builtins are pruned: the
 * V8 classes it replaces must be the ones still there).
 */
export function installEspruinoErrors(ctx: vm.Context): EspruinoErrors {
  const inside = vm.runInContext(INSTALL_SOURCE, ctx)(ESPRUINO_ERROR, [...ERROR_TYPES]) as {
    made: EspruinoErrors["made"];
    raisedByV8(e: unknown): boolean;
  };
  return {
    made: inside.made,
    caught(e) {
      if (!e || typeof e !== "object" || (e as Record<symbol, unknown>)[ESPRUINO_ERROR] || !inside.raisedByV8(e)) return e;
      const v8 = e as { name?: unknown; message?: unknown };
      const t = espruinoErrorOf(String(v8.name), String(v8.message));
      return new inside.made[t.type](t.message);
    },
  };
}

/** The type of an Espruino error object of the context, else undefined. */
export function espruinoErrorType(x: unknown): string | undefined {
  if (!x || typeof x !== "object") return undefined;
  const t = (x as Record<symbol, unknown>)[ESPRUINO_ERROR];
  return typeof t === "string" ? t : undefined;
}
