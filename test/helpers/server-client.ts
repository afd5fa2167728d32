// Shared by test/server-*.test.ts: a server with every datastream type, and small HTTP clients.
import { request } from "node:http";
import { connect } from "node:net";
import { startServer, type BlynkServer, type DeviceConfig, type ServerOptions } from "../../src/host/server/index.ts";

export const TOKEN = "testTokenAbcdefghijklmnopqrstuv0"; // 32 characters, like Blynk's
export const OTHER_TOKEN = "otherTokenAbcdefghijklmnopqrstu1";

export const DEVICES: DeviceConfig[] = [
  {
    name: "bench",
    token: TOKEN,
    datastreams: [
      { pin: "V0", type: "double" },
      { pin: "V1", type: "integer", min: 0, max: 100 },
      { pin: "V2", type: "double", min: -40, max: 85 },
      { pin: "V3", type: "boolean" },
      { pin: "V4", type: "enum", values: [0, 1, 2] },
      { pin: "V5", type: "string" },
      { pin: "V6", type: "location" },
      { pin: "V255", type: "integer" },
    ],
  },
  { name: "other", token: OTHER_TOKEN, datastreams: [{ pin: "V0", type: "double" }] },
];

/** A fixed server clock that tests move by hand: 2026-03-01T12:00:00Z. */
export function fakeClock(start = Date.UTC(2026, 2, 1, 12)): {
  now: () => number;
  set: (ms: number) => void;
  advance: (ms: number) => void;
} {
  let t = start;
  return { now: () => t, set: (ms) => void (t = ms), advance: (ms) => void (t += ms) };
}

export function start(options: ServerOptions = {}): Promise<BlynkServer> {
  return startServer({ db: ":memory:", quiet: true, devices: DEVICES, ...options });
}

export interface Answer {
  status: number;
  text: string;
  headers: Headers;
}

/** POST a timestamped batch; `body` is JSON-encoded unless it is a string or bytes. */
export async function postBatch(
  server: BlynkServer,
  body: unknown,
  opts: { token?: string | null; pin?: string | null; contentType?: string | null; base?: string } = {},
): Promise<Answer> {
  const q = new URLSearchParams();
  if (opts.token !== null) q.set("token", opts.token ?? TOKEN);
  if (opts.pin !== null) q.set("pin", opts.pin ?? "V0");
  const headers: Record<string, string> = {};
  if (opts.contentType !== null) headers["content-type"] = opts.contentType ?? "application/json";
  const payload = typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body);
  const res = await fetch(`${opts.base ?? server.url}/external/api/batch/update?${q}`, {
    method: "POST",
    headers,
    body: payload,
    redirect: "manual",
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

export async function get(server: BlynkServer, pathAndQuery: string): Promise<Answer> {
  const res = await fetch(`${server.url}${pathAndQuery}`, { redirect: "manual" });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

export function errorBody(message: string): string {
  return JSON.stringify({ error: { message } });
}

/** Sends exact bytes over a fresh TCP connection and returns the raw response text. */
export function rawRequest(server: BlynkServer, bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(server.port, "127.0.0.1");
    const chunks: Buffer[] = [];
    sock.on("data", (c: Buffer) => chunks.push(c));
    sock.on("end", () => resolve(Buffer.concat(chunks).toString("latin1")));
    sock.on("error", reject);
    sock.write(bytes);
  });
}

/** A node:http request (no fetch niceties): for bodies fetch would re-encode. */
export function httpRequest(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: Buffer | string },
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    // A fresh connection each time (no keep-alive pool): under load a pooled socket can be
    // reused just as the server's keep-alive timeout closes it (ECONNRESET).
    const req = request(url, { method: opts.method ?? "GET", headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end(opts.body);
  });
}

/** n points one second apart ending at `end`, values from `value(i)`. */
export function points(n: number, end: number, value: (i: number) => unknown = (i) => i): [number, unknown][] {
  const out: [number, unknown][] = [];
  for (let i = 0; i < n; i++) out.push([end - (n - 1 - i) * 1000, value(i)]);
  return out;
}
