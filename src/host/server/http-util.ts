/**
 * Small HTTP helpers: the reply shape, error bodies in Blynk's form, bounded body reading.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** A reply to send (or to drop, under fault injection). */
export interface Reply {
  status: number;
  body: string | Buffer;
  contentType: string;
  headers?: Record<string, string>;
}

export const TEXT = "text/plain; charset=utf-8";
export const JSON_TYPE = "application/json; charset=utf-8";

/** Thrown by handlers: becomes `{"error":{"message": ...}}` with the status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** `application/json`, optionally with `charset=utf-8`; media type case-insensitive. */
export function isJsonContentType(header: string | undefined): boolean {
  if (!header) return false;
  const [type, ...params] = header.split(";").map((s) => s.trim().toLowerCase());
  if (type !== "application/json") return false;
  for (const p of params) {
    const [k, v = ""] = p.split("=").map((s) => s.trim());
    if (k === "charset" && !["utf-8", "utf8"].includes(v.replace(/^"|"$/g, ""))) return false;
  }
  return true;
}

/** Blynk's error body. */
export function errorReply(status: number, message: string, headers?: Record<string, string>): Reply {
  return { status, body: JSON.stringify({ error: { message } }), contentType: JSON_TYPE, headers };
}

export function textReply(body: string, status = 200): Reply {
  return { status, body, contentType: TEXT };
}

export function jsonReply(value: unknown, status = 200): Reply {
  return { status, body: typeof value === "string" ? value : JSON.stringify(value), contentType: JSON_TYPE };
}

export function send(res: ServerResponse, reply: Reply): void {
  const body = typeof reply.body === "string" ? Buffer.from(reply.body, "utf8") : reply.body;
  res.writeHead(reply.status, {
    "content-type": reply.contentType,
    "content-length": String(body.length),
    "cache-control": "no-store",
    ...reply.headers,
  });
  res.end(body);
}

/** Bytes of the request line and headers as they came over the wire (HTTP/1.1 framing). */
export function headerBytes(req: IncomingMessage): number {
  let n = Buffer.byteLength(`${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`) + 2;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) n += Buffer.byteLength(raw[i]) + Buffer.byteLength(raw[i + 1]) + 4;
  return n;
}

/** The body, or `tooLarge` when it passes `maxBytes` (the rest is read and discarded). */
export type Body = { ok: true; bytes: Buffer } | { ok: false; tooLarge: true };

/**
 * Reads the request body up to `maxBytes`. A longer body is drained, not buffered, so the
 * client can finish sending and read the 413.
 * @throws Error when the client goes away mid-body.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Body> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    let tooLarge = declared > maxBytes;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on("end", () => resolve(tooLarge ? { ok: false, tooLarge: true } : { ok: true, bytes: Buffer.concat(chunks, size) }));
    req.on("error", reject);
    req.on("aborted", () => reject(new Error("client closed the connection mid-body")));
  });
}
