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
  /** A function's scope (V8's "Closure"; a frame's "local"), or a block's or a catch's. */
  function: boolean;
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

/** A scope's identity while it lives: its names and the identities of its object values. */
function scopeKey(names: string[], values: unknown[]): string {
  let key = "";
  for (let i = 0; i < names.length; i++) {
    const value = values[i];
    key +=
      names[i] +
      "=" +
      ((value !== null && typeof value === "object") || typeof value === "function"
        ? "#" + idOf(value as object)
        : typeof value + ":" + String(value)) +
      ";";
  }
  return key;
}

/** The scopes a function was made in. */
export interface FunctionScopes {
  /** Its closure scopes as V8 keeps them, innermost first (not the script's or the global one). */
  scopes: ClosureScope[];
  /**
   * Function scopes around the code it comes from that V8 does not show: code evaluated by the
   * program's `eval`, which V8 runs at global scope and Espruino in its caller's scope
   * ({@link evalScriptName}).
   */
  outer: number;
  /**
   * Made by code the program evaluated at run time (a part), not by the boot code, whose module
   * level code-vars.ts counts from its syntax (classes and their methods included).
   */
  evaluated: boolean;
}

const NONE: FunctionScopes = { scopes: [], outer: 0, evaluated: false };

/** Functions made at global scope: no closure scope, ever (a function's scopes never change). */
const unscoped = new WeakSet<Function>();

/**
 * The scopes `fn` was made in.
 * @throws Error when the inspector does not answer (Node without inspector support).
 */
export function closureScopes(fn: Function): FunctionScopes {
  if (unscoped.has(fn)) return NONE;
  connect();
  const out: ClosureScope[] = [];
  let outer: number | undefined;
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
    const location = (props.internalProperties || []).find((p) => p.name === "[[FunctionLocation]]");
    outer = evalScopes.get((location?.value?.value as { scriptId?: string } | undefined)?.scriptId ?? "");
    const scopes = (props.internalProperties || []).find((p) => p.name === "[[Scopes]]");
    if (!scopes?.value?.objectId) return { scopes: out, outer: outer ?? 0, evaluated: outer !== undefined };
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
      const obj = sc.object;
      const names = Object.keys(obj);
      const values = names.map((n) => obj[n]);
      out.push({ key: scopeKey(names, values), names, values, function: sc.description!.startsWith("Closure") });
    }
    if (!out.length && outer === undefined) unscoped.add(fn);
  } finally {
    delete (globalThis as Record<string, unknown>).__spoolScopeProbe;
    post("Runtime.releaseObjectGroup", { objectGroup: GROUP });
  }
  return { scopes: out, outer: outer ?? 0, evaluated: outer !== undefined };
}

/** What the running code holds on its stack: each device frame's scopes, and the `this` of each frame. */
export interface StackHold {
  scopes: ClosureScope[];
  values: unknown[];
}

/** Scripts of the program (not the host's modules nor Node's own, whose URLs are file: or node:). */
const programScripts = new Set<string>();
/** Code the program evaluated, by script: the function scopes its caller was in ({@link evalScriptName}). */
const evalScopes = new Map<string, number>();
const EVAL_SCRIPT = /^spool-eval:(\d+)$/;
let debuggerOn = false;
/**
 * Where a paused frame hands its values back to: set on the program's global only while the
 * stack is read (the program's context has no Symbol: Espruino lacks it).
 */
const STACK_SINK = "__spoolStackSink";
const SINK_CALL = `function(){globalThis.${STACK_SINK}(this)}`;
const PROBE = new Function("debugger") as () => void;
let stackReceived: unknown;
let pauseFor: "hold" | "depth" = "hold";
let hold: StackHold | undefined;
let depth = 0;

function enableDebugger(): void {
  if (debuggerOn) return;
  connect();
  session!.on("Debugger.scriptParsed", (m) => {
    const { url = "", scriptId } = m.params as { url?: string; scriptId: string };
    if (!/^(file:|node:|\/)/.test(url)) programScripts.add(scriptId);
    const ev = EVAL_SCRIPT.exec(url);
    if (ev) evalScopes.set(scriptId, Number(ev[1]));
  });
  session!.on("Debugger.paused", (m) => {
    try {
      const frames = (m.params as { callFrames: CallFrame[] }).callFrames;
      if (pauseFor === "hold") hold = readFrames(frames);
      else depth = callerScopes(frames);
    } finally {
      post("Debugger.resume", {});
    }
  });
  post("Debugger.enable", {});
  debuggerOn = true;
}

interface CallFrame {
  location: { scriptId: string };
  scopeChain: { type: string; object: RemoteObject }[];
  this: RemoteObject;
}

/** The value behind a handle of a paused frame's context (a scope object or `this`). */
function handleValue(o: RemoteObject): unknown {
  if (!o.objectId) return o.value;
  stackReceived = undefined;
  try {
    post("Runtime.callFunctionOn", { objectId: o.objectId, functionDeclaration: SINK_CALL, objectGroup: GROUP });
  } catch {
    return undefined;
  }
  return stackReceived;
}

/** The function scopes of the program's innermost frame on the stack (0 at global scope). */
function callerScopes(frames: CallFrame[]): number {
  for (const f of frames.slice(1)) {
    if (programScripts.has(f.location.scriptId)) return f.scopeChain.filter((sc) => sc.type === "local" || sc.type === "closure").length;
  }
  return 0;
}

function readFrames(frames: CallFrame[]): StackHold {
  const out: StackHold = { scopes: [], values: [] };
  // The first frame is the probe itself.
  for (const f of frames.slice(1)) {
    if (!programScripts.has(f.location.scriptId)) continue;
    for (const sc of f.scopeChain) {
      if (!/^(local|block|closure|catch)$/.test(sc.type)) continue;
      const obj = handleValue(sc.object) as Record<string, unknown> | undefined;
      if (!obj) continue;
      const names = Object.keys(obj);
      const values = names.map((n) => obj[n]);
      out.scopes.push({ key: scopeKey(names, values), names, values, function: sc.type === "local" || sc.type === "closure" });
    }
    if (f.this?.type === "object") out.values.push(handleValue(f.this));
  }
  post("Runtime.releaseObjectGroup", { objectGroup: GROUP });
  return out;
}

/**
 * What the program's frames on the stack now hold (the caller is host code called by the
 * program: a hal call): the variables of each frame's scopes and its `this`, as Espruino's
 * garbage collector keeps them (a running function's scope is locked). `global` is the
 * program's global object, where the frames hand their values back.
 * @throws Error when the inspector does not answer.
 */
export function stackHold(global: object): StackHold {
  enableDebugger();
  Object.defineProperty(global, STACK_SINK, {
    value: (v: unknown) => {
      stackReceived = v;
    },
    configurable: true,
    enumerable: false,
  });
  hold = undefined;
  pauseFor = "hold";
  try {
    PROBE();
  } finally {
    delete (global as Record<string, unknown>)[STACK_SINK];
  }
  const out = hold ?? { scopes: [], values: [] };
  hold = undefined;
  return out;
}

/**
 * The script name to compile the body given to the program's `Function` with: Espruino runs it in
 * one scope of its own whatever the caller's (jswrap_function_constructor keeps no scope), so the
 * functions it makes count as made inside one function, as V8 makes them too.
 * @throws Error when the inspector does not answer.
 */
export function functionScriptName(): string {
  enableDebugger();
  return "spool-eval:0";
}

/**
 * The script name to compile code the program evaluates with, from host code the program called
 * (its `eval`): it records the function scopes the caller is in, which Espruino's `eval` runs the
 * code within (jswrap_eval: "use the current scope") and V8's global eval does not, so that each
 * function the code makes counts the scope chain Espruino copies for it (memory.ts).
 * @throws Error when the inspector does not answer.
 */
export function evalScriptName(): string {
  enableDebugger();
  depth = 0;
  pauseFor = "depth";
  PROBE();
  pauseFor = "hold";
  return `spool-eval:${depth}`;
}
