/**
 * Options of the local Blynk-compatible server: devices and datastreams, the documented limits,
 * the undocumented behaviours (each configurable), fault injection. Also loads and checks the
 * JSON config file (`docs/server-config.example.json`).
 */
import { readFileSync } from "node:fs";
import type { Writable } from "node:stream";
import { Ajv } from "ajv";

export const DATASTREAM_TYPES = ["integer", "double", "boolean", "enum", "string", "location"] as const;
export type DatastreamType = (typeof DATASTREAM_TYPES)[number];

/** One datastream (virtual pin) of a device. */
export interface DatastreamConfig {
  /** `"V0"`..`"V255"` (or `v1`, or the number). */
  pin: string | number;
  type: DatastreamType;
  name?: string;
  /** Numbers (integer, double) are clamped to [min, max] when given. */
  min?: number;
  max?: number;
  /** Enum only: the allowed values (any int32 when absent). */
  values?: number[];
  /**
   * Blynk's "Save raw data": in cloud mode a datastream without it keeps one averaged point per
   * minute, as Blynk.Cloud does by default. Ignored outside cloud mode (every point is kept).
   */
  rawData?: boolean;
}

export interface DeviceConfig {
  name: string;
  /** Auth token, 1..64 characters of `[A-Za-z0-9_-]` (Blynk's are 32). */
  token: string;
  datastreams: DatastreamConfig[];
}

/** What to do with points the documentation does not say how to treat. */
export type PointPolicy = "drop" | "reject";

/** Limits and the undocumented behaviours. Defaults in {@link DEFAULT_LIMITS}. */
export interface Limits {
  /** Points in one timestamped batch (documented: 10,000). */
  maxBatch: number;
  /** Timestamped points stored per device per UTC day (documented: 10,000; plans vary). */
  dailyQuota: number;
  /** Reply status when the daily quota would be exceeded: 429 or 400 (undocumented). */
  quotaStatus: 400 | 429;
  /** Oldest accepted timestamp, as an age in ms (documented: one month; plans vary). */
  maxAgeMs: number;
  /** Latest accepted timestamp, ms ahead of the server clock (MQTT API: one month). */
  maxFutureMs: number;
  /** Too-old points: dropped silently, or the whole request rejected with 400 (undocumented). */
  tooOld: PointPolicy;
  /** Points beyond the future window: as {@link tooOld}. */
  tooNew: PointPolicy;
  /** Values that do not match the datastream type in a timestamped batch (undocumented). */
  badValue: PointPolicy;
  /** Request size, request line + headers + body (documented: 2 MB). Over it: 413. */
  maxRequestBytes: number;
  /** Requests per second per device (documented: 50); 0 disables. Over it: 429. */
  rateLimit: number;
  /** Events per device per UTC day for /logEvent (documented: 100). */
  dailyEvents: number;
  /** Body of a successful timestamped batch upload (documented: `OK`). */
  batchOkBody: string;
  /** Body of the other successful calls that return nothing (documented: empty). */
  okBody: string;
  /** /isHardwareConnected answers true when the device wrote within this many ms. */
  connectedWindowMs: number;
}

const DAY_MS = 86_400_000;

export const DEFAULT_LIMITS: Readonly<Limits> = {
  maxBatch: 10_000,
  dailyQuota: 10_000,
  quotaStatus: 429,
  maxAgeMs: 30 * DAY_MS,
  maxFutureMs: 31 * DAY_MS,
  tooOld: "drop",
  tooNew: "drop",
  badValue: "reject",
  maxRequestBytes: 2 * 1024 * 1024,
  rateLimit: 50,
  dailyEvents: 100,
  batchOkBody: "OK",
  okBody: "",
  connectedWindowMs: 60_000,
};

/**
 * Fault injection, applied to `/external/api/*` requests only. Each rate is a probability
 * (0..1) drawn from a seeded generator, so a run is repeatable. Checked in this order: failNext,
 * failForMs, redirect, hang, dropBefore, failRate; then latency; then the request is handled;
 * then dropAfter.
 */
export interface Faults {
  /** Seed of the fault generator (default 1); setting it restarts the sequence. */
  seed?: number;
  /** Fail this fraction of requests with `failStatus`. */
  failRate?: number;
  /** Status of injected failures (default 503). */
  failStatus?: number;
  /** Message of injected failures, in Blynk's `{"error":{"message":...}}` (default `Injected fault: status N.`). */
  failMessage?: string;
  /** Or the exact body of injected failures, sent as text/plain (e.g. `""` or an HTML page). */
  failBody?: string;
  /** One-shot: fail the next N requests with `failStatus`, then stop. */
  failNext?: number;
  /** Fail every request for this long (server clock, from when the faults were set), then recover. */
  failForMs?: number;
  /** Delay before a request is handled, ms. */
  latencyMs?: number;
  /** Never answer this fraction of requests (the connection stays open). */
  hangRate?: number;
  /** Close the connection without answering and without storing. */
  dropBeforeRate?: number;
  /** Store, then close the connection without answering: the "lost 200". */
  dropAfterRate?: number;
  /** Answer 308 with the same path on the region port (needs `regionPort`). */
  redirect?: boolean;
}

/** A reply the real cloud gives in a state nobody documents. */
export interface CloudReply {
  status: number;
  /** Sent as Blynk's `{"error":{"message":...}}`. */
  message: string;
}

/** The plan and account states of the cloud-like mode, each answering with a {@link CloudReply}. */
export interface CloudReplies {
  /** The daily points quota (`limits.dailyQuota`) is used up. */
  dailyPoints: CloudReply;
  /** The organisation's monthly messages are used up. */
  monthlyMessages: CloudReply;
  /** The organisation is blocked (unpaid, suspended). */
  orgBlocked: CloudReply;
  /** The device was created but never activated. */
  notActivated: CloudReply;
}

/**
 * The cloud-like mode: the server behaves as Blynk.Cloud documents or is reported to, not as
 * Spool's device expects. Wordings are invented on purpose (none says "quota", "daily" or "per
 * day"), so a device that recognises replies by their words meets what it cannot recognise.
 */
export interface CloudOptions {
  /**
   * Messages per UTC month for the whole server (one organisation): every External API request
   * with a valid token counts as one. Default 100,000 (about a free plan); 0 = unlimited.
   */
  monthlyMessages: number;
  /** How the wrong region (the `redirect` fault) answers: a 308, or GeoDNS's `Invalid token.` */
  wrongRegion: "redirect" | "invalidToken";
  /**
   * `host[:port]` in the 308's `https://` Location (the real cloud sends e.g.
   * `https://fra1.blynk.cloud/...`, also to a board speaking plain http). Default the region
   * listener's address.
   */
  regionHost?: string;
  /** Every request with a valid token answers `replies.orgBlocked`. */
  orgBlocked: boolean;
  /** Names or tokens of devices not activated: their requests answer `replies.notActivated`. */
  notActivated: string[];
  replies: CloudReplies;
}

const MONTHLY_MESSAGES_FREE = 100_000;

/** Invented, varied wordings and statuses (Blynk documents none of them). */
export const DEFAULT_CLOUD_REPLIES: Readonly<CloudReplies> = {
  dailyPoints: { status: 400, message: "Device has reached the limit of data points it can import. Try again later." },
  monthlyMessages: { status: 429, message: "Message limit for your plan has been reached. Upgrade to continue." },
  orgBlocked: { status: 403, message: "Organization is blocked. Contact your administrator." },
  notActivated: { status: 400, message: "Device is not active." },
};

export const DEFAULT_CLOUD: Readonly<CloudOptions> = {
  monthlyMessages: MONTHLY_MESSAGES_FREE,
  wrongRegion: "redirect",
  orgBlocked: false,
  notActivated: [],
  replies: DEFAULT_CLOUD_REPLIES,
};

/** Cloud options as given: any field, replies one by one. */
export type CloudSettings = Partial<Omit<CloudOptions, "replies">> & { replies?: Partial<CloudReplies> };

/** Options of {@link startServer}. */
export interface ServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port) for the programmatic API; the CLI defaults to 8080. */
  port?: number;
  /** SQLite file (default `./spool-server.sqlite`); `":memory:"` for a throwaway store. */
  db?: string;
  /** Devices; when absent, one demo device with V0..V9 as doubles. */
  devices?: DeviceConfig[];
  /** Token of the demo device; default: random, generated once and kept in the database. */
  demoToken?: string;
  limits?: Partial<Limits>;
  faults?: Faults;
  /** Also listen on this port (0 = any) as the other "region" that 308 redirects point to. */
  regionPort?: number;
  /** Request log destination (one JSON line per request); default process.stdout. */
  log?: Writable | ((line: string) => void);
  /** No request log. */
  quiet?: boolean;
  /** Server clock, ms since the epoch (default Date.now); tests move it. */
  clock?: () => number;
  /** The cloud-like mode ({@link CloudOptions}); `true` for its defaults. Off by default. */
  cloud?: boolean | CloudSettings;
}

/** The JSON config file: devices plus any of the option groups. */
export interface ConfigFile {
  devices?: DeviceConfig[];
  limits?: Partial<Limits>;
  faults?: Faults;
  cloud?: boolean | CloudSettings;
}

const LIMIT_SCHEMA = {
  type: "object",
  additionalProperties: false,
  properties: {
    maxBatch: { type: "integer", minimum: 1 },
    dailyQuota: { type: "integer", minimum: 0 },
    quotaStatus: { enum: [400, 429] },
    maxAgeMs: { type: "number", minimum: 0 },
    maxFutureMs: { type: "number", minimum: 0 },
    tooOld: { enum: ["drop", "reject"] },
    tooNew: { enum: ["drop", "reject"] },
    badValue: { enum: ["drop", "reject"] },
    maxRequestBytes: { type: "integer", minimum: 1024 },
    rateLimit: { type: "integer", minimum: 0 },
    dailyEvents: { type: "integer", minimum: 0 },
    batchOkBody: { type: "string" },
    okBody: { type: "string" },
    connectedWindowMs: { type: "number", minimum: 0 },
  },
};

const RATE = { type: "number", minimum: 0, maximum: 1 };
const FAULT_SCHEMA = {
  type: "object",
  additionalProperties: false,
  properties: {
    seed: { type: "integer" },
    failRate: RATE,
    failStatus: { type: "integer", minimum: 100, maximum: 599 },
    failMessage: { type: "string", maxLength: 4096 },
    failBody: { type: "string", maxLength: 65536 },
    failNext: { type: "integer", minimum: 0 },
    failForMs: { type: "number", minimum: 0 },
    latencyMs: { type: "number", minimum: 0 },
    hangRate: RATE,
    dropBeforeRate: RATE,
    dropAfterRate: RATE,
    redirect: { type: "boolean" },
  },
};

const REPLY_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["status", "message"],
  properties: { status: { type: "integer", minimum: 400, maximum: 599 }, message: { type: "string", maxLength: 4096 } },
};
const CLOUD_SCHEMA = {
  anyOf: [
    { type: "boolean" },
    {
      type: "object",
      additionalProperties: false,
      properties: {
        monthlyMessages: { type: "integer", minimum: 0 },
        wrongRegion: { enum: ["redirect", "invalidToken"] },
        regionHost: { type: "string", pattern: "^[A-Za-z0-9.-]+(:[0-9]{1,5})?$" },
        orgBlocked: { type: "boolean" },
        notActivated: { type: "array", items: { type: "string" } },
        replies: {
          type: "object",
          additionalProperties: false,
          properties: { dailyPoints: REPLY_SCHEMA, monthlyMessages: REPLY_SCHEMA, orgBlocked: REPLY_SCHEMA, notActivated: REPLY_SCHEMA },
        },
      },
    },
  ],
};

const CONFIG_SCHEMA = {
  type: "object",
  additionalProperties: false,
  properties: {
    $comment: { type: "string" },
    devices: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name", "token", "datastreams"],
        properties: {
          name: { type: "string", minLength: 1, maxLength: 100 },
          token: { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" },
          datastreams: {
            type: "array",
            items: {
              type: "object",
              additionalProperties: false,
              required: ["pin", "type"],
              properties: {
                pin: {
                  anyOf: [
                    { type: "string", pattern: "^[vV](0|[1-9][0-9]{0,2})$" },
                    { type: "integer", minimum: 0, maximum: 255 },
                  ],
                },
                type: { enum: DATASTREAM_TYPES },
                name: { type: "string" },
                min: { type: "number" },
                max: { type: "number" },
                values: { type: "array", items: { type: "integer" }, minItems: 1 },
                rawData: { type: "boolean" },
              },
            },
          },
        },
      },
    },
    limits: LIMIT_SCHEMA,
    faults: FAULT_SCHEMA,
    cloud: CLOUD_SCHEMA,
  },
};

const ajv = new Ajv({ allErrors: true });
const checkConfig = ajv.compile(CONFIG_SCHEMA);
const checkFaults = ajv.compile(FAULT_SCHEMA);
const checkLimits = ajv.compile(LIMIT_SCHEMA);
const checkCloud = ajv.compile(CLOUD_SCHEMA);

function explain(errors: typeof checkConfig.errors, where: string): string {
  return (errors ?? []).map((e) => `${where}${e.instancePath || ""} ${e.message ?? "is invalid"}`).join("; ");
}

/**
 * Checks a config object (as parsed from the JSON file) and the device list in it.
 * @throws Error naming each field to fix, and duplicate tokens or pins.
 */
export function validateConfig(config: unknown, where = "config"): ConfigFile {
  if (!checkConfig(config)) throw new Error(`${where} is invalid: ${explain(checkConfig.errors, where)}`);
  const cfg = config as ConfigFile;
  if (cfg.devices) validateDevices(cfg.devices, where);
  return cfg;
}

/** @throws Error on a duplicate token, name or pin, or min > max. */
export function validateDevices(devices: DeviceConfig[], where = "devices"): void {
  const tokens = new Set<string>();
  const names = new Set<string>();
  devices.forEach((d, i) => {
    if (tokens.has(d.token)) throw new Error(`${where}: device ${i} ("${d.name}") repeats the token of an earlier device`);
    if (names.has(d.name)) throw new Error(`${where}: device ${i} repeats the name "${d.name}"`);
    tokens.add(d.token);
    names.add(d.name);
    const pins = new Set<number>();
    for (const ds of d.datastreams) {
      const pin = typeof ds.pin === "number" ? ds.pin : Number(String(ds.pin).slice(1));
      if (!(pin >= 0 && pin <= 255)) throw new Error(`${where}: device "${d.name}" has pin ${ds.pin} outside V0..V255`);
      if (pins.has(pin)) throw new Error(`${where}: device "${d.name}" defines pin V${pin} twice`);
      pins.add(pin);
      if (ds.min !== undefined && ds.max !== undefined && ds.min > ds.max) {
        throw new Error(`${where}: device "${d.name}" pin V${pin} has min ${ds.min} > max ${ds.max}`);
      }
    }
  });
}

/**
 * Reads and checks a JSON config file.
 * @throws Error when the file is missing, is not JSON, or does not match the schema.
 */
export function loadConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new Error(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return validateConfig(json, path);
}

/** @throws Error naming the bad fault field, or failMessage with failBody. */
export function validateFaults(faults: unknown): Faults {
  if (!checkFaults(faults)) throw new Error(`faults are invalid: ${explain(checkFaults.errors, "faults")}`);
  const f = faults as Faults;
  if (f.failMessage !== undefined && f.failBody !== undefined)
    throw new Error("faults: give failMessage (a Blynk JSON error) or failBody (the exact body), not both");
  return f;
}

/** @throws Error naming the bad limit field. */
export function resolveLimits(limits: Partial<Limits> | undefined): Limits {
  if (limits !== undefined && !checkLimits(limits)) throw new Error(`limits are invalid: ${explain(checkLimits.errors, "limits")}`);
  return { ...DEFAULT_LIMITS, ...limits };
}

/**
 * The cloud-like mode's options with defaults filled in, or undefined when the mode is off.
 * @throws Error naming the bad field.
 */
export function resolveCloud(cloud: boolean | CloudSettings | undefined, base: CloudOptions = DEFAULT_CLOUD): CloudOptions | undefined {
  if (cloud === undefined || cloud === false) return undefined;
  if (!checkCloud(cloud)) throw new Error(`cloud options are invalid: ${explain(checkCloud.errors, "cloud")}`);
  if (cloud === true) return { ...base, replies: { ...base.replies } };
  return { ...base, ...cloud, replies: { ...base.replies, ...cloud.replies } };
}
