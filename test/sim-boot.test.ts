import test from "ava";
import { readFileSync } from "node:fs";
import { installFiles, readBoard, simWorld } from "../src/host/sim/index.ts";
import { build } from "../src/host/build/index.ts";

const VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

/**
 * The simulation counts the JsVars a bundle holds: its module level at load (code-vars.ts) and,
 * after the boot and at each `process.memory()`, what its globals and closures reach (memory.ts,
 * closures read through V8's inspector, scopes.ts); over the board's `jsVars.count` it prints
 * OUT OF MEMORY and the code stops, as on the interpreter. linux-small boots in it as on the
 * 1,600-JsVar interpreter (1,138 JsVars in use after the boot there, npm run heap --at boot; about
 * 1,070 here). esp8266 counts more (about 1,180 after the boot, 1,535 at its highest, in the early
 * pass's survey): its JsVars are 12 bytes, so names and strings take more of them (memory.ts), and
 * its WiFi side adds the network's handlers; no interpreter build here checks those (docs/memory.md).
 */
for (const id of ["esp32", "esp8266", "linux", "linux-small"]) {
  const title = `the ${id} bundle boots in the simulated Espruino and prints the banner`;
  test(title, async (t) => {
    const board = readBoard(id);
    const { code, parts } = await build({ board: id, write: false });
    const w = simWorld();
    const sim = w.device({ board });
    installFiles(sim, parts);
    sim.boot(code);
    t.false(sim.dead);
    const out = sim.output();
    t.true(out.includes(`Spool ${VERSION} on ${id}`) || out.some((l) => l.startsWith(`Spool ${VERSION} on ${id}`)), out.join("\n"));
    t.false(
      out.some((l) => l.startsWith("Uncaught") || l === "OUT OF MEMORY"),
      out.join("\n"),
    );
    // It keeps running on virtual time without errors.
    w.clock.advance(10 * 60_000);
    t.false(
      sim.output().some((l) => l.startsWith("Uncaught")),
      sim.output().join("\n"),
    );
    sim.powerCut();
  });
}

test("a bundle whose module level does not fit the board's JsVars runs out of memory at load, and none of it runs", async (t) => {
  const board = { ...readBoard("esp8266"), jsVars: { count: 200, bytesEach: 12 } };
  const w = simWorld();
  const sim = w.device({ board });
  // 40 functions of 3 parameters: about 320 JsVars once loaded, whatever their bodies.
  let code = "";
  for (let i = 0; i < 40; i++) code += `function f${i}(a,b,c){return a+b+c+${i}}`;
  sim.boot(`(function(){${code} print("loaded");})();`);
  t.deepEqual(sim.output(), ["OUT OF MEMORY", "New interpreter error: LOW_MEMORY,MEMORY"]);
  const fits = w.device({ board: { ...board, jsVars: { count: 1000, bytesEach: 12 } } });
  fits.boot(`(function(){${code} print("loaded");})();`);
  t.deepEqual(fits.output(), ["loaded"]);
  t.true((fits.eval("process.memory().usage") as number) >= 44 + 40 * 8, "the module level is counted in use");
});
