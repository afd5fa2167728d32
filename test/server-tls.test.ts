/**
 * The server over https (`tls` option): a batch POST is stored and the log names the protocol
 * and cipher; a failed handshake is logged; plain HTTP to the TLS port stores nothing; a bad
 * key or certificate is refused at start.
 */
import test from "ava";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, type BlynkServer } from "../src/host/server/index.ts";
import { DEVICES, TOKEN } from "./helpers/server-client.ts";
import { testCert, type TestCert } from "./helpers/tls-cert.ts";

interface Reply {
  status: number;
  text: string;
}

function post(
  base: string,
  body: string,
  cert: TestCert,
  extra: { maxVersion?: "TLSv1.1"; token?: string; pin?: string } = {},
): Promise<Reply> {
  const { token = TOKEN, pin = "V0", ...tlsOptions } = extra;
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      `${base}/external/api/batch/update?token=${token}&pin=${pin}`,
      // Verified against the test certificate itself: the server really presents it.
      { method: "POST", ca: cert.cert, headers: { "content-type": "application/json" }, ...tlsOptions },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function tlsServer(lines: string[]): Promise<{ server: BlynkServer; cert: TestCert }> {
  const cert = await testCert();
  const server = await startServer({ db: ":memory:", devices: DEVICES, tls: cert, log: (l) => lines.push(l) });
  return { server, cert };
}

test("a batch POST over https is stored, and the log names the TLS protocol and cipher", async (t) => {
  const lines: string[] = [];
  const { server, cert } = await tlsServer(lines);
  try {
    t.regex(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const now = Date.now();
    const points = [
      [now - 2000, 1.5],
      [now - 1000, 2.5],
      [now, 3.5],
    ];
    const r = await post(server.url, JSON.stringify(points), cert);
    t.is(r.status, 200, r.text);
    t.is(r.text, "OK");
    t.deepEqual(server.history(TOKEN, "V0"), points);
    const entry = JSON.parse(lines.find((l) => l.includes("/batch/update"))!);
    t.is(entry.status, 200);
    t.regex(entry.tls, /^TLSv1\.[23] \S+$/);
  } finally {
    await server.close();
  }
});

test("a failed handshake is logged; plain HTTP to the TLS port stores nothing", async (t) => {
  const lines: string[] = [];
  const { server, cert } = await tlsServer(lines);
  try {
    await t.throwsAsync(post(server.url, "[[1,1]]", cert, { maxVersion: "TLSv1.1" }));
    await new Promise((r) => setTimeout(r, 50));
    t.true(
      lines.some((l) => /TLS handshake failed/.test(JSON.parse(l).error ?? "")),
      lines.join("\n"),
    );

    const plain = await new Promise<string>((resolve) => {
      const req = httpRequest(
        `${server.url.replace("https:", "http:")}/external/api/batch/update?token=${TOKEN}&pin=V0`,
        { method: "POST" },
        (res) => {
          res.resume();
          res.on("end", () => resolve(`answered ${res.statusCode}`));
        },
      );
      req.on("error", (e) => resolve(`failed: ${e.message}`));
      req.end(JSON.stringify([[Date.now(), 9]]));
    });
    t.notRegex(plain, /answered 200/);
    t.deepEqual(server.history(TOKEN, "V0"), []);
  } finally {
    await server.close();
  }
});

test("the region listener serves https too", async (t) => {
  const cert = await testCert();
  const server = await startServer({ db: ":memory:", quiet: true, devices: DEVICES, tls: cert, regionPort: 0 });
  try {
    t.regex(server.regionUrl!, /^https:\/\//);
    const r = await post(server.regionUrl!, JSON.stringify([[Date.now(), 4.5]]), cert);
    t.is(r.status, 200, r.text);
    t.is(server.history(TOKEN, "V0").length, 1);
  } finally {
    await server.close();
  }
});

const CLI = ["--import", "tsx", "src/host/cli.ts", "server"];

test("spool server --tls-cert --tls-key serves https; one without the other is refused", async (t) => {
  const cert = await testCert();
  const dir = mkdtempSync(join(tmpdir(), "spool-tls-cli-"));
  try {
    writeFileSync(join(dir, "cert.pem"), cert.cert);
    writeFileSync(join(dir, "key.pem"), cert.key);
    const half = spawnSync(process.execPath, [...CLI, "--port", "0", "--db", ":memory:", "--tls-cert", join(dir, "cert.pem")], {
      encoding: "utf8",
    });
    t.is(half.status, 1);
    t.regex(half.stderr, /--tls-cert and --tls-key go together/);

    const child = spawn(
      process.execPath,
      [...CLI, "--port", "0", "--db", ":memory:", "--quiet", "--tls-cert", join(dir, "cert.pem"), "--tls-key", join(dir, "key.pem")],
      {
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let stderr = "";
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    await new Promise<void>((resolve, reject) => {
      child.stderr.on("data", (d) => {
        stderr += d;
        if (/demo device token/.test(stderr)) resolve();
      });
      void exited.then((code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    const url = /listening on (https:\/\/\S+) /.exec(stderr)?.[1];
    const token = /demo device token (\S+)/.exec(stderr)?.[1];
    t.truthy(url, stderr);
    const r = await post(url!, JSON.stringify([[Date.now(), 1.25]]), cert, { token, pin: "V9" });
    t.is(r.status, 200, r.text);
    child.kill("SIGTERM");
    t.is(await exited, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an unusable key or certificate is refused at start with a clear error", async (t) => {
  const cert = await testCert();
  await t.throwsAsync(startServer({ db: ":memory:", quiet: true, tls: { key: "", cert: cert.cert } }), { message: /tls\.key is empty/ });
  await t.throwsAsync(startServer({ db: ":memory:", quiet: true, tls: { key: cert.key, cert: "not a certificate" } }), {
    message: /^tls: the key and certificate/,
  });
});
