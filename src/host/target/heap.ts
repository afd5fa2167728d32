/**
 * What holds the interpreter's JsVars: `E.dumpVariables()` read as a graph and reduced to its
 * dominator tree, so each entry says how many JsVars would be freed if it alone went away
 * (its retained size). docs/memory.md uses it to find what to cut.
 *
 * The dump's format (Espruino src/jswrap_espruino.c, `jswrap_e_dumpVariables`): a header line
 * `ref,size,flags,name,links...`, then one line per allocated JsVar that is not a string's
 * continuation block: its ref, the blocks it takes (string blocks and flat-string blocks
 * included), its type (`flags & JSV_VARTYPEMASK`), a label (a name in quotes, `String "..."`,
 * `Number ...`, `Object`, `Array` or nothing) and the refs it links to, each followed by a comma.
 * Ref 1 is the root (`global`).
 */
import dominators from "dominators";
import type { EspruinoProcess } from "./espruino-process.ts";

/** One line of `E.dumpVariables()`. */
export interface HeapVar {
  ref: number;
  /** JsVars it takes, its string or flat-string blocks included. */
  size: number;
  /** `flags & JSV_VARTYPEMASK` (src/jsvar.h). */
  type: number;
  /** The dump's label: `"name"` for a name, `String "..."`, `Number ...`, `Object`, `Array` or "". */
  label: string;
  links: number[];
}

/** A node of the dominator tree. */
export interface HeapNode {
  ref: number;
  size: number;
  /** JsVars freed if this one went: its own size plus everything only reachable through it. */
  retained: number;
  label: string;
  type: number;
  /** The shortest chain of property names from `global` that reaches it. */
  path: string;
  /** What it dominates, largest retained first. */
  children: HeapNode[];
}

export interface HeapTree {
  root: HeapNode;
  /** Every JsVar in the dump. */
  total: number;
  /** JsVars no link from the root reaches (garbage, or a running line's own text). */
  unreachable: number;
}

const HEADER = "ref,size,flags,name,links...";
const LINE = /^(\d+),(\d+),(\d+),("(?:[^"\\]|\\.)*"|String "(?:[^"\\]|\\.)*"|[^,]*),((?:\d+,)*)$/;
const ROOT_REF = 1;

/**
 * Parses the text `E.dumpVariables()` printed (from its header line up to the first line that is
 * not a variable, such as the prompt).
 * @throws Error when the header is missing or a variable line is malformed.
 */
export function parseVariableDump(text: string): HeapVar[] {
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((l) => l.trim() === HEADER);
  if (start < 0) throw new Error(`no "${HEADER}" line: is this the output of E.dumpVariables()?`);
  const vars: HeapVar[] = [];
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i];
    if (!/^\d+,/.test(line)) break;
    const m = LINE.exec(line);
    if (!m) throw new Error(`line ${i + 1} of the dump is not ref,size,flags,name,links...: ${line}`);
    vars.push({
      ref: Number(m[1]),
      size: Number(m[2]),
      type: Number(m[3]),
      label: m[4],
      links: m[5].split(",").filter(Boolean).map(Number),
    });
  }
  if (!vars.some((v) => v.ref === ROOT_REF)) throw new Error(`the dump has no root (ref ${ROOT_REF})`);
  return vars;
}

/** Names for the types a dump shows without a label (src/jsvar.h). */
const TYPE_NAMES: Record<number, string> = {
  1: "root",
  4: "ArrayBuffer",
  6: "getter/setter",
  7: "function",
  8: "native function",
  9: "function (return)",
};

const isName = (label: string) => label.startsWith('"');

/** The dump reduced to its dominator tree, rooted at `global`. */
export function heapTree(vars: HeapVar[]): HeapTree {
  const index = new Map<number, number>();
  vars.forEach((v, i) => index.set(v.ref, i));
  const rootAt = index.get(ROOT_REF)!;
  // A link to a ref the dump does not list (a string's continuation block) is no edge.
  const succs = vars.map((v) => v.links.filter((r) => index.has(r)).map((r) => index.get(r)!));

  const paths: (string | undefined)[] = new Array(vars.length);
  paths[rootAt] = "global";
  const order = [rootAt];
  for (let k = 0; k < order.length; k++) {
    const at = order[k];
    for (const next of succs[at]) {
      if (paths[next] !== undefined) continue;
      const label = vars[next].label;
      paths[next] = isName(label) ? `${paths[at]}.${label.slice(1, -1)}` : paths[at];
      order.push(next);
    }
  }

  const idoms: (number | null)[] = dominators.iterative(succs, rootAt);
  const nodes: HeapNode[] = vars.map((v, i) => ({
    ref: v.ref,
    size: v.size,
    retained: v.size,
    label: v.label,
    type: v.type,
    path: paths[i] ?? "",
    children: [],
  }));
  // Reverse breadth-first order visits every node after all it dominates.
  for (let k = order.length - 1; k > 0; k--) {
    const at = order[k];
    const dom = idoms[at];
    if (dom === null || dom === undefined || dom === at) continue;
    nodes[dom].retained += nodes[at].retained;
    nodes[dom].children.push(nodes[at]);
  }
  for (const n of nodes) n.children.sort((a, b) => b.retained - a.retained);

  const total = vars.reduce((s, v) => s + v.size, 0);
  const reached = order.reduce((s, i) => s + vars[i].size, 0);
  return { root: nodes[rootAt], total, unreachable: total - reached };
}

/**
 * The tree as indented lines, `retained label #ref [path]`, down to `depth` levels and leaving
 * out nodes retaining fewer than `minRetained`.
 */
export function formatHeapTree(tree: HeapTree, o: { depth: number; minRetained: number }): string {
  const out = [`${tree.total} JsVars in the dump, ${tree.root.retained} reachable from global, ${tree.unreachable} not`];
  const walk = (n: HeapNode, level: number) => {
    for (const c of n.children) {
      if (c.retained < o.minRetained) continue;
      out.push(`${"  ".repeat(level)}${c.retained} ${c.label || TYPE_NAMES[c.type] || `type ${c.type}`} #${c.ref} [${c.path}]`);
      if (level + 1 < o.depth) walk(c, level + 1);
    }
  };
  walk(tree.root, 0);
  return out.join("\n");
}

/**
 * What the root dominates, summed by the first `levels` names of each entry's path (e.g. 2:
 * `global.spool`), largest first.
 */
export function heapByPath(tree: HeapTree, levels: number): [string, number][] {
  const sums = new Map<string, number>();
  for (const c of tree.root.children) {
    const key = c.path
      .split(".")
      .slice(0, levels + 1)
      .join(".");
    sums.set(key, (sums.get(key) ?? 0) + c.retained);
  }
  return [...sums].sort((a, b) => b[1] - a[1]);
}

const DUMP_END = "HEAP-DUMP-END";

/**
 * Runs `E.dumpVariables()` on a running interpreter and returns what it printed.
 * @throws Error when the dump does not end within `timeoutMs`.
 */
export async function dumpVariables(dev: EspruinoProcess, timeoutMs = 60_000): Promise<string> {
  const from = dev.output().length;
  dev.send(`E.dumpVariables();print("${DUMP_END.slice(0, 4)}"+"${DUMP_END.slice(4)}")`);
  await dev.waitFor(new RegExp(DUMP_END), timeoutMs);
  return dev.output().slice(from).join("\n");
}
