/**
 * Blynk's device HTTP API (`/external/api/...`), after transport checks (size, faults) are done.
 *
 * Validation order of the timestamped upload (POST /external/api/batch/update?token=&pin=), the
 * first failing check answers:
 *  1. token             400 `Invalid token.`
 *  2. rate limit        429 `Too many requests. ...`
 *  3. pin format        400 `Wrong pin format.`
 *  4. datastream        400 `No datastream setup for that pin.`
 *  5. content type      400 `Unknown content type.`
 *  6. body              400 `Malformed JSON: ...` / `Body must be a JSON array ...`
 *  7. batch size        400 `Too much data in batch. Maximum batch size is N points.`
 *  8. each point in order: shape (400 always), value type (400 or dropped), age / future
 *     window (400 or dropped)
 *  9. daily quota       429 (or 400) `Daily data points limit exceeded. ...`
 * The request size (413) and fault injection come before all of these.
 */
import type { IncomingMessage } from "node:http";
import { ApiError, errorReply, isJsonContentType, jsonReply, textReply, type Reply } from "./http-util.ts";
import type { CloudOptions, CloudReply, Limits } from "./options.ts";
import type { RateLimiter } from "./rate-limit.ts";
import type { LogEntry } from "./request-log.ts";
import { maskToken } from "./request-log.ts";
import type { Device, NewPoint, Store } from "./store.ts";
import { checkJsonValue, checkTextValue, parsePin, valueJson, valueText, type Datastream, type StoredValue } from "./values.ts";

export const MSG = {
  invalidToken: "Invalid token.",
  wrongPin: "Wrong pin format.",
  contentType: "Unknown content type.",
  valueMismatch: "Value doesn't match the Datastream data type.",
  noDatastream: "No datastream setup for that pin.",
  tooMuchData: (max: number) => `Too much data in batch. Maximum batch size is ${max} points.`,
  quota: (max: number) => `Daily data points limit exceeded. Maximum is ${max} points per device per day.`,
  events: (max: number) => `Too many events. Maximum is ${max} events per device per day.`,
  rate: (max: number) => `Too many requests. Maximum is ${max} requests per second per device.`,
  tooOld: (i: number, ts: number, maxAgeMs: number) =>
    `Point ${i} (ts ${ts}) is too old: the oldest accepted timestamp is ${maxAgeMs} ms before now.`,
  tooNew: (i: number, ts: number, maxFutureMs: number) =>
    `Point ${i} (ts ${ts}) is too far in the future: at most ${maxFutureMs} ms ahead of now.`,
  noValue: "No value stored for that pin yet.",
};

const MAX_EVENT_CODE = 50;
const MAX_EVENT_DESCRIPTION = 300;

/** Counters since the server started; {@link BlynkServer.stats}. */
export interface ServerStats {
  requests: number;
  byStatus: Record<string, number>;
  pointsStored: number;
  dropped: { tooOld: number; tooNew: number; badValue: number };
  clamped: number;
  /** Points stored whose (device, pin, ts) was already stored. */
  duplicates: number;
  rateLimited: number;
  quotaRejected: number;
  /** Cloud-like mode: requests counted against the monthly messages since start. */
  messages: number;
  /** Cloud-like mode: requests refused for the monthly messages, a blocked organisation, a device not activated. */
  planRefused: number;
  events: number;
  faults: { fail: number; hang: number; dropBefore: number; dropAfter: number; redirect: number; delayed: number };
}

export function emptyStats(): ServerStats {
  return {
    requests: 0,
    byStatus: {},
    pointsStored: 0,
    dropped: { tooOld: 0, tooNew: 0, badValue: 0 },
    clamped: 0,
    duplicates: 0,
    rateLimited: 0,
    quotaRejected: 0,
    messages: 0,
    planRefused: 0,
    events: 0,
    faults: { fail: 0, hang: 0, dropBefore: 0, dropAfter: 0, redirect: 0, delayed: 0 },
  };
}

export interface ApiContext {
  store: Store;
  limits: Limits;
  rate: RateLimiter;
  clock: () => number;
  stats: ServerStats;
  /** The cloud-like mode's options; undefined when it is off. */
  cloud?: CloudOptions;
}

type Handler = (ctx: ApiContext, q: URLSearchParams, req: IncomingMessage, body: Buffer, log: Partial<LogEntry>) => Reply;

/** The API endpoints by path after `/external/api/`. All take GET and POST (query parameters). */
export const ENDPOINTS: Record<string, Handler> = {
  "batch/update": (ctx, q, req, body, log) =>
    req.method === "POST" ? timestampedBatch(ctx, q, req, body, log) : updatePins(ctx, q, log, false),
  update: (ctx, q, _req, _body, log) => updatePins(ctx, q, log, true),
  get: (ctx, q, _req, _body, log) => getPins(ctx, q, log),
  getAll: (ctx, q, _req, _body, log) => getAll(ctx, q, log),
  isHardwareConnected: (ctx, q, _req, _body, log) => {
    const dev = authenticate(ctx, q, log);
    const seen = ctx.store.lastSeen(dev);
    return textReply(seen !== null && ctx.clock() - seen <= ctx.limits.connectedWindowMs ? "true" : "false");
  },
  logEvent: (ctx, q, _req, _body, log) => logEvent(ctx, q, log),
};

function authenticate(ctx: ApiContext, q: URLSearchParams, log: Partial<LogEntry>): Device {
  const token = q.get("token");
  if (token !== null) log.device = maskToken(token);
  const dev = token === null ? undefined : ctx.store.device(token);
  if (!dev) throw new ApiError(400, MSG.invalidToken);
  if (ctx.cloud) chargeMessage(ctx, ctx.cloud, dev);
  if (!ctx.rate.allow(dev.id, ctx.clock())) {
    ctx.stats.rateLimited++;
    throw new ApiError(429, MSG.rate(ctx.limits.rateLimit));
  }
  return dev;
}

function refuse(ctx: ApiContext, reply: CloudReply): never {
  ctx.stats.planRefused++;
  throw new ApiError(reply.status, reply.message);
}

/** Cloud-like mode: the account's state, then one message of the month (refused ones do not count). */
function chargeMessage(ctx: ApiContext, cloud: CloudOptions, dev: Device): void {
  if (cloud.orgBlocked) refuse(ctx, cloud.replies.orgBlocked);
  if (cloud.notActivated.includes(dev.name) || cloud.notActivated.includes(dev.token)) refuse(ctx, cloud.replies.notActivated);
  const now = ctx.clock();
  if (cloud.monthlyMessages > 0 && ctx.store.messages(now) >= cloud.monthlyMessages) refuse(ctx, cloud.replies.monthlyMessages);
  ctx.store.countMessage(now);
  ctx.stats.messages++;
}

function datastream(dev: Device, pin: number): Datastream {
  const ds = dev.datastreams.get(pin);
  if (!ds) throw new ApiError(400, MSG.noDatastream);
  return ds;
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

function parseBody(bytes: Buffer): unknown {
  let text: string;
  try {
    text = UTF8.decode(bytes); // drops a UTF-8 BOM
  } catch {
    throw new ApiError(400, "Malformed JSON: the body is not valid UTF-8 (send JSON encoded as UTF-8).");
  }
  if (text.trim() === "") throw new ApiError(400, "Malformed JSON: the body is empty; send [[timestamp, value], ...].");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, `Malformed JSON: ${(err as Error).message.replace(/\.$/, "")}.`);
  }
  const where = loneSurrogate(json, "");
  if (where !== undefined) {
    throw new ApiError(
      400,
      `Malformed JSON: the string at ${where || "the top level"} has a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff escape); send valid Unicode text.`,
    );
  }
  return json;
}

const LONE_SURROGATE = /\p{Cs}/u;

/**
 * JSON.parse accepts `"\ud800"`, a string that has no UTF-8 form (SQLite would store invalid
 * UTF-8). Returns the index path of the first such string (`[3][1]`), or undefined. Only arrays
 * are walked: anything else in a batch is refused by the shape checks anyway.
 */
function loneSurrogate(v: unknown, path: string): string | undefined {
  if (typeof v === "string") return LONE_SURROGATE.test(v) ? path : undefined;
  if (!Array.isArray(v)) return undefined;
  for (let i = 0; i < v.length; i++) {
    const found = loneSurrogate(v[i], `${path}[${i}]`);
    if (found !== undefined) return found;
  }
  return undefined;
}

function timestampedBatch(ctx: ApiContext, q: URLSearchParams, req: IncomingMessage, body: Buffer, log: Partial<LogEntry>): Reply {
  const { limits, stats } = ctx;
  const dev = authenticate(ctx, q, log);
  const pinText = q.get("pin");
  if (pinText !== null) log.pin = pinText;
  const pin = parsePin(pinText);
  if (pin === undefined) throw new ApiError(400, MSG.wrongPin);
  const ds = datastream(dev, pin);
  if (!isJsonContentType(req.headers["content-type"])) throw new ApiError(400, MSG.contentType);
  const json = parseBody(body);
  if (!Array.isArray(json)) throw new ApiError(400, "Body must be a JSON array of [timestamp, value] pairs.");
  log.points = json.length;
  if (json.length > limits.maxBatch) throw new ApiError(400, MSG.tooMuchData(limits.maxBatch));

  const now = ctx.clock();
  const oldest = now - limits.maxAgeMs;
  const newest = now + limits.maxFutureMs;
  const accepted: NewPoint[] = [];
  const dropped = { tooOld: 0, tooNew: 0, badValue: 0 };
  let clamped = 0;
  for (let i = 0; i < json.length; i++) {
    const p: unknown = json[i];
    if (!Array.isArray(p) || p.length !== 2) throw new ApiError(400, `Point ${i} must be a [timestamp, value] pair.`);
    const ts: unknown = p[0];
    if (typeof ts !== "number" || !Number.isSafeInteger(ts) || ts < 0) {
      throw new ApiError(400, `Point ${i}: the timestamp must be a whole number of milliseconds since 1970-01-01 UTC.`);
    }
    const checked = checkJsonValue(ds, p[1]);
    if (!checked) {
      if (limits.badValue === "reject") throw new ApiError(400, MSG.valueMismatch);
      dropped.badValue++;
      continue;
    }
    if (ts < oldest) {
      if (limits.tooOld === "reject") throw new ApiError(400, MSG.tooOld(i, ts, limits.maxAgeMs));
      dropped.tooOld++;
      continue;
    }
    if (ts > newest) {
      if (limits.tooNew === "reject") throw new ApiError(400, MSG.tooNew(i, ts, limits.maxFutureMs));
      dropped.tooNew++;
      continue;
    }
    if (checked.clamped) clamped++;
    accepted.push({ ts, value: checked.value });
  }
  const used = ctx.store.usage(dev.id, now).points;
  if (accepted.length > 0 && used + accepted.length > limits.dailyQuota) {
    stats.quotaRejected++;
    if (ctx.cloud) throw new ApiError(ctx.cloud.replies.dailyPoints.status, ctx.cloud.replies.dailyPoints.message);
    throw new ApiError(limits.quotaStatus, MSG.quota(limits.dailyQuota));
  }
  if (ctx.cloud && !dev.datastreams.get(pin)?.rawData) ctx.store.storeAveraged(dev, pin, accepted, now);
  else stats.duplicates += ctx.store.storePoints(dev, pin, accepted, now, true);
  stats.pointsStored += accepted.length;
  stats.clamped += clamped;
  stats.dropped.tooOld += dropped.tooOld;
  stats.dropped.tooNew += dropped.tooNew;
  stats.dropped.badValue += dropped.badValue;
  if (dropped.tooOld + dropped.tooNew + dropped.badValue > 0) log.error = `dropped ${JSON.stringify(dropped)}`;
  return textReply(limits.batchOkBody);
}

/** Pins named in the query: `pin=V1` (repeatable) or `V1=...` keys. */
function queryPins(q: URLSearchParams, usePinParam: boolean): string[] {
  if (usePinParam && q.has("pin")) return q.getAll("pin");
  const names: string[] = [];
  for (const key of q.keys()) if (key !== "token" && !names.includes(key)) names.push(key);
  return names;
}

function resolvePins(dev: Device, names: string[], log: Partial<LogEntry>): Datastream[] {
  if (names.length === 0) throw new ApiError(400, MSG.wrongPin);
  log.pin = names.join(",");
  const pins = names.map((n) => parsePin(n));
  if (pins.some((p) => p === undefined)) throw new ApiError(400, MSG.wrongPin);
  return pins.map((p) => datastream(dev, p as number));
}

/** GET /update (`V1=42` or `pin=V1&value=42`) and GET /batch/update (several pins): server time. */
function updatePins(ctx: ApiContext, q: URLSearchParams, log: Partial<LogEntry>, pinValueForm: boolean): Reply {
  const dev = authenticate(ctx, q, log);
  const form = pinValueForm && q.has("pin");
  if (form && q.getAll("pin").length !== 1) throw new ApiError(400, MSG.wrongPin);
  const names = form ? q.getAll("pin") : queryPins(q, false);
  const streams = resolvePins(dev, names, log);
  const values: { pin: number; value: StoredValue }[] = [];
  let clamped = 0;
  streams.forEach((ds, i) => {
    const texts = form ? q.getAll("value") : q.getAll(names[i]);
    const checked = checkTextValue(ds, texts);
    if (!checked) throw new ApiError(400, MSG.valueMismatch);
    if (checked.clamped) clamped++;
    values.push({ pin: ds.pin, value: checked.value });
  });
  const now = ctx.clock();
  ctx.stats.duplicates += ctx.store.storeMany(dev, values, now);
  ctx.stats.pointsStored += values.length;
  ctx.stats.clamped += clamped;
  log.points = values.length;
  return textReply(ctx.limits.okBody);
}

/** GET /get?token=&V1 (bare value) or &V1&V2 (JSON object, lowercase keys, each pin once). */
function getPins(ctx: ApiContext, q: URLSearchParams, log: Partial<LogEntry>): Reply {
  const dev = authenticate(ctx, q, log);
  // `pin=V0&pin=v0` names one pin: answer it once (a JSON object must not repeat a key).
  const streams = [...new Set(resolvePins(dev, queryPins(q, true), log))];
  if (streams.length === 1) {
    const ds = streams[0];
    const v = ctx.store.latest(dev, ds.pin);
    if (v === undefined) throw new ApiError(400, MSG.noValue);
    return textReply(valueText(ds.type, v));
  }
  return jsonReply(objectOf(ctx, dev, streams, true));
}

function getAll(ctx: ApiContext, q: URLSearchParams, log: Partial<LogEntry>): Reply {
  const dev = authenticate(ctx, q, log);
  const streams = [...dev.datastreams.values()].sort((a, b) => a.pin - b.pin);
  return jsonReply(objectOf(ctx, dev, streams, false));
}

/** `{"v1":1.0,"v2":2}` written by hand so doubles keep their `.0`. */
function objectOf(ctx: ApiContext, dev: Device, streams: Datastream[], includeEmpty: boolean): string {
  const parts: string[] = [];
  for (const ds of streams) {
    const v = ctx.store.latest(dev, ds.pin);
    if (v === undefined && !includeEmpty) continue;
    parts.push(`"v${ds.pin}":${v === undefined ? "null" : valueJson(ds.type, v)}`);
  }
  return `{${parts.join(",")}}`;
}

function logEvent(ctx: ApiContext, q: URLSearchParams, log: Partial<LogEntry>): Reply {
  const dev = authenticate(ctx, q, log);
  const code = q.get("code");
  if (!code) throw new ApiError(400, "Event code is required: add &code=YOUR_EVENT_CODE.");
  if (code.length > MAX_EVENT_CODE) throw new ApiError(400, `Event code is longer than ${MAX_EVENT_CODE} characters.`);
  const description = q.get("description");
  if (description !== null && description.length > MAX_EVENT_DESCRIPTION) {
    throw new ApiError(400, `Event description is longer than ${MAX_EVENT_DESCRIPTION} characters.`);
  }
  const now = ctx.clock();
  if (ctx.store.usage(dev.id, now).events >= ctx.limits.dailyEvents) {
    ctx.stats.quotaRejected++;
    throw new ApiError(ctx.limits.quotaStatus, MSG.events(ctx.limits.dailyEvents));
  }
  ctx.store.logEvent(dev, code, description, now);
  ctx.stats.events++;
  return textReply(ctx.limits.okBody);
}

/** Runs an endpoint handler, turning {@link ApiError} into Blynk's error body. */
export function runEndpoint(
  handler: Handler,
  ctx: ApiContext,
  q: URLSearchParams,
  req: IncomingMessage,
  body: Buffer,
  log: Partial<LogEntry>,
): Reply {
  try {
    return handler(ctx, q, req, body, log);
  } catch (err) {
    if (err instanceof ApiError) {
      log.error = err.message;
      return errorReply(err.status, err.message);
    }
    throw err;
  }
}
