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
import { errorReply, jsonReply, type Reply } from "./http-util.ts";
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
