// End to end: the uplink, the store and the network manager built for the ESP32 and run in the
// simulated Espruino (its Wifi and http modules, NOR flash), against the local server.
import test from "ava";
import { bootUplinkEntry, TOKEN } from "./uplink-harness.ts";

const MIN = 60_000;

test("ESP32 in the simulation: offline backlog, WiFi comes and goes, everything lands once, in pieces", async (t) => {
  const { board, world, server, sim, close } = await bootUplinkEntry({ wifi: false });
  try {
    const cfg = {
      wifi: { ssid: "home", password: "secret" },
      blynk: {
        token: TOKEN,
        host: "blynk.test",
        scheme: "http",
        port: 80,
        maxPointsPerRequest: board.upload.maxPointsPerRequest,
        pieceBytes: board.upload.pieceBytes,
      },
    };
    sim.eval(`t.start(${JSON.stringify(cfg)})`);
    sim.eval("t.append(0, 1500, 10000); t.append(1, 1500, 10000)");
    await world.clock.advanceAsync(30 * MIN);
    t.is(sim.net.requests, 0, "no request while the AP is away");
    t.is(sim.eval("t.uplink.status().state"), "offline");
    t.false(JSON.stringify(sim.eval("t.uplink.status()")).includes(TOKEN));

    world.network.setWifi(true);
    const all = () => server.history(TOKEN, "V0").length === 1500 && server.history(TOKEN, "V1").length === 1500;
    t.true(await world.clock.runUntilAsync(all, 30 * MIN), "the backlog landed after the AP returned");
    t.true(sim.eval("t.net.isUp()") as boolean);

    // The AP goes away again: ESP32 gives up after its retries; the manager keeps rejoining.
    world.network.setWifi(false);
    await world.clock.advanceAsync(2 * MIN);
    t.false(sim.eval("t.net.isUp()") as boolean);
    sim.eval("t.append(0, 100, 1000)");
    await world.clock.advanceAsync(20 * MIN);
    world.network.setWifi(true);
    t.true(await world.clock.runUntilAsync(() => server.history(TOKEN, "V0").length === 1600, 30 * MIN), "rejoined and flushed");

    t.is(server.stats().duplicates, 0);
    // The server has the points once the reply is sent; the device marks them in the task after it.
    await world.clock.advanceAsync(1000);
    t.is(sim.eval("t.store.stats().pending"), 0);
    t.is(sim.net.maxWriteBytes, board.upload.pieceBytes, "largest write = the board's piece size");
    t.false(
      sim.output().some((l) => /Uncaught|OUT OF MEMORY/.test(l)),
      sim.output().join("\n"),
    );
    t.log(`${sim.net.requests} requests, ${sim.net.totalWriteBytes} body bytes for 3100 points`);
    const h = server.history(TOKEN, "V0");
    for (let i = 1; i < 1500; i++) if (h[i][0] <= h[i - 1][0]) t.fail(`V0 out of order at ${i}`);
  } finally {
    await close();
  }
});
