import test from "ava";
import { readFileSync } from "node:fs";
import { formatHeapTree, heapByPath, heapTree, parseVariableDump } from "../src/host/target/heap.ts";

// E.dumpVariables() as the 2v29 Linux build printed it for the script named in the file's first line.
const RECORDED = readFileSync(new URL("fixtures/dump-variables-2v29.txt", import.meta.url), "latin1");

test("a recorded dump parses: every variable line up to the prompt, with sizes and links", (t) => {
  const vars = parseVariableDump(RECORDED);
  const byRef = new Map(vars.map((v) => [v.ref, v]));
  t.deepEqual(byRef.get(27), { ref: 27, size: 1, type: 3, label: "Array", links: [29, 30, 31] });
  // A string over one block: its continuation block is counted in its size, not listed.
  t.is(byRef.get(34)!.size, 2);
  t.is(byRef.get(28)!.label, '"owner"');
  t.is(vars.at(-1)!.label, '"dumpVariables"');
});

test("what only one owner reaches is retained by it; what two reach is retained by neither", (t) => {
  const tree = heapTree(parseVariableDump(RECORDED));
  const top = new Map(tree.root.children.map((c) => [c.path, c]));
  // owner: its name, object, "name" and "keep" names, and the two-block string.
  t.is(top.get("global.owner")!.retained, 6);
  t.is(top.get("global.other")!.retained, 3);
  // `shared` is linked from owner.keep and other.keep: the root dominates its object, which
  // retains the array and its three entries; the name "shared" retains only itself.
  const shared = tree.root.children.filter((c) => c.path === "global.shared");
  t.deepEqual(shared.map((c) => c.retained).sort(), [1, 6]);
  // f: name, function, two parameters, the code's name and its text.
  t.is(top.get("global.f")!.retained, 6);
  // The script's own text (a flat string) is no longer linked from anything.
  t.true(tree.unreachable >= 11);
  t.is(tree.total, tree.root.retained + tree.unreachable);
});

test("the report prints retained sizes with paths and sums by path", (t) => {
  const tree = heapTree(parseVariableDump(RECORDED));
  const text = formatHeapTree(tree, { depth: 2, minRetained: 4 });
  t.regex(text, /^6 "owner" #28 \[global\.owner\]$/m);
  t.regex(text, /^ {2}5 Object #32 \[global\.owner\]$/m);
  t.notRegex(text, /"other"/);
  t.deepEqual(
    heapByPath(tree, 1).find(([p]) => p === "global.shared"),
    ["global.shared", 7],
  );
});

test("a malformed dump is refused with what is wrong", (t) => {
  t.throws(() => parseVariableDump("hello"), { message: /no "ref,size,flags,name,links\.\.\." line/ });
  t.throws(() => parseVariableDump("ref,size,flags,name,links...\n1,1,1,Object,2\n"), { message: /line 2 of the dump/ });
});
