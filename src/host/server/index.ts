/**
 * A local Blynk-compatible server: the device's peer for development, tests and demos. Speaks
 * Blynk's device HTTP API (`/external/api/...`, see `docs/blynk-device-api.md`), stores
 * into SQLite, injects faults on request, and shows the stored points on a page at `/`.
 *
 * ```ts
 * const server = await startServer({ db: ":memory:", quiet: true });
 * await fetch(`${server.url}/external/api/batch/update?token=${server.demoToken}&pin=V1`, {...});
 * server.history(server.demoToken!, "V1");
 * await server.close();
 * ```
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { createSecureContext, TLSSocket } from "node:tls";
import { setTimeout as sleep } from "node:timers/promises";
import { ENDPOINTS, MSG, emptyStats, runEndpoint, type ApiContext, type ServerStats } from "./external-api.ts";
import { FaultInjector } from "./faults.ts";
import { errorReply, headerBytes, readBody, send, textReply, type Reply } from "./http-util.ts";
import {
  resolveCloud,
  resolveLimits,
  validateConfig,
  validateFaults,
  type CloudOptions,
  type CloudSettings,
  type DeviceConfig,
  type Faults,
  type Limits,
  type ServerOptions,
} from "./options.ts";
import { handlePage } from "./page-api.ts";
import { RateLimiter } from "./rate-limit.ts";
import { createLogSink, maskToken, type LogEntry } from "./request-log.ts";
import { randomToken, Store, type Device } from "./store.ts";
import { parsePin, type StoredValue } from "./values.ts";

export type {
  ServerOptions,
  Faults,
  Limits,
  DeviceConfig,
  DatastreamConfig,
  DatastreamType,
  ConfigFile,
  CloudOptions,
  CloudSettings,
  CloudReply,
  CloudReplies,
} from "./options.ts";
export { DEFAULT_LIMITS, DEFAULT_CLOUD, DEFAULT_CLOUD_REPLIES, loadConfigFile, validateConfig } from "./options.ts";
export type { ServerStats } from "./external-api.ts";
export { MSG } from "./external-api.ts";
export { maskToken } from "./request-log.ts";

export const DEFAULT_DB = "./spool-server.sqlite";
export const DEFAULT_HOST = "127.0.0.1";
const API_PREFIX = "/external/api/";
const DEMO_PINS = 10;
/** Where a cloud-like 308 points when neither a region host nor a region listener is set. */
const FALLBACK_REGION = "fra1.blynk.cloud";

/** A certificate and its private key, PEM, to serve https. */
export interface TlsOptions {
  key: string | Buffer;
  cert: string | Buffer;
}

/** Options of {@link startServer}: {@link ServerOptions} plus TLS. */
export interface StartServerOptions extends ServerOptions {
  /**
   * Serve https instead of http, on the main port and the region port alike (a device refuses a
   * redirect from https to http). Node's defaults (TLS 1.2 and 1.3) suit Espruino, whose mbedtls
   * offers TLS 1.2 with RSA and DHE-RSA key exchange only: use an RSA certificate, not ECDSA.
   */
  tls?: TlsOptions;
}

/** A running server. */
export interface BlynkServer {
  /** `http://host:port` (or `https://` with `tls`) of the main listener. */
  url: string;
  port: number;
  /** The same for the region listener, when `regionPort` was given. */
  regionUrl?: string;
  /** Token of the demo device (only when no devices were configured). */
  demoToken?: string;
  /** The better-sqlite3 database (read it in tests; the server writes synchronously). */
  db: Store["db"];
  limits: Limits;
  /** Counters since start. */
  stats(): ServerStats;
  /**
   * Stored points of a pin, oldest first (duplicates included, in arrival order).
   * @throws Error for an unknown token or a malformed pin.
   */
  history(token: string, pin: string | number, range?: { from?: number; to?: number }): [number, StoredValue][];
  /** Replaces the fault set ({} clears it). @throws Error on an invalid field or redirect without a region port. */
  setFaults(faults: Faults): void;
  faults(): Faults;
  /** The cloud-like mode's options, or undefined when it is off. */
  cloud(): CloudOptions | undefined;
  /**
   * Changes cloud-like options at run time (e.g. `{ orgBlocked: true }`), merged into the current
   * ones; `false` turns the mode off, `true` on with defaults.
   * @throws Error on an invalid field.
   */
  setCloud(changes: boolean | CloudSettings): void;
  /** Stops listening, cuts open connections (hung ones too), closes the database. */
  close(): Promise<void>;
}

function demoDevice(token: string): DeviceConfig {
  const datastreams = [];
  for (let pin = 0; pin < DEMO_PINS; pin++) datastreams.push({ pin: `V${pin}`, type: "double" as const, name: `Demo V${pin}` });
  return { name: "Demo", token, datastreams };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function urlOf(scheme: string, host: string, port: number): string {
  return `${scheme}://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

function checkTls(tls: TlsOptions): void {
  for (const field of ["key", "cert"] as const) {
    if (!tls[field] || tls[field].length === 0)
      throw new Error(`tls.${field} is empty: give the PEM text of the ${field === "key" ? "private key" : "certificate"}`);
  }
  try {
    createSecureContext({ key: tls.key, cert: tls.cert });
  } catch (err) {
    throw new Error(`tls: the key and certificate do not make a usable pair (PEM expected): ${(err as Error).message}`);
  }
}

/**
 * Starts the server (and the region listener when `regionPort` is set).
 * @throws Error for invalid devices, limits or faults, an unusable TLS key or certificate, an
 * unopenable database, or a port in use.
 */
export async function startServer(options: StartServerOptions = {}): Promise<BlynkServer> {
  const host = options.host ?? DEFAULT_HOST;
  if (options.tls) checkTls(options.tls);
  const scheme = options.tls ? "https" : "http";
  const limits = resolveLimits(options.limits);
  const clock = options.clock ?? Date.now;
  const store = new Store(options.db ?? DEFAULT_DB);
  let demoToken: string | undefined;
  try {
    let devices = options.devices;
    if (!devices || devices.length === 0) {
      demoToken = options.demoToken ?? store.meta("demo_token") ?? randomToken();
      store.setMeta("demo_token", demoToken);
      devices = [demoDevice(demoToken)];
    }
    validateConfig({ devices }, "devices");
    store.syncDevices(devices);
  } catch (err) {
    store.close();
    throw err;
  }

  const stats = emptyStats();
  const faults = new FaultInjector(clock);
  const rate = new RateLimiter(limits.rateLimit);
  const log = createLogSink(options);
  const ctx: ApiContext = { store, limits, rate, clock, stats, cloud: resolveCloud(options.cloud) };
  const hung = new Set<Socket>();
  let regionUrl: string | undefined;

  function setFaults(f: Faults): void {
    validateFaults(f);
    const elsewhere = ctx.cloud && (ctx.cloud.regionHost !== undefined || ctx.cloud.wrongRegion === "invalidToken");
    if (f.redirect && options.regionPort === undefined && !elsewhere)
      throw new Error("faults.redirect needs a region listener: start the server with regionPort");
    faults.set(f);
  }
  setFaults(options.faults ?? {});

  function finish(entry: Partial<LogEntry>, t0: number, status: LogEntry["status"]): void {
    stats.requests++;
    stats.byStatus[String(status)] = (stats.byStatus[String(status)] ?? 0) + 1;
    log({
      time: new Date().toISOString(),
      method: "",
      path: "",
      ...entry,
      status,
      ms: Math.round((performance.now() - t0) * 10) / 10,
    } as LogEntry);
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL, region: boolean): Promise<void> {
    const t0 = performance.now();
    const entry: Partial<LogEntry> = { method: req.method, path: url.pathname };
    if (region) entry.port = "region";
    const token = url.searchParams.get("token");
    if (token !== null) entry.device = maskToken(token);
    if (req.socket instanceof TLSSocket) entry.tls = `${req.socket.getProtocol()} ${req.socket.getCipher().name}`;
    const handler = ENDPOINTS[url.pathname.slice(API_PREFIX.length)];
    let reply: Reply;
    if (!handler) {
      reply = errorReply(404, `Unknown API path ${url.pathname}.`);
    } else if (req.method !== "GET" && req.method !== "POST") {
      reply = errorReply(405, `Method ${req.method} is not allowed; use GET or POST.`, { allow: "GET, POST" });
    } else {
      const action = faults.before(!region);
      if (action.kind !== "none") entry.fault = action.kind;
      switch (action.kind) {
        case "hang":
          stats.faults.hang++;
          hung.add(req.socket);
          req.socket.once("close", () => hung.delete(req.socket));
          req.resume();
          finish(entry, t0, "hang");
          return;
        case "dropBefore":
          stats.faults.dropBefore++;
          req.socket.destroy();
          finish(entry, t0, "dropped");
          return;
        case "fail":
          stats.faults.fail++;
          send(
            res,
            action.body !== undefined
              ? textReply(action.body, action.status)
              : errorReply(action.status, action.message ?? `Injected fault: status ${action.status}.`),
          );
          finish(entry, t0, action.status);
          return;
        case "redirect": {
          stats.faults.redirect++;
          const wrong = wrongRegionReply(req.url ?? "/");
          send(res, wrong);
          finish(wrong.status >= 400 ? { ...entry, error: MSG.invalidToken } : entry, t0, wrong.status);
          return;
        }
      }
      const delay = faults.latencyMs();
      if (delay > 0) {
        stats.faults.delayed++;
        await sleep(delay);
        if (req.socket.destroyed) {
          finish({ ...entry, error: "client closed the connection during the injected latency" }, t0, "dropped");
          return;
        }
      }
      const budget = limits.maxRequestBytes - headerBytes(req);
      let body;
      try {
        body = await readBody(req, Math.max(0, budget));
      } catch (err) {
        finish({ ...entry, error: (err as Error).message }, t0, "dropped");
        return;
      }
      if (!body.ok) {
        reply = errorReply(
          413,
          `Request too large. Maximum request size is ${limits.maxRequestBytes} bytes (request line, headers and body).`,
          { connection: "close" },
        );
      } else {
        reply = runEndpoint(handler, ctx, url.searchParams, req, body.bytes, entry);
      }
      if (faults.dropAfter()) {
        stats.faults.dropAfter++;
        req.socket.destroy();
        finish({ ...entry, fault: "dropAfter", error: `answer ${reply.status} not sent` }, t0, "dropped");
        return;
      }
    }
    if (reply.status >= 400 && !entry.error) entry.error = JSON.parse(String(reply.body)).error?.message;
    send(res, reply);
    finish(entry, t0, reply.status);
  }

  /**
   * The wrong region's answer. Local mode: 308 with a JSON body and the region listener's URL.
   * Cloud-like: 308 with an empty body and an https Location whatever the request's scheme (a
   * device must keep its own scheme and take the host), or GeoDNS's `Invalid token.`
   */
  function wrongRegionReply(path: string): Reply {
    const cloud = ctx.cloud;
    if (!cloud) return errorReply(308, "Wrong region.", { location: `${regionUrl}${path}` });
    if (cloud.wrongRegion === "invalidToken") return errorReply(400, MSG.invalidToken);
    return {
      ...textReply("", 308),
      headers: { location: `https://${cloud.regionHost ?? (regionUrl ? new URL(regionUrl).host : FALLBACK_REGION)}${path}` },
    };
  }

  async function handlePageRequest(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    let body;
    try {
      body = await readBody(req, limits.maxRequestBytes);
    } catch (err) {
      // The client went away mid-body: nothing to answer and nothing wrong with the server.
      log({
        time: new Date().toISOString(),
        method: req.method ?? "",
        path: url.pathname,
        status: "dropped",
        ms: 0,
        error: (err as Error).message,
      });
      return;
    }
    if (!body.ok) return send(res, errorReply(413, "Request too large."));
    const reply = handlePage(
      { store, faults, stats: () => structuredClone(stats), setFaults: (f) => setFaults(f as Faults), host },
      req,
      url,
      body.bytes,
    );
    if (url.pathname === "/api/faults" && req.method !== "GET")
      log({ time: new Date().toISOString(), method: req.method ?? "", path: url.pathname, status: reply?.status ?? 404, ms: 0 });
    send(res, reply ?? errorReply(404, `Not found: ${url.pathname}. The device API is under ${API_PREFIX}, the page at /.`));
  }

  function onRequest(region: boolean) {
    return (req: IncomingMessage, res: ServerResponse): void => {
      // The Date header follows the server clock too: devices set their clock from it.
      res.setHeader("date", new Date(clock()).toUTCString());
      let url: URL;
      try {
        url = new URL(req.url ?? "/", "http://localhost");
      } catch {
        send(res, errorReply(400, "Malformed request URL."));
        return;
      }
      const work = url.pathname.startsWith(API_PREFIX) ? handleApi(req, res, url, region) : handlePageRequest(req, res, url);
      work.catch((err: Error) => {
        // A bug, not bad input: answer 500 rather than crash, and say so in the log.
        log({
          time: new Date().toISOString(),
          method: req.method ?? "",
          path: url.pathname,
          status: 500,
          ms: 0,
          error: err.stack ?? String(err),
        });
        if (!res.headersSent) send(res, errorReply(500, `Internal error: ${err.message}`));
        else res.destroy();
      });
    };
  }

  function makeServer(region: boolean): Server {
    if (!options.tls) return createServer(onRequest(region));
    const s = createTlsServer({ key: options.tls.key, cert: options.tls.cert }, onRequest(region));
    // A failed handshake never becomes a request: log it, or a device that cannot connect leaves no trace.
    s.on("tlsClientError", (err) => {
      log({
        time: new Date().toISOString(),
        method: "",
        path: "",
        status: "dropped",
        ms: 0,
        error: `TLS handshake failed: ${err.message}`,
        ...(region ? { port: "region" as const } : {}),
      });
    });
    return s;
  }

  const main = makeServer(false);
  const servers = [main];
  let port: number;
  try {
    port = await listen(main, options.port ?? 0, host);
    if (options.regionPort !== undefined) {
      const region = makeServer(true);
      servers.push(region);
      regionUrl = urlOf(scheme, host, await listen(region, options.regionPort, host));
    }
  } catch (err) {
    for (const s of servers) s.close();
    store.close();
    throw err;
  }

  let closing: Promise<void> | undefined;
  function deviceOf(token: string): Device {
    const dev = store.device(token);
    if (!dev) throw new Error(`history: no device has the token ${maskToken(token)}`);
    return dev;
  }

  return {
    url: urlOf(scheme, host, port),
    port,
    regionUrl,
    demoToken,
    db: store.db,
    limits,
    stats: () => structuredClone(stats),
    history(token, pin, range = {}) {
      const n = typeof pin === "number" ? pin : parsePin(pin);
      if (n === undefined || n < 0 || n > 255) throw new Error(`history: pin must be V0..V255, not ${String(pin)}`);
      return store.history(deviceOf(token), n, range.from ?? 0, range.to ?? Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    },
    setFaults,
    faults: () => faults.get(),
    cloud: () => (ctx.cloud ? structuredClone(ctx.cloud) : undefined),
    setCloud(changes) {
      ctx.cloud = typeof changes === "boolean" ? resolveCloud(changes) : resolveCloud(changes, ctx.cloud);
    },
    close() {
      closing ??= Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      ).then(() => {
        for (const sock of hung) sock.destroy();
        store.close();
      });
      return closing;
    },
  };
}
