/**
 * The gate's view of Espruino's standard library, derived from the one list of what the
 * interpreter has (src/host/espruino-builtins.ts, which the simulation uses too). The build
 * gate refuses what is not there.
 */
import { BANNED_PROPS, ESPRUINO_MISSING_GLOBALS, ESPRUINO_PROPS, TYPED_ARRAYS } from "../espruino-builtins.ts";

/** Globals Espruino does not have at all. */
export const MISSING_GLOBALS: ReadonlySet<string> = new Set(ESPRUINO_MISSING_GLOBALS);

const STATIC_OWNERS = ["Math", "Number", "Object", "Promise", "Array", "String", "Date", "JSON", "ArrayBuffer", ...TYPED_ARRAYS];
const NOT_CONSTRUCTORS = new Set(["Math", "JSON"]);

/** Static members each builtin constructor (and Math, JSON) has. Any other static member of these is refused. */
export const STATIC_MEMBERS: Readonly<Record<string, ReadonlySet<string>>> = Object.fromEntries(
  STATIC_OWNERS.map((name) => {
    const own = ESPRUINO_PROPS[TYPED_ARRAYS.includes(name) ? "TypedArray" : name] ?? [];
    return [name, new Set(NOT_CONSTRUCTORS.has(name) ? own : [...own, "prototype"])];
  }),
);

/** V8's prototypes of the builtins Espruino has, by the names ESPRUINO_PROPS uses. */
const V8_PROTOTYPES: Record<string, object> = {
  "Object.prototype": Object.prototype,
  "Function.prototype": Function.prototype,
  "Array.prototype": Array.prototype,
  "String.prototype": String.prototype,
  "Number.prototype": Number.prototype,
  "Boolean.prototype": Boolean.prototype,
  "Promise.prototype": Promise.prototype,
  "RegExp.prototype": RegExp.prototype,
  "Date.prototype": Date.prototype,
  "Error.prototype": Error.prototype,
  "ArrayBuffer.prototype": ArrayBuffer.prototype,
  "TypedArray.prototype": Object.getPrototypeOf(Uint8Array.prototype) as object,
  "DataView.prototype": DataView.prototype,
};

/** Names of the methods (function-valued own properties) V8 has on `proto`. */
function v8Methods(proto: object): string[] {
  return Object.getOwnPropertyNames(proto).filter(
    (k) => k !== "constructor" && typeof Object.getOwnPropertyDescriptor(proto, k)?.value === "function",
  );
}

const ESPRUINO_PROTO_NAMES = new Set(Object.keys(V8_PROTOTYPES).flatMap((p) => ESPRUINO_PROPS[p] ?? []));

/**
 * Method names no Espruino builtin prototype has: every method of V8's builtin prototypes
 * (Node's own, so the list grows with new ECMAScript versions) that is on none of Espruino's.
 * A call `x.name(...)` is refused unless the bundle itself defines a method or property of
 * that name (then `x` may well be one of its own objects).
 */
export const MISSING_METHODS: ReadonlySet<string> = new Set(
  Object.values(V8_PROTOTYPES)
    .flatMap(v8Methods)
    .filter((k) => !ESPRUINO_PROTO_NAMES.has(k)),
);

/**
 * Array methods Espruino lacks though another builtin has the name (`lastIndexOf`: strings
 * have it): refused on receivers that are plainly arrays.
 */
export const MISSING_ARRAY_METHODS: ReadonlySet<string> = new Set(
  v8Methods(Array.prototype).filter((k) => !ESPRUINO_PROPS["Array.prototype"].includes(k) && !MISSING_METHODS.has(k)),
);

/**
 * Methods Espruino 2v29 has but the project's target list bans, so the gate refuses them too.
 * A banned name no other builtin has (`repeat`) is refused on any receiver; `fill` only on
 * receivers that are plainly arrays (typed arrays have their own fill).
 */
export const BANNED_METHODS: ReadonlySet<string> = new Set(
  Object.values(BANNED_PROPS)
    .flat()
    .filter((k) => !unbannedElsewhere(k)),
);
export const BANNED_ARRAY_METHODS: ReadonlySet<string> = new Set((BANNED_PROPS["Array.prototype"] ?? []).filter(unbannedElsewhere));

/** Does a builtin prototype have `name` without banning it? */
function unbannedElsewhere(name: string): boolean {
  return Object.keys(V8_PROTOTYPES).some((p) => (ESPRUINO_PROPS[p] ?? []).includes(name) && !(BANNED_PROPS[p] ?? []).includes(name));
}

/**
 * Calls whose function arguments run later, not during the call: a function passed to these is
 * not treated as running "now" by the use-before-declaration rule.
 */
export const DEFERRING_CALLS: ReadonlySet<string> = new Set([
  "setTimeout",
  "setInterval",
  "setWatch",
  "on",
  "once",
  "addListener",
  "then",
  "catch",
  "prependListener",
]);
