import test from "ava";
import { readFileSync } from "node:fs";
import { installFiles, readBoard, simWorld } from "../src/host/sim/index.ts";
import { build } from "../src/host/build/index.ts";

const VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

for (const id of ["esp32", "esp8266", "linux"]) {
  test(`the ${id} bundle boots in the simulated Espruino and prints the banner`, async (t) => {
    const board = readBoard(id);
    const { code, parts } = await build({ board: id, write: false });
    const w = simWorld();
    const sim = w.device({ board });
    installFiles(sim, parts);
    sim.boot(code);
    t.false(sim.dead);
    const out = sim.output();
    t.true(out.includes(`Spool ${VERSION} on ${id}`) || out.some((l) => l.startsWith(`Spool ${VERSION} on ${id}`)), out.join("\n"));
    t.false(out.some((l) => l.startsWith("Uncaught")), out.join("\n"));
    // It keeps running on virtual time without errors.
    w.clock.advance(10 * 60_000);
    t.false(sim.output().some((l) => l.startsWith("Uncaught")), sim.output().join("\n"));
    sim.powerCut();
  });
}
