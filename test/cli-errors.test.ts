import test from "ava";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../src/host/build/pipeline.ts";

const work = mkdtempSync(join(tmpdir(), "spool-cli-"));

/** Runs `spool ...args` as the user would; returns exit code, stderr and how long it took. */
function spool(...args: string[]): { code: number | null; err: string; ms: number } {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "src/host/cli.ts"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 30_000,
  });
  return { code: r.status, err: r.stderr, ms: Date.now() - t0 };
}

test("server --port 99999 names --port and the valid range", (t) => {
  const r = spool("server", "--port", "99999", "--db", join(work, "a.db"));
  t.not(r.code, 0);
  t.regex(r.err, /--port must be a port number 0\.\.65535 .*"99999"/);
  t.notRegex(r.err, /options\.port|ERR_SOCKET/);
});

test("server --region-port 70000 names --region-port", (t) => {
  const r = spool("server", "--port", "0", "--region-port", "70000", "--db", join(work, "b.db"));
  t.not(r.code, 0);
  t.regex(r.err, /--region-port must be a port number 0\.\.65535/);
});

test("server --redirect without a region port names --region-port, not regionPort", (t) => {
  const r = spool("server", "--port", "0", "--redirect", "--db", join(work, "c.db"));
  t.not(r.code, 0);
  t.regex(r.err, /--redirect needs --region-port N/);
  t.notRegex(r.err, /regionPort/);
});

test("inspect of a missing file says which file and that it does not exist", (t) => {
  const r = spool("inspect", "/nonexistent/flash.bin");
  t.not(r.code, 0);
  t.regex(r.err, /cannot read the flash image "\/nonexistent\/flash\.bin": no such file/);
  t.notRegex(r.err, /ENOENT/);
});

test("inspect --base zz is refused, with or without --board", (t) => {
  const file = join(work, "junk.bin");
  writeFileSync(file, new Uint8Array(4096).fill(0xff));
  for (const extra of [[], ["--board", "esp32"]]) {
    const r = spool("inspect", file, "--base", "zz", ...extra);
    t.not(r.code, 0);
    t.regex(r.err, /--base must be a flash address: a non-negative integer, decimal or 0x\.\.\. .*"zz"/, extra.join(" "));
  }
});

test("build --board foo says the board is unknown before type-checking", (t) => {
  const r = spool("build", "--board", "foo", "--out", join(work, "out"));
  t.is(r.code, 2);
  t.regex(r.err, /--board "foo": .*foo\.json: no such board profile \(known: esp32, esp8266, linux, linux-small\)/);
  t.notRegex(r.err, /type-check/);
  t.log(`answered in ${r.ms} ms`);
});
