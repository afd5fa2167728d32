/**
 * The web page at `/` (devices, datastreams, a uPlot chart per datastream) and the JSON API it
 * and the tests read: `/api/devices`, `/api/history`, `/api/events`, `/api/stats`, `/api/faults`.
 * Page APIs name a device by its id (or name); tokens appear masked. `/api/history` also takes
 * `token=` for tests and tools.
 */
import { readFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ServerStats } from "./external-api.ts";
import type { FaultInjector } from "./faults.ts";
import { errorReply, isJsonContentType, jsonReply, type Reply } from "./http-util.ts";
import { isIP } from "node:net";
import { validateFaults } from "./options.ts";
import { maskToken } from "./request-log.ts";
import type { Device, Store } from "./store.ts";
import { parsePin } from "./values.ts";

const PAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), "page");
const UPLOT_DIR = join(dirname(createRequire(import.meta.url).resolve("uplot/package.json")), "dist");
const DEFAULT_HISTORY_LIMIT = 100_000;
const MAX_HISTORY_LIMIT = 1_000_000;

const STATIC: Record<string, { file: string; type: string }> = {
  "/": { file: join(PAGE_DIR, "index.html"), type: "text/html; charset=utf-8" },
  "/page.js": { file: join(PAGE_DIR, "page.js"), type: "text/javascript; charset=utf-8" },
  "/page.css": { file: join(PAGE_DIR, "page.css"), type: "text/css; charset=utf-8" },
  "/vendor/uPlot.iife.min.js": { file: join(UPLOT_DIR, "uPlot.iife.min.js"), type: "text/javascript; charset=utf-8" },
  "/vendor/uPlot.min.css": { file: join(UPLOT_DIR, "uPlot.min.css"), type: "text/css; charset=utf-8" },
};

export interface PageContext {
  store: Store;
  faults: FaultInjector;
  stats: () => ServerStats;
  /** Validates and applies a fault set (throws on bad input). */
  setFaults: (f: unknown) => void;
  /** The address the server listens on (`--host`): a name the page may be reached by. */
  host: string;
}

/** The Host header without its port, brackets of an IPv6 literal removed. */
function hostName(host: string): string {
  const m = /^\[([^\]]*)\](?::\d*)?$/.exec(host) ?? /^([^:]*)(?::\d*)?$/.exec(host);
  return (m ? m[1] : host).toLowerCase();
}

/**
 * Why a state-changing page call is refused as cross-site, or undefined when it may go on. A
 * web page elsewhere can make the browser POST here: a form cannot send `application/json`
 * without a CORS preflight (which this server never answers), the browser's `Origin` and
 * `Sec-Fetch-Site` name the page that sent it, and a Host other than this machine's address
 * is a DNS-rebinding page that looks same-origin.
 */
function crossSiteRefusal(ctx: PageContext, req: IncomingMessage): string | undefined {
  const host = req.headers.host ?? "";
  const name = hostName(host);
  if (!(name === "localhost" || isIP(name) !== 0 || name === ctx.host.toLowerCase())) {
    return `Host "${host}" is not this server's address: open the page at its IP address, localhost or the --host name.`;
  }
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none") return `Cross-site request refused (Sec-Fetch-Site: ${site}).`;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let originHost: string | undefined;
    try {
      originHost = new URL(origin).host;
    } catch {
      originHost = undefined;
    }
    if (originHost !== host) return `Cross-site request refused: Origin ${origin} is not this server (${host}).`;
  }
  return undefined;
}

function findDevice(ctx: PageContext, q: URLSearchParams): Device | undefined {
  const token = q.get("token");
  if (token !== null) return ctx.store.device(token);
  const ref = q.get("device") ?? "";
  return /^[0-9]+$/.test(ref) ? ctx.store.deviceById(Number(ref)) : ctx.store.devices().find((d) => d.name === ref);
}

function numberParam(q: URLSearchParams, name: string, fallback: number): number {
  const text = q.get(name);
  if (text === null || text === "") return fallback;
  const n = Number(text);
  if (!Number.isFinite(n)) throw new Error(`${name} must be a number (milliseconds since the epoch), not "${text}"`);
  return n;
}

/** Handles everything outside `/external/api/`; undefined when the path is unknown. */
export function handlePage(ctx: PageContext, req: IncomingMessage, url: URL, body: Buffer): Reply | undefined {
  const path = url.pathname;
  const q = url.searchParams;
  const isGet = req.method === "GET" || req.method === "HEAD";
  const file = STATIC[path];
  if (file) {
    if (!isGet) return errorReply(405, `Use GET for ${path}.`, { allow: "GET" });
    return { status: 200, body: readFileSync(file.file), contentType: file.type };
  }
  if (path === "/api/devices" && isGet) {
    return jsonReply(
      ctx.store.devices().map((d) => ({
        id: d.id,
        name: d.name,
        token: maskToken(d.token),
        lastSeen: ctx.store.lastSeen(d),
        datastreams: ctx.store.streams(d).map((s) => ({ ...s, pin: `V${s.pin}` })),
      })),
    );
  }
  if (path === "/api/history" && isGet) {
    const dev = findDevice(ctx, q);
    if (!dev) return errorReply(404, "No such device: give device=<id or name> (or token=<token>).");
    const pin = parsePin(q.get("pin"));
    if (pin === undefined) return errorReply(400, "Wrong pin format: give pin=V0..V255.");
    const ds = dev.datastreams.get(pin);
    try {
      const from = numberParam(q, "from", 0);
      const to = numberParam(q, "to", Number.MAX_SAFE_INTEGER);
      const limit = Math.min(MAX_HISTORY_LIMIT, Math.max(1, numberParam(q, "limit", DEFAULT_HISTORY_LIMIT)));
      return jsonReply({ device: dev.id, pin: `V${pin}`, type: ds?.type ?? null, points: ctx.store.history(dev, pin, from, to, limit) });
    } catch (err) {
      return errorReply(400, (err as Error).message);
    }
  }
  if (path === "/api/events" && isGet) {
    const dev = findDevice(ctx, q);
    if (!dev) return errorReply(404, "No such device: give device=<id or name>.");
    return jsonReply(ctx.store.events(dev, 100));
  }
  if (path === "/api/stats" && isGet) return jsonReply(ctx.stats());
  if (path === "/api/faults") {
    if (isGet) return jsonReply(ctx.faults.get());
    if (req.method !== "POST" && req.method !== "PUT") return errorReply(405, "Use GET or POST for /api/faults.", { allow: "GET, POST" });
    const refusal = crossSiteRefusal(ctx, req);
    if (refusal) return errorReply(403, refusal);
    if (!isJsonContentType(req.headers["content-type"])) return errorReply(415, "Send the fault set as JSON with Content-Type: application/json.");
    let json: unknown;
    try {
      json = JSON.parse(body.toString("utf8") || "{}");
      validateFaults(json);
      ctx.setFaults(json);
    } catch (err) {
      return errorReply(400, (err as Error).message);
    }
    return jsonReply(ctx.faults.get());
  }
  return undefined;
}
