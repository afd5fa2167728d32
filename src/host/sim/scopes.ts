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
  sinkId = post<{ result: RemoteObject }>("Runtime.evaluate", { expression: "globalThis.__spoolScopeSink", objectGroup: "spool-sim-sink" }).result.objectId;
}

function valueOf(r: RemoteObject): unknown {
  if (r.objectId === undefined) {
    if (r.unserializableValue !== undefined) return Number(r.unserializableValue.replace(/n$/, ""));
    return r.value;
  }
  received = undefined;
  post("Runtime.callFunctionOn", { objectId: r.objectId, functionDeclaration: "function(s){s(this)}", arguments: [{ objectId: sinkId }], objectGroup: GROUP });
  return received;
}

function idOf(v: object): number {
  let id = ids.get(v);
  if (id === undefined) ids.set(v, (id = nextId++));
  return id;
}

/**
 * The closure scopes of `fn`, innermost first (not the script's or the global one).
 * @throws Error when the inspector does not answer (Node without inspector support).
 */
export function closureScopes(fn: Function): ClosureScope[] {
  connect();
  // The function's handle, through a host global named only for this call.
  (globalThis as Record<string, unknown>).__spoolScopeProbe = fn;
  const probe = post<{ result: RemoteObject }>("Runtime.evaluate", { expression: "globalThis.__spoolScopeProbe", objectGroup: GROUP }).result;
  delete (globalThis as Record<string, unknown>).__spoolScopeProbe;
  const out: ClosureScope[] = [];
  try {
    const props = post<{ internalProperties?: { name: string; value?: RemoteObject }[] }>("Runtime.getProperties", { objectId: probe.objectId, ownProperties: true, objectGroup: GROUP });
    const scopes = (props.internalProperties || []).find((p) => p.name === "[[Scopes]]");
    if (!scopes || !scopes.value || !scopes.value.objectId) return out;
    const list = post<{ result: { name: string; value: RemoteObject & { description?: string } }[] }>("Runtime.getProperties", { objectId: scopes.value.objectId, ownProperties: true, objectGroup: GROUP });
    for (const s of list.result) {
      // "Closure (name)", "Block", "Catch": made by the program; not "Script" or "Global".
      if (!s.value.objectId || !/^(Closure|Block|Catch)/.test(s.value.description || "")) continue;
      const vars = post<{ result: { name: string; value?: RemoteObject }[] }>("Runtime.getProperties", { objectId: s.value.objectId, ownProperties: true, objectGroup: GROUP });
      const names: string[] = [];
      const values: unknown[] = [];
      let key = "";
      for (const v of vars.result) {
        const value = v.value ? valueOf(v.value) : undefined;
        names.push(v.name);
        values.push(value);
        key += v.name + "=" + ((value !== null && typeof value === "object") || typeof value === "function" ? "#" + idOf(value as object) : typeof value + ":" + String(value)) + ";";
      }
      out.push({ key, names, values });
    }
  } finally {
    post("Runtime.releaseObjectGroup", { objectGroup: GROUP });
  }
  return out;
}
