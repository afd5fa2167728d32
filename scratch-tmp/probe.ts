// usage: tsx probe.ts <board> <binary> [setup]
import { firmwareFiles, sleep } from "../src/host/target/bundles.ts";
import { installStorage, bootStorage } from "../src/host/target/storage-boot.ts";
import { startLocalCloud } from "../src/host/target/scenarios.ts";
const [board, binary, mode] = process.argv.slice(2);
const files = await firmwareFiles(board);
const cwd = await installStorage({ binary, files });
const cloud = await startLocalCloud();
const dev = await bootStorage({ binary, cwd });
try {
  await sleep(4000);
  console.log(dev.output().join("\n"));
  try {
    await dev.eval("(setInterval(function(){},3600000),0)", 10000);
    console.log("usage after boot", await dev.eval("process.memory().usage", 10000));
    if (mode) {
      await dev.eval(`spool.setup(${JSON.stringify(cloud.config())})`, 30000);
      await sleep(4000);
      console.log("status synced", await dev.eval("spool.status().clock.synced", 30000));
      await sleep(2000);
      console.log("usage at rest", await dev.eval("process.memory().usage", 10000));
      console.log(dev.output().slice(-10).join("\n"));
    }
  } catch (e) { console.log("ERR", String(e)); console.log(dev.output().join("\n")); }
} finally { await dev.kill(); await cloud.close(); }
