/**
 * The variables a function's closure holds, read through V8's inspector (`[[Scopes]]`), which
 * the program itself cannot see: the simulation counts them as JsVars, as Espruino keeps every
 * scope a living function was made in (memory.ts). Synchronous: Node's in-process inspector
 * session answers `post` before it returns.
 *
 * V8 keeps only the variables some closure uses (the others are optimised away), where Espruino
 * keeps the whole scope: the count is calibrated against the interpreter (docs/memory.md).
 */
import { Session } from "node:inspector";

/** One closure scope: its variable names and their values, in the same order. */
export interface ClosureScope {
  /** Stable for the scope while it lives: its names and the identities of its object values. */
  key: string;
  names: string[];
  values: unknown[];
}

interface RemoteObject {
  type: string;
  value?: unknown;
  objectId?: string;
  unserializableValue?: string;
}

const GROUP = "spool-sim-scopes";

let session: Session | undefined;
let sinkId: string | undefined;
let received: unknown;
const ids = new WeakMap<object, number>();
let nextId = 1;

function post<T>(method: string, params: object): T {
  let out: T | undefined;
  let err: Error | null = null;
  session!.post(method, params, (e, r) => {
    err = e;
    out = r as T;
  });
  if (err) throw err;
  if (out === undefined) throw new Error(`inspector: ${method} did not answer synchronously`);
  return out;
}

function connect(): void {
  if (session) return;
  session = new Session();
  session.connect();
  // The bridge back from the inspector's handles to values: a host function each value is passed to.
  (globalThis as Record<string, unknown>).__spoolScopeSink = (v: unknown) => {
    received = v;
  };
  sinkId = post<{ result: RemoteObject }>("Runtime.evaluate", { expression: "globalThis.__spoolScopeSink", objectGroup: "spool-sim-sink" })
    .result.objectId;
}

function idOf(v: object): number {
  let id = ids.get(v);
  if (id === undefined) ids.set(v, (id = nextId++));
  return id;
}

/** Functions made at global scope: no closure scope, ever (a function's scopes never change). */
const unscoped = new WeakSet<Function>();

/**
 * The closure scopes of `fn`, innermost first (not the script's or the global one).
 * @throws Error when the inspector does not answer (Node without inspector support).
 */
export function closureScopes(fn: Function): ClosureScope[] {
  if (unscoped.has(fn)) return [];
  connect();
  const out: ClosureScope[] = [];
  // The function's handle, through a host global named only for this call.
  (globalThis as Record<string, unknown>).__spoolScopeProbe = fn;
  try {
    const probe = post<{ result: RemoteObject }>("Runtime.evaluate", {
      expression: "globalThis.__spoolScopeProbe",
      objectGroup: GROUP,
    }).result;
    const props = post<{ internalProperties?: { name: string; value?: RemoteObject }[] }>("Runtime.getProperties", {
      objectId: probe.objectId,
      ownProperties: true,
      objectGroup: GROUP,
    });
    const scopes = (props.internalProperties || []).find((p) => p.name === "[[Scopes]]");
    if (!scopes?.value?.objectId) return out;
    // The scope list comes back as an array of { description, object }, each object holding the
    // scope's variables (the values themselves): one call per function, not one per variable.
    received = undefined;
    post("Runtime.callFunctionOn", {
      objectId: scopes.value.objectId,
      functionDeclaration: "function(s){s(this)}",
      arguments: [{ objectId: sinkId }],
      objectGroup: GROUP,
    });
    const list = received as ArrayLike<{ description?: string; object?: Record<string, unknown> }> | undefined;
    received = undefined;
    for (let i = 0; list && i < list.length; i++) {
      const sc = list[i];
      // "Closure (name)", "Block", "Catch": made by the program; not "Script" or "Global".
      if (!sc?.object || !/^(Closure|Block|Catch)/.test(sc.description || "")) continue;
      const names = Object.keys(sc.object);
      const values: unknown[] = [];
      let key = "";
      for (const name of names) {
        const value = sc.object[name];
        values.push(value);
        key +=
          name +
          "=" +
          ((value !== null && typeof value === "object") || typeof value === "function"
            ? "#" + idOf(value as object)
            : typeof value + ":" + String(value)) +
          ";";
      }
      out.push({ key, names, values });
    }
    if (!out.length) unscoped.add(fn);
  } finally {
    delete (globalThis as Record<string, unknown>).__spoolScopeProbe;
    post("Runtime.releaseObjectGroup", { objectGroup: GROUP });
  }
  return out;
}
