// `spool server` as a user runs it: flags, the example config, the printed demo token, shutdown.
import test from "ava";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfigFile } from "../src/host/server/index.ts";

const CLI = ["--import", "tsx", "src/host/cli.ts", "server"];

test("--help lists the options; a bad flag exits 2 with the help", (t) => {
  const help = spawnSync(process.execPath, [...CLI, "--help"], { encoding: "utf8" });
  t.is(help.status, 0);
  for (const flag of [
    "--host",
    "--port",
    "--db",
    "--config",
    "--region-port",
    "--fail-rate",
    "--drop-after-rate",
    "--too-old",
    "--quota-status",
    "--cloud",
    "--monthly-messages",
    "--fail-for-ms",
  ])
    t.true(help.stdout.includes(flag), flag);
  const bad = spawnSync(process.execPath, [...CLI, "--bogus"], { encoding: "utf8" });
  t.is(bad.status, 2);
  t.regex(bad.stderr, /Unknown option '--bogus'/);
  const badConfig = spawnSync(process.execPath, [...CLI, "--config", "/nonexistent.json"], { encoding: "utf8" });
  t.is(badConfig.status, 1);
  t.regex(badConfig.stderr, /cannot read config file \/nonexistent\.json/);
});

test("the example config is valid", (t) => {
  const config = loadConfigFile("docs/server-config.example.json");
  t.is(config.devices?.length, 2);
  t.throws(() => loadConfigFile("package.json"), { message: /package\.json is invalid: .*must NOT have additional properties/ });
});

/** Runs `spool server` with `args` until it printed its demo token; its URL, token and output. */
async function runCli(args: string[]) {
  const child = spawn(process.execPath, [...CLI, "--port", "0", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const out = { stderr: "", stdout: "" };
  child.stdout.on("data", (d) => (out.stdout += d));
  await new Promise<void>((resolve, reject) => {
    child.stderr.on("data", (d) => {
      out.stderr += d;
      if (/demo device token/.test(out.stderr)) resolve();
    });
    child.once("exit", (code) => reject(new Error(`exited ${code}: ${out.stderr}`)));
  });
  const url = /listening on (http:\/\/\S+)/.exec(out.stderr)?.[1];
  const token = /demo device token (\S+)/.exec(out.stderr)?.[1];
  const post = (pin = "V9") =>
    fetch(`${url}/external/api/batch/update?token=${token}&pin=${pin}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([[Date.now(), 1.25]]),
    });
  const stop = () => {
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    return exited;
  };
  return { url, token, out, post, stop };
}

test("the server prints its URL and demo token, takes uploads, writes the log, stops on SIGTERM", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "spool-cli-"));
  try {
    const { url, token, out, post, stop } = await runCli(["--db", join(dir, "s.sqlite"), "--region-port", "0", "--fail-next", "1"]);
    t.truthy(url);
    t.regex(token ?? "", /^[A-Za-z0-9_-]{32}$/);
    t.regex(out.stderr, /region listener on http:/);
    t.is((await post()).status, 503, "--fail-next 1");
    t.is((await post()).status, 200);
    t.is(await (await fetch(`${url}/external/api/get?token=${token}&V9`)).text(), "1.25");
    t.is(await stop(), 0);
    const log = out.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    t.is(log.length, 3);
    t.like(log[1], { status: 200, pin: "V9", points: 1, device: `${token?.slice(0, 4)}…${token?.slice(-4)}` });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("--cloud: the cloud-like mode and its flags; they need --cloud", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "spool-cli-"));
  try {
    const alone = spawnSync(process.execPath, [...CLI, "--monthly-messages", "5"], { encoding: "utf8" });
    t.is(alone.status, 1);
    t.regex(alone.stderr, /--monthly-messages needs --cloud/);
    const { out, post, stop } = await runCli([
      "--db",
      join(dir, "s.sqlite"),
      "--quiet",
      "--cloud",
      "--monthly-messages",
      "2",
      "--redirect",
      "--wrong-region",
      "invalid-token",
    ]);
    t.regex(out.stderr, /cloud-like mode \(2 messages a month, wrong region answers Invalid token\.\)/);
    const geo = await post();
    t.is(geo.status, 400, "--redirect with --wrong-region invalid-token needs no region port");
    t.is(((await geo.json()) as { error: { message: string } }).error.message, "Invalid token.");
    t.is(await stop(), 0);
    const second = await runCli(["--db", join(dir, "s2.sqlite"), "--quiet", "--cloud", "--monthly-messages", "2"]);
    t.is((await second.post()).status, 200);
    t.is((await second.post("V99")).status, 400);
    t.is((await second.post()).status, 429, "the third message of the month");
    t.is(await second.stop(), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("invalid device lists are refused at start with the field to fix", async (t) => {
  const { startServer } = await import("../src/host/server/index.ts");
  const ds = [{ pin: "V1", type: "double" as const }];
  await t.throwsAsync(startServer({ db: ":memory:", quiet: true, devices: [{ name: "a", token: "has space", datastreams: ds }] }), {
    message: /devices\/devices\/0\/token must match pattern/,
  });
  await t.throwsAsync(
    startServer({
      db: ":memory:",
      quiet: true,
      devices: [{ name: "a", token: "tok1", datastreams: [...ds, { pin: "v1", type: "integer" }] }],
    }),
    { message: /defines pin V1 twice/ },
  );
  await t.throwsAsync(
    startServer({
      db: ":memory:",
      quiet: true,
      devices: [{ name: "a", token: "tok1", datastreams: [{ pin: "V1", type: "double", min: 5, max: 1 }] }],
    }),
    { message: /min 5 > max 1/ },
  );
  await t.throwsAsync(
    startServer({
      db: ":memory:",
      quiet: true,
      devices: [{ name: "a", token: "tok1", datastreams: [{ pin: "V1", type: "float" as "double" }] }],
    }),
    { message: /type must be equal to one of the allowed values/ },
  );
});
