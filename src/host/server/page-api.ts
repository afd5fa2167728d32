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
import type { Device, DeviceDatastream, Store } from "./store.ts";
import { parsePin } from "./values.ts";

const PAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), "page");
const UPLOT_DIR = join(dirname(createRequire(import.meta.url).resolve("uplot/package.json")), "dist");
const DEFAULT_HISTORY_LIMIT = 100_000;
/** A bigger read blocks the server (SQLite is synchronous) long enough to stall devices: page with from/to. */
const MAX_HISTORY_LIMIT = 100_000;
/** Pixel columns of one chart request; wider than any screen. */
const MAX_CHART_WIDTH = 4096;
const NUMERIC_TYPES = ["integer", "double", "boolean", "enum"];
/** The start of the line a device publishes to its status pin (src/device/api/status.ts statusSummary). */
const STATUS_LINE = /^queue \d+, /;

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

/** What the device last published on its status pin, when one of its string pins carries that line. */
interface DeviceStatus {
  pin: string;
  /** Device time of the status reading, and server time it arrived. */
  ts: number;
  received: number;
  text: string;
  /** `queue 3, drops 0, clock ok, ...` as {queue: "3", drops: "0", clock: "ok", ...}. */
  fields: Record<string, string>;
}

function deviceStatus(ctx: PageContext, dev: Device): DeviceStatus | null {
  let best: DeviceStatus | null = null;
  for (const ds of dev.datastreams.values()) {
    if (ds.type !== "string") continue;
    const p = ctx.store.latestPoint(dev, ds.pin);
    if (!p || typeof p.value !== "string" || !STATUS_LINE.test(p.value) || (best && best.ts >= p.ts)) continue;
    const fields: Record<string, string> = {};
    for (const part of p.value.split(", ")) {
      // Keys may be two words ("sample errors 0"): the value is the last word.
      const cut = part.lastIndexOf(" ");
      if (cut > 0) fields[part.slice(0, cut)] = part.slice(cut + 1);
    }
    best = { pin: `V${ds.pin}`, ts: p.ts, received: p.received, text: p.value, fields };
  }
  return best;
}

/** A read of one pin of one device (`device=` or `token=`, `pin=`); a bad parameter is a 400. */
function pinRead(ctx: PageContext, q: URLSearchParams, read: (dev: Device, pin: number, ds: DeviceDatastream | undefined) => Reply): Reply {
  const dev = findDevice(ctx, q);
  if (!dev) return errorReply(404, "No such device: give device=<id or name> (or token=<token>).");
  const pin = parsePin(q.get("pin"));
  if (pin === undefined) return errorReply(400, "Wrong pin format: give pin=V0..V255.");
  try {
    return read(dev, pin, dev.datastreams.get(pin));
  } catch (err) {
    return errorReply(400, (err as Error).message);
  }
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
        status: deviceStatus(ctx, d),
      })),
    );
  }
  if (path === "/api/chart" && isGet) {
    return pinRead(ctx, q, (dev, pin, ds) => {
      if (!ds || !NUMERIC_TYPES.includes(ds.type))
        return errorReply(400, `V${pin} is not a numeric datastream: read its points with /api/history.`);
      const from = Math.floor(numberParam(q, "from", 0));
      const to = Math.floor(numberParam(q, "to", Number.MAX_SAFE_INTEGER));
      if (!(to >= from)) return errorReply(400, `to (${to}) must not be before from (${from}).`);
      const width = Math.floor(numberParam(q, "width", 0));
      if (!(width >= 1 && width <= MAX_CHART_WIDTH))
        return errorReply(400, `width must be the chart's width in pixels, 1..${MAX_CHART_WIDTH}.`);
      return jsonReply({
        device: dev.id,
        pin: `V${pin}`,
        type: ds.type,
        from,
        to,
        width,
        columns: ctx.store.columns(dev, pin, from, to, width),
      });
    });
  }
  if (path === "/api/history" && isGet) {
    return pinRead(ctx, q, (dev, pin, ds) => {
      const from = numberParam(q, "from", 0);
      const to = numberParam(q, "to", Number.MAX_SAFE_INTEGER);
      const limit = Math.min(MAX_HISTORY_LIMIT, Math.max(1, numberParam(q, "limit", DEFAULT_HISTORY_LIMIT)));
      return jsonReply({ device: dev.id, pin: `V${pin}`, type: ds?.type ?? null, points: ctx.store.history(dev, pin, from, to, limit) });
    });
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
    if (!isJsonContentType(req.headers["content-type"]))
      return errorReply(415, "Send the fault set as JSON with Content-Type: application/json.");
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
