/**
 * `spool server`: runs the local Blynk-compatible server until interrupted.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { DEFAULT_DB, DEFAULT_HOST, DEFAULT_LIMITS, loadConfigFile, startServer, type Faults, type Limits } from "../server/index.ts";

export const summary = "local Blynk-compatible server (device API, SQLite store, fault injection, live page)";

const DEFAULT_PORT = 8080;
const DAY_MS = 86_400_000;

const HELP = `usage: spool server [options]

  --host HOST             listen address (default ${DEFAULT_HOST})
  --port N                port (default ${DEFAULT_PORT}; 0 = any free port)
  --db FILE               SQLite file (default ${DEFAULT_DB})
  --config FILE           JSON config: devices, datastreams, limits, faults
                          (see docs/server-config.example.json); without it, a demo
                          device with V0..V9 as doubles, its token printed at start
  --demo-token TOKEN      token of the demo device (default: random, kept in the database)
  --region-port N         also listen on N as the other "region" that --redirect points to
  --quiet                 no request log (default: one JSON line per API request on stdout)
  --tls-cert FILE         serve https with this PEM certificate (RSA: Espruino's TLS has no ECDSA)
  --tls-key FILE          ... and this PEM private key (both or neither)

limits (defaults from Blynk's documentation):
  --max-batch N           points per timestamped batch (default ${DEFAULT_LIMITS.maxBatch})
  --daily-quota N         timestamped points per device per UTC day (default ${DEFAULT_LIMITS.dailyQuota})
  --quota-status 429|400  reply status when the daily quota is exceeded (default ${DEFAULT_LIMITS.quotaStatus})
  --max-age-days D        oldest accepted timestamp (default ${DEFAULT_LIMITS.maxAgeMs / DAY_MS})
  --future-days D         newest accepted timestamp ahead of now (default ${DEFAULT_LIMITS.maxFutureMs / DAY_MS})
  --too-old drop|reject   too-old points dropped silently or the request rejected (default ${DEFAULT_LIMITS.tooOld})
  --too-new drop|reject   the same for points beyond the future window (default ${DEFAULT_LIMITS.tooNew})
  --bad-value drop|reject values of the wrong type in a batch (default ${DEFAULT_LIMITS.badValue})
  --rate-limit N          requests per second per device, 0 = off (default ${DEFAULT_LIMITS.rateLimit})
  --max-request-bytes N   request size limit (default ${DEFAULT_LIMITS.maxRequestBytes})
  --batch-ok-body TEXT    body of a successful batch upload (default "${DEFAULT_LIMITS.batchOkBody}")

cloud-like mode (behaves as Blynk.Cloud documents or is reported to, not as the device expects):
  --cloud                 undocumented wordings for quota and plan replies, a monthly message
                          quota, 308 with an empty body and an https Location, one averaged
                          point per minute for datastreams without "rawData": true
  --monthly-messages N    API requests per UTC month for the whole server (default 100000; 0 = off)
  --wrong-region redirect|invalid-token
                          how the wrong region (--redirect) answers (default redirect)
  --region-host HOST      host[:port] in the 308's https Location (default the region listener)
  --org-blocked           every request with a valid token answers "organization blocked"

faults (also settable at run time: POST /api/faults with the same fields in camelCase):
  --fail-rate F           fail this fraction of API requests (0..1)
  --fail-status N         status of injected failures (default 503)
  --fail-next N           fail the next N API requests
  --fail-for-ms MS        fail every API request for MS ms from start, then recover
  --fail-message TEXT     message of injected failures (Blynk's JSON error body)
  --latency MS            delay every API request
  --hang-rate F           never answer this fraction of requests
  --drop-before-rate F    close the connection without storing
  --drop-after-rate F     store, then close the connection unanswered (the lost 200)
  --redirect              answer 308 to the region port (needs --region-port)
  --seed N                seed of the fault generator (default 1)
`;

function num(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n)) throw new Error(`--${name} needs a number, not "${text}"`);
  return n;
}

/** A TCP port option: a whole number 0..65535 (0 = any free port). */
function port(name: string, text: string | undefined): number | undefined {
  const n = num(name, text);
  if (n !== undefined && !(Number.isInteger(n) && n >= 0 && n <= 65535))
    throw new Error(`--${name} must be a port number 0..65535 (0 = any free port), not "${text}"`);
  return n;
}

function policy(name: string, text: string | undefined): "drop" | "reject" | undefined {
  if (text === undefined) return undefined;
  if (text !== "drop" && text !== "reject") throw new Error(`--${name} must be drop or reject, not "${text}"`);
  return text;
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export async function run(argv: string[]): Promise<number> {
  const s = { type: "string" } as const;
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        help: { type: "boolean", short: "h" },
        host: s,
        port: s,
        db: s,
        config: s,
        "demo-token": s,
        "region-port": s,
        quiet: { type: "boolean" },
        "tls-cert": s,
        "tls-key": s,
        "max-batch": s,
        "daily-quota": s,
        "quota-status": s,
        "max-age-days": s,
        "future-days": s,
        "too-old": s,
        "too-new": s,
        "bad-value": s,
        "rate-limit": s,
        "max-request-bytes": s,
        "batch-ok-body": s,
        cloud: { type: "boolean" },
        "monthly-messages": s,
        "wrong-region": s,
        "region-host": s,
        "org-blocked": { type: "boolean" },
        "fail-rate": s,
        "fail-status": s,
        "fail-next": s,
        "fail-for-ms": s,
        "fail-message": s,
        latency: s,
        "hang-rate": s,
        "drop-before-rate": s,
        "drop-after-rate": s,
        redirect: { type: "boolean" },
        seed: s,
      },
    }));
  } catch (err) {
    console.error(`spool server: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const listenPort = port("port", values.port) ?? DEFAULT_PORT;
  const regionPort = port("region-port", values["region-port"]);
  const config = values.config ? loadConfigFile(values.config) : {};
  if (!values["tls-cert"] !== !values["tls-key"]) throw new Error("--tls-cert and --tls-key go together: give both to serve https");
  const tls =
    values["tls-cert"] && values["tls-key"] ? { cert: readFileSync(values["tls-cert"]), key: readFileSync(values["tls-key"]) } : undefined;
  const quotaStatus = num("quota-status", values["quota-status"]);
  if (quotaStatus !== undefined && quotaStatus !== 400 && quotaStatus !== 429) throw new Error("--quota-status must be 429 or 400");
  const maxAgeDays = num("max-age-days", values["max-age-days"]);
  const futureDays = num("future-days", values["future-days"]);
  const limits: Partial<Limits> = {
    ...config.limits,
    ...defined({
      maxBatch: num("max-batch", values["max-batch"]),
      dailyQuota: num("daily-quota", values["daily-quota"]),
      quotaStatus: quotaStatus as 400 | 429 | undefined,
      maxAgeMs: maxAgeDays === undefined ? undefined : maxAgeDays * DAY_MS,
      maxFutureMs: futureDays === undefined ? undefined : futureDays * DAY_MS,
      tooOld: policy("too-old", values["too-old"]),
      tooNew: policy("too-new", values["too-new"]),
      badValue: policy("bad-value", values["bad-value"]),
      rateLimit: num("rate-limit", values["rate-limit"]),
      maxRequestBytes: num("max-request-bytes", values["max-request-bytes"]),
      batchOkBody: values["batch-ok-body"],
    }),
  };
  const faults: Faults = {
    ...config.faults,
    ...defined({
      failRate: num("fail-rate", values["fail-rate"]),
      failStatus: num("fail-status", values["fail-status"]),
      failNext: num("fail-next", values["fail-next"]),
      failForMs: num("fail-for-ms", values["fail-for-ms"]),
      failMessage: values["fail-message"],
      latencyMs: num("latency", values.latency),
      hangRate: num("hang-rate", values["hang-rate"]),
      dropBeforeRate: num("drop-before-rate", values["drop-before-rate"]),
      dropAfterRate: num("drop-after-rate", values["drop-after-rate"]),
      redirect: values.redirect,
      seed: num("seed", values.seed),
    }),
  };
  const wrongRegion = values["wrong-region"];
  if (wrongRegion !== undefined && wrongRegion !== "redirect" && wrongRegion !== "invalid-token")
    throw new Error(`--wrong-region must be redirect or invalid-token, not "${wrongRegion}"`);
  const cloudFlags = defined({
    monthlyMessages: num("monthly-messages", values["monthly-messages"]),
    wrongRegion: wrongRegion === undefined ? undefined : wrongRegion === "redirect" ? ("redirect" as const) : ("invalidToken" as const),
    regionHost: values["region-host"],
    orgBlocked: values["org-blocked"],
  });
  const cloudOn = values.cloud || (config.cloud !== undefined && config.cloud !== false);
  if (!cloudOn && Object.keys(cloudFlags).length)
    throw new Error(
      `--${Object.keys(cloudFlags).map((k) => k.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase()))[0]} needs --cloud (or "cloud" in the config file)`,
    );
  const cloud = cloudOn ? { ...(typeof config.cloud === "object" ? config.cloud : {}), ...cloudFlags } : undefined;
  const redirectsElsewhere = cloud !== undefined && (cloud.regionHost !== undefined || cloud.wrongRegion === "invalidToken");
  if (faults.redirect && regionPort === undefined && !redirectsElsewhere) {
    const from = values.redirect ? "--redirect" : `"redirect" in the faults of ${values.config}`;
    throw new Error(`${from} needs --region-port N: the port of the other "region" the 308 redirects point to (0 = any free port)`);
  }
  const server = await startServer({
    host: values.host ?? DEFAULT_HOST,
    port: listenPort,
    db: values.db ?? DEFAULT_DB,
    devices: config.devices,
    demoToken: values["demo-token"],
    regionPort,
    quiet: values.quiet,
    tls,
    limits,
    faults,
    cloud,
  });
  const say = (line: string) => process.stderr.write(line + "\n");
  say(`spool server: listening on ${server.url} (page: ${server.url}/), database ${values.db ?? DEFAULT_DB}`);
  if (server.regionUrl) say(`spool server: region listener on ${server.regionUrl}`);
  const cl = server.cloud();
  if (cl)
    say(
      `spool server: cloud-like mode (${cl.monthlyMessages || "unlimited"} messages a month, wrong region answers ${cl.wrongRegion === "redirect" ? "308" : "Invalid token."}); see docs/server.md`,
    );
  if (server.demoToken) say(`spool server: demo device token ${server.demoToken} (V0..V9, double)`);
  const active = Object.keys(server.faults()).filter((k) => k !== "seed");
  if (active.length) say(`spool server: faults ${JSON.stringify(server.faults())}`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  say("spool server: stopping");
  await server.close();
  return 0;
}
